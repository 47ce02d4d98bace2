/**
 * Quick Fixes (Ctrl+.) on a marked row of the training file: change its label to the suggested one,
 * to any class, or mark the label as correct. Each runs a command so the change is logged; the
 * label change itself is a WorkspaceEdit (fixes.ts).
 */
import * as vscode from 'vscode';
import type { DecorationController } from './decorations';
import type { LabelFixer } from './fixes';
import type { ResultsStore } from './resultsStore';

export class LabelFixActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(
    private readonly marks: DecorationController,
    private readonly store: ResultsStore,
    private readonly fixer: LabelFixer,
  ) {}

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    const r = this.store.current;
    if (!r || !r.params.label || r.params.unsupervised || doc.uri.fsPath !== r.params.file) return [];
    const mark = this.marks.markAt(doc.uri, range.start.line + 1);
    if (!mark || this.fixer.hidden.has(mark.example.row)) return [];
    const e = mark.example;
    const arg = { row: e.row, line: mark.line };
    const actions: vscode.CodeAction[] = [];
    if (e.suggestedLabel !== undefined && e.suggestedLabel !== e.label) {
      const a = new vscode.CodeAction(`Change label to '${e.suggestedLabel}' (suggested)`, vscode.CodeActionKind.QuickFix);
      a.isPreferred = true;
      a.command = { command: 'datasetDebugger.changeLabel', title: a.title, arguments: [{ ...arg, label: e.suggestedLabel }] };
      actions.push(a);
    }
    const any = new vscode.CodeAction(`Change label of row ${e.row} to…`, vscode.CodeActionKind.QuickFix);
    any.command = { command: 'datasetDebugger.changeLabel', title: any.title, arguments: [arg] };
    actions.push(any);
    const ok = new vscode.CodeAction(`Mark label '${e.label}' of row ${e.row} as correct`, vscode.CodeActionKind.QuickFix);
    ok.command = { command: 'datasetDebugger.markCorrect', title: ok.title, arguments: [arg] };
    actions.push(ok);
    return actions;
  }
}
