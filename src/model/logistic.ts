import type { Checkpoint } from '../util/cancel';
import { ConvergenceError, NotPositiveDefiniteError, UserError } from '../util/errors';
import { Cholesky } from '../linalg/cholesky';
import { dot, norm2 } from '../linalg/dense';
import { KernelSpace, wasmKernelsAvailable } from '../linalg/kernels';

/**
 * L2-regularised multinomial logistic regression, float64.
 * J(W) = sum_i c_i CE(softmax(W x_i), y_i) + (l2/2) ||W||^2, c_i = 1/N unless weights are given;
 * W is K x D row-major (parameter k*D + a), bias is the last feature and is regularised.
 * The gradient of CE_i alone is g_i = r_i kron x_i with the residual r_i = p_i - onehot(y_i); the
 * Hessian of J is H = sum_i c_i (diag(p_i) - p_i p_i^T) kron (x_i x_i^T) + l2 I, laid out as
 * H[k*D + a, l*D + b]. The same conventions as shared/reference/ref_influence.py.
 */
export interface LogisticData {
  /** N x D row-major, bias column last. */
  X: Float64Array;
  N: number;
  D: number;
  K: number;
  /** Class index per row. */
  y: Int32Array;
}

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

// ---------------------------------------------------------------- softmax

/** out[oo..oo+K) = log softmax(z[zo..zo+K)); returns the log-sum-exp. Stable for any finite z. */
export function logSoftmaxInto(z: Float64Array, zo: number, K: number, out: Float64Array, oo: number): number {
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (z[zo + k] > m) m = z[zo + k];
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp(z[zo + k] - m);
  const lse = m + Math.log(s);
  for (let k = 0; k < K; k++) out[oo + k] = z[zo + k] - lse;
  return lse;
}

/** out[oo..oo+K) = softmax(z[zo..zo+K)) (max subtracted first); returns the log-sum-exp. */
export function softmaxInto(z: Float64Array, zo: number, K: number, out: Float64Array, oo: number): number {
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (z[zo + k] > m) m = z[zo + k];
  let s = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(z[zo + k] - m);
    out[oo + k] = e;
    s += e;
  }
  const inv = 1 / s;
  for (let k = 0; k < K; k++) out[oo + k] *= inv;
  return m + Math.log(s);
}

/**
 * n x K logits W x_i, in 4 x 2 tiles (four rows against two classes: eight independent sums, six
 * loads per eight multiply-adds; measured ~1.4x faster than 2 x 2 tiles in V8).
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

export function logSumExp(z: Float64Array, zo: number, K: number): number {
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (z[zo + k] > m) m = z[zo + k];
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp(z[zo + k] - m);
  return m + Math.log(s);
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

/** Largest N * D whose copies (X and X^T) go into a kernel space (beyond it: JavaScript on X itself). */
const KERNEL_SPACE_MAX_ND = 8_000_000;
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
 * src/linalg/kernels.ts when it is WebAssembly (X and X^T are then copied into its memory once);
 * otherwise on the tiled JavaScript loops above.
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

  constructor(
    readonly data: LogisticData,
    readonly l2: number,
    readonly weights?: Float64Array,
  ) {
    const { X, N, D, K } = data;
    this.P = K * D;
    if (wasmKernelsAvailable() && N * D <= KERNEL_SPACE_MAX_ND) {
      const Np = (this.Np = N + (N & 1)), Dp = (this.Dp = D + (D & 1));
      const ks = (this.ks = KernelSpace.create(2 * Np * Dp + 2 * Np * K + 2 * K * Dp + 16));
      const o = this.off;
      o.X = ks.alloc(Np * Dp);
      o.Xt = ks.alloc(Dp * Np);
      o.W = ks.alloc(K * Dp);
      o.Z = ks.alloc(Np * K);
      o.Rt = ks.alloc(K * Np);
      o.G = ks.alloc(K * Dp);
      const f = ks.f64;
      for (let i = 0; i < N; i++) {
        f.set(X.subarray(i * D, i * D + D), o.X + i * Dp);
        for (let a = 0; a < D; a++) f[o.Xt + a * Np + i] = X[i * D + a];
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

  /** J(W); writes grad J into `grad` when given. */
  value(W: Float64Array, grad?: Float64Array): number {
    const { N, K, y } = this.data;
    const { Z, Rt, weights, l2, P } = this;
    const S = this.rtStride;
    this.logitsOf(W);
    const c0 = 1 / N;
    let f = 0;
    for (let i = 0; i < N; i++) {
      const c = weights ? weights[i] : c0;
      const zi = i * K;
      let m = -Infinity;
      for (let k = 0; k < K; k++) if (Z[zi + k] > m) m = Z[zi + k];
      const zy = Z[zi + y[i]];
      let s = 0;
      for (let k = 0; k < K; k++) s += Z[zi + k] = Math.exp(Z[zi + k] - m);
      f += c * (m + Math.log(s) - zy);
      if (grad) {
        const cs = c / s;
        for (let k = 0; k < K; k++) Rt[k * S + i] = cs * Z[zi + k];
        Rt[y[i] * S + i] -= c;
      }
    }
    let ww = 0;
    for (let p = 0; p < P; p++) ww += W[p] * W[p];
    if (grad) {
      this.residualProduct(grad);
      if (l2 !== 0) for (let p = 0; p < P; p++) grad[p] += l2 * W[p];
    }
    return f + 0.5 * l2 * ww;
  }

  /** H v at the n x K probabilities `probs` (see hessianVectorProduct). */
  hessianVector(probs: Float64Array, v: Float64Array, out: Float64Array = new Float64Array(this.P)): Float64Array {
    const { N, K } = this.data;
    const { Z, Rt, weights, l2, P } = this;
    const S = this.rtStride;
    this.logitsOf(v);
    const c0 = 1 / N;
    for (let i = 0; i < N; i++) {
      const c = weights ? weights[i] : c0;
      const zi = i * K;
      let pt = 0;
      for (let k = 0; k < K; k++) pt += probs[zi + k] * Z[zi + k];
      for (let k = 0; k < K; k++) Rt[k * S + i] = c * probs[zi + k] * (Z[zi + k] - pt);
    }
    this.residualProduct(out);
    for (let p = 0; p < P; p++) out[p] += l2 * v[p];
    return out;
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

/** Scratch buffers for accumulating the Hessian over row chunks. */
export class HessianAccumulator {
  readonly P: number;
  /** P x P; until finish(), only the upper triangle (a <= b) of each off-diagonal block pair k < l. */
  readonly H: Float64Array;
  private readonly xt: Float64Array;
  private readonly wx: Float64Array;
  /** With WebAssembly kernels: H, xt and wx live in this space (offsets below). */
  private readonly ks?: KernelSpace;
  private readonly off = { H: 0, xt: 0, wx: 0 };
  static readonly CHUNK = 256;
  /** Rows of a block per kernel call: the strip's entries below the diagonal are wasted work. */
  private static readonly STRIP = 8;

  constructor(
    private readonly data: LogisticData,
    private readonly probs: Float64Array,
    private readonly weights?: Float64Array,
  ) {
    const P = (this.P = data.K * data.D);
    const chunk = data.D * HessianAccumulator.CHUNK;
    if (wasmKernelsAvailable()) {
      const ks = (this.ks = KernelSpace.create(P * P + 2 * chunk + 8));
      this.off.H = ks.alloc(P * P);
      this.off.xt = ks.alloc(chunk);
      this.off.wx = ks.alloc(chunk);
      this.H = ks.view(this.off.H, P * P);
      this.xt = ks.view(this.off.xt, chunk);
      this.wx = ks.view(this.off.wx, chunk);
    } else {
      this.H = new Float64Array(P * P);
      this.xt = new Float64Array(chunk);
      this.wx = new Float64Array(chunk);
    }
  }

  /**
   * Adds rows [r0, r1) (at most CHUNK of them). For every block pair k < l, block H_kl is the
   * weighted Gram matrix sum_i w_i x_i x_i^T with w_i = -c_i p_ik p_il: symmetric in (a, b), so only
   * a <= b is computed, in 2 x 4 register tiles over the chunk's transposed columns.
   * The diagonal blocks are not accumulated: the rows of A_i = diag(p_i) - p_i p_i^T sum to zero,
   * so finish() gets H_kk = -sum_{l != k} H_kl (K fewer blocks; and p_k sum_{l != k} p_l is more
   * accurate than p_k (1 - p_k) when p_k is close to 1).
   */
  addRows(r0: number, r1: number): void {
    const { X, N, D, K } = this.data;
    const { probs, weights, H, xt, wx, P } = this;
    const n = r1 - r0;
    if (n > HessianAccumulator.CHUNK) throw new RangeError('HessianAccumulator.addRows: chunk too large');
    for (let i = 0; i < n; i++) for (let a = 0; a < D; a++) xt[a * n + i] = X[(r0 + i) * D + a];
    const c0 = 1 / N;
    for (let k = 0; k < K; k++) {
      for (let l = k + 1; l < K; l++) {
        let any = false;
        for (let i = 0; i < n; i++) {
          const r = r0 + i;
          const c = weights ? weights[r] : c0;
          const w = -c * probs[r * K + k] * probs[r * K + l];
          if (w !== 0) any = true;
          for (let a = 0; a < D; a++) wx[a * n + i] = w * xt[a * n + i];
        }
        if (!any) continue;
        const base = k * D * P + l * D;
        const ks = this.ks;
        if (ks) {
          // Strips of rows a in [a0, a0 + STRIP) against columns b >= a0 (kernel, accumulating).
          const S = HessianAccumulator.STRIP, o = this.off;
          for (let a0 = 0; a0 < D; a0 += S) {
            ks.gemmNT(o.wx + a0 * n, n, o.xt + a0 * n, n, o.H + base + a0 * P + a0, P, Math.min(S, D - a0), D - a0, n, 1, 1);
          }
          continue;
        }
        let a = 0;
        for (; a + 1 < D; a += 2) {
          const wa0 = a * n, wa1 = wa0 + n;
          const h0 = base + a * P, h1 = h0 + P;
          let b = a;
          // 2 x 4 tiles (rows a, a+1 against columns b..b+3); at b = a the entry (a+1, a) lies
          // below the diagonal and is dropped.
          for (; b + 3 < D; b += 4) {
            const xb0 = b * n, xb1 = xb0 + n, xb2 = xb1 + n, xb3 = xb2 + n;
            let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            for (let i = 0; i < n; i++) {
              const u0 = wx[wa0 + i], u1 = wx[wa1 + i];
              const v0 = xt[xb0 + i], v1 = xt[xb1 + i], v2 = xt[xb2 + i], v3 = xt[xb3 + i];
              s0 += u0 * v0;
              s1 += u0 * v1;
              s2 += u0 * v2;
              s3 += u0 * v3;
              t0 += u1 * v0;
              t1 += u1 * v1;
              t2 += u1 * v2;
              t3 += u1 * v3;
            }
            H[h0 + b] += s0;
            H[h0 + b + 1] += s1;
            H[h0 + b + 2] += s2;
            H[h0 + b + 3] += s3;
            if (b !== a) H[h1 + b] += t0;
            H[h1 + b + 1] += t1;
            H[h1 + b + 2] += t2;
            H[h1 + b + 3] += t3;
          }
          for (; b < D; b++) {
            H[h0 + b] += dot(wx, wa0, xt, b * n, n);
            if (b !== a) H[h1 + b] += dot(wx, wa1, xt, b * n, n);
          }
        }
        if (a < D) H[base + a * P + a] += dot(wx, a * n, xt, a * n, n);
      }
    }
  }

  /**
   * Fills the diagonal blocks (H_kk = -sum_{l != k} H_kl), mirrors the computed entries into the full
   * symmetric P x P matrix and adds l2 I.
   */
  finish(l2: number): Float64Array {
    const { D, K } = this.data;
    const { H, P } = this;
    for (let k = 0; k < K; k++) {
      const diag = k * D * P + k * D;
      for (let l = 0; l < K; l++) {
        if (l === k) continue;
        const off = Math.min(k, l) * D * P + Math.max(k, l) * D;
        for (let a = 0; a < D; a++) for (let b = a; b < D; b++) H[diag + a * P + b] -= H[off + a * P + b];
      }
    }
    for (let k = 0; k < K; k++) {
      for (let l = k; l < K; l++) {
        const base = k * D * P + l * D;
        for (let a = 0; a < D; a++) {
          for (let b = a + 1; b < D; b++) H[base + b * P + a] = H[base + a * P + b];
        }
        if (l !== k) {
          const mirror = l * D * P + k * D;
          for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) H[mirror + a * P + b] = H[base + a * P + b];
        }
      }
    }
    for (let p = 0; p < P; p++) H[p * P + p] += l2;
    return H;
  }
}

/** The full P x P Hessian of J at the given n x K probabilities (see HessianAccumulator). */
export function hessian(data: LogisticData, probs: Float64Array, l2: number, weights?: Float64Array): Float64Array {
  const acc = new HessianAccumulator(data, probs, weights);
  for (let r = 0; r < data.N; r += HessianAccumulator.CHUNK) acc.addRows(r, Math.min(data.N, r + HessianAccumulator.CHUNK));
  return acc.finish(l2);
}

/** The same, yielding to the checkpoint between row chunks. */
export async function hessianAsync(
  data: LogisticData,
  probs: Float64Array,
  l2: number,
  weights?: Float64Array,
  cp?: Checkpoint,
): Promise<Float64Array> {
  const acc = new HessianAccumulator(data, probs, weights);
  for (let r = 0; r < data.N; r += HessianAccumulator.CHUNK) {
    acc.addRows(r, Math.min(data.N, r + HessianAccumulator.CHUNK));
    await cp?.tick(r / data.N);
  }
  return acc.finish(l2);
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

  const lb = await lbfgs(w, g, f, evalFG, tol, maxIter, cp);
  f = lb.f;
  gnorm = norm2(g);

  let newtonSteps = 0;
  const wTry = new Float64Array(P);
  const gTry = new Float64Array(P);
  const progress = fitProgress(norm2(g0), tol);
  while (gnorm >= tol && newtonSteps < 20 && Number.isFinite(gnorm)) {
    await cp?.tick(progress(gnorm));
    let step: Float64Array;
    try {
      step = newtonDirection(obj, w, g);
    } catch (e) {
      if (e instanceof NotPositiveDefiniteError) break; // l2 = 0 leaves a flat direction: report as is
      throw e;
    }
    let accepted = false;
    for (let t = 1, h = 0; h < 40; h++, t *= 0.5) {
      for (let p = 0; p < P; p++) wTry[p] = w[p] - t * step[p];
      const fTry = evalFG(wTry, gTry);
      const gTryNorm = norm2(gTry);
      if (gTryNorm < gnorm) {
        w.set(wTry);
        g.set(gTry);
        f = fTry;
        gnorm = gTryNorm;
        accepted = true;
        break;
      }
    }
    newtonSteps++;
    if (!accepted) break; // the gradient norm cannot be reduced further in float64
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
}

/** Progress of a fit as the fraction of the way from the first gradient norm down to tol, on a log scale. */
function fitProgress(g0: number, tol: number): (g: number) => number {
  const span = Math.log(g0 / tol);
  return (g) => (span > 0 ? Math.min(1, Math.max(0, Math.log(g0 / g) / span)) : 1);
}

/** H^-1 g at w: exact (Cholesky) for small P, else conjugate gradients on Hessian-vector products. */
function newtonDirection(obj: LogisticObjective, w: Float64Array, g: Float64Array): Float64Array {
  const { data, l2, weights, P } = obj;
  const probs = predictProba(w, data.X, data.N, data.D, data.K);
  if (P <= EXACT_NEWTON_MAX_PARAMS) {
    const H = hessian(data, probs, l2, weights);
    return Cholesky.factorInPlace(H, P, { what: 'Hessian of the training objective' }).solve(g);
  }
  return conjugateGradient((v, out) => obj.hessianVector(probs, v, out), g, 1e-10, 500);
}

/** Solves A x = b for symmetric positive definite A given as a product, from x = 0. */
export function conjugateGradient(
  apply: (v: Float64Array, out: Float64Array) => void,
  b: Float64Array,
  relTol: number,
  maxIter: number,
): Float64Array {
  const n = b.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  const Ap = new Float64Array(n);
  let rr = dot(r, 0, r, 0, n);
  const stop = relTol * relTol * rr;
  for (let it = 0; it < maxIter && rr > stop; it++) {
    apply(p, Ap);
    const alpha = rr / dot(p, 0, Ap, 0, n);
    for (let k = 0; k < n; k++) {
      x[k] += alpha * p[k];
      r[k] -= alpha * Ap[k];
    }
    const rr2 = dot(r, 0, r, 0, n);
    const beta = rr2 / rr;
    rr = rr2;
    for (let k = 0; k < n; k++) p[k] = r[k] + beta * p[k];
  }
  return x;
}

interface LbfgsResult {
  f: number;
  iterations: number;
}

/**
 * Limited-memory BFGS on f, updating w and g in place. Stops when ||g|| < tol, after maxIter
 * iterations, or when neither the line search nor a restart along -g can lower f.
 */
async function lbfgs(
  w: Float64Array,
  g: Float64Array,
  f: number,
  evalFG: (w: Float64Array, g: Float64Array) => number,
  tol: number,
  maxIter: number,
  cp?: Checkpoint,
): Promise<LbfgsResult> {
  const P = w.length;
  const M = 20;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(M);
  const d = new Float64Array(P);
  const wNew = new Float64Array(P);
  const gNew = new Float64Array(P);
  let it = 0;
  let gnorm = norm2(g);
  const progress = fitProgress(gnorm, tol);
  while (gnorm >= tol && it < maxIter) {
    await cp?.tick(progress(gnorm));
    // Two-loop recursion: d = -H_k g.
    d.set(g);
    const m = S.length;
    for (let j = m - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], 0, d, 0, P);
      const yj = Y[j];
      for (let p = 0; p < P; p++) d[p] -= alpha[j] * yj[p];
    }
    let gamma = 1;
    if (m > 0) gamma = dot(S[m - 1], 0, Y[m - 1], 0, P) / dot(Y[m - 1], 0, Y[m - 1], 0, P);
    else gamma = 1 / Math.max(gnorm, 1);
    for (let p = 0; p < P; p++) d[p] *= gamma;
    for (let j = 0; j < m; j++) {
      const beta = rho[j] * dot(Y[j], 0, d, 0, P);
      const sj = S[j];
      for (let p = 0; p < P; p++) d[p] += (alpha[j] - beta) * sj[p];
    }
    for (let p = 0; p < P; p++) d[p] = -d[p];
    let dg = dot(d, 0, g, 0, P);
    if (!(dg < 0)) {
      // Not a descent direction (curvature information gone stale): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let p = 0; p < P; p++) d[p] = -g[p] / Math.max(gnorm, 1);
      dg = dot(d, 0, g, 0, P);
    }
    const ls = wolfeLineSearch(w, f, g, d, dg, evalFG, wNew, gNew);
    if (!ls.ok) {
      if (S.length > 0) {
        S.length = Y.length = rho.length = 0; // retry once from steepest descent
        continue;
      }
      break;
    }
    const s = new Float64Array(P);
    const yv = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      s[p] = wNew[p] - w[p];
      yv[p] = gNew[p] - g[p];
    }
    const sy = dot(s, 0, yv, 0, P);
    w.set(wNew);
    g.set(gNew);
    const fOld = f;
    f = ls.f;
    gnorm = norm2(g);
    it++;
    if (sy > 1e-12 * Math.sqrt(dot(s, 0, s, 0, P) * dot(yv, 0, yv, 0, P))) {
      if (S.length === M) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    if (!(f < fOld) && S.length === 0) break;
  }
  return { f, iterations: it };
}

interface LineSearchResult {
  ok: boolean;
  f: number;
  evals: number;
}

/**
 * Line search for the strong Wolfe conditions (sufficient decrease c1 = 1e-4, curvature c2 = 0.9),
 * bracketing then zooming with safeguarded cubic interpolation (Nocedal & Wright, algorithms 3.5-3.6). On success wNew, gNew hold the
 * accepted point. A point that lowers f without meeting the curvature condition is accepted when
 * the bracket collapses to rounding.
 */
function wolfeLineSearch(
  w: Float64Array,
  f0: number,
  g0: Float64Array,
  d: Float64Array,
  dg0: number,
  evalFG: (w: Float64Array, g: Float64Array) => number,
  wNew: Float64Array,
  gNew: Float64Array,
): LineSearchResult {
  const P = w.length;
  const c1 = 1e-4, c2 = 0.9;
  let evals = 0;
  const at = (t: number): [number, number] => {
    evals++;
    for (let p = 0; p < P; p++) wNew[p] = w[p] + t * d[p];
    const f = evalFG(wNew, gNew);
    return [f, dot(gNew, 0, d, 0, P)];
  };
  // Within rounding of f0, f cannot rank points (the sum over rows is only accurate to ~1e-14
  // relative); there the curvature condition alone decides, since the gradient stays accurate.
  const flat = (f: number): boolean => Math.abs(f - f0) <= 1e-13 * Math.abs(f0);
  let tPrev = 0, fPrev = f0, dgPrev = dg0;
  let t = 1;
  let best = { t: 0, f: f0 };
  for (let iter = 0; iter < 30; iter++) {
    const [f, dg] = at(t);
    if (Number.isFinite(f) && f < best.f) best = { t, f };
    if (flat(f) && Math.abs(dg) <= -c2 * dg0) return { ok: true, f, evals };
    if (!Number.isFinite(f) || f > f0 + c1 * t * dg0 || (iter > 0 && f >= fPrev)) {
      return zoom(tPrev, fPrev, dgPrev, t, Number.isFinite(f) ? f : Infinity, Number.isFinite(dg) ? dg : Infinity);
    }
    if (Math.abs(dg) <= -c2 * dg0) return { ok: true, f, evals };
    if (dg >= 0) return zoom(t, f, dg, tPrev, fPrev, dgPrev);
    tPrev = t;
    fPrev = f;
    dgPrev = dg;
    t *= 4;
  }
  return finishBest();

  function zoom(lo: number, flo: number, dglo: number, hi: number, fhi: number, dghi: number): LineSearchResult {
    for (let iter = 0; iter < 20; iter++) {
      let t = cubicMin(lo, flo, dglo, hi, fhi, dghi);
      const a = Math.min(lo, hi), b = Math.max(lo, hi);
      const margin = 0.1 * (b - a);
      if (!(t > a + margin && t < b - margin)) t = 0.5 * (lo + hi);
      const [f, dg] = at(t);
      if (Number.isFinite(f) && f < best.f) best = { t, f };
      if (flat(f) && Math.abs(dg) <= -c2 * dg0) return { ok: true, f, evals };
      if (!Number.isFinite(f) || f > f0 + c1 * t * dg0 || f >= flo) {
        hi = t;
        fhi = Number.isFinite(f) ? f : Infinity;
        dghi = dg;
      } else {
        if (Math.abs(dg) <= -c2 * dg0) return { ok: true, f, evals };
        if (dg * (hi - lo) >= 0) {
          hi = lo;
          fhi = flo;
          dghi = dglo;
        }
        lo = t;
        flo = f;
        dglo = dg;
      }
      if (Math.abs(hi - lo) <= 1e-14 * Math.max(1, Math.abs(lo))) break;
    }
    return finishBest();
  }

  function finishBest(): LineSearchResult {
    if (best.t === 0) return { ok: false, f: f0, evals };
    const f = at(best.t)[0];
    return { ok: true, f, evals };
  }
}

/** Minimiser of the cubic through (a, fa, da), (b, fb, db); NaN when it has none. */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  if (!Number.isFinite(fb) || !Number.isFinite(db)) return NaN;
  const d1 = da + db - 3 * (fa - fb) / (a - b);
  const disc = d1 * d1 - da * db;
  if (disc < 0) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
}
