/**
 * The review flow over the listed suspicious rows (the Suspicious Rows view's rows, in its order):
 * next / previous undecided row (Alt+] / Alt+[ in the training file), accept the suggested label
 * (Alt+A) or reject it, i.e. mark the label correct (Alt+R); each decision moves on. A status bar item
 * shows the progress ("37 of 50 reviewed"): rows fixed, marked correct or marked reviewed count.
 * The position is remembered per data set (workspaceState).
 */
import * as vscode from 'vscode';
import type { ExampleRow } from '../src/protocol/types';
import { datasetFolder, readSettings } from './config';
import type { DecorationController } from './decorations';
import { UserFacingError } from './errorReporter';
import type { LabelFixer } from './fixes';
import { openAtLine } from './navigation';
import type { ResultsStore } from './resultsStore';
import type { ReviewedStore } from './reviewedStore';
import { reviewProgress } from './treeModel';

const KEY = 'datasetDebugger.review.v1';

export class ReviewFlow implements vscode.Disposable {
  private readonly status = vscode.window.createStatusBarItem('datasetDebugger.review', vscode.StatusBarAlignment.Left, 50);
  private readonly progressEmitter = new vscode.EventEmitter<{ done: number; total: number }>();
  /** Fires with the progress whenever the status bar is updated (the panel shows it too). */
  readonly onDidChangeProgress = this.progressEmitter.event;
  private readonly subs: vscode.Disposable[] = [];
  /** The training file last sent as the `datasetDebugger.trainFiles` context key ('' = none). */
  private contextFile?: string;

  constructor(
    private readonly store: ResultsStore,
    private readonly fixer: LabelFixer,
    private readonly reviewed: ReviewedStore,
    private readonly marks: DecorationController,
    private readonly state: vscode.Memento,
  ) {
    this.status.name = 'Dataset Debugger: review progress';
    this.status.command = 'datasetDebugger.nextRow';
    this.subs.push(
      this.status,
      store.onDidChange(() => this.update()),
      fixer.onDidChange(() => this.update()),
      reviewed.onDidChange(() => this.update()),
    );
    this.update();
  }

  /** The rows under review: the view's listed rows. */
  private listed(): ExampleRow[] {
    const r = this.store.current;
    if (!r || r.params.unsupervised) return [];
    const n = readSettings(datasetFolder(vscode.Uri.file(r.params.file))).sidebarRows;
    return r.first.rows.slice(0, n);
  }

  private decidedSet(): Set<number> {
    const r = this.store.current;
    const out = new Set<number>(this.fixer.hidden);
    if (r) for (const x of this.reviewed.rows(r.params.file)) out.add(x);
    return out;
  }

  private update(): void {
    const r = this.store.current;
    const rows = this.listed();
    // The review keys' `when` clause tests the editor's own resource against this list: set when the
    // results change, not on every editor switch, so a key pressed right after opening the file works
    // (a context key set from onDidChangeActiveTextEditor arrives after the switch, and a key pressed
    // before it is lost).
    const file = r?.params.file ?? '';
    if (file !== this.contextFile) {
      this.contextFile = file;
      void vscode.commands.executeCommand('setContext', 'datasetDebugger.trainFiles', file ? [file] : []);
    }
    if (!r || rows.length === 0) {
      this.progressEmitter.fire({ done: 0, total: 0 });
      this.status.hide();
      return;
    }
    const p = reviewProgress(rows.map((e) => e.row), this.decidedSet());
    this.progressEmitter.fire(p);
    this.status.text = `$(checklist) ${p.done} of ${p.total} reviewed`;
    this.status.tooltip = new vscode.MarkdownString(
      `Dataset Debugger: ${p.done} of the ${p.total} listed rows of ${vscode.workspace.asRelativePath(r.params.file)} are fixed, marked correct or reviewed.\n\n` +
        'In the training file: **Alt+]** / **Alt+[** next / previous row, **Alt+A** accept the suggested label, **Alt+R** reject it (the label is correct). Click: next row.',
    );
    this.status.show();
  }

  private position(): number {
    const r = this.store.current;
    const v = r && this.state.get<Record<string, number>>(KEY)?.[r.params.file];
    return typeof v === 'number' ? v : -1;
  }

  private async setPosition(i: number): Promise<void> {
    const r = this.store.current;
    if (!r) return;
    const all = { ...(this.state.get<Record<string, number>>(KEY) ?? {}) };
    all[r.params.file] = i;
    await this.state.update(KEY, all);
  }

  /** The listed row under the cursor in the training file, if any. */
  private rowAtCursor(): { row: ExampleRow; index: number } | undefined {
    const r = this.store.current;
    const ed = vscode.window.activeTextEditor;
    if (!r || !ed || ed.document.uri.fsPath !== r.params.file) return undefined;
    const line = ed.selection.active.line + 1;
    const rows = this.listed();
    const index = rows.findIndex((e) => (this.marks.lineOf(e.row) ?? e.line) === line);
    return index >= 0 ? { row: rows[index], index } : undefined;
  }

  /** Opens the next (dir 1) or previous (-1) undecided listed row. */
  async move(dir: 1 | -1): Promise<void> {
    const r = this.store.current;
    const rows = this.listed();
    if (!r || rows.length === 0) throw new UserFacingError('Nothing to review: scan a labelled data set first.');
    const decided = this.decidedSet();
    const from = this.rowAtCursor()?.index ?? this.position();
    const start = from < 0 && dir === -1 ? rows.length : from;
    for (let i = start + dir; i >= 0 && i < rows.length; i += dir) {
      if (decided.has(rows[i].row)) continue;
      await this.setPosition(i);
      await openAtLine(r.params.file, this.marks.lineOf(rows[i].row) ?? rows[i].line, 1, true);
      const e = rows[i];
      const p = reviewProgress(rows.map((x) => x.row), decided);
      vscode.window.setStatusBarMessage(
        `Dataset Debugger: rank ${i + 1}, row ${e.row}: label '${e.label}'` +
          (e.suggestedLabel !== undefined && e.suggestedLabel !== e.label ? `, suggested '${e.suggestedLabel}' (Alt+A accepts, Alt+R keeps the label)` : ' (Alt+R: the label is correct)') +
          ` · ${p.done} of ${p.total} reviewed`,
        15_000,
      );
      return;
    }
    vscode.window.setStatusBarMessage(`Dataset Debugger: no ${dir === 1 ? 'further' : 'earlier'} undecided row among the ${rows.length} listed`, 8000);
  }

  /** Accepts the suggested label of the row under the cursor (or the current one), then moves on. */
  async accept(): Promise<void> {
    const at = this.current();
    const e = at.row;
    if (e.suggestedLabel === undefined || e.suggestedLabel === e.label) {
      throw new UserFacingError(`Row ${e.row} has no suggested label: use Change Label… for any class, or Alt+R if its label is correct.`);
    }
    if (await this.fixer.changeLabel(e.row, e.suggestedLabel, this.marks.lineOf(e.row) ?? e.line)) await this.move(1);
  }

  /** Rejects the suggestion (marks the label correct), then moves on. */
  async reject(): Promise<void> {
    const at = this.current();
    await this.fixer.markCorrect([at.row.row]);
    await this.move(1);
  }

  private current(): { row: ExampleRow; index: number } {
    const c = this.rowAtCursor();
    if (c) return c;
    const rows = this.listed();
    const i = this.position();
    if (i >= 0 && i < rows.length) return { row: rows[i], index: i };
    throw new UserFacingError('Put the cursor on a listed row of the training file (Alt+] goes to the next one).');
  }

  /** The progress the status bar shows (total 0 when there is nothing to review), for the panel. */
  get progress(): { done: number; total: number } {
    const rows = this.listed();
    return rows.length === 0 ? { done: 0, total: 0 } : reviewProgress(rows.map((e) => e.row), this.decidedSet());
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.progressEmitter.dispose();
  }
}
