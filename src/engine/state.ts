/**
 * What a Session keeps of its last scan (src/engine/session.ts): the table and schema, the model's
 * rows and the Analysis, the scores and orders the rankings page through, and what a warm re-score
 * reuses (src/engine/rescore.ts).
 */
import type { ForestLeaves } from '../detect/forest';
import type { Schema } from '../data/schema';
import type { FeatureEncoder } from '../data/features';
import type { Table } from '../data/types';
import type { ExactInfluence } from '../influence/exact';
import type { SuspicionCurvature } from '../influence/labelSuspicion';
import type { KnnNeighbours } from '../detect/crossFit';
import type { LogisticData } from '../model/logistic';
import type { RankBy, ScanSummary } from '../protocol/types';
import type { ScanParams } from '../protocol/worker';
import type { Analysis } from './analysis';
import type { LabelNeighbours } from './neighbours';
import type { TestSet } from './scanInputs';
import { sortedOrder } from './ranking';
import type { SourceBytes } from './labelReread';

export interface ScanState {
  params: ScanParams;
  summary: ScanSummary;
  table: Table;
  schema: Schema;
  /** Training record index (= data row, into table.store) per model row. */
  records: number[];
  /** Class names; in an unsupervised scan "cluster 0" .. "cluster k-1" (data.y holds the clusters). */
  classes: string[];
  data: LogisticData;
  analysis: Analysis;
  /** The exact logistic influence, when the scan has one (label suspicion, Newton-step explain, trust). */
  influence?: ExactInfluence;
  /** N x K probabilities of the training rows (and of the test rows), computed once at scan time. */
  trainProba: Float64Array;
  testProba?: Float64Array;
  /** Label suspicion per row and its suggested class (-1 where the leave-one-out model prefers the given label). */
  suspicion?: { score: Float64Array; suggested: Int32Array };
  /**
   * What a quick re-score keeps from the last full scan: label suspicion's leave-one-out blocks (more
   * than two classes, when their exact cost is worth it), kNN's folds and neighbours (when its search
   * is worth it, src/engine/rescore.ts), the forest's leaves (kept with them), and the labels they
   * were computed with.
   */
  reference?: { curvature?: SuspicionCurvature; knn?: KnnNeighbours; forest?: ForestLeaves; y: Int32Array };
  /**
   * Out-of-sample label-error detection (src/detect): calibrated score and suggestion (-1: none). The
   * suggestion's probability is detectionProba's entry of the suggested class (no N array of its own).
   */
  detection?: { score: Float64Array; suggested: Int32Array };
  predicted: Int32Array;
  /** The rankings' orders (lazyOrders: each sorted when first read). */
  orders: Partial<Record<RankBy, Int32Array>>;
  test?: TestSet;
  /** What a warm re-score reuses: the fitted encoder, the test file's hash, label suspicion's refit optimum. */
  encoder?: FeatureEncoder;
  testHash?: string;
  refitW?: Float64Array;
  /** The detector's N x K out-of-fold probabilities (ExampleRow.labelProbability). */
  detectionProba?: Float64Array;
  /** The training file's bytes (UTF-8 CSV/TSV up to KEEP_SOURCE_MAX_BYTES) for the next re-score's comparison (labelReread.ts). */
  source?: SourceBytes;
  /** ExampleRow.neighbours per model row, built on demand (null: too large, or under two rows). */
  neighbours?: LabelNeighbours | null;
}

/**
 * The rankings' orders from their rank keys (largest first, sortedOrder), each sorted when it is first
 * read and then kept: a scan (the CLI's scan --json, the panel) reads one or two of the four, and
 * each order of a 5.8 M-row scan is 23 MB plus 93 MB of sort buffers while it is made. The keys are
 * the scan's own arrays (kept anyway for the rows' fields), never changed after the scan. A ranking
 * without a key is absent (`rankBy in orders` is false).
 */
export function lazyOrders(keys: Partial<Record<RankBy, Float64Array>>): Partial<Record<RankBy, Int32Array>> {
  const orders: Partial<Record<RankBy, Int32Array>> = {};
  for (const [rankBy, key] of Object.entries(keys) as [RankBy, Float64Array | undefined][]) {
    if (!key) continue;
    let order: Int32Array | undefined;
    Object.defineProperty(orders, rankBy, { enumerable: true, get: () => (order ??= sortedOrder(key)) });
  }
  return orders;
}
