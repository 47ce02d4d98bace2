/**
 * The change log: the label changes made to a data file, as the extension's Export Cleaned Copy
 * writes it beside the cleaned copy, as `dataset-debugger fix --log` writes it, and as `fix --changes`
 * reads it back. One definition for both sides (the extension imports it; no vscode import here).
 *
 * Two forms with the same fields:
 *   JSON: an array of { row, line, oldLabel, newLabel, score?, scoreName?, time } objects (indent 2).
 *   CSV:  the header `row,line,oldLabel,newLabel,score,scoreName,time`, one record per change, lines
 *         ending in LF; a cell is quoted (RFC 4180, "" for a quote) when it holds a comma, a quote or
 *         a line break; an absent score or scoreName is an empty cell.
 *
 * Reading is meant for logs edited by hand too: JSON entries need only row and newLabel; a CSV log
 * needs the columns row and newLabel, in any order, and the other columns are optional. Errors name
 * the file, and for CSV the line and column of the offending cell.
 */
import type { ExampleRow, RankBy } from '../protocol/types';
import { DataFileError, UserError } from '../util/errors';
import type { LabelChange } from './labelCell';

/** One label change, as the change log holds it. */
export interface ChangeEntry {
  row: number;
  line: number;
  oldLabel: string;
  newLabel: string;
  /** The score the row was ranked by when it was changed, and which score that is. */
  score?: number;
  scoreName?: string;
  /** ISO time of the change. */
  time: string;
}

/** A change read from a log: what `fix` applies (row, newLabel, and oldLabel/line as checks) and the log's other fields. */
export interface ReadChange extends LabelChange {
  score?: number;
  scoreName?: string;
  time?: string;
}

export type ChangeLogFormat = 'json' | 'csv';

/** The CSV log's columns, in the order the writer puts them. */
export const CHANGE_LOG_COLUMNS = ['row', 'line', 'oldLabel', 'newLabel', 'score', 'scoreName', 'time'] as const;

/** The log's format by file name (.json / .csv, any case), else undefined. */
export function changeLogFormatOf(file: string): ChangeLogFormat | undefined {
  const m = /\.([A-Za-z]+)$/.exec(file);
  const ext = m?.[1].toLowerCase();
  return ext === 'json' || ext === 'csv' ? ext : undefined;
}

/** The score a row was ranked by, and its name, for the change log (the global influence when the ranking's own score is absent). */
export function rankedScore(rankBy: RankBy, e: ExampleRow): { score: number; scoreName: string } {
  if (rankBy === 'labelIssue' && e.labelIssueScore !== undefined) return { score: e.labelIssueScore, scoreName: 'label issue' };
  if (rankBy === 'labelSuspicion' && e.labelSuspicion !== undefined) return { score: e.labelSuspicion, scoreName: 'label suspicion' };
  if (rankBy === 'loss') return { score: e.loss, scoreName: 'loss' };
  return { score: e.globalInfluence, scoreName: 'global influence' };
}

/** The change log as JSON (an array `fix --changes` reads) or CSV (likewise). */
export function formatChangeLog(changes: readonly ChangeEntry[], format: ChangeLogFormat): string {
  if (format === 'json') return JSON.stringify(changes, null, 2) + '\n';
  const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [CHANGE_LOG_COLUMNS.join(',')];
  for (const c of changes) {
    lines.push([String(c.row), String(c.line), q(c.oldLabel), q(c.newLabel), c.score === undefined ? '' : String(c.score), q(c.scoreName ?? ''), c.time].join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * Reads a change log. The format is the content's when it tells it (JSON begins with `[` or `{`,
 * after a byte order mark and white space), else the file name's (.json is JSON), else CSV.
 */
export function parseChangeLog(text: string, file: string): ReadChange[] {
  const body = text.replace(/^\uFEFF/, '');
  const first = /\S/.exec(body)?.[0];
  if (first === '[' || first === '{' || changeLogFormatOf(file) === 'json') return parseJsonLog(body, file);
  return parseCsvLog(body, file);
}

/** 1-based line and column of a UTF-16 index in text (lines end at CRLF, LF or CR). */
function position(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: index - start + 1 };
}

/** A change with the log's key order (row, line, oldLabel, newLabel, score, scoreName, time) and no undefined keys. */
function readChange(c: ReadChange): ReadChange {
  const out: Record<string, unknown> = {};
  for (const k of CHANGE_LOG_COLUMNS) if (c[k] !== undefined) out[k] = c[k];
  return out as unknown as ReadChange;
}

function parseJsonLog(text: string, file: string): ReadChange[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message);
    if (at) {
      const p = position(text, Number(at[1]));
      throw new DataFileError(file, p.line, p.column, `not valid JSON (${message})`);
    }
    throw new UserError(`${file}: not valid JSON (${message})`);
  }
  if (!Array.isArray(v)) throw new UserError(`${file}: expected a JSON array of { "row": N, "newLabel": "..." } objects`);
  return v.map((x: unknown, i: number): ReadChange => {
    const o = x as Record<string, unknown>;
    const bad = (why: string) => new UserError(`${file}: entry ${i} ${why}`);
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw bad('is not an object');
    if (!Number.isInteger(o.row) || (o.row as number) < 0) throw bad('has no "row" (a 0-based data row)');
    if (typeof o.newLabel !== 'string') throw bad('has no "newLabel" string');
    if (o.oldLabel !== undefined && typeof o.oldLabel !== 'string') throw bad('has an "oldLabel" that is not a string');
    if (o.line !== undefined && !Number.isInteger(o.line)) throw bad('has a "line" that is not an integer');
    if (o.score !== undefined && o.score !== null && typeof o.score !== 'number') throw bad('has a "score" that is not a number');
    if (o.scoreName !== undefined && typeof o.scoreName !== 'string') throw bad('has a "scoreName" that is not a string');
    if (o.time !== undefined && typeof o.time !== 'string') throw bad('has a "time" that is not a string');
    return readChange({
      row: o.row as number,
      line: o.line as number | undefined,
      oldLabel: o.oldLabel as string | undefined,
      newLabel: o.newLabel,
      score: typeof o.score === 'number' ? o.score : undefined,
      scoreName: o.scoreName as string | undefined,
      time: o.time as string | undefined,
    });
  });
}

/** One CSV cell: its value and where it starts (for errors). */
interface Cell {
  value: string;
  index: number;
}

/**
 * Splits CSV text into records of cells (RFC 4180: quoted cells may hold commas, quotes as "" and
 * line breaks; records end at CRLF, LF or CR). Blank lines are not records.
 */
function csvRecords(text: string, file: string, locate: (index: number) => { line: number; column: number }): Cell[][] {
  const records: Cell[][] = [];
  let cells: Cell[] = [];
  let i = 0;
  const fail = (index: number, why: string): never => {
    const p = locate(index);
    throw new DataFileError(file, p.line, p.column, why);
  };
  const endRecord = () => {
    if (!(cells.length === 1 && cells[0].value === '' && text.charCodeAt(cells[0].index) !== 34)) records.push(cells);
    cells = [];
  };
  while (i <= text.length) {
    const start = i;
    let value: string;
    if (text.charCodeAt(i) === 34) {
      // a quoted cell: up to the quote that is not doubled
      let v = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) fail(start, 'a quoted cell is not closed (a quote " is missing)');
        v += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          v += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      value = v;
      const c = text.charCodeAt(i);
      if (i < text.length && c !== 44 && c !== 10 && c !== 13) fail(i, 'text after a quoted cell\'s closing quote (a quote inside a cell is written "")');
    } else {
      let j = i;
      while (j < text.length) {
        const c = text.charCodeAt(j);
        if (c === 44 || c === 10 || c === 13) break;
        if (c === 34) fail(j, 'a quote " inside an unquoted cell (quote the cell and write the quote as "")');
        j++;
      }
      value = text.slice(i, j);
      i = j;
    }
    cells.push({ value, index: start });
    if (i >= text.length) {
      endRecord();
      break;
    }
    const c = text.charCodeAt(i);
    if (c === 44) {
      i++;
      continue;
    }
    // a line break ends the record
    i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
    endRecord();
    if (i >= text.length) break;
  }
  return records;
}

/** `text` without its byte order mark: columns count as an editor shows them. */
function parseCsvLog(text: string, file: string): ReadChange[] {
  const locate = (index: number) => position(text, index);
  const fail = (index: number, why: string): never => {
    const p = locate(index);
    throw new DataFileError(file, p.line, p.column, why);
  };
  const records = csvRecords(text, file, locate);
  if (records.length === 0) {
    throw new UserError(`${file}: an empty change log (expected JSON, or CSV with the header ${CHANGE_LOG_COLUMNS.join(',')})`);
  }
  const [header, ...rows] = records;
  const known = new Set<string>(CHANGE_LOG_COLUMNS);
  const col = new Map<string, number>();
  header.forEach((h, k) => {
    if (!known.has(h.value)) {
      fail(h.index, `unknown change log column '${h.value}' (the columns are ${CHANGE_LOG_COLUMNS.join(',')}; JSON logs begin with '[')`);
    }
    if (col.has(h.value)) fail(h.index, `the column '${h.value}' is given twice`);
    col.set(h.value, k);
  });
  for (const need of ['row', 'newLabel']) {
    if (!col.has(need)) fail(header[0].index, `the change log has no '${need}' column (the columns are ${CHANGE_LOG_COLUMNS.join(',')})`);
  }
  const whole = /^\d+$/;
  return rows.map((cells): ReadChange => {
    if (cells.length !== header.length) {
      const at = cells.length > header.length ? cells[header.length].index : cells[cells.length - 1].index;
      fail(at, `${cells.length} cells where the header has ${header.length} (a label with a comma must be quoted)`);
    }
    const get = (name: string): Cell | undefined => {
      const k = col.get(name);
      return k === undefined ? undefined : cells[k];
    };
    const rowCell = get('row')!;
    if (!whole.test(rowCell.value)) fail(rowCell.index, `the row '${rowCell.value}' is not a 0-based data row (a whole number)`);
    const out: ReadChange = { row: Number(rowCell.value), newLabel: get('newLabel')!.value };
    const line = get('line');
    if (line && line.value !== '') {
      if (!whole.test(line.value) || Number(line.value) < 1) fail(line.index, `the line '${line.value}' is not a line number (a whole number from 1)`);
      out.line = Number(line.value);
    }
    const oldLabel = get('oldLabel');
    if (oldLabel) out.oldLabel = oldLabel.value;
    const score = get('score');
    if (score && score.value !== '') {
      const n = Number(score.value);
      if (score.value.trim() !== score.value || (Number.isNaN(n) && score.value !== 'NaN')) fail(score.index, `the score '${score.value}' is not a number`);
      out.score = n;
    }
    const scoreName = get('scoreName');
    if (scoreName && scoreName.value !== '') out.scoreName = scoreName.value;
    const time = get('time');
    if (time && time.value !== '') out.time = time.value;
    return readChange(out);
  });
}
