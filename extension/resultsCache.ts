/**
 * Scan results cached in the workspace's storage (workspaceState): the summary and the first page of
 * the ranking per scan inputs, so reopening the workspace shows the last scan at once. An entry is
 * trusted only while the data files' size and modification time match the ones it was scanned at.
 */
import { promises as fs } from 'node:fs';
import type * as vscode from 'vscode';
import type { ScanParams } from '../src/protocol/worker';
import { paramsKey } from './config';
import type { FileStamp, Results } from './resultsStore';

const KEY = 'datasetDebugger.scans.v1';
/** Scans kept (most recent first). */
const MAX_ENTRIES = 8;

interface Entry {
  key: string;
  results: Results;
}

export async function stampOf(file: string | undefined): Promise<FileStamp | undefined> {
  if (!file) return undefined;
  try {
    const st = await fs.stat(file);
    return { mtimeMs: st.mtimeMs, size: st.size };
  } catch {
    return undefined;
  }
}

const sameStamp = (a?: FileStamp, b?: FileStamp) =>
  a === b || (a !== undefined && b !== undefined && a.mtimeMs === b.mtimeMs && a.size === b.size);

export class ResultsCache {
  constructor(private readonly state: vscode.Memento) {}

  private entries(): Entry[] {
    const v = this.state.get<Entry[]>(KEY);
    return Array.isArray(v) ? v : [];
  }

  async save(results: Results): Promise<void> {
    const key = paramsKey(results.params);
    const rest = this.entries().filter((e) => e.key !== key);
    await this.state.update(KEY, [{ key, results }, ...rest].slice(0, MAX_ENTRIES));
  }

  /** The cached scan for these inputs, else the most recent one of the same training file, else the most recent. */
  find(params: ScanParams | undefined): { results: Results; sameParams: boolean } | undefined {
    const all = this.entries();
    if (params) {
      const key = paramsKey(params);
      const exact = all.find((e) => e.key === key);
      if (exact) return { results: exact.results, sameParams: true };
      const sameFile = all.find((e) => e.results.params.file === params.file);
      if (sameFile) return { results: sameFile.results, sameParams: false };
      return undefined;
    }
    return all[0] && { results: all[0].results, sameParams: false };
  }

  /** Training files with a cached scan. */
  files(): string[] {
    return [...new Set(this.entries().map((e) => e.results.params.file))];
  }

  /** Why cached results no longer match the files on disk, or undefined when they do. */
  static async staleness(results: Results): Promise<string | undefined> {
    const [train, test] = await Promise.all([stampOf(results.params.file), stampOf(results.params.test)]);
    if (!train) return 'the training file is missing';
    if (!sameStamp(train, results.stamps.train)) return 'the training file changed since the scan';
    if (results.params.test && !sameStamp(test, results.stamps.test)) return 'the test file changed since the scan';
    return undefined;
  }

  async clear(): Promise<void> {
    await this.state.update(KEY, undefined);
  }
}
