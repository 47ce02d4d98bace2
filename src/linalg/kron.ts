/**
 * Kernels for matrices with Kronecker-structured rows, as in multinomial logistic regression, where
 * a parameter vector is K x D (index k * D + a) and an example contributes (K x K) kron (x x^T).
 */

import { KernelSpace } from './kernels';

/**
 * For a symmetric P x P matrix S (P = K * D) made of D x D blocks S_kl = S[k*D.., l*D..], and each
 * row x_i of X (n x D, row-major): M_i[k, l] = x_i^T S_kl x_i, the K x K matrix (I kron x_i)^T S (I kron x_i).
 * Returns n x K x K (each M_i full and symmetric). Cost n * K(K+1)/2 * D^2 multiply-adds, in a 2 x 2
 * register tile (two rows of X against two rows of a block), over row chunks that stay in cache.
 */
export function kronQuadForms(
  S: Float64Array,
  K: number,
  D: number,
  X: Float64Array,
  n: number,
  out: Float64Array = new Float64Array(n * K * K),
): Float64Array {
  const P = K * D;
  const KK = K * K;
  const CHUNK = 64;
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const i1 = Math.min(n, i0 + CHUNK);
    for (let k = 0; k < K; k++) {
      for (let l = k; l < K; l++) {
        const base = k * D * P + l * D;
        let i = i0;
        for (; i + 1 < i1; i += 2) {
          const x0 = i * D, x1 = x0 + D;
          let m0 = 0, m1 = 0;
          let a = 0;
          for (; a + 1 < D; a += 2) {
            const s0 = base + a * P, s1 = s0 + P;
            let t00 = 0, t01 = 0, t10 = 0, t11 = 0;
            for (let b = 0; b < D; b++) {
              const u0 = S[s0 + b], u1 = S[s1 + b], v0 = X[x0 + b], v1 = X[x1 + b];
              t00 += u0 * v0;
              t01 += u0 * v1;
              t10 += u1 * v0;
              t11 += u1 * v1;
            }
            m0 += X[x0 + a] * t00 + X[x0 + a + 1] * t10;
            m1 += X[x1 + a] * t01 + X[x1 + a + 1] * t11;
          }
          if (a < D) {
            const s0 = base + a * P;
            let t00 = 0, t01 = 0;
            for (let b = 0; b < D; b++) {
              t00 += S[s0 + b] * X[x0 + b];
              t01 += S[s0 + b] * X[x1 + b];
            }
            m0 += X[x0 + a] * t00;
            m1 += X[x1 + a] * t01;
          }
          out[i * KK + k * K + l] = m0;
          out[i * KK + l * K + k] = m0;
          out[(i + 1) * KK + k * K + l] = m1;
          out[(i + 1) * KK + l * K + k] = m1;
        }
        if (i < i1) {
          const x0 = i * D;
          let m0 = 0;
          for (let a = 0; a < D; a++) {
            const s0 = base + a * P;
            let t = 0;
            for (let b = 0; b < D; b++) t += S[s0 + b] * X[x0 + b];
            m0 += X[x0 + a] * t;
          }
          out[i * KK + k * K + l] = m0;
          out[i * KK + l * K + k] = m0;
        }
      }
    }
  }
  return out;
}


/**
 * kronQuadForms for one S and many calls on the WebAssembly kernel (KernelSpace.kronQuad): two rows
 * per f64x2, each with kronQuadForms' own arithmetic in its order, so the blocks are equal to the
 * bit (label suspicion's first stage, whose blocks set the refit's weights; see KronQuadForms for
 * why a faster form that rounds differently is not used there). Rows are paired from the start of
 * each call as kronQuadForms pairs them; an odd last row goes through kronQuadForms itself, which
 * sums that row in another order.
 */
export class ExactKronQuadForms {
  private readonly ks: KernelSpace;
  private readonly off: { S: number; XI: number; M: number };

  constructor(
    private readonly S: Float64Array,
    readonly K: number,
    readonly D: number,
  ) {
    const P = K * D, CH = KRON_CHUNK;
    this.ks = KernelSpace.create(P * P + CH * D + CH * K * K + 16);
    this.off = { S: this.ks.alloc(P * P), XI: this.ks.alloc(CH * D), M: this.ks.alloc(CH * K * K) };
    this.ks.f64.set(S.subarray(0, P * P), this.off.S);
  }

  /** M_i of the n rows of X (n x D) into out (n x K x K): kronQuadForms(S, K, D, X, n, out)'s numbers. */
  fill(X: Float64Array, n: number, out: Float64Array = new Float64Array(n * this.K * this.K)): Float64Array {
    const { ks, K, D, off } = this, f = ks.f64, KK = K * K, P = K * D, CH = KRON_CHUNK;
    const even = n & ~1;
    for (let i0 = 0; i0 < even; i0 += CH) {
      const h = Math.min(CH, even - i0);
      for (let r = 0; r < h; r += 2) {
        const x0 = (i0 + r) * D, xi = off.XI + r * D;
        for (let b = 0; b < D; b++) {
          f[xi + 2 * b] = X[x0 + b];
          f[xi + 2 * b + 1] = X[x0 + D + b];
        }
      }
      ks.kronQuad(off.S, P, K, D, off.XI, h >> 1, off.M);
      out.set(f.subarray(off.M, off.M + h * KK), i0 * KK);
    }
    if (even < n) kronQuadForms(this.S, K, D, X.subarray(even * D, n * D), 1, out.subarray(even * KK, n * KK));
    return out;
  }
}

/**
 * kronQuadForms in packed symmetric form on the gemmNT kernel, for one S and many calls (the
 * reweighted stage of label suspicion, a chunk of rows at a time; S packed once). Only the upper
 * entries S[p, q], p <= q, are read. With symmetry, x^T S_kl x = sum_{a <= b} x_a x_b c_kl,ab
 * (c_kl,ab = S_kl[a, b] + S_kl[b, a], halved for a = b): one product of the rows' packed outer
 * products (n x D(D+1)/2) with the packed blocks (K(K+1)/2 x D(D+1)/2), n K(K+1)/2 D(D+1)/2
 * multiply-adds with SIMD, against kronQuadForms' n K(K+1)/2 D^2 in JavaScript. The sums run in
 * another order: the two agree to rounding (measured: relative 4e-15 on digits' and satellite's
 * blocks). Label suspicion's first stage keeps kronQuadForms: its blocks set the refit's weights,
 * and the refit's stopping point (tolerance ~1e-9 of the gradient's scale) moved by a rounding
 * change of its objective moves the scores by up to ~1e-6 relative (bench/RESULTS.md, scale).
 */
export class KronQuadForms {
  private readonly ks: KernelSpace;
  private readonly Kp: number;
  private readonly Dq: number;
  private readonly off: { C: number; Q: number; M: number; X: number };

  constructor(
    S: Float64Array,
    readonly K: number,
    readonly D: number,
  ) {
    const Kq = (K * (K + 1)) / 2;
    this.Kp = Kq + (Kq & 1); // pairs k <= l, padded to even with a zero row
    this.Dq = (D * (D + 1)) / 2;
    const { Kp, Dq } = this, CH = KRON_CHUNK;
    this.ks = KernelSpace.create(Kp * Dq + CH * Dq + CH * Kp + CH * D + 16);
    this.off = { C: this.ks.alloc(Kp * Dq), Q: this.ks.alloc(CH * Dq), M: this.ks.alloc(CH * Kp), X: this.ks.alloc(CH * D) };
    packKronBlocks(S, K, D, 1, this.ks.f64, this.off.C);
  }

  /** M_i of the n rows of X (n x D) into out (n x K x K). */
  fill(X: Float64Array, n: number, out: Float64Array = new Float64Array(n * this.K * this.K)): Float64Array {
    const { ks, K, D, Kp, Dq, off } = this, f = ks.f64, KK = K * K, CH = KRON_CHUNK;
    for (let i0 = 0; i0 < n; i0 += CH) {
      const h = Math.min(CH, n - i0);
      f.set(X.subarray(i0 * D, (i0 + h) * D), off.X);
      ks.symOuter(off.X, D, h, D, off.Q, Dq);
      ks.gemmNT(off.Q, Dq, off.C, Dq, off.M, Kp, h, Kp, Dq);
      for (let r = 0; r < h; r++) {
        const o = (i0 + r) * KK, m = off.M + r * Kp;
        let p = 0;
        for (let k = 0; k < K; k++) for (let l = k; l < K; l++, p++) out[o + k * K + l] = out[o + l * K + k] = f[m + p];
      }
    }
    return out;
  }
}

/**
 * The packed blocks c_kl of a symmetric S (upper entries read) into f at offset o, row q = pair
 * k <= l (in that order), entry t = pair a <= b: c_kl,ab = S_kl[a, b] + S_kl[b, a] for a < b and
 * S_kl[a, a] on the diagonal, times `offDiagonalScale` when k < l.
 */
function packKronBlocks(S: Float64Array, K: number, D: number, offDiagonalScale: number, f: Float64Array, o: number): void {
  const P = K * D, Dq = (D * (D + 1)) / 2;
  let q = 0;
  for (let k = 0; k < K; k++) {
    for (let l = k; l < K; l++, q++) {
      const row = o + q * Dq;
      const scale = k < l ? offDiagonalScale : 1;
      let t = 0;
      for (let a = 0; a < D; a++) {
        const ra = (k * D + a) * P + l * D;
        for (let b = a; b < D; b++, t++) {
          // S_kl[b, a] = S[kD + b, lD + a] is an upper entry for k < l; for k = l use S_kk[a, b].
          const ba = k < l ? S[(k * D + b) * P + l * D + a] : S[ra + b];
          f[row + t] = a === b ? scale * S[ra + b] : scale * (S[ra + b] + ba);
        }
      }
    }
  }
}

/**
 * g_i^T S g_i for g_i = r_i kron x_i and every row i (X: n x D, R: n x K, row-major), given the upper
 * entries S[p, q], p <= q, of a symmetric P x P matrix (P = K D, row stride P; entries below the
 * diagonal are not read). With symmetry on both sides, g_i^T S g_i = sum_{k <= l} r_ik r_il
 * sum_{a <= b} x_ia x_ib c_kl,ab with c_kl,ab = (S_kl[a, b] + S_kl[b, a]) (halved for a = b, doubled
 * for k < l): one product of the rows' packed outer products (n x D(D+1)/2) with the packed blocks
 * (K(K+1)/2 x D(D+1)/2) on the gemmNT kernel, n K(K+1)/2 D(D+1)/2 multiply-adds, about a quarter
 * of the n P^2 of g_i^T S g_i written out and under the n P^2 / 2 of a triangular solve per row.
 * R is the n x K matrix, or a RowSource that makes its rows a chunk at a time (the exact influence
 * keeps no residual array: ExactInfluence.residualRows).
 */
export function kronQuadFormsOfGradients(S: Float64Array, K: number, D: number, X: Float64Array, R: Float64Array | RowSource, n: number, out: Float64Array = new Float64Array(n)): Float64Array {
  const Kq = (K * (K + 1)) / 2, Kp = Kq + (Kq & 1); // pairs k <= l, padded to even with a zero row
  const Dq = (D * (D + 1)) / 2;
  const CH = KRON_CHUNK;
  const ks = KernelSpace.create(Kp * Dq + CH * Dq + CH * Kp + CH * D + 16);
  const offC = ks.alloc(Kp * Dq), offQ = ks.alloc(CH * Dq), offM = ks.alloc(CH * Kp), offX = ks.alloc(CH * D);
  const f = ks.f64;
  // The packed blocks c_kl (row q = pair k <= l; the padding row stays zero).
  packKronBlocks(S, K, D, 2, f, offC);
  const rows = typeof R === 'function' ? new Float64Array(CH * K) : undefined;
  for (let i0 = 0; i0 < n; i0 += CH) {
    const h = Math.min(CH, n - i0);
    f.set(X.subarray(i0 * D, (i0 + h) * D), offX);
    ks.symOuter(offX, D, h, D, offQ, Dq);
    ks.gemmNT(offQ, Dq, offC, Dq, offM, Kp, h, Kp, Dq);
    // The chunk's residual rows, from their first entry.
    const Rc = typeof R === 'function' ? R(i0, h, rows as Float64Array) : R.subarray(i0 * K, (i0 + h) * K);
    for (let r = 0; r < h; r++) {
      const m = offM + r * Kp;
      let s = 0, p = 0;
      for (let k = 0; k < K; k++) {
        const rk = Rc[r * K + k];
        for (let l = k; l < K; l++, p++) s += rk * Rc[r * K + l] * f[m + p];
      }
      out[i0 + r] = s;
    }
  }
  return out;
}

/**
 * Rows [i0, i0 + m) of an n x K matrix written into out (m x K, from its start) or given as a view;
 * returns the rows.
 */
export type RowSource = (i0: number, m: number, out: Float64Array) => Float64Array;

/** Rows per pass of kronQuadForms and kronQuadFormsOfGradients. */
const KRON_CHUNK = 64;
