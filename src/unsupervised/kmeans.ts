/**
 * k-means with k-means++ seeding (Arthur & Vassilvitskii 2007), seeded and deterministic, on n
 * points of dimension d (row-major float64). Lloyd iterations run until no assignment changes; an
 * emptied cluster takes the point farthest from its centre. The best of `restarts` runs (lowest
 * inertia = sum of squared distances to the assigned centre) is returned.
 */
import { Rng } from '../util/random';

export interface KMeansOptions {
  seed?: number;
  /** Independent k-means++ starts (default 5). */
  restarts?: number;
  /** Lloyd iterations per start at most (default 300). */
  maxIterations?: number;
}

export interface KMeansResult {
  k: number;
  /** k x d. */
  centres: Float64Array;
  assignment: Int32Array;
  inertia: number;
  iterations: number;
}

function sqDist(A: Float64Array, a: number, B: Float64Array, b: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = A[a + j] - B[b + j];
    s += t * t;
  }
  return s;
}

function onePass(P: Float64Array, n: number, d: number, k: number, rng: Rng, maxIter: number): KMeansResult {
  const C = new Float64Array(k * d);
  // k-means++ seeding.
  const D2 = new Float64Array(n).fill(Infinity);
  let c = rng.int(n);
  for (let m = 0; m < k; m++) {
    C.set(P.subarray(c * d, c * d + d), m * d);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = sqDist(P, i * d, C, m * d, d);
      if (s < D2[i]) D2[i] = s;
      total += D2[i];
    }
    if (m + 1 === k) break;
    if (total === 0) {
      c = rng.int(n);
      continue;
    }
    let u = rng.next() * total;
    c = n - 1;
    for (let i = 0; i < n; i++) {
      u -= D2[i];
      if (u < 0) {
        c = i;
        break;
      }
    }
  }
  const assignment = new Int32Array(n).fill(-1);
  const counts = new Int32Array(k);
  let it = 0;
  for (; it < maxIter; it++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0, bd = Infinity;
      for (let m = 0; m < k; m++) {
        const s = sqDist(P, i * d, C, m * d, d);
        if (s < bd) [best, bd] = [m, s];
      }
      if (assignment[i] !== best) {
        assignment[i] = best;
        changed++;
      }
    }
    if (changed === 0 && it > 0) break;
    C.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const m = assignment[i];
      counts[m]++;
      for (let j = 0; j < d; j++) C[m * d + j] += P[i * d + j];
    }
    for (let m = 0; m < k; m++) {
      if (counts[m] > 0) {
        for (let j = 0; j < d; j++) C[m * d + j] /= counts[m];
        continue;
      }
      // Empty cluster: move it onto the point farthest from its current centre.
      let far = 0, fd = -1;
      for (let i = 0; i < n; i++) {
        const s = sqDist(P, i * d, C, assignment[i] * d, d);
        if (s > fd) [far, fd] = [i, s];
      }
      C.set(P.subarray(far * d, far * d + d), m * d);
      assignment[far] = m;
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += sqDist(P, i * d, C, assignment[i] * d, d);
  return { k, centres: C, assignment, inertia, iterations: it };
}

export function kmeans(points: Float64Array, n: number, d: number, k: number, opts: KMeansOptions = {}): KMeansResult {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`kmeans: k must be a positive integer, got ${k}`);
  if (k > n) throw new RangeError(`kmeans: k = ${k} clusters need at least ${k} points, got ${n}`);
  const rng = new Rng(opts.seed ?? 0);
  let best: KMeansResult | undefined;
  for (let r = 0; r < Math.max(1, opts.restarts ?? 5); r++) {
    const res = onePass(points, n, d, k, rng, opts.maxIterations ?? 300);
    if (!best || res.inertia < best.inertia) best = res;
  }
  return best as KMeansResult;
}

/** Index of the nearest centre and the squared distance to it. */
export function nearestCentre(centres: Float64Array, k: number, d: number, p: ArrayLike<number>): { cluster: number; distance: number } {
  let cluster = 0, distance = Infinity;
  for (let m = 0; m < k; m++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = p[j] - centres[m * d + j];
      s += t * t;
    }
    if (s < distance) [cluster, distance] = [m, s];
  }
  return { cluster, distance };
}
