/**
 * ExampleRow.neighbours: for a training row, how many of its nearest other training rows (on the
 * standardised features of src/detect/crossFit) share its label, and the most common other label
 * among them ("8 of its 10 nearest neighbours ..."). The rows a page needs are searched together
 * (nearestRows: candidate distances from the WebAssembly SIMD dot-product kernel, made exact by an
 * error bound and a direct recomputation of the few candidates), cached.
 */
import { squaredDistanceBelow, standardise } from '../detect/crossFit';
import { KernelSpace } from '../linalg/kernels';
import type { LogisticData } from '../model/logistic';
import type { ExampleRow } from '../protocol/types';

/** Neighbours counted for ExampleRow.neighbours. */
export const NEIGHBOURS = 10;
/** Rows x standardised features up to which neighbours are counted for the listed rows. */
export const NEIGHBOUR_BUDGET = 4e6;

export type Neighbours = NonNullable<ExampleRow['neighbours']>;

export class LabelNeighbours {
  private readonly cache = new Map<number, Neighbours>();
  /** Rows whose nearest rows came from an earlier scan's searches (relabelled), and rows searched here. */
  readonly searches = { kept: 0, made: 0 };

  private constructor(
    private readonly data: LogisticData,
    private readonly classes: readonly string[],
    private readonly Z: Float64Array,
    private readonly d: number,
    /** Each searched row's nearest rows (model rows, nearest first): they depend on the features only. */
    private readonly nearest: Map<number, Int32Array> = new Map(),
  ) {}

  /** The index over a scan's training rows, or undefined when it has under two rows or exceeds NEIGHBOUR_BUDGET. */
  static create(data: LogisticData, classes: readonly string[]): LabelNeighbours | undefined {
    if (data.N < 2 || data.N * data.D > NEIGHBOUR_BUDGET) return undefined;
    const { Z, d } = standardise(data);
    return new LabelNeighbours(data, classes, Z, d);
  }

  /**
   * The same index for a re-score whose features are these (the same X) and whose labels may differ:
   * the standardised features and the neighbour searches done so far are kept, the label counts are
   * made anew from `data.y`.
   */
  relabelled(data: LogisticData, classes: readonly string[]): LabelNeighbours {
    if (data.X !== this.data.X || data.N !== this.data.N) throw new RangeError('LabelNeighbours.relabelled: the features differ');
    return new LabelNeighbours(data, classes, this.Z, this.d, this.nearest);
  }

  /** The neighbours of model row i: the k nearest by (distance, row); ties keep the earlier row. */
  of(i: number): Neighbours {
    return this.ofRows([i])[0];
  }

  /**
   * The neighbours of each of these model rows, in order. The rows never searched are searched
   * together (nearestRows: one blocked pass over the data for all of them), then kept.
   */
  ofRows(rows: readonly number[]): Neighbours[] {
    const todo: number[] = [];
    for (const i of new Set(rows)) {
      if (this.cache.has(i)) continue;
      if (this.nearest.has(i)) this.searches.kept++;
      else todo.push(i);
    }
    if (todo.length > 0) {
      const found = nearestRows(this.Z, this.d, this.data.N, todo, Math.min(NEIGHBOURS, this.data.N - 1));
      todo.forEach((i, q) => this.nearest.set(i, found[q]));
      this.searches.made += todo.length;
    }
    return rows.map((i) => this.counted(i));
  }

  /** The label counts of model row i among its searched nearest rows (cached). */
  private counted(i: number): Neighbours {
    const hit = this.cache.get(i);
    if (hit) return hit;
    const data = this.data;
    const ni = this.nearest.get(i)!;
    const counts = new Map<number, number>();
    for (const j of ni) counts.set(data.y[j], (counts.get(data.y[j]) ?? 0) + 1);
    const own = data.y[i];
    let other = -1;
    for (const [c, n] of counts) if (c !== own && (other < 0 || n > counts.get(other)! || (n === counts.get(other)! && c < other))) other = c;
    const v = { k: ni.length, sameLabel: counts.get(own) ?? 0, otherLabel: other >= 0 ? this.classes[other] : undefined, otherCount: other >= 0 ? counts.get(other)! : 0 };
    this.cache.set(i, v);
    return v;
  }
}

/**
 * The reference search: row i's k nearest other rows of the N x d matrix Z by (distance, row), the
 * distance being the sum of squared differences in column order (squaredDistanceBelow, given up
 * once it reaches the current k-th); ties keep the earlier row. One pass over the data. nearestRows
 * returns exactly these lists; this is also its fallback without WebAssembly.
 */
export function nearestDirect(Z: Float64Array, d: number, N: number, i: number, k: number): Int32Array {
  const nd = new Float64Array(k).fill(Infinity);
  const ni = new Int32Array(k).fill(-1);
  for (let j = 0; j < N; j++) {
    if (j === i) continue;
    const dist = squaredDistanceBelow(Z, i * d, j * d, d, nd[k - 1]);
    if (dist >= nd[k - 1]) continue;
    let p = k - 1;
    while (p > 0 && nd[p - 1] > dist) {
      nd[p] = nd[p - 1];
      ni[p] = ni[p - 1];
      p--;
    }
    nd[p] = dist;
    ni[p] = j;
  }
  return ni;
}

/** Data rows per block of nearestRows (the block of dot products is queries x this). */
const BLOCK_ROWS = 1024;
/**
 * Up to this many rows nearestRows searches each directly: its fixed cost (the norms and a copy of
 * the data; one row took 18-33 ms on 100,000 x 20) is that of ~5 direct searches (3-4 ms each).
 */
const DIRECT_MAX_ROWS = 5;

/**
 * nearestDirect for each of `rows`: the same lists, the rows searched together. The fast distance
 * f = |z_i|^2 + |z_j|^2 - 2 z_i.z_j comes from KernelSpace.gemmNT (WebAssembly SIMD) as the dot
 * product of [-2 z_i, |z_i|^2, 1] with [z_j, 1, |z_j|^2], for a block of data rows at a time. It
 * differs from the direct sum e by at most err = c (|z_i|^2 + |z_j|^2) + tiny, c = 16 (d + 4) 2^-53
 * (u = 2^-53, g(n) = n u / (1 - n u)): the norms' rounding (g(d) each), the augmented dot product's
 * in any summation order (g(d + 2) times the sum of its terms' magnitudes, <= 2 (|z_i|^2 + |z_j|^2)),
 * and the direct sum's (g(d) e, e <= 2 (|z_i|^2 + |z_j|^2)) add up to about 5 (d + 2) u (|z_i|^2 +
 * |z_j|^2), so c leaves a factor of 3 for the roundings of f -+ err and of err itself; tiny covers
 * underflow. With T the k-th smallest f + err over the other rows, at least k rows have e <= T, so a
 * row with f - err > T (hence e > T) is not among the k nearest; the others (the k nearest, exact ties,
 * rows within 2 err of the k-th) are recomputed by the direct sum and selected by (e, row).
 * Falls back to nearestDirect for a few rows, without WebAssembly, or when a norm is 1e300 or more
 * (or NaN).
 */
export function nearestRows(Z: Float64Array, d: number, N: number, rows: readonly number[], k: number): Int32Array[] {
  const Q = rows.length;
  if (Q <= DIRECT_MAX_ROWS || d === 0 || k < 1) return rows.map((i) => nearestDirect(Z, d, N, i, k));
  const norms = new Float64Array(N);
  let finite = true;
  for (let j = 0; j < N && finite; j++) {
    let s = 0;
    for (let a = 0; a < d; a++) s += Z[j * d + a] * Z[j * d + a];
    norms[j] = s;
    finite = s < 1e300; // no overflow in f (and not NaN)
  }
  const nb = Math.min(BLOCK_ROWS, N);
  const w = d + 2;
  const ks = finite ? KernelSpace.reuse(Q * w + nb * w + Q * nb) : undefined;
  if (!ks?.usesWasm) {
    ks?.release();
    return rows.map((i) => nearestDirect(Z, d, N, i, k));
  }
  try {
    const f64 = ks.f64;
    const qa = ks.alloc(Q * w);
    const ba = ks.alloc(nb * w);
    const ca = ks.alloc(Q * nb);
    // Queried row q as [-2 z_q, |z_q|^2, 1], data row j as [z_j, 1, |z_j|^2]: their dot product is f.
    for (let q = 0; q < Q; q++) {
      const o = qa + q * w;
      for (let a = 0; a < d; a++) f64[o + a] = -2 * Z[rows[q] * d + a];
      f64[o + d] = norms[rows[q]];
      f64[o + d + 1] = 1;
    }
    const c = 16 * (d + 4) * 2 ** -53;
    const tiny = 1e-290;
    // Per queried row: the k smallest upper bounds f + err (sorted), and the candidates (f - err <= T when seen).
    const upper = rows.map(() => new Float64Array(k).fill(Infinity));
    const cands = rows.map(() => [] as number[]);
    const lower = rows.map(() => [] as number[]);
    for (let j0 = 0; j0 < N; j0 += nb) {
      const m = Math.min(nb, N - j0);
      let maxNorm = 0;
      for (let jj = 0; jj < m; jj++) {
        const o = ba + jj * w;
        const zo = (j0 + jj) * d;
        for (let a = 0; a < d; a++) f64[o + a] = Z[zo + a];
        f64[o + d] = 1;
        f64[o + d + 1] = norms[j0 + jj];
        if (norms[j0 + jj] > maxNorm) maxNorm = norms[j0 + jj];
      }
      ks.gemmNT(qa, w, ba, w, ca, nb, Q, m, w);
      for (let q = 0; q < Q; q++) {
        const i = rows[q];
        const nq = norms[i];
        const up = upper[q];
        const cq = cands[q];
        const lq = lower[q];
        let T = up[k - 1];
        // f - err > T for every row of the block whose f exceeds this (err is largest at maxNorm).
        let skip = T + (c * (nq + maxNorm) + tiny);
        const co = ca + q * nb;
        for (let jj = 0; jj < m; jj++) {
          const f = f64[co + jj];
          if (f > skip) continue;
          const j = j0 + jj;
          const err = c * (nq + norms[j]) + tiny;
          const lo = f - err;
          if (lo > T || j === i) continue;
          cq.push(j);
          lq.push(lo);
          const hi = f + err;
          if (hi < T) {
            let p = k - 1;
            while (p > 0 && up[p - 1] > hi) {
              up[p] = up[p - 1];
              p--;
            }
            up[p] = hi;
            T = up[k - 1];
            skip = T + (c * (nq + maxNorm) + tiny);
          }
        }
      }
    }
    return rows.map((i, q) => {
      const T = upper[q][k - 1];
      const keep: { j: number; e: number }[] = [];
      const cq = cands[q];
      const lq = lower[q];
      for (let t = 0; t < cq.length; t++) if (lq[t] <= T) keep.push({ j: cq[t], e: squaredDistanceBelow(Z, i * d, cq[t] * d, d, Infinity) });
      keep.sort((x, y) => x.e - y.e || x.j - y.j);
      return Int32Array.from(keep.slice(0, k), (x) => x.j);
    });
  } finally {
    ks.release();
  }
}
