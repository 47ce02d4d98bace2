/**
 * ExampleRow.neighbours: for a training row, how many of its nearest other training rows (on the
 * standardised features of src/detect/crossFit) share its label, and the most common other label
 * among them ("8 of its 10 nearest neighbours ..."). One pass over the data per row, cached.
 */
import { squaredDistanceBelow, standardise } from '../detect/crossFit';
import type { LogisticData } from '../model/logistic';
import type { ExampleRow } from '../protocol/types';

/** Neighbours counted for ExampleRow.neighbours. */
export const NEIGHBOURS = 10;
/** Rows x standardised features up to which neighbours are counted per listed row (one pass each). */
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
    const hit = this.cache.get(i);
    if (hit) return hit;
    const data = this.data;
    const ni = this.nearestOf(i);
    const counts = new Map<number, number>();
    for (const j of ni) counts.set(data.y[j], (counts.get(data.y[j]) ?? 0) + 1);
    const own = data.y[i];
    let other = -1;
    for (const [c, n] of counts) if (c !== own && (other < 0 || n > counts.get(other)! || (n === counts.get(other)! && c < other))) other = c;
    const v = { k: ni.length, sameLabel: counts.get(own) ?? 0, otherLabel: other >= 0 ? this.classes[other] : undefined, otherCount: other >= 0 ? counts.get(other)! : 0 };
    this.cache.set(i, v);
    return v;
  }

  /** Row i's nearest other rows (one pass over the data, then kept). */
  private nearestOf(i: number): Int32Array {
    const hit = this.nearest.get(i);
    if (hit) {
      this.searches.kept++;
      return hit;
    }
    this.searches.made++;
    const { Z, d, data } = this;
    const N = data.N;
    const k = Math.min(NEIGHBOURS, N - 1);
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
    this.nearest.set(i, ni);
    return ni;
  }
}
