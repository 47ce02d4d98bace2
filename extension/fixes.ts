/**
 * Fixing labels where they are found: "Change label to X" as a WorkspaceEdit on the open document
 * (one Ctrl+Z undoes it; nothing is written to disk behind the editor), "Mark label as correct"
 * (remembered per data set by the record's content hash, so the row stays out of the lists after
 * re-scans until its content changes), the change log of the edits, and the export of a cleaned copy
 * beside the original. The cell arithmetic is src/edit/labelCell.ts and the change log's JSON and CSV
 * forms src/edit/changeLog.ts (both shared with the CLI's `fix`).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  applyCellEdits,
  editFormatOf,
  labelCellEdits,
  readLabelRecords,
  recordHash,
  type LabelChange,
  type LabelRecord,
} from '../src/edit/labelCell';
import { formatChangeLog, rankedScore, type ChangeEntry } from '../src/edit/changeLog';
import type { ExampleRow } from '../src/protocol/types';
import type { RelabelResult } from '../src/protocol/worker';
import { UserFacingError } from './errorReporter';
import type { Results, ResultsStore } from './resultsStore';
import { formatScore, whySuspicious } from './treeModel';

const KEY = 'datasetDebugger.decisions.v1';

interface Decisions {
  /** Content hashes of records whose label the user marked as correct. */
  correct: string[];
  /** Label changes made in the editor (an undone change is dropped when the log is read). */
  changes: ChangeEntry[];
}

/** Per data set (training file path) decisions in workspaceState. */
export class DecisionStore implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<string>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly state: vscode.Memento) {}

  private all(): Record<string, Decisions> {
    const v = this.state.get<Record<string, Decisions>>(KEY);
    return v && typeof v === 'object' ? v : {};
  }

  get(file: string): Decisions {
    const d = this.all()[file];
    return {
      correct: Array.isArray(d?.correct) ? d.correct.filter((h) => typeof h === 'string') : [],
      changes: Array.isArray(d?.changes) ? d.changes : [],
    };
  }

  async update(file: string, fn: (d: Decisions) => void): Promise<void> {
    const all = this.all();
    const d = this.get(file);
    fn(d);
    all[file] = d;
    await this.state.update(KEY, all);
    this.emitter.fire(file);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** The text of a data file as the editor holds it (unsaved edits included), else as on disk. */
export async function documentOf(file: string): Promise<vscode.TextDocument> {
  return vscode.workspace.openTextDocument(vscode.Uri.file(file));
}

function optionsOf(r: Results) {
  const format = editFormatOf(r.params.file);
  if (!format) throw new UserFacingError(`${path.basename(r.params.file)}: labels can be changed in CSV, TSV and JSONL files only.`);
  if (!r.params.label) throw new UserFacingError('This scan has no label column (clusters): there is no label to change.');
  return { format, labelColumn: r.params.label, file: path.basename(r.params.file) };
}

/** The score a row was ranked by, for the change log. */
function scoreOf(r: Results, e: ExampleRow | undefined): { score?: number; scoreName?: string } {
  return e ? rankedScore(r.first.rankBy, e) : {};
}

export class LabelFixer implements vscode.Disposable {
  /** Rows of the shown results that leave the lists: marked correct, or changed in the editor since the scan. */
  private hiddenRows = new Set<number>();
  private hiddenFor?: string;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private readonly subs: vscode.Disposable[] = [];
  private timer?: ReturnType<typeof setTimeout>;
  private parsed?: { file: string; version: number; text: string; records: LabelRecord[] };
  private content = new Map<number, { text?: string; cells: string }>();
  private applying = 0;

  constructor(
    private readonly store: ResultsStore,
    readonly decisions: DecisionStore,
    /** The predicted effect of relabelling rows (the worker's relabel method), when the worker holds the scan. */
    private readonly predict?: (changes: { row: number; label: string }[]) => Promise<RelabelResult | undefined>,
  ) {
    this.subs.push(
      store.onDidChange(() => this.schedule(0)),
      decisions.onDidChange(() => this.schedule(0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0 && e.document.uri.fsPath === this.store.current?.params.file) this.schedule(300);
      }),
    );
    this.schedule(0);
  }

  /** Whether a label change of this fixer is being applied to the document now (its change event is the product's own). */
  get applyingEdit(): boolean {
    return this.applying > 0;
  }

  /** Rows hidden from the sidebar and the marks. */
  get hidden(): ReadonlySet<number> {
    return this.hiddenFor === this.store.current?.params.file ? this.hiddenRows : new Set();
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.recompute().catch(() => undefined), ms);
  }

  /** The file's records now (the open document's text when it is open), parsed once per document version. */
  async records(r: Results): Promise<{ doc: vscode.TextDocument; text: string; records: LabelRecord[] }> {
    const doc = await documentOf(r.params.file);
    const text = doc.getText();
    const c = this.parsed;
    if (c && c.file === r.params.file && c.version === doc.version && c.text === text) return { doc, text, records: c.records };
    const records = readLabelRecords(text, optionsOf(r));
    this.parsed = { file: r.params.file, version: doc.version, text, records };
    return { doc, text, records };
  }

  /** A short text of a listed row's content (its text columns, else its first cells), for the sidebar. */
  contentOf(row: number): { text?: string; cells: string } | undefined {
    return this.content.get(row);
  }

  private computeContent(r: Results, records: readonly LabelRecord[]): Map<number, { text?: string; cells: string }> {
    const out = new Map<number, { text?: string; cells: string }>();
    const cols = r.summary.dataset.columns;
    const format = editFormatOf(r.params.file);
    for (const e of r.first.rows) {
      const rec = records[e.row];
      if (!rec) continue;
      let named: [string, string][];
      if (format === 'jsonl') {
        try {
          const o = JSON.parse(rec.cells[0]) as Record<string, unknown>;
          named = Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
        } catch {
          continue;
        }
      } else {
        named = rec.cells.map((v, i) => [cols[i]?.name ?? `column ${i + 1}`, v]);
      }
      const kindOf = new Map(cols.map((c) => [c.name, c.kind]));
      const features = named.filter(([k]) => kindOf.get(k) !== 'label' && kindOf.get(k) !== 'ignored' && k !== r.params.label);
      const texts = features.filter(([k]) => kindOf.get(k) === 'text').map(([, v]) => v.replace(/\s+/g, ' ').trim());
      const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
      out.set(e.row, {
        text: texts.length > 0 ? clip(texts.join(' · '), 120) : undefined,
        cells: clip(features.slice(0, 8).map(([k, v]) => `${k} ${v}`).join(' · ') + (features.length > 8 ? ` · +${features.length - 8} more` : ''), 300),
      });
    }
    return out;
  }

  private async recompute(): Promise<void> {
    const r = this.store.current;
    const next = new Set<number>();
    let content = new Map<number, { text?: string; cells: string }>();
    if (r && r.params.label && editFormatOf(r.params.file)) {
      const { records } = await this.records(r);
      const d = this.decisions.get(r.params.file);
      const changedSince = d.changes.filter((c) => Date.parse(c.time) > r.scannedAt);
      const correct = new Set(d.correct);
      if (correct.size > 0) for (const rec of records) if (correct.has(recordHash(rec))) next.add(rec.row);
      for (const c of changedSince) if (records[c.row]?.label === c.newLabel) next.add(c.row);
      content = this.computeContent(r, records);
    }
    const changed =
      r?.params.file !== this.hiddenFor ||
      next.size !== this.hiddenRows.size ||
      [...next].some((x) => !this.hiddenRows.has(x)) ||
      content.size !== this.content.size ||
      [...content].some(([k, v]) => this.content.get(k)?.cells !== v.cells);
    this.content = content;
    this.hiddenRows = next;
    this.hiddenFor = r?.params.file;
    if (changed) this.emitter.fire();
  }

  private example(row: number): ExampleRow | undefined {
    return this.store.current?.first.rows.find((e) => e.row === row);
  }

  /**
   * Changes a row's label in the open document by a WorkspaceEdit. Without `label`, a quick pick
   * offers the suggested label first, then every other class. `line` (where the row is expected to
   * start) guards against a file that changed since the scan.
   */
  async changeLabel(row: number, label?: string, line?: number): Promise<boolean> {
    const r = this.store.current;
    if (!r) throw new UserFacingError('Nothing scanned yet.');
    const opts = optionsOf(r);
    const { doc, text, records } = await this.records(r);
    const rec = records[row];
    if (!rec) throw new UserFacingError(`${opts.file} has no row ${row} now (${records.length} rows): scan again.`);
    const e = this.example(row);
    let newLabel = label;
    if (newLabel === undefined) {
      const suggested = e?.suggestedLabel !== undefined && e.suggestedLabel !== rec.label ? e.suggestedLabel : undefined;
      type Item = vscode.QuickPickItem & { value: string };
      const items: Item[] = [];
      if (suggested !== undefined) items.push({ label: suggested, description: 'suggested', detail: suggestionWhy(e!, r), value: suggested });
      for (const c of r.summary.dataset.classes) {
        if (c !== suggested && c !== rec.label) items.push({ label: c, value: c });
      }
      // The predicted effect of each choice (influence: one Newton step, no refit), when available.
      if (this.predict && rec.label === e?.label) {
        await Promise.all(
          items.map(async (it) => {
            const p = await this.predict!([{ row, label: it.value }]).catch(() => undefined);
            if (p) it.detail = [it.detail, `predicted: ${describeEffect(p)}`].filter(Boolean).join(' · ');
          }),
        );
      }
      const pick = await vscode.window.showQuickPick(items, {
        title: `Dataset Debugger: change the label of row ${row} (line ${rec.line}) from '${rec.label ?? ''}' to`,
        placeHolder: 'The new label (only the label cell changes; Ctrl+Z undoes it)',
        ignoreFocusOut: true,
      });
      if (!pick) return false;
      newLabel = pick.value;
    }
    if (newLabel === rec.label) return false;
    const [edit] = labelCellEdits(text, opts, [{ row, newLabel, line: line ?? rec.line }]);
    const we = new vscode.WorkspaceEdit();
    we.replace(doc.uri, new vscode.Range(doc.positionAt(edit.start), doc.positionAt(edit.end)), edit.newText, {
      label: `Change the label of row ${row} to ${newLabel}`,
      needsConfirmation: false,
    });
    // The document's change event arrives while applyEdit runs (before its reply): decorations.ts
    // reads applyingEdit there, so that the product's own fix does not offer a re-scan.
    this.applying++;
    let applied: boolean;
    try {
      applied = await vscode.workspace.applyEdit(we);
    } finally {
      this.applying--;
    }
    if (!applied) throw new UserFacingError(`Could not change the label of row ${row}: the editor refused the edit.`);
    await this.decisions.update(r.params.file, (d) => {
      d.changes.push({ row, line: rec.line, oldLabel: rec.label ?? '', newLabel, ...scoreOf(r, e), time: new Date().toISOString() });
    });
    // With files.autoSave on, the editor saves the change by itself (after its delay or on focus
    // change): the edit is still one undoable WorkspaceEdit, and Ctrl+Z is saved the same way.
    const autoSave = vscode.workspace.getConfiguration('files', doc.uri).get<string>('autoSave', 'off');
    vscode.window.setStatusBarMessage(
      `Dataset Debugger: row ${row}: label '${rec.label ?? ''}' → '${newLabel}' ` +
        (autoSave !== 'off'
          ? `(autosave is on (${autoSave}): the file is saved with the change; Ctrl+Z undoes it and autosave saves the original again)`
          : '(Ctrl+Z undoes it; save to keep it; Re-score After Fixes ranks the file again)'),
      autoSave !== 'off' ? 15_000 : 8000,
    );
    return true;
  }

  /**
   * The predicted effect of giving `row` the label `label` (the worker's relabel, one Newton step):
   * undefined when the worker does not hold the shown scan (or it is not exact logistic regression).
   */
  async predictEffect(row: number, label: string): Promise<RelabelResult | undefined> {
    return this.predict?.([{ row, label }]);
  }

  /** Marks rows' labels as correct: they leave the lists until their content changes. */
  async markCorrect(rows: readonly number[], correct = true): Promise<void> {
    const r = this.store.current;
    if (!r || rows.length === 0) return;
    const { records } = await this.records(r);
    const hashes = rows.map((row) => records[row]).filter((x): x is LabelRecord => !!x).map(recordHash);
    await this.decisions.update(r.params.file, (d) => {
      const set = new Set(d.correct);
      for (const h of hashes) {
        if (correct) set.add(h);
        else set.delete(h);
      }
      d.correct = [...set];
    });
    vscode.window.setStatusBarMessage(
      `Dataset Debugger: ${rows.length === 1 ? `row ${rows[0]}` : `${rows.length} rows`} marked as correct${correct ? '' : ' no more'}`,
      5000,
    );
  }

  /** Changes made in the editor after the shown scan (the scan still has their old labels). */
  async changesSinceScan(r: Results): Promise<ChangeEntry[]> {
    return (await this.liveChanges(r)).filter((c) => Date.parse(c.time) > r.scannedAt);
  }

  async forgetCorrect(): Promise<number> {
    const r = this.store.current;
    if (!r) return 0;
    let n = 0;
    await this.decisions.update(r.params.file, (d) => {
      n = d.correct.length;
      d.correct = [];
    });
    return n;
  }

  /** The changes made in the editor that are still in the document (undone ones are left out). */
  async liveChanges(r: Results): Promise<ChangeEntry[]> {
    const { records } = await this.records(r);
    const last = new Map<number, ChangeEntry>();
    const first = new Map<number, ChangeEntry>();
    for (const c of this.decisions.get(r.params.file).changes) {
      if (!first.has(c.row)) first.set(c.row, c);
      last.set(c.row, c);
    }
    const out: ChangeEntry[] = [];
    for (const [row, c] of last) {
      if (records[row]?.label !== c.newLabel) continue;
      const f = first.get(row)!;
      if (f.oldLabel === c.newLabel) continue; // changed back
      out.push({ ...c, oldLabel: f.oldLabel });
    }
    return out.sort((a, b) => a.row - b.row);
  }

  /**
   * Writes a cleaned copy beside the training file (`name.cleaned.ext`) and a change log
   * (`name.changes.json` or `.csv`): the file as the editor holds it with `extra` changes applied.
   * The training file itself is not touched.
   */
  async exportCleaned(extra: readonly LabelChange[], logFormat: 'json' | 'csv'): Promise<{ cleaned: string; log: string; changes: ChangeEntry[] }> {
    const r = this.store.current;
    if (!r) throw new UserFacingError('Nothing scanned yet.');
    const opts = optionsOf(r);
    // The bytes on disk when the editor has no unsaved changes (keeps a BOM and mixed line endings
    // exactly), else the editor's text (with the file's BOM).
    const doc = await documentOf(r.params.file);
    const disk = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await vscode.workspace.fs.readFile(doc.uri));
    const text = doc.isDirty ? (disk.startsWith('\uFEFF') ? '\uFEFF' : '') + doc.getText() : disk;
    const edits = labelCellEdits(text, opts, extra);
    const out = applyCellEdits(text, edits);
    const now = new Date().toISOString();
    const byRow = new Map<number, ChangeEntry>();
    for (const c of await this.liveChanges(r)) byRow.set(c.row, c);
    for (const e of edits) {
      const prev = byRow.get(e.row);
      byRow.set(e.row, {
        row: e.row,
        line: e.line,
        oldLabel: prev?.oldLabel ?? e.oldLabel ?? '',
        newLabel: e.newLabel,
        ...scoreOf(r, this.example(e.row)),
        time: now,
      });
    }
    const changes = [...byRow.values()].sort((a, b) => a.row - b.row);
    const ext = path.extname(r.params.file);
    const base = r.params.file.slice(0, r.params.file.length - ext.length);
    const cleaned = `${base}.cleaned${ext}`;
    const log = `${base}.changes.${logFormat}`;
    await vscode.workspace.fs.writeFile(vscode.Uri.file(cleaned), Buffer.from(out, 'utf8'));
    await vscode.workspace.fs.writeFile(vscode.Uri.file(log), Buffer.from(formatChangeLog(changes, logFormat), 'utf8'));
    return { cleaned, log, changes };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}

/** A relabelling's effect in words: "test loss 0.183 → 0.171 (−0.0117), test accuracy 94.1% → 92.3%". */
export function describeEffect(p: RelabelResult, which: 'predicted' | 'actual' = 'predicted'): string {
  const m = which === 'actual' ? p.actual : p.predicted;
  if (!m) return '';
  const d = m.loss - p.before.loss;
  const what = p.on === 'test' ? 'test' : 'training (other rows)';
  return (
    `${what} loss ${p.before.loss.toFixed(4)} → ${m.loss.toFixed(4)} (${d >= 0 ? '+' : '−'}${Math.abs(d).toPrecision(2)}), ` +
    `${what} accuracy ${(p.before.accuracy * 100).toFixed(1)}% → ${(m.accuracy * 100).toFixed(1)}%` +
    // The predicted step on the EK-FAC solver uses its approximate H^-1 (a refit's actual numbers are exact).
    (which === 'predicted' && p.solve?.method === 'ekfac' ? ' (EK-FAC estimate)' : '')
  );
}

/** Why a label is suggested, in words. */
export function suggestionWhy(e: ExampleRow, r: Results): string {
  const parts: string[] = [];
  const why = whySuspicious(e);
  if (why) parts.push(why.replace(/\.$/, ''));
  else if (e.labelSuspicion !== undefined) {
    const p = Math.exp(-e.labelSuspicion);
    parts.push(`label suspicion ${formatScore(e.labelSuspicion)}: out of sample the model gives the label '${e.label}' ${(p * 100).toFixed(p < 0.01 ? 2 : 0)}%`);
  }
  if (e.predicted !== e.label) parts.push(`the fitted model predicts '${e.predicted}'`);
  if (parts.length === 0) parts.push(`ranked by ${r.first.rankBy}`);
  return parts.join('; ');
}
