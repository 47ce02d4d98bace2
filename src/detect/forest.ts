/**
 * Random forest (Breiman 2001) with out-of-bag class probabilities: the detector's tree model
 * (docs/detection.md). Each tree is grown on a bootstrap sample of the rows; a row is scored only by
 * the trees whose sample did not contain it, so, as with cross-fitting, no tree scores a row it saw
 * and a row's probabilities do not depend on its own label. One forest replaces K fold fits.
 *
 * The trees are the usual classification trees of a random forest: Gini impurity, a fresh random
 * subset of sqrt(D) features drawn at every node (a node where none of them splits the rows becomes a
 * leaf), grown until the node is pure, holds one distinct row, or reaches the depth limit
 * FOREST_DEPTH_FACTOR x log2(rows in the bag). Split points are searched
 * among per-feature quantile bins (at most FOREST_MAX_BINS, computed from the features of all rows;
 * no label enters them), as histogram-based tree learners do, so a node costs O(rows x features
 * tried) and not a sort.
 *
 * Out-of-bag probabilities: the mean of the out-of-bag trees' leaf class shares, with one
 * pseudo-tree voting the class shares of the other rows (so no probability is 0, and a row's own
 * label does not enter its prior): P_ic = (sum_t leaf_t,c + prior_ic) / (T_i + 1).
 */
import type { LogisticData } from '../model/logistic';
import { Checkpoint } from '../util/cancel';
import { hash32, SeededRandom } from '../util/random';
import type { OutOfFold } from './crossFit';

/** Trees per forest (scikit-learn's default). */
export const FOREST_TREES = 100;
/**
 * Depth limit, as a multiple of log2(rows in the bag): about the height of a random binary search
 * tree (2.99 log2 n), which splits less evenly than a tree on dense features does. It binds where
 * splits peel off a few rows at a time (sparse text features), whose depth would otherwise grow with
 * the rows and the cost with their square.
 */
export const FOREST_DEPTH_FACTOR = 3;
/**
 * Rows drawn into each tree's bag at most: min(N, FOREST_MAX_BAG) draws with replacement, as
 * scikit-learn's max_samples does. Up to this many rows the bag is the usual bootstrap of N draws; above
 * it a tree's growth costs the same at any N, and only scoring the rows it left out grows with N (one
 * root-to-leaf walk per row and tree), so `auto` keeps the forest on large files (docs/detection.md,
 * session 17; up to FOREST_AUTO_MAX_ROWS rows).
 */
export const FOREST_MAX_BAG = 50_000;
/** Bins per feature (scikit-learn's HistGradientBoosting uses 255 as well). */
export const FOREST_MAX_BINS = 255;

export interface BinnedFeatures {
  /** Column-major bin indices: bins[f * N + i] for kept feature f. */
  bins: Uint8Array;
  /** Number of bins per kept feature (>= 2). */
  binCount: Int32Array;
  /** Indices of the kept (non-constant) features in the original columns. */
  features: Int32Array;
  N: number;
}

/**
 * Quantile bins per feature from all rows (no labels): a feature with at most `maxBins` distinct
 * values gets one bin per value; otherwise the cut points are the values at equally spaced ranks.
 * Constant features are dropped. NaN sorts last and falls in the top bin.
 */
export function binFeatures(X: Float64Array, N: number, D: number, maxBins = FOREST_MAX_BINS): BinnedFeatures {
  if (maxBins < 2 || maxBins > 256) throw new RangeError(`binFeatures: maxBins ${maxBins} outside 2..256`);
  const kept: number[] = [];
  const counts: number[] = [];
  // Kept features are written one after the other into one buffer (no second copy at the peak).
  const all = new Uint8Array(D * N);
  const col = new Float64Array(N);
  for (let f = 0; f < D; f++) {
    for (let i = 0; i < N; i++) col[i] = X[i * D + f];
    const sorted = col.slice().sort(); // NaN last
    let n = N;
    while (n > 0 && Number.isNaN(sorted[n - 1])) n--;
    const distinct: number[] = [];
    for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
    if (distinct.length < 2) continue;
    // Upper edges: bin b holds values <= edges[b] (and above edges[b - 1]); the last bin is open.
    const edges: number[] = [];
    if (distinct.length <= maxBins) {
      for (let u = 0; u + 1 < distinct.length; u++) edges.push(distinct[u]);
    } else {
      for (let b = 1; b < maxBins; b++) {
        const v = sorted[Math.floor((b * n) / maxBins) - 1];
        if (edges.length === 0 || v > edges[edges.length - 1]) edges.push(v);
      }
      if (edges[edges.length - 1] >= distinct[distinct.length - 1]) edges.pop();
    }
    if (edges.length === 0) continue;
    const out = all.subarray(kept.length * N, (kept.length + 1) * N);
    for (let i = 0; i < N; i++) {
      const v = col[i];
      let lo = 0;
      let hi = edges.length; // the bin is the first edge >= v, or edges.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (edges[mid] >= v) hi = mid;
        else lo = mid + 1;
      }
      out[i] = lo;
    }
    kept.push(f);
    counts.push(edges.length + 1);
  }
  return { bins: all.subarray(0, kept.length * N), binCount: Int32Array.from(counts), features: Int32Array.from(kept), N };
}

export interface ForestOptions {
  trees?: number;
  seed?: number;
  checkpoint?: Checkpoint;
  /** Keep every row's leaf in every tree (ForestLeaves: 4 bytes x trees per row), for forestFromLeaves. */
  keepLeaves?: boolean;
  /** Rows (1 = excluded) that no tree's bag draws: every tree scores them, none is grown on them. */
  exclude?: Uint8Array;
  /** Draws per bag at most (FOREST_MAX_BAG): a tree's bag is min(N, maxBag) draws with replacement. */
  maxBag?: number;
}

/**
 * Where every row fell in every tree of a grown forest: what a quick re-score after label fixes needs
 * to recompute the out-of-bag probabilities with the new labels without growing the trees again
 * (forestFromLeaves). The bags are not stored: each tree's is drawn again from its seed.
 */
export interface ForestLeaves {
  trees: number;
  seed: number;
  N: number;
  /** Draws per bag (min(N, maxBag) of the forest that grew the trees). */
  bag: number;
  /** leafOf[t * N + i]: the leaf (0-based within tree t) of row i, in the bag or out of it. */
  leafOf: Int32Array;
  /** Leaves per tree. */
  leafCount: Int32Array;
  /** The detail line of the forest that grew the trees. */
  detail: string;
}

export type ForestOutOfBag = OutOfFold & {
  /** Trees that scored each row (out of bag). */
  treesPerRow: Int32Array;
  leaves?: ForestLeaves;
};

/** Tree t's bootstrap counts: `draws` draws with replacement from its own stream (seed, t). */
function bagWeights(seed: number, t: number, N: number, draws: number): Float64Array {
  const bag = new SeededRandom(hash32(seed, t, 1));
  const weight = new Float64Array(N);
  for (let s = 0; s < draws; s++) weight[bag.nextInt(N)]++;
  return weight;
}

/**
 * P_ic = (acc_ic + prior_ic) / (scored_i + 1), prior_ic = the class shares of the other rows; with no
 * varying feature (`flat`) every tree is its root, whose shares the prior stands for.
 */
function withPrior(acc: Float64Array, scored: Int32Array, y: Int32Array, N: number, K: number, flat: boolean): Float64Array {
  const classCount = new Float64Array(K);
  for (let i = 0; i < N; i++) classCount[y[i]]++;
  const proba = new Float64Array(N * K);
  for (let i = 0; i < N; i++) {
    const denom = scored[i] + 1;
    for (let c = 0; c < K; c++) {
      const prior = (classCount[c] - (y[i] === c ? 1 : 0)) / Math.max(1, N - 1);
      proba[i * K + c] = ((flat ? scored[i] * prior : acc[i * K + c]) + prior) / denom;
    }
  }
  return proba;
}

/** Out-of-bag class probabilities of a random forest on data (module comment). */
export async function forestOutOfBag(data: LogisticData, opts: ForestOptions = {}): Promise<ForestOutOfBag> {
  const { N, D, K, y } = data;
  const trees = opts.trees ?? FOREST_TREES;
  if (opts.maxBag !== undefined && !(opts.maxBag >= 1)) throw new RangeError(`forestOutOfBag: maxBag ${opts.maxBag} must be at least 1`);
  const bag = Math.min(N, opts.maxBag ?? FOREST_MAX_BAG);
  const cp = opts.checkpoint ?? new Checkpoint();
  const binned = binFeatures(data.X, N, D);
  const F = binned.features.length;
  // Features drawn per node: floor(sqrt(kept features)), at least 1.
  const mtry = Math.max(1, Math.floor(Math.sqrt(F)));
  const seed = opts.seed ?? 0;
  const acc = new Float64Array(N * K);
  const scored = new Int32Array(N);
  const grower = new TreeGrower(binned, y, K);
  // With no varying feature there is nothing to keep: every tree is its root.
  const keep = opts.keepLeaves && F > 0;
  const leafOf = keep ? new Int32Array(trees * N) : undefined;
  const leafCount = new Int32Array(trees);
  for (let t = 0; t < trees; t++) {
    // Each tree has its own streams, for its bag and for its feature draws: a tree that did not see
    // row i is then grown exactly as it would be with any other label of row i.
    const weight = bagWeights(seed, t, N, bag);
    if (opts.exclude) for (let i = 0; i < N; i++) if (opts.exclude[i]) weight[i] = 0;
    const leafOfTree = leafOf?.subarray(t * N, (t + 1) * N);
    if (F > 0) leafCount[t] = grower.grow(weight, mtry, new SeededRandom(hash32(seed, t, 2)), leafOfTree);
    for (let i = 0; i < N; i++) {
      if (weight[i] > 0) continue;
      scored[i]++;
      if (F === 0) continue; // the prior (withPrior) stands for the root's shares
      const leaf = grower.addLeafShares(i, acc, i * K);
      if (leafOfTree) leafOfTree[i] = leaf;
    }
    await cp.tick((t + 1) / trees);
  }
  const proba = withPrior(acc, scored, y, N, K, F === 0);
  let mean = 0;
  for (let i = 0; i < N; i++) mean += scored[i];
  const detail =
    F === 0
      ? "no feature varies: every row gets the other rows' class shares"
      : `${trees} trees${bag < N ? ` on bags of ${bag} of the ${N} rows` : ''}, ${mtry} of ${F} features per split, out-of-bag (${(mean / N).toFixed(0)} trees per row on average)`;
  return { proba, treesPerRow: scored, detail, leaves: leafOf && { trees, seed, N, bag, leafOf, leafCount, detail } };
}

/**
 * Out-of-bag probabilities of an earlier forest's trees with the current labels: every leaf's class
 * shares are recomputed from the rows of its tree's bag that fell in it (their current labels), and
 * every row is scored by the trees whose bag left it out, as forestOutOfBag does. With the labels the
 * trees were grown on this is forestOutOfBag's result exactly; after label fixes the splits are still
 * the ones chosen for the old labels (the quick re-score's approximation; a Scan grows new trees).
 * Still out of bag: a row's own label does not enter the leaves that score it. O(trees x N).
 */
export async function forestFromLeaves(leaves: ForestLeaves, y: Int32Array, K: number, cp: Checkpoint = new Checkpoint()): Promise<ForestOutOfBag> {
  const { trees, seed, N, bag, leafOf, leafCount } = leaves;
  if (y.length !== N) throw new RangeError(`forestFromLeaves: ${y.length} labels for a forest of ${N} rows`);
  const acc = new Float64Array(N * K);
  const scored = new Int32Array(N);
  let shares = new Float64Array(0);
  let total = new Float64Array(0);
  for (let t = 0; t < trees; t++) {
    const weight = bagWeights(seed, t, N, bag);
    const L = leafCount[t];
    if (shares.length < L * K) {
      shares = new Float64Array(L * K);
      total = new Float64Array(L);
    }
    shares.fill(0, 0, L * K);
    total.fill(0, 0, L);
    const at = t * N;
    for (let i = 0; i < N; i++) {
      if (weight[i] === 0) continue;
      const leaf = leafOf[at + i];
      shares[leaf * K + y[i]] += weight[i];
      total[leaf] += weight[i];
    }
    for (let i = 0; i < N; i++) {
      if (weight[i] > 0) continue;
      scored[i]++;
      const leaf = leafOf[at + i];
      for (let c = 0; c < K; c++) acc[i * K + c] += shares[leaf * K + c] / total[leaf];
    }
    if ((t & 15) === 15) await cp.tick((t + 1) / trees);
  }
  await cp.tick(1);
  return { proba: withPrior(acc, scored, y, N, K, false), treesPerRow: scored, detail: leaves.detail, leaves };
}

/**
 * Grows one tree at a time on bootstrap weights and keeps it until the next one (the out-of-bag rows
 * are scored right after growing, so no forest is stored). Buffers are reused across trees.
 */
class TreeGrower {
  private readonly N: number;
  private readonly F: number;
  private rows: Int32Array;
  // Tree: per node the feature (-1 for a leaf), the split bin (rows with bin <= it go left), the
  // children, and for a leaf the offset of its K class shares in `shares`.
  private feature: Int32Array;
  private split: Int32Array;
  private left: Int32Array;
  private right: Int32Array;
  private leafAt: Int32Array;
  private shares: Float64Array;
  private nodes = 0;
  private leaves = 0;
  // Scratch for the split search.
  private readonly hist: Float64Array;
  private readonly binWeight: Float64Array;
  private readonly total: Float64Array;
  private readonly leftCounts: Float64Array;
  private readonly present: Int32Array;
  private readonly touched: Int32Array;
  private readonly order: Int32Array;

  constructor(
    private readonly binned: BinnedFeatures,
    private readonly y: Int32Array,
    private readonly K: number,
  ) {
    this.N = binned.N;
    this.F = binned.features.length;
    const maxNodes = 2 * this.N + 1;
    this.rows = new Int32Array(this.N);
    this.feature = new Int32Array(maxNodes);
    this.split = new Int32Array(maxNodes);
    this.left = new Int32Array(maxNodes);
    this.right = new Int32Array(maxNodes);
    this.leafAt = new Int32Array(maxNodes);
    this.shares = new Float64Array(Math.max(1, Math.min(this.N + 1, 4096)) * K);
    this.hist = new Float64Array(256 * K);
    this.binWeight = new Float64Array(256);
    this.total = new Float64Array(K);
    this.leftCounts = new Float64Array(K);
    this.present = new Int32Array(K);
    this.touched = new Int32Array(256);
    this.order = Int32Array.from({ length: this.F }, (_, f) => f);
  }

  /** Adds the K class shares of row i's leaf to out[at .. at + K); returns the leaf's number. */
  addLeafShares(i: number, out: Float64Array, at: number): number {
    const { bins, N } = this.binned;
    let node = 0;
    while (this.feature[node] >= 0) node = bins[this.feature[node] * N + i] <= this.split[node] ? this.left[node] : this.right[node];
    const s = this.leafAt[node];
    for (let c = 0; c < this.K; c++) out[at + c] += this.shares[s + c];
    return s / this.K;
  }

  /** Grows a tree on the rows with weight > 0; writes each such row's leaf into leafOf when given. Returns the number of leaves. */
  grow(weight: Float64Array, mtry: number, rng: SeededRandom, leafOf?: Int32Array): number {
    let n = 0;
    for (let i = 0; i < this.N; i++) if (weight[i] > 0) this.rows[n++] = i;
    // The feature order starts afresh: the draws of this tree depend on its own stream only.
    for (let f = 0; f < this.F; f++) this.order[f] = f;
    this.nodes = 1;
    this.leaves = 0;
    // Depth-first over [start, end) ranges of `rows`; the stack holds node, start, end.
    const stack: number[] = [0, 0, 0, n];
    const maxDepth = FOREST_DEPTH_FACTOR * Math.log2(Math.max(2, n));
    while (stack.length > 0) {
      const end = stack.pop()!;
      const start = stack.pop()!;
      const node = stack.pop()!;
      const depth = stack.pop()!;
      const best = depth >= maxDepth ? undefined : this.bestSplit(weight, start, end, mtry, rng);
      if (best === undefined) {
        if (leafOf) for (let u = start; u < end; u++) leafOf[this.rows[u]] = this.leaves;
        this.makeLeaf(node, weight, start, end);
        continue;
      }
      const mid = this.partition(best.feature, best.bin, start, end);
      const l = this.nodes++;
      const r = this.nodes++;
      this.feature[node] = best.feature;
      this.split[node] = best.bin;
      this.left[node] = l;
      this.right[node] = r;
      stack.push(depth + 1, r, mid, end, depth + 1, l, start, mid);
    }
    return this.leaves;
  }

  private makeLeaf(node: number, weight: Float64Array, start: number, end: number): void {
    const K = this.K;
    this.feature[node] = -1;
    if ((this.leaves + 1) * K > this.shares.length) {
      const bigger = new Float64Array(Math.max(this.shares.length * 2, (this.leaves + 1) * K));
      bigger.set(this.shares);
      this.shares = bigger;
    }
    const at = this.leaves++ * K;
    this.leafAt[node] = at;
    let w = 0;
    for (let c = 0; c < K; c++) this.shares[at + c] = 0;
    for (let u = start; u < end; u++) {
      const i = this.rows[u];
      this.shares[at + this.y[i]] += weight[i];
      w += weight[i];
    }
    for (let c = 0; c < K; c++) this.shares[at + c] /= w;
  }

  /** Rows with bin <= `bin` of feature f first; returns the first index of the rest. */
  private partition(f: number, bin: number, start: number, end: number): number {
    const { bins, N } = this.binned;
    const rows = this.rows;
    let i = start;
    let j = end - 1;
    while (i <= j) {
      if (bins[f * N + rows[i]] <= bin) i++;
      else {
        const t = rows[i];
        rows[i] = rows[j];
        rows[j--] = t;
      }
    }
    return i;
  }

  /**
   * The split of [start, end) with the largest Gini gain among `mtry` random features that are not
   * constant in the node; undefined for a pure node or one distinct row. Maximising
   * sum_side (sum_c n_side,c^2) / n_side is minimising the weighted Gini impurity of the children.
   */
  private bestSplit(weight: Float64Array, start: number, end: number, mtry: number, rng: SeededRandom): { feature: number; bin: number } | undefined {
    if (end - start < 2) return undefined;
    const { K, y, rows, total, present, hist, binWeight, leftCounts, touched, order } = this;
    const { bins, binCount, N } = this.binned;
    total.fill(0);
    let n = 0;
    for (let u = start; u < end; u++) {
      const i = rows[u];
      total[y[i]] += weight[i];
      n += weight[i];
    }
    let np = 0;
    let sumsq = 0;
    for (let c = 0; c < K; c++) {
      if (total[c] > 0) present[np++] = c;
      sumsq += total[c] * total[c];
    }
    if (np < 2) return undefined;
    const parent = sumsq / n;
    let bestGain = 1e-12 * n;
    let bestFeature = -1;
    let bestBin = -1;
    let tried = 0;
    for (let u = 0; u < this.F && tried < mtry; u++) {
      // Partial Fisher-Yates: order[u] is a feature not drawn before at this node.
      const pick = u + rng.nextInt(this.F - u);
      const f = order[pick];
      order[pick] = order[u];
      order[u] = f;
      const col = f * N;
      let nt = 0;
      for (let v = start; v < end; v++) {
        const i = rows[v];
        const b = bins[col + i];
        if (binWeight[b] === 0) touched[nt++] = b;
        binWeight[b] += weight[i];
        hist[b * K + y[i]] += weight[i];
      }
      tried++;
      if (nt >= 2) {
        // Visit the node's bins in increasing order: sort the few touched ones, or scan all bins.
        let visit: ArrayLike<number>;
        if (nt * 8 < binCount[f]) visit = touched.subarray(0, nt).sort();
        else {
          let m = 0;
          for (let b = 0; b < binCount[f]; b++) if (binWeight[b] > 0) touched[m++] = b;
          visit = touched.subarray(0, m);
        }
        for (let q = 0; q < np; q++) leftCounts[present[q]] = 0;
        let nL = 0;
        let sqL = 0;
        let dot = 0;
        for (let q = 0; q + 1 < nt; q++) {
          const b = visit[q];
          for (let p = 0; p < np; p++) {
            const c = present[p];
            const h = hist[b * K + c];
            if (h === 0) continue;
            dot += total[c] * h;
            sqL += (2 * leftCounts[c] + h) * h;
            leftCounts[c] += h;
          }
          nL += binWeight[b];
          const nR = n - nL;
          const gain = sqL / nL + (sumsq - 2 * dot + sqL) / nR - parent;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = b;
          }
        }
      }
      for (let q = 0; q < nt; q++) {
        const b = touched[q];
        binWeight[b] = 0;
        for (let p = 0; p < np; p++) hist[b * K + present[p]] = 0;
      }
    }
    return bestFeature < 0 ? undefined : { feature: bestFeature, bin: bestBin };
  }
}
