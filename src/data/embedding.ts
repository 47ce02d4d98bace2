/**
 * Embedding columns: a vector of numbers per record, as
 * - one cell holding a JSON array, `[0.12, -0.5, ...]` (a JSONL array value, or a quoted CSV field); or
 * - a group of numeric columns named by a common prefix and 0-based consecutive indices,
 *   `emb_0, emb_1, ..., emb_255` (found by findPrefixGroups).
 * Either way the result is a dense row-major block (records x dim). The values are used as they
 * are (no z-scoring: embeddings are usually already on a common scale; the caller may standardise).
 *
 * Errors name file, line and column: a cell that is not a JSON array of finite numbers, an array
 * whose length differs from the first record's (or the expected dim), a missing cell.
 */
import { recordAt } from './tableStore';
import { parseNumber } from './number';
import { cellError, headerError } from './table';
import type { Table } from './types';

export interface EmbeddingBlock {
  /** records x dim, row-major. */
  X: Float64Array;
  rows: number;
  dim: number;
}

export interface EmbeddingOptions {
  /** Expected length; default: the length of the first non-missing array. */
  dim?: number;
  /** What a missing cell becomes: an error (default) or a zero vector. */
  missing?: 'error' | 'zeros';
}

/** Parses a JSON array cell; returns the numbers or a message saying what is wrong. */
export function parseVector(cell: string): number[] | string {
  const t = cell.trim();
  if (!t.startsWith('[')) return `expected a JSON array of numbers like [0.1, 0.2], got ${preview(t)}`;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (e) {
    return `malformed JSON array (${(e as Error).message}): ${preview(t)}`;
  }
  if (!Array.isArray(v)) return `expected a JSON array of numbers, got ${preview(t)}`;
  for (let k = 0; k < v.length; k++) {
    const x = v[k];
    if (typeof x !== 'number' || !Number.isFinite(x)) return `element ${k} of the array is ${JSON.stringify(x)}, not a finite number`;
  }
  return v as number[];
}

function preview(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '...' : s);
}

/** The JSON-array column `column` of the given records (data rows of table.store) as a dense block. */
export function embeddingFromArrayColumn(table: Table, column: string, records: readonly number[], opts: EmbeddingOptions = {}): EmbeddingBlock {
  const j = table.columns.indexOf(column);
  if (j < 0) throw headerError(table, `embedding column "${column}" is not a column of this file`);
  let dim = opts.dim ?? -1;
  let dimFrom = opts.dim !== undefined ? 'the expected dimension' : '';
  const vecs: (number[] | null)[] = new Array(records.length);
  const col = table.store.columns[j];
  for (let k = 0; k < records.length; k++) {
    const cell = col.get(records[k]);
    const rec = () => recordAt(table, records[k]);
    if (cell == null) {
      if (opts.missing === 'zeros') {
        vecs[k] = null;
        continue;
      }
      throw cellError(table, rec(), j, `embedding column "${column}" is missing in this record`);
    }
    const v = parseVector(cell);
    if (typeof v === 'string') throw cellError(table, rec(), j, `embedding column "${column}": ${v}`);
    if (dim < 0) {
      dim = v.length;
      dimFrom = `the first record (line ${table.store.line(records[k])})`;
      if (dim === 0) throw cellError(table, rec(), j, `embedding column "${column}" holds an empty array`);
    } else if (v.length !== dim) {
      throw cellError(table, rec(), j, `embedding column "${column}" has ${v.length} values here but ${dim} in ${dimFrom}`);
    }
    vecs[k] = v;
  }
  if (dim < 0) dim = 0;
  const X = new Float64Array(records.length * dim);
  for (let k = 0; k < records.length; k++) {
    const v = vecs[k];
    if (v) for (let a = 0; a < dim; a++) X[k * dim + a] = v[a];
  }
  return { X, rows: records.length, dim };
}

export interface PrefixGroup {
  prefix: string;
  /** Column names in index order (prefix0, prefix1, ...). */
  columns: string[];
}

/**
 * Groups of columns named prefix + 0, prefix + 1, ..., prefix + (n-1) with n >= minSize (default 8),
 * e.g. emb_0..emb_255. A group must start at 0 and have no gaps; the prefix must end in a
 * non-digit. Columns that do not fit are left alone.
 */
export function findPrefixGroups(columns: readonly string[], minSize = 8): PrefixGroup[] {
  const byPrefix = new Map<string, Map<number, string>>();
  for (const c of columns) {
    const m = /^(.*\D)(0|[1-9]\d*)$/.exec(c);
    if (!m) continue;
    let g = byPrefix.get(m[1]);
    if (!g) byPrefix.set(m[1], (g = new Map()));
    g.set(Number(m[2]), c);
  }
  const out: PrefixGroup[] = [];
  for (const [prefix, g] of byPrefix) {
    const cols: string[] = [];
    for (let i = 0; g.has(i); i++) cols.push(g.get(i) as string);
    if (cols.length >= minSize) out.push({ prefix, columns: cols });
  }
  return out;
}

/** The numeric columns of a prefix group as a dense block; a non-number cell is an error at that cell. */
export function embeddingFromColumns(table: Table, group: PrefixGroup, records: readonly number[], opts: Pick<EmbeddingOptions, 'missing'> = {}): EmbeddingBlock {
  const idx = group.columns.map((c) => {
    const j = table.columns.indexOf(c);
    if (j < 0) throw headerError(table, `embedding column "${c}" is not a column of this file`);
    return j;
  });
  const dim = idx.length;
  const X = new Float64Array(records.length * dim);
  const store = table.store;
  for (let k = 0; k < records.length; k++) {
    const rec = () => recordAt(table, records[k]);
    for (let a = 0; a < dim; a++) {
      const cell = store.cell(records[k], idx[a]);
      if (cell == null) {
        if (opts.missing === 'zeros') continue;
        throw cellError(table, rec(), idx[a], `embedding column "${group.columns[a]}" (${group.prefix}*) is missing in this record`);
      }
      const x = parseNumber(cell);
      if (Number.isNaN(x)) throw cellError(table, rec(), idx[a], `embedding column "${group.columns[a]}" is numeric but ${JSON.stringify(cell)} is not a number`);
      X[k * dim + a] = x;
    }
  }
  return { X, rows: records.length, dim };
}

/** True when every non-missing cell of the column (up to `sample` of them) looks like a JSON array. */
export function looksLikeArrayColumn(table: Table, column: string, sample = 50): boolean {
  const j = table.columns.indexOf(column);
  if (j < 0) return false;
  let seen = 0;
  const col = table.store.columns[j];
  for (let i = 0; i < col.length; i++) {
    const c = col.get(i);
    if (c == null) continue;
    const t = c.trimStart();
    if (!t.startsWith('[')) return false;
    if (++seen >= sample) break;
  }
  return seen > 0;
}
