import type { Checkpoint } from '../util/cancel';
import { ConvergenceError, NotPositiveDefiniteError, UserError } from '../util/errors';
import { Cholesky } from '../linalg/cholesky';
import { dot, norm2 } from '../linalg/dense';
import { KernelSpace, wasmKernelsAvailable } from '../linalg/kernels';
import { logSoftmaxInto, logSumExp, softmaxInto } from '../linalg/softmax';
import { conjugateGradient } from '../optim/cg';
import { lbfgs } from '../optim/lbfgs';
import type { LogisticData } from './data';
import { hessian, HessianAccumulator } from './hessian';

// The pieces that used to live here, for the modules that import them from the model.
export type { LogisticData };
export { conjugateGradient, hessian, HessianAccumulator, logSoftmaxInto, logSumExp, softmaxInto };

/**
 * L2-regularised multinomial logistic regression, float64.
 * J(W) = sum_i c_i CE(softmax(W x_i), y_i) + (l2/2) ||W||^2, c_i = 1/N unless weights are given;
 * W is K x D row-major (parameter k*D + a), bias is the last feature and is regularised.
 * The gradient of CE_i alone is g_i = r_i kron x_i with the residual r_i = p_i - onehot(y_i); the
 * Hessian of J is H = sum_i c_i (diag(p_i) - p_i p_i^T) kron (x_i x_i^T) + l2 I, laid out as
 * H[k*D + a, l*D + b]. The same conventions as shared/reference/ref_influence.py.
 * Here: the model (logits, probabilities, losses), the objective with its gradient and
 * Hessian-vector product, and the fit (L-BFGS from src/optim, then Newton polish). The Hessian
 * itself is in ./hessian.ts, softmax in src/linalg/softmax.ts.
 */

export interface FitOptions {
  l2: number;
  /**
   * Converged when ||grad J||_2 < tol. Default: defaultTolerance(data, weights), which is
   * 1e-9 * max(1, sum_i c_i ||x_i||) (see there).
   */
  tol?: number;
  /** L-BFGS iterations at most (default 10000); Newton polish adds at most 20 steps. */
  maxIterations?: number;
  /** Per-row weights c_i (default 1/N). */
  weights?: Float64Array;
  init?: Float64Array;
  checkpoint?: Checkpoint;
  /** Throw ConvergenceError instead of returning converged = false. */
  requireConvergence?: boolean;
  /**
   * An approximation of H^-1 near the optimum (a re-score's main fit passes the last scan's
   * Cholesky solve): the fit first takes damped Newton steps
   * from `init` whose systems are solved by conjugate gradients preconditioned with it
   * (Hessian-vector products, no Hessian), then goes on as usual (L-BFGS, Newton polish) only if that
   * did not reach tol, or as soon as a Newton step fails to halve the gradient norm (a start
   * outside Newton's fast region: after 10% of digits' labels changed, Newton steps from the old
   * optimum are damped for a dozen steps, 0.4 s against 0.1 s for L-BFGS; on vowel they converge in
   * 6 steps, 0.02 s against 0.04-0.07 s). Counted in newtonSteps.
   */
  preconditioner?: (g: Float64Array) => Float64Array;
  /**
   * An approximation of H^-1 used as L-BFGS's initial inverse Hessian (lbfgs's
   * initialInverseHessian) instead of the scalar scaling: a quick re-score's reweighted refit passes
   * the unweighted fit's Cholesky solve, whose curvature is close to the reweighted one's (digits
   * with 10% of its labels fixed: 26 iterations instead of 74). The stopping test, hence the optimum
   * to tol, is the same. A re-score's main fit passes the last scan's Cholesky solve here when at
   * most 1% of the labels changed (engine/rescore.ts LBFGS_WARM_MAX_CHANGED: digits, satellite and
   * two_class_100k after 0.1% changed, 3-8 iterations, about half of Newton-CG's time); after 10%
   * changed the old factor is a poor model (digits 112 iterations, twice Newton-CG's time), and the
   * fit takes it as `preconditioner` instead.
   */
  initialInverseHessian?: (g: Float64Array) => Float64Array;
}

export interface FitReport {
  W: Float64Array;
  objective: number;
  gradNorm: number;
  /** L-BFGS iterations (Newton steps are counted in newtonSteps). */
  iterations: number;
  newtonSteps: number;
  converged: boolean;
  /** The tolerance actually used. */
  tol?: number;
  /** Objective and gradient evaluations. */
  evaluations?: number;
}

/**
 * n x K logits W x_i, in 4 x 2 tiles (four rows against two classes: eight independent sums, six
 * loads per eight multiply-adds; measured ~1.4x faster than 2 x 2 tiles in V8).
 * (duplicates: the same register-tile shape as residualTimesX below and forwardSolveRows in
 * src/linalg/cholesky.ts, on different products; small, hot, and cheaper as plain loops than copying
 * into a KernelSpace for the gemmNT kernel, which the large products of LogisticObjective use.)
 */
export function logits(W: Float64Array, X: Float64Array, n: number, D: number, K: number, out: Float64Array = new Float64Array(n * K)): Float64Array {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const x0 = i * D, x1 = x0 + D, x2 = x1 + D, x3 = x2 + D;
    const o0 = i * K, o1 = o0 + K, o2 = o1 + K, o3 = o2 + K;
    let k = 0;
    for (; k + 1 < K; k += 2) {
      const w0 = k * D, w1 = w0 + D;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let b = 0; b < D; b++) {
        const v0 = W[w0 + b], v1 = W[w1 + b];
        const u0 = X[x0 + b], u1 = X[x1 + b], u2 = X[x2 + b], u3 = X[x3 + b];
        a0 += u0 * v0;
        a1 += u1 * v0;
        a2 += u2 * v0;
        a3 += u3 * v0;
        b0 += u0 * v1;
        b1 += u1 * v1;
        b2 += u2 * v1;
        b3 += u3 * v1;
      }
      out[o0 + k] = a0;
      out[o1 + k] = a1;
      out[o2 + k] = a2;
      out[o3 + k] = a3;
      out[o0 + k + 1] = b0;
      out[o1 + k + 1] = b1;
      out[o2 + k + 1] = b2;
      out[o3 + k + 1] = b3;
    }
    if (k < K) {
      const w0 = k * D;
      out[o0 + k] = dot(X, x0, W, w0, D);
      out[o1 + k] = dot(X, x1, W, w0, D);
      out[o2 + k] = dot(X, x2, W, w0, D);
      out[o3 + k] = dot(X, x3, W, w0, D);
    }
  }
  for (; i < n; i++) for (let k = 0; k < K; k++) out[i * K + k] = dot(X, i * D, W, k * D, D);
  return out;
}

/** n x K probabilities for n rows of X (n x D). */
export function predictProba(W: Float64Array, X: Float64Array, n: number, D: number, K: number): Float64Array {
  const Z = logits(W, X, n, D, K);
  for (let i = 0; i < n; i++) softmaxInto(Z, i * K, K, Z, i * K);
  return Z;
}

/** Per-row cross-entropy -log p_i[y_i] at W. */
export function crossEntropy(W: Float64Array, data: LogisticData): Float64Array {
  const { X, N, D, K, y } = data;
  const Z = logits(W, X, N, D, K);
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) out[i] = logSumExp(Z, i * K, K) - Z[i * K + y[i]];
  return out;
}

// ---------------------------------------------------------------- objective, gradient, Hessian

/**
 * G = R^T X into G (K x D) from Rt (K x N, row k = column k of R) and Xt (D x N): every entry is a
 * contiguous dot over the rows, in 2 x 4 tiles over (k, b).
 */
function residualTimesX(Rt: Float64Array, Xt: Float64Array, N: number, D: number, K: number, G: Float64Array): void {
  let k = 0;
  for (; k + 1 < K; k += 2) {
    const r0 = k * N, r1 = r0 + N;
    const g0 = k * D, g1 = g0 + D;
    let b = 0;
    for (; b + 3 < D; b += 4) {
      const x0 = b * N, x1 = x0 + N, x2 = x1 + N, x3 = x2 + N;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let i = 0; i < N; i++) {
        const u0 = Rt[r0 + i], u1 = Rt[r1 + i];
        const v0 = Xt[x0 + i], v1 = Xt[x1 + i], v2 = Xt[x2 + i], v3 = Xt[x3 + i];
        a0 += u0 * v0;
        a1 += u0 * v1;
        a2 += u0 * v2;
        a3 += u0 * v3;
        c0 += u1 * v0;
        c1 += u1 * v1;
        c2 += u1 * v2;
        c3 += u1 * v3;
      }
      G[g0 + b] = a0;
      G[g0 + b + 1] = a1;
      G[g0 + b + 2] = a2;
      G[g0 + b + 3] = a3;
      G[g1 + b] = c0;
      G[g1 + b + 1] = c1;
      G[g1 + b + 2] = c2;
      G[g1 + b + 3] = c3;
    }
    for (; b < D; b++) {
      G[g0 + b] = dot(Rt, r0, Xt, b * N, N);
      G[g1 + b] = dot(Rt, r1, Xt, b * N, N);
    }
  }
  if (k < K) for (let b = 0; b < D; b++) G[k * D + b] = dot(Rt, k * N, Xt, b * N, N);
}

/**
 * Largest N * D whose copies (X and X^T) go into a kernel space; beyond it the kernel runs on blocks
 * of BLOCK_ROWS rows copied from X at each evaluation (X itself is held once).
 */
const KERNEL_SPACE_MAX_ND = 8_000_000;
/** Rows per block of the kernel's blocked products (a block and its transpose: 2 x 1024 x D float64, in cache). */
const BLOCK_ROWS = 1024;
/**
 * Largest N * D for which the JavaScript path keeps a transposed copy of X (faster column sums);
 * beyond it R^T X runs row by row on X itself, so a large data set is held once (its features are
 * most of a large scan's memory: 6 M rows x 21 features = 1 GB).
 */
const TRANSPOSE_MAX_ND = 16_000_000;

/** Rows per block of residualTimesXRows (its transposed block is D x 256 float64). */
const ROW_BLOCK = 256;

/**
 * G = R^T X (K x D) from Rt (K x N) and row-major X (N x D) without a transposed copy of X: blocks
 * of ROW_BLOCK rows are transposed into a small buffer and reduced with dot products.
 */
export function residualTimesXRows(Rt: Float64Array, X: Float64Array, N: number, D: number, K: number, G: Float64Array, block = new Float64Array(D * ROW_BLOCK)): void {
  G.fill(0, 0, K * D);
  for (let i0 = 0; i0 < N; i0 += ROW_BLOCK) {
    const B = Math.min(ROW_BLOCK, N - i0);
    for (let b = 0; b < B; b++) {
      const xi = (i0 + b) * D;
      for (let a = 0; a < D; a++) block[a * B + b] = X[xi + a];
    }
    for (let k = 0; k < K; k++) {
      const r = k * N + i0;
      for (let a = 0; a < D; a++) G[k * D + a] += dot(Rt, r, block, a * B, B);
    }
  }
}

/**
 * The objective of one data set and weighting, with the buffers its evaluations reuse (features
 * and their transpose, logits, residuals), so an optimiser's many evaluations allocate nothing.
 * The two products of every evaluation, Z = X W^T and grad = R^T X, run on the gemmNT kernel of
 * src/linalg/kernels.ts when it is WebAssembly: for N * D up to KERNEL_SPACE_MAX_ND on copies of X
 * and X^T in its memory (made once), above it a block of BLOCK_ROWS rows at a time (each block
 * copied from X and transposed at each evaluation, so a large X is held once; the block's logits,
 * residuals and its share of R^T X are done before the next block). Without WebAssembly, on the
 * tiled JavaScript loops above.
 */
export class LogisticObjective {
  readonly P: number;
  /** X^T (D x N), or null when N * D > TRANSPOSE_MAX_ND (R^T X then runs on X row by row). */
  private readonly Xt: Float64Array | null;
  private readonly Z: Float64Array;
  private readonly Rt: Float64Array;
  private readonly ks?: KernelSpace;
  private readonly off = { X: 0, Xt: 0, W: 0, Z: 0, Rt: 0, G: 0 };
  /** In the kernel space N and D are padded to even Np, Dp with zeros (the kernel's tiles are 2 x 2 x 2). */
  private readonly Np: number = 0;
  private readonly Dp: number = 0;
  /** Blocked kernel products (N * D > wholeMaxND): the space holds one block (rows of D, Dp = D); K padded to even Kp. */
  private readonly blocked: boolean = false;
  private readonly Kp: number = 0;

  /** wholeMaxND: largest N * D copied whole into the kernel space (default KERNEL_SPACE_MAX_ND; tests lower it). */
  constructor(
    readonly data: LogisticData,
    readonly l2: number,
    readonly weights?: Float64Array,
    wholeMaxND = KERNEL_SPACE_MAX_ND,
  ) {
    const { X, N, D, K } = data;
    this.P = K * D;
    if (wasmKernelsAvailable() && N * D > wholeMaxND) {
      this.blocked = true;
      // Rows unpadded (Dp = D), so that a block is one copy of X's memory; K padded to even.
      const B = BLOCK_ROWS, Dp = (this.Dp = D), Kp = (this.Kp = K + (K & 1));
      const ks = (this.ks = this.productSpace(B, Dp, Kp));
      const o = this.off;
      this.Xt = null;
      this.Z = ks.view(o.Z, B * Kp);
      this.Rt = ks.view(o.Rt, Kp * B);
    } else if (wasmKernelsAvailable()) {
      const Np = (this.Np = N + (N & 1)), Dp = (this.Dp = D + (D & 1));
      const ks = (this.ks = this.productSpace(Np, Dp, K));
      const o = this.off;
      const f = ks.f64;
      // Plain loops (no subarray per row), and X^T in blocks of 64 rows so that its strided writes
      // stay in cache: for a million rows this copy cost as much as the fit.
      for (let i = 0; i < N; i++) {
        const src = i * D, dst = o.X + i * Dp;
        for (let a = 0; a < D; a++) f[dst + a] = X[src + a];
      }
      for (let i0 = 0; i0 < N; i0 += 64) {
        const i1 = Math.min(N, i0 + 64);
        for (let a = 0; a < D; a++) {
          const dst = o.Xt + a * Np;
          for (let i = i0; i < i1; i++) f[dst + i] = X[i * D + a];
        }
      }
      this.Xt = ks.view(o.Xt, Dp * Np);
      this.Z = ks.view(o.Z, Np * K);
      this.Rt = ks.view(o.Rt, K * Np);
    } else {
      this.Xt = N * D <= TRANSPOSE_MAX_ND ? transposeRows(X, N, D) : null;
      this.Z = new Float64Array(N * K);
      this.Rt = new Float64Array(K * N);
    }
  }

  /** Hands the kernel space back for the next objective (KernelSpace.reuse); this objective is not used afterwards. */
  release(): void {
    this.ks?.release();
  }

  /** Z = X V^T (N x K) for a parameter-shaped V. */
  private logitsOf(V: Float64Array): void {
    const { X, N, D, K } = this.data;
    const ks = this.ks;
    if (ks) {
      const { Np, Dp } = this, f = ks.f64, o = this.off;
      for (let k = 0; k < K; k++) f.set(V.subarray(k * D, k * D + D), o.W + k * Dp);
      ks.gemmNT(o.X, Dp, o.W, Dp, o.Z, K, Np, K, Dp);
    } else {
      logits(V, X, N, D, K, this.Z);
    }
  }

  /** Row stride of Rt (N, or N padded to even in the kernel space). */
  private get rtStride(): number {
    return this.ks ? this.Np : this.data.N;
  }

  /** out = Rt X (K x D) from the residual-like K x N matrix in Rt. */
  private residualProduct(out: Float64Array): void {
    const { N, D, K } = this.data;
    const ks = this.ks;
    if (ks) {
      const { Np, Dp } = this, f = ks.f64, o = this.off;
      ks.gemmNT(o.Rt, Np, o.Xt, Np, o.G, Dp, K, Dp, Np);
      for (let k = 0; k < K; k++) out.set(f.subarray(o.G + k * Dp, o.G + k * Dp + D), k * D);
    } else {
      if (this.Xt) residualTimesX(this.Rt, this.Xt, N, D, K, out);
      else residualTimesXRows(this.Rt, this.data.X, N, D, K, out);
    }
  }

  /**
   * A kernel space for the two products of an evaluation over n rows of Dp features and Kk classes,
   * its buffers' offsets in this.off: X (n x Dp), X^T (Dp x n), W (Kk x Dp), Z (n x Kk), R^T (Kk x n),
   * G (Kk x Dp). The whole data set (n = N padded) or one block of rows (n = BLOCK_ROWS).
   */
  private productSpace(n: number, Dp: number, Kk: number): KernelSpace {
    const ks = KernelSpace.reuse(2 * n * Dp + 2 * n * Kk + 2 * Kk * Dp + 16);
    const o = this.off;
    o.X = ks.alloc(n * Dp);
    o.Xt = ks.alloc(Dp * n);
    o.W = ks.alloc(Kk * Dp);
    o.Z = ks.alloc(n * Kk);
    o.Rt = ks.alloc(Kk * n);
    o.G = ks.alloc(Kk * Dp);
    return ks;
  }

  /**
   * The blocked products: for each block of rows, its logits X_b V^T into Z (row stride Kp), then
   * rows(i0, h) (which writes the block's residual-like rows into Rt, row stride BLOCK_ROWS, and may
   * accumulate), then out += Rt_b X_b (out: K x D, zeroed first).
   */
  private blockedProducts(V: Float64Array, rows: (i0: number, h: number) => void, out: Float64Array): void {
    const { X, N, D, K } = this.data;
    const ks = this.ks as KernelSpace;
    const { Dp, Kp } = this, f = ks.f64, o = this.off, B = BLOCK_ROWS;
    for (let k = 0; k < K; k++) f.set(V.subarray(k * D, k * D + D), o.W + k * Dp);
    for (let i0 = 0; i0 < N; i0 += B) {
      const h = Math.min(B, N - i0);
      f.set(X.subarray(i0 * D, (i0 + h) * D), o.X);
      ks.gemmNT(o.X, Dp, o.W, Dp, o.Z, Kp, h, Kp, Dp);
      rows(i0, h);
      ks.transpose(o.X, Dp, o.Xt, B, h, Dp);
      ks.gemmNT(o.Rt, B, o.Xt, B, o.G, Dp, Kp, Dp, h, 1, i0 === 0 ? 0 : 1);
    }
    for (let k = 0; k < K; k++) out.set(f.subarray(o.G + k * Dp, o.G + k * Dp + D), k * D);
  }

  /** J(W); writes grad J into `grad` when given. */
  value(W: Float64Array, grad?: Float64Array): number {
    const { N, K } = this.data;
    const { Z, Rt, l2, P } = this;
    let f = 0;
    if (this.blocked) {
      const g = grad ?? new Float64Array(P);
      this.blockedProducts(W, (i0, h) => (f = this.lossRows(Z, this.Kp, Rt, BLOCK_ROWS, i0, h, f, true)), g);
    } else {
      this.logitsOf(W);
      f = this.lossRows(Z, K, Rt, this.rtStride, 0, N, 0, grad !== undefined);
      if (grad) this.residualProduct(grad);
    }
    let ww = 0;
    for (let p = 0; p < P; p++) ww += W[p] * W[p];
    if (grad && l2 !== 0) for (let p = 0; p < P; p++) grad[p] += l2 * W[p];
    return f + 0.5 * l2 * ww;
  }

  /**
   * Rows i0 .. i0 + n of the loss, added to f (returned): Z holds their logits (row r = i - i0 at
   * r * zs, overwritten by exp(z - max)); with `residuals`, c_i (p_i - e_{y_i}) into Rt[k * S + r].
   */
  private lossRows(Z: Float64Array, zs: number, Rt: Float64Array, S: number, i0: number, n: number, f: number, residuals: boolean): number {
    const { N, K, y } = this.data;
    const weights = this.weights;
    const c0 = 1 / N;
    for (let r = 0; r < n; r++) {
      const i = i0 + r;
      const c = weights ? weights[i] : c0;
      const zi = r * zs;
      let m = -Infinity;
      for (let k = 0; k < K; k++) if (Z[zi + k] > m) m = Z[zi + k];
      const zy = Z[zi + y[i]];
      let s = 0;
      for (let k = 0; k < K; k++) s += Z[zi + k] = Math.exp(Z[zi + k] - m);
      f += c * (m + Math.log(s) - zy);
      if (residuals) {
        const cs = c / s;
        for (let k = 0; k < K; k++) Rt[k * S + r] = cs * Z[zi + k];
        Rt[y[i] * S + r] -= c;
      }
    }
    return f;
  }

  /**
   * predictProba(w, X) for the objective's rows; without the kernel space, computed in the objective's
   * logits buffer (no N x K array more; the next value() or hessianVector() overwrites it).
   */
  probabilitiesAt(w: Float64Array): Float64Array {
    const { X, N, D, K } = this.data;
    if (this.ks) return predictProba(w, X, N, D, K);
    const Z = logits(w, X, N, D, K, this.Z);
    for (let i = 0; i < N; i++) softmaxInto(Z, i * K, K, Z, i * K);
    return Z;
  }

  /** H v at the n x K probabilities `probs` (see hessianVectorProduct). */
  hessianVector(probs: Float64Array, v: Float64Array, out: Float64Array = new Float64Array(this.P)): Float64Array {
    const { N, K } = this.data;
    const { Z, Rt, l2, P } = this;
    if (this.blocked) {
      this.blockedProducts(v, (i0, h) => this.curvatureRows(probs, Z, this.Kp, Rt, BLOCK_ROWS, i0, h), out);
    } else {
      this.logitsOf(v);
      this.curvatureRows(probs, Z, K, Rt, this.rtStride, 0, N);
      this.residualProduct(out);
    }
    for (let p = 0; p < P; p++) out[p] += l2 * v[p];
    return out;
  }

  /** Rows i0 .. i0 + n of H v: c_i p_i (z_i - p_i . z_i) into Rt[k * S + r] from the logits z_i of v in Z (row r at r * zs). */
  private curvatureRows(probs: Float64Array, Z: Float64Array, zs: number, Rt: Float64Array, S: number, i0: number, n: number): void {
    const { N, K } = this.data;
    const weights = this.weights;
    const c0 = 1 / N;
    for (let r = 0; r < n; r++) {
      const i = i0 + r;
      const c = weights ? weights[i] : c0;
      const zi = r * zs, pi = i * K;
      let pt = 0;
      for (let k = 0; k < K; k++) pt += probs[pi + k] * Z[zi + k];
      for (let k = 0; k < K; k++) Rt[k * S + r] = c * probs[pi + k] * (Z[zi + k] - pt);
    }
  }
}

function transposeRows(X: Float64Array, N: number, D: number, Xt: Float64Array = new Float64Array(D * N)): Float64Array {
  for (let i = 0; i < N; i++) for (let a = 0; a < D; a++) Xt[a * N + i] = X[i * D + a];
  return Xt;
}

/** J(W) = sum_i c_i CE_i + (l2/2) ||W||^2; writes grad J into `grad` when given. */
export function objective(data: LogisticData, W: Float64Array, l2: number, weights?: Float64Array, grad?: Float64Array): number {
  return new LogisticObjective(data, l2, weights).value(W, grad);
}

/**
 * H v = sum_i c_i (A_i kron x_i x_i^T) v + l2 v with A_i = diag(p_i) - p_i p_i^T, from the n x K
 * probabilities `probs` (2 N K D multiply-adds).
 */
export function hessianVectorProduct(
  data: LogisticData,
  probs: Float64Array,
  l2: number,
  v: Float64Array,
  weights?: Float64Array,
  out: Float64Array = new Float64Array(data.K * data.D),
): Float64Array {
  return new LogisticObjective(data, l2, weights).hessianVector(probs, v, out);
}

// ---------------------------------------------------------------- fitting

/**
 * Default convergence tolerance on ||grad J||_2: 1e-9 * max(1, sum_i c_i ||x_i||_2).
 * Why this scale: the data part of grad J is sum_i c_i r_i kron x_i with ||r_i|| <= sqrt 2, so
 * sum_i c_i ||x_i|| bounds its size at any W; the tolerance is nine orders of magnitude below it
 * and still well above the float64 rounding floor of the sum (~1e-16 * sqrt(N) times the same
 * scale). It follows a rescaling of the features or of the weights: for z-scored features and
 * 1/N weights it is ~1e-9 * sqrt(D), i.e. ~1e-8 on digits, like the numpy reference's 1e-8. The
 * parameter error at that point is ||H^-1 grad J|| <= tol / l2 in the worst direction; in practice
 * influence then agrees with a fully converged fit to ~1e-5 relative. Pass a smaller tol for more
 * (the Newton polish reaches the rounding floor in one or two steps).
 */
export function defaultTolerance(data: LogisticData, weights?: Float64Array): number {
  const { X, N, D } = data;
  let s = 0;
  for (let i = 0; i < N; i++) {
    const c = weights ? weights[i] : 1 / N;
    if (c !== 0) s += Math.abs(c) * Math.sqrt(dot(X, i * D, X, i * D, D));
  }
  return 1e-9 * Math.max(1, s);
}

/** Largest parameter count for which the Newton polish builds and factors the exact Hessian. */
export const EXACT_NEWTON_MAX_PARAMS = 2500;

/**
 * Fits W: L-BFGS (memory 20, strong Wolfe line search) until ||grad J|| < tol or until it can make
 * no more progress in float64, then exact Newton steps (Hessian + Cholesky; for more than
 * EXACT_NEWTON_MAX_PARAMS parameters, Newton-CG with Hessian-vector products) with the gradient norm
 * as merit function, until ||grad J|| < tol. J is strictly convex (l2 > 0), so the optimum is unique.
 * Ticks opts.checkpoint between iterations.
 */
export async function fitLogistic(data: LogisticData, opts: FitOptions): Promise<FitReport> {
  const { N, D, K, y } = data;
  const P = K * D;
  if (!(opts.l2 >= 0)) throw new RangeError(`fitLogistic: l2 must be >= 0, got ${opts.l2}`);
  if (data.X.length < N * D) throw new RangeError(`fitLogistic: X has ${data.X.length} entries, N*D = ${N * D}`);
  for (let i = 0; i < N; i++) {
    if (!(y[i] >= 0 && y[i] < K)) throw new RangeError(`fitLogistic: row ${i} has class ${y[i]}, K = ${K}`);
    for (let a = 0; a < D; a++) {
      if (!Number.isFinite(data.X[i * D + a])) {
        throw new UserError(`Feature ${a} of training row ${i} is ${data.X[i * D + a]}: the model needs finite numbers.`);
      }
    }
  }
  const l2 = opts.l2;
  const weights = opts.weights;
  const tol = opts.tol ?? defaultTolerance(data, weights);
  const maxIter = opts.maxIterations ?? 10000;
  const cp = opts.checkpoint;

  let evaluations = 0;
  const obj = new LogisticObjective(data, l2, weights);
  // The objective's kernel space goes back for the next fit (KernelSpace.reuse) however this one ends.
  try {
    const evalFG = (w: Float64Array, g: Float64Array): number => {
      evaluations++;
      return obj.value(w, g);
    };

    const w = opts.init ? Float64Array.from(opts.init) : new Float64Array(P);
    if (w.length !== P) throw new RangeError(`fitLogistic: init has ${w.length} entries, K*D = ${P}`);
    const g = new Float64Array(P);
    let f = evalFG(w, g);
    let gnorm = norm2(g);
    const g0 = Float64Array.from(g);

    let newtonSteps = 0;
    const wTry = new Float64Array(P);
    const gTry = new Float64Array(P);
    /** One damped step w - t s with t = 1, 1/2, ... that lowers ||grad J||: its t, or 0 if none does. */
    const stepDown = (step: Float64Array): number => {
      for (let t = 1, h = 0; h < 40; h++, t *= 0.5) {
        for (let p = 0; p < P; p++) wTry[p] = w[p] - t * step[p];
        const fTry = evalFG(wTry, gTry);
        const gTryNorm = norm2(gTry);
        if (gTryNorm < gnorm) {
          w.set(wTry);
          g.set(gTry);
          f = fTry;
          gnorm = gTryNorm;
          return t;
        }
      }
      return 0;
    };
    if (opts.preconditioner) {
      const M = opts.preconditioner;
      for (let it = 0; it < 20 && gnorm >= tol && Number.isFinite(gnorm); it++) {
        await cp?.tick(0);
        const probs = predictProba(w, data.X, N, D, K);
        // Inexact Newton: the inner tolerance tightens as the gradient falls (superlinear convergence).
        const step = conjugateGradient((v, out) => obj.hessianVector(probs, v, out), g, Math.min(0.1, Math.sqrt(gnorm / norm2(g0))), 20, M);
        newtonSteps++;
        // A step that did not halve the gradient norm: the start is outside Newton's fast region; L-BFGS goes on.
        const before = gnorm;
        if (stepDown(step) === 0 || gnorm > 0.5 * before) break;
      }
    }

    const lb = await lbfgs(w, g, f, evalFG, tol, maxIter, { cp, progress: fitProgress(gnorm, tol), initialInverseHessian: opts.initialInverseHessian });
    f = lb.f;
    gnorm = norm2(g);

    const progress = fitProgress(norm2(g0), tol);
    const polishFrom = newtonSteps;
    while (gnorm >= tol && newtonSteps - polishFrom < 20 && Number.isFinite(gnorm)) {
      await cp?.tick(progress(gnorm));
      let step: Float64Array;
      try {
        step = newtonDirection(obj, w, g);
      } catch (e) {
        if (e instanceof NotPositiveDefiniteError) break; // l2 = 0 leaves a flat direction: report as is
        throw e;
      }
      newtonSteps++;
      if (stepDown(step) === 0) break; // the gradient norm cannot be reduced further in float64
    }

    const report: FitReport = {
      W: w,
      objective: f,
      gradNorm: gnorm,
      iterations: lb.iterations,
      newtonSteps,
      converged: gnorm < tol,
      tol,
      evaluations,
    };
    if (!report.converged && opts.requireConvergence) {
      throw new ConvergenceError(
        `The logistic regression fit did not converge: ||grad J|| = ${gnorm.toExponential(3)} >= ${tol.toExponential(3)} ` +
          `after ${lb.iterations} L-BFGS iterations and ${newtonSteps} Newton steps. ` +
          'Raise the L2 regularisation or check the features for extreme values.',
      );
    }
    return report;
  } finally {
    obj.release();
  }
}

/** Progress of a fit as the fraction of the way from the first gradient norm down to tol, on a log scale. */
function fitProgress(g0: number, tol: number): (g: number) => number {
  const span = Math.log(g0 / tol);
  return (g) => (span > 0 ? Math.min(1, Math.max(0, Math.log(g0 / g) / span)) : 1);
}

/** H^-1 g at w: exact (Cholesky) for small P, else conjugate gradients on Hessian-vector products. */
function newtonDirection(obj: LogisticObjective, w: Float64Array, g: Float64Array): Float64Array {
  const { data, l2, weights, P } = obj;
  if (P <= EXACT_NEWTON_MAX_PARAMS) {
    const H = hessian(data, obj.probabilitiesAt(w), l2, weights);
    return Cholesky.factorInPlace(H, P, { what: 'Hessian of the training objective' }).solve(g);
  }
  const probs = predictProba(w, data.X, data.N, data.D, data.K);
  return conjugateGradient((v, out) => obj.hessianVector(probs, v, out), g, 1e-10, 500);
}

