/**
 * Kernels for matrices with Kronecker-structured rows, as in multinomial logistic regression, where
 * a parameter vector is K x D (index k * D + a) and an example contributes (K x K) kron (x x^T).
 */

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

