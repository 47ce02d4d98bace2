/**
 * Cross-fitted (out-of-fold) class probabilities: every row is predicted by a model fitted on the
 * other folds only, so no model scores a row it has seen (docs/detection.md). Candidate models:
 *
 *   logistic  L2-regularised multinomial logistic regression (src/model/logistic.ts, float64), one
 *             fit per fold, warm-started at the previous fold's optimum (strictly convex: only the
 *             iteration count depends on the start).
 *   knn       k nearest neighbours (squared Euclidean distance) on the features z-scored over all
 *             rows (no label enters the scaling), among rows of the OTHER folds. Class probabilities
 *             (count_c + prior_c) / (k + 1), prior = the class shares of the row's training folds
 *             (one pseudo-neighbour, so no probability is 0). One pass over all pairs i < j keeps
 *             each row's nearest other-fold neighbours; the number of neighbours k is chosen from
 *             KNN_CANDIDATES by out-of-fold log loss. Above KNN_EXACT_MAX_ROWS rows the all-pairs pass
 *             would be quadratic (a million rows: 5e11 pairs), so neighbours are searched among a
 *             seeded random reference sample of KNN_REFERENCE_ROWS rows instead (each row against the
 *             sample rows of other folds: N x KNN_REFERENCE_ROWS distances, linear in N).
 *
 * Folds are stratified and seeded (stratifiedFolds, shared with the confident-learning baseline).
 */
import type { Checkpoint } from '../util/cancel';
import { fitLogistic, predictProba, type LogisticData } from '../model/logistic';
import { RangeCheckpoint } from '../util/cancel';
import { SeededRandom } from '../util/random';
import { stratifiedFolds } from '../eval/confidentLearning';

export { stratifiedFolds };

/** Rows `rows` of data as a LogisticData of their own. */
export function subsetRows(data: LogisticData, rows: ArrayLike<number>): LogisticData {
  const { X, D, K, y } = data;
  const n = rows.length;
  const Xs = new Float64Array(n * D);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    Xs.set(X.subarray(r * D, (r + 1) * D), i * D);
    ys[i] = y[r];
  }
  return { X: Xs, N: n, D, K, y: ys };
}

/** Row indices per fold. */
export function foldMembers(folds: Int32Array, k: number): { train: Int32Array; held: Int32Array }[] {
  const out: { train: Int32Array; held: Int32Array }[] = [];
  for (let f = 0; f < k; f++) {
    const held: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < folds.length; i++) (folds[i] === f ? held : train).push(i);
    out.push({ train: Int32Array.from(train), held: Int32Array.from(held) });
  }
  return out;
}

export interface OutOfFold {
  /** N x K out-of-fold probabilities. */
  proba: Float64Array;
  /** Model-specific detail for the report (e.g. "k = 15"). */
  detail: string;
}

/**
 * The training rows a model fitted for fold f may see, for tests and audits: a fit callback receives
 * exactly the rows of the other folds (trainRows) and predicts exactly the fold's rows (heldRows).
 */
export type FoldFitter = (train: LogisticData, trainRows: Int32Array, heldRows: Int32Array, fold: number) => Promise<Float64Array>;

/**
 * Generic cross-fitting: for every fold, fit on the other folds' rows and predict the fold's rows.
 * `fitPredict` returns the held rows' N_f x K probabilities.
 */
export async function crossFit(data: LogisticData, folds: Int32Array, k: number, fitPredict: FoldFitter, cp?: Checkpoint): Promise<Float64Array> {
  const { N, K } = data;
  const proba = new Float64Array(N * K).fill(NaN);
  const members = foldMembers(folds, k);
  for (let f = 0; f < k; f++) {
    const { train, held } = members[f];
    if (train.length === 0 || held.length === 0) throw new RangeError(`crossFit: fold ${f} has ${held.length} held and ${train.length} training rows`);
    const P = await fitPredict(subsetRows(data, train), train, held, f);
    if (P.length !== held.length * K) throw new RangeError(`crossFit: fold ${f} returned ${P.length} probabilities for ${held.length} rows`);
    for (let i = 0; i < held.length; i++) proba.set(P.subarray(i * K, (i + 1) * K), held[i] * K);
    await cp?.tick((f + 1) / k);
  }
  return proba;
}

/** Out-of-fold probabilities of L2 logistic regression (l2 as the scan's model). */
export async function logisticOutOfFold(data: LogisticData, folds: Int32Array, k: number, l2: number, cp?: Checkpoint): Promise<OutOfFold> {
  let init: Float64Array | undefined;
  let iterations = 0;
  const proba = await crossFit(
    data,
    folds,
    k,
    async (train, _tr, held, f) => {
      const fit = await fitLogistic(train, { l2, init, checkpoint: cp && new RangeCheckpoint(cp, f / k, (f + 1) / k) });
      init = fit.W;
      iterations += fit.iterations + fit.newtonSteps;
      const h = subsetRows(data, held);
      return predictProba(fit.W, h.X, h.N, data.D, data.K);
    },
    cp,
  );
  return { proba, detail: `L2 = ${l2}, ${k} fits, ${iterations} iterations` };
}

/** Numbers of neighbours tried; the one with the lowest out-of-fold log loss is kept. */
export const KNN_CANDIDATES = [5, 10, 20, 40];

/**
 * Feature columns z-scored over all rows (constant columns, such as the bias, dropped): N x d.
 * Unsupervised, so using every row does not leak labels across folds.
 */
export function standardise(data: LogisticData): { Z: Float64Array; d: number } {
  const { X, N, D } = data;
  const keep: number[] = [];
  const mean = new Float64Array(D);
  const sd = new Float64Array(D);
  for (let a = 0; a < D; a++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += X[i * D + a];
    const m = s / N;
    let v = 0;
    for (let i = 0; i < N; i++) v += (X[i * D + a] - m) ** 2;
    mean[a] = m;
    sd[a] = Math.sqrt(v / N);
    if (sd[a] > 1e-12 * Math.max(1, Math.abs(m))) keep.push(a);
  }
  const d = keep.length;
  const Z = new Float64Array(N * d);
  for (let i = 0; i < N; i++) for (let j = 0; j < d; j++) Z[i * d + j] = (X[i * D + keep[j]] - mean[keep[j]]) / sd[keep[j]];
  return { Z, d };
}

/** Largest row count for which kNN searches all pairs (N^2 / 2 distances; 50,000 rows: 1.25e9). */
/**
 * The squared distance between the d-vectors at Z[io..] and Z[jo..], summed in order and given up
 * once it reaches `bound` (then the partial sum, >= bound, is returned: the caller rejects the pair
 * either way). The one distance loop of the kNN searches here and of the panel's label neighbours.
 */
export function squaredDistanceBelow(Z: Float64Array, io: number, jo: number, d: number, bound: number): number {
  let dist = 0;
  for (let a = 0; a < d; a++) {
    const t = Z[io + a] - Z[jo + a];
    dist += t * t;
    if (dist >= bound) break;
  }
  return dist;
}

export const KNN_EXACT_MAX_ROWS = 50_000;
/** Reference rows (a seeded random sample) among which kNN searches neighbours above KNN_EXACT_MAX_ROWS. */
export const KNN_REFERENCE_ROWS = 10_000;

/**
 * Out-of-fold kNN probabilities: each row's kmax nearest rows of the other folds (exact; ties by
 * index), from one pass over all pairs with partial distances (at most N^2 d / 2). Above
 * KNN_EXACT_MAX_ROWS rows, the nearest among a seeded sample of KNN_REFERENCE_ROWS rows (of the other
 * folds), so the cost is N x KNN_REFERENCE_ROWS distances.
 */
export async function knnOutOfFold(
  data: LogisticData,
  folds: Int32Array,
  k: number,
  cp?: Checkpoint,
  candidates: number[] = KNN_CANDIDATES,
): Promise<KnnOutOfFold> {
  return knnProbabilities(await knnNeighbours(data, folds, k, cp, candidates), data.y, data.K, candidates);
}

/**
 * What kNN's out-of-fold probabilities depend on besides the labels: the folds and each row's kmax
 * nearest rows of the other folds. A quick re-score after label fixes (the features unchanged)
 * keeps them and recomputes only the probabilities (knnProbabilities) with the new labels.
 */
export interface KnnNeighbours {
  folds: Int32Array;
  k: number;
  kmax: number;
  /** N x kmax row indices, nearest first (-1: none). */
  index: Int32Array;
  /** Standardised features the distances used. */
  d: number;
  sampled: boolean;
}

export type KnnOutOfFold = OutOfFold & { k: number; logLossByK: Record<number, number>; neighbours: KnnNeighbours };

/** The neighbour search of knnOutOfFold (see there). */
export async function knnNeighbours(data: LogisticData, folds: Int32Array, k: number, cp?: Checkpoint, candidates: number[] = KNN_CANDIDATES): Promise<KnnNeighbours> {
  const { N } = data;
  const { Z, d } = standardise(data);
  const kmax = Math.min(Math.max(...candidates), Math.max(1, Math.floor((N * (k - 1)) / k) - 1));
  const nd = new Float64Array(N * kmax).fill(Infinity);
  const ni = new Int32Array(N * kmax).fill(-1);
  const insert = (o: number, j: number, dist: number) => {
    let p = kmax - 1;
    while (p > 0 && nd[o + p - 1] > dist) {
      nd[o + p] = nd[o + p - 1];
      ni[o + p] = ni[o + p - 1];
      p--;
    }
    nd[o + p] = dist;
    ni[o + p] = j;
  };
  if (N > KNN_EXACT_MAX_ROWS) {
    // Reference sample: seeded, sorted so that ties keep the lower index.
    const R = Math.min(KNN_REFERENCE_ROWS, N);
    const ref = Int32Array.from(new SeededRandom(0x6b6e6e).sample(N, R)).sort();
    for (let i = 0; i < N; i++) {
      const fi = folds[i];
      const io = i * d;
      const oi = i * kmax;
      for (let r = 0; r < R; r++) {
        const j = ref[r];
        if (folds[j] === fi) continue;
        const jo = j * d;
        const wi = nd[oi + kmax - 1];
        const dist = squaredDistanceBelow(Z, io, jo, d, wi);
        if (dist < wi) insert(oi, j, dist);
      }
      if ((i & 255) === 0) await cp?.tick(i / N);
    }
  } else {
    // One pass over the pairs i < j of different folds; the squared distance is summed until it exceeds
    // both rows' current kmax-th distance (then neither keeps the other). Ties keep the lower index
    // (pairs are visited in index order and an equal distance does not displace).
    const total = (N * (N - 1)) / 2;
    let done = 0;
    for (let i = 0; i < N; i++) {
      const fi = folds[i];
      const io = i * d;
      const oi = i * kmax;
      for (let j = i + 1; j < N; j++) {
        if (folds[j] === fi) continue;
        const jo = j * d;
        const wi = nd[oi + kmax - 1];
        const wj = nd[j * kmax + kmax - 1];
        const dist = squaredDistanceBelow(Z, io, jo, d, wi > wj ? wi : wj);
        if (dist < wi) insert(oi, j, dist);
        if (dist < wj) insert(j * kmax, i, dist);
      }
      done += N - 1 - i;
      if ((i & 15) === 0) await cp?.tick(done / total);
    }
  }
  return { folds, k, kmax, index: ni, d, sampled: N > KNN_EXACT_MAX_ROWS };
}

/** kNN's out-of-fold probabilities from found neighbours and the labels y; k chosen among `candidates` by log loss. */
export function knnProbabilities(nb: KnnNeighbours, y: Int32Array, K: number, candidates: number[] = KNN_CANDIDATES): KnnOutOfFold {
  const { folds, k, kmax, index: ni, d } = nb;
  const N = y.length;
  // Class shares of each fold's training rows (the prior pseudo-neighbour).
  const counts = new Float64Array(k * K);
  const sizes = new Float64Array(k);
  for (let i = 0; i < N; i++) {
    counts[folds[i] * K + y[i]]++;
    sizes[folds[i]]++;
  }
  const prior = (f: number, c: number) => {
    let s = 0;
    let n = 0;
    for (let g = 0; g < k; g++) {
      if (g === f) continue;
      s += counts[g * K + c];
      n += sizes[g];
    }
    return s / n;
  };
  const priors = new Float64Array(k * K);
  for (let f = 0; f < k; f++) for (let c = 0; c < K; c++) priors[f * K + c] = prior(f, c);
  const probaFor = (kk: number): Float64Array => {
    const P = new Float64Array(N * K);
    for (let i = 0; i < N; i++) {
      const f = folds[i];
      for (let c = 0; c < K; c++) P[i * K + c] = priors[f * K + c];
      for (let t = 0; t < kk; t++) P[i * K + y[ni[i * kmax + t]]] += 1;
      for (let c = 0; c < K; c++) P[i * K + c] /= kk + 1;
    }
    return P;
  };
  const logLossByK: Record<number, number> = {};
  let best = -1;
  let bestP: Float64Array | undefined;
  for (const kk of candidates) {
    if (kk > kmax) continue;
    const P = probaFor(kk);
    const ll = logLoss(P, y, N, K);
    logLossByK[kk] = ll;
    if (!bestP || ll < logLossByK[best]) {
      best = kk;
      bestP = P;
    }
  }
  if (!bestP) {
    best = kmax;
    bestP = probaFor(kmax);
    logLossByK[kmax] = logLoss(bestP, y, N, K);
  }
  const sample = nb.sampled ? `, neighbours among a seeded sample of ${Math.min(KNN_REFERENCE_ROWS, N)} reference rows (more than ${KNN_EXACT_MAX_ROWS} rows)` : '';
  return { proba: bestP, k: best, logLossByK, neighbours: nb, detail: `k = ${best} (of ${Object.keys(logLossByK).join(', ')} by out-of-fold log loss), ${d} standardised features${sample}` };
}

/** Mean -log p_i[y_i] (probabilities floored at 1e-15). */
export function logLoss(P: Float64Array, y: Int32Array, N: number, K: number): number {
  let s = 0;
  for (let i = 0; i < N; i++) s -= Math.log(Math.max(1e-15, P[i * K + y[i]]));
  return s / N;
}

/** Share of rows whose most probable class is their label. */
export function accuracyOf(P: Float64Array, y: Int32Array, N: number, K: number): number {
  let ok = 0;
  for (let i = 0; i < N; i++) {
    let b = 0;
    for (let c = 1; c < K; c++) if (P[i * K + c] > P[i * K + b]) b = c;
    if (b === y[i]) ok++;
  }
  return ok / N;
}
