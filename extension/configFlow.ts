/**
 * The first-scan flow: which file to scan, its label column and an optional test file, chosen with
 * quick picks and saved in the workspace settings (datasetDebugger.trainFile / .labelColumn /
 * .testFile) so the next scan asks nothing.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ScanParams } from '../src/protocol/worker';
import { datasetFolder, readSettings, resolveDataPath, scanParamsFrom, SECTION, settingPath, settingsTarget } from './config';
import { UserFacingError } from './errorReporter';
import { formatOfPath } from './lineMap';
import { paramsFor, settingsFor, settingsTrainFile, type DatasetConfigs } from './datasets';
import type { WorkerHost } from './workerHost';

const DATA_GLOB = '**/*.{csv,tsv,tab,jsonl,ndjson,parquet,CSV,TSV,JSONL}';
const EXCLUDE_GLOB = '**/{node_modules,.git,dist,out}/**';
const LABEL_NAMES = ['label', 'labels', 'target', 'class', 'y', 'category', 'outcome'];
/** The label quick pick's item for unlabelled data (a scan that finds clusters). */
export const NO_LABEL_ITEM = 'No label: find clusters';

/** A file the engine reads: a text data file (formatOfPath) or Parquet (binary: no line map, rows by number). */
export const isDataFile = (uri: vscode.Uri | undefined): uri is vscode.Uri =>
  uri !== undefined && uri.scheme === 'file' && (formatOfPath(uri.fsPath) !== undefined || /\.parquet$/i.test(uri.fsPath));

async function dataFiles(): Promise<vscode.Uri[]> {
  const found = await vscode.workspace.findFiles(DATA_GLOB, EXCLUDE_GLOB, 500);
  return found.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

function display(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
}

/**
 * The data file the user is looking at: the active text editor's; else the active tab's (the
 * extension host learns of a just-opened editor only once its text has loaded); else the one data
 * file among the visible editors (focus may be in the Influence panel beside it).
 */
export function shownDataFile(): vscode.Uri | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (isDataFile(active)) return active;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputText && isDataFile(tab.uri)) return tab.uri;
  const visible = new Map<string, vscode.Uri>();
  for (const e of vscode.window.visibleTextEditors) if (isDataFile(e.document.uri)) visible.set(e.document.uri.toString(), e.document.uri);
  return visible.size === 1 ? [...visible.values()][0] : undefined;
}

/**
 * The file to scan: the given one (editor title, Explorer); the shown data set; the configured one;
 * the data file shown in the editor (`shownDataFile`); or one the user picks.
 */
async function chooseTrainFile(given?: vscode.Uri, current?: { file: string; test?: string }): Promise<vscode.Uri | undefined> {
  if (isDataFile(given)) return given;
  if (current) return vscode.Uri.file(current.file);
  const folder = datasetFolder();
  const s = readSettings(folder);
  if (s.trainFile) return vscode.Uri.file(resolveDataPath(folder, s.trainFile));
  const shown = shownDataFile();
  if (shown) return shown;
  const files = await dataFiles();
  if (files.length === 0) {
    throw new UserFacingError('No data file (.csv, .tsv, .jsonl) in this workspace to scan.');
  }
  const pick = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: path.basename(uri.fsPath), description: display(uri), uri })),
    {
      title: 'Dataset Debugger: which training file?',
      placeHolder: 'The training data (CSV, TSV or JSONL) to scan for suspicious labels',
      matchOnDescription: true,
      ignoreFocusOut: true,
    },
  );
  return pick?.uri;
}

function suggestLabel(columns: string[], distinct: Record<string, number>): string | undefined {
  for (const name of LABEL_NAMES) {
    const hit = columns.find((c) => c.toLowerCase() === name);
    if (hit) return hit;
  }
  // Else the last column with few distinct values, else the last column.
  const few = [...columns].reverse().find((c) => (distinct[c] ?? Infinity) <= 50 && (distinct[c] ?? 0) >= 2);
  return few ?? columns[columns.length - 1];
}

/**
 * The scan parameters for `given` (or the configured file). Asks for the label column and test file
 * when the file is not the configured one, when no label column is set, or when `ask` is true; saves
 * the answers. Undefined when the user dismissed a question.
 */
export async function resolveScanParams(
  worker: WorkerHost,
  configs: DatasetConfigs,
  given: vscode.Uri | undefined,
  ask = false,
  shown?: { file: string; test?: string },
): Promise<ScanParams | undefined> {
  const train = await chooseTrainFile(given, shown);
  if (!train) return undefined;
  const folder = datasetFolder(train);
  // The settings hold the first data set; any other training file keeps its own label column and
  // test file in `configs` (never in the settings, so scanning it leaves the first one's alone).
  const configuredTrain = settingsTrainFile(train);
  const inSettings = configuredTrain === undefined || configuredTrain === path.resolve(train.fsPath);
  const { settings, known: sameFile } = settingsFor(train.fsPath, configs);
  if (sameFile && !ask) return paramsFor(train.fsPath, configs);

  if (!vscode.workspace.isTrusted) {
    throw new UserFacingError('Dataset Debugger reads data files only in trusted workspaces.', [
      { title: 'Manage Workspace Trust', run: () => vscode.commands.executeCommand('workbench.trust.manage') },
    ]);
  }
  const info = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `Reading the columns of ${path.basename(train.fsPath)}` },
    () => worker.request('columns', { file: train.fsPath }),
  );
  if (info.columns.length < 1) {
    throw new UserFacingError(`${display(train)} has no columns.`);
  }
  const wasUnsupervised = sameFile && settings.unsupervised;
  const current = sameFile && !settings.unsupervised && settings.labelColumn && info.columns.includes(settings.labelColumn) ? settings.labelColumn : undefined;
  const suggested = wasUnsupervised ? NO_LABEL_ITEM : (current ?? suggestLabel(info.columns, info.distinct));
  type LabelItem = vscode.QuickPickItem & { unsupervised?: boolean };
  const labelItems: LabelItem[] = [
    ...(info.columns.length >= 2 ? info.columns : []).map((c) => {
      const d = info.distinct[c] ?? 0;
      return {
        label: c,
        description: c === suggested ? (current ? 'current' : 'suggested') : undefined,
        detail: d > 50 ? 'more than 50 distinct values' : `${d} distinct value${d === 1 ? '' : 's'}`,
      };
    }),
    {
      label: NO_LABEL_ITEM,
      description: wasUnsupervised ? 'current' : undefined,
      detail: 'Unlabelled data: group the rows into clusters; rank rows by how atypical they are for theirs, and explain why a row belongs to its cluster',
      unsupervised: true,
    },
  ];
  const labelPick = await pickOne(labelItems, {
    title: `Dataset Debugger (1/2): label column of ${path.basename(train.fsPath)} (${info.rows} rows)`,
    placeholder: 'The column holding the class of each row',
    active: labelItems.find((i) => i.label === suggested),
  });
  if (!labelPick) return undefined;
  const config = vscode.workspace.getConfiguration(SECTION, folder?.uri);
  const target = settingsTarget();
  if (labelPick.unsupervised && !inSettings) {
    await configs.set(train.fsPath, { unsupervised: true });
    return paramsFor(train.fsPath, configs);
  }
  if (labelPick.unsupervised) {
    // Clusters need no test file: the scan explains why training rows sit in their clusters.
    await config.update('trainFile', settingPath(folder, train.fsPath), target);
    await config.update('labelColumn', undefined, target);
    await config.update('unsupervised', true, target);
    await config.update('testFile', undefined, target);
    return scanParamsFrom(readSettings(folder), folder);
  }

  const others = (await dataFiles()).filter((u) => path.resolve(u.fsPath) !== path.resolve(train.fsPath));
  const configuredTest = sameFile && settings.testFile ? resolveDataPath(folder, settings.testFile) : undefined;
  const sameDir = (u: vscode.Uri) => path.dirname(u.fsPath) === path.dirname(train.fsPath);
  const looksLikeTest = (u: vscode.Uri) => /test|valid|holdout|eval/i.test(path.basename(u.fsPath));
  const ordered = [...others].sort((a, b) => Number(sameDir(b)) - Number(sameDir(a)) || Number(looksLikeTest(b)) - Number(looksLikeTest(a)));
  type TestItem = vscode.QuickPickItem & { uri?: vscode.Uri };
  const testItems: TestItem[] = [
    { label: 'No test file', description: 'explain training rows only' },
    ...ordered.map((uri) => ({ label: path.basename(uri.fsPath), description: display(uri), uri })),
  ];
  const preferred =
    testItems.find((i) => i.uri && configuredTest && path.resolve(i.uri.fsPath) === path.resolve(configuredTest)) ??
    testItems.find((i) => i.uri && sameDir(i.uri) && looksLikeTest(i.uri) && formatOfPath(i.uri.fsPath) === formatOfPath(train.fsPath)) ??
    testItems[0];
  const testPick = await pickOne(testItems, {
    title: 'Dataset Debugger (2/2): test file (optional, same columns)',
    placeholder: 'Held-out rows whose predictions you want explained',
    active: preferred,
  });
  if (!testPick) return undefined;

  if (!inSettings) {
    await configs.set(train.fsPath, { labelColumn: labelPick.label, testFile: testPick.uri?.fsPath });
    return paramsFor(train.fsPath, configs);
  }
  await config.update('trainFile', settingPath(folder, train.fsPath), target);
  await config.update('labelColumn', labelPick.label, target);
  if (settings.unsupervised) await config.update('unsupervised', undefined, target);
  await config.update('testFile', testPick.uri ? settingPath(folder, testPick.uri.fsPath) : undefined, target);
  return scanParamsFrom(readSettings(folder), folder);
}

/**
 * One question of the first-scan flow: a quick pick with `active` focused, resolved with the accepted
 * item or undefined on Escape. It stays open while the user looks at the file (a click into the
 * editor, or a panel that takes focus, must not drop the question and with it the scan).
 */
function pickOne<T extends vscode.QuickPickItem>(items: T[], opts: { title: string; placeholder: string; active?: T }): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve) => {
    const qp = vscode.window.createQuickPick<T>();
    qp.title = opts.title;
    qp.placeholder = opts.placeholder;
    qp.items = items;
    if (opts.active) qp.activeItems = [opts.active];
    qp.matchOnDetail = false;
    qp.ignoreFocusOut = true;
    let chosen: T | undefined;
    qp.onDidAccept(() => {
      chosen = qp.selectedItems[0] ?? qp.activeItems[0];
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(chosen);
    });
    qp.show();
  });
}
