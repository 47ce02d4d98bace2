/**
 * The model/method side of the extension, without `vscode` (unit-tested): settings -> the analysis
 * part of ScanParams, which ranking the sidebar shows, and the class pairs offered for a margin
 * objective. The words for what ran are in src/protocol/wording.ts (shared with the panel).
 */
import type { RankBy, ScanSummary } from '../src/protocol/types';
import type { ScanParams } from '../src/protocol/worker';
import { SETTINGS, type DetectorOption, type MethodOption, type ModelOption, type ScopeOption, type SolverOption } from '../src/options/options';

export interface AnalysisSettings {
  labelColumn?: string;
  /** No label column: autoencoder + k-means clusters (the first scan's "No label: find clusters"). */
  unsupervised: boolean;
  clusters: number;
  model: ModelOption;
  modelPath?: string;
  hiddenSizes: number[];
  influenceScope: ScopeOption;
  solver: SolverOption;
  textDimensions: number;
  method: MethodOption;
  /** Out-of-sample label-error detector (ScanParams.detector); 'auto' is the default. */
  detector?: DetectorOption;
}


/**
 * The analysis part of a scan's parameters. Settings that do not apply to the chosen model or method
 * (hidden sizes of logistic regression, a solver for turn-over dropout) are left out, so changing them
 * does not make the results look out of date; settings left at their defaults are omitted.
 */
export function analysisParams(s: AnalysisSettings): Partial<ScanParams> {
  const dims = s.textDimensions !== SETTINGS.textDimensions.default ? { textDimensions: s.textDimensions } : {};
  if (s.unsupervised) {
    // The label column, if one is set, is then left out of the features.
    return { unsupervised: true, ...(s.labelColumn ? { label: s.labelColumn } : {}), clusters: s.clusters, ...dims };
  }
  const out: Partial<ScanParams> = { label: s.labelColumn, ...dims };
  if (s.detector && s.detector !== 'auto') out.detector = s.detector;
  if (s.method === 'turnOverDropout') {
    out.method = 'turnOverDropout';
    if (s.hiddenSizes.length > 0) out.hidden = s.hiddenSizes;
    return out;
  }
  if (s.model !== 'logistic') {
    out.model = s.model;
    if (s.model === 'layers') out.modelPath = s.modelPath;
    if (s.model === 'mlp' && s.hiddenSizes.length > 0) out.hidden = s.hiddenSizes;
    if (s.influenceScope !== 'lastLayer') out.influenceScope = s.influenceScope;
  }
  if (s.solver !== 'auto') out.solver = s.solver;
  return out;
}

/**
 * The ranking the sidebar and the scan's first page use: the out-of-sample detector's when the scan
 * ran one, else label suspicion when it computed it, else global influence.
 */
export function preferredRanking(summary: Pick<ScanSummary, 'labelSuspicion' | 'detection'>): Extract<RankBy, 'globalInfluence' | 'labelSuspicion' | 'labelIssue'> {
  return summary.detection ? 'labelIssue' : summary.labelSuspicion ? 'labelSuspicion' : 'globalInfluence';
}

/**
 * The class pairs offered for a margin objective z_a - z_b: a = the predicted class, b every other
 * class, most probable first (the closest competitor is usually what one wants to see).
 */
export function marginPairs(predicted: string, probabilities: Record<string, number>): [string, string][] {
  return Object.entries(probabilities)
    .filter(([c]) => c !== predicted)
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .map(([c]) => [predicted, c]);
}

