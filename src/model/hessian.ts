import { Cholesky, type CholeskyOptions } from '../linalg/cholesky';
import { KernelSpace } from '../linalg/kernels';
import type { LogisticData } from './data';

/**
 * The Hessian of the logistic objective (src/model/logistic.ts),
 * H = sum_i c_i (diag(p_i) - p_i p_i^T) kron (x_i x_i^T) + l2 I, laid out as H[k*D + a, l*D + b],
 * accumulated over row chunks on the gemmNT kernel, and factored where it lies.
 */

/** Scratch buffers for accumulating the Hessian over row chunks. */
export class HessianAccumulator {
  readonly P: number;
  /** P x P; until finish(), only the upper triangle (a <= b) of each off-diagonal block pair k < l. */
  readonly H: Float64Array;
  private readonly xt: Float64Array;
  private readonly wx: Float64Array;
  /** The chunk's row weights of the current block pair. */
  private readonly wv = new Float64Array(257);
  /** H, xt and wx live in this kernel space (offsets below). */
  private readonly ks: KernelSpace;
  private readonly off = { H: 0, xt: 0, wx: 0 };
  static readonly CHUNK = 256; // wv above has CHUNK + 1 entries
  /** Rows of a block per kernel call: the strip's entries below the diagonal are wasted work. */
  private static readonly STRIP = 8;

  constructor(
    private readonly data: LogisticData,
    private readonly probs: Float64Array,
    private readonly weights?: Float64Array,
  ) {
    const P = (this.P = data.K * data.D);
    // Room for the chunk transposed with D and the rows padded to even counts (zeros), so every
    // kernel call stays inside its even tiles; H is followed by a guard row that only ever gets
    // zeros added (the padded column of the last block and the padded row of the last block row).
    const chunk = (data.D + 1) * (HessianAccumulator.CHUNK + 1);
    // Room for the Cholesky factor's buffers too (factorAsync factors H where it lies; pages never
    // touched cost no memory). Without WebAssembly the space is a plain array and the same kernel
    // runs in JavaScript.
    const ks = (this.ks = KernelSpace.create(P * P + 2 * P + 2 * chunk + 16 + Cholesky.workspace(P) + 16));
    this.off.H = ks.alloc(P * P + 2 * P + 2);
    this.off.xt = ks.alloc(chunk);
    this.off.wx = ks.alloc(chunk);
    this.H = ks.view(this.off.H, P * P);
    this.xt = ks.view(this.off.xt, chunk);
    this.wx = ks.view(this.off.wx, chunk);
  }

  /**
   * Adds rows [r0, r1) (at most CHUNK of them). For every block pair k < l, block H_kl is the
   * weighted Gram matrix sum_i w_i x_i x_i^T with w_i = -c_i p_ik p_il: symmetric in (a, b), so only
   * a <= b is computed, on the gemmNT kernel over the chunk's transposed columns.
   * The diagonal blocks are not accumulated: the rows of A_i = diag(p_i) - p_i p_i^T sum to zero,
   * so finish() gets H_kk = -sum_{l != k} H_kl (K fewer blocks; and p_k sum_{l != k} p_l is more
   * accurate than p_k (1 - p_k) when p_k is close to 1).
   */
  addRows(r0: number, r1: number): void {
    const { X, N, D, K } = this.data;
    const { probs, weights, xt, wx, P } = this;
    const n = r1 - r0;
    if (n > HessianAccumulator.CHUNK) throw new RangeError('HessianAccumulator.addRows: chunk too large');
    // Rows and features padded to even counts with zeros (np, Dp): every product stays in the kernel's tiles.
    const ks = this.ks;
    const np = n + (n & 1), Dp = D + (D & 1);
    for (let i = 0; i < n; i++) for (let a = 0; a < D; a++) xt[a * np + i] = X[(r0 + i) * D + a];
    if (np > n) for (let a = 0; a < D; a++) xt[a * np + n] = 0;
    if (Dp > D) xt.fill(0, D * np, Dp * np);
    const c0 = 1 / N;
    for (let k = 0; k < K; k++) {
      for (let l = k + 1; l < K; l++) {
        let any = false;
        const wv = this.wv;
        for (let i = 0; i < n; i++) {
          const r = r0 + i;
          const c = weights ? weights[r] : c0;
          const w = (wv[i] = -c * probs[r * K + k] * probs[r * K + l]);
          if (w !== 0) any = true;
        }
        if (!any) continue;
        if (np > n) wv[n] = 0;
        for (let a = 0; a < Dp; a++) {
          const o = a * np;
          for (let i = 0; i < np; i++) wx[o + i] = wv[i] * xt[o + i];
        }
        const base = k * D * P + l * D;
        // Strips of rows a in [a0, a0 + STRIP) against columns b >= a0 (kernel, accumulating).
        const S = HessianAccumulator.STRIP, o = this.off;
        for (let a0 = 0; a0 < Dp; a0 += S) {
          ks.gemmNT(o.wx + a0 * np, np, o.xt + a0 * np, np, o.H + base + a0 * P + a0, P, Math.min(S, Dp - a0), Dp - a0, np, 1, 1);
        }
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

  /**
   * After finish(): the Cholesky factor of H, factored where H lies in the accumulator's kernel
   * space (no copy of H, no fresh memory); H is overwritten and the accumulator is spent.
   */
  async factorAsync(opts: CholeskyOptions, tick?: (fraction: number) => Promise<void>): Promise<Cholesky> {
    // The chunk buffers (xt, wx: adjacent, already touched) hold the factor's small buffers if they fit.
    return Cholesky.factorInSpaceAsync(this.ks, this.off.H, this.P, opts, tick, { at: this.off.xt, size: this.wx.length + (this.off.wx - this.off.xt) });
  }
}

/** The full P x P Hessian of J at the given n x K probabilities (see HessianAccumulator). */
export function hessian(data: LogisticData, probs: Float64Array, l2: number, weights?: Float64Array): Float64Array {
  const acc = new HessianAccumulator(data, probs, weights);
  for (let r = 0; r < data.N; r += HessianAccumulator.CHUNK) acc.addRows(r, Math.min(data.N, r + HessianAccumulator.CHUNK));
  return acc.finish(l2);
}
