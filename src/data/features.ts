/**
 * Labels and features, fitted on training records and applied to any table with the same columns.
 *
 * Labels: records with a missing label are skipped (and reported); classes are the sorted distinct
 * training labels (compareCodePoints: Python's sorted() order).
 *
 * Features, in schema column order, then a bias 1 last:
 * - numeric: z = (x - mean) / std with the training mean and population std (ddof = 0) over the
 *   non-missing training values; columns whose non-missing training values are all equal (or absent)
 *   are dropped; a missing value is imputed with the training mean, i.e. z = 0. The sums use numpy's
 *   pairwise summation, so for an all-numeric file the features are bit-identical to
 *   shared/reference/ref_influence.py's Standardizer.
 * - categorical: one-hot over the sorted training levels, with "missing" as its own last level when
 *   the training rows have missing values; a level not seen in training encodes as all zeros; a column
 *   with a single training level is dropped as constant.
 * - text: hashed TF-IDF of word unigrams and bigrams (src/data/text.ts), `textDimensions` buckets
 *   (default 1024) per column, idf from the training rows, rows l2-normalised; a missing text is all zeros.
 * - embedding: a JSON array of numbers per cell (src/data/embedding.ts), used as it is (no z-scoring);
 *   every training array must have the same length; a missing cell is a zero vector.
 * (A group of numeric columns emb_0..emb_255 is an embedding too: they are numeric columns and are
 * z-scored like any other.)
 */
import { DataFileError } from '../util/errors';
import type { Schema } from './schema';
import { compareCodePoints } from './schema';
import { cellError, headerError, listColumns } from './table';
import { recordAt } from './tableStore';
import { embeddingFromArrayColumn } from './embedding';
import { HashedTfidf, type HashedTfidfState } from './text';
import type { DataRecord, Table } from './types';
import type { ColumnData } from './columns';

export interface LabelEncoding {
  /** Class index per kept record, aligned with `records`. */
  y: Int32Array;
  /** Sorted distinct training labels (plain string comparison), K of them. */
  classes: string[];
  /** Data rows (indices into table.store) of the records that have a label, in file order. */
  records: number[];
  /** Records skipped because the label is missing. */
  skipped: { row: number; line: number }[];
}

export interface FeatureReport {
  droppedConstant: string[];
  /** Missing values imputed, per column name (numeric: training mean; categorical: own level). */
  missing: Record<string, number>;
  /** Number of one-hot levels per categorical column. */
  categoricalLevels: Record<string, number>;
  /** Text columns left out (none since text is featurised; kept for older caches). */
  skippedText: string[];
  /** Hashed TF-IDF buckets per text column, and the distinct training terms seen. */
  text?: Record<string, { dimensions: number; vocabulary: number }>;
  /** Length of each embedding column's vectors. */
  embedding?: Record<string, number>;
}

export interface FeatureOptions {
  /**
   * Hashed TF-IDF buckets per text column. Default: the smallest power of two >= twice the column's
   * distinct training terms, between MIN_TEXT_DIMENSIONS and DEFAULT_TEXT_DIMENSIONS.
   */
  textDimensions?: number;
}

export const DEFAULT_TEXT_DIMENSIONS = 1024;
/** Fewest buckets of a text column whose buckets are scaled to the data. */
export const MIN_TEXT_DIMENSIONS = 16;

/** Name of the one-hot level of missing values: `<column>=<missing>`. */
export const MISSING_LEVEL = '<missing>';

function labelColumn(table: Table, schema: Schema): number {
  const j = table.columns.indexOf(schema.label.name);
  if (j < 0) {
    throw headerError(
      table,
      `the label column "${schema.label.name}" is not a column of this file; columns: ${listColumns(table.columns)}`,
    );
  }
  return j;
}

export function encodeLabels(table: Table, schema: Schema, classes?: string[]): LabelEncoding {
  const j = labelColumn(table, schema);
  const col = table.store.columns[j];
  const records: number[] = [];
  const skipped: { row: number; line: number }[] = [];
  const rows = table.store.rows;
  for (let r = 0; r < rows; r++) {
    if (col.get(r) == null) skipped.push({ row: r, line: table.store.line(r) });
    else records.push(r);
  }
  const y = new Int32Array(records.length);

  if (classes) {
    const index = new Map<string, number>();
    classes.forEach((c, k) => index.set(c, k));
    for (let k = 0; k < records.length; k++) {
      const v = col.get(records[k]) as string;
      const c = index.get(v);
      if (c === undefined) {
        throw cellError(
          table,
          recordAt(table, records[k]),
          j,
          `label ${JSON.stringify(v)} is not one of the training classes: ${listColumns(classes)}`,
        );
      }
      y[k] = c;
    }
    return { y, classes: classes.slice(), records, skipped };
  }

  const distinct = new Set<string>();
  const dict = col.dictionary();
  if (dict) for (const v of dict.values) distinct.add(v);
  else for (const r of records) distinct.add(col.get(r) as string);
  const sorted = [...distinct].sort(compareCodePoints);
  if (sorted.length < 2) {
    const first = records.length > 0 ? recordAt(table, records[0]) : rows > 0 ? recordAt(table, 0) : undefined;
    const detail =
      sorted.length === 0
        ? `every value of the label column "${schema.label.name}" is missing`
        : `the label column "${schema.label.name}" has only one class (${JSON.stringify(sorted[0])}); a classifier needs at least two`;
    throw first ? cellError(table, first, j, detail) : headerError(table, detail);
  }
  const index = new Map<string, number>();
  sorted.forEach((c, k) => index.set(c, k));
  if (dict) {
    const classOfCode = dict.values.map((v) => index.get(v) as number);
    for (let k = 0; k < records.length; k++) y[k] = classOfCode[dict.codes[records[k]]];
  } else {
    for (let k = 0; k < records.length; k++) y[k] = index.get(col.get(records[k]) as string) as number;
  }
  return { y, classes: sorted, records, skipped };
}

interface NumericPlan {
  kind: 'numeric';
  name: string;
  offset: number;
  mean: number;
  std: number;
  /**
   * Set when the column's sums overflow (values near 1e308): mean and std are then of x / scale,
   * and z = (x / scale - mean) / std.
   */
  scale?: number;
}

interface CategoricalPlan {
  kind: 'categorical';
  name: string;
  offset: number;
  levels: string[];
  /** Index of the missing level within `levels`, or -1 when the training rows had none. */
  missingLevel: number;
}

interface TextPlan {
  kind: 'text';
  name: string;
  offset: number;
  tfidf: HashedTfidfState;
}

interface EmbeddingPlan {
  kind: 'embedding';
  name: string;
  offset: number;
  dim: number;
}

type Plan = NumericPlan | CategoricalPlan | TextPlan | EmbeddingPlan;

/** Everything a fitted encoder needs, as plain JSON (for caches and the worker protocol). */
export interface FeatureEncoderState {
  columns: Plan[];
  featureNames: string[];
  report: FeatureReport;
}

export class FeatureEncoder {
  /** Feature names after dropping constant columns and expanding one-hot levels, then 'bias' last. */
  readonly featureNames: string[] = [];
  /** D, including the bias. */
  get dim(): number {
    return this.featureNames.length;
  }
  readonly report!: FeatureReport;
  /** Missing values per column seen by the last transform() call (numeric and categorical). */
  lastMissing: Record<string, number> = {};

  private plan: Plan[] = [];

  static fit(table: Table, schema: Schema, records: number[], options: FeatureOptions = {}): FeatureEncoder {
    const report: FeatureReport = { droppedConstant: [], missing: {}, categoricalLevels: {}, skippedText: [] };
    const textDimensions = options.textDimensions ?? DEFAULT_TEXT_DIMENSIONS;
    const scaleText = options.textDimensions === undefined;
    if (!(Number.isInteger(textDimensions) && textDimensions >= 2)) {
      throw new RangeError(`textDimensions must be a whole number >= 2 (got ${textDimensions})`);
    }
    const plan: Plan[] = [];
    const names: string[] = [];
    const store = table.store;
    let scratch: Float64Array | undefined;
    let sqScratch: Float64Array | undefined; // squared deviations (meanStd), shared the same way
    for (const col of schema.features) {
      const j = table.columns.indexOf(col.name);
      if (j < 0) throw headerError(table, `feature column "${col.name}" is not a column of this file`);
      if (col.kind === 'text') {
        const texts = records.map((r) => store.cell(r, j));
        const missing = texts.reduce((n, t) => n + (t === null ? 1 : 0), 0);
        let tfidf = HashedTfidf.fit(texts, { dim: textDimensions });
        if (scaleText) {
          // Scaled to the data: buckets for twice the distinct terms (few collisions), at least 16,
          // so that 4 short texts do not cost 1024 parameters per class.
          const dim = Math.max(MIN_TEXT_DIMENSIONS, 1 << Math.ceil(Math.log2(Math.max(1, 2 * tfidf.vocabularySize))));
          if (dim < textDimensions) tfidf = HashedTfidf.fit(texts, { dim });
        }
        plan.push({ kind: 'text', name: col.name, offset: names.length, tfidf: tfidf.state() });
        names.push(...tfidf.featureNames(col.name));
        (report.text ??= {})[col.name] = { dimensions: tfidf.dim, vocabulary: tfidf.vocabularySize };
        if (missing > 0) report.missing[col.name] = missing;
        continue;
      }
      if (col.kind === 'embedding') {
        const block = embeddingFromArrayColumn(table, col.name, records, { missing: 'zeros' });
        plan.push({ kind: 'embedding', name: col.name, offset: names.length, dim: block.dim });
        for (let k = 0; k < block.dim; k++) names.push(`${col.name}[${k}]`);
        (report.embedding ??= {})[col.name] = block.dim;
        const missing = records.reduce((n, r) => n + (store.cell(r, j) == null ? 1 : 0), 0);
        if (missing > 0) report.missing[col.name] = missing;
        continue;
      }
      let missing = 0;
      if (col.kind === 'numeric') {
        let n = 0;
        let min = Infinity;
        let max = -Infinity;
        // One scratch array for every numeric column (not one per column left for the GC).
        const xs = (scratch ??= new Float64Array(records.length));
        const data = store.columns[j];
        for (const r of records) {
          const x = data.number(r);
          if (x !== x) {
            if (data.get(r) != null) throw notANumber(table, recordAt(table, r), j, col.name);
            missing++;
            continue;
          }
          xs[n++] = x;
          if (x < min) min = x;
          if (x > max) max = x;
        }
        if (n === 0 || !(max > min)) {
          report.droppedConstant.push(col.name);
          continue;
        }
        const sq = (sqScratch ??= new Float64Array(records.length));
        let m = meanStd(xs, n, sq);
        let scale: number | undefined;
        if (!(Number.isFinite(m.mean) && Number.isFinite(m.std) && m.std > 0)) {
          // Overflow (or underflow) of the sums: standardise x / max|x| instead, which is exact up to rounding.
          scale = Math.max(Math.abs(min), Math.abs(max));
          for (let k = 0; k < n; k++) xs[k] = xs[k] / scale;
          m = meanStd(xs, n, sq);
          if (!(Number.isFinite(m.mean) && Number.isFinite(m.std) && m.std > 0)) {
            report.droppedConstant.push(col.name);
            continue;
          }
        }
        plan.push({ kind: 'numeric', name: col.name, offset: names.length, mean: m.mean, std: m.std, ...(scale !== undefined ? { scale } : {}) });
        names.push(col.name);
      } else {
        const seen = new Set<string>();
        const data = store.columns[j];
        for (const r of records) {
          const cell = data.get(r);
          if (cell == null) missing++;
          else seen.add(cell);
        }
        const levels = [...seen].sort(compareCodePoints);
        const missingLevel = missing > 0 ? levels.length : -1;
        if (missing > 0) levels.push(MISSING_LEVEL);
        if (levels.length < 2) {
          report.droppedConstant.push(col.name);
          continue;
        }
        plan.push({ kind: 'categorical', name: col.name, offset: names.length, levels, missingLevel });
        for (const level of levels) names.push(`${col.name}=${level}`);
        report.categoricalLevels[col.name] = levels.length;
      }
      if (missing > 0) report.missing[col.name] = missing;
    }
    names.push('bias');
    return FeatureEncoder.fromState({ columns: plan, featureNames: names, report });
  }

  static fromState(state: FeatureEncoderState): FeatureEncoder {
    const enc = new FeatureEncoder();
    enc.plan = state.columns;
    enc.featureNames.push(...state.featureNames);
    (enc as { report: FeatureReport }).report = state.report;
    return enc;
  }

  state(): FeatureEncoderState {
    return { columns: this.plan, featureNames: this.featureNames.slice(), report: this.report };
  }

  /** Training statistics of the numeric features that were kept. */
  get numericColumns(): { name: string; mean: number; std: number }[] {
    return this.plan.flatMap((p) => (p.kind === 'numeric' ? [{ name: p.name, mean: p.mean * (p.scale ?? 1), std: p.std * (p.scale ?? 1) }] : []));
  }

  /**
   * Frees the table's decimal numeric columns that X (this encoder's transform of every row of
   * `table`, in order) holds exactly: such a cell then reads back as its standardised feature mapped
   * back, z * std + mean, rounded to the column's decimal places (ColumnData.derive checks every
   * row). X must not change afterwards. Returns the number of columns freed.
   */
  releaseNumericColumns(table: Table, records: readonly number[], X: Float64Array): number {
    const store = table.store;
    if (records.length !== store.rows) return 0;
    const D = this.dim;
    const candidates: { column: ColumnData; value: (i: number) => number; ok: boolean }[] = [];
    for (const p of this.plan) {
      if (p.kind !== 'numeric' || p.scale !== undefined) continue;
      const j = table.columns.indexOf(p.name);
      const { offset, mean, std } = p;
      if (j >= 0) candidates.push({ column: store.columns[j], value: (i) => X[i * D + offset] * std + mean, ok: true });
    }
    // Checked a block of rows at a time across the columns (X is row-major: see numericBlocks).
    for (let r0 = 0; r0 < store.rows; r0 += TRANSFORM_BLOCK_ROWS) {
      const r1 = Math.min(store.rows, r0 + TRANSFORM_BLOCK_ROWS);
      for (const c of candidates) if (c.ok && !c.column.derivable(c.value, r0, r1)) c.ok = false;
    }
    let freed = 0;
    for (const c of candidates) if (c.ok && c.column.derive(c.value, true)) freed++;
    return freed;
  }

  /** rows x D, row-major, bias last; test tables are matched by column name. */
  transform(table: Table, records: number[]): Float64Array {
    const D = this.dim;
    const plan = this.plan;
    const at = plan.map((p) => {
      const j = table.columns.indexOf(p.name);
      if (j < 0) {
        throw new DataFileError(
          table.file,
          table.headerLine ?? 1,
          1,
          `feature column "${p.name}" of the training data is missing from this file; columns: ${listColumns(table.columns)}`,
        );
      }
      return j;
    });
    const store = table.store;
    const cols = at.map((j) => store.columns[j]);
    // Categorical levels by dictionary code when the column is a dictionary (-1: unseen level).
    const levelOfCode = plan.map((p, c) => {
      if (p.kind !== 'categorical') return null;
      const index = new Map(p.levels.map((l, k) => [l, k]));
      const dict = cols[c].dictionary();
      return { index, codes: dict?.codes, level: dict?.values.map((v) => index.get(v) ?? -1) };
    });
    const missing = new Float64Array(plan.length);
    const out = new Float64Array(records.length * D);
    const numericDone = numericBlocks(plan, cols, records, D, out, missing);
    // Text and embedding blocks column by column; numeric and categorical cells column by column below.
    plan.forEach((p, c) => {
      if (p.kind === 'text') {
        const texts = records.map((r) => cols[c].get(r));
        for (const t of texts) if (t === null) missing[c]++;
        const m = HashedTfidf.fromState(p.tfidf).transform(texts);
        for (let r = 0; r < m.rows; r++) {
          const base = r * D + p.offset;
          for (let e = m.indptr[r]; e < m.indptr[r + 1]; e++) out[base + m.indices[e]] = m.values[e];
        }
      } else if (p.kind === 'embedding') {
        const block = embeddingFromArrayColumn(table, p.name, records, { dim: p.dim, missing: 'zeros' });
        for (const r of records) if (cols[c].get(r) == null) missing[c]++;
        for (let r = 0; r < block.rows; r++) out.set(block.X.subarray(r * p.dim, (r + 1) * p.dim), r * D + p.offset);
      } else if (p.kind === 'numeric') {
        if (numericDone) return;
        const data = cols[c];
        const o = p.offset;
        const { mean, std, scale } = p;
        for (let k = 0; k < records.length; k++) {
          const x = data.number(records[k]);
          if (x !== x) {
            if (data.get(records[k]) != null) throw notANumber(table, recordAt(table, records[k]), at[c], p.name);
            missing[c]++;
            continue; // imputed with the training mean: z = 0
          }
          out[k * D + o] = scale === undefined ? (x - mean) / std : (x / scale - mean) / std;
        }
      } else {
        const data = cols[c];
        const lv = levelOfCode[c] as { index: Map<string, number>; codes?: Int32Array; level?: number[] };
        for (let k = 0; k < records.length; k++) {
          const base = k * D + p.offset;
          if (lv.codes && lv.level) {
            const code = lv.codes[records[k]];
            if (code < 0) {
              missing[c]++;
              if (p.missingLevel >= 0) out[base + p.missingLevel] = 1;
            } else if (lv.level[code] >= 0) out[base + lv.level[code]] = 1;
            continue;
          }
          const cell = data.get(records[k]);
          if (cell == null) {
            missing[c]++;
            if (p.missingLevel >= 0) out[base + p.missingLevel] = 1;
          } else {
            const level = lv.index.get(cell);
            if (level !== undefined) out[base + level] = 1;
          }
        }
      }
    });
    for (let k = 0; k < records.length; k++) out[k * D + D - 1] = 1;
    const lastMissing: Record<string, number> = {};
    plan.forEach((p, c) => {
      if (missing[c] > 0) lastMissing[p.name] = missing[c];
    });
    this.lastMissing = lastMissing;
    return out;
  }
}

/** Rows per block of numericBlocks (a block of a 20-feature X: ~340 KB, within the cache). */
const TRANSFORM_BLOCK_ROWS = 2048;

/**
 * transform's numeric cells a block of rows at a time, every numeric column within the block: X is
 * row-major, so column by column over all rows would stream the whole matrix through the cache once
 * per column. The same values as the column-by-column loop. False (the missing counts of the numeric
 * columns back at 0) at the first cell that is neither a number nor missing: the column-by-column loop
 * then meets the error that it always has, in its order.
 */
function numericBlocks(plan: readonly Plan[], cols: readonly ColumnData[], records: number[], D: number, out: Float64Array, missing: Float64Array): boolean {
  const numeric = plan.flatMap((p, c) => (p.kind === 'numeric' ? [c] : []));
  const n = records.length;
  const values = new Float64Array(TRANSFORM_BLOCK_ROWS);
  for (let k0 = 0; k0 < n; k0 += TRANSFORM_BLOCK_ROWS) {
    const k1 = Math.min(n, k0 + TRANSFORM_BLOCK_ROWS);
    for (const c of numeric) {
      const p = plan[c] as NumericPlan;
      const data = cols[c];
      const o = p.offset;
      const { mean, std, scale } = p;
      data.numbersAt(records, k0, k1, values);
      for (let k = k0; k < k1; k++) {
        const x = values[k - k0];
        if (x !== x) {
          if (data.get(records[k]) != null) {
            for (const m of numeric) missing[m] = 0;
            return false;
          }
          missing[c]++;
          continue;
        }
        out[k * D + o] = scale === undefined ? (x - mean) / std : (x / scale - mean) / std;
      }
    }
  }
  return true;
}

/** Mean and population std of xs[0..n) by pairwise sums (numpy's order); `sq` receives the squared deviations. */
function meanStd(xs: Float64Array, n: number, sq: Float64Array): { mean: number; std: number } {
  const mean = pairwiseSum(xs, 0, n) / n;
  for (let k = 0; k < n; k++) {
    const dx = xs[k] - mean;
    sq[k] = dx * dx;
  }
  return { mean, std: Math.sqrt(pairwiseSum(sq, 0, n) / n) };
}

function notANumber(table: Table, rec: DataRecord, j: number, name: string): DataFileError {
  return cellError(table, rec, j, `column "${name}" is numeric but ${JSON.stringify(rec.cells[j])} is not a number`);
}

/**
 * Sum of a[lo .. lo+n) in numpy's pairwise order (8 interleaved partial sums per block of at most 128,
 * halves split at a multiple of 8), so that means and variances are bit-identical to numpy's
 * mean(axis=0) / std(axis=0) on a column.
 */
export function pairwiseSum(a: Float64Array, lo: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[lo + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[lo];
    let r1 = a[lo + 1];
    let r2 = a[lo + 2];
    let r3 = a[lo + 3];
    let r4 = a[lo + 4];
    let r5 = a[lo + 5];
    let r6 = a[lo + 6];
    let r7 = a[lo + 7];
    const m = n - (n % 8);
    let i = 8;
    for (; i < m; i += 8) {
      const p = lo + i;
      r0 += a[p];
      r1 += a[p + 1];
      r2 += a[p + 2];
      r3 += a[p + 3];
      r4 += a[p + 4];
      r5 += a[p + 5];
      r6 += a[p + 6];
      r7 += a[p + 7];
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[lo + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, lo, n2) + pairwiseSum(a, lo + n2, n - n2);
}
