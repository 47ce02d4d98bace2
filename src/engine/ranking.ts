/** Small helpers for ordering and summarising per-row scores. */

/** Indices sorted by value, largest first (by absolute value when `byAbs`); ties by index. */
export function sortedOrder(values: Float64Array, byAbs = false): Int32Array {
  const n = values.length;
  const key = byAbs ? Float64Array.from(values, Math.abs) : values;
  if (n > RADIX_MIN_ROWS && LITTLE_ENDIAN && !key.some((v) => v !== v)) return radixOrderDescending(key);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => key[b] - key[a] || a - b);
  return idx;
}

/** Above this many rows sortedOrder sorts by radix (the same order as the comparison sort, several times faster). */
const RADIX_MIN_ROWS = 50_000;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Indices by descending key, ties by ascending index (the order of sortedOrder's comparison sort),
 * for NaN-free keys: each float64 is read as an unsigned 64-bit number of the opposite order (-0 as
 * 0), then a stable LSD radix sort in four 16-bit passes carries the indices. The keys' bits are read
 * in place (a Uint32Array view, mapped digit by digit), so the sort holds only the indices and their
 * scratch copy, 8 bytes per row (with mapped copies of the keys it was 16: 93 MB more at 5.8 M rows).
 */
function radixOrderDescending(key: Float64Array): Int32Array {
  const n = key.length;
  const u = new Uint32Array(key.buffer, key.byteOffset, 2 * n);
  /**
   * Word w (0: low 32 bits, 1: high) of value i's descending key. Ascending as unsigned, negative
   * numbers flip every bit and the others flip the sign bit; descending is the complement of that:
   * a negative number's own bits, a non-negative one's with every bit but the sign flipped.
   */
  const word = (i: number, w: number): number => {
    let h = u[2 * i + 1];
    const l = u[2 * i];
    if (h === 0x80000000 && l === 0) h = 0; // -0 as +0
    if (h & 0x80000000) return w ? h : l;
    return w ? (h ^ 0x7fffffff) >>> 0 : ~l >>> 0;
  };
  let idx = new Int32Array(n);
  let tmp = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const count = new Int32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const w = pass < 2 ? 0 : 1;
    const shift = (pass & 1) * 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(word(i, w) >>> shift) & 0xffff]++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let r = 0; r < n; r++) {
      const i = idx[r];
      tmp[count[(word(i, w) >>> shift) & 0xffff]++] = i;
    }
    const t = idx;
    idx = tmp;
    tmp = t;
  }
  return idx;
}

/** Argmax of every row of an n x K row-major matrix. */
export function argmaxRow(P: Float64Array, n: number, K: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (P[i * K + k] > P[i * K + best]) best = k;
    out[i] = best;
  }
  return out;
}

/**
 * Histogram of log10(value) over positive values, `bins` equal-width bins. The axis starts at the 1st
 * percentile: a few rows fitted to within rounding (self-influence 1e-50) would otherwise squeeze every
 * other bar to the right; values below it are counted in the first bin.
 */
export function histogram(values: Float64Array, bins: number): { edges: number[]; counts: number[] } {
  // The logs in one Float64Array, sorted in place (the counts do not depend on the order): 8 bytes per
  // row, where a growing JS array and its sorted copy took over twice that (46 MB rows at 5.8 M rows).
  let n = 0;
  for (const v of values) if (v > 0 && Number.isFinite(v)) n++;
  if (n === 0) return { edges: [], counts: [] };
  const sorted = new Float64Array(n);
  let u = 0;
  for (const v of values) if (v > 0 && Number.isFinite(v)) sorted[u++] = Math.log10(v);
  sorted.sort();
  const lo = sorted[Math.floor(0.01 * (sorted.length - 1))];
  let hi = sorted[sorted.length - 1];
  if (hi === lo) hi = lo + 1;
  const w = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of sorted) counts[Math.max(0, Math.min(bins - 1, Math.floor((v - lo) / w)))]++;
  const edges = Array.from({ length: bins + 1 }, (_, b) => lo + b * w);
  return { edges, counts };
}
