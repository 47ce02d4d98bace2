/**
 * The scan's inputs before any model: the schema of unlabelled data, the test set encoded with the
 * training encoder, every record as a model row, the notes on costly columns, and the content hash
 * that keys a scan's results. Used by the Session's scan pipeline (session.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FeatureEncoder } from '../data/features';
import { inferFeatureColumns, trimLabelCells, type Schema } from '../data/schema';
import { cellError, headerError, listColumns } from '../data/table';
import { regularFileSize } from '../data/textStream';
import { recordAt } from '../data/tableStore';
import type { Table } from '../data/types';
import type { ScanParams } from '../protocol/worker';
import { UserError } from '../util/errors';

export interface TestSet {
  table: Table;
  X: Float64Array;
  /** Class index per test record, -1 where the label is missing or the file has no label column. */
  y: Int32Array;
}

/**
 * A schema without a label column (unsupervised scans): every other column is a feature unless ignored.
 * The column loop is inferSchema's (data/schema.ts inferFeatureColumns) with no label to skip.
 */
export function unlabelledSchema(table: Table, params: ScanParams): Schema {
  const ignore = new Set(params.ignore ?? []);
  if (params.label !== undefined) ignore.add(params.label);
  const kinds = params.kinds ?? {};
  for (const name of [...ignore, ...Object.keys(kinds)]) {
    if (!table.columns.includes(name)) throw headerError(table, `"${name}" is not a column of this file; columns: ${listColumns(table.columns)}`);
  }
  return { label: { name: '', index: -1, kind: 'categorical', missing: 0 }, ...inferFeatureColumns(table, ignore, kinds) };
}

/**
 * What the scan did with columns that cost parameters (identifiers left out, text hashed), and the
 * model's size, so that the cost is stated before it is spent.
 */
export function columnNotes(schema: Schema, encoder: FeatureEncoder, N: number): string[] {
  const notes = [...(schema.notes ?? [])];
  for (const [name, t] of Object.entries(encoder.report.text ?? {})) {
    notes.push(`column "${name}" is text: hashed TF-IDF into ${t.dimensions} buckets (${t.vocabulary} distinct terms in ${N} rows; --text-dims sets the buckets, --kinds ${name}=categorical or --ignore ${name} change it)`);
  }
  for (const [name, levels] of Object.entries(encoder.report.categoricalLevels)) {
    if (levels > 20) notes.push(`column "${name}" is categorical: ${levels} one-hot levels`);
  }
  return notes;
}

/** Every record as a model row (unsupervised scans); classes are filled in after clustering. */
export function allRows(table: Table): { y: Int32Array; classes: string[]; records: number[]; skipped: { row: number; line: number }[] } {
  const n = table.store.rows;
  return { y: new Int32Array(n), classes: [], records: Array.from({ length: n }, (_, i) => i), skipped: [] };
}

export function encodeTestSet(table: Table, schema: Schema, encoder: FeatureEncoder, classes: string[]): TestSet {
  const all = Array.from({ length: table.store.rows }, (_, i) => i);
  const X = encoder.transform(table, all);
  const y = new Int32Array(all.length).fill(-1);
  const j = table.columns.indexOf(schema.label.name);
  if (j >= 0) {
    trimLabelCells(table, j);
    const index = new Map(classes.map((c, k) => [c, k]));
    for (let i = 0; i < all.length; i++) {
      const v = table.store.cell(i, j);
      if (v === null) continue;
      const k = index.get(v);
      if (k === undefined) {
        throw cellError(table, recordAt(table, i), j, `label '${v}' is not one of the training classes (${classes.join(', ')})`);
      }
      y[i] = k;
    }
  }
  return { table, X, y };
}

/** SHA-256 of a regular file (a directory or a device such as /dev/zero is refused, never read). */
export function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    try {
      regularFileSize(file);
    } catch (e) {
      reject(e);
      return;
    }
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', (e) => reject(new UserError(`Cannot read ${file}: ${e.message}`)))
      .on('end', () => resolve(h.digest('hex')));
  });
}
