/**
 * The estimated number of wrong labels (estimateWrongLabels; docs/detection.md, "Estimates of the
 * number of wrong labels"): with two or more candidate models, the mean of an upper and a lower
 * estimate.
 *
 * - Upper: the smaller of (a) and (b) below, which both count the model's own confident confusions
 *   (hard rows it gets wrong) as label errors where the model is weak, so that the smaller is the less
 *   inflated.
 *   a. The restricted calibrated confident joint of the out-of-fold probabilities (confidentJoint with
 *      onlyWhereMoreProbable): row i labelled y counts for class j = argmax_{c: p_ic >= t_c} p_ic if j
 *      is also its most probable class, else for y; each row of the count matrix is rescaled to the
 *      number of rows labelled y; the estimate is its off-diagonal sum.
 *   b. Anchor rows (Scott 2015; Patrini et al. 2017; anchorEstimate): among the rows whose most
 *      probable class is j, the tenth with the highest p_j (at least 10 rows, or all) are taken as
 *      truly j; the share of them labelled otherwise estimates the rate at which class j's labels were
 *      changed; the estimate is sum_j rate_j x (rows labelled j).
 * - Lower: the consensus joint (consensusJoint) of the two candidates with the lowest out-of-fold log
 *   loss (consensusVoters): a row counts as an error only where both, each with its own thresholds,
 *   confidently put it in the same other class. A confusion of one model (a linear model on curved
 *   classes, kNN on sparse text) is not counted, but neither is a wrong label that one of them misses,
 *   so it errs low where one of them is weak; the weakest of three candidates does not vote.
 *
 * With one model there is no consensus: the estimate is the upper one. Labels whose anchor rows get
 * p_j < 1/2 on average (unsureLabels: no row is surely of that class, so its wrong labels cannot be told
 * from rows between similar classes) are left out of the estimate, and the scan says so
 * (unsureLabelsNote). estimateByLabel splits the estimate by given label.
 */
import { choices } from '../options/options';
import { confidentJoint, consensusJoint, mostProbableClass } from './confidentJoint';

/**
 * Which candidates vote in the consensus joint: the two with the lowest out-of-fold log loss of the
 * given labels (ties by order), in their order; all of them when there are two or fewer.
 */
export function consensusVoters(reports: readonly { logLoss: number }[]): number[] {
  const order = reports.map((_, m) => m);
  if (order.length <= 2) return order;
  return order
    .slice()
    .sort((a, b) => reports[a].logLoss - reports[b].logLoss || a - b)
    .slice(0, 2)
    .sort((a, b) => a - b);
}

/**
 * Anchor-row estimate of the number of wrong labels: for each class j, the rows whose most probable
 * class is j, the top tenth by p_j (at least `minAnchors`, or all of them) taken as truly j; rate_j =
 * share of them labelled otherwise; estimate sum_j rate_j x (rows labelled j). Ties at the cut are
 * taken in row order. No array of row indices: per class, a sorted Float64Array of its p_j gives the
 * cut value T; the anchors are the rows above T and the first ones (by row) at T. A NaN probability
 * never wins a row's most probable class and never makes it an anchor (it sorts below every number).
 * `purity[j]` is the mean p_j over class j's anchors (NaN where no row is predicted j): how sure the
 * models are of the rows they are surest are j (unsureLabels).
 */
export function anchorEstimate(P: Float64Array, y: Int32Array, N: number, K: number, minAnchors = 10): { errors: number; rates: Float64Array; purity: Float64Array } {
  const prob = (i: number, c: number): number => (Number.isNaN(P[i * K + c]) ? -Infinity : P[i * K + c]);
  // A row whose probabilities are all NaN counts for class 0 (it never becomes an anchor).
  const top = (i: number): number => Math.max(0, mostProbableClass(P, i, K));
  const labelled = new Float64Array(K);
  const count = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    labelled[y[i]]++;
    count[top(i)]++;
  }
  const rates = new Float64Array(K);
  const purity = new Float64Array(K).fill(NaN);
  let errors = 0;
  for (let j = 0; j < K; j++) {
    const n = count[j];
    const m = Math.min(n, Math.max(minAnchors, Math.ceil(n / 10)));
    if (m === 0) continue;
    const keys = new Float64Array(n);
    for (let i = 0, u = 0; i < N; i++) if (top(i) === j) keys[u++] = prob(i, j);
    const cut = keys.sort()[n - m];
    let above = 0;
    for (let u = 0; u < n; u++) if (keys[u] > cut) above++;
    let atCut = m - above, other = 0, sum = 0;
    for (let i = 0; i < N; i++) {
      if (top(i) !== j) continue;
      const p = prob(i, j);
      if (p > cut || (p === cut && atCut-- > 0)) {
        sum += p;
        if (y[i] !== j) other++;
      }
    }
    rates[j] = other / m;
    purity[j] = sum / m;
    errors += rates[j] * labelled[j];
  }
  return { errors, rates, purity };
}

/**
 * The labels whose wrong rows the estimate cannot tell from rows between similar classes: labels that
 * some row carries and whose anchor rows (anchorEstimate: the tenth of the rows predicted j the models
 * are surest of) get on average p_j < 1/2. Where a label is right more often than not, as confident
 * learning assumes, rows truly of class j get p_j = P(label j | truly j) > 1/2 from calibrated models
 * wherever the features settle the class; a class whose surest rows stay below that has no such rows,
 * and both the confident joint and the anchors count its overlap with other classes as wrong labels.
 * On the income set (9 income bands, 33% out-of-fold accuracy) 6 of 9 labels were unsure, held 72% of
 * the estimate, and the estimate was 3.7 times the true count; leaving them out made it 1.1 times
 * (docs/detection.md, session 19). A label no row is predicted as (purity NaN) is not unsure: its rows
 * are all predicted otherwise, and they are counted.
 */
export function unsureLabels(purity: Float64Array, y: Int32Array, K: number): boolean[] {
  const labelled = new Float64Array(K);
  for (let i = 0; i < y.length; i++) labelled[y[i]]++;
  return Array.from(purity, (p, j) => labelled[j] > 0 && p < 0.5);
}

/**
 * The error-count estimate split by given label and estimated true class: the restricted confident
 * joint's off-diagonal cells scaled to the upper estimate (so they sum to it), averaged cell by cell
 * with the consensus joint's when there is one (which sums to the lower estimate). So errors[y] (the
 * off-diagonal sum of row y) add up to the estimate itself, and likelyClass[y] is the row's largest
 * off-diagonal cell (-1 where the row has none). A label marked in `unsure` (unsureLabels) is not
 * counted: its row's sum goes to uncounted[y] and errors[y] is 0 (its likelyClass is still the row's
 * largest cell).
 */
export function estimateByLabel(
  restricted: { joint: Float64Array; errors: number },
  upper: number,
  consensus: { joint: Float64Array } | undefined,
  K: number,
  unsure: readonly boolean[] = [],
): { errors: Float64Array; likelyClass: Int32Array; uncounted: Float64Array } {
  const scale = restricted.errors > 0 ? upper / restricted.errors : 0;
  const errors = new Float64Array(K);
  const uncounted = new Float64Array(K);
  const likelyClass = new Int32Array(K).fill(-1);
  for (let a = 0; a < K; a++) {
    let best = 0;
    for (let b = 0; b < K; b++) {
      if (a === b) continue;
      const u = restricted.joint[a * K + b] * scale;
      const e = consensus ? (u + consensus.joint[a * K + b]) / 2 : u;
      errors[a] += e;
      if (e > best) {
        best = e;
        likelyClass[a] = b;
      }
    }
    if (unsure[a]) {
      uncounted[a] = errors[a];
      errors[a] = 0;
    }
  }
  return { errors, likelyClass, uncounted };
}

/**
 * A note for the scan when the estimate leaves labels out (`unsure`, unsureLabels of `purity`): which,
 * how many rows they hold, how sure the models are of their surest rows, and how many wrong labels
 * confident learning would have counted there. Undefined when every label is counted.
 */
export function unsureLabelsNote(unsure: readonly boolean[], uncounted: Float64Array, purity: Float64Array, y: Int32Array, classes: readonly string[]): string | undefined {
  const which = unsure.flatMap((u, j) => (u ? [j] : []));
  if (which.length === 0) return undefined;
  let rows = 0;
  for (let i = 0; i < y.length; i++) if (unsure[y[i]]) rows++;
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  const lo = Math.min(...which.map((j) => purity[j]));
  const hi = Math.max(...which.map((j) => purity[j]));
  const left = which.reduce((a, j) => a + uncounted[j], 0);
  const one = which.length === 1;
  return (
    `Wrong labels among the rows labelled ${choices(which.map((j) => `'${classes[j]}'`), 'and')} (${rows} row${rows === 1 ? '' : 's'}, ${pct(rows / y.length)} of the file) are not counted in the estimate: ` +
    `the models are never sure a row has ${one ? 'this label' : 'one of these labels'} (their surest rows get ${one ? 'it' : 'them'} ${lo === hi ? pct(lo) : `${pct(lo)}-${pct(hi)}`} on average, below 1/2), ` +
    `so a wrong label there cannot be told from a row between similar classes. Counted as confident learning counts them, they would add ~${Math.round(left)}. Their rows are still ranked.`
  );
}

/** The estimate of the number of wrong labels and how it was made, as detectLabelErrors reports it. */
export interface WrongLabelEstimate {
  estimatedErrors: number;
  /** The method in words, with the upper and lower estimates and the labels left out. */
  estimateMethod: string;
  /**
   * The estimate split by given label (estimateByLabel): errors[y] = estimated wrong labels among the
   * rows labelled y (sums to estimatedErrors); likelyClass[y] = the class most of them are estimated to
   * truly be (-1 where none); uncounted[y] = the errors of an unsure label (unsureLabels) left out of
   * the estimate (errors[y] is then 0).
   */
  estimateByLabel: { errors: Float64Array; likelyClass: Int32Array; uncounted: Float64Array };
  /** Per class, the mean p_j over the rows the models are surest are j (anchorEstimate; NaN where no row is predicted j); unsureLabels. */
  anchorPurity: Float64Array;
  /** Per class, whether the estimate leaves the label out (unsureLabels of anchorPurity). */
  unsure: boolean[];
  /** K x K restricted calibrated confident joint (row = given label, column = estimated true class). */
  confidentJoint: Float64Array;
}

/**
 * The estimated number of wrong labels (this module's header) from the ranking model's out-of-sample
 * probabilities `proba` with confident learning's thresholds, and the candidates that vote in the
 * consensus (consensusVoters; each named, with its own out-of-sample probabilities): with fewer than
 * two there is no consensus and the estimate is the upper one. `classes` names the labels in the
 * method text (class numbers without them).
 */
export function estimateWrongLabels(
  proba: Float64Array,
  y: Int32Array,
  N: number,
  K: number,
  thresholds: Float64Array,
  voters: readonly { model: string; proba: Float64Array }[],
  classes?: readonly string[],
): WrongLabelEstimate {
  const cj = confidentJoint(proba, y, thresholds, N, K, true);
  const anchors = anchorEstimate(proba, y, N, K);
  const upper = Math.min(cj.errors, anchors.errors);
  const consensusCounts = voters.length > 1 ? consensusJoint(voters.map((v) => v.proba), y, N, K) : undefined;
  const consensus = consensusCounts?.errors;
  const unsure = unsureLabels(anchors.purity, y, K);
  const byLabel = estimateByLabel(cj, upper, consensusCounts, K, unsure);
  const uncounted = byLabel.uncounted.reduce((a, b) => a + b, 0);
  // Left as it was where every label is counted (the split adds up to it to rounding).
  const estimatedErrors = (consensus === undefined ? upper : (upper + consensus) / 2) - uncounted;
  const upperMethod =
    `the smaller of the calibrated confident joint of the out-of-fold probabilities (Northcutt et al. 2021; rows where another class is more probable), ${cj.errors.toFixed(0)}, ` +
    `and the anchor-row estimate (label changes among each class's most confident tenth), ${anchors.errors.toFixed(0)}`;
  const unsureWords = unsure.some((u) => u)
    ? `; not counted: ~${uncounted.toFixed(0)} more among the rows labelled ${choices(unsure.flatMap((u, j) => (u ? [`'${classes?.[j] ?? j}' (surest rows ${(anchors.purity[j] * 100).toFixed(0)}%)`] : [])), 'and')}, ` +
      'labels the models are never sure of (their surest rows get them below 1/2 on average), where a wrong label cannot be told from a row between similar classes'
    : '';
  return {
    estimatedErrors,
    estimateMethod:
      (consensus === undefined
        ? upperMethod
        : `mean of an upper estimate, ${upper.toFixed(0)}, that counts the model's own confident confusions (${upperMethod}), ` +
          `and a lower one, ${consensus.toFixed(0)}, that misses errors a single model does not see (the consensus joint: rows that ${choices(voters.map((v) => v.model), 'and')} each confidently put in the same other class)`) + unsureWords,
    estimateByLabel: byLabel,
    anchorPurity: anchors.purity,
    unsure,
    confidentJoint: cj.joint,
  };
}
