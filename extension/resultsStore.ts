/**
 * The current scan results, shared by the tree, the panel, the decorations and the hover, with a
 * change event. Results are "stale" when the data files or the settings changed since the scan: they
 * stay visible (marked as such) until the next scan.
 */
import * as vscode from 'vscode';
import type { ExampleRow, RankingPage, ScanSummary } from '../src/protocol/types';
import type { ScanParams } from '../src/protocol/worker';

/** Enough to tell that a file changed on disk without reading it. */
export interface FileStamp {
  mtimeMs: number;
  size: number;
}

export interface Results {
  summary: ScanSummary;
  /** The first page of the ranking by label suspicion, or by global influence when the scan has no label suspicion (sidebar, marks, first rows of the panel). */
  first: RankingPage;
  /**
   * Each class's top rows of the same ranking that are not in `first` (scanner.ts, classTopRows): the
   * sidebar's class filter lists a class's rows from these too, so a label whose rows rank below the
   * first page still shows its most suspected rows. Absent for unsupervised scans, past
   * CLASS_TOPS_MAX_CLASSES classes, and in results saved by earlier versions.
   */
  classTops?: ExampleRow[];
  params: ScanParams;
  stamps: { train?: FileStamp; test?: FileStamp };
  /** Epoch milliseconds. */
  scannedAt: number;
}

export type ResultsChange = 'results' | 'stale';

export class ResultsStore implements vscode.Disposable {
  private results?: Results;
  private staleReason?: string;
  private readonly emitter = new vscode.EventEmitter<ResultsChange>();
  readonly onDidChange = this.emitter.event;

  get current(): Results | undefined {
    return this.results;
  }

  /** Why the results no longer match the files or settings; undefined when they do. */
  get stale(): string | undefined {
    return this.staleReason;
  }

  set(results: Results | undefined, staleReason?: string): void {
    this.results = results;
    this.staleReason = results ? staleReason : undefined;
    void vscode.commands.executeCommand('setContext', 'datasetDebugger.hasResults', results !== undefined);
    this.emitter.fire('results');
  }

  markStale(reason: string): void {
    if (!this.results || this.staleReason) return;
    this.staleReason = reason;
    this.emitter.fire('stale');
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
