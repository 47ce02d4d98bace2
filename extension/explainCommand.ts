/**
 * "Dataset Debugger: Explain Prediction": explains the row under the cursor of the test or training
 * file (the cursor line is mapped to the record that holds it with the start lines the worker read,
 * so quoted fields spanning lines are handled), or a row picked from a list.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DataSource } from '../src/protocol/webview';
import type { LinesResult } from '../src/protocol/worker';
import { UserFacingError } from './errorReporter';
import { formatOfPath, recordEndLine, recordIndexAtLine } from './lineMap';
import type { InfluencePanel } from './panelHost';
import type { ResultsStore } from './resultsStore';
import type { Scanner } from './scanner';
import type { WorkerHost } from './workerHost';

/** The line maps of the scanned files, per scan. */
export class RowLines {
  private key?: string;
  private readonly maps = new Map<DataSource, Promise<LinesResult>>();

  constructor(
    private readonly worker: WorkerHost,
    private readonly scanner: Scanner,
  ) {}

  async get(source: DataSource): Promise<LinesResult> {
    const r = await this.scanner.ensureHeld();
    if (r.summary.key !== this.key) {
      this.key = r.summary.key;
      this.maps.clear();
    }
    let m = this.maps.get(source);
    if (!m) {
      m = this.worker.request('lines', { source });
      m.catch(() => this.maps.delete(source));
      this.maps.set(source, m);
    }
    return m;
  }
}

const samePath = (a: string, b: string | undefined) => b !== undefined && path.resolve(a) === path.resolve(b);

export class ExplainCommand {
  constructor(
    private readonly store: ResultsStore,
    private readonly lines: RowLines,
    private readonly panel: InfluencePanel,
  ) {}

  /**
   * Explains a given training row (tree, hover, panel) or the row at the cursor, else asks. After an
   * unsupervised scan (no label: clusters) every explanation is a cluster explanation of a training row.
   */
  async run(arg?: { source?: DataSource; row: number }, what: 'prediction' | 'cluster' = 'prediction'): Promise<void> {
    const r = this.store.current;
    if (!r) {
      throw new UserFacingError('Nothing scanned yet: scan a training file first.', [
        { title: 'Scan', run: () => vscode.commands.executeCommand('datasetDebugger.scan') },
      ]);
    }
    const clusters = r.params.unsupervised === true;
    if (what === 'cluster' && !clusters) {
      throw new UserFacingError(
        'Explain Cluster Membership needs a scan without a label column (clusters). Run “Dataset Debugger: Configure Dataset…” and choose “No label: find clusters”.',
      );
    }
    const explainRow = (source: DataSource, row: number) => (clusters ? this.panel.explainCluster(row) : this.panel.explain(source, row));
    if (arg && Number.isInteger(arg.row)) {
      await explainRow(clusters ? 'train' : (arg.source ?? 'train'), arg.row);
      return;
    }
    const editor = vscode.window.activeTextEditor;
    const file = editor?.document.uri.fsPath;
    const source: DataSource | undefined =
      editor?.document.uri.scheme === 'file' && file
        ? samePath(file, r.params.test) && !clusters
          ? 'test'
          : samePath(file, r.params.file)
            ? 'train'
            : undefined
        : undefined;
    if (editor && source) {
      if (editor.document.isDirty || this.store.stale) {
        const pick = await vscode.window.showWarningMessage(
          `${path.basename(editor.document.uri.fsPath)} changed since the scan, so the cursor may not be on the row it was. Re-scan first?`,
          'Re-scan',
          'Explain Anyway',
        );
        if (pick === 'Re-scan') {
          await vscode.commands.executeCommand('datasetDebugger.scan');
          return;
        }
        if (pick !== 'Explain Anyway') return;
      }
      const map = await this.lines.get(source);
      const doc = editor.document;
      const format = formatOfPath(doc.uri.fsPath) ?? 'csv';
      const lastStart = map.lines[map.lines.length - 1];
      const lastLine =
        lastStart === undefined
          ? 0
          : recordEndLine((n) => (n >= 1 && n <= doc.lineCount ? doc.lineAt(n - 1).text : undefined), lastStart, format);
      const cursorLine = editor.selection.active.line + 1;
      const i = recordIndexAtLine(map.lines, cursorLine, lastLine);
      if (i >= 0) {
        await explainRow(source, map.rows[i]);
        return;
      }
      vscode.window.setStatusBarMessage(`Dataset Debugger: line ${cursorLine} is not a data row; pick one`, 5000);
      await this.pick(source, clusters);
      return;
    }
    await this.pick(r.params.test && !clusters ? 'test' : 'train', clusters);
  }

  private async pick(source: DataSource, clusters: boolean): Promise<void> {
    const r = this.store.current!;
    const map = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Dataset Debugger: reading rows' },
      () => this.lines.get(source),
    );
    const name = path.basename(source === 'test' ? r.params.test! : r.params.file);
    const items = map.rows.map((row, i) => ({
      label: `${source} row ${row}`,
      description: `line ${map.lines[i]}` + (map.labels[i] !== null && !clusters ? ` · label ${map.labels[i]}` : ''),
      row,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      title: clusters ? `Dataset Debugger: explain the cluster of a row of ${name}` : `Dataset Debugger: explain the prediction for a row of ${name}`,
      placeHolder: clusters ? 'Type a row number' : 'Type a row number or a label',
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (picked) await (clusters ? this.panel.explainCluster(picked.row) : this.panel.explain(source, picked.row));
  }
}
