/**
 * The model/method side of the extension, without `vscode` (unit-tested): settings -> the analysis
 * part of ScanParams, which ranking the sidebar shows, how the panel and the tree describe what ran,
 * the class pairs offered for a margin objective, and the trust check's numbers in words.
 */
import type { ExplainMode, ExplainObjective, ExplainResult, RankBy, ScanSummary, TrustAgreement, TrustResult } from '../src/protocol/types';
import type { ScanParams } from '../src/protocol/worker';

export interface AnalysisSettings {
  labelColumn?: string;
  /** No label column: autoencoder + k-means clusters (the first scan's "No label: find clusters"). */
  unsupervised: boolean;
  clusters: number;
  model: 'logistic' | 'mlp' | 'layers';
  modelPath?: string;
  hiddenSizes: number[];
  influenceScope: 'lastLayer' | 'full';
  solver: 'auto' | 'exact' | 'ekfac' | 'cg' | 'lissa';
  textDimensions: number;
  method: 'influence' | 'turnOverDropout';
  /** Out-of-sample label-error detector (ScanParams.detector); 'auto' is the default. */
  detector?: 'auto' | 'ensemble' | 'logistic' | 'knn' | 'mlp' | 'off';
}

export const DEFAULT_TEXT_DIMENSIONS = 1024;

/** `v` when it is one of `allowed`, else the default (the first). */
export function oneOf<T extends string>(v: unknown, allowed: readonly T[]): T {
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : allowed[0];
}

/** Hidden layer widths from a setting: positive integers up to 4096, at most 8 layers; others dropped. */
export function hiddenSizesOf(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 4096).slice(0, 8);
}

/**
 * The analysis part of a scan's parameters. Settings that do not apply to the chosen model or method
 * (hidden sizes of logistic regression, a solver for turn-over dropout) are left out, so changing them
 * does not make the results look out of date; settings left at their defaults are omitted.
 */
export function analysisParams(s: AnalysisSettings): Partial<ScanParams> {
  const dims = s.textDimensions !== DEFAULT_TEXT_DIMENSIONS ? { textDimensions: s.textDimensions } : {};
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

/** Names of a ranking for the tree's message and the panel. */
export function rankingName(rankBy: RankBy, summary?: Pick<ScanSummary, 'analysis'>): string {
  if (rankBy === 'labelSuspicion') return 'label suspicion';
  if (rankBy === 'labelIssue') return 'label issue';
  if (rankBy === 'loss') return summary?.analysis?.lossScore ?? 'training loss';
  if (summary?.analysis?.method === 'unsupervised') return 'distance to the cluster centre';
  if (summary?.analysis?.method === 'turnOverDropout') return 'turn-over dropout self-influence';
  return 'global influence';
}

const MODEL_NAMES: Record<string, string> = {
  'logistic-regression': 'logistic regression',
  mlp: 'MLP',
  'layers-model': 'your tf.LayersModel',
  'turn-over-dropout-mlp': 'MLP with turn-over dropout',
  autoencoder: 'autoencoder + k-means',
};

const METHOD_NAMES: Record<string, string> = {
  influence: 'influence functions',
  turnOverDropout: 'turn-over dropout',
  unsupervised: 'cross-loss influence on clusters',
};

/**
 * One line saying what ran: model (hidden sizes), method, solver (why), influence scope, backend.
 * Tolerates summaries cached before the scan reported its analysis.
 */
export function describeAnalysis(summary: Pick<ScanSummary, 'model' | 'analysis'> & Partial<Pick<ScanSummary, 'detection'>>): string {
  const m = summary.model;
  const a = summary.analysis as ScanSummary['analysis'] | undefined;
  const parts: string[] = [];
  const hidden = m.hidden && m.hidden.length > 0 ? ` (hidden ${m.hidden.join('×')})` : '';
  const clusters = m.clusters !== undefined ? ` (${m.clusters} clusters)` : '';
  parts.push(`model: ${MODEL_NAMES[m.kind] ?? m.kind}${hidden}${clusters}`);
  if (a) {
    parts.push(`method: ${METHOD_NAMES[a.method] ?? a.method}`);
    parts.push(`solver: ${a.solver}${a.solverReason ? ` (${a.solverReason})` : ''}`);
    if (a.influenceScope) parts.push(`scope: ${a.influenceScope === 'full' ? 'all parameters' : 'last layer'}`);
  }
  parts.push(`backend: ${m.backend ? `tfjs ${m.backend}` : 'float64 JavaScript'}`);
  const d = summary.detection;
  if (d) {
    const used = d.models.filter((x) => x.weight >= 0.005).map((x) => (d.models.length > 1 ? `${x.model} ${x.weight.toFixed(2)}` : x.model));
    parts.push(`label issues ranked by: ${d.choice === 'ensemble' ? `ensemble (${used.join(', ')})` : d.choice}, ${d.folds}-fold out of sample, ~${Math.round(d.estimatedErrors)} wrong labels estimated`);
    parts.push(`explained by: ${d.explainedBy}`);
  }
  return parts.join(' · ');
}

/**
 * The notes the panel lists under its header: what the scan did with the data's columns (identifiers
 * left out, text hashed, many-level categories: the same lines the CLI prints), how the file was
 * read when that is not the default (a TSV without quoting, with why), then the analysis's notes.
 * Tolerates summaries cached before the scan reported them.
 */
export function panelNotes(summary: { dataset: Partial<Pick<ScanSummary['dataset'], 'columnNotes' | 'read'>>; analysis?: Pick<ScanSummary['analysis'], 'notes'> }): string[] {
  const read = summary.dataset.read;
  return [...(summary.dataset.columnNotes ?? []), ...(read?.note ? [`Read as ${read.format.toUpperCase()}: ${read.note}`] : []), ...(summary.analysis?.notes ?? [])];
}

/** What produced an explanation's numbers, in words (method, estimate, objective). */
export function describeExplanation(r: Pick<ExplainResult, 'method' | 'mode' | 'objective' | 'rankBy' | 'orderBy'>): string {
  const method = r.method === 'turnOverDropout' ? 'turn-over dropout (sub-networks that never saw each row)' : 'influence function (Koh & Liang)';
  const estimate =
    r.method === 'turnOverDropout' ? '' : r.mode === 'newton' ? ', Newton-step leave-one-out per row' : ', first order';
  const objective = r.objective ? `; explains ${r.objective.description}` : '';
  const order = (r.orderBy ?? (r.rankBy === 'influence' ? 'influence' : 'relatifL')) === 'influence' ? 'raw influence' : 'RelatIF';
  return `Method: ${method}${estimate}${objective}; ranked by ${r.method === 'turnOverDropout' ? 'raw influence' : order}.`;
}

/**
 * What a scan's explanations can do: the Newton step and the trust check need logistic regression
 * with the exact solver; probability and margin objectives need logistic regression with influence
 * functions (the engine refuses the rest).
 */
export interface ExplainCapabilities {
  newton: boolean;
  trust: boolean;
  objectives: boolean;
}

export function explainCapabilities(summary: Pick<ScanSummary, 'analysis'>): ExplainCapabilities {
  const a = summary.analysis as ScanSummary['analysis'] | undefined;
  // Summaries cached before the scan reported its analysis were logistic regression with the exact solver.
  const logistic = !a || (a.model === 'logistic' && a.method === 'influence');
  const exact = logistic && (!a || a.solver === 'exact');
  return { newton: exact, trust: exact, objectives: logistic };
}

/** The explanation options a scan supports: other objectives only when possible, the Newton step only when possible and with the loss. */
export function supportedOptions<T extends { mode: ExplainMode; objective: ExplainObjective }>(opts: T, caps: ExplainCapabilities): T {
  const objective: ExplainObjective = caps.objectives ? opts.objective : 'loss';
  const mode: ExplainMode = caps.newton && objective === 'loss' ? opts.mode : 'influence';
  return { ...opts, objective, mode };
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

/** A trust agreement as text: "Pearson 0.94 · Spearman 0.96 · slope 1.14". */
export function formatAgreement(a: TrustAgreement): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
  return `Pearson ${f(a.pearson)} · Spearman ${f(a.spearman)} · slope ${f(a.slope)}`;
}

/** How much to trust the estimates, from the leave-one-out Spearman of the better estimate. */
export function trustVerdict(t: Pick<TrustResult, 'leaveOneOut'>): 'good' | 'fair' | 'poor' {
  const s = Math.max(t.leaveOneOut.firstOrder.spearman, t.leaveOneOut.newton.spearman);
  if (!Number.isFinite(s)) return 'poor';
  return s >= 0.8 ? 'good' : s >= 0.5 ? 'fair' : 'poor';
}
