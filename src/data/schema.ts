/**
 * Schema: which column is the label, and how every other column becomes features.
 *
 * Inference (per column, over all records of the table, missing cells left out):
 * - numeric     every non-missing value is a finite decimal number (see parseNumber);
 * - categorical otherwise, when it has at most max(2, min(50, floor(0.2 * n))) distinct values
 *               (n = non-missing values) and none is longer than 64 characters;
 * - text        otherwise.
 * A column with no values at all is numeric (and later dropped as constant). `kinds` overrides the
 * inference, `ignore` leaves columns out; the label column is never a feature.
 */
import type { ColumnKind, Table } from './types';
import { recordAt } from './columns';
import { cellError, headerError, listColumns } from './table';
import { looksLikeArrayColumn } from './embedding';

export interface SchemaOptions {
  /** Name of the label column (must exist). */
  label: string;
  /** Columns to leave out of the features (ids, leaks). */
  ignore?: string[];
  /** Per-column override of the inferred kind. */
  kinds?: Record<string, ColumnKind>;
}

export interface ColumnInfo {
  name: string;
  /** Index into Table.columns. */
  index: number;
  kind: ColumnKind;
  /** Records whose cell is missing. */
  missing: number;
}

export interface Schema {
  label: ColumnInfo;
  features: ColumnInfo[];
  ignored: string[];
}

/** Most distinct values a categorical column may have (see the module comment). */
export function categoricalLimit(nonMissing: number): number {
  return Math.max(2, Math.min(50, Math.floor(0.2 * nonMissing)));
}
/** Longest value (in characters) of a categorical column. */
export const CATEGORICAL_MAX_LENGTH = 64;

/**
 * A cell as a number: surrounding whitespace trimmed, then a decimal number in the syntax of JS
 * `Number()` (`12`, `-3.5`, `.5`, `5.`, `1e-3`, `+2`), which is also what Python's float() reads.
 * Empty text, hex/octal/binary literals, Infinity and values that overflow to Infinity give NaN.
 * (A hand-written check of /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, then Number().)
 */
export function parseNumber(cell: string): number {
  let s = cell;
  let n = s.length;
  if (n === 0) return NaN;
  if (s.charCodeAt(0) <= 32 || s.charCodeAt(n - 1) <= 32) {
    s = s.trim();
    n = s.length;
    if (n === 0) return NaN;
  }
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) i++; // + -
  let digits = 0;
  while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
    i++;
    digits++;
  }
  if (i < n && c === 46) {
    // .
    i++;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return NaN;
  if (i < n && (c === 101 || c === 69)) {
    // e E
    i++;
    if (i < n && ((c = s.charCodeAt(i)) === 43 || c === 45)) i++;
    const e0 = i;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
    if (i === e0) return NaN;
  }
  if (i !== n) return NaN;
  const x = +s;
  return x - x === 0 ? x : NaN; // finite
}

/**
 * Sort order of labels and categorical levels: by Unicode code point, exactly like Python's sorted()
 * on str. Equal to plain JS `<` except when comparing a character above U+FFFF with one in
 * U+E000..U+FFFF, where JS (UTF-16 units) and Python (code points) disagree.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (a code point above U+FFFF) sorts after every BMP character.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

export function inferKind(table: Table, index: number): { kind: ColumnKind; missing: number } {
  // The store kept, while reading, what inference needs: missing cells, whether every value is a
  // number, the distinct values (up to its dictionary's size) and the longest value.
  const col = table.store.columns[index];
  const missing = col.missing;
  if (col.numeric) return { kind: 'numeric', missing };
  if (looksLikeArrayColumn(table, table.columns[index])) return { kind: 'embedding', missing };
  const n = col.length - missing;
  const distinct = col.distinct;
  const categorical = distinct <= 50 && distinct <= categoricalLimit(n) && col.maxLength <= CATEGORICAL_MAX_LENGTH;
  return { kind: categorical ? 'categorical' : 'text', missing };
}

export function inferSchema(table: Table, opts: SchemaOptions): Schema {
  const columns = table.columns;
  const position = new Map<string, number>();
  columns.forEach((c, k) => position.set(c, k));
  const check = (name: string, what: string): void => {
    if (!position.has(name)) {
      throw headerError(table, `${what} "${name}" is not a column of this file; columns: ${listColumns(columns)}`);
    }
  };
  check(opts.label, 'the label column');
  const ignore = new Set(opts.ignore ?? []);
  for (const name of ignore) check(name, 'ignored column');
  const kinds = opts.kinds ?? {};
  for (const name of Object.keys(kinds)) {
    check(name, 'the column');
    if (!['numeric', 'categorical', 'text', 'embedding'].includes(kinds[name])) {
      throw headerError(table, `unknown kind "${kinds[name]}" for column "${name}" (use numeric, categorical, text or embedding)`);
    }
  }

  const labelIndex = position.get(opts.label) as number;
  const labelMissing = table.store.columns[labelIndex].missing;
  const label: ColumnInfo = { name: opts.label, index: labelIndex, kind: 'categorical', missing: labelMissing };

  const features: ColumnInfo[] = [];
  const ignored: string[] = [];
  columns.forEach((name, index) => {
    if (index === labelIndex) return;
    if (ignore.has(name)) {
      ignored.push(name);
      return;
    }
    const inferred = inferKind(table, index);
    const kind = Object.prototype.hasOwnProperty.call(kinds, name) ? kinds[name] : inferred.kind;
    if (kind === 'numeric' && inferred.kind !== 'numeric') {
      const col = table.store.columns[index];
      let at = -1;
      for (let i = 0; i < col.length && at < 0; i++) if (Number.isNaN(col.number(i)) && col.get(i) !== null) at = i;
      const bad = at >= 0 ? recordAt(table, at) : undefined;
      if (bad) {
        throw cellError(table, bad, index, `column "${name}" is declared numeric but ${JSON.stringify(bad.cells[index])} is not a number`);
      }
    }
    features.push({ name, index, kind, missing: inferred.missing });
  });
  return { label, features, ignored };
}
