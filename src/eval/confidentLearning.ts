/**
 * Confident learning's self-confidence ranking (Northcutt, Jiang & Chuang, "Confident Learning:
 * Estimating Uncertainty in Dataset Labels", JAIR 2021; the ranking cleanlab calls
 * 'self_confidence'), as a baseline for label suspicion: out-of-fold predicted probabilities from
 * k-fold cross-validation (stratified, seeded folds), and the score 1 - p_oof_i[y_i] (large = the
 * label is probably wrong). Same model as the engine: L2-regularised multinomial logistic
 * regression with the same l2, each fold fitted on the other folds' rows (weights 1/n of that fit).
 * The features are the engine's, encoded once on all training rows (the folds share the
 * standardisation; no label enters it).
 */
import { RangeCheckpoint, type Checkpoint } from '../util/cancel';
import { fitLogistic, predictProba, type LogisticData } from '../model/logistic';
import { SeededRandom } from '../util/random';

export interface ConfidentLearningOptions {
  l2: number;
  /** Number of folds (default 5). */
  folds?: number;
  /** Seed of the fold assignment (default 0). */
  seed?: number;
  /** Convergence tolerance of each fold's fit (default: fitLogistic's). */
  tol?: number;
  checkpoint?: Checkpoint;
}

export interface ConfidentLearningResult {
  /** N x K out-of-fold probabilities: row i predicted by the model fitted without its fold. */
  outOfFold: Float64Array;
  /** Fold of every row (0..folds-1). */
  folds: Int32Array;
  /** 1 - p_oof_i[y_i] (computed as the sum of the other classes' probabilities). */
  score: Float64Array;
  /** The most probable class other than the given one under p_oof_i. */
  suggested: Int32Array;
  /** Per fold: L-BFGS iterations and whether the fit converged. */
  fits: { iterations: number; converged: boolean }[];
}

/**
 * Stratified fold assignment: each class's rows in a seeded random order, dealt round-robin to the
 * folds, the deal continuing from class to class (so every fold gets floor or ceil of N / folds
 * rows and of each class's count / folds). Deterministic in `seed`.
 */
export function stratifiedFolds(y: Int32Array, K: number, folds: number, seed: number): Int32Array {
  if (!(Number.isInteger(folds) && folds >= 2)) throw new RangeError(`stratifiedFolds: folds must be a whole number >= 2 (got ${folds})`);
  const rng = new SeededRandom(seed);
  const out = new Int32Array(y.length);
  const byClass: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < y.length; i++) byClass[y[i]].push(i);
  let deal = 0;
  for (const rows of byClass) {
    for (const j of rng.sample(rows.length, rows.length)) out[rows[j]] = deal++ % folds;
  }
  return out;
}

/** Rows `rows` of data as a LogisticData of their own. */
function subset(data: LogisticData, rows: number[]): LogisticData {
  const { X, D, K, y } = data;
  const Xs = new Float64Array(rows.length * D);
  const ys = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    Xs.set(X.subarray(r * D, (r + 1) * D), i * D);
    ys[i] = y[r];
  });
  return { X: Xs, N: rows.length, D, K, y: ys };
}

/**
 * Out-of-fold probabilities and the self-confidence score. Each fold's fit is warm-started at the
 * previous fold's optimum (the objective is strictly convex, so only the iteration count depends
 * on it). Ticks opts.checkpoint with the fraction of the folds' fits done.
 */
export async function confidentLearning(data: LogisticData, opts: ConfidentLearningOptions): Promise<ConfidentLearningResult> {
  const { N, D, K, y } = data;
  const k = opts.folds ?? 5;
  if (N < k) throw new RangeError(`confidentLearning: ${N} rows cannot make ${k} folds`);
  const folds = stratifiedFolds(y, K, k, opts.seed ?? 0);
  const outOfFold = new Float64Array(N * K);
  const fits: ConfidentLearningResult['fits'] = [];
  let init: Float64Array | undefined;
  for (let f = 0; f < k; f++) {
    const train: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < N; i++) (folds[i] === f ? held : train).push(i);
    const cp = opts.checkpoint && new RangeCheckpoint(opts.checkpoint, f / k, (f + 1) / k);
    const fit = await fitLogistic(subset(data, train), { l2: opts.l2, tol: opts.tol, init, checkpoint: cp });
    fits.push({ iterations: fit.iterations, converged: fit.converged });
    init = fit.W;
    const h = subset(data, held);
    const P = predictProba(fit.W, h.X, h.N, D, K);
    held.forEach((r, i) => outOfFold.set(P.subarray(i * K, (i + 1) * K), r * K));
    await opts.checkpoint?.tick((f + 1) / k);
  }
  const score = new Float64Array(N);
  const suggested = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    let best = -1;
    for (let c = 0; c < K; c++) {
      if (c === y[i]) continue;
      s += outOfFold[i * K + c];
      if (best < 0 || outOfFold[i * K + c] > outOfFold[i * K + best]) best = c;
    }
    score[i] = s;
    suggested[i] = best;
  }
  return { outOfFold, folds, score, suggested, fits };
}
