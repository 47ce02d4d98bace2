/** Small pure metrics for evaluating rankings and predictions (tests and benchmarks). */

import { LITTLE_ENDIAN, radixOrder } from '../util/radixOrder';

/** Pearson correlation of two equally long series (NaN when either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`pearson: lengths ${n} and ${b.length}`);
  if (n < 2) return NaN;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Spearman rank correlation (Pearson of average ranks). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(averageRanks(a), averageRanks(b));
}

/**
 * 1-based ranks, ascending, ties (===) sharing their average rank; NaN values rank after every number,
 * tied among themselves. Below RANK_RADIX_MIN values: a sorted Float64Array copy of the values (a typed
 * array sorts NaN to the end), and each value's rank from its first and last place in it (binary
 * search). From RANK_RADIX_MIN values on, radixAverageRanks gives the same ranks several times faster
 * (the binary searches' random reads dominate at a million rows). Either way N values cost 2 x 8 N
 * bytes besides the ranks' own.
 */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  if (v.length >= RANK_RADIX_MIN && LITTLE_ENDIAN) return radixAverageRanks(v instanceof Float64Array ? v : Float64Array.from(v));
  return searchAverageRanks(v);
}

/** From this many values on averageRanks sorts by radix. */
export const RANK_RADIX_MIN = 4096;

/** averageRanks by a sorted copy and binary search (any length; the reference for the radix form). */
export function searchAverageRanks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const sorted = Float64Array.from(v).sort();
  let m = n;
  while (m > 0 && Number.isNaN(sorted[m - 1])) m--;
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (Number.isNaN(x)) {
      ranks[i] = (m + 1 + n) / 2;
      continue;
    }
    let lo = 0, hi = m;
    while (lo < hi) {
      const k = (lo + hi) >>> 1;
      if (sorted[k] < x) lo = k + 1;
      else hi = k;
    }
    const s = lo;
    hi = m;
    while (lo < hi) {
      const k = (lo + hi) >>> 1;
      if (sorted[k] <= x) lo = k + 1;
      else hi = k;
    }
    ranks[i] = (s + 1 + lo) / 2;
  }
  return ranks;
}

/**
 * averageRanks from radixOrder's ascending order of the values (src/util/radixOrder.ts: -0 as +0, NaN
 * last): each run of equal values in sorted order [a, b) gets the rank (a + 1 + b) / 2, the same number
 * searchAverageRanks computes from the run's first and last place. Memory: the indices and their
 * scratch copy (2 x 4 N bytes) and the ranks.
 */
function radixAverageRanks(v: Float64Array): Float64Array {
  const n = v.length;
  const idx = radixOrder(v);
  const ranks = new Float64Array(n);
  let a = 0;
  while (a < n) {
    const x = v[idx[a]];
    let b = a + 1;
    if (x !== x) b = n; // NaN sorts last: the rest are NaN
    else while (b < n && v[idx[b]] === x) b++;
    const rank = (a + 1 + b) / 2;
    for (let r = a; r < b; r++) ranks[idx[r]] = rank;
    a = b;
  }
  return ranks;
}

/**
 * Row indices by descending score; ties keep ascending row order (deterministic). NaN scores last.
 */
export function rankDescending(scores: ArrayLike<number>): number[] {
  const key = (i: number): number => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  return Array.from({ length: scores.length }, (_, i) => i).sort((i, j) => key(j) - key(i) || i - j);
}

/** How many rows the top `fraction` of n is: round(fraction * n), at least 1 when fraction > 0. */
export function topCount(n: number, fraction: number): number {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction ${fraction} not in [0, 1]`);
  return fraction === 0 ? 0 : Math.max(1, Math.round(fraction * n));
}

/**
 * Recall of the positive rows within the top `fraction` of rows ranked by descending score:
 * |positives in top| / |positives|. A random ranking has expected recall ~= fraction.
 */
export function recallAtFraction(scores: ArrayLike<number>, positive: ArrayLike<boolean> | ReadonlySet<number>, fraction: number): number {
  const n = scores.length;
  const isPos = toPredicate(positive, n);
  let total = 0;
  for (let i = 0; i < n; i++) if (isPos(i)) total++;
  if (total === 0) return NaN;
  const top = rankDescending(scores).slice(0, topCount(n, fraction));
  let hit = 0;
  for (const i of top) if (isPos(i)) hit++;
  return hit / total;
}

/**
 * Area under the ROC curve of `scores` for separating positive from negative rows: the probability
 * that a random positive outscores a random negative, ties counting 1/2 (Mann-Whitney U / (n+ n-)).
 */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<boolean> | ReadonlySet<number>): number {
  const n = scores.length;
  const isPos = toPredicate(positive, n);
  const ranks = averageRanks(scores);
  let nPos = 0, rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (isPos(i)) {
      nPos++;
      rankSum += ranks[i];
    }
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

function toPredicate(positive: ArrayLike<boolean> | ReadonlySet<number>, n: number): (i: number) => boolean {
  if (positive instanceof Set) return (i) => positive.has(i);
  const arr = positive as ArrayLike<boolean>;
  if (arr.length !== n) throw new RangeError(`positives: length ${arr.length}, scores ${n}`);
  return (i) => Boolean(arr[i]);
}

/** |top q of a  intersect  top q of b| / |top q| (by descending value). */
export function topOverlap(a: ArrayLike<number>, b: ArrayLike<number>, fraction = 0.1): number {
  const n = a.length;
  const m = Math.max(1, Math.round(fraction * n));
  const top = (v: ArrayLike<number>) => new Set(Array.from({ length: n }, (_, i) => i).sort((i, j) => v[j] - v[i]).slice(0, m));
  const ta = top(a), tb = top(b);
  let c = 0;
  for (const i of ta) if (tb.has(i)) c++;
  return c / m;
}
