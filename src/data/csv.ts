/**
 * RFC 4180 CSV / TSV reader that streams a file through a character state machine.
 *
 * Grammar (TSV is the same with a tab delimiter):
 * - records end at CRLF, LF or a lone CR (the same line breaks VS Code counts);
 * - a field that starts with `"` is quoted: it may contain delimiters, line breaks and `""` (one quote),
 *   and must be followed by a delimiter, a line break or the end of the file;
 * - a `"` inside an unquoted field is an error (RFC 4180 has no such field), so is text after the
 *   closing quote; with `quoting = false` (the 'none' dialect) `"` is an ordinary character;
 * - the first record is the header; empty lines, and lines holding only spaces/tabs, are not records;
 * - every record must have exactly as many fields as the header.
 *
 * Positions are 1-based lines and 1-based columns counted in UTF-16 code units, which is how VS Code
 * counts characters; a UTF-8 byte order mark is not part of line 1.
 *
 * The state machine is push-based (`push(chunk)`, `end()`), so it works across arbitrary chunk
 * boundaries: a `""` pair, a CRLF or a multi-byte character may be split between two chunks.
 * Field text is sliced from the chunk; only fields that span a chunk boundary or contain `""` are
 * concatenated from pieces.
 */
import { statSync } from 'node:fs';
import type { Checkpoint } from '../util/cancel';
import { DataFileError } from '../util/errors';
import { readWholeText, streamText } from './textStream';
import { ColumnStore } from './columns';
import { tableOf } from './tableStore';
import type { DataFormat, Quoting, ReadInfo, Table } from './types';

// (duplicates: a list of constants, alike only in shape to other lists of declarations.)
const QUOTE = 34;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_SEEN = 3; // a quote inside a quoted field: closes it, or starts a "" pair

/**
 * Called once per record (the header included) with the field texts and where each field starts (a
 * quoted field at its opening quote). The three arrays are reused after the callback returns: copy
 * what you keep.
 */
export type RecordHandler = (fields: string[], line: number, fieldLines: number[], fieldCols: number[]) => void;

/**
 * Called once per record instead of the RecordHandler while DelimitedTokenizer.onRanges is set:
 * field k is chunk.slice(starts[k], ends[k]) when starts[k] >= 0 (an unquoted field that lies in the
 * current chunk, not sliced), else fields[k]. The arrays are reused after the callback returns.
 */
export type RangeHandler = (fields: string[], starts: number[], ends: number[], chunk: string, line: number) => void;

/** Longest record, in characters (a larger one is an error, not an out-of-memory crash). */
export const MAX_RECORD_CHARS = 64 * 1024 * 1024;
/** Most fields of one record (the header's). */
export const MAX_FIELDS = 100_000;

/** Hint appended to quote errors: the options that change the dialect. */
const QUOTE_HINT = 'or read the file without quoting: --quote none (setting datasetDebugger.quoting)';

export class DelimitedTokenizer {
  /** Number of fields every record must have; negative until the caller sets it (after the header). */
  expected = -1;
  /** Whether to collect where each field starts (the header and error lookups need it; rows do not). */
  positions = true;
  /** RFC 4180 quoted fields (true) or quotes as ordinary characters (false). */
  quoting = true;
  /** Whether a `"` has been seen at the start of a field or inside one. */
  sawQuote = false;
  /** Longest record in characters. */
  maxRecordChars = MAX_RECORD_CHARS;
  /**
   * When set, records go here as ranges of the current chunk (RangeHandler) instead of to the
   * RecordHandler: no string per unquoted field (the CSV reader's rows after the header).
   */
  onRanges: RangeHandler | null = null;

  private state = FIELD_START;
  private line = 1;
  /** Absolute offset (in decoded characters) of the first character of the current line. */
  private lineStart = 0;
  /** Absolute offset of the first character of the next chunk. */
  private base = 0;
  /** Absolute offset of the last CR that ended a line (so the LF of a CRLF is not a second line). */
  private crAt = -2;
  /** Text of the current field collected from earlier chunks / segments. */
  private acc = '';
  private readonly fields: string[] = [];
  private readonly fieldLines: number[] = [];
  private readonly fieldCols: number[] = [];
  /** With onRanges: where field k lies in `chunk` (starts[k] = -1: fields[k] holds its text). */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private chunk = '';
  private recLine = 0;
  private firstQuoted = false;
  private quoteLine = 0;
  private quoteCol = 0;
  /** Absolute offset and column of the current record's first character. */
  private recStart = 0;
  private recCol = 1;

  constructor(
    private readonly file: string,
    private readonly delim: number,
    private readonly onRecord: RecordHandler,
  ) {}

  push(s: string): void {
    const n = s.length;
    const d = this.delim;
    const ranges = this.onRanges !== null;
    this.chunk = s;
    let state = this.state;
    let seg = 0; // start in `s` of the not yet collected part of the current field
    let i = 0;
    while (i < n) {
      let c = s.charCodeAt(i);
      if (state === FIELD_START) {
        if (c === LF || c === CR) {
          if (this.fields.length > 0) {
            // A delimiter right before the line break: an empty last field.
            this.startField(this.base + i);
            this.pushField('');
            this.endRecord(this.base + i);
          }
          this.newline(c, this.base + i);
          i++;
          continue;
        }
        if (this.fields.length === 0) {
          this.recLine = this.line;
          this.recStart = this.base + i;
          this.recCol = this.base + i - this.lineStart + 1;
        }
        this.startField(this.base + i);
        if (c === QUOTE && this.quoting) {
          this.sawQuote = true;
          if (this.fields.length === 0) this.firstQuoted = true;
          this.quoteLine = this.line;
          this.quoteCol = this.base + i - this.lineStart + 1;
          state = QUOTED;
          seg = ++i;
          continue;
        }
        state = UNQUOTED;
        seg = i;
      }
      if (state === UNQUOTED) {
        const q = this.quoting ? QUOTE : -1;
        while (i < n) {
          c = s.charCodeAt(i);
          if (c === d || c === LF || c === CR || c === q) break;
          i++;
        }
        if (i === n) break;
        if (c === QUOTE) {
          this.sawQuote = true;
          throw this.error(
            this.line,
            this.base + i - this.lineStart + 1,
            `a quote inside an unquoted field: RFC 4180 needs the whole field quoted and the quote doubled ("4""5"), ${QUOTE_HINT}`,
          );
        }
        if (ranges && this.acc === '') {
          this.fields.push('');
          this.starts.push(seg);
          this.ends.push(i);
        } else {
          this.pushField(this.acc === '' ? s.slice(seg, i) : this.acc + s.slice(seg, i));
          this.acc = '';
        }
        state = FIELD_START;
        if (c !== d) {
          this.endRecord(this.base + i);
          this.newline(c, this.base + i);
        }
        i++;
        continue;
      }
      if (state === QUOTED) {
        while (i < n) {
          c = s.charCodeAt(i);
          if (c === QUOTE) break;
          if (c === LF || c === CR) this.newline(c, this.base + i);
          i++;
        }
        if (i === n) break;
        this.acc += s.slice(seg, i);
        state = QUOTE_SEEN;
        i++;
        continue;
      }
      // QUOTE_SEEN
      if (c === QUOTE) {
        // "" -> one quote: the next segment starts at the second quote.
        seg = i;
        state = QUOTED;
        i++;
        continue;
      }
// (duplicates: the field end of the unquoted state above, for a closed quoted field; inline in
// the tokenizer's hot loop on purpose.)
      if (c === d || c === LF || c === CR) {
        this.pushField(this.acc);
        this.acc = '';
        state = FIELD_START;
        if (c !== d) {
          this.endRecord(this.base + i);
          this.newline(c, this.base + i);
        }
        i++;
        continue;
      }
      throw this.error(
        this.line,
        this.base + i - this.lineStart + 1,
        `unexpected text after the closing quote of a quoted field (a quote inside a quoted field must be doubled: ""), ${QUOTE_HINT}`,
      );
    }
    if (state === UNQUOTED || state === QUOTED) this.acc += s.slice(seg);
    // Fields of a record that continues in the next chunk: their text, as this chunk goes.
    if (ranges) {
      const st = this.starts;
      for (let k = 0; k < st.length; k++) {
        if (st[k] >= 0) {
          this.fields[k] = s.slice(st[k], this.ends[k]);
          st[k] = -1;
        }
      }
    }
    if ((state !== FIELD_START || this.fields.length > 0) && this.base + n - this.recStart > this.maxRecordChars) {
      throw this.error(
        this.recLine,
        this.recCol,
        `the record starting here is longer than ${this.maxRecordChars.toLocaleString('en-US')} characters` +
          (state === QUOTED ? ` (inside the quoted field opened at line ${this.quoteLine}, column ${this.quoteCol}; is a closing quote missing?)` : '') +
          ': is this a CSV/TSV file?',
      );
    }
    this.base += n;
    this.state = state;
  }

  /** Ends the input: flushes the last record, or fails on an unterminated quoted field. */
  end(): void {
    const at = this.base;
    switch (this.state) {
      case QUOTED:
        throw this.error(
          this.quoteLine,
          this.quoteCol,
          `unterminated quoted field: the quote opened here is never closed; ${QUOTE_HINT}`,
        );
      case UNQUOTED:
      case QUOTE_SEEN:
        this.pushField(this.acc);
        this.acc = '';
        this.endRecord(at);
        break;
      default:
        if (this.fields.length > 0) {
          this.startField(at);
          this.pushField('');
          this.endRecord(at);
        }
    }
    this.state = FIELD_START;
  }

  private newline(c: number, abs: number): void {
    if (c === LF && this.crAt === abs - 1) {
      this.lineStart = abs + 1; // second half of a CRLF: the line was counted at the CR
      return;
    }
    this.line++;
    this.lineStart = abs + 1;
    if (c === CR) this.crAt = abs;
  }

  /** 1-based line and column of the next character (for errors found while decoding). */
  where(): { line: number; column: number } {
    return { line: this.line, column: this.base - this.lineStart + 1 };
  }

  private startField(abs: number): void {
    if (this.fields.length >= MAX_FIELDS && this.expected < 0) {
      throw this.error(this.line, abs - this.lineStart + 1, `more than ${MAX_FIELDS.toLocaleString('en-US')} fields in one record: is this a CSV/TSV file?`);
    }
    if (this.fields.length === this.expected) {
      throw this.error(
        this.line,
        abs - this.lineStart + 1,
        `too many fields: the header has ${this.expected} column${this.expected === 1 ? '' : 's'} and an extra field starts here`,
      );
    }
    if (this.positions) {
      this.fieldLines.push(this.line);
      this.fieldCols.push(abs - this.lineStart + 1);
    }
  }

  /** A field given by its text. */
  private pushField(v: string): void {
    this.fields.push(v);
    if (this.onRanges !== null) {
      this.starts.push(-1);
      this.ends.push(-1);
    }
  }

  private endRecord(abs: number): void {
    const f = this.fields;
    const ranges = this.onRanges;
    if (ranges !== null && f.length === 1 && this.starts[0] >= 0) {
      f[0] = this.chunk.slice(this.starts[0], this.ends[0]);
      this.starts[0] = -1;
    }
    const blank = f.length === 1 && !this.firstQuoted && isSpaces(f[0]);
    if (!blank) {
      if (this.expected >= 0 && f.length < this.expected) {
        throw this.error(
          this.line,
          abs - this.lineStart + 1,
          `too few fields: the header has ${this.expected} columns, this record has ${f.length}`,
        );
      }
      if (ranges !== null) ranges(f, this.starts, this.ends, this.chunk, this.recLine);
      else this.onRecord(f, this.recLine, this.fieldLines, this.fieldCols);
    }
    f.length = 0;
    this.starts.length = 0;
    this.ends.length = 0;
    this.fieldLines.length = 0;
    this.fieldCols.length = 0;
    this.firstQuoted = false;
  }

  private error(line: number, column: number, detail: string): DataFileError {
    return new DataFileError(this.file, line, column, detail);
  }
}

function isSpaces(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== SPACE && c !== TAB) return false;
  }
  return true;
}

/** Field texts that mean "missing" (case-sensitive), besides the empty field. */
export const MISSING_TOKENS: readonly string[] = ['NA', 'N/A', 'NaN', 'null', '?'];
const MISSING = new Set(MISSING_TOKENS);

/**
 * True when a CSV/TSV field is missing: empty, only whitespace (space, tab, CR, LF), or, ignoring
 * surrounding whitespace, one of MISSING_TOKENS. Quoted and unquoted fields are treated alike.
 */
export function isMissingField(v: string): boolean {
  let a = 0;
  let b = v.length;
  while (a < b && isWhite(v.charCodeAt(a))) a++;
  while (b > a && isWhite(v.charCodeAt(b - 1))) b--;
  const len = b - a;
  if (len === 0) return true;
  if (len > 4) return false; // longer than any token
  const c = v.charCodeAt(a);
  if (c !== 78 && c !== 110 && c !== 63) return false; // every token starts with N, n or ?
  return MISSING.has(a === 0 && b === v.length ? v : v.slice(a, b));
}

function isWhite(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}

export interface DelimitedReadOptions {
  checkpoint?: Checkpoint;
  /** Bytes per read from the file (tests use tiny values to exercise chunk boundaries). */
  highWaterMark?: number;
  /** Format recorded in the table (default from the delimiter). */
  format?: DataFormat;
  /**
   * Quoting dialect: 'rfc4180' (quoted fields), 'none' (`"` is an ordinary character) or 'auto'
   * (default): RFC 4180, except that a TSV file whose quotes do not follow it is read without quoting.
   */
  quoting?: QuotingOption;
  /** Longest record in characters (default MAX_RECORD_CHARS). */
  maxRecordChars?: number;
}

export type QuotingOption = 'auto' | Quoting;

/** Column names from the header record: trimmed; an empty name becomes `column_<n>`; no duplicates. */
function headerNames(file: string, fields: string[], lines: number[], cols: number[]): string[] {
  const seen = new Map<string, number>();
  const names: string[] = [];
  for (let k = 0; k < fields.length; k++) {
    let name = fields[k].trim();
    if (name === '') name = `column_${k + 1}`;
    const prev = seen.get(name);
    if (prev !== undefined) {
      throw new DataFileError(
        file,
        lines[k],
        cols[k],
        `duplicate column name "${name}" in the header (columns ${prev + 1} and ${k + 1}); column names must be unique`,
      );
    }
    seen.set(name, k);
    names.push(name);
  }
  return names;
}

/**
 * Streams a CSV (delimiter ',') or TSV (delimiter '\t') file into a Table. With quoting 'auto' a TSV
 * file is first read as RFC 4180; when that fails on a file that has quotes (as published TSVs
 * often do: a message starting with `"`), it is read again without quoting, and `table.read.note`
 * says so. A CSV file is always RFC 4180 unless quoting is 'none'.
 */
export async function readDelimited(file: string, delimiter: string, opts: DelimitedReadOptions = {}): Promise<Table> {
  const quoting = opts.quoting ?? 'auto';
  if (quoting !== 'auto') return readDelimitedAs(file, delimiter, quoting === 'rfc4180', opts);
  const first = { sawQuote: false };
  try {
    return await readDelimitedAs(file, delimiter, true, opts, first);
  } catch (e) {
    if (!(delimiter === '\t' && e instanceof DataFileError && first.sawQuote)) throw e;
    let table: Table;
    try {
      table = await readDelimitedAs(file, delimiter, false, opts);
    } catch {
      throw e; // neither dialect reads it: report the RFC 4180 error
    }
    (table.read as ReadInfo).note =
      `read without quoting: the file's quotes do not follow RFC 4180 (${e.line}:${e.column}: ${e.detail.replace(/, or read the file without quoting.*$/, '')}); --quote rfc4180 (setting datasetDebugger.quoting) forces RFC 4180`;
    return table;
  }
}

async function readDelimitedAs(
  file: string,
  delimiter: string,
  quoted: boolean,
  opts: DelimitedReadOptions,
  seen: { sawQuote: boolean } = { sawQuote: false },
): Promise<Table> {
  const first = await readDelimitedOnce(file, delimiter, quoted, opts, seen);
  const inexact = first.store.inexactColumns;
  if (inexact.length === 0) return first;
  // A numbers column met a text that is not a number: read again keeping that column's exact texts.
  return readDelimitedOnce(file, delimiter, quoted, opts, seen, new Set(inexact));
}

/** One pass over the file into a ColumnStore (cells per column, see columns.ts). */
async function readDelimitedOnce(
  file: string,
  delimiter: string,
  quoted: boolean,
  opts: DelimitedReadOptions,
  seen: { sawQuote: boolean },
  texts?: ReadonlySet<number>,
): Promise<Table> {
  let store: ColumnStore | null = null;
  let columns: string[] | null = null;
  let headerLine = 1;
  const size = fileSize(file);
  const tok = new DelimitedTokenizer(file, delimiter.charCodeAt(0), (fields, line, fl, fc) => {
    if (columns === null) {
      columns = headerNames(file, fields, fl, fc);
      headerLine = line;
      tok.expected = columns.length;
      tok.positions = false;
      tok.onRanges = (fs, starts, ends, chunk, ln) => (store as ColumnStore).addRowRanges(fs, starts, ends, chunk, ln, isMissingField);
      // A record of C fields takes at least C bytes: an upper bound on the rows to reserve room for.
      store = new ColumnStore(columns.length, { reserveRows: Math.floor(size / columns.length) + 2, texts });
      return;
    }
    throw new Error('unreachable: rows after the header go to onRanges');
  });
  tok.quoting = quoted;
  if (opts.maxRecordChars) tok.maxRecordChars = opts.maxRecordChars;

  let info: { size: number; encoding: ReadInfo['encoding'] };
  try {
    info = await streamText(file, { ...opts, where: () => tok.where() }, (text) => tok.push(text));
    tok.end();
  } finally {
    seen.sawQuote = tok.sawQuote;
  }

  if (columns === null || store === null) {
    const what = info.size === 0 ? 'the file is empty' : 'the file has only blank lines';
    throw new DataFileError(file, 1, 1, `${what}: expected a header line and data rows`);
  }
  if ((store as ColumnStore).rows === 0) {
    throw new DataFileError(file, headerLine, 1, 'no data rows: the file has a header line but no records after it');
  }
  const table = tableOf(file, opts.format ?? (delimiter === '\t' ? 'tsv' : 'csv'), columns, store, headerLine);
  table.read = { encoding: info.encoding, quoting: quoted ? 'rfc4180' : 'none' };
  return table;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0; // streamText reports the error
  }
}

/**
 * Where a cell of a CSV/TSV table starts in its file: re-reads the file (only used to point error
 * messages at a cell). Returns null when the file no longer holds that record.
 */
export function locateDelimitedCell(
  file: string,
  delimiter: string,
  recordLine: number,
  column: number,
  read?: ReadInfo,
): { line: number; column: number } | null {
  const text = readWholeText(file, read?.encoding);
  if (text === null) return null;
  let found: { line: number; column: number } | null = null;
  const stop = {};
  const tok = new DelimitedTokenizer(file, delimiter.charCodeAt(0), (_f, line, fl, fc) => {
    if (line === recordLine) {
      if (column < fl.length) found = { line: fl[column], column: fc[column] };
      throw stop;
    }
    if (line > recordLine) throw stop;
  });
  tok.quoting = read?.quoting !== 'none';
  try {
    tok.push(text);
    tok.end();
  } catch (e) {
    if (e !== stop) return null;
  }
  return found;
}
