/**
 * The extension's settings (package.json "contributes.configuration"), read in one place, and the
 * scan parameters they imply. Paths in settings are relative to the workspace folder (or absolute).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ColumnKind } from '../src/data/types';
import type { ImageShape } from '../src/protocol/webview';
import type { ScanParams } from '../src/protocol/worker';
import { COLUMN_KINDS, hiddenSizesOf, intSetting, isOneOf, oneOf, SETTINGS } from '../src/options/options';
import { analysisParams, type AnalysisSettings } from './analysis';

export const SECTION = 'datasetDebugger';

/** The settings; the model and method ones (AnalysisSettings) are turned into scan parameters by analysis.ts. */
export interface Settings extends AnalysisSettings {
  trainFile?: string;
  testFile?: string;
  /** Unset: the method's default (options.defaultL2). */
  l2?: number;
  damping: number;
  ignoreColumns: string[];
  columnKinds: Record<string, ColumnKind>;
  imageShape: ImageShape;
  maxMarkedRows: number;
  sidebarRows: number;
  explainRows: number;
  workerNodeArgs: string[];
  /** The test objective Explain Prediction starts with. */
  explainObjective: (typeof SETTINGS.explainObjective.values)[number];
  /** CSV/TSV quoting dialect. */
  quoting: (typeof SETTINGS.quoting.values)[number];
  /** Most classes of the label; 0 = the engine's default rules. */
  maxClasses: number;
}

/** The folder the dataset lives in: the folder of `uri` if given, else the first workspace folder. */
export function datasetFolder(uri?: vscode.Uri): vscode.WorkspaceFolder | undefined {
  return (uri && vscode.workspace.getWorkspaceFolder(uri)) || vscode.workspace.workspaceFolders?.[0];
}

export function readSettings(folder = datasetFolder()): Settings {
  const c = vscode.workspace.getConfiguration(SECTION, folder?.uri);
  const str = (k: string) => {
    const v = c.get<string>(k);
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const int = (k: string, dflt: number, minimum: number, maximum: number) => intSetting(c.get(k), { default: dflt, minimum, maximum });
  const strings = (k: string) => {
    const v = c.get<unknown>(k);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  };
  const kinds: Record<string, ColumnKind> = {};
  const rawKinds = c.get<unknown>('columnKinds');
  if (rawKinds && typeof rawKinds === 'object') {
    for (const [k, v] of Object.entries(rawKinds)) if (isOneOf(v, COLUMN_KINDS)) kinds[k] = v;
  }
  const shape = c.get<string>('imageShape');
  const l2 = c.get<number>('l2');
  const damping = c.get<number>('damping');
  return {
    trainFile: str('trainFile'),
    labelColumn: str('labelColumn'),
    testFile: str('testFile'),
    l2: typeof l2 === 'number' && l2 > 0 && Number.isFinite(l2) ? l2 : undefined,
    damping: typeof damping === 'number' && damping >= SETTINGS.damping.minimum && Number.isFinite(damping) ? damping : SETTINGS.damping.default,
    ignoreColumns: strings('ignoreColumns'),
    columnKinds: kinds,
    imageShape: shape === '8x8' || shape === '28x28' ? shape : 'none',
    maxMarkedRows: int('maxMarkedRows', 20, 0, 10_000),
    sidebarRows: int('sidebarRows', 50, 1, 1000),
    explainRows: int('explainRows', 8, 1, 100),
    workerNodeArgs: strings('workerNodeArgs'),
    unsupervised: c.get<boolean>('unsupervised') === true,
    clusters: intSetting(c.get('clusters'), SETTINGS.clusters),
    model: oneOf(c.get('model'), SETTINGS.model.values),
    modelPath: str('modelPath'),
    hiddenSizes: hiddenSizesOf(c.get('hiddenSizes')),
    influenceScope: oneOf(c.get('influenceScope'), SETTINGS.influenceScope.values),
    solver: oneOf(c.get('solver'), SETTINGS.solver.values),
    textDimensions: intSetting(c.get('textDimensions'), SETTINGS.textDimensions),
    method: oneOf(c.get('method'), SETTINGS.method.values),
    detector: oneOf(c.get('detector'), SETTINGS.detector.values),
    explainObjective: oneOf(c.get('explainObjective'), SETTINGS.explainObjective.values),
    quoting: oneOf(c.get('quoting'), SETTINGS.quoting.values),
    maxClasses: intSetting(c.get('maxClasses'), SETTINGS.maxClasses),
  };
}

/** Absolute path of a setting's path (relative to the folder). */
export function resolveDataPath(folder: vscode.WorkspaceFolder | undefined, p: string): string {
  if (path.isAbsolute(p)) return path.normalize(p);
  const base = folder?.uri.fsPath ?? process.cwd();
  return path.join(base, p);
}

/** A path as stored in settings: relative to the folder when inside it. */
export function settingPath(folder: vscode.WorkspaceFolder | undefined, absolute: string): string {
  if (!folder) return absolute;
  const rel = path.relative(folder.uri.fsPath, absolute);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : absolute;
}

/** How many rows the scan returns in its first page (the sidebar, marks and the cache use it). */
export function firstPageSize(s: Settings): number {
  return Math.max(200, s.sidebarRows, s.maxMarkedRows);
}

/** The scan the settings describe, or undefined when the training file (or, supervised, the label) is not set. */
export function scanParamsFrom(s: Settings, folder: vscode.WorkspaceFolder | undefined): ScanParams | undefined {
  if (!s.trainFile || (!s.labelColumn && !s.unsupervised)) return undefined;
  return {
    file: resolveDataPath(folder, s.trainFile),
    test: s.testFile && !s.unsupervised ? resolveDataPath(folder, s.testFile) : undefined,
    ...(s.l2 !== undefined ? { l2: s.l2 } : {}),
    damping: s.damping,
    ignore: s.ignoreColumns.length > 0 ? s.ignoreColumns : undefined,
    kinds: Object.keys(s.columnKinds).length > 0 ? s.columnKinds : undefined,
    firstPage: firstPageSize(s),
    rankBy: 'globalInfluence',
    ...(s.quoting !== 'auto' ? { quoting: s.quoting } : {}),
    ...(s.maxClasses >= 2 ? { maxClasses: s.maxClasses } : {}),
    ...analysisParams(s),
  };
}

/** Identifies the inputs of a scan (the first page size and order do not change the results). */
export function paramsKey(p: ScanParams): string {
  return JSON.stringify([
    p.file,
    p.label,
    p.test ?? null,
    p.l2 ?? null,
    p.damping ?? 0,
    p.ignore ?? [],
    p.kinds ?? {},
    p.unsupervised ?? false,
    p.clusters ?? null,
    p.model ?? 'logistic',
    p.modelPath ?? null,
    p.hidden ?? [],
    p.influenceScope ?? 'lastLayer',
    p.solver ?? 'auto',
    p.textDimensions ?? null,
    p.method ?? 'influence',
    p.quoting ?? 'auto',
    p.maxClasses ?? null,
  ]);
}

/** Where settings are written: the folder in a multi-root workspace, else the workspace. */
export function settingsTarget(): vscode.ConfigurationTarget {
  return (vscode.workspace.workspaceFolders?.length ?? 0) > 1
    ? vscode.ConfigurationTarget.WorkspaceFolder
    : vscode.ConfigurationTarget.Workspace;
}
