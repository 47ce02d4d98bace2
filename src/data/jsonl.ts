/**
 * JSON Lines reader: one JSON object per non-blank line, streamed.
 *
 * Columns are the union of the objects' keys in order of first appearance. Cells: strings as they
 * are, numbers and booleans as String(v), null or an absent key -> null (missing), arrays and
 * objects -> JSON.stringify(v). Lines end at LF, CRLF or a lone CR (as VS Code counts lines); a line
 * holding only whitespace is blank and is not a record.
 *
 * JSON.parse does the work on the happy path. When it fails, a small scanner (scanJson) finds the
 * exact column of the first syntax error, because V8's messages do not always carry a position.
 */
import { statSync } from 'node:fs';
import type { Checkpoint } from '../util/cancel';
import { DataFileError } from '../util/errors';
import { readWholeText, streamText } from './textStream';
import { ColumnStore } from './columns';
import { tableOf } from './tableStore';
import type { Cell, ReadInfo, Table } from './types';

const LF = 10;
const CR = 13;

export interface JsonlReadOptions {
  checkpoint?: Checkpoint;
  /** Bytes per read from the file (tests use tiny values to exercise chunk boundaries). */
  highWaterMark?: number;
  /** Longest line in characters (default MAX_LINE_CHARS). */
  maxRecordChars?: number;
}

/** Longest line, in characters (a longer one is an error, not an out-of-memory crash). */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;
/** Deepest nesting of arrays and objects in one line. */
export const MAX_DEPTH = 256;

/** Splits decoded text into lines across chunk boundaries; calls onLine(text, 1-based line). */
class LineSplitter {
  private pieces: string[] = [];
  private pending = 0;
  private line = 1;
  private lastWasCR = false;

  constructor(
    private readonly onLine: (text: string, line: number) => void,
    private readonly onTooLong?: (line: number) => never,
    private readonly maxChars = MAX_LINE_CHARS,
  ) {}

  /** 1-based line and column of the next character. */
  where(): { line: number; column: number } {
    return { line: this.line, column: this.pending + 1 };
  }

  push(s: string): void {
    const n = s.length;
    let start = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      if (c === LF && i === start && this.lastWasCR && this.pieces.length === 0) {
        // LF of a CRLF whose CR ended the previous line
        this.lastWasCR = false;
        start = i + 1;
        continue;
      }
      this.emit(s.slice(start, i));
      this.lastWasCR = c === CR;
      start = i + 1;
    }
    if (start < n) {
      this.pieces.push(s.slice(start));
      this.pending += n - start;
      this.lastWasCR = false;
      if (this.pending > this.maxChars && this.onTooLong) this.onTooLong(this.line);
    }
  }

  end(): void {
    if (this.pieces.length > 0) this.emit('');
  }

  private emit(tail: string): void {
    let text = tail;
    if (this.pieces.length > 0) {
      this.pieces.push(tail);
      text = this.pieces.join('');
      this.pieces = [];
      this.pending = 0;
    }
    this.onLine(text, this.line++);
  }
}

/** True for an array index key, which JS objects enumerate before other keys. */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

function firstNonSpace(s: string): number {
  let i = 0;
  while (i < s.length && /\s/.test(s[i])) i++;
  return i;
}

/** Whether arrays/objects nest more than `limit` levels below `v` (iterative: no stack overflow). */
function deeperThan(v: object, limit: number): boolean {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length > 0) {
    const [x, d] = stack.pop() as [unknown, number];
    if (d > limit) return true;
    const children = Array.isArray(x) ? x : Object.values(x as object);
    for (const c of children) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return false;
}

export function cellFromJson(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export async function readJsonl(file: string, opts: JsonlReadOptions = {}): Promise<Table> {
  const first = await readJsonlOnce(file, opts);
  const inexact = first.store.inexactColumns;
  if (inexact.length === 0) return first;
  // A numbers column met a text that is not a number: read again keeping that column's exact texts.
  return readJsonlOnce(file, opts, new Set(inexact));
}

async function readJsonlOnce(file: string, opts: JsonlReadOptions, texts?: ReadonlySet<number>): Promise<Table> {
  const columns: string[] = [];
  const index = new Map<string, number>();
  let size0 = 0;
  try {
    size0 = statSync(file).size;
  } catch {
    // streamText reports it
  }
  // A record takes at least 3 bytes ({} and a line break): an upper bound on the rows to reserve room for.
  const store = new ColumnStore(0, { reserveRows: Math.floor(size0 / 3) + 2, texts });
  let cells: Cell[] = [];

  const onLine = (text: string, line: number): void => {
    const at = firstNonSpace(text);
    if (at === text.length) return; // blank
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const scan = scanJson(text);
      if (scan.error) throw new DataFileError(file, line, scan.error.index + 1, `invalid JSON: ${scan.error.message}`);
      throw new DataFileError(file, line, at + 1, `invalid JSON: ${(e as Error).message}`);
    }
    try {
      addRecord(value, text, line, at);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      // Too deep for JSON.stringify / the key scan: point at where the nesting exceeds MAX_DEPTH.
      const scan = scanJson(text);
      throw new DataFileError(file, line, (scan.error?.index ?? at) + 1, `invalid data: ${scan.error?.message ?? e.message}`);
    }
  };

  const addRecord = (value: unknown, text: string, line: number, at: number): void => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DataFileError(
        file,
        line,
        at + 1,
        `expected a JSON object ({"column": value, ...}) on each line, found ${describe(value)}`,
      );
    }
    const obj = value as Record<string, unknown>;
    let keys = Object.keys(obj);
    if (keys.some((k) => INDEX_KEY.test(k))) {
      // Index-like keys are enumerated first; take the textual order so columns follow first appearance.
      const seen = new Set<string>();
      keys = [];
      for (const k of scanJson(text).keys) {
        if (!seen.has(k.key)) {
          seen.add(k.key);
          keys.push(k.key);
        }
      }
    }
    for (const k of keys) {
      if (!index.has(k)) {
        index.set(k, columns.length);
        columns.push(k);
        store.addColumn();
      }
    }
    if (cells.length !== columns.length) cells = new Array<Cell>(columns.length);
    cells.fill(null);
    for (const k of keys) {
      const v = obj[k];
      if (v !== null && typeof v === 'object' && deeperThan(v, MAX_DEPTH - 1)) throw new RangeError('nesting too deep');
      cells[index.get(k) as number] = cellFromJson(v);
    }
    store.addRow(cells, line);
  };

  const max = opts.maxRecordChars ?? MAX_LINE_CHARS;
  const tooLong = (line: number): never => {
    throw new DataFileError(file, line, 1, `this line is longer than ${max.toLocaleString('en-US')} characters: is this a JSON Lines file (one object per line)?`);
  };
  const splitter = new LineSplitter(onLine, tooLong, max);
  const { size, encoding } = await streamText(file, { ...opts, where: () => splitter.where() }, (text) => splitter.push(text));
  splitter.end();

  if (store.rows === 0) {
    throw new DataFileError(file, 1, 1, size === 0 ? 'the file is empty' : 'no records: the file has only blank lines');
  }
  const table = tableOf(file, 'jsonl', columns, store);
  table.read = { encoding };
  return table;
}

/** Where the value of top-level key `key` starts on line `line` of a JSONL file (re-reads it). */
export function locateJsonlCell(file: string, line: number, key: string, read?: ReadInfo): { line: number; column: number } | null {
  const text = readWholeText(file, read?.encoding);
  if (text === null) return null;
  let found: { line: number; column: number } | null = null;
  const stop = {};
  const splitter = new LineSplitter((t, l) => {
    if (l < line) return;
    if (l === line) {
      const scan = scanJson(t);
      const k = scan.keys.filter((x) => x.key === key).pop(); // JSON.parse keeps the last duplicate
      if (k) found = { line, column: k.valueIndex + 1 };
    }
    throw stop;
  });
  // (duplicates: csv.ts's locate loop ends the same way: feed the text, stop at the target.)
  try {
    splitter.push(text);
    splitter.end();
  } catch (e) {
    if (e !== stop) return null;
  }
  return found;
}

export interface JsonScan {
  /** First syntax error: 0-based index into the text and a message. */
  error?: { index: number; message: string };
  /** Keys of the top-level object in textual order, with the 0-based index where each value starts and ends (exclusive). */
  keys: { key: string; valueIndex: number; valueEnd: number }[];
}

class JsonSyntax {
  constructor(
    readonly index: number,
    readonly message: string,
  ) {}
}

/** Validates one JSON text and records the top-level object's keys; used for error positions. */
export function scanJson(s: string): JsonScan {
  const keys: JsonScan['keys'] = [];
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new JsonSyntax(at, message);
  };
  const ws = (): void => {
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const found = (): string => (i < s.length ? `'${s[i]}'` : 'the end of the line');
  const string = (): string => {
    const start = i;
    i++; // opening quote
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        i++;
        return JSON.parse(s.slice(start, i)) as string;
      }
      if (c === 92) {
        const e = s[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) fail('invalid \\u escape: expected 4 hex digits');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          fail(`invalid escape sequence in a string`);
        }
        continue;
      }
      if (c < 32) fail('unescaped control character (such as a tab or line break) in a string');
      i++;
    }
    return fail('unterminated string', start);
  };
  const digits = (): void => {
    if (!(s[i] >= '0' && s[i] <= '9')) fail(`expected a digit, found ${found()}`);
    while (s[i] >= '0' && s[i] <= '9') i++;
  };
  const number = (): void => {
    if (s[i] === '-') i++;
    if (s[i] === '0') i++;
    else digits();
    if (s[i] === '.') {
      i++;
      digits();
    }
    if (s[i] === 'e' || s[i] === 'E') {
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      digits();
    }
  };
  const value = (depth: number): void => {
    if (depth >= MAX_DEPTH) fail(`arrays and objects nested more than ${MAX_DEPTH} levels deep`);
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (s[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
        const key = string();
        ws();
        if (s[i] !== ':') fail(`expected ':' after a property name, found ${found()}`);
        i++;
        ws();
        const valueIndex = i;
        value(depth + 1);
        if (depth === 0) keys.push({ key, valueIndex, valueEnd: i });
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === '}') {
          i++;
          return;
        }
        fail(`expected ',' or '}' after a property value, found ${found()}`);
      }
    }
// (duplicates: the object branch above, for arrays: the JSON grammar's two containers.)
    if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (s[i] === ',') {
          i++;
          continue;
        }
        if (s[i] === ']') {
          i++;
          return;
        }
        fail(`expected ',' or ']' in an array, found ${found()}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      number();
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (s.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail(`expected a value, found ${found()}`);
  };
  try {
    value(0);
    ws();
    if (i < s.length) fail(`unexpected text after the JSON value: ${found()}`);
    return { keys };
  } catch (e) {
    if (e instanceof JsonSyntax) return { error: { index: e.index, message: e.message }, keys };
    throw e;
  }
}
