/**
 * What the "Suspicious Rows" tree shows, without `vscode` (unit-tested): the top rows of the ranking by
 * global influence, filtered by class, as a ranked list or grouped by class, each with its reviewed
 * flag. suspiciousTree.ts turns these nodes into TreeItems.
 */
import type { ExampleRow, RankBy } from '../src/protocol/types';
import { suggestedLabelText, whySuspicious } from '../src/protocol/wording';

export { suggestedLabelText, whySuspicious };

export type TreeMode = 'ranked' | 'byClass';

export interface TreeOptions {
  mode: TreeMode;
  /** Show only rows whose given label is one of these (undefined or empty: all classes). */
  classes?: readonly string[];
  /** How many rows to show (after the class filter). */
  limit: number;
  reviewed: ReadonlySet<number>;
  /** Rows left out: labels marked correct, or changed since the scan. */
  hidden?: ReadonlySet<number>;
  /** Order of the class groups (the scan's class list); classes not in it go last, by name. */
  classOrder?: readonly string[];
}

export interface RowNode {
  kind: 'row';
  example: ExampleRow;
  /** 0-based rank in the whole ranking. */
  rank: number;
  reviewed: boolean;
}

export interface ClassNode {
  kind: 'class';
  label: string;
  rows: RowNode[];
  reviewedCount: number;
}

export type TreeNode = RowNode | ClassNode;

/**
 * Builds the tree from ranked rows (the ranking's first page, best first). Rows lacking `rank` get
 * their position in `rows`.
 */
export function buildTree(rows: readonly ExampleRow[], opts: TreeOptions): TreeNode[] {
  const wanted = opts.classes && opts.classes.length > 0 ? new Set(opts.classes) : undefined;
  const limit = Math.max(0, Math.floor(opts.limit));
  const picked: RowNode[] = [];
  for (let i = 0; i < rows.length && picked.length < limit; i++) {
    const example = rows[i];
    if (wanted && !wanted.has(example.label)) continue;
    if (opts.hidden?.has(example.row)) continue;
    picked.push({ kind: 'row', example, rank: example.rank ?? i, reviewed: opts.reviewed.has(example.row) });
  }
  if (opts.mode === 'ranked') return picked;

  const groups = new Map<string, RowNode[]>();
  for (const node of picked) {
    const g = groups.get(node.example.label);
    if (g) g.push(node);
    else groups.set(node.example.label, [node]);
  }
  const position = new Map((opts.classOrder ?? []).map((c, i) => [c, i]));
  const labels = [...groups.keys()].sort((a, b) => {
    const pa = position.get(a) ?? Infinity;
    const pb = position.get(b) ?? Infinity;
    return pa !== pb ? pa - pb : a < b ? -1 : a > b ? 1 : 0;
  });
  return labels.map((label) => {
    const g = groups.get(label)!;
    return { kind: 'class', label, rows: g, reviewedCount: g.filter((n) => n.reviewed).length };
  });
}

/**
 * The rows the tree picks from: the first page, with `extra` rows of the same ranking (each class's
 * top rows, Results.classTops) merged in by rank; a row in both is taken once. Without `extra`, the
 * first page as it is.
 */
export function rowsWithClassTops(first: readonly ExampleRow[], extra: readonly ExampleRow[] | undefined): readonly ExampleRow[] {
  if (!extra || extra.length === 0) return first;
  const seen = new Set(first.map((e) => e.row));
  const merged = [...first.map((e, i) => ({ ...e, rank: e.rank ?? i })), ...extra.filter((e) => !seen.has(e.row))];
  return merged.sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0) || a.row - b.row);
}

/** A score for display: 3 significant digits, exponent notation for very small or large values. */
export function formatScore(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}

/** The tree item's label: the data row (0-based, as everywhere in the product). */
export function rowNodeLabel(node: RowNode): string {
  return `row ${node.example.row}`;
}

/** The score a row is ranked by (label suspicion, or global influence / its stand-in). */
export function rankedScore(e: ExampleRow, rankBy: RankBy = 'globalInfluence'): number {
  if (rankBy === 'labelSuspicion' && e.labelSuspicion !== undefined) return e.labelSuspicion;
  if (rankBy === 'labelIssue' && e.labelIssueScore !== undefined) return e.labelIssueScore;
  if (rankBy === 'loss') return e.loss;
  return e.globalInfluence;
}

/**
 * The tree item's description: label, predicted label, the suggested label (when the scan computed one
 * and it differs from the label; with the detector's out-of-fold probability of it) and the score the
 * list is ranked by. Rows of an unsupervised scan:
 * their cluster and distance to its centre.
 */
export function rowNodeDescription(node: RowNode, rankBy: RankBy = 'globalInfluence'): string {
  const e = node.example;
  const reviewed = node.reviewed ? ' · reviewed' : '';
  if (e.cluster !== undefined) return `cluster ${e.cluster} · distance ${formatScore(e.globalInfluence)}${reviewed}`;
  const score = formatScore(rankedScore(e, rankBy));
  const suggested = suggestedLabelText(e);
  if (suggested === undefined) return `label ${e.label} · predicted ${e.predicted} · ${score}${reviewed}`;
  // The change the row asks for first, short enough for a narrow sidebar: "label 7 → 1 (97%)". The
  // explaining model's prediction only where it differs from the detector's suggestion.
  const predicted = e.suggestedLabel === e.predicted ? '' : ` · predicted ${e.predicted}`;
  return `label ${e.label} → ${suggested}${predicted} · ${score}${reviewed}`;
}

/**
 * What a row's score means, in words: the label-issue score as the detector's mean percentile rank,
 * label suspicion as the probability the model gives the label out of sample (labelSuspicion = -ln p'),
 * global influence as how strongly the row pulls the fit.
 */
export function scoreInWords(e: ExampleRow, summary?: { dataset: { rows: number }; detection?: { rankedBy?: 'combined' | 'selfConfidence'; models?: readonly unknown[] } }): string {
  if (e.cluster !== undefined) return `Distance ${formatScore(e.globalInfluence)} from the centre of cluster ${e.cluster}: larger is more atypical for its cluster.`;
  const parts: string[] = [];
  if (e.labelIssueScore !== undefined && summary?.detection?.rankedBy === 'selfConfidence') {
    const several = (summary.detection.models?.length ?? 0) > 1;
    parts.push(
      `Label issue ${formatScore(e.labelIssueScore)}: the out-of-sample detector's ranking score, the row's percentile rank by how little ` +
        `${several ? "the models' out-of-fold probabilities believe the label, each model weighted by how well it separates the labels" : 'its out-of-fold probabilities believe the label'} ` +
        `(the models predict the labels no better than the most common label, so the scan ranks by that alone); 1 = the least believed label.`,
    );
  } else if (e.labelIssueScore !== undefined) {
    parts.push(
      `Label issue ${formatScore(e.labelIssueScore)}: the out-of-sample detector's ranking score, the mean of the row's percentile ranks by three scores of its out-of-fold probabilities ` +
        `(how much less it believes the label than that class's typical row, how much more it believes another class, and the noise model's probability that the label is wrong); 1 = first by all three.`,
    );
  }
  if (e.labelSuspicion !== undefined) {
    const p = Math.exp(-e.labelSuspicion);
    const pct = p * 100;
    parts.push(
      `Label suspicion ${formatScore(e.labelSuspicion)}: out of sample (refitted without this row) the model gives its label '${e.label}' ` +
        `a probability of ${pct < 10 ? pct.toPrecision(2) : pct.toFixed(0)}% (suspicion = −ln p; 0.69 is 50%, 2.3 is 10%, 4.6 is 1%).`,
    );
    if (e.suggestedLabel !== undefined && e.suggestedLabel !== e.label) parts.push(`The model believes '${e.suggestedLabel}' more.`);
  }
  parts.push(
    `Global influence ${formatScore(e.globalInfluence)}: how strongly this row pulls the fitted model (self-influence${summary ? ` over ${summary.dataset.rows} rows` : ''}); large for mislabelled rows and outliers.`,
  );
  if (e.predicted !== e.label) parts.push(`The fitted model predicts '${e.predicted}', not its label '${e.label}'.`);
  return parts.join(' ');
}

/** Review progress over the listed rows: how many are decided (fixed, marked correct or reviewed). */
export function reviewProgress(listed: readonly number[], decided: ReadonlySet<number>): { done: number; total: number } {
  return { done: listed.filter((r) => decided.has(r)).length, total: listed.length };
}

export function classNodeLabel(node: ClassNode): string {
  return `class ${node.label}`;
}

/**
 * The class group's description: its rows shown, how many reviewed, and the scan's estimate of wrong
 * labels among all rows with this label (when given; "no estimate" for a label the estimate leaves out).
 */
export function classNodeDescription(node: ClassNode, estimate?: { errors: number; uncounted?: number }): string {
  const n = node.rows.length;
  const est = !estimate ? '' : estimate.uncounted !== undefined ? ' · no estimate' : Number.isFinite(estimate.errors) ? ` · est. ~${Math.round(estimate.errors)} wrong` : '';
  return `${n} row${n === 1 ? '' : 's'}` + (node.reviewedCount > 0 ? `, ${node.reviewedCount} reviewed` : '') + est;
}

/**
 * The sentence the sidebar message ends with when filtered by class: the scan's estimate of wrong labels
 * among all rows with the filtered labels (not only those listed), e.g. "Est. ~3 wrong labels among all
 * rows labelled 7." Empty without a filter or without an estimate for every filtered label.
 */
export function classFilterEstimate(classes: readonly string[], estimates?: readonly { label: string; errors: number; uncounted?: number }[]): string {
  if (classes.length === 0) return '';
  const est = classes.map((c) => estimates?.find((e) => e.label === c));
  if (!est.every((e) => e !== undefined && Number.isFinite(e.errors))) return '';
  const unsure = classes.filter((_, i) => est[i]!.uncounted !== undefined);
  const counted = classes.filter((_, i) => est[i]!.uncounted === undefined);
  const none = unsure.length ? ` No estimate for ${unsure.join(' or ')}: the models are never sure a row has ${unsure.length === 1 ? 'that label' : 'those labels'}.` : '';
  if (counted.length === 0) return none;
  const n = Math.round(est.reduce((a: number, e) => a + (e!.uncounted === undefined ? e!.errors : 0), 0));
  return ` Est. ~${n} wrong label${n === 1 ? '' : 's'} among all rows labelled ${counted.join(' or ')}.${none}`;
}

/** The class group's tooltip: the scan's estimate for the label in a sentence (undefined without one). */
export function classNodeTooltip(label: string, estimate?: { errors: number; likelyClass?: string; uncounted?: number; surest?: number }): string | undefined {
  if (!estimate || !Number.isFinite(estimate.errors)) return undefined;
  if (estimate.uncounted !== undefined) {
    const surest = estimate.surest !== undefined && Number.isFinite(estimate.surest) ? ` (${Math.round(estimate.surest * 100)}% on average)` : '';
    return (
      `The scan does not estimate how many rows labelled ${label} are wrong: even the rows the models are surest are ${label} get it below 1/2${surest}, ` +
      `so a wrong label cannot be told from a row between similar classes. Confident learning would count about ${Math.round(estimate.uncounted)}. The rows are still ranked.`
    );
  }
  const n = Math.round(estimate.errors);
  const most = n > 0 && estimate.likelyClass !== undefined ? `, most of them truly ${estimate.likelyClass}` : '';
  return `The scan estimates that about ${n} of the rows labelled ${label} have a wrong label${most} (all rows with this label, not only those listed).`;
}
