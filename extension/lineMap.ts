/**
 * Row <-> line mapping for data files, without `vscode` (unit-tested).
 *
 * The worker reports the 1-based line where each record starts (`LinesResult.lines`, ascending).
 * A record occupies the lines from its start up to the line before the next record's start: a CSV
 * record with a quoted field holding line breaks spans several lines, and the record index is not
 * a line index. Lines between the header and the first record, and after the end of the last
 * record, belong to no record.
 */
import { editFormatOf } from '../src/edit/labelCell';

/**
 * The index of the record that holds `line` (1-based), by binary search over the records' start
 * lines; -1 when the line is before the first record (the header) or after `lastLine` (the last
 * line of the last record; default: anything after the last start belongs to the last record).
 */
export function recordIndexAtLine(starts: ArrayLike<number>, line: number, lastLine = Infinity): number {
  const n = starts.length;
  if (n === 0 || !(line >= starts[0]) || line > lastLine) return -1;
  let lo = 0;
  let hi = n - 1;
  // Largest i with starts[i] <= line.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= line) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The last line (1-based) of the CSV/TSV record that starts at `start`: follows quoted fields across
 * line breaks (RFC 4180: a field starting with `"` runs to the closing quote; `""` is a quote).
 * `lineAt(n)` returns the text of line n without its line break, or undefined past the end.
 * For JSONL every record is one line.
 */
export function recordEndLine(lineAt: (line: number) => string | undefined, start: number, format: 'csv' | 'tsv' | 'jsonl'): number {
  if (format === 'jsonl') return start;
  const delim = format === 'tsv' ? '\t' : ',';
  let inQuotes = false;
  let fieldStart = true;
  for (let line = start; ; line++) {
    const text = lineAt(line);
    if (text === undefined) return Math.max(start, line - 1);
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') i++;
          else inQuotes = false;
        }
      } else if (c === '"' && fieldStart) {
        inQuotes = true;
        fieldStart = false;
      } else {
        fieldStart = c === delim;
      }
    }
    if (!inQuotes) return line;
    // A line break inside a quoted field: the record goes on.
  }
}

/** The file format implied by a path's extension: the engine's own rule (src/edit/labelCell.ts). */
export const formatOfPath = editFormatOf;
