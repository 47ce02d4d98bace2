/**
 * `dataset-debugger fix FILE --label COL --changes changes.json --out cleaned.csv [--log log.csv]`:
 * writes a copy of FILE with the listed rows' labels changed and every other byte kept
 * (src/edit/labelCell.ts, the same cell edits the extension makes). The changes are a change log in
 * either of the extension's forms (src/edit/changeLog.ts): JSON, an array of { row, newLabel }
 * objects with optional oldLabel and line that must match FILE, or CSV with those columns. --log
 * writes the change log of the applied changes (JSON or CSV by its extension).
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { changeLogFormatOf, formatChangeLog, parseChangeLog, type ChangeEntry, type ReadChange } from '../edit/changeLog';
import { applyCellEdits, editFormatOf, labelCellEdits, type CellEdit } from '../edit/labelCell';
import { UserError } from '../util/errors';
import { stringFlag, UsageError, type ParsedArgs } from './args';

function readText(file: string, what: string): string {
  try {
    return new TextDecoder('utf-8', { ignoreBOM: true, fatal: true }).decode(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read the ${what}${code ? ` (${code})` : ': it is not valid UTF-8'}`);
  }
}

/** The changes file: a change log in JSON ([{ row, newLabel, oldLabel?, line? }, ...]) or CSV (src/edit/changeLog.ts). */
export function parseChanges(text: string, file: string): ReadChange[] {
  return parseChangeLog(text, file);
}

/** Whether two paths name the same file (by real path when both exist). */
function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/**
 * The change log of the applied edits, with the extension's fields: row, line and old label as
 * they are in FILE, the new label, the score (and its name) a change came with, and `time` (this run).
 */
export function logEntries(edits: readonly CellEdit[], changes: readonly ReadChange[], time: string): ChangeEntry[] {
  const byRow = new Map(changes.map((c) => [c.row, c]));
  return edits
    .map((e): ChangeEntry => {
      const c = byRow.get(e.row);
      return {
        row: e.row,
        line: e.line,
        oldLabel: e.oldLabel ?? '',
        newLabel: e.newLabel,
        ...(c?.score !== undefined ? { score: c.score } : {}),
        ...(c?.scoreName !== undefined ? { scoreName: c.scoreName } : {}),
        time,
      };
    })
    .sort((a, b) => a.row - b.row);
}

export function fix(args: ParsedArgs): number {
  if (args.flags.has('help')) throw new UsageError('help requested');
  if (args.positionals.length !== 1) throw new UsageError('give exactly one data FILE');
  const file = args.positionals[0];
  const label = stringFlag(args, 'label');
  const changesFile = stringFlag(args, 'changes');
  const out = stringFlag(args, 'out');
  if (!label) throw new UsageError('--label COL is required');
  if (!changesFile) throw new UsageError('--changes changes.json is required');
  if (!out) throw new UsageError('--out FILE is required (the input is never overwritten)');
  const format = editFormatOf(file);
  if (!format) throw new UserError(`${file}: unknown data file extension (expected .csv, .tsv, .tab, .jsonl or .ndjson)`);
  if (sameFile(out, file)) throw new UsageError('--out must be a new file, not FILE itself');
  const log = stringFlag(args, 'log');
  const logFormat = log === undefined ? undefined : changeLogFormatOf(log);
  if (log !== undefined && !logFormat) throw new UsageError(`--log takes a .json or .csv file name (the change log's format; got '${log}')`);
  if (log !== undefined && (sameFile(log, file) || sameFile(log, out) || sameFile(log, changesFile))) {
    throw new UsageError('--log must be a new file, not FILE, --out or --changes');
  }
  const text = readText(file, 'data file');
  const changes = parseChanges(readText(changesFile, 'changes file'), changesFile);
  const edits = labelCellEdits(text, { format, labelColumn: label, file }, changes);
  writeFileSync(out, applyCellEdits(text, edits), 'utf8');
  if (log !== undefined && logFormat) writeFileSync(log, formatChangeLog(logEntries(edits, changes, new Date().toISOString()), logFormat), 'utf8');
  const result = { file, out, log, changed: edits.map((e) => ({ row: e.row, line: e.line, oldLabel: e.oldLabel, newLabel: e.newLabel })) };
  if (args.flags.has('json')) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(
      `wrote ${out}: ${edits.length} label${edits.length === 1 ? '' : 's'} changed, every other byte as in ${file}` + (log !== undefined ? `; change log ${log}` : '') + '\n',
    );
  }
  return 0;
}
