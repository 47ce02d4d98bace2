/** Small helpers for ordering and summarising per-row scores. */

/** Indices sorted by value, largest first (by absolute value when `byAbs`); ties by index. */
export function sortedOrder(values: Float64Array, byAbs = false): Int32Array {
  const n = values.length;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const key = byAbs ? Float64Array.from(values, Math.abs) : values;
  idx.sort((a, b) => key[b] - key[a] || a - b);
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
  const logs: number[] = [];
  for (const v of values) if (v > 0 && Number.isFinite(v)) logs.push(Math.log10(v));
  if (logs.length === 0) return { edges: [], counts: [] };
  const sorted = Float64Array.from(logs).sort();
  const lo = sorted[Math.floor(0.01 * (sorted.length - 1))];
  let hi = sorted[sorted.length - 1];
  if (hi === lo) hi = lo + 1;
  const w = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of logs) counts[Math.max(0, Math.min(bins - 1, Math.floor((v - lo) / w)))]++;
  const edges = Array.from({ length: bins + 1 }, (_, b) => lo + b * w);
  return { edges, counts };
}
