/**
 * Opening a data file at a line: the editor shows the file with the line selected (cursor at its
 * start) and revealed in the middle, in the active editor or another group that already shows the file, or one beside
 * the influence panel so the panel stays visible.
 */
import * as vscode from 'vscode';
import { formatOfPath, recordEndLine } from './lineMap';

let panelColumn: () => vscode.ViewColumn | undefined = () => undefined;

/** Lets navigation avoid the panel's editor group (set by the panel host). */
export function setPanelColumnProvider(f: () => vscode.ViewColumn | undefined): void {
  panelColumn = f;
}

function targetColumn(uri: vscode.Uri): vscode.ViewColumn {
  // The active editor first when it shows the file (a review key pressed in the second of two editors
  // of one file moves that editor's cursor), then any group that shows it.
  const active = vscode.window.activeTextEditor;
  if (active?.viewColumn && active.document.uri.toString() === uri.toString()) return active.viewColumn;
  const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  if (shown?.viewColumn) return shown.viewColumn;
  const p = panelColumn();
  if (p === undefined) return vscode.window.activeTextEditor?.viewColumn ?? vscode.ViewColumn.One;
  const other = vscode.window.visibleTextEditors.find((e) => e.viewColumn !== undefined && e.viewColumn !== p);
  if (other?.viewColumn) return other.viewColumn;
  return p === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
}

/**
 * Opens `file` with 1-based `line` selected (the whole line; the cursor at `column`, default 1).
 * With `wholeRecord`, a CSV/TSV record whose quoted field spans lines is selected to its last line.
 * Lines past the end are clamped to the last line.
 */
export async function openAtLine(file: string | vscode.Uri, line: number, column = 1, wholeRecord = false): Promise<vscode.TextEditor> {
  const uri = typeof file === 'string' ? vscode.Uri.file(file) : file;
  const doc = await vscode.workspace.openTextDocument(uri);
  const l = Math.min(Math.max(0, line - 1), Math.max(0, doc.lineCount - 1));
  const text = doc.lineAt(l);
  const c = Math.min(Math.max(0, column - 1), text.range.end.character);
  const format = formatOfPath(uri.fsPath);
  const last =
    wholeRecord && format
      ? Math.min(doc.lineCount, recordEndLine((n) => (n >= 1 && n <= doc.lineCount ? doc.lineAt(n - 1).text : undefined), l + 1, format)) - 1
      : l;
  // Anchor at the end of the record's last line, cursor at the column of its first: the record is
  // highlighted and the status bar reports the record's (first) line.
  const selection = new vscode.Selection(last, doc.lineAt(last).range.end.character, l, c);
  const editor = await vscode.window.showTextDocument(doc, { viewColumn: targetColumn(uri), preview: true });
  // Set after showing: the `selection` show option is a Range and would put the cursor at the end.
  editor.selection = selection;
  // Reveal the cursor, not the whole line: an error's column far to the right of a long line is
  // scrolled into view too.
  editor.revealRange(new vscode.Range(l, c, l, c), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}
