/**
 * Leave-one-out for multinomial logistic regression: the exact answer by retraining, and two
 * predictions of it from the fitted model (first-order influence, and one exact Newton step).
 *
 * Removing training row i keeps the weight 1/N of every other row (as in Koh & Liang and in
 * shared/reference/ref_influence.py's approx_loo_loss):  J_-i(W) = J(W) - CE_i(W) / N.
 *
 * First order:  W_-i - W ~= H^-1 g_i / N, so dCE_t ~= g_t^T H^-1 g_i / N = -I(i, t) / N.
 * Newton step:  one exact Newton step for J_-i from W, with H_-i = H - (A_i kron x_i x_i^T) / N and
 *   A_i = diag(p_i) - p_i p_i^T. Woodbury on K x K blocks (U_i = I kron x_i, M_i = U_i^T H^-1 U_i):
 *   H_-i^-1 U_i = H^-1 U_i (I - A_i M_i / N)^-1, so W_-i - W ~= H^-1 U_i q_i / N with
 *   q_i = (I - A_i M_i / N)^-1 r_i. A test point's logits then move by dz_t = C_i q_i / N with
 *   C_i = U_t^T H^-1 U_i (K x K), and its new CE is evaluated exactly at z_t + dz_t: this keeps the
 *   curvature of row i's own removal and the nonlinearity of the test loss, which first order drops.
 */
import type { Checkpoint } from '../util/cancel';
import { fitLogistic, logits, logSumExp, LogisticObjective, type LogisticData } from '../model/logistic';
import { Cholesky, choleskyRows, invertLowerTransposedRows } from '../linalg/cholesky';
import { dot, dotAll, mirrorUpper, norm2, rowGramUpperRows } from '../linalg/dense';
import { ExactKronQuadForms, KronQuadForms } from '../linalg/kron';
import type { ExactInfluence } from './exact';

export interface RetrainOptions {
  l2: number;
  /** Convergence tolerance of each refit on ||grad J_-i|| (default 1e-12 * max(1, mean_i ||x_i||)). */
  tol?: number;
  checkpoint?: Checkpoint;
  /**
   * 'lbfgs' (default): fitLogistic warm-started at W, independent of any influence machinery.
   * 'preconditioned': needs `influence`; starts at the Newton-step estimate and runs L-BFGS whose
   *   initial inverse Hessian is the Woodbury inverse of H_-i at the fitted W, until
   *   ||grad J_-i|| < tol (plain L-BFGS takes over if it stalls). The same minimiser (the gradient of
   *   the exact objective decides convergence), in a few iterations instead of dozens.
   */
  solver?: 'lbfgs' | 'preconditioned';
  influence?: ExactInfluence;
}

export interface RetrainResult {
  row: number;
  W: Float64Array;
  gradNorm: number;
  /** L-BFGS iterations, or chord steps for 'preconditioned'. */
  iterations: number;
  objective: number;
}

/**
 * Exact leave-one-out: refits W without each of `rows` (its weight set to 0, the others kept at
 * 1/N) to ||grad J_-i|| < tol. Throws ConvergenceError when a refit does not converge.
 */
export async function retrainLeaveOneOut(
  data: LogisticData,
  W: Float64Array,
  rows: readonly number[],
  opts: RetrainOptions,
): Promise<RetrainResult[]> {
  const { N, D } = data;
  const weights = new Float64Array(N).fill(1 / N);
  let scale = 0;
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let a = 0; a < D; a++) s += data.X[i * D + a] ** 2;
    scale += Math.sqrt(s) / N;
  }
  const tol = opts.tol ?? 1e-12 * Math.max(1, scale);
  const inf = opts.influence;
  if (opts.solver === 'preconditioned' && !inf) throw new Error("retrainLeaveOneOut: solver 'preconditioned' needs `influence`");
  const objective = new LogisticObjective(data, opts.l2, weights);
  const out: RetrainResult[] = [];
  for (const row of rows) {
    if (!(Number.isInteger(row) && row >= 0 && row < N)) throw new RangeError(`retrainLeaveOneOut: row ${row} out of range`);
    weights[row] = 0;
    let result: RetrainResult | undefined;
    if (opts.solver === 'preconditioned' && inf) result = chordRefit(inf, objective, row, tol);
    if (!result) {
      const report = await fitLogistic(data, {
        l2: opts.l2,
        tol,
        weights,
        init: W,
        checkpoint: opts.checkpoint,
        requireConvergence: true,
      });
      result = { row, W: report.W, gradNorm: report.gradNorm, iterations: report.iterations, objective: report.objective };
    }
    weights[row] = 1 / N;
    out.push(result);
    await opts.checkpoint?.tick(out.length / rows.length);
  }
  return out;
}

/**
 * Quasi-Newton iterations for J_-i from the Newton-step estimate: L-BFGS whose initial inverse
 * Hessian is the Woodbury inverse of H_-i at the fitted W (so the first steps are chord steps and
 * the secant pairs learn how the curvature moved), unit steps halved until ||grad J_-i|| shrinks.
 * Returns undefined when it stalls above tol (the caller then falls back to plain L-BFGS).
 * (duplicates: not src/optim/lbfgs.ts, whose initial inverse Hessian is a scalar and whose steps come
 * from a Wolfe line search; the secant-pair bookkeeping is alike, and so is fitLogistic's halving
 * Newton polish.)
 */
function chordRefit(inf: ExactInfluence, objective: LogisticObjective, row: number, tol: number): RetrainResult | undefined {
  const { P, K, N } = inf;
  const { H0, Z } = woodburySolver(inf, row);
  // Start at the Newton-step estimate W + H^-1 U_i q_i / N = W + Z_i q_i / N.
  const W = Float64Array.from(inf.W);
  const Q = newtonResiduals(inf);
  for (let p = 0; p < P; p++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += Z[p * K + k] * Q[row * K + k];
    W[p] += s / N;
  }
  const g = new Float64Array(P);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha: number[] = [];
  const wTry = new Float64Array(P);
  const gTry = new Float64Array(P);
  let f = objective.value(W, g);
  let gnorm = norm2(g);
  for (let it = 0; it < 60; it++) {
    if (gnorm < tol) return { row, W, gradNorm: gnorm, iterations: it, objective: f };
    // Two-loop recursion with H0 = H_-i(W*)^-1: d = H_k g.
    const q = Float64Array.from(g);
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dotAll(S[j], q);
      for (let p = 0; p < P; p++) q[p] -= alpha[j] * Y[j][p];
    }
    const d = H0(q);
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j] * dotAll(Y[j], d);
      for (let p = 0; p < P; p++) d[p] += (alpha[j] - beta) * S[j][p];
    }
    let accepted = false;
    for (let t = 1, h = 0; h < 30; h++, t *= 0.5) {
      for (let p = 0; p < P; p++) wTry[p] = W[p] - t * d[p];
      const fTry = objective.value(wTry, gTry);
      const nTry = norm2(gTry);
      if (nTry < gnorm) {
        const s = new Float64Array(P), y = new Float64Array(P);
        for (let p = 0; p < P; p++) {
          s[p] = wTry[p] - W[p];
          y[p] = gTry[p] - g[p];
        }
        const sy = dotAll(s, y);
        if (sy > 0) {
          if (S.length === 8) {
            S.shift();
            Y.shift();
            rho.shift();
          }
          S.push(s);
          Y.push(y);
          rho.push(1 / sy);
        }
        // (duplicates: accepting a trial point, as in model/logistic.ts's Newton polish.)
        W.set(wTry);
        g.set(gTry);
        f = fTry;
        gnorm = nTry;
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
  }
  return gnorm < tol ? { row, W, gradNorm: gnorm, iterations: 60, objective: f } : undefined;
}

/**
 * v -> H_-i^-1 v at the fitted W by Woodbury: H^-1 v + Z_i (I - C M_i)^-1 C U_i^T H^-1 v with
 * C = A_i / N and Z_i = H^-1 U_i (P x K, made once per row in one pass over H^-1). Each
 * application is one symmetric matrix-vector product with H^-1 plus O(P K) work.
 */
function woodburySolver(inf: ExactInfluence, row: number): { H0: (v: Float64Array) => Float64Array; Z: Float64Array } {
  const { K, D, N, P } = inf;
  const M = inf.rowBlocks();
  const Hinv = inf.inverseHessian();
  const X = inf.data.X;
  const x0 = row * D;
  const p = inf.probabilities.subarray(row * K, row * K + K);
  // Z[q, k] = (H^-1)[q, k-block] . x_i.
  const Z = new Float64Array(P * K);
  for (let q = 0; q < P; q++) {
    for (let k = 0; k < K; k++) Z[q * K + k] = dot(Hinv, q * P + k * D, X, x0, D);
  }
  // B = I - C M_i (K x K).
  const B0 = new Float64Array(K * K);
  woodburyMatrix(B0, M, row * K * K, inf.probabilities, row * K, 1 / N, K);
  const B = new Float64Array(K * K);
  const w = new Float64Array(K);
  const H0 = (v: Float64Array): Float64Array => {
    const u = new Float64Array(P);
    for (let q = 0; q < P; q++) u[q] = dot(Hinv, q * P, v, 0, P);
    let pw = 0;
    for (let k = 0; k < K; k++) {
      w[k] = dot(X, x0, u, k * D, D);
      pw += p[k] * w[k];
    }
    for (let k = 0; k < K; k++) w[k] = (p[k] * (w[k] - pw)) / N; // C U_i^T u
    B.set(B0);
    solveSmall(B, w, K);
    for (let q = 0; q < P; q++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += Z[q * K + k] * w[k];
      u[q] += s;
    }
    return u;
  };
  return { H0, Z };
}

/**
 * K x K blocks M_i of the rows of X, made a chunk of rows at a time: fill(i0, m, out) writes the m
 * blocks of rows i0 .. i0+m into out (m K K), for i0 a multiple of `chunk` and m = min(chunk, N - i0),
 * so that a pass over the rows needs no N x K x K array. The same numbers as the whole-array functions
 * below (inverseRowBlocks, binaryRowBlocks), which fill in the same chunks.
 */
export interface RowBlockSource {
  chunk: number;
  fill(i0: number, m: number, out: Float64Array): void;
}

/**
 * The blocks M_i of a two-class model in closed form, without the P x P inverse. For K = 2 every
 * A_i = p_i0 p_i1 [[1, -1], [-1, 1]], so H = (u u^T) kron 2A + ridge I with u = (1, -1)/sqrt 2,
 * A = sum_i c_i p_i0 p_i1 x_i x_i^T and ridge = l2 (+ damping). With v = (1, 1)/sqrt 2,
 *   H^-1 = (u u^T) kron (2A + ridge I)^-1 + (v v^T) kron I / ridge,
 * so M_i = u u^T q_i + v v^T ||x_i||^2 / ridge with q_i = x_i^T (2A + ridge I)^-1 x_i: one D x D
 * Gram matrix (N D^2 / 2), its Cholesky factor (D^3 / 6) and one forward substitution per row
 * (D^2 / 2), instead of the P^3 / 3 inverse and 3 N D^2 of inverseRowBlocks (P = 2 D): about four
 * times less work, and D x D instead of P x P memory. Ticks cp with fractions 0..1.
 */
export async function binaryRowBlocks(
  data: LogisticData,
  probabilities: Float64Array,
  weights: Float64Array | number,
  ridge: number,
  cp?: Checkpoint,
): Promise<Float64Array> {
  const src = await binaryBlockSource(data, probabilities, weights, ridge, cp);
  const N = data.N;
  const out = new Float64Array(N * 4);
  for (let i0 = 0; i0 < N; i0 += src.chunk) {
    const m = Math.min(src.chunk, N - i0);
    src.fill(i0, m, out.subarray(i0 * 4, (i0 + m) * 4));
    await cp?.tick(0.5 + (0.5 * i0) / N);
  }
  return out;
}

/** binaryRowBlocks as a RowBlockSource: the Gram matrix and its factor now (ticks cp 0..0.5), the blocks on demand. */
export function binaryBlockSource(
  data: LogisticData,
  probabilities: Float64Array,
  weights: Float64Array | number,
  ridge: number,
  cp?: Checkpoint,
): Promise<RowBlockSource> {
  return runAsync(binarySetup(data, probabilities, weights, ridge), cp);
}

/** binaryBlockSource's work, yielding its progress (0..0.5) between chunks. */
function* binarySetup(data: LogisticData, probabilities: Float64Array, weights: Float64Array | number, ridge: number): Generator<number, RowBlockSource> {
  const { X, N, D, K } = data;
  if (K !== 2) throw new RangeError(`binaryRowBlocks: needs K = 2, got ${K}`);
  if (!(ridge > 0)) throw new RangeError(`binaryRowBlocks: ridge must be > 0, got ${ridge}`);
  // Xt (D x N): column i is sqrt(2 c_i p_i0 p_i1) x_i, so that Xt Xt^T = 2A.
  const Xt = new Float64Array(D * N);
  for (let i = 0; i < N; i++) {
    const c = typeof weights === 'number' ? weights : weights[i];
    const w = Math.sqrt(2 * c * probabilities[2 * i] * probabilities[2 * i + 1]);
    for (let a = 0; a < D; a++) Xt[a * N + i] = w * X[i * D + a];
  }
  const G = new Float64Array(D * D);
  const rows = Math.max(2, 2 * Math.floor(INVERSE_TICK_FLOPS / (D * N)));
  for (let a = 0; a < D; a += rows) {
    rowGramUpperRows(Xt, D, N, false, G, a, Math.min(D, a + rows));
    yield (0.4 * a) / D;
  }
  mirrorUpper(G, D);
  for (let a = 0; a < D; a++) G[a * D + a] += ridge;
  const cholRows = Math.max(2, 2 * Math.floor(INVERSE_TICK_FLOPS / (D * D)));
  for (let a = 0; a < D; a += cholRows) {
    choleskyRows(G, D, a, Math.min(D, a + cholRows), { what: 'Hessian of the two-class training objective' });
    yield 0.4 + (0.1 * a) / D;
  }
  const factor = Cholesky.fromFactor(G, D);
  const chunk = Math.max(4, 4 * Math.floor(INVERSE_TICK_FLOPS / (2 * D * D)));
  const B = new Float64Array(chunk * D);
  return {
    chunk,
    fill(i0: number, m: number, out: Float64Array): void {
      B.set(X.subarray(i0 * D, (i0 + m) * D));
      factor.forwardRows(B, m);
      for (let r = 0; r < m; r++) {
        const i = i0 + r;
        const q = dot(B, r * D, B, r * D, D);
        const s = dot(X, i * D, X, i * D, D) / ridge;
        out[r * 4] = out[r * 4 + 3] = (q + s) / 2;
        out[r * 4 + 1] = out[r * 4 + 2] = (s - q) / 2;
      }
    },
  };
}

/** Runs a generator of work that yields its progress, ticking cp with it (fractions from..to). */
async function runAsync<T>(g: Generator<number, T>, cp?: Checkpoint, from = 0, to = 1): Promise<T> {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    await cp?.tick(from + (to - from) * r.value);
  }
}

/** Runs a generator of work to its end without yielding to the event loop. */
function runSync<T>(g: Generator<number, T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/**
 * The blocks M_i = (I kron x_i)^T S (I kron x_i) from a P x P matrix S (H^-1 from inverseFromFactor)
 * as a RowBlockSource; chunks of an even number of rows (kronQuadForms pairs rows from the start).
 * `packed`: the packed symmetric forms on the SIMD kernel (kron.ts KronQuadForms; faster, equal to
 * rounding), for label suspicion's reweighted stage, whose blocks feed no later fit.
 */
export function kronBlockSource(S: Float64Array, X: Float64Array, D: number, K: number, packed = false): RowBlockSource {
  const forms = packed ? new KronQuadForms(S, K, D) : new ExactKronQuadForms(S, K, D);
  return {
    chunk: Math.max(2, 2 * Math.floor(INVERSE_TICK_FLOPS / (((K * (K + 1)) / 2) * D * D * 2))),
    fill: (i0, m, out) => void forms.fill(X.subarray(i0 * D, (i0 + m) * D), m, out),
  };
}

/**
 * The blocks behind the Newton-step leave-one-out of inf's fit (weights 1/N), as label suspicion's
 * first stage makes them: the closed form for two classes, else from H^-1 by inverseFromFactor
 * (ticks cp 0..1 while it prepares).
 */
export function looBlockSource(inf: ExactInfluence, cp?: Checkpoint): Promise<RowBlockSource> {
  return runAsync(looSetup(inf), cp);
}

function* looSetup(inf: ExactInfluence): Generator<number, RowBlockSource> {
  const { data, N, D, K } = inf;
  if (K === 2) return yield* binarySetup(data, inf.probabilities, 1 / N, inf.l2 + inf.damping);
  return kronBlockSource(yield* inverseSteps(inf.factor), data.X, D, K);
}

/**
 * q_i of newtonResiduals from the blocks of looBlockSource, a chunk at a time (no N x K x K array):
 * the same numbers as from label suspicion's stage-1 blocks.
 */
function chunkedNewtonResiduals(inf: ExactInfluence): Float64Array {
  const { N, K } = inf;
  const src = runSync(looSetup(inf));
  const Q = new Float64Array(N * K);
  const buf = new Float64Array(src.chunk * K * K);
  const r = new Float64Array(src.chunk * K);
  for (let i0 = 0; i0 < N; i0 += src.chunk) {
    const m = Math.min(src.chunk, N - i0);
    src.fill(i0, m, buf);
    woodburyResiduals(buf, inf.probabilities.subarray(i0 * K), inf.residualRows(i0, m, r), m, K, 1 / N, Q.subarray(i0 * K, (i0 + m) * K));
  }
  return Q;
}

/** CE of test point x (D features) at `target` under parameters W. */
export function testLoss(W: Float64Array, x: Float64Array, target: number, D: number, K: number): number {
  const z = logits(W, x, 1, D, K);
  return logSumExp(z, 0, K) - z[target];
}

/**
 * First-order prediction of CE_t(W_-i) - CE_t(W) for every training row i: -I(i, t) / N.
 */
export function firstOrderLooChange(inf: ExactInfluence, x: Float64Array, target: number): Float64Array {
  const t = inf.testGradient(x, target);
  const out = inf.dotGradients(inf.solve(t.gradient)); // g_t^T H^-1 g_i
  const N = inf.N;
  for (let i = 0; i < out.length; i++) out[i] /= N;
  return out;
}

/**
 * q_i = (I - A_i M_i / N)^-1 r_i for every row (N x K): the Woodbury-corrected residual whose
 * image H^-1 U_i q_i / N is row i's Newton-step parameter shift. `blocks` are the M_i of
 * inf.rowBlocks() when the caller already has them (e.g. from inverseRowBlocks); without them the
 * blocks are made a chunk of rows at a time as label suspicion's first stage makes them.
 */
export function newtonResiduals(inf: ExactInfluence, blocks?: Float64Array): Float64Array {
  const cached = qCache.get(inf);
  if (cached) return cached;
  const Q = blocks ? woodburyResiduals(blocks, inf.probabilities, inf.residualRows(0, inf.N), inf.N, inf.K, 1 / inf.N) : chunkedNewtonResiduals(inf);
  qCache.set(inf, Q);
  return Q;
}

const qCache = new WeakMap<ExactInfluence, Float64Array>();

/**
 * The Woodbury step of a row-weighted objective J_c(W) = sum_i c_i CE_i(W) + (l2/2)||W||^2 with
 * Hessian H_c at its minimiser: q_i = (I - c_i A_i M_i)^-1 r_i for every row (N x K), where
 * M_i = (I kron x_i)^T H_c^-1 (I kron x_i) (blocks, N x K x K), A_i = diag(p_i) - p_i p_i^T and
 * r_i = p_i - onehot(y_i). Removing row i's term, one exact Newton step moves W by
 * c_i H_c^-1 (q_i kron x_i) (push-through identity on K x K blocks). `weights` is c (N entries)
 * or one weight shared by every row (1/N: the unweighted J). I - c_i A_i M_i is not symmetric:
 * solved by Gaussian elimination with partial pivoting.
 */
export function woodburyResiduals(
  blocks: Float64Array,
  probabilities: Float64Array,
  residuals: Float64Array,
  N: number,
  K: number,
  weights: Float64Array | number,
  Q: Float64Array = new Float64Array(N * K),
): Float64Array {
  const B = new Float64Array(K * K);
  const b = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const c = typeof weights === 'number' ? weights : weights[i];
    const p0 = i * K;
    for (let k = 0; k < K; k++) b[k] = residuals[p0 + k];
    if (c !== 0) {
      woodburyMatrix(B, blocks, i * K * K, probabilities, p0, c, K);
      solveSmall(B, b, K);
    }
    Q.set(b, p0);
  }
  return Q;
}

/**
 * B = I - c A_i M_i (K x K) for the block M_i at M[m0..] and probabilities p_i at P[p0..]:
 * with A_i = diag(p) - p p^T, (A M)[k, l] = p_k (M[k, l] - sum_j p_j M[j, l]).
 */
function woodburyMatrix(B: Float64Array, M: Float64Array, m0: number, P: Float64Array, p0: number, c: number, K: number): void {
  for (let l = 0; l < K; l++) {
    let pm = 0;
    for (let j = 0; j < K; j++) pm += P[p0 + j] * M[m0 + j * K + l];
    for (let k = 0; k < K; k++) B[k * K + l] = (k === l ? 1 : 0) - c * P[p0 + k] * (M[m0 + k * K + l] - pm);
  }
}

/**
 * One-step leave-one-out logits, in place: Z (N x K, the logits W_c x_i on entry) becomes
 * z_i + c_i M_i q_i, row i's logits after one exact Newton step of J_c without row i (q from
 * woodburyResiduals with the same blocks and weights).
 */
export function looLogitsInPlace(Z: Float64Array, blocks: Float64Array, Q: Float64Array, N: number, K: number, weights: Float64Array | number): Float64Array {
  for (let i = 0; i < N; i++) {
    const c = typeof weights === 'number' ? weights : weights[i];
    if (c === 0) continue;
    const m0 = i * K * K, z0 = i * K;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let l = 0; l < K; l++) s += blocks[m0 + k * K + l] * Q[z0 + l];
      Z[z0 + k] += c * s;
    }
  }
  return Z;
}

/** Rows of the inverse per checkpoint tick, and of the blocks: a chunk stays well under a time slice. */
const INVERSE_TICK_FLOPS = 4e6;

/**
 * H^-1 from its Cholesky factor and the blocks M_i = (I kron x_i)^T H^-1 (I kron x_i) of every row
 * of X (N x K x K), like ExactInfluence.inverseHessian() and rowBlocks() but in chunks with a
 * checkpoint tick between them (fractions 0-0.4 for the inverse, 0.4-1 for the blocks), so that
 * a worker stays responsive and cancellable on large P. Costs P^3/3 and N K(K+1)/2 D^2.
 */
export async function inverseRowBlocks(
  factor: Cholesky,
  X: Float64Array,
  N: number,
  D: number,
  K: number,
  cp?: Checkpoint,
): Promise<{ inverse: Float64Array; blocks: Float64Array }> {
  if (factor.n !== K * D) throw new RangeError(`inverseRowBlocks: factor is ${factor.n} x ${factor.n}, K*D = ${K * D}`);
  const inverse = await inverseFromFactor(factor, cp, 0.4);
  const src = kronBlockSource(inverse, X, D, K);
  const KK = K * K;
  const blocks = new Float64Array(N * KK);
  for (let i0 = 0; i0 < N; i0 += src.chunk) {
    const m = Math.min(src.chunk, N - i0);
    src.fill(i0, m, blocks.subarray(i0 * KK, (i0 + m) * KK));
    await cp?.tick(0.4 + (0.6 * i0) / N);
  }
  return { inverse, blocks };
}

/** H^-1 (P x P) from its Cholesky factor, in chunks of rows with checkpoint ticks (fractions 0 .. `upTo`). */
export function inverseFromFactor(factor: Cholesky, cp?: Checkpoint, upTo = 1): Promise<Float64Array> {
  return runAsync(inverseSteps(factor), cp, 0, upTo);
}

function* inverseSteps(factor: Cholesky): Generator<number, Float64Array> {
  const P = factor.n;
  const U = new Float64Array(P * P);
  const rows = Math.max(2, 2 * Math.floor(INVERSE_TICK_FLOPS / (P * P)));
  for (let j = 0; j < P; j += rows) {
    invertLowerTransposedRows(factor.L, P, U, j, Math.min(P, j + rows));
    yield (0.25 * j) / P;
  }
  const inverse = new Float64Array(P * P);
  for (let i = 0; i < P; i += rows) {
    rowGramUpperRows(U, P, P, true, inverse, i, Math.min(P, i + rows));
    yield 0.25 + (0.75 * i) / P;
  }
  mirrorUpper(inverse, P);
  return inverse;
}

/**
 * The leave-one-out blocks L_i = M_i (I - c_i A_i M_i)^-1 = (I kron x_i)^T (H_c - c_i A_i kron x_i x_i^T)^-1
 * (I kron x_i) for every row (N x K x K): the blocks of the Hessian without row i's own term, so that
 * one exact Newton step without row i moves its logits by c_i L_i r_i. A quick re-score keeps them
 * from an earlier fit: only the other rows' curvature is then the earlier fit's, never row i's own
 * (which a changed label moves most), and L_i is a positive semi-definite block of a positive
 * definite inverse whatever the new probabilities are.
 */
export function leaveOneOutBlocks(blocks: Float64Array, probabilities: Float64Array, N: number, K: number, weights: Float64Array | number): Float64Array {
  const KK = K * K;
  const out = new Float64Array(N * KK);
  const B = new Float64Array(KK);
  const e = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const c = typeof weights === 'number' ? weights : weights[i];
    const m0 = i * KK;
    for (let l = 0; l < K; l++) {
      // Column l: M_i (I - c A_i M_i)^-1 e_l.
      e.fill(0);
      e[l] = 1;
      if (c !== 0) {
        woodburyMatrix(B, blocks, m0, probabilities, i * K, c, K);
        solveSmall(B, e, K);
      }
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let j = 0; j < K; j++) s += blocks[m0 + k * K + j] * e[j];
        out[m0 + k * K + l] = s;
      }
    }
  }
  return out;
}

/** Gaussian elimination with partial pivoting on a small K x K system, in place (B destroyed, b -> x). */
function solveSmall(B: Float64Array, b: Float64Array, K: number): void {
  for (let c = 0; c < K; c++) {
    let piv = c;
    for (let r = c + 1; r < K; r++) if (Math.abs(B[r * K + c]) > Math.abs(B[piv * K + c])) piv = r;
    if (piv !== c) {
      for (let j = 0; j < K; j++) {
        const t = B[c * K + j];
        B[c * K + j] = B[piv * K + j];
        B[piv * K + j] = t;
      }
      const t = b[c];
      b[c] = b[piv];
      b[piv] = t;
    }
    const d = B[c * K + c];
    for (let r = c + 1; r < K; r++) {
      const f = B[r * K + c] / d;
      if (f === 0) continue;
      for (let j = c; j < K; j++) B[r * K + j] -= f * B[c * K + j];
      b[r] -= f * b[c];
    }
  }
  for (let c = K - 1; c >= 0; c--) {
    let s = b[c];
    for (let j = c + 1; j < K; j++) s -= B[c * K + j] * b[j];
    b[c] = s / B[c * K + c];
  }
}

/** Newton-step estimate of W_-i - W for one row: H^-1 (q_i kron x_i) / N (K x D). */
export function newtonParameterShift(inf: ExactInfluence, row: number): Float64Array {
  const { K, D, N } = inf;
  const Q = newtonResiduals(inf);
  const v = new Float64Array(K * D);
  const X = inf.data.X;
  for (let k = 0; k < K; k++) for (let a = 0; a < D; a++) v[k * D + a] = (Q[row * K + k] * X[row * D + a]) / N;
  return inf.solve(v);
}

/**
 * Newton-step prediction of CE_t(W_-i) - CE_t(W) for every training row i, for test point x
 * (D features, bias last) at class `target`. Per test point: K solves for T = H^-1 U_t, then
 * C_i = T^T U_i for every row (N K^2 D multiply-adds); q_i is shared by all test points.
 * `blocks`: inf.rowBlocks() when the caller already has them (see newtonResiduals).
 */
export function newtonLooChange(inf: ExactInfluence, x: Float64Array, target: number, blocks?: Float64Array): Float64Array {
  const { N, K, D, P } = inf;
  const t = inf.testGradient(x, target);
  const Q = newtonResiduals(inf, blocks);
  // Rows k of Tt: H^-1 (e_k kron x_t), i.e. Tt[k, l*D + a] = (H^-1 U_t)[l*D + a, k].
  const Tt = new Float64Array(K * P);
  for (let k = 0; k < K; k++) Tt.set(x, k * P + k * D);
  inf.factor.solveRows(Tt, K);
  // Viewed as (K*K) x D, row k*K + l of Tt is the slice Tt[k, l*D ..]; its logits against X give
  // C_i[k, l] = x_t^T (H^-1)_{k,l} x_i for every row at once.
  const C = logits(Tt, inf.data.X, N, D, K * K);
  const z = new Float64Array(K);
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const c0 = i * K * K, q0 = i * K;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let l = 0; l < K; l++) s += C[c0 + k * K + l] * Q[q0 + l];
      z[k] = t.logits[k] + s / N;
    }
    out[i] = logSumExp(z, 0, K) - z[target] - t.testLoss;
  }
  return out;
}

/**
 * Approximate leave-one-out training loss of every row (ALO): CE_i at the logits moved by
 * dz_i = M_i q_i / N, as approx_loo_loss in the reference. First order this is CE_i + s_i / N.
 */
export function approxLooLoss(inf: ExactInfluence, blocks?: Float64Array): Float64Array {
  const { N, K } = inf;
  const M = blocks ?? inf.rowBlocks();
  const Q = newtonResiduals(inf, M);
  const { X, D, y } = inf.data;
  const Z = looLogitsInPlace(logits(inf.W, X, N, D, K), M, Q, N, K, 1 / N);
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) out[i] = logSumExp(Z, i * K, K) - Z[i * K + y[i]];
  return out;
}
