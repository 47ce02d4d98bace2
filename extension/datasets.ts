/**
 * Several data sets per workspace. The settings (datasetDebugger.trainFile / labelColumn / testFile /
 * unsupervised) describe the workspace's first data set; every other training file scanned keeps its
 * own label column, test file and cluster switch here, in workspaceState keyed by its absolute path,
 * so scanning a second file never rewrites the first one's settings. The other settings (model, l2,
 * ...) are shared. Which data set the views show follows the active editor (a data set's training or
 * test file) or **Switch Data Set…**.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ScanParams } from '../src/protocol/worker';
import { datasetFolder, readSettings, resolveDataPath, scanParamsFrom, type Settings } from './config';

const KEY = 'datasetDebugger.datasets.v1';

/** A data set's own part of the configuration. */
export interface DatasetConfig {
  labelColumn?: string;
  /** Absolute path of the test file. */
  testFile?: string;
  unsupervised?: boolean;
}

export class DatasetConfigs {
  constructor(private readonly state: vscode.Memento) {}

  private all(): Record<string, DatasetConfig> {
    const v = this.state.get<Record<string, DatasetConfig>>(KEY);
    return v && typeof v === 'object' ? v : {};
  }

  get(file: string): DatasetConfig | undefined {
    return this.all()[path.resolve(file)];
  }

  async set(file: string, config: DatasetConfig): Promise<void> {
    const all = this.all();
    all[path.resolve(file)] = config;
    await this.state.update(KEY, all);
  }

  /** Training files with a saved configuration (absolute paths). */
  files(): string[] {
    return Object.keys(this.all());
  }
}

/** The training file the settings configure (absolute), if any. */
export function settingsTrainFile(uri?: vscode.Uri): string | undefined {
  const folder = datasetFolder(uri);
  const s = readSettings(folder);
  return s.trainFile ? path.resolve(resolveDataPath(folder, s.trainFile)) : undefined;
}

/** The settings with a data set's own part put in (the shared ones unchanged). */
export function settingsFor(file: string, configs: DatasetConfigs): { settings: Settings; known: boolean } {
  const folder = datasetFolder(vscode.Uri.file(file));
  const s = readSettings(folder);
  const own = settingsTrainFile(vscode.Uri.file(file)) === path.resolve(file);
  if (own) return { settings: s, known: !!(s.labelColumn || s.unsupervised) };
  const c = configs.get(file);
  return {
    settings: { ...s, trainFile: file, labelColumn: c?.labelColumn, testFile: c?.testFile, unsupervised: c?.unsupervised === true },
    known: !!c && !!(c.labelColumn || c.unsupervised),
  };
}

/** The scan parameters of a data set (undefined when it has no configuration yet). */
export function paramsFor(file: string, configs: DatasetConfigs): ScanParams | undefined {
  const { settings, known } = settingsFor(file, configs);
  return known ? scanParamsFrom(settings, datasetFolder(vscode.Uri.file(file))) : undefined;
}
