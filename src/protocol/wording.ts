/**
 * The product's words for what the engine reports, shared by the extension host and the panel (which
 * depends only on the protocol and this module): ranking names, what ran, how an explanation was
 * made, what a scan's explanations can do, and the trust check's numbers in words. Pure functions
 * over protocol types; no Node, no DOM, no vscode.
 */
import type { ExampleRow, ExplainMode, ExplainObjective, ExplainResult, RankBy, ScanSummary, TrustAgreement, TrustResult } from './types';

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
    const byLabel = estimateByLabelText(d.estimatedByLabel, 3);
    const weighted = d.models.filter((x) => x.rankWeight !== undefined && x.rankWeight >= 0.005).map((x) => `${x.model} ${x.rankWeight!.toFixed(2)}`);
    const ranker =
      d.rankedBy === 'selfConfidence'
        ? `self-confidence (${weighted.length ? weighted.join(', ') : d.choice === 'ensemble' ? used.join(', ') : d.choice}; the models predict the labels little better than the most common label)`
        : d.choice === 'ensemble'
          ? `ensemble (${used.join(', ')})`
          : d.choice;
    parts.push(`label issues ranked by: ${ranker}, ${d.folds}-fold out of sample, ~${Math.round(d.estimatedErrors)} wrong labels estimated${byLabel ? ` (by given label: ${byLabel})` : ''}`);
    parts.push(`explained by: ${d.explainedBy}`);
  }
  return parts.join(' · ');
}

/**
 * The estimated wrong labels by given label in words, most first: "neg ~27 (mostly pos), pos ~50
 * (mostly neg)". Labels estimated at less than half a row are listed only when at most `max` labels
 * exist (so both sides of a two-class file always show); beyond `max` labels, "and N more". Undefined
 * without a split (results of earlier versions) or when under half a row is estimated wrong in all.
 */
export function estimateByLabelText(byLabel: NonNullable<ScanSummary['detection']>['estimatedByLabel'], max = 8): string | undefined {
  if (!byLabel) return undefined;
  // Labels the estimate leaves out (unsureLabels in src/detect/errorEstimate.ts) are named after the counted ones.
  const counted = byLabel.filter((e) => e.uncounted === undefined);
  const unsure = byLabel.filter((e) => e.uncounted !== undefined);
  const named = (labels: string[]) => (labels.length <= max ? labels.join(', ') : `${labels.slice(0, max).join(', ')} and ${labels.length - max} more`);
  const unsureText = unsure.length ? `not estimated for ${named(unsure.map((e) => e.label))} (the models are never sure a row has ${unsure.length === 1 ? 'this label' : 'these labels'})` : undefined;
  const countedText = countedByLabelText(counted, max);
  return countedText && unsureText ? `${countedText}; ${unsureText}` : (countedText ?? unsureText);
}

function countedByLabelText(byLabel: NonNullable<NonNullable<ScanSummary['detection']>['estimatedByLabel']>, max: number): string | undefined {
  if (byLabel.reduce((a, e) => a + e.errors, 0) < 0.5) return undefined;
  const sorted = [...byLabel].sort((a, b) => b.errors - a.errors);
  const listed = byLabel.length <= max ? sorted : sorted.filter((e) => e.errors >= 0.5).slice(0, max);
  if (listed.length === 0) return undefined;
  const words = listed.map((e) => `${e.label} ~${Math.round(e.errors)}${e.likelyClass !== undefined && e.errors >= 0.5 ? ` (mostly ${e.likelyClass})` : ''}`);
  const rest = byLabel.length - listed.length;
  return words.join(', ') + (rest > 0 ? `, and ${rest} more label${rest === 1 ? '' : 's'}` : '');
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
 * What a scan's explanations can do, as the engine stated it (ScanSummary.capabilities): the Newton
 * step and the trust check need logistic regression with the exact solver; probability and margin
 * objectives need logistic regression with influence functions.
 */
export interface ExplainCapabilities {
  newton: boolean;
  trust: boolean;
  objectives: boolean;
}

export function explainCapabilities(summary: Pick<ScanSummary, 'capabilities'>): ExplainCapabilities {
  const c = summary.capabilities;
  // Summaries cached before the engine stated its capabilities: offer only what every scan can do.
  if (!c) return { newton: false, trust: false, objectives: false };
  return { newton: c.modes.includes('newton'), trust: c.trust, objectives: c.objectives.includes('probability') && c.objectives.includes('margin') };
}

/** The explanation options a scan supports: other objectives only when possible, the Newton step only when possible and with the loss. */
export function supportedOptions<T extends { mode: ExplainMode; objective: ExplainObjective }>(opts: T, caps: ExplainCapabilities): T {
  const objective: ExplainObjective = caps.objectives ? opts.objective : 'loss';
  const mode: ExplainMode = caps.newton && objective === 'loss' ? opts.mode : 'influence';
  return { ...opts, objective, mode };
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

/** A probability as a short percentage: 2 significant digits below 10%, whole percent above. */
function pct(p: number): string {
  const v = p * 100;
  if (v === 0) return '0%';
  return v < 10 ? `${Number(v.toPrecision(2))}%` : `${v.toFixed(0)}%`;
}

/**
 * A row's suggested label with the detector's out-of-fold probability of it, e.g. "spam (89%)"; the
 * label alone where the scan has no such probability (label suspicion's suggestion, without a
 * detector); undefined where there is no suggestion other than the label.
 */
export function suggestedLabelText(e: Pick<ExampleRow, 'label' | 'suggestedLabel' | 'suggestedProbability'>): string | undefined {
  if (e.suggestedLabel === undefined || e.suggestedLabel === e.label) return undefined;
  const p = suggestionProbability(e);
  return p !== undefined ? `${e.suggestedLabel} (${pct(p)})` : e.suggestedLabel;
}

/** The detector's out-of-fold probability of a row's suggested label, where it suggests one other than the label. */
function suggestionProbability(e: Pick<ExampleRow, 'label' | 'suggestedLabel' | 'suggestedProbability'>): number | undefined {
  const p = e.suggestedProbability;
  return e.suggestedLabel !== undefined && e.suggestedLabel !== e.label && p !== undefined && Number.isFinite(p) ? p : undefined;
}

/**
 * Why a row is suspicious, in one sentence from what the scan measured: the out-of-sample probability
 * of its given label (the detector's out-of-fold probability, from models that did not see the row; else
 * label suspicion's reweighted leave-one-out probability; with the detector's, that of the suggested label
 * too), and how many of its nearest neighbours on
 * the standardised features carry another label. Undefined when the scan has neither (clusters,
 * networks without a detector).
 */
export function whySuspicious(e: ExampleRow): string | undefined {
  if (e.cluster !== undefined) return undefined;
  const parts: string[] = [];
  if (e.labelProbability !== undefined) {
    const p = suggestionProbability(e);
    const other = p !== undefined ? ` and '${e.suggestedLabel}' ${pct(p)}` : '';
    parts.push(`the model gives its label '${e.label}' ${pct(e.labelProbability)} out of sample (the detector's out-of-fold probability, from models fitted without this row)${other}`);
  } else if (e.labelSuspicion !== undefined) {
    parts.push(`the model refitted without this row gives its label '${e.label}' ${pct(Math.exp(-e.labelSuspicion))}`);
  }
  const n = e.neighbours;
  if (n && n.k > 0) {
    const other = n.k - n.sameLabel;
    parts.push(
      other === 0
        ? `all ${n.k} of its nearest neighbours (standardised features) carry its label`
        : `${other} of its ${n.k} nearest neighbours (standardised features) carry another label` +
            (n.otherLabel !== undefined ? (n.otherCount === other ? ` ('${n.otherLabel}')` : ` (most often '${n.otherLabel}': ${n.otherCount})`) : ''),
    );
  }
  if (parts.length === 0) return undefined;
  const s = parts.join('; ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}
