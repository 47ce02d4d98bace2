/**
 * The command palette, menu and view commands (package.json "contributes.commands"), each a thin
 * wrapper that hands the work to the feature that owns it and reports failures the same way.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExampleRow } from '../src/protocol/types';
import { datasetFolder, readSettings } from './config';
import { settingsTrainFile } from './datasets';
import { resolveScanParams } from './configFlow';
import type { DecorationController } from './decorations';
import { reportError, UserFacingError } from './errorReporter';
import type { ExplainCommand } from './explainCommand';
import { describeEffect, type LabelFixer } from './fixes';
import { paramsFor, type DatasetConfigs } from './datasets';
import { ResultsCache } from './resultsCache';
import type { ReviewFlow } from './review';
import { formatOfPath, recordEndLine } from './lineMap';
import { openAtLine } from './navigation';
import type { InfluencePanel } from './panelHost';
import type { ResultsStore } from './resultsStore';
import type { ReviewedStore } from './reviewedStore';
import type { Scanner } from './scanner';
import { VIEW_ID, type SuspiciousTree } from './suspiciousTree';
import type { TreeNode } from './treeModel';
import type { WorkerHost } from './workerHost';

export interface CommandDeps {
  log: vscode.LogOutputChannel;
  store: ResultsStore;
  reviewed: ReviewedStore;
  worker: WorkerHost;
  scanner: Scanner;
  tree: SuspiciousTree;
  decorations: DecorationController;
  panel: InfluencePanel;
  explain: ExplainCommand;
  fixer: LabelFixer;
  configs: DatasetConfigs;
  cache: ResultsCache;
  review: ReviewFlow;
}

/** A row argument: a tree node, or { row, line } from a hover link or an internal call. */
type RowArg = TreeNode | { row: number; line?: number } | undefined;

function rowOf(arg: RowArg): { row: number; line?: number } | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  if ('kind' in arg) return arg.kind === 'row' ? { row: arg.example.row, line: arg.example.line } : undefined;
  return Number.isInteger(arg.row) ? { row: arg.row, line: Number.isInteger(arg.line) ? arg.line : undefined } : undefined;
}

/** Rows a tree command applies to: the selection when the clicked node is part of it, else the node. */
function rowsOf(arg: RowArg, selected?: readonly TreeNode[]): { row: number; line?: number }[] {
  const one = rowOf(arg);
  if (selected && selected.length > 1 && arg && 'kind' in arg && selected.includes(arg)) {
    return selected.flatMap((n) => (n.kind === 'row' ? [rowOf(n)!] : n.rows.map((r) => rowOf(r)!)));
  }
  return one ? [one] : [];
}

/**
 * Shows a data set's last scan from the cache (the views follow). False when it has none for its
 * current configuration.
 */
export async function showDataset(d: Pick<CommandDeps, 'store' | 'configs' | 'cache' | 'log'>, file: string): Promise<boolean> {
  const params = paramsFor(file, d.configs);
  const found = params && d.cache.find(params);
  if (!found || found.results.params.file !== path.resolve(file)) return false;
  const stale = (await ResultsCache.staleness(found.results)) ?? (found.sameParams ? undefined : 'the settings changed since the scan');
  d.store.set(found.results, stale);
  d.log.info(`showing the scan of ${found.results.params.file} from ${new Date(found.results.scannedAt).toISOString()}${stale ? `; out of date: ${stale}` : ''}`);
  return true;
}

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const cmd = (id: string, what: string, fn: (...args: never[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        await fn(...args);
      } catch (err) {
        reportError(d.log, what, err);
      }
    });

  const exampleOf = (row: number): ExampleRow | undefined => d.store.current?.first.rows.find((e) => e.row === row);

  const scan = async (uri?: vscode.Uri, ask = false) => {
    const params = await resolveScanParams(d.worker, d.configs, uri instanceof vscode.Uri ? uri : undefined, ask, d.store.current?.params);
    if (!params) return;
    const t0 = Date.now();
    const results = await d.scanner.scan(params);
    if (!results) return;
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
    const m = results.summary.model;
    vscode.window.setStatusBarMessage(
      `Dataset Debugger: scanned ${results.summary.dataset.rows} rows of ${path.basename(params.file)} in ` +
        `${((Date.now() - t0) / 1000).toFixed(1)} s` +
        (Number.isFinite(m.trainAccuracy) ? ` (train accuracy ${(m.trainAccuracy * 100).toFixed(1)}%)` : ''),
      10_000,
    );
  };

  const setReviewed = async (arg: RowArg, selected: readonly TreeNode[] | undefined, reviewed: boolean) => {
    const r = d.store.current;
    const rows = rowsOf(arg, selected);
    if (!r || rows.length === 0) return;
    await d.reviewed.set(
      r.params.file,
      rows.map((x) => x.row),
      reviewed,
    );
  };

  return [
    cmd('datasetDebugger.scan', 'scan', (uri?: vscode.Uri) => scan(uri)),
    cmd('datasetDebugger.configure', 'configure', async () => {
      const current = d.store.current?.params.file;
      await scan(current ? vscode.Uri.file(current) : undefined, true);
    }),
    cmd('datasetDebugger.explainPrediction', 'explain prediction', () => d.explain.run()),
    cmd('datasetDebugger.explainCluster', 'explain cluster membership', () => d.explain.run(undefined, 'cluster')),
    cmd('datasetDebugger.explainRow', 'explain row', async (arg: RowArg) => {
      const r = rowOf(arg);
      if (!r) throw new UserFacingError('Choose a row in the Suspicious Rows view to explain.');
      await d.explain.run({ source: 'train', row: r.row });
    }),
    cmd('datasetDebugger.openPanel', 'open panel', () => d.panel.show()),
    cmd('datasetDebugger.revealRow', 'go to row', async (arg: RowArg) => {
      const r = rowOf(arg);
      const results = d.store.current;
      if (!r || !results) return;
      // A marked row may have moved with edits since the scan.
      const line = d.decorations.lineOf(r.row) ?? r.line ?? exampleOf(r.row)?.line;
      if (line === undefined) throw new UserFacingError(`Row ${r.row} is not among the listed rows.`);
      await openAtLine(results.params.file, line, 1, true);
    }),
    cmd('datasetDebugger.markReviewed', 'mark as reviewed', (arg: RowArg, selected?: readonly TreeNode[]) => setReviewed(arg, selected, true)),
    cmd('datasetDebugger.unmarkReviewed', 'mark as not reviewed', (arg: RowArg, selected?: readonly TreeNode[]) =>
      setReviewed(arg, selected, false),
    ),
    cmd('datasetDebugger.copyRow', 'copy row', async (arg: RowArg, selected?: readonly TreeNode[]) => {
      const results = d.store.current;
      const rows = rowsOf(arg, selected);
      if (!results || rows.length === 0) return;
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(results.params.file));
      const format = formatOfPath(results.params.file) ?? 'csv';
      const lineAt = (n: number) => (n >= 1 && n <= doc.lineCount ? doc.lineAt(n - 1).text : undefined);
      const texts: string[] = [];
      for (const r of rows) {
        const start = d.decorations.lineOf(r.row) ?? r.line ?? exampleOf(r.row)?.line;
        if (start === undefined || start > doc.lineCount) continue;
        const end = recordEndLine(lineAt, start, format);
        texts.push(doc.getText(new vscode.Range(start - 1, 0, end - 1, doc.lineAt(end - 1).text.length)));
      }
      await vscode.env.clipboard.writeText(texts.join('\n'));
      vscode.window.setStatusBarMessage(`Dataset Debugger: copied ${texts.length === 1 ? `row ${rows[0].row}` : `${texts.length} rows`}`, 4000);
    }),
    cmd('datasetDebugger.groupByClass', 'group by class', () => d.tree.setMode('byClass')),
    cmd('datasetDebugger.showRanked', 'show ranked list', () => d.tree.setMode('ranked')),
    cmd('datasetDebugger.filterByClass', 'filter by class', async () => {
      const r = d.store.current;
      if (!r) throw new UserFacingError('Nothing scanned yet.');
      const current = new Set(d.tree.classFilter);
      const picks = await vscode.window.showQuickPick(
        r.summary.dataset.classes.map((c) => ({ label: c, picked: current.has(c) })),
        { canPickMany: true, title: 'Dataset Debugger: show rows labelled', placeHolder: 'Pick classes (none = all classes)', ignoreFocusOut: true },
      );
      if (picks) await d.tree.setClassFilter(picks.map((p) => p.label));
    }),
    cmd('datasetDebugger.clearClassFilter', 'clear class filter', () => d.tree.setClassFilter([])),
    cmd('datasetDebugger.showLog', 'show log', () => d.log.show()),
    cmd('datasetDebugger.switchDataset', 'switch data set', async () => {
      const files = new Set<string>([...d.cache.files(), ...d.configs.files()]);
      const own = settingsTrainFile();
      if (own) files.add(own);
      const current = d.store.current?.params.file;
      const items = [...files].sort().map((f) => {
        const p = paramsFor(f, d.configs);
        const cached = p ? d.cache.find(p) : undefined;
        return {
          label: vscode.workspace.asRelativePath(f),
          description: f === current ? 'shown' : cached?.sameParams ? `scanned ${new Date(cached.results.scannedAt).toLocaleString()}` : 'not scanned',
          detail: p ? (p.unsupervised ? 'no label: clusters' : `label ${p.label}${p.test ? ` · test ${vscode.workspace.asRelativePath(p.test)}` : ''}`) : undefined,
          file: f,
        };
      });
      const pick = await vscode.window.showQuickPick(items, { title: 'Dataset Debugger: show which data set?', ignoreFocusOut: true });
      if (!pick || pick.file === current) return;
      if (!(await showDataset(d, pick.file))) await scan(vscode.Uri.file(pick.file));
    }),
    cmd('datasetDebugger.changeLabel', 'change label', async (arg: RowArg & { label?: unknown }, selected?: readonly TreeNode[]) => {
      const rows = rowsOf(arg, selected);
      if (rows.length === 0) throw new UserFacingError('Choose a row in the Suspicious Rows view or put the cursor on a marked row.');
      const label = arg && 'label' in arg && typeof arg.label === 'string' ? arg.label : undefined;
      if (rows.length === 1) {
        const r = rows[0];
        await d.fixer.changeLabel(r.row, label, d.decorations.lineOf(r.row) ?? r.line);
        return;
      }
      // Several rows: each to its suggested label.
      for (const r of rows) {
        const s = exampleOf(r.row)?.suggestedLabel;
        if (s !== undefined) await d.fixer.changeLabel(r.row, s, d.decorations.lineOf(r.row) ?? r.line);
      }
    }),
    cmd('datasetDebugger.markCorrect', 'mark label as correct', (arg: RowArg, selected?: readonly TreeNode[]) =>
      d.fixer.markCorrect(rowsOf(arg, selected).map((r) => r.row)),
    ),
    cmd('datasetDebugger.nextRow', 'next suspicious row', () => d.review.move(1)),
    cmd('datasetDebugger.previousRow', 'previous suspicious row', () => d.review.move(-1)),
    cmd('datasetDebugger.acceptSuggestion', 'accept suggested label', () => d.review.accept()),
    cmd('datasetDebugger.rejectSuggestion', 'keep the label', () => d.review.reject()),
    cmd('datasetDebugger.verifyFixes', 'verify fixes', async () => {
      const r = d.store.current;
      if (!r) throw new UserFacingError('Nothing scanned yet.');
      const changes = await d.fixer.changesSinceScan(r);
      if (changes.length === 0) throw new UserFacingError('No label changed in the editor since the last scan: change labels first (Quick Fix, Change Label…).');
      if (!r.summary.capabilities?.relabel) throw new UserFacingError('Verify needs logistic regression (this scan fitted another model).');
      await d.scanner.ensureHeld();
      const res = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Dataset Debugger: refitting with ${changes.length} changed label${changes.length === 1 ? '' : 's'}` },
        () => d.worker.request('relabel', { changes: changes.map((c) => ({ row: c.row, label: c.newLabel })), verify: true }),
      );
      const msg =
        `Dataset Debugger: ${changes.length} label change${changes.length === 1 ? '' : 's'}. Predicted: ${describeEffect(res)}. ` +
        `Actual (refit from the fitted model, ${res.refit?.iterations ?? '?'} iterations, ${res.refit?.seconds.toFixed(2) ?? '?'} s): ${describeEffect(res, 'actual')}.`;
      d.log.info(msg + ` Step error ${res.stepError?.toFixed(3)}.`);
      void vscode.window.showInformationMessage(msg);
    }),
    cmd('datasetDebugger.forgetCorrect', 'forget rows marked correct', async () => {
      const n = await d.fixer.forgetCorrect();
      vscode.window.setStatusBarMessage(`Dataset Debugger: ${n} row${n === 1 ? '' : 's'} no longer marked correct`, 5000);
    }),
    cmd('datasetDebugger.rescore', 're-score', async () => {
      const r = d.store.current;
      if (!r) return scan();
      const doc = vscode.workspace.textDocuments.find((t) => t.uri.fsPath === r.params.file);
      if (doc?.isDirty) await doc.save();
      const t0 = Date.now();
      // Warm when the worker still holds this scan: it reuses what labels do not change (src/engine/session.ts).
      const results = await d.scanner.scan(r.params, `Dataset Debugger: re-scoring ${path.basename(r.params.file)}`, { warmStart: d.worker.holds(r.summary.key) });
      if (!results) return;
      const re = results.summary.rescore;
      vscode.window.setStatusBarMessage(
        `Dataset Debugger: re-scored ${results.summary.dataset.rows} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
          (re?.warm
            ? re.approximate
              ? ` (quick: ${re.changedLabels ?? '?'} label${re.changedLabels === 1 ? '' : 's'} changed; ${re.approximate.some((a) => a.startsWith('label suspicion')) ? 'label suspicion and label issue' : 'label issue'} approximate, Scan for exact; Verify is exact)`
              : ` (warm: ${re.changedLabels ?? '?'} label${re.changedLabels === 1 ? '' : 's'} changed; features and schema reused)`
            : re
              ? ` (full scan: ${re.reason})`
              : ' (full scan)'),
        15_000,
      );
    }),
    cmd('datasetDebugger.exportCleaned', 'export cleaned copy', async (arg?: { which?: 'suggested' | 'edits'; format?: 'json' | 'csv' }) => {
      const r = d.store.current;
      if (!r) throw new UserFacingError('Nothing scanned yet.');
      const live = await d.fixer.liveChanges(r);
      const hidden = d.fixer.hidden;
      const limit = readSettings(datasetFolder(vscode.Uri.file(r.params.file))).sidebarRows;
      const suggested = r.first.rows
        .slice(0, limit)
        .filter((e) => !hidden.has(e.row) && e.suggestedLabel !== undefined && e.suggestedLabel !== e.label && !live.some((c) => c.row === e.row));
      let which = arg?.which;
      if (!which) {
        const pick = await vscode.window.showQuickPick(
          [
            {
              label: `Suggested labels of the ${suggested.length} listed rows`,
              detail: `Plus the ${live.length} change${live.length === 1 ? '' : 's'} made in the editor; rows marked correct are kept as they are`,
              which: 'suggested' as const,
            },
            { label: `Only the ${live.length} change${live.length === 1 ? '' : 's'} made in the editor`, which: 'edits' as const },
          ],
          { title: `Dataset Debugger: export a cleaned copy of ${path.basename(r.params.file)} (the file itself is not changed)`, ignoreFocusOut: true },
        );
        if (!pick) return;
        which = pick.which;
      }
      const format = arg?.format ?? (vscode.workspace.getConfiguration('datasetDebugger').get<string>('changeLogFormat') === 'csv' ? 'csv' : 'json');
      const extra = which === 'suggested' ? suggested.map((e) => ({ row: e.row, newLabel: e.suggestedLabel!, oldLabel: e.label })) : [];
      const out = await d.fixer.exportCleaned(extra, format);
      d.log.info(`export: ${out.cleaned} and ${out.log} (${out.changes.length} changes)`);
      const open = await vscode.window.showInformationMessage(
        `Dataset Debugger: wrote ${path.basename(out.cleaned)} (${out.changes.length} label${out.changes.length === 1 ? '' : 's'} changed) and ${path.basename(out.log)}; ${path.basename(r.params.file)} is unchanged.`,
        'Open Cleaned Copy',
        'Open Change Log',
      );
      if (open) await vscode.window.showTextDocument(vscode.Uri.file(open === 'Open Change Log' ? out.log : out.cleaned));
    }),
  ];
}
