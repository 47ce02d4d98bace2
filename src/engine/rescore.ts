/**
 * The warm re-score after label fixes (ScanParams.warmStart): whether the previous scan can be
 * reused, and if so how many labels changed.
 */
import type { Schema } from '../data/schema';
import type { Table } from '../data/types';
import type { ScanParams } from '../protocol/worker';
import type { ScanState } from './state';

/**
 * Why a re-score cannot reuse the previous scan `prev` (a sentence), or the number of changed labels
 * when it can: the same parameters, exact logistic regression, the same columns and rows, the same
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
  const strip = (p: ScanParams) => JSON.stringify({ ...p, firstPage: undefined, rankBy: undefined, warmStart: undefined });
  if (strip(prev.params) !== strip(params)) return 'the scan parameters changed';
  if (!prev.analysis.warmStart || !prev.influence) return 'only logistic regression with the exact solver is re-scored warm';
  if (params.unsupervised || params.label === undefined) return 'an unsupervised scan has no labels to re-score';
  if ((params.test ? testHash : '') !== (prev.testHash ?? '')) return 'the test file changed';
  if (table.columns.length !== prev.table.columns.length || table.columns.some((c, j) => c !== prev.table.columns[j])) return 'the columns changed';
  const rows = table.store.rows;
  if (rows !== prev.table.store.rows) return `the number of rows changed (${prev.table.store.rows} -> ${rows})`;
  if (labels.classes.length !== prev.classes.length || labels.classes.some((c, k) => c !== prev.classes[k])) return 'the set of classes changed';
  if (labels.records.length !== prev.records.length || labels.records.some((r, i) => r !== prev.records[i])) return 'rows gained or lost their label';
  const j0 = schema.label.index;
  for (let j = 0; j < table.columns.length; j++) {
    if (j === j0) continue;
    for (let r = 0; r < rows; r++) {
      if (table.store.cell(r, j) !== prev.table.store.cell(r, j)) return `a cell other than a label changed (row ${r}, column "${table.columns[j]}")`;
    }
  }
  let changed = 0;
  for (let i = 0; i < labels.y.length; i++) if (labels.y[i] !== prev.data.y[i]) changed++;
  return { changed };
}

