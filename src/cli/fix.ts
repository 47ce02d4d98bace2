/**
 * `dataset-debugger fix FILE --label COL --changes CHANGES --out cleaned.csv [--log log.csv]`:
 * writes a copy of FILE with the listed rows' labels changed and every other byte kept
 * (src/edit/labelCell.ts, the same cell edits the extension makes). The changes are a change log in
 * either of the extension's forms (src/edit/changeLog.ts): JSON, an array of { row, newLabel }
 * objects with optional oldLabel and line that must match FILE, or CSV with those columns. --log
 * writes the change log of the applied changes (JSON or CSV by its extension). --suggested [--top N]
 * runs the default scan and applies the suggested labels of the first N rows it lists.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { changeLogFormatOf, formatChangeLog, parseChangeLog, rankedScore, type ChangeEntry, type ReadChange } from '../edit/changeLog';
import { applyCellEdits, editFormatOf, labelCellEdits, type CellEdit } from '../edit/labelCell';
import { UserError } from '../util/errors';
import { Session } from '../engine/session';
import type { RankBy } from '../protocol/types';
import { checkedNumberFlag, stringFlag, UsageError, type ParsedArgs } from './args';
import { progressReporter } from './progress';

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

/**
 * The suggested labels of the rows `scan FILE --label COL --top N` lists (the default scan and
 * ranking: by label issue when the detector ran, else by global influence) that have a suggestion
 * other than their label, leaving out rows in `skip`: what the extension's Export Cleaned Copy takes
 * for "the suggested labels of the listed rows". Each change carries the row's line (checked against
 * FILE) and the score it was ranked by.
 */
async function suggestedChanges(file: string, label: string, top: number, skip: ReadonlySet<number>): Promise<{ rankBy: RankBy; changes: ReadChange[] }> {
  const session = new Session();
  const progress = progressReporter();
  let summary;
  try {
    summary = (await session.scan({ file, label, firstPage: 0, relatifAtScan: false }, progress.checkpoint)).summary;
  } finally {
    progress.done();
  }
  const rankBy: RankBy = summary.detection ? 'labelIssue' : 'globalInfluence';
  const changes = session
    .page({ rankBy, offset: 0, limit: top })
    .rows.filter((e) => e.suggestedLabel !== undefined && e.suggestedLabel !== e.label && !skip.has(e.row))
    .map((e): ReadChange => ({ row: e.row, line: e.line, newLabel: e.suggestedLabel!, ...rankedScore(rankBy, e) }));
  return { rankBy, changes };
}

export async function fix(args: ParsedArgs): Promise<number> {
  if (args.flags.has('help')) throw new UsageError('help requested');
  if (args.positionals.length !== 1) throw new UsageError('give exactly one data FILE');
  const file = args.positionals[0];
  const label = stringFlag(args, 'label');
  const changesFile = stringFlag(args, 'changes');
  const out = stringFlag(args, 'out');
  const suggested = args.flags.has('suggested');
  if (!label) throw new UsageError('--label COL is required');
  if (!changesFile && !suggested) throw new UsageError('--changes CHANGES (a change log) or --suggested is required');
  if (!out) throw new UsageError('--out FILE is required (the input is never overwritten)');
  const top = checkedNumberFlag(args, 'top', 'a whole number >= 1', (n) => Number.isInteger(n) && n >= 1);
  if (top !== undefined && !suggested) throw new UsageError('--top goes with --suggested');
  const format = editFormatOf(file);
  if (!format) throw new UserError(`${file}: unknown data file extension (expected .csv, .tsv, .tab, .jsonl or .ndjson)`);
  if (sameFile(out, file)) throw new UsageError('--out must be a new file, not FILE itself');
  const log = stringFlag(args, 'log');
  const logFormat = log === undefined ? undefined : changeLogFormatOf(log);
  if (log !== undefined && !logFormat) throw new UsageError(`--log takes a .json or .csv file name (the change log's format; got '${log}')`);
  if (log !== undefined && (sameFile(log, file) || sameFile(log, out) || (changesFile !== undefined && sameFile(log, changesFile)))) {
    throw new UsageError('--log must be a new file, not FILE, --out or --changes');
  }
  const text = readText(file, 'data file');
  const changes = changesFile ? parseChanges(readText(changesFile, 'changes file'), changesFile) : [];
  // Checked before a scan (which takes a while): the listed changes fit FILE.
  labelCellEdits(text, { format, labelColumn: label, file }, changes);
  let rankBy: RankBy | undefined;
  if (suggested) {
    const s = await suggestedChanges(file, label, top ?? 20, new Set(changes.map((c) => c.row)));
    rankBy = s.rankBy;
    changes.push(...s.changes);
  }
  const edits = labelCellEdits(text, { format, labelColumn: label, file }, changes);
  writeFileSync(out, applyCellEdits(text, edits), 'utf8');
  if (log !== undefined && logFormat) writeFileSync(log, formatChangeLog(logEntries(edits, changes, new Date().toISOString()), logFormat), 'utf8');
  const result = { file, out, log, rankBy, changed: edits.map((e) => ({ row: e.row, line: e.line, oldLabel: e.oldLabel, newLabel: e.newLabel })) };
  if (args.flags.has('json')) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(
      `wrote ${out}: ${edits.length} label${edits.length === 1 ? '' : 's'} changed, every other byte as in ${file}` + (log !== undefined ? `; change log ${log}` : '') + '\n',
    );
  }
  return 0;
}
