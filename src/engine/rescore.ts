/**
 * The warm re-score after label fixes (ScanParams.warmStart): whether the previous scan can be
 * reused, and if so how many labels changed.
 */
import type { Schema } from '../data/schema';
import type { Table } from '../data/types';
import type { ScanParams } from '../protocol/worker';
import type { ScanState } from './state';

/** Whether two scans have the same parameters, apart from what only the reply depends on. */
export function sameScanParams(a: ScanParams, b: ScanParams): boolean {
  const strip = (p: ScanParams) => JSON.stringify({ ...p, firstPage: undefined, rankBy: undefined, warmStart: undefined });
  return strip(a) === strip(b);
}

/**
 * Why a re-score cannot reuse the previous scan `prev` (a sentence), or the number of changed labels
 * when it can: the same parameters, logistic regression, the same columns and rows, the same
 * classes and labelled rows, every cell outside the label column unchanged, the same test file.
 */
export function warmMismatch(
  prev: ScanState,
  params: ScanParams,
  table: Table,
  schema: Schema,
  labels: { y: Int32Array; classes: string[]; records: number[] },
  testHash: string,
): string | { changed: number } {
  if (!sameScanParams(prev.params, params)) return 'the scan parameters changed';
  // Logistic regression, exact or EK-FAC (whose factors are built anew from the new fit).
  if (!prev.analysis.warmStart) return 'only logistic regression is re-scored warm';
  if (params.unsupervised || params.label === undefined) return 'an unsupervised scan has no labels to re-score';
  if ((params.test ? testHash : '') !== (prev.testHash ?? '')) return 'the test file changed';
  if (table.columns.length !== prev.table.columns.length || table.columns.some((c, j) => c !== prev.table.columns[j])) return 'the columns changed';
  const rows = table.store.rows;
  if (rows !== prev.table.store.rows) return `the number of rows changed (${prev.table.store.rows} -> ${rows})`;
  if (labels.classes.length !== prev.classes.length || labels.classes.some((c, k) => c !== prev.classes[k])) return 'the set of classes changed';
  if (labels.records.length !== prev.records.length || labels.records.some((r, i) => r !== prev.records[i])) return 'rows gained or lost their label';
  const j0 = schema.label.index;
  // Column by column on the stored codes, numbers or mantissas (ColumnData.firstDifference): the same
  // test as comparing every cell's text, without making a text per cell.
  for (let j = 0; j < table.columns.length; j++) {
    // A column shared with the last scan's table (a label-only re-read, labelReread.ts) is unchanged.
    if (j === j0 || table.store.columns[j] === prev.table.store.columns[j]) continue;
    const r = table.store.columns[j].firstDifference(prev.table.store.columns[j], rows);
    if (r >= 0) return `a cell other than a label changed (row ${r}, column "${table.columns[j]}")`;
  }
  let changed = 0;
  for (let i = 0; i < labels.y.length; i++) if (labels.y[i] !== prev.data.y[i]) changed++;
  return { changed };
}

/**
 * Numbers a scan keeps for quick re-scores (label suspicion's two N x K x K leave-one-out blocks):
 * at most this many (64 MB); above it a re-score is the exact warm one.
 */
export const QUICK_RESCORE_MAX_NUMBERS = 8e6;

/**
 * Multiply-adds of label suspicion's exact blocks below which a re-score stays exact: a few
 * milliseconds of work, less than what the quick path's own passes and first runs cost (measured on
 * wine, 178 rows, 3 classes: quick 0.02 s against 0.01 s for a cold scan; glass and wine are exact).
 */
export const QUICK_RESCORE_MIN_FLOPS = 1e7;

/**
 * Label suspicion's exact blocks, both stages. More than two classes: two P x P inverses (P^3/3
 * each) and two passes of N K(K+1)/2 D^2. Two classes (the closed form, loo.ts binaryRowBlocks): per
 * stage a D x D Gram matrix (N D^2/2) and a forward substitution per row (N D^2/2).
 */
export function suspicionBlockFlops(N: number, K: number, D: number): number {
  if (K === 2) return 2 * N * D * D;
  const P = K * D;
  return 2 * (P ** 3 / 3 + (N * K * (K + 1) * D * D) / 2);
}

/**
 * Whether a full scan keeps label suspicion's leave-one-out curvature (2 N K^2 numbers) so that the
 * next re-scores are quick: at most QUICK_RESCORE_MAX_NUMBERS numbers and exact blocks of at least
 * QUICK_RESCORE_MIN_FLOPS multiply-adds, for any number of classes. Two classes reach it from
 * N D^2 >= 5e6 (two_class_100k, 100,000 rows of 20 numbers: 8e7, quick; two_class_10k 8e6,
 * breast_cancer 1e6 and pima 1e5 stay exact).
 */
export function keepsSuspicionCurvature(N: number, K: number, D: number): boolean {
  return K >= 2 && 2 * N * K * K <= QUICK_RESCORE_MAX_NUMBERS && suspicionBlockFlops(N, K, D) >= QUICK_RESCORE_MIN_FLOPS;
}

/**
 * Share of the rows whose labels changed up to which a re-score's main fit runs L-BFGS from the old
 * optimum with the old Hessian's Cholesky solve as its initial inverse Hessian (FitOptions
 * .initialInverseHessian), above it Newton-CG preconditioned by that solve (FitOptions.preconditioner).
 * Both stop at the same gradient norm as a cold fit. Measured (CPU s of the fit, median of 5, after
 * fixing the top rows by label suspicion; bench/FIX-RESULTS.md, "Quick two-class re-score, s11-h11"):
 * 0.1% changed, L-BFGS 0.013 / 0.012 / 0.053 s against Newton-CG 0.028 / 0.022 / 0.089 s on digits,
 * satellite and two_class_100k; 10% changed, L-BFGS 0.22 / 0.09 / 0.13 against 0.12 / 0.06 / 0.15
 * (the old curvature is a poor model after many changes).
 */
export const LBFGS_WARM_MAX_CHANGED = 0.01;

/**
 * Distance terms of kNN's neighbour search (src/detect/crossFit.ts knnNeighbours) at or above which a
 * full scan keeps its folds and neighbours for quick re-scores, and a re-score reuses them instead of
 * searching again (about 0.2-0.3 s of CPU on the 2-core machine; a 30,000-row file of 20 numbers, 9e9
 * terms, spends ~90% of its scan there, while breast_cancer's 5e6 cost a few ms and stay exact).
 */
export const QUICK_KNN_MIN_TERMS = 1e8;

/** kNN's distance terms: all pairs (N^2 d / 2), or each row against the reference sample above the exact limit. */
export function knnSearchTerms(N: number, d: number, exactMaxRows: number, referenceRows: number): number {
  return N > exactMaxRows ? N * Math.min(referenceRows, N) * d : (N * N * d) / 2;
}
