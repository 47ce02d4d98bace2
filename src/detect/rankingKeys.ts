/**
 * The label-quality scores the detector ranks rows by (detector.ts; docs/detection.md), each larger =
 * more suspected, and their combination by percentile ranks:
 *
 * a. Per-class calibrated self-confidence, as in confident learning (calibratedScores): with the
 *    ranking's thresholds t_j (confidentJoint.ts), q_ij = (p_ij / t_j) / sum_c (p_ic / t_c), the score
 *    -log q_i[y_i]. Dividing by t_j removes each class's own confidence level, so a minority class is
 *    not flagged wholesale and a majority class's errors are not hidden (both directions of errors).
 * b. Normalised margin (cleanlab's rank_by='normalized_margin'; normalisedMargin): max_{c != y} p_ic -
 *    p_i[y_i], how much more the model believes one other class than the given one. Where errors go from
 *    one class to one similar class, the receiving class's t_j is lowered by the errors it received,
 *    which hides them from (a); the margin does not depend on t. It is not calibrated per class, so the
 *    combination trades some of (a)'s balance between classes on strongly imbalanced data for recall
 *    under class-conditional noise.
 * c. The noise posterior (noisePosterior in confidentJoint.ts).
 *
 * combinedRankKey averages the rows' percentile ranks under several scores (ties share their mean
 * rank), in (0, 1]. Where the models predict the labels no better than the most common label, the
 * detector ranks by self-confidence alone, each model's ranks weighted by how well it separates the
 * given labels (selfConfidenceRankKey, labelSeparation). budgetKey, a per-label allocation of the
 * inspected rows, is measured in the research scripts and not used by the detector.
 */
import { Checkpoint, NO_CHECKPOINT } from '../util/cancel';
import { auroc, averageRanks } from '../eval/metrics';

/** -log q_i[y_i] with q_ic proportional to p_ic / t_c. */
export function calibratedScores(P: Float64Array, y: Int32Array, t: Float64Array, N: number, K: number): { rankKey: Float64Array; score: Float64Array } {
  const rankKey = new Float64Array(N);
  const score = new Float64Array(N);
  calibratedInto(P, y, t, N, K, rankKey, score);
  return { rankKey, score };
}

/** calibratedScores into the given arrays (either may be left out: detectLabelErrors makes them at different times). */
export function calibratedInto(P: Float64Array, y: Int32Array, t: Float64Array, N: number, K: number, rankKey?: Float64Array, score?: Float64Array): void {
  for (let i = 0; i < N; i++) {
    const own = Math.max(1e-300, P[i * K + y[i]]) / t[y[i]];
    let others = 0;
    for (let c = 0; c < K; c++) if (c !== y[i]) others += P[i * K + c] / t[c];
    if (rankKey) rankKey[i] = Math.log1p(others / own);
    if (score) score[i] = others / (own + others);
  }
}

/** Normalised margin max_{c != y} p_ic - p_i[y_i] (in [-1, 1]; > 0 where another class is more probable). */
export function normalisedMargin(P: Float64Array, y: Int32Array, N: number, K: number): Float64Array {
  const m = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let best = -Infinity;
    for (let c = 0; c < K; c++) if (c !== y[i] && P[i * K + c] > best) best = P[i * K + c];
    m[i] = (K > 1 ? best : 0) - P[i * K + y[i]];
  }
  return m;
}

/**
 * A ranking that spends the inspection budget across the given labels in proportion to each label's
 * estimated number of errors (the calibrated confident joint's off-diagonal row sums, e_y): the row
 * ranked r-th (0-based) by rankKey among the rows labelled y gets key (r + 1/2) / e_y; smaller = more
 * suspected. So the top of the list takes from each label about its share of the estimated errors,
 * as confident learning's prune-by-noise-rate flags e_y rows per label. Returns a descending key.
 */
export function budgetKey(rankKey: Float64Array, y: Int32Array, joint: Float64Array, N: number, K: number): Float64Array {
  const e = new Float64Array(K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) if (a !== b) e[a] += joint[a * K + b];
  const byLabel: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < N; i++) byLabel[y[i]].push(i);
  const out = new Float64Array(N);
  for (let c = 0; c < K; c++) {
    const rows = byLabel[c].sort((a, b) => rankKey[b] - rankKey[a] || a - b);
    // A label with no estimated errors still lets its rows in, after every budgeted row (e = 1/2 of a row).
    const budget = Math.max(0.5, e[c]);
    rows.forEach((i, r) => (out[i] = -((r + 0.5) / budget) + 1e-9 * rankKey[i]));
  }
  return out;
}

/**
 * How well probabilities separate the given labels, whatever their calibration: the mean over the
 * classes (those with rows both labelled and not labelled with them) of the AUROC of p_c for the rows
 * labelled c against the others. 1/2 = no better than chance; NaN where no class qualifies. Under label
 * noise that does not depend on the features, the AUROC against the noisy labels is an increasing
 * affine function of the AUROC against the true ones for two classes (Menon et al. 2015), so it orders
 * models as the clean labels would.
 */
export async function labelSeparation(P: Float64Array, y: Int32Array, N: number, K: number, cp: Checkpoint = NO_CHECKPOINT): Promise<number> {
  const count = new Float64Array(K);
  for (let i = 0; i < N; i++) count[y[i]]++;
  let sum = 0;
  let classes = 0;
  for (let c = 0; c < K; c++) {
    if (count[c] === 0 || count[c] === N) continue;
    sum += auroc(
      Float64Array.from({ length: N }, (_, i) => P[i * K + c]),
      Array.from(y, (v) => v === c),
    );
    classes++;
    // One sort of N per class: at 200,000 rows and tens of classes, seconds.
    await cp.tick();
  }
  return classes > 0 ? sum / classes : NaN;
}

/**
 * The ranking where the models predict the labels no better than the most common label (weakModel):
 * each model's percentile ranks of 1 - p_i[y_i] (self-confidence), averaged with weights proportional
 * to how much better than chance it separates the given labels (labelSeparation - 1/2, at least 0;
 * equal weights where none separates them). There the probabilities carry little besides the label
 * shares, so the likelihood's mixture favours the best-calibrated model (kNN's near-prior
 * probabilities on ticdata), while the ranking needs the one that orders rows best (docs/detection.md,
 * session 20). One model: the percentile ranks of its self-confidence.
 */
export async function selfConfidenceRankKey(
  probas: readonly Float64Array[],
  y: Int32Array,
  N: number,
  K: number,
  cp: Checkpoint = NO_CHECKPOINT,
): Promise<{ key: Float64Array; separation: number[]; weights: number[] }> {
  const separation: number[] = [];
  if (probas.length > 1) for (const P of probas) separation.push(await labelSeparation(P, y, N, K, cp));
  else separation.push(NaN);
  const raw = separation.map((a) => (Number.isFinite(a) ? Math.max(0, a - 0.5) : 0));
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = total > 0 ? raw.map((w) => w / total) : raw.map(() => 1 / probas.length);
  const selfConfidence = (P: Float64Array) => () => Float64Array.from({ length: N }, (_, i) => 1 - P[i * K + y[i]]);
  return { key: combinedRankKey(probas.map(selfConfidence), N, weights), separation, weights };
}

/**
 * Mean of the percentile ranks (rank / N, ties averaged) of several scores, larger = more suspected: in (0, 1].
 * A score may be given as a function that makes it, called when its turn comes: then only one score
 * and its ranks exist at a time (the first score's ranks become the result), 2 N numbers less at the
 * peak than scores made up front (detectLabelErrors at millions of rows). The sums run in the same
 * order either way (0 + the first term is that term exactly). With `weights` (summing to 1) the mean is
 * weighted, and a score of weight 0 is never made.
 */
export function combinedRankKey(scores: (Float64Array | (() => Float64Array))[], N: number, weights?: readonly number[]): Float64Array {
  let out: Float64Array | undefined;
  scores.forEach((score, m) => {
    if (weights && weights[m] === 0) return;
    const r = averageRanks(typeof score === 'function' ? score() : score);
    // One pass per score, as without weights (millions of rows): the first score's ranks become the sum.
    if (!out) {
      if (weights) for (let i = 0; i < N; i++) r[i] = (weights[m] * r[i]) / N;
      else for (let i = 0; i < N; i++) r[i] = r[i] / N / scores.length;
      out = r;
    } else if (weights) for (let i = 0; i < N; i++) out[i] += (weights[m] * r[i]) / N;
    else for (let i = 0; i < N; i++) out[i] += r[i] / N / scores.length;
  });
  return out ?? new Float64Array(N);
}
