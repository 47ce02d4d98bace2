/**
 * Label suspicion: how likely each training row's label is wrong, and which class it probably is.
 * The score chosen in docs/label-suspicion.md ("alo_rw", reweighted approximate leave-one-out loss):
 *
 *   Stage 1  p~_i = softmax(z~_i), the leave-one-out probabilities of row i under one exact Newton
 *            step of J without row i, from the fitted W (Woodbury on K x K blocks, loo.ts):
 *            z~_i = W x_i + M_i (I - A_i M_i / N)^-1 r_i / N,  M_i = (I kron x_i)^T H^-1 (I kron x_i).
 *   Weights  c'_i = v_i / sum_j v_j with v_i = p~_i[y_i] (out-of-sample probability of the given label).
 *   Stage 2  W' = argmin J_c'(W) = sum_i c'_i CE_i(W) + (l2/2)||W||^2 (fitLogistic, warm start at W),
 *            H' its Hessian at W', M'_i its blocks, and the leave-one-out logits under (c', W', H'):
 *            z'_i = W' x_i + c'_i M'_i (I - c'_i A'_i M'_i)^-1 r'_i.
 *   suspicion_i = -log softmax(z'_i)[y_i] (>= 0),   suggested_i = argmax_{k != y_i} z'_i[k],
 *   logOdds_i   = z'_i[y_i] - z'_i[suggested_i] (< 0: the leave-one-out model prefers another class).
 *
 * No knob: no threshold, noise rate, fold count or number of rounds. Float64 throughout.
 * Costs (P = K D): H^-1 from the existing factor (P^3/3) and the blocks (N K(K+1)/2 D^2), N K x K
 * solves; then a weighted refit from W, the weighted Hessian (N K(K-1)/2 D(D+1)/2), its Cholesky
 * (P^3/6), H'^-1 and its blocks again. Measured (npm run bench): 2 to 8 times ExactInfluence.build,
 * about half of a whole scan's time on the test fixtures (two thirds on digits).
 * For two classes the blocks have a closed form from one D x D system (loo.ts binaryRowBlocks), used
 * for both stages instead: no P x P inverse, no reweighted P x P Hessian.
 */
import { Checkpoint, RangeCheckpoint } from '../util/cancel';
import { fitLogistic, HessianAccumulator, logits, predictProba } from '../model/logistic';
import { softmaxInto } from '../linalg/softmax';
import { Cholesky, choleskyRows } from '../linalg/cholesky';
import type { ExactInfluence } from './exact';
import { binaryBlockSource, inverseFromFactor, kronBlockSource, leaveOneOutBlocks, looBlockSource, looLogitsInPlace, woodburyResiduals, type RowBlockSource } from './loo';
import type { LogisticData } from '../model/logistic';

export interface LabelSuspicionOptions {
  checkpoint?: Checkpoint;
  /**
   * Convergence tolerance of the weighted refit on ||grad J_c'||. Default: fitLogistic's default
   * for those weights (the same scale as the main fit).
   */
  tol?: number;
  /** The blocks M_i of inf's Hessian (inf.rowBlocks()) when the caller has them already. */
  blocks?: Float64Array;
  /**
   * Where the weighted refit starts (default: inf.W). A re-score after label fixes passes the
   * previous scan's W' (closer to the new W'); the optimum is the same (strictly convex objective).
   */
  refitInit?: Float64Array;
  /**
   * Also return stage 1's blocks M_i (N x K x K) and probabilities p~_i (N x K), for tests and
   * research. Off by default: the stages then run a chunk of rows at a time and hold no N x K x K array.
   */
  keepStageOne?: boolean;
  /**
   * Curvature of an earlier scan of the same rows (a quick re-score after label fixes): its
   * leave-one-out blocks of both stages (`curvature` of that scan's result), used instead of
   * computing H^-1, the reweighted Hessian and their blocks. The fits, probabilities, residuals,
   * weights and leave-one-out steps are this call's own; only the curvature of the other rows
   * (H without row i, at the earlier fits) is the earlier scan's. Approximate: that curvature moved
   * with the fits that the label changes moved (docs/label-suspicion.md, "Quick re-score").
   */
  reuse?: SuspicionCurvature;
  /** Return `curvature` (2 N K^2 numbers, made a chunk of rows at a time) for a later quick re-score. */
  keepCurvature?: boolean;
}

/** The leave-one-out blocks L_i (loo.ts leaveOneOutBlocks) of stage 1 and of stage 2 (N x K x K each). */
export interface SuspicionCurvature {
  loo: Float64Array;
  reweightedLoo: Float64Array;
}

export interface LabelSuspicion {
  /** -log p'_i[y_i]: large = the label is probably wrong. */
  suspicion: Float64Array;
  /** The most probable class other than the given one under p'_i (class index). */
  suggested: Int32Array;
  /** z'_i[y_i] - z'_i[suggested_i]; negative when the reweighted leave-one-out model prefers another class. */
  logOdds: Float64Array;
  /** N x K reweighted leave-one-out probabilities p'_i. */
  reweightedProbabilities: Float64Array;
  /** Stage 1: -log p~_i[y_i], the (unweighted) approximate leave-one-out loss. */
  looLoss: Float64Array;
  /** Stage 1: N x K leave-one-out probabilities p~_i (with keepStageOne). */
  looProbabilities?: Float64Array;
  /** The row weights c'_i of the refit (sum 1). */
  weights: Float64Array;
  /**
   * Stage 1 blocks M_i of inf's Hessian (N x K x K; with keepStageOne or when given in opts.blocks).
   * Without them, loo.ts newtonResiduals(inf) makes the same q_i a chunk at a time.
   */
  blocks?: Float64Array;
  /** The leave-one-out blocks of both stages, with opts.keepCurvature: what a quick re-score reuses (opts.reuse when given). */
  curvature?: SuspicionCurvature;
  /** The weighted refit. */
  refit: { W: Float64Array; iterations: number; newtonSteps: number; gradNorm: number; converged: boolean };
  /** Seconds per part (wall clock, checkpoint yields included; reweightedHessian is 0 for two classes). */
  timings: { looBlocks: number; refit: number; reweightedHessian: number; reweightedBlocks: number; total: number };
}

/**
 * Label suspicion of every training row of `inf` (its data, fit, factor and l2; its damping, if
 * any, is applied to the reweighted Hessian too). Ticks opts.checkpoint with fractions 0..1.
 * Each stage passes over the rows a chunk at a time (the chunk's K x K blocks, Woodbury residuals
 * and leave-one-out logits), so its memory is a few N x K arrays; every row's numbers are the
 * same as from whole-array blocks.
 */
export async function labelSuspicion(inf: ExactInfluence, opts: LabelSuspicionOptions = {}): Promise<LabelSuspicion> {
  const { data, N, D, K, P } = inf;
  const { X, y } = data;
  const KK = K * K;
  const cp = opts.checkpoint ?? new Checkpoint();
  const t0 = performance.now();
  let last = t0;
  const lap = (): number => {
    const now = performance.now();
    const s = (now - last) / 1000;
    last = now;
    return s;
  };
  const binary = K === 2;
  const ridge = inf.l2 + inf.damping;

  /**
   * One pass over the rows for a weighted objective (weights c, one number = the same for all) with
   * parameters W: each chunk's logits W x_i (chunkLogits: the numbers of the whole N x K array, which
   * is never made) get the chunk's leave-one-out steps z_i + c_i M_i q_i, then row(i, Z, z0) runs for
   * the chunk's rows with row i's leave-one-out logits at Z[z0 ..]. Ticks cp from `from` to `to`.
   */
  const pass = async (
    src: RowBlockSource,
    probs: Float64Array,
    residualOf: (i0: number, m: number, out: Float64Array) => Float64Array,
    c: Float64Array | number,
    W: Float64Array,
    row: (i: number, Z: Float64Array, z0: number) => void,
    keep: Float64Array | undefined,
    curv: Float64Array | undefined,
    from: number,
    to: number,
  ): Promise<void> => {
    const chunk = src.chunk;
    const buf = keep ? undefined : new Float64Array(chunk * KK);
    const r = new Float64Array(chunk * K);
    const q = new Float64Array(chunk * K);
    const zbuf = new Float64Array((chunk + 8) * K);
    for (let i0 = 0; i0 < N; i0 += chunk) {
      const m = Math.min(chunk, N - i0);
      const M = keep ? keep.subarray(i0 * KK, (i0 + m) * KK) : (buf as Float64Array);
      if (!opts.blocks || !keep) src.fill(i0, m, M);
      const cw = typeof c === 'number' ? c : c.subarray(i0, i0 + m);
      const Qc = woodburyResiduals(M, probs.subarray(i0 * K, (i0 + m) * K), residualOf(i0, m, r), m, K, cw, q);
      const z0 = chunkLogits(W, X, N, D, K, i0, m, zbuf);
      looLogitsInPlace(zbuf.subarray(z0, z0 + m * K), M, Qc, m, K, cw);
      // Before row(): the second pass writes p'_i over probs.
      if (curv) curv.set(leaveOneOutBlocks(M, probs.subarray(i0 * K, (i0 + m) * K), m, K, cw), i0 * KK);
      for (let i = i0; i < i0 + m; i++) row(i, zbuf, z0 + (i - i0) * K);
      await cp.tick(from + ((to - from) * (i0 + m)) / N);
    }
  };

  const reuse = opts.reuse && opts.reuse.loo.length === N * KK && opts.reuse.reweightedLoo.length === N * KK ? opts.reuse : undefined;
  if (reuse) return quickSuspicion(inf, reuse, opts, cp);
  const curvature: SuspicionCurvature | undefined = opts.keepCurvature ? { loo: new Float64Array(N * KK), reweightedLoo: new Float64Array(N * KK) } : undefined;

  // Stage 1: leave-one-out logits under the fitted model.
  const keepStageOne = opts.keepStageOne === true || opts.blocks !== undefined;
  const blocks = opts.blocks ?? (keepStageOne ? new Float64Array(N * KK) : undefined);
  const src1: RowBlockSource = opts.blocks
    ? { chunk: 1024, fill: () => undefined }
    : await looBlockSource(inf, new RangeCheckpoint(cp, 0, 0.05));
  const looProbabilities = keepStageOne ? new Float64Array(N * K) : undefined;
  const looLoss = new Float64Array(N);
  const weights = new Float64Array(N);
  const pk = new Float64Array(K);
  await pass(
    src1,
    inf.probabilities,
    inf.residualRows,
    1 / N,
    inf.W,
    // p~_i is kept with keepStageOne, else only v_i is (pk: one row's probabilities).
    (i, Z, z0) => (weights[i] = stageOneRow(Z, z0, i, K, y[i], looLoss, looProbabilities ?? pk, looProbabilities ? i * K : 0)),
    blocks,
    curvature?.loo,
    0.05,
    0.35,
  );
  normaliseWeights(weights);
  const looBlocks = lap();

  // Stage 2: refit with the weights, warm-started at W.
  await cp.tick(0.35);
  const fit = await reweightedRefit(inf, weights, opts, new RangeCheckpoint(cp, 0.35, 0.5));
  const W2 = fit.W;
  const refit = lap();

  // Its Hessian (weighted), Cholesky factor and inverse, or the two-class closed form.
  const probs = predictProba(W2, X, N, D, K);
  let src2: RowBlockSource;
  let reweightedHessian = 0;
  if (binary) {
    src2 = await binaryBlockSource(data, probs, weights, ridge, new RangeCheckpoint(cp, 0.5, 0.75));
  } else {
    const acc = new HessianAccumulator(data, probs, weights);
    for (let r = 0; r < N; r += HessianAccumulator.CHUNK) {
      acc.addRows(r, Math.min(N, r + HessianAccumulator.CHUNK));
      await cp.tick(0.5 + (0.08 * r) / N);
    }
    const H = acc.finish(inf.l2);
    const rowsPerTick = Math.max(2, Math.floor(2e6 / (P * P)) * 2);
    const cholOpts = { damping: inf.damping, what: 'Hessian of the reweighted training objective' };
    for (let r = 0; r < P; r += rowsPerTick) {
      choleskyRows(H, P, r, Math.min(P, r + rowsPerTick), cholOpts);
      await cp.tick(0.58 + (0.07 * r) / P);
    }
    const factor = Cholesky.fromFactor(H, P);
    reweightedHessian = lap();
    src2 = kronBlockSource(await inverseFromFactor(factor, new RangeCheckpoint(cp, 0.65, 0.75)), X, D, K, true);
  }

  // Reweighted leave-one-out logits and the scores; p'_i is written over row i's probabilities at W'
  // once its chunk is done with them.
  const scores = { suspicion: new Float64Array(N), suggested: new Int32Array(N), logOdds: new Float64Array(N), reweightedProbabilities: probs };
  await pass(
    src2,
    probs,
    (i0, m, out) => {
      out.set(probs.subarray(i0 * K, (i0 + m) * K));
      for (let r = 0; r < m; r++) out[r * K + y[i0 + r]] -= 1;
      return out.subarray(0, m * K);
    },
    weights,
    W2,
    (i, Z, z0) => scoreRow(Z, z0, i, K, y[i], scores),
    undefined,
    curvature?.reweightedLoo,
    0.75,
    1,
  );
  const reweightedBlocks = lap();
  await cp.tick(1);
  return {
    ...scores,
    looLoss,
    looProbabilities,
    weights,
    blocks,
    curvature,
    refit: { W: W2, iterations: fit.iterations, newtonSteps: fit.newtonSteps, gradNorm: fit.gradNorm, converged: fit.converged },
    timings: { looBlocks, refit, reweightedHessian, reweightedBlocks, total: (performance.now() - t0) / 1000 },
  };
}

/** Stage 2's refit: argmin J_c' from opts.refitInit (else inf.W), to fitLogistic's tolerance for those weights. */
function reweightedRefit(inf: ExactInfluence, weights: Float64Array, opts: LabelSuspicionOptions, cp: Checkpoint) {
  const warm = opts.refitInit && opts.refitInit.length === inf.W.length;
  return fitLogistic(inf.data, {
    l2: inf.l2,
    weights,
    init: warm ? opts.refitInit : inf.W,
    tol: opts.tol,
    checkpoint: cp,
    requireConvergence: true,
    // A re-score (warm): the unweighted Hessian of this fit shapes L-BFGS's steps (most weights are
    // near 1/N). A full scan keeps the plain scaling, so its numbers do not move.
    initialInverseHessian: warm ? (g) => inf.solve(g) : undefined,
  });
}

/** Stage 1's leave-one-out loss and probabilities from the N x K logits Z, and the weights c'_i = v_i / sum_j v_j. */
function stageOne(Z: Float64Array, y: Int32Array, N: number, K: number): { looProbabilities: Float64Array; looLoss: Float64Array; weights: Float64Array } {
  const looProbabilities = new Float64Array(N * K);
  const looLoss = new Float64Array(N);
  const weights = new Float64Array(N);
  for (let i = 0; i < N; i++) weights[i] = stageOneRow(Z, i * K, i, K, y[i], looLoss, looProbabilities, i * K);
  normaliseWeights(weights);
  return { looProbabilities, looLoss, weights };
}

/**
 * Stage 1 of row i from its leave-one-out logits at Z[z0 ..]: looLoss[i] = -log p~_i[y_i], p~_i
 * into probs[p0 ..], and the unnormalised weight v_i = p~_i[y_i] returned.
 */
function stageOneRow(Z: Float64Array, z0: number, i: number, K: number, yi: number, looLoss: Float64Array, probs: Float64Array, p0: number): number {
  looLoss[i] = negLogProb(Z, z0, K, yi);
  softmaxInto(Z, z0, K, probs, p0);
  return probs[p0 + yi];
}

/**
 * Rows [i0, i0 + m) of logits(W, X, N, D, K) into buf, returning the offset of row i0's logits there:
 * the same numbers as the whole N x K array, without it. logits() works in tiles of four rows from
 * row 0 (the last N mod 4 rows by another loop, which sums in another order), so the chunk is
 * computed over the rows from i0 rounded down to a multiple of 4 to i0 + m rounded up (at most N):
 * the same tiles, the same rows outside them. buf holds (m + 6) K numbers.
 */
function chunkLogits(W: Float64Array, X: Float64Array, N: number, D: number, K: number, i0: number, m: number, buf: Float64Array): number {
  const a = i0 - (i0 & 3);
  const b = Math.min(N, (i0 + m + 3) & ~3);
  logits(W, X.subarray(a * D, b * D), b - a, D, K, buf);
  return (i0 - a) * K;
}

/** The weights c'_i = v_i / sum_j v_j in place (the sum in row order). */
function normaliseWeights(v: Float64Array): void {
  let vsum = 0;
  for (let i = 0; i < v.length; i++) vsum += v[i];
  // v_i >= 0 and the largest is at least 1/K for some row unless every row is a sure error.
  if (!(vsum > 0)) throw new RangeError('labelSuspicion: every row has leave-one-out probability 0 for its label');
  for (let i = 0; i < v.length; i++) v[i] /= vsum;
}

/** Suspicion, suggestion, log-odds and probabilities from the N x K leave-one-out logits Z. */
function scoresOf(Z: Float64Array, y: Int32Array, N: number, K: number): Pick<LabelSuspicion, 'suspicion' | 'suggested' | 'logOdds' | 'reweightedProbabilities'> {
  const suspicion = new Float64Array(N);
  const suggested = new Int32Array(N);
  const logOdds = new Float64Array(N);
  const reweightedProbabilities = new Float64Array(N * K);
  const scores = { suspicion, suggested, logOdds, reweightedProbabilities };
  for (let i = 0; i < N; i++) scoreRow(Z, i * K, i, K, y[i], scores);
  return scores;
}

/** Row i's suspicion, suggestion, log-odds and probabilities (written into `out`) from its leave-one-out logits at Z[z0 ..]. */
function scoreRow(Z: Float64Array, z0: number, i: number, K: number, yi: number, out: Pick<LabelSuspicion, 'suspicion' | 'suggested' | 'logOdds' | 'reweightedProbabilities'>): void {
  out.suspicion[i] = negLogProb(Z, z0, K, yi);
  softmaxInto(Z, z0, K, out.reweightedProbabilities, i * K);
  let best = -1;
  for (let k = 0; k < K; k++) if (k !== yi && (best < 0 || Z[z0 + k] > Z[z0 + best])) best = k;
  out.suggested[i] = best;
  out.logOdds[i] = Z[z0 + yi] - Z[z0 + best];
}

/** Stage 1 for weights c_i (one number: 1/N): leave-one-out logits W x_i + c_i L_i r_i with the given leave-one-out blocks. */
function looLogitsFrom(L: Float64Array, W: Float64Array, probs: Float64Array, data: LogisticData, weights: Float64Array | number): Float64Array {
  const { X, N, D, K, y } = data;
  const Z = logits(W, X, N, D, K);
  const r = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const c = typeof weights === 'number' ? weights : weights[i];
    if (c === 0) continue;
    const z0 = i * K, m0 = i * K * K;
    for (let k = 0; k < K; k++) r[k] = probs[z0 + k] - (k === y[i] ? 1 : 0);
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let l = 0; l < K; l++) s += L[m0 + k * K + l] * r[l];
      Z[z0 + k] += c * s;
    }
  }
  return Z;
}

/**
 * Label suspicion with an earlier scan's leave-one-out blocks (opts.reuse): the same two stages and
 * the same weighted refit, but no H^-1, no reweighted Hessian and no new blocks (N K^2 work per
 * stage besides the refit). See LabelSuspicionOptions.reuse for what is approximate.
 */
async function quickSuspicion(inf: ExactInfluence, reuse: SuspicionCurvature, opts: LabelSuspicionOptions, cp: Checkpoint): Promise<LabelSuspicion> {
  const { data, N, D, K } = inf;
  const { X, y } = data;
  const t0 = performance.now();
  const { looProbabilities, looLoss, weights } = stageOne(looLogitsFrom(reuse.loo, inf.W, inf.probabilities, data, 1 / N), y, N, K);
  const t1 = performance.now();
  await cp.tick(0.2);
  const fit = await reweightedRefit(inf, weights, opts, new RangeCheckpoint(cp, 0.2, 0.9));
  const t2 = performance.now();
  const probs = predictProba(fit.W, X, N, D, K);
  const scores = scoresOf(looLogitsFrom(reuse.reweightedLoo, fit.W, probs, data, weights), y, N, K);
  await cp.tick(1);
  const t3 = performance.now();
  return {
    ...scores,
    looLoss,
    looProbabilities,
    weights,
    curvature: reuse,
    refit: { W: fit.W, iterations: fit.iterations, newtonSteps: fit.newtonSteps, gradNorm: fit.gradNorm, converged: fit.converged },
    timings: { looBlocks: (t1 - t0) / 1000, refit: (t2 - t1) / 1000, reweightedHessian: 0, reweightedBlocks: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
  };
}

/**
 * -log softmax(z)[y] for the K logits at Z[z0..], accurate also when it is tiny: with z_y the
 * largest logit it is log1p(sum_{k != y} exp(z_k - z_y)) (no cancellation of lse - z_y);
 * otherwise it is at least log 2 and lse - z_y is accurate.
 */
export function negLogProb(Z: Float64Array, z0: number, K: number, y: number): number {
  const zy = Z[z0 + y];
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (Z[z0 + k] > m) m = Z[z0 + k];
  if (m === zy) {
    let s = 0;
    for (let k = 0; k < K; k++) if (k !== y) s += Math.exp(Z[z0 + k] - zy);
    return Math.log1p(s);
  }
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp(Z[z0 + k] - m);
  return m + Math.log(s) - zy;
}
