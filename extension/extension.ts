/**
 * Entry of the VS Code extension: wires the features together. Each feature lives in its own file:
 *   workerHost.ts      the engine worker's lifecycle        scanner.ts        scans with progress + cancel
 *   configFlow.ts      first-scan quick picks -> settings   config.ts         settings -> scan parameters
 *   resultsStore.ts    current results + staleness          resultsCache.ts   results in workspaceState
 *   suspiciousTree.ts  the sidebar tree (treeModel.ts)      panelHost.ts      the influence panel (webview)
 *   decorations.ts     gutter/ruler marks (markTracker.ts)  hover.ts          scores on hover
 *   explainCommand.ts  cursor -> row (lineMap.ts) -> panel  commands.ts       command registrations
 *   reviewedStore.ts   reviewed rows                        navigation.ts     open a file at a line
 * No numeric work happens here: everything goes to the worker (dist/worker.js).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { datasetFolder, firstPageSize, paramsKey, readSettings, scanParamsFrom } from './config';
import { DecorationController } from './decorations';
import { ExplainCommand, RowLines } from './explainCommand';
import { LabelFixActions } from './fixActions';
import { DecisionStore, describeEffect, LabelFixer } from './fixes';
import { ReviewFlow } from './review';
import { DatasetConfigs, paramsFor } from './datasets';
import { showDataset } from './commands';
import { DATA_FILE_SELECTOR, SuspiciousRowHover } from './hover';
import { InfluencePanel, PANEL_VIEW_TYPE } from './panelHost';
import { ResultsCache } from './resultsCache';
import { ResultsStore } from './resultsStore';
import { ReviewedStore } from './reviewedStore';
import { Scanner } from './scanner';
import { SuspiciousTree } from './suspiciousTree';
import { WorkerHost } from './workerHost';

const SCAN_SETTINGS = [
  'trainFile',
  'labelColumn',
  'testFile',
  'l2',
  'damping',
  'ignoreColumns',
  'columnKinds',
  'unsupervised',
  'clusters',
  'model',
  'modelPath',
  'hiddenSizes',
  'influenceScope',
  'solver',
  'textDimensions',
  'method',
  'quoting',
  'maxClasses',
].map(
  (k) => `datasetDebugger.${k}`,
);

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Dataset Debugger', { log: true });
  const store = new ResultsStore();
  const cache = new ResultsCache(context.workspaceState);
  const reviewed = new ReviewedStore(context.workspaceState);
  const worker = new WorkerHost(context.asAbsolutePath(path.join('dist', 'worker.js')), log);
  const scanner = new Scanner(worker, store, cache, log);
  const configs = new DatasetConfigs(context.workspaceState);
  const decisions = new DecisionStore(context.workspaceState);
  const fixer = new LabelFixer(store, decisions, async (changes) => {
    const r = store.current;
    // Only while the worker holds the shown scan of a logistic model with the exact solver (no re-scan for a preview).
    if (!r || !r.summary.capabilities?.relabel || !worker.holds(r.summary.key)) return undefined;
    return worker.request('relabel', { changes });
  });
  const tree = new SuspiciousTree(store, reviewed, context.workspaceState, fixer);
  const decorations = new DecorationController(vscode.Uri.joinPath(context.extensionUri, 'media'), store, reviewed, fixer);
  const review = new ReviewFlow(store, fixer, reviewed, decorations, context.workspaceState);
  const panel = new InfluencePanel({
    extensionUri: context.extensionUri,
    store,
    reviewed,
    worker,
    scanner,
    log,
    review,
    effect: async (row, label) => {
      const p = await fixer.predictEffect(row, label);
      return p && describeEffect(p);
    },
  });
  const explain = new ExplainCommand(store, new RowLines(worker, scanner), panel);
  void vscode.commands.executeCommand('setContext', 'datasetDebugger.hasResults', false);
  // Explain Cluster Membership is offered when the shown scan has no label (clusters).
  const updateClusterContext = () =>
    void vscode.commands.executeCommand('setContext', 'datasetDebugger.clusters', store.current?.params.unsupervised === true);
  updateClusterContext();

  context.subscriptions.push(
    log,
    store,
    reviewed,
    worker,
    scanner,
    tree,
    decorations,
    panel,
    decisions,
    fixer,
    review,
    ...registerCommands({ log, store, reviewed, worker, scanner, tree, decorations, panel, explain, fixer, configs, cache, review }),
    followActiveEditor({ store, configs, cache, log }),
    vscode.languages.registerCodeActionsProvider(DATA_FILE_SELECTOR, new LabelFixActions(decorations, store, fixer), {
      providedCodeActionKinds: LabelFixActions.kinds,
    }),
    vscode.languages.registerHoverProvider(DATA_FILE_SELECTOR, new SuspiciousRowHover(decorations, store, reviewed)),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (p) => panel.restore(p),
    }),
    watchDataFiles(store),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('datasetDebugger.sidebarRows') || e.affectsConfiguration('datasetDebugger.maxMarkedRows')) {
        void extendFirstPage(store, worker, cache, log);
      }
      if (!SCAN_SETTINGS.some((s) => e.affectsConfiguration(s))) return;
      const r = store.current;
      const params = r && paramsFor(r.params.file, configs);
      if (r && (!params || paramsKey(params) !== paramsKey(r.params))) store.markStale('the settings changed since the scan');
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => store.set(store.current, store.stale)),
    store.onDidChange(updateClusterContext),
  );
  void restore(store, cache, log);
}

/** Shows the last scan of the configured dataset from the cache, flagged when the files changed since. */
async function restore(store: ResultsStore, cache: ResultsCache, log: vscode.LogOutputChannel): Promise<void> {
  const folder = datasetFolder();
  const params = scanParamsFrom(readSettings(folder), folder);
  const found = cache.find(params);
  if (!found || store.current) return;
  const stale = (await ResultsCache.staleness(found.results)) ?? (found.sameParams ? undefined : 'the settings changed since the scan');
  if (store.current) return; // a scan finished meanwhile
  store.set(found.results, stale);
  log.info(
    `restored the scan of ${found.results.params.file} from ${new Date(found.results.scannedAt).toISOString()} ` +
      `(key ${found.results.summary.key})${stale ? `; out of date: ${stale}` : ''}`,
  );
}

/**
 * The views show the data set of the active editor: when it is another data set's training or test
 * file with a cached scan, that scan is shown.
 */
function followActiveEditor(d: Parameters<typeof showDataset>[0]): vscode.Disposable {
  return vscode.window.onDidChangeActiveTextEditor(async (editor) => {
    const file = editor?.document.uri.scheme === 'file' ? path.resolve(editor.document.uri.fsPath) : undefined;
    const current = d.store.current?.params;
    if (!file || !current || file === current.file || file === current.test) return;
    const candidates = [...new Set([...d.cache.files(), ...d.configs.files()])];
    const owner =
      candidates.find((f) => path.resolve(f) === file) ??
      candidates.find((f) => {
        const p = paramsFor(f, d.configs);
        return p?.test !== undefined && path.resolve(p.test) === file;
      });
    if (owner) await showDataset(d, owner).catch(() => false);
  });
}

/**
 * More rows listed (sidebarRows, maxMarkedRows) than the scan's first page holds: the worker still
 * holding the scan gives them at once; else a notification offers the re-scan that lists them.
 */
async function extendFirstPage(store: ResultsStore, worker: WorkerHost, cache: ResultsCache, log: vscode.LogOutputChannel): Promise<void> {
  const r = store.current;
  if (!r) return;
  const want = firstPageSize(readSettings(datasetFolder(vscode.Uri.file(r.params.file))));
  if (r.first.rows.length >= want || r.first.rows.length >= r.first.total) return;
  if (worker.holds(r.summary.key) && !store.stale) {
    try {
      const first = await worker.request('page', { rankBy: r.first.rankBy, offset: 0, limit: want });
      if (store.current !== r) return;
      const next = { ...r, first, params: { ...r.params, firstPage: want } };
      store.set(next, store.stale);
      await cache.save(next);
      log.info(`listed ${first.rows.length} rows of the scan (was ${r.first.rows.length}) without a re-scan`);
      return;
    } catch (err) {
      log.warn(`could not fetch more rows of the scan: ${(err as Error).message}`);
    }
  }
  const pick = await vscode.window.showInformationMessage(
    `Dataset Debugger: the last scan of ${path.basename(r.params.file)} kept its top ${r.first.rows.length} rows; re-scan to list ${want}.`,
    'Re-scan',
  );
  if (pick) await vscode.commands.executeCommand('datasetDebugger.rescore');
}

/** Flags the results as out of date when the scanned files change on disk. */
function watchDataFiles(store: ResultsStore): vscode.Disposable {
  let watchers: vscode.Disposable[] = [];
  let watched = '';
  const update = () => {
    const r = store.current;
    const files = r ? [r.params.file, r.params.test].filter((f): f is string => !!f) : [];
    const key = files.join('\n');
    if (key === watched) return;
    watched = key;
    for (const w of watchers) w.dispose();
    watchers = files.flatMap((file) => {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
      const onChange = async () => {
        const current = store.current;
        if (!current) return;
        const reason = await ResultsCache.staleness(current);
        if (reason) store.markStale(reason);
      };
      return [w, w.onDidChange(onChange), w.onDidCreate(onChange), w.onDidDelete(onChange)];
    });
  };
  const sub = store.onDidChange(update);
  update();
  return { dispose: () => [sub, ...watchers].forEach((d) => d.dispose()) };
}

export function deactivate(): void {
  // Disposables (the worker included) are disposed by VS Code.
}
