/** Small pure metrics for evaluating rankings and predictions (tests and benchmarks). */

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
 * 1-based ranks, ascending, ties (===) sharing their average rank. Without an index array: a sorted
 * Float64Array copy of the values, and each value's rank from its first and last place in it (binary
 * search), so N values cost 2 x 8 N bytes (the copy and the ranks) however large N is.
 */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const sorted = Float64Array.from(v);
  for (let i = 0; i < n; i++) if (Number.isNaN(sorted[i])) return averageRanksBySort(v);
  sorted.sort();
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = v[i];
    let lo = 0, hi = n;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (sorted[m] < x) lo = m + 1;
      else hi = m;
    }
    const s = lo;
    hi = n;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (sorted[m] <= x) lo = m + 1;
      else hi = m;
    }
    ranks[i] = (s + 1 + lo) / 2;
  }
  return ranks;
}

/**
 * averageRanks by sorting row indices (a JS array of N numbers and the sort's own buffers): used when a
 * value is NaN, whose place the comparator leaves to the sort, so such input keeps its former ranks.
 */
export function averageRanksBySort(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => v[i] - v[j]);
  const ranks = new Float64Array(n);
  for (let s = 0; s < n; ) {
    let e = s + 1;
    while (e < n && v[order[e]] === v[order[s]]) e++;
    const r = (s + 1 + e) / 2;
    for (let k = s; k < e; k++) ranks[order[k]] = r;
    s = e;
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
