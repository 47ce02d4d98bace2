/**
 * `dataset-debugger fix FILE --label COL --changes changes.json --out cleaned.csv`: writes a copy of
 * FILE with the listed rows' labels changed and every other byte kept (src/edit/labelCell.ts, the
 * same cell edits the extension makes). changes.json is an array of { row, newLabel } objects, with
 * optional oldLabel and line that must match FILE (the extension's change log has this form).
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { applyCellEdits, editFormatOf, labelCellEdits, type LabelChange } from '../edit/labelCell';
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

/** The changes file: [{ row, newLabel, oldLabel?, line? }, ...]; errors name the entry. */
export function parseChanges(text: string, file: string): LabelChange[] {
  let v: unknown;
  try {
    v = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(v)) throw new UserError(`${file}: expected a JSON array of { "row": N, "newLabel": "..." } objects`);
  return v.map((x: unknown, i: number): LabelChange => {
    const o = x as Record<string, unknown>;
    const bad = (why: string) => new UserError(`${file}: entry ${i} ${why}`);
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw bad('is not an object');
    if (!Number.isInteger(o.row) || (o.row as number) < 0) throw bad('has no "row" (a 0-based data row)');
    if (typeof o.newLabel !== 'string') throw bad('has no "newLabel" string');
    if (o.oldLabel !== undefined && typeof o.oldLabel !== 'string') throw bad('has an "oldLabel" that is not a string');
    if (o.line !== undefined && !Number.isInteger(o.line)) throw bad('has a "line" that is not an integer');
    return { row: o.row as number, newLabel: o.newLabel, oldLabel: o.oldLabel as string | undefined, line: o.line as number | undefined };
  });
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
  const same = (() => {
    try {
      return realpathSync(out) === realpathSync(file);
    } catch {
      return resolve(out) === resolve(file);
    }
  })();
  if (same) throw new UsageError('--out must be a new file, not FILE itself');
  const text = readText(file, 'data file');
  const changes = parseChanges(readText(changesFile, 'changes file'), changesFile);
  const edits = labelCellEdits(text, { format, labelColumn: label, file }, changes);
  writeFileSync(out, applyCellEdits(text, edits), 'utf8');
  const result = { file, out, changed: edits.map((e) => ({ row: e.row, line: e.line, oldLabel: e.oldLabel, newLabel: e.newLabel })) };
  if (args.flags.has('json')) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(`wrote ${out}: ${edits.length} label${edits.length === 1 ? '' : 's'} changed, every other byte as in ${file}\n`);
  return 0;
}
