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
 *
 * Nothing changes a column silently, and no column may blow up the model unannounced (checked unless
 * `kinds` names the column):
 * - a column of numbers with a non-finite one (`Infinity`, `inf`, `1e309`) is an error at that cell;
 * - a column that looks numeric (at least 90% of >= 10 values are numbers) with a few other values is
 *   an error at the first one (instead of turning into categories or text);
 * - an identifier-like column (every value distinct, a single word, >= 20 values, not numeric) is
 *   left out, with a note: it would become thousands of hashed features and carries no signal.
 * Labels are trimmed of surrounding whitespace (an empty label is missing). A label column with more
 * than `maxClasses` classes (default 100), or a numeric one with more than 20 distinct values ("looks
 * like a continuous target"), is an error unless `maxClasses` is given and allows it.
 */
import type { ColumnKind, Table } from './types';
import { recordAt } from './tableStore';
import { cellError, headerError, listColumns } from './table';
import { looksLikeArrayColumn } from './embedding';
import { parseNumber } from './number';

export { parseNumber };

export interface SchemaOptions {
  /** Name of the label column (must exist). */
  label: string;
  /** Columns to leave out of the features (ids, leaks). */
  ignore?: string[];
  /** Per-column override of the inferred kind. */
  kinds?: Record<string, ColumnKind>;
  /**
   * Most classes the label may have (default DEFAULT_MAX_CLASSES). Given explicitly, it also lets a
   * numeric label with many distinct values through.
   */
  maxClasses?: number;
}

/** Default most classes of a label column. */
export const DEFAULT_MAX_CLASSES = 100;
/** Distinct values above which a numeric label looks like a continuous target. */
export const CONTINUOUS_LABEL_VALUES = 20;
/** Fewest values for the numeric-looking and identifier-like checks. */
const MIN_VALUES_FOR_CHECKS = 10;
const MIN_VALUES_FOR_IDENTIFIER = 20;

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
  /** What inference did with columns besides choosing their kind (identifiers left out, ...). */
  notes?: string[];
}

/** Most distinct values a categorical column may have (see the module comment). */
export function categoricalLimit(nonMissing: number): number {
  return Math.max(2, Math.min(50, Math.floor(0.2 * nonMissing)));
}
/** Longest value (in characters) of a categorical column. */
export const CATEGORICAL_MAX_LENGTH = 64;

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

/** Text that is a number in form but not finite: `Infinity`, `-inf`, `1e309`. */
export function isNonFiniteNumber(cell: string): boolean {
  const t = cell.trim();
  return /^[+-]?(?:inf|infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/i.test(t) && !Number.isFinite(Number(t));
}

export interface KindInference {
  kind: ColumnKind;
  missing: number;
  /** Non-missing values that are finite numbers. */
  numbers: number;
  /** First row (index into table.store) whose value is not a finite number, -1 if none. */
  firstNonNumber: number;
  /** First record whose value is a non-finite number (Infinity, 1e309), -1 if none. */
  firstNonFinite: number;
  /** Non-finite numbers counted while every value before them was a number or one (else partial). */
  nonFinite: number;
  /** Every non-missing value distinct and a single word (no whitespace): an identifier? */
  identifierLike: boolean;
  /** Distinct non-missing values, counted up to 51 (more: 51). */
  distinct: number;
}

export function inferKind(table: Table, index: number): KindInference {
  // The store kept, while reading, what a numeric column needs (missing cells, whether every value
  // is a number, the distinct values up to its dictionary's size, the longest value): a numeric
  // column is decided without a pass over its cells.
  const col = table.store.columns[index];
  const rows = col.length;
  const n = rows - col.missing;
  if (col.numeric) {
    const distinct = Math.min(col.distinct, 51);
    return { kind: 'numeric', missing: col.missing, numbers: n, nonFinite: 0, firstNonNumber: -1, firstNonFinite: -1, identifierLike: false, distinct };
  }
  // Not all numbers: one pass for the counts and first positions the located errors need.
  let missing = 0;
  let numbers = 0;
  let firstNonNumber = -1;
  let firstNonFinite = -1;
  let nonFinite = 0;
  let singleWord = true;
  for (let r = 0; r < rows; r++) {
    const v = col.get(r);
    if (v === null) {
      missing++;
      continue;
    }
    if (!Number.isNaN(col.number(r))) numbers++;
    else {
      if (firstNonNumber < 0) firstNonNumber = r;
      if ((firstNonFinite < 0 || numbers + nonFinite === r - missing) && isNonFiniteNumber(v)) {
        if (firstNonFinite < 0) firstNonFinite = r;
        nonFinite++;
      }
      if (singleWord && /\s/.test(v)) singleWord = false;
    }
  }
  const distinctAll = col.distinct; // Infinity past the store's dictionary size
  const maxLength = col.maxLength;
  const base = { missing, numbers, nonFinite, firstNonNumber, firstNonFinite, identifierLike: false, distinct: Math.min(distinctAll, 51) };
  if (looksLikeArrayColumn(table, table.columns[index])) return { kind: 'embedding', ...base };
  const categorical = distinctAll <= 50 && distinctAll <= categoricalLimit(n) && maxLength <= CATEGORICAL_MAX_LENGTH;
  let identifierLike = false;
  if (!categorical && singleWord && numbers === 0 && n >= MIN_VALUES_FOR_IDENTIFIER && maxLength <= CATEGORICAL_MAX_LENGTH) {
    if (distinctAll !== Infinity) identifierLike = distinctAll === n;
    else {
      const all = new Set<string>();
      identifierLike = true;
      for (let r = 0; r < rows && identifierLike; r++) {
        const v = col.get(r);
        if (v == null) continue;
        if (all.has(v)) identifierLike = false;
        all.add(v);
      }
    }
  }
  return { kind: categorical ? 'categorical' : 'text', ...base, identifierLike };
}

/**
 * The kind of feature column `index` (`kinds` first), or an error at the cell that makes the column
 * ambiguous, or 'ignore' for an identifier-like column (with a note).
 */
export function inferFeatureColumn(
  table: Table,
  index: number,
  kinds: Record<string, ColumnKind>,
  notes: string[],
): ColumnInfo | 'ignore' {
  const name = table.columns[index];
  const inferred = inferKind(table, index);
  const declared = Object.prototype.hasOwnProperty.call(kinds, name) ? kinds[name] : undefined;
  const kind = declared ?? inferred.kind;
  if (kind === 'numeric' && inferred.kind !== 'numeric') {
    const bad = recordAt(table, inferred.firstNonNumber);
    throw cellError(table, bad, index, `column "${name}" is declared numeric but ${JSON.stringify(bad.cells[index])} is not a number`);
  }
  const override = `--kinds ${name}=categorical (setting datasetDebugger.columnKinds) to use its values as categories, or --ignore ${name}`;
  if (declared === undefined && inferred.kind !== 'numeric') {
    const n = table.store.rows - inferred.missing;
    if (inferred.firstNonFinite >= 0 && inferred.numbers + inferred.nonFinite === n) {
      const bad = recordAt(table, inferred.firstNonFinite);
      throw cellError(
        table,
        bad,
        index,
        `column "${name}" holds numbers, but ${JSON.stringify(bad.cells[index])} is not a finite number (it is infinite or overflows a float64): ` +
          `fix the cell, leave it empty (missing), or ${override}`,
      );
    }
    if (n >= MIN_VALUES_FOR_CHECKS && inferred.numbers >= 0.9 * n) {
      const bad = recordAt(table, inferred.firstNonNumber);
      throw cellError(
        table,
        bad,
        index,
        `column "${name}" looks numeric (${inferred.numbers} of its ${n} values are numbers) but ${JSON.stringify(bad.cells[index])} is not a number: ` +
          `fix the cell, leave it empty or NA (missing), or ${override}`,
      );
    }
    if (inferred.kind === 'text' && inferred.identifierLike) {
      notes.push(
        `column "${name}" left out: it looks like an identifier (${n} distinct single-word values), which would only add hashed features; ` +
          `--kinds ${name}=text (setting datasetDebugger.columnKinds) uses it`,
      );
      return 'ignore';
    }
  }
  return { name, index, kind, missing: inferred.missing };
}

/**
 * Trims the label cells of a table in place (surrounding whitespace; an empty label becomes missing),
 * so that " x", "x" and "x " are one class in every format. Acts on the column store (the label
 * column is rebuilt only when some cell changes; `table.records`, derived from the store, follows).
 */
export function trimLabelCells(table: Table, index: number): void {
  if (index < 0) return;
  table.store.mapColumn(index, (v) => {
    const t = v.trim();
    return t === '' ? null : t;
  });
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
  trimLabelCells(table, labelIndex);
  const labelMissing = table.store.columns[labelIndex].missing;
  const label: ColumnInfo = { name: opts.label, index: labelIndex, kind: 'categorical', missing: labelMissing };
  checkLabelClasses(table, labelIndex, opts.maxClasses);

  return { label, ...inferFeatureColumns(table, ignore, kinds, labelIndex) };
}

/**
 * Every column except `skip` (the label's index; -1 for none) as a feature, left out when named in
 * `ignore` or when inferFeatureColumn leaves it out (its note goes to `notes`).
 */
export function inferFeatureColumns(
  table: Table,
  ignore: ReadonlySet<string>,
  kinds: Record<string, ColumnKind>,
  skip = -1,
): { features: ColumnInfo[]; ignored: string[]; notes: string[] } {
  const features: ColumnInfo[] = [];
  const ignored: string[] = [];
  const notes: string[] = [];
  table.columns.forEach((name, index) => {
    if (index === skip) return;
    if (ignore.has(name)) {
      ignored.push(name);
      return;
    }
    const col = inferFeatureColumn(table, index, kinds, notes);
    if (col === 'ignore') ignored.push(name);
    else features.push(col);
  });
  return { features, ignored, notes };
}

/**
 * Refuses a label that would make the model's cost explode before it is spent: more than
 * `maxClasses` classes, or (when `maxClasses` is not given) a numeric label with more than
 * CONTINUOUS_LABEL_VALUES distinct values, which looks like a regression target.
 */
function checkLabelClasses(table: Table, j: number, maxClasses: number | undefined): void {
  const limit = maxClasses ?? DEFAULT_MAX_CLASSES;
  const col = table.store.columns[j];
  const rows = col.length - col.missing;
  const numeric = col.numeric;
  let K = col.distinct;
  if (K === Infinity) {
    // More distinct labels than the store's dictionary holds: count them for the message.
    const distinct = new Set<string>();
    for (let i = 0; i < col.length; i++) {
      const v = col.get(i);
      if (v !== null) distinct.add(v);
    }
    K = distinct.size;
  }
  const name = table.columns[j];
  if (maxClasses === undefined && numeric && K > CONTINUOUS_LABEL_VALUES) {
    throw headerError(
      table,
      `the label column "${name}" looks like a continuous target (${K} distinct numbers in ${rows} rows): this tool classifies, ` +
        `each distinct value would be a class. To treat every value as a class anyway, pass --max-classes ${K} (setting datasetDebugger.maxClasses)`,
    );
  }
  if (K > limit) {
    throw headerError(
      table,
      `the label column "${name}" has ${K} classes, more than ${limit}: the model would have ${K} x (features) parameters. ` +
        `Check that it is the label; pass --max-classes ${K} (setting datasetDebugger.maxClasses) to allow that many`,
    );
  }
}
