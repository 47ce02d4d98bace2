/**
 * A re-score's read of a CSV/TSV file whose only changes since the last scan are label cells
 * (Re-score After Fixes): instead of parsing the whole file again, the new bytes are compared with the
 * last scan's bytes (native Buffer comparison), and only the records where they differ are split into
 * fields. When every difference lies inside a record's label cell (same number of fields, every other
 * field byte for byte the same, no line break in the label), the table is the last scan's with a new
 * label column: the other columns' stored cells (and the encoded features, src/engine/session.ts) are
 * reused. Anything else (a header, a feature cell, a line ending, a blank line, quoting of another
 * field changed, rows added or removed) returns a sentence and the re-score parses the file in full,
 * where warmMismatch (rescore.ts) names what changed.
 *
 * The label cell's value is the reader's (src/data/csv.ts): RFC 4180 unquoting ("" -> "), or the raw
 * text without quoting; a missing-value token or an empty field is missing (isMissingField).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isMissingField } from '../data/csv';
import type { Cell } from '../data/columns';
import { tableOf } from '../data/tableStore';
import type { Table } from '../data/types';

/** Files up to this size keep their bytes after a scan for the next re-score (the file's size in memory). */
export const KEEP_SOURCE_MAX_BYTES = 64 * 1024 * 1024;

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** The bytes of the last scanned file, and (made at the first re-score) where its records are. */
export interface SourceBytes {
  bytes: Buffer;
  delimiter: number;
  quoting: boolean;
  /** Byte offsets of every record (the header first): [starts[r], ends[r]) without the line break. */
  starts?: Float64Array;
  ends?: Float64Array;
}

/**
 * Where the records of `b` are: runs of bytes between line breaks outside quoted fields; blank lines
 * are not records. Line breaks and quotes are found by Buffer.indexOf (native); a record with a quote
 * is walked byte by byte.
 */
export function recordSpans(b: Buffer, quoting: boolean): { starts: Float64Array; ends: Float64Array } {
  const starts: number[] = [];
  const ends: number[] = [];
  const n = b.length;
  const next = (c: number, from: number) => {
    const p = b.indexOf(c, from);
    return p < 0 ? n : p;
  };
  let lf = next(LF, 0);
  let cr = next(CR, 0);
  let q = quoting ? next(QUOTE, 0) : n;
  let i = 0;
  while (i < n) {
    if (lf < i) lf = next(LF, i);
    if (cr < i) cr = next(CR, i);
    const end = lf < cr ? lf : cr;
    if (end === i) {
      i++;
      continue;
    }
    if (q < i) q = next(QUOTE, i);
    starts.push(i);
    i = q < end ? recordEnd(b, i, quoting) : end;
    ends.push(i);
  }
  return { starts: Float64Array.from(starts), ends: Float64Array.from(ends) };
}

/** The end of the record starting at `s` (its line break or the end of the buffer); quotes toggle (valid RFC 4180 files). */
function recordEnd(b: Buffer, s: number, quoting: boolean): number {
  const n = b.length;
  let inQuote = false;
  let i = s;
  while (i < n) {
    const c = b[i];
    if (c === QUOTE && quoting) inQuote = !inQuote;
    else if (!inQuote && (c === LF || c === CR)) break;
    i++;
  }
  return i;
}

/**
 * The end of the field starting at i (its delimiter, or e), or -1 when the reader would not read it
 * so (an unterminated quoted field, text after a closing quote, a quote inside an unquoted field).
 */
function fieldEnd(b: Buffer, i: number, e: number, delim: number, quoting: boolean): number {
  if (quoting && i < e && b[i] === QUOTE) {
    i++;
    for (;;) {
      if (i >= e) return -1;
      if (b[i] === QUOTE) {
        if (i + 1 < e && b[i + 1] === QUOTE) {
          i += 2;
          continue;
        }
        i++;
        break;
      }
      i++;
    }
    return i < e && b[i] !== delim ? -1 : i;
  }
  while (i < e && b[i] !== delim) {
    if (quoting && b[i] === QUOTE) return -1;
    i++;
  }
  return i;
}

/** The span [start, end) of field f of the record [s, e), or undefined when the record has fewer fields or does not read. */
function fieldSpan(b: Buffer, s: number, e: number, f: number, delim: number, quoting: boolean): [number, number] | undefined {
  let i = s;
  for (let k = 0; ; k++) {
    const end = fieldEnd(b, i, e, delim, quoting);
    if (end < 0) return undefined;
    if (k === f) return [i, end];
    if (end >= e) return undefined;
    i = end + 1;
  }
}

/** A field's cell as the reader makes it: unquoted ("" -> "), missing tokens and empty fields null. */
function cellOf(b: Buffer, s: number, e: number, quoting: boolean): Cell {
  const v = quoting && e > s && b[s] === QUOTE ? b.toString('utf8', s + 1, e - 1).replace(/""/g, '"') : b.toString('utf8', s, e);
  return isMissingField(v) ? null : v;
}

/** Offset (from i in a, k in b) of their first differing byte; -1 when the rest of both is the same. */
function firstDifference(a: Buffer, i: number, b: Buffer, k: number): number {
  const n = Math.min(a.length - i, b.length - k);
  const CHUNK = 256;
  for (let off = 0; off < n; off += CHUNK) {
    const len = Math.min(CHUNK, n - off);
    if (a.compare(b, k + off, k + off + len, i + off, i + off + len) === 0) continue;
    for (let j = 0; j < len; j++) if (a[i + off + j] !== b[k + off + j]) return off + j;
  }
  return a.length - i === b.length - k ? -1 : n;
}

/** The label cells that changed (data row -> new cell) and the new file's record spans, or why the file changed otherwise. */
export interface LabelDiff {
  rows: number[];
  cells: Cell[];
  starts: Float64Array;
  ends: Float64Array;
}

/**
 * Compares `next` (the file's new bytes) with the last scan's: every difference must be inside the
 * label cell (field `label`) of a data record. Data row r is record r + 1 (the header is
 * record 0); `rows` is the number of data rows of the last scan.
 */
export function diffLabelCells(prev: SourceBytes, next: Buffer, label: number, rows: number): LabelDiff | string {
  const old = prev.bytes;
  if (!prev.starts || !prev.ends) Object.assign(prev, recordSpans(old, prev.quoting));
  const starts = prev.starts as Float64Array;
  const ends = prev.ends as Float64Array;
  const R = starts.length;
  if (R !== rows + 1) return `the last scan's file has ${R} records for ${rows} rows (blank or odd records)`;
  const newStarts = new Float64Array(R);
  const newEnds = new Float64Array(R);
  const changedRows: number[] = [];
  const cells: Cell[] = [];
  let i = 0; // position in old
  let k = 0; // position in next
  let r = 0; // next record of old not yet placed in next
  const { delimiter, quoting } = prev;
  for (;;) {
    const m = firstDifference(old, i, next, k);
    if (m < 0) break;
    const a = i + m;
    const delta = k - i;
    while (r < R && ends[r] < a) {
      newStarts[r] = starts[r] + delta;
      newEnds[r] = ends[r] + delta;
      r++;
    }
    if (r >= R || starts[r] > a) return `a byte outside the records changed (offset ${a})`;
    if (r === 0) return 'the header changed';
    const s = starts[r];
    const e = ends[r];
    const ns = s + delta;
    const ne = recordEnd(next, ns, quoting);
    // The label field of both records; the bytes before it and after it must be the same (then so
    // are the other fields and their number: the last scan's record read with `columns` fields).
    const lo = fieldSpan(old, s, e, label, delimiter, quoting);
    if (!lo) return `row ${r - 1}: the last scan's record has no field ${label + 1}`;
    const nls = ns + (lo[0] - s);
    if (nls > ne || old.compare(next, ns, nls, s, lo[0]) !== 0) return `row ${r - 1}: a field before the label changed`;
    const nle = fieldEnd(next, nls, ne, delimiter, quoting);
    if (nle < 0) return `row ${r - 1}: the label cell does not read as one field`;
    if (old.compare(next, nle, ne, lo[1], e) !== 0) return `row ${r - 1}: a field after the label changed`;
    for (let p = nls; p < nle; p++) if (next[p] === LF || next[p] === CR) return `row ${r - 1}: a line break in the label`;
    const fo = lo;
    const fn = [nls, nle];
    const before = cellOf(old, fo[0], fo[1], quoting);
    const after = cellOf(next, fn[0], fn[1], quoting);
    if (before !== after) {
      changedRows.push(r - 1);
      cells.push(after);
    }
    newStarts[r] = ns;
    newEnds[r] = ne;
    r++;
    i = e;
    k = ne;
  }
  const delta = k - i;
  for (; r < R; r++) {
    newStarts[r] = starts[r] + delta;
    newEnds[r] = ends[r] + delta;
  }
  return { rows: changedRows, cells, starts: newStarts, ends: newEnds };
}

/**
 * The last scan's table with its label column's cells changed in `diff.rows` (a new column store
 * sharing every other column and the record lines: those columns' cells are byte for byte the file's).
 * The label column holds the last scan's trimmed labels; the schema trims the new cells as before.
 */
export function withLabelCells(prev: Table, label: number, diff: Pick<LabelDiff, 'rows' | 'cells'>): Table {
  const store = prev.store.withColumn(label, (col, push) => {
    let c = 0;
    for (let i = 0; i < prev.store.rows; i++) {
      if (c < diff.rows.length && diff.rows[c] === i) push(diff.cells[c++]);
      else push(col.get(i));
    }
  });
  const t = tableOf(prev.file, prev.format, prev.columns, store, prev.headerLine);
  if (prev.read) t.read = { ...prev.read };
  return t;
}

/**
 * The bytes and SHA-256 of a regular file of at most KEEP_SOURCE_MAX_BYTES; else undefined (the caller
 * hashes by streaming, hashFile, which also words the errors).
 */
async function smallFile(file: string): Promise<{ bytes: Buffer; hash: string } | undefined> {
  try {
    const st = await stat(file);
    if (!st.isFile() || st.size > KEEP_SOURCE_MAX_BYTES) return undefined;
    const bytes = await readFile(file);
    return { bytes, hash: createHash('sha256').update(bytes).digest('hex') };
  } catch {
    return undefined;
  }
}

/**
 * A scan's read of its training file: the table, its SHA-256 and (UTF-8 CSV/TSV up to
 * KEEP_SOURCE_MAX_BYTES) the bytes kept for the next re-score. With `prev` (a re-score with the same
 * parameters) and only label cells changed, the table is prev's with new label cells (`labelCells`:
 * how many were read again); else the file is parsed (`why`: what the byte comparison found).
 */
export async function readScanFile(
  file: string,
  parse: () => Promise<Table>,
  hash: () => Promise<string>,
  prev?: { table: Table; source?: SourceBytes; label: number },
): Promise<{ table: Table; hash: string; source?: SourceBytes; labelCells?: number; why?: string }> {
  if (prev?.source) {
    const now = await smallFile(file);
    if (now) {
      const d = diffLabelCells(prev.source, now.bytes, prev.label, prev.table.store.rows);
      if (typeof d !== 'string') {
        const table = withLabelCells(prev.table, prev.label, d);
        const { delimiter, quoting } = prev.source;
        return { table, hash: now.hash, source: { bytes: now.bytes, delimiter, quoting, starts: d.starts, ends: d.ends }, labelCells: d.rows.length };
      }
      const table = await parse();
      const kept = keepable(table);
      return { table, hash: now.hash, source: kept && { bytes: now.bytes, ...kept }, why: d };
    }
  }
  const [table, small] = await Promise.all([parse(), smallFile(file)]);
  const kept = small && keepable(table);
  return { table, hash: small ? small.hash : await hash(), source: kept && { bytes: small.bytes, ...kept } };
}

function keepable(table: Table): Pick<SourceBytes, 'delimiter' | 'quoting'> | undefined {
  if ((table.format !== 'csv' && table.format !== 'tsv') || table.read?.encoding !== 'utf-8') return undefined;
  return { delimiter: table.format === 'tsv' ? 9 : 44, quoting: table.read.quoting !== 'none' };
}
