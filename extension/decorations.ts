/**
 * Marks the top suspicious rows in the training file: a gutter icon and an overview ruler mark at the
 * line where each record starts (the top `datasetDebugger.maxMarkedRows` ranks; reviewed rows get a
 * quieter icon). Marks follow edits of the file (markTracker.ts); a mark whose line is edited goes
 * away, and the first edit flags the results as out of date and offers a re-scan. When the file changed
 * outside the editor, all marks go (their lines are unknown).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExampleRow } from '../src/protocol/types';
import { readSettings } from './config';
import { applyEdits } from './markTracker';
import type { Results, ResultsStore } from './resultsStore';
import type { LabelFixer } from './fixes';
import type { ReviewedStore } from './reviewedStore';
import { RescanOffer } from './rescanOffer';

export interface Mark {
  example: ExampleRow;
  /** 0-based rank in the ranking. */
  rank: number;
  /** Current 1-based line (after edits). */
  line: number;
}

export const EDITED_REASON = 'the training file was edited since the scan';

export class DecorationController implements vscode.Disposable {
  private readonly suspicious: vscode.TextEditorDecorationType;
  private readonly reviewedType: vscode.TextEditorDecorationType;
  /** Data row -> mark. */
  private marks = new Map<number, Mark>();
  private byLine = new Map<number, Mark>();
  private fileUri?: string;
  private readonly subs: vscode.Disposable[] = [];
  private readonly rescan = new RescanOffer<Results>();
  private editing = false;

  constructor(
    media: vscode.Uri,
    private readonly store: ResultsStore,
    private readonly reviewed: ReviewedStore,
    private readonly fixer?: LabelFixer,
  ) {
    this.suspicious = vscode.window.createTextEditorDecorationType({
      gutterIconPath: vscode.Uri.joinPath(media, 'mark-suspicious.svg'),
      gutterIconSize: 'contain',
      overviewRulerColor: new vscode.ThemeColor('datasetDebugger.suspiciousRowRuler'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      isWholeLine: true,
    });
    this.reviewedType = vscode.window.createTextEditorDecorationType({
      gutterIconPath: vscode.Uri.joinPath(media, 'mark-reviewed.svg'),
      gutterIconSize: 'contain',
      isWholeLine: true,
    });
    this.subs.push(
      this.suspicious,
      this.reviewedType,
      store.onDidChange((kind) => {
        if (kind === 'results') this.rebuild();
        else if (!this.editing) this.clear(); // changed outside the editor: the lines are unknown
      }),
      reviewed.onDidChange(() => this.applyAll()),
      ...(fixer ? [fixer.onDidChange(() => this.applyAll())] : []),
      vscode.window.onDidChangeVisibleTextEditors(() => this.applyAll()),
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('datasetDebugger.maxMarkedRows') && this.rebuild()),
    );
    this.rebuild();
  }

  /** The mark at a 1-based line of `uri`, if any. */
  markAt(uri: vscode.Uri, line: number): Mark | undefined {
    return uri.toString() === this.fileUri ? this.byLine.get(line) : undefined;
  }

  /** The current line of a training row, if it is marked (it may have moved with edits). */
  lineOf(row: number): number | undefined {
    return this.marks.get(row)?.line;
  }

  private rebuild(): void {
    const r = this.store.current;
    this.marks = new Map();
    this.fileUri = r ? vscode.Uri.file(r.params.file).toString() : undefined;
    this.rescan.resultsShown(r);
    if (r && !this.store.stale) {
      const max = readSettings().maxMarkedRows;
      r.first.rows.slice(0, max).forEach((example, i) => {
        this.marks.set(example.row, { example, rank: example.rank ?? i, line: example.line });
      });
    }
    this.index();
    this.applyAll();
  }

  private clear(): void {
    this.marks = new Map();
    this.index();
    this.applyAll();
  }

  private index(): void {
    this.byLine = new Map([...this.marks.values()].map((m) => [m.line, m]));
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0 || e.document.uri.toString() !== this.fileUri) return;
    if (this.marks.size > 0) {
      const lines = new Map([...this.marks].map(([row, m]) => [row, m.line]));
      const moved = applyEdits(lines, e.contentChanges);
      const next = new Map<number, Mark>();
      for (const [row, line] of moved) next.set(row, { ...this.marks.get(row)!, line });
      this.marks = next;
      this.index();
      this.applyAll();
    }
    if (!this.store.stale) {
      this.editing = true;
      try {
        this.store.markStale(EDITED_REASON);
      } finally {
        this.editing = false;
      }
    }
    // Not for the product's own label fixes nor an undo / redo (Ctrl+Z of a fix is part of fixing; the
    // notification cannot be closed and stayed beside the re-score's status), and once per shown
    // results (rescanOffer.ts).
    const offeredFor = this.rescan.edit(this.fixer?.applyingEdit === true || e.reason !== undefined);
    if (offeredFor) {
      void vscode.window
        .showInformationMessage(
          `${path.basename(e.document.uri.fsPath)} changed since the last scan: the suspicious rows may be out of date.`,
          'Re-scan',
        )
        .then((pick) => {
          if (!pick) return;
          if (this.rescan.current(offeredFor)) return vscode.commands.executeCommand('datasetDebugger.scan');
          vscode.window.setStatusBarMessage('Dataset Debugger: already scanned again since that edit', 5000);
        });
    }
  }

  private applyAll(): void {
    for (const editor of vscode.window.visibleTextEditors) this.apply(editor);
  }

  private apply(editor: vscode.TextEditor): void {
    if (editor.document.uri.toString() !== this.fileUri) return;
    const file = this.store.current?.params.file;
    const reviewed = file ? this.reviewed.rows(file) : new Set<number>();
    const open: vscode.Range[] = [];
    const done: vscode.Range[] = [];
    const last = editor.document.lineCount - 1;
    const hidden = this.fixer?.hidden;
    for (const m of this.marks.values()) {
      if (hidden?.has(m.example.row)) continue;
      const l = m.line - 1;
      if (l < 0 || l > last) continue;
      (reviewed.has(m.example.row) ? done : open).push(new vscode.Range(l, 0, l, 0));
    }
    editor.setDecorations(this.suspicious, open);
    editor.setDecorations(this.reviewedType, done);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}
