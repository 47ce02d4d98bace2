/**
 * Label cell edits: where a row's label is in the text of its file, and the replacement text that
 * changes only that label. Used by the extension (a WorkspaceEdit on the open document), by the
 * export of a cleaned copy and by the CLI's `fix` command, so all three change the same bytes.
 *
 * The reading rules are those of src/data (src/data/README.md): CSV/TSV per RFC 4180 with the first
 * non-blank record as the header, lines ending at CRLF, LF or a lone CR, blank lines not records, a
 * leading byte order mark ignored; JSON Lines one object per non-blank line. Rows count from 0 (the
 * header and blank lines are not rows), lines from 1.
 *
 * What an edit keeps: every byte outside the label cell (delimiters, other cells, line endings, the
 * BOM, key order and escapes of other JSON values). The new CSV/TSV cell is quoted when the value
 * needs it (delimiter, quote or line break inside) or when the old cell was quoted (the file's style);
 * a JSON label keeps its type where the new value can have it (a number stays a number), else it is
 * a JSON string. No vscode import: offsets are UTF-16 indices into the text as given.
 */
import { createHash } from 'node:crypto';
import { cellFromJson, scanJson } from '../data/jsonl';
import { DataFileError, UserError } from '../util/errors';

export type EditFormat = 'csv' | 'tsv' | 'jsonl';

export interface LabelOptions {
  format: EditFormat;
  /** Header name (CSV/TSV) or key (JSONL) of the label. */
  labelColumn: string;
  /** Named in error messages. */
  file?: string;
}

/** One record of the file and its label cell. */
export interface LabelRecord {
  /** 0-based data row. */
  row: number;
  /** 1-based line where the record starts. */
  line: number;
  /** The record's text: [start, end) (without its line break). */
  start: number;
  end: number;
  /** The label cell's text as it is in the file (quotes included): [cellStart, cellEnd); empty span when a JSON key is absent. */
  cellStart: number;
  cellEnd: number;
  /** The label value (unquoted, unescaped); null when the key is absent or the JSON value is null. */
  label: string | null;
  /** CSV/TSV: the label cell is quoted. JSONL: the kind of the JSON value ('string', 'number', ...). */
  quoted: boolean;
  jsonType?: 'string' | 'number' | 'boolean' | 'null' | 'other';
  /** Every cell's value in file order (CSV/TSV) or the trimmed line (JSONL): what the content hash covers. */
  cells: string[];
}

/** A change asked for: row's label to newLabel; oldLabel/line, when given, must match the file. */
export interface LabelChange {
  row: number;
  newLabel: string;
  oldLabel?: string;
  line?: number;
}

/** The replacement of one label cell: text [start, end) becomes newText. */
export interface CellEdit {
  row: number;
  line: number;
  start: number;
  end: number;
  oldText: string;
  newText: string;
  oldLabel: string | null;
  newLabel: string;
}

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** The format by file extension, as src/data reads it. */
export function editFormatOf(file: string): EditFormat | undefined {
  const m = /\.([A-Za-z]+)$/.exec(file);
  switch (m?.[1].toLowerCase()) {
    case 'csv':
      return 'csv';
    case 'tsv':
    case 'tab':
      return 'tsv';
    case 'jsonl':
    case 'ndjson':
      return 'jsonl';
    default:
      return undefined;
  }
}

/** Every record of the file with its label cell. */
export function readLabelRecords(text: string, opts: LabelOptions): LabelRecord[] {
  return opts.format === 'jsonl' ? jsonlRecords(text, opts) : delimitedRecords(text, opts);
}

/** 1-based column of an offset, given the offset where its line starts. */
function col(offset: number, lineStart: number): number {
  return offset - lineStart + 1;
}

function delimitedRecords(text: string, opts: LabelOptions): LabelRecord[] {
  const file = opts.file ?? 'the file';
  const delim = opts.format === 'tsv' ? 9 : 44;
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;
  let header: string[] | undefined;
  let labelIndex = -1;
  const out: LabelRecord[] = [];
  const newline = (at: number): number => {
    // at: index of CR or LF; returns the index after the line break
    const next = text.charCodeAt(at) === CR && text.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
    line++;
    lineStart = next;
    return next;
  };
  while (i < n) {
    const recStart = i;
    const recLine = line;
    const fields: { start: number; end: number; quoted: boolean }[] = [];
    for (;;) {
      const fStart = i;
      if (text.charCodeAt(i) === QUOTE) {
        const openLine = line;
        const openCol = col(i, lineStart);
        i++;
        for (;;) {
          if (i >= n) throw new DataFileError(file, openLine, openCol, 'unterminated quoted field (a " without its closing ")');
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            if (text.charCodeAt(i + 1) === QUOTE) {
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === CR || c === LF) i = newline(i);
          else i++;
        }
        const c = i < n ? text.charCodeAt(i) : -1;
        if (c !== -1 && c !== delim && c !== CR && c !== LF) {
          throw new DataFileError(file, line, col(i, lineStart), 'text after the closing quote of a quoted field');
        }
        fields.push({ start: fStart, end: i, quoted: true });
      } else {
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === delim || c === CR || c === LF) break;
          i++;
        }
        fields.push({ start: fStart, end: i, quoted: false });
      }
      if (i < n && text.charCodeAt(i) === delim) {
        i++;
        continue;
      }
      break;
    }
    const recEnd = i;
    const endLine = line;
    const endCol = col(i, lineStart);
    if (i < n) i = newline(i);
    const value = (f: { start: number; end: number; quoted: boolean }) =>
      f.quoted ? text.slice(f.start + 1, f.end - 1).replace(/""/g, '"') : text.slice(f.start, f.end);
    if (fields.length === 1 && !fields[0].quoted && /^[ \t]*$/.test(value(fields[0]))) continue; // blank line
    const cells = fields.map(value);
    if (!header) {
      header = cells.map((c, k) => c.trim() || `column_${k + 1}`);
      labelIndex = header.indexOf(opts.labelColumn);
      if (labelIndex < 0) {
        throw new DataFileError(file, recLine, 1, `no column named '${opts.labelColumn}' in the header (columns: ${header.join(', ')})`);
      }
      continue;
    }
    if (fields.length <= labelIndex) {
      throw new DataFileError(file, endLine, endCol, `too few fields: ${fields.length} of ${header.length}, no '${opts.labelColumn}' cell`);
    }
    const f = fields[labelIndex];
    out.push({
      row: out.length,
      line: recLine,
      start: recStart,
      end: recEnd,
      cellStart: f.start,
      cellEnd: f.end,
      label: cells[labelIndex],
      quoted: f.quoted,
      cells,
    });
  }
  if (!header) throw new DataFileError(file, 1, 1, 'the file has no header');
  return out;
}

function jsonType(v: unknown): LabelRecord['jsonType'] {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'other';
}

function jsonlRecords(text: string, opts: LabelOptions): LabelRecord[] {
  const file = opts.file ?? 'the file';
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const out: LabelRecord[] = [];
  while (i <= n) {
    let j = i;
    while (j < n && text.charCodeAt(j) !== LF && text.charCodeAt(j) !== CR) j++;
    const s = text.slice(i, j);
    if (s.trim() !== '') {
      const scan = scanJson(s);
      if (scan.error) throw new DataFileError(file, line, scan.error.index + 1, `invalid JSON: ${scan.error.message}`);
      if (!s.trimStart().startsWith('{')) throw new DataFileError(file, line, 1, 'expected a JSON object on each line');
      const key = scan.keys.filter((k) => k.key === opts.labelColumn).pop(); // JSON.parse keeps the last duplicate
      let label: string | null = null;
      let type: LabelRecord['jsonType'] = 'null';
      let cellStart = j;
      let cellEnd = j;
      if (key) {
        const v = JSON.parse(s.slice(key.valueIndex, key.valueEnd)) as unknown;
        label = cellFromJson(v);
        type = jsonType(v);
        cellStart = i + key.valueIndex;
        cellEnd = i + key.valueEnd;
      }
      out.push({
        row: out.length,
        line,
        start: i,
        end: j,
        cellStart,
        cellEnd,
        label,
        quoted: type === 'string',
        jsonType: key ? type : undefined,
        cells: [s.trim()],
      });
    }
    if (j >= n) break;
    i = text.charCodeAt(j) === CR && text.charCodeAt(j + 1) === LF ? j + 2 : j + 1;
    line++;
  }
  return out;
}

/** True when a CSV/TSV value must be quoted to read back as itself. */
export function needsQuotes(value: string, format: 'csv' | 'tsv'): boolean {
  const delim = format === 'tsv' ? '\t' : ',';
  return value.includes(delim) || value.includes('"') || value.includes('\n') || value.includes('\r');
}

/** The text that replaces a label cell so that it reads as `value`. */
export function cellText(record: LabelRecord, value: string, format: EditFormat): string {
  if (format === 'jsonl') {
    if (record.jsonType === 'number' && /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(value) && String(Number(value)) === value) {
      return value;
    }
    if (record.jsonType === 'boolean' && (value === 'true' || value === 'false')) return value;
    return JSON.stringify(value);
  }
  return record.quoted || needsQuotes(value, format) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The edits that make the changes; checks that each row exists and still has the expected label and line. */
export function labelCellEdits(text: string, opts: LabelOptions, changes: readonly LabelChange[]): CellEdit[] {
  const file = opts.file ?? 'the file';
  const records = readLabelRecords(text, opts);
  const seen = new Set<number>();
  const edits: CellEdit[] = [];
  for (const ch of changes) {
    if (!Number.isInteger(ch.row) || ch.row < 0 || ch.row >= records.length) {
      throw new UserError(`${file}: there is no row ${ch.row} (the file has ${records.length} rows, counted from 0)`);
    }
    if (seen.has(ch.row)) throw new UserError(`${file}: row ${ch.row} is changed twice`);
    seen.add(ch.row);
    if (typeof ch.newLabel !== 'string' || ch.newLabel.trim() === '') throw new UserError(`${file}: row ${ch.row}: the new label is empty`);
    const r = records[ch.row];
    if (ch.line !== undefined && ch.line !== r.line) {
      throw new DataFileError(file, r.line, 1, `row ${ch.row} starts on line ${r.line}, not ${ch.line}: the file changed since the scan; scan again`);
    }
    if (ch.oldLabel !== undefined && ch.oldLabel !== r.label) {
      throw new DataFileError(
        file,
        r.line,
        1,
        `row ${ch.row}'s label is ${r.label === null ? 'missing' : `'${r.label}'`}, not '${ch.oldLabel}': the file changed since the scan; scan again`,
      );
    }
    if (opts.format === 'jsonl' && r.jsonType === undefined) {
      throw new DataFileError(file, r.line, 1, `row ${ch.row} has no '${opts.labelColumn}' key`);
    }
    edits.push({
      row: r.row,
      line: r.line,
      start: r.cellStart,
      end: r.cellEnd,
      oldText: text.slice(r.cellStart, r.cellEnd),
      newText: cellText(r, ch.newLabel, opts.format),
      oldLabel: r.label,
      newLabel: ch.newLabel,
    });
  }
  return edits.sort((a, b) => a.start - b.start);
}

/** The text with the edits applied (edits must not overlap). */
export function applyCellEdits(text: string, edits: readonly CellEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new Error('overlapping cell edits');
    parts.push(text.slice(at, e.start), e.newText);
    at = e.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/**
 * A content hash of a record (its cells' values, not its bytes: line endings and quoting do not
 * change it). "Mark label as correct" is keyed by it, so the mark lapses when the row's content changes.
 */
export function recordHash(record: Pick<LabelRecord, 'cells'>): string {
  const h = createHash('sha256');
  for (const c of record.cells) {
    h.update(String(c.length));
    h.update(':');
    h.update(c);
  }
  return h.digest('hex').slice(0, 24);
}
