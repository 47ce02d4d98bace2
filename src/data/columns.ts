/**
 * Columnar storage of a parsed data file (see README.md "Storage"): no object per row. Each column
 * adapts to its values while the file streams in:
 *
 * - dictionary (the start): one Int32 code per row (-1 = missing) into the column's distinct texts,
 *   each parsed once as a number; labels, categoricals and small-integer numeric columns stay here;
 * - decimals: once a column has more than DICT_MAX distinct texts and all of them are decimals of
 *   at most 9 digits (decimalText), one Int32 mantissa per row at the column's most decimal places
 *   (the same doubles as parseNumber); freed by derive() once the features hold the values;
 * - numbers: other numbers past DICT_MAX distinct texts (or decimals that stop fitting), one
 *   float64 per row (NaN = missing); the texts are not kept (a cell reads back as String(value), the
 *   same number);
 * - texts: a column with more than DICT_MAX distinct texts that are not all numbers keeps its texts.
 *
 * A numbers column that later meets a text that is not a number becomes a texts column; its earlier
 * texts are then String(value), not the file's exact text (`inexact`): readers then read the file
 * again with that column kept as texts (ColumnStoreOptions.texts), so nothing is changed silently.
 * The start line of every record is one float64 per row. Growable arrays sit on resizable
 * ArrayBuffers, so growth copies nothing and reserved but unused room costs no memory.
 */
import { parseNumber } from './number';
/** A raw cell: the field's text, or null when the field is missing (empty CSV field, JSON null or absent key). */
export type Cell = string | null;

/** Distinct texts a column keeps as a dictionary before it becomes numbers or texts. */
export const DICT_MAX = 4096;

// Column kinds. (duplicates: same shape as the offset fields of linalg/cholesky.ts, a run of numeric
// declarations; nothing is shared.)
const DICT = 0;
const NUMBERS = 1;
const TEXTS = 2;
/** Numbers that are all decimals `-?d+(.d+)?` of at most 9 digits: an Int32 mantissa m per row, value m / 10^scale. */
const DECIMALS = 3;
/** DECIMALS whose mantissas are read back from the features (see ColumnData.derive): nothing per row here. */
const DERIVED = 4;

/** Dictionaries up to this many texts are searched in place by pushRange (no string per cell). */
const SMALL_DICT = 16;
/** Most decimal places of a DECIMALS column (10^scale stays exact). */
const MAX_SCALE = 9;
/** The missing cell of a DECIMALS column (mantissas stay within +-(2^31 - 1)). */
const NO_MANTISSA = -(2 ** 31);
const POW10 = Array.from({ length: MAX_SCALE + 1 }, (_, k) => 10 ** k);

/** Set by decimalText: the mantissa and the decimal places of the last text it accepted. */
let decMantissa = 0;
let decPlaces = 0;

/**
 * Whether `s` is `-?digits(.digits)?` with at most 9 digits in all: then parseNumber(s) ===
 * decMantissa / 10^decPlaces exactly (both are the double nearest to the same rational: division of
 * two exact doubles and Number() both round correctly), and so is (decMantissa * 10^e) / 10^(decPlaces + e).
 * A negative zero (`-0.000`) gives decMantissa = -0.
 */
function decimalText(s: string): boolean {
  return decimalRange(s, 0, s.length);
}

/**
 * decimalText of s.slice(a, b), read in place (the CSV reader's fields, no string per cell). Such a
 * text is never a missing field (isMissingField: it has a digit and no whitespace).
 */
export function decimalRange(s: string, a: number, b: number): boolean {
  let i = a;
  let neg = false;
  if (b > a && s.charCodeAt(a) === 45) {
    neg = true;
    i = a + 1;
  }
  let m = 0;
  let digits = 0;
  let places = -1;
  for (; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (places >= 0) places++;
    } else if (c === 46 && places < 0) places = 0;
    else return false;
  }
  if (digits === 0 || digits > 9 || places === 0) return false;
  decMantissa = neg ? -m : m;
  decPlaces = places < 0 ? 0 : places;
  return true;
}

/** The mantissa and places set by the last decimalRange that returned true (for tests). */
export function lastDecimal(): { mantissa: number; places: number } {
  return { mantissa: decMantissa, places: decPlaces };
}

/** Largest resizable ArrayBuffer reservation tried (V8 refuses more than 4 GiB on 64-bit Node 20). */
const MAX_RESERVE = 2 ** 32;

/** An append-only typed array on a resizable ArrayBuffer (falls back to copying when it must). */
class Growable<T extends Float64Array | Int32Array> {
  private buf: ArrayBuffer;
  arr: T;
  length = 0;

  constructor(
    private readonly make: (buf: ArrayBuffer, length: number) => T,
    private readonly bytes: number,
    reserveItems: number,
  ) {
    const max = Math.min(MAX_RESERVE, Math.max(1024, reserveItems) * bytes);
    this.buf = newResizable(Math.min(max, 1024 * bytes), max);
    this.arr = make(this.buf, this.buf.byteLength / bytes);
  }

  push(v: number): void {
    if (this.length === this.arr.length) this.grow(this.length + 1);
    this.arr[this.length++] = v;
  }

  /** Makes room for `n` items (the content past `length` is zero). */
  grow(n: number): void {
    if (n <= this.arr.length) return;
    const want = Math.max(n, Math.ceil(this.arr.length * 1.5)) * this.bytes;
    const buf = this.buf as ArrayBuffer & { resizable?: boolean; maxByteLength?: number; resize?(n: number): void };
    if (buf.resizable && buf.resize && (buf.maxByteLength ?? 0) >= n * this.bytes) {
      buf.resize(Math.min(want, buf.maxByteLength as number));
    } else {
      const next = newResizable(want, Math.min(MAX_RESERVE, Math.max(want, want * 2)));
      new Uint8Array(next).set(new Uint8Array(this.buf, 0, this.length * this.bytes));
      this.buf = next;
    }
    this.arr = this.make(this.buf, this.buf.byteLength / this.bytes);
  }

  /** The items pushed so far (a view, not a copy). */
  view(): T {
    return this.arr.subarray(0, this.length) as T;
  }
}

function newResizable(bytes: number, max: number): ArrayBuffer {
  try {
    return new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(bytes, {
      maxByteLength: Math.max(bytes, max),
    });
  } catch {
    return new ArrayBuffer(bytes);
  }
}

const f64 = (b: ArrayBuffer, n: number) => new Float64Array(b, 0, n);
const i32 = (b: ArrayBuffer, n: number) => new Int32Array(b, 0, n);

/** One column's cells (see the module comment for the three storage modes). */
export class ColumnData {
  private mode = DICT;
  private codes: Growable<Int32Array> | null;
  private values: string[] = [];
  private valueNumbers: number[] = [];
  private index: Map<string, number> | null = new Map();
  private nums: Growable<Float64Array> | null = null;
  /** DECIMALS: the mantissas; `scale` decimal places. */
  private mants: Growable<Int32Array> | null = null;
  private scale = 0;
  /** DECIMALS, DERIVED: the rows whose value is -0 (mantissa 0), ascending. */
  private negZero: number[] = [];
  /** DERIVED: the value of row i read back from elsewhere (ColumnData.derive). */
  private derived: ((i: number) => number) | null = null;
  private strs: Cell[] | null = null;
  /** Cells pushed. */
  length = 0;
  /** Missing cells. */
  missing = 0;
  /** Every non-missing cell is a number (parseNumber). */
  numeric = true;
  /** Longest non-missing text (in UTF-16 units; numbers columns stop counting). */
  maxLength = 0;
  /** Texts of some rows are String(number) rather than the file's text (see the module comment). */
  inexact = false;

  constructor(
    private readonly reserveRows: number,
    /** Keep texts from the start (no numbers mode). */
    private readonly keepTexts = false,
  ) {
    this.codes = new Growable(i32, 4, reserveRows);
  }

  push(v: Cell): void {
    this.length++;
    if (v === null) {
      this.missing++;
      if (this.mode === DICT) (this.codes as Growable<Int32Array>).push(-1);
      else if (this.mode === DECIMALS) (this.mants as Growable<Int32Array>).push(NO_MANTISSA);
      else if (this.mode === NUMBERS) (this.nums as Growable<Float64Array>).push(NaN);
      else (this.strs as Cell[]).push(null);
      return;
    }
    if (this.mode === DECIMALS) {
      if (decimalText(v) && decPlaces <= this.scale) {
        const m = decMantissa * POW10[this.scale - decPlaces];
        if (Math.abs(m) < 2 ** 31) {
          if (Object.is(m, -0)) this.negZero.push(this.length - 1);
          (this.mants as Growable<Int32Array>).push(m);
          return;
        }
      }
      this.toNumbers();
    }
    if (this.mode === NUMBERS) {
      const x = parseNumber(v);
      if (x === x) {
        (this.nums as Growable<Float64Array>).push(x);
        return;
      }
      this.toTexts();
      this.inexact = true;
    }
    if (this.mode === DICT) {
      const index = this.index as Map<string, number>;
      let code = index.get(v);
      if (code === undefined) {
        code = this.values.length;
        index.set(v, code);
        this.values.push(v);
        const x = parseNumber(v);
        this.valueNumbers.push(x);
        if (x !== x) this.numeric = false;
        if (v.length > this.maxLength) this.maxLength = v.length;
        if (code >= DICT_MAX) {
          (this.codes as Growable<Int32Array>).push(code);
          this.leaveDictionary();
          return;
        }
      }
      (this.codes as Growable<Int32Array>).push(code);
      return;
    }
    // TEXTS
    if (this.numeric) {
      const x = parseNumber(v);
      if (x !== x) this.numeric = false;
    }
    if (v.length > this.maxLength) this.maxLength = v.length;
    (this.strs as Cell[]).push(v);
  }

  /**
   * push() of the field s.slice(a, b) (missing when isMissingField), reading a DECIMALS column's
   * decimal in place: the CSV reader's rows, without a string per number. Exactly push()'s cell.
   */
  pushRange(s: string, a: number, b: number, isMissing: (v: string) => boolean): void {
    if (this.mode === DECIMALS && decimalRange(s, a, b) && decPlaces <= this.scale) {
      const m = decMantissa * POW10[this.scale - decPlaces];
      if (Math.abs(m) < 2 ** 31) {
        this.length++;
        if (Object.is(m, -0)) this.negZero.push(this.length - 1);
        (this.mants as Growable<Int32Array>).push(m);
        return;
      }
    }
    if (this.mode === DICT && this.values.length <= SMALL_DICT) {
      // A label or category already seen: its code without a string (a dictionary's texts are never missing).
      const vs = this.values;
      const len = b - a;
      for (let c = 0; c < vs.length; c++) {
        const t = vs[c];
        if (t.length !== len) continue;
        let i = 0;
        while (i < len && t.charCodeAt(i) === s.charCodeAt(a + i)) i++;
        if (i === len) {
          this.length++;
          (this.codes as Growable<Int32Array>).push(c);
          return;
        }
      }
    }
    const v = s.slice(a, b);
    this.push(isMissing(v) ? null : v);
  }

  /** Pads with missing cells up to `n` rows (JSON Lines columns that appear late). */
  padTo(n: number): void {
    while (this.length < n) this.push(null);
  }

  private leaveDictionary(): void {
    const codes = (this.codes as Growable<Int32Array>).view();
    if (this.numeric && !this.keepTexts && this.toDecimals(codes)) {
      // DECIMALS (set up by toDecimals)
    } else if (this.numeric && !this.keepTexts) {
      const nums = new Growable(f64, 8, this.reserveRows);
      nums.grow(codes.length);
      const vn = this.valueNumbers;
      for (let r = 0; r < codes.length; r++) nums.arr[r] = codes[r] < 0 ? NaN : vn[codes[r]];
      nums.length = codes.length;
      this.nums = nums;
      this.mode = NUMBERS;
    } else {
      const strs: Cell[] = new Array(codes.length);
      for (let r = 0; r < codes.length; r++) strs[r] = codes[r] < 0 ? null : this.values[codes[r]];
      this.strs = strs;
      this.mode = TEXTS;
    }
    this.codes = null;
    this.index = null;
    this.values = [];
    this.valueNumbers = [];
  }

  /**
   * DECIMALS from the dictionary when every text is a decimal (decimalText) and every mantissa at
   * the largest number of places fits; false (nothing changed) otherwise.
   */
  private toDecimals(codes: Int32Array): boolean {
    const vs = this.values;
    const mant = new Float64Array(vs.length);
    const places = new Int32Array(vs.length);
    let scale = 0;
    for (let c = 0; c < vs.length; c++) {
      if (!decimalText(vs[c])) return false;
      mant[c] = decMantissa;
      places[c] = decPlaces;
      if (decPlaces > scale) scale = decPlaces;
    }
    for (let c = 0; c < vs.length; c++) {
      mant[c] *= POW10[scale - places[c]];
      if (!(Math.abs(mant[c]) < 2 ** 31)) return false;
    }
    const mants = new Growable(i32, 4, this.reserveRows);
    mants.grow(codes.length);
    for (let r = 0; r < codes.length; r++) {
      mants.arr[r] = codes[r] < 0 ? NO_MANTISSA : mant[codes[r]];
      if (codes[r] >= 0 && Object.is(mant[codes[r]], -0)) this.negZero.push(r);
    }
    mants.length = codes.length;
    this.mants = mants;
    this.scale = scale;
    this.mode = DECIMALS;
    return true;
  }

  /** DECIMALS -> NUMBERS (a text that is not a decimal of this column's places): the same values as float64. */
  private toNumbers(): void {
    const mants = (this.mants as Growable<Int32Array>).view();
    const nums = new Growable(f64, 8, this.reserveRows);
    nums.grow(mants.length);
    const p = POW10[this.scale];
    for (let r = 0; r < mants.length; r++) nums.arr[r] = mants[r] === NO_MANTISSA ? NaN : mants[r] / p;
    for (const r of this.negZero) nums.arr[r] = -0;
    this.negZero = [];
    nums.length = mants.length;
    this.nums = nums;
    this.mants = null;
    this.mode = NUMBERS;
  }

  /**
   * Frees a DECIMALS column's mantissas when `value(i)` (e.g. a standardised feature mapped back,
   * z * std + mean) gives every row's value to within far less than half a unit of the last decimal
   * place: the mantissa is then Math.round(value(i) * 10^scale), checked here for every row (by
   * derivable; with `checked`, the caller did that). Only for a column without missing cells. Returns
   * whether the column now reads through `value`.
   */
  derive(value: (i: number) => number, checked = false): boolean {
    if (!(checked ? this.derivable(value, 0, 0) : this.derivable(value, 0, this.length))) return false;
    this.derived = value;
    this.mants = null;
    this.mode = DERIVED;
    return true;
  }

  /**
   * Whether rows [from, to) allow derive(value): a DECIMALS column without missing cells whose
   * mantissa of every such row is Math.round(value(i) * 10^scale). derive(value, true) trusts that the
   * caller checked every row so.
   */
  derivable(value: (i: number) => number, from: number, to: number): boolean {
    if (this.mode !== DECIMALS || this.missing > 0) return false;
    const mants = (this.mants as Growable<Int32Array>).arr;
    const p = POW10[this.scale];
    const end = Math.min(to, this.length);
    for (let r = from; r < end; r++) if (Math.round(value(r) * p) !== mants[r]) return false;
    return true;
  }

  /** The mantissa of row i (NO_MANTISSA when missing; -0 for a negative zero). */
  private mantissa(i: number): number {
    const m = this.mode === DECIMALS ? (this.mants as Growable<Int32Array>).arr[i] : Math.round((this.derived as (i: number) => number)(i) * POW10[this.scale]);
    return m === 0 && this.negZero.length > 0 && this.isNegZero(i) ? -0 : m;
  }

  private isNegZero(i: number): boolean {
    const z = this.negZero;
    let lo = 0;
    let hi = z.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (z[mid] === i) return true;
      if (z[mid] < i) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  private toTexts(): void {
    const nums = (this.nums as Growable<Float64Array>).view();
    const strs: Cell[] = new Array(nums.length);
    for (let r = 0; r < nums.length; r++) strs[r] = nums[r] === nums[r] ? String(nums[r]) : null;
    this.strs = strs;
    this.nums = null;
    this.mode = TEXTS;
  }

  /** The cell of row `i`: its text, or null when missing. */
  get(i: number): Cell {
    if (this.mode === DICT) {
      const c = (this.codes as Growable<Int32Array>).arr[i];
      return c < 0 ? null : this.values[c];
    }
    if (this.mode === NUMBERS) {
      const x = (this.nums as Growable<Float64Array>).arr[i];
      return x === x ? String(x) : null;
    }
    if (this.mode === DECIMALS || this.mode === DERIVED) {
      const m = this.mantissa(i);
      return m === NO_MANTISSA ? null : String(m / POW10[this.scale]);
    }
    return (this.strs as Cell[])[i] ?? null;
  }

  /** The cell of row `i` as a number (parseNumber); NaN when missing or not a number. */
  number(i: number): number {
    if (this.mode === DICT) {
      const c = (this.codes as Growable<Int32Array>).arr[i];
      return c < 0 ? NaN : this.valueNumbers[c];
    }
    if (this.mode === NUMBERS) return (this.nums as Growable<Float64Array>).arr[i];
    if (this.mode === DECIMALS || this.mode === DERIVED) {
      const m = this.mantissa(i);
      return m === NO_MANTISSA ? NaN : m / POW10[this.scale];
    }
    const s = (this.strs as Cell[])[i];
    return s == null ? NaN : parseNumber(s);
  }

  /**
   * number(rows[k]) for k in [k0, k1) into out[k - k0]: the same doubles, a DECIMALS column without
   * a negative zero read straight from its mantissas (the features' transform, a block of rows at a time).
   */
  numbersAt(rows: readonly number[], k0: number, k1: number, out: Float64Array): void {
    if (this.mode === DECIMALS && this.negZero.length === 0) {
      const mants = (this.mants as Growable<Int32Array>).arr;
      const p = POW10[this.scale];
      for (let k = k0; k < k1; k++) {
        const m = mants[rows[k]];
        out[k - k0] = m === NO_MANTISSA ? NaN : m / p;
      }
      return;
    }
    for (let k = k0; k < k1; k++) out[k - k0] = this.number(rows[k]);
  }

  /**
   * The first row (below `rows`) whose cell differs from `other`'s, as get() reads them (texts, numbers
   * as String(value), so 1.50 and 1.5 are the same cell), or -1 when none does. Compares the stored
   * codes, numbers or mantissas where both columns are stored alike (no text made per cell: the warm
   * re-score's check that only labels changed, src/engine/rescore.ts), and the texts otherwise.
   */
  firstDifference(other: ColumnData, rows: number): number {
    if (this.mode === DICT && other.mode === DICT) {
      const a = (this.codes as Growable<Int32Array>).arr;
      const b = (other.codes as Growable<Int32Array>).arr;
      // other's code -> this column's code of the same text (-2: a text this column does not have).
      const index = this.index as Map<string, number>;
      const map = Int32Array.from(other.values, (v) => index.get(v) ?? -2);
      for (let i = 0; i < rows; i++) {
        const c = b[i];
        if (a[i] !== (c < 0 ? -1 : map[c])) return i;
      }
      return -1;
    }
    if (this.mode === NUMBERS && other.mode === NUMBERS) {
      // String(x) === String(y) exactly when x === y (-0 and 0 both read "0") or both are missing (NaN).
      const a = (this.nums as Growable<Float64Array>).arr;
      const b = (other.nums as Growable<Float64Array>).arr;
      for (let i = 0; i < rows; i++) {
        const x = a[i];
        const y = b[i];
        if (x !== y && (x === x || y === y)) return i;
      }
      return -1;
    }
    if ((this.mode === DECIMALS || this.mode === DERIVED) && (other.mode === DECIMALS || other.mode === DERIVED) && this.scale === other.scale) {
      // At one scale the texts String(m / 10^scale) are equal exactly when the mantissas are (a
      // negative zero reads "0" like 0, and -0 === 0); NO_MANTISSA is the missing cell in both.
      if (this.mode === DECIMALS && other.mode === DECIMALS) {
        const a = (this.mants as Growable<Int32Array>).arr;
        const b = (other.mants as Growable<Int32Array>).arr;
        for (let i = 0; i < rows; i++) if (a[i] !== b[i]) return i;
        return -1;
      }
      for (let i = 0; i < rows; i++) if (this.mantissa(i) !== other.mantissa(i)) return i;
      return -1;
    }
    for (let i = 0; i < rows; i++) if (this.get(i) !== other.get(i)) return i;
    return -1;
  }

  /** Distinct non-missing texts, or Infinity when the column has more than DICT_MAX of them. */
  get distinct(): number {
    return this.mode === DICT ? this.values.length : Infinity;
  }

  /** The dictionary's texts (in order of first appearance) and each row's code (-1 = missing), or null past DICT_MAX. */
  dictionary(): { values: readonly string[]; codes: Int32Array } | null {
    return this.mode === DICT ? { values: this.values, codes: (this.codes as Growable<Int32Array>).view() } : null;
  }

  /** Bytes held (typed arrays and string pointers; the strings' own bytes not counted). */
  get bytes(): number {
    if (this.mode === DICT) return this.length * 4;
    if (this.mode === NUMBERS) return this.length * 8;
    if (this.mode === DECIMALS) return this.length * 4;
    if (this.mode === DERIVED) return 0;
    return this.length * 8;
  }
}

export interface ColumnStoreOptions {
  /** Rows to reserve room for (an upper bound, e.g. from the file size); reserving costs no memory. */
  reserveRows?: number;
  /** Columns (by index) that keep their texts (a second read after a numbers column met a text). */
  texts?: ReadonlySet<number>;
}

/** The cells of a table, column by column, and the start line of every record. */
export class ColumnStore {
  readonly columns: ColumnData[] = [];
  private readonly lineArr: Growable<Float64Array>;
  rows = 0;
  private readonly reserve: number;

  constructor(columns: number, private readonly opts: ColumnStoreOptions = {}) {
    this.reserve = opts.reserveRows ?? 1024;
    this.lineArr = new Growable(f64, 8, this.reserve);
    for (let j = 0; j < columns; j++) this.addColumn();
  }

  /** A new column, missing in the rows so far (JSON Lines keys that appear late). */
  addColumn(): ColumnData {
    const c = new ColumnData(this.reserve, this.opts.texts?.has(this.columns.length) ?? false);
    c.padTo(this.rows);
    this.columns.push(c);
    return c;
  }

  /**
   * Replaces the non-missing cells of column j by f(cell) (null makes a cell missing), e.g. label
   * trimming. The column is rebuilt, in the same storage rules, only when some cell changes;
   * `version` then counts up so that row objects made earlier (Table.records) are made again.
   */
  mapColumn(j: number, f: (v: string) => Cell): void {
    const col = this.columns[j];
    const dict = col.dictionary();
    let changes = false;
    if (dict) changes = dict.values.some((v) => f(v) !== v);
    else {
      for (let i = 0; i < col.length && !changes; i++) {
        const v = col.get(i);
        if (v !== null && f(v) !== v) changes = true;
      }
    }
    if (!changes) return;
    const next = new ColumnData(this.reserve, this.opts.texts?.has(j) ?? false);
    if (dict) {
      const mapped = dict.values.map(f);
      for (let i = 0; i < dict.codes.length; i++) next.push(dict.codes[i] < 0 ? null : mapped[dict.codes[i]]);
    } else {
      for (let i = 0; i < col.length; i++) {
        const v = col.get(i);
        next.push(v === null ? null : f(v));
      }
    }
    this.columns[j] = next;
    this.version++;
  }

  /** Counts the changes made by mapColumn. */
  version = 0;

  /**
   * A store sharing this one's record lines and columns except column j, made anew by fill (one push
   * per row, given the old column): a re-score's table when only label cells changed
   * (src/engine/labelReread.ts). This store is not changed.
   */
  withColumn(j: number, fill: (old: ColumnData, push: (v: Cell) => void) => void): ColumnStore {
    const next = new ColumnData(this.reserve, this.opts.texts?.has(j) ?? false);
    fill(this.columns[j], (v) => next.push(v));
    if (next.length !== this.rows) throw new Error(`withColumn: ${next.length} cells for ${this.rows} rows`);
    const s = Object.assign(Object.create(ColumnStore.prototype) as ColumnStore, this, { columns: [...this.columns], version: 0 });
    s.columns[j] = next;
    return s;
  }

  /** Appends one record: its start line and one cell per column (missing for columns past cells.length). */
  addRow(cells: readonly Cell[], line: number): void {
    const cols = this.columns;
    for (let j = 0; j < cols.length; j++) cols[j].push(j < cells.length ? cells[j] : null);
    this.lineArr.push(line);
    this.rows++;
  }

  /**
   * addRow of a CSV record given as ranges: field j is chunk.slice(starts[j], ends[j]) when
   * starts[j] >= 0, else fields[j] (missing per isMissing in both cases); one field per column.
   */
  addRowRanges(fields: readonly string[], starts: readonly number[], ends: readonly number[], chunk: string, line: number, isMissing: (v: string) => boolean): void {
    const cols = this.columns;
    for (let j = 0; j < cols.length; j++) {
      const a = starts[j];
      if (a >= 0) cols[j].pushRange(chunk, a, ends[j], isMissing);
      else {
        const v = fields[j];
        cols[j].push(isMissing(v) ? null : v);
      }
    }
    this.lineArr.push(line);
    this.rows++;
  }

  /** 1-based start line of row i. */
  line(i: number): number {
    return this.lineArr.arr[i];
  }

  /** Start lines of all rows (a view). */
  get lines(): Float64Array {
    return this.lineArr.view();
  }

  cell(i: number, j: number): Cell {
    return this.columns[j].get(i);
  }

  /** Columns whose texts are not all exact (the reader reads the file again, keeping them as texts). */
  get inexactColumns(): number[] {
    const out: number[] = [];
    this.columns.forEach((c, j) => c.inexact && out.push(j));
    return out;
  }

  /** Bytes held by the store (see ColumnData.bytes) plus the lines. */
  get bytes(): number {
    return this.columns.reduce((s, c) => s + c.bytes, 0) + this.rows * 8;
  }
}
