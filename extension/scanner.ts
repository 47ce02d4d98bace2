/**
 * Runs scans in the worker with a cancellable progress notification, and keeps the results store,
 * the cache and the worker's held scan in step. `ensureHeld` makes sure the running worker holds the
 * current results (after a restart of the worker or of VS Code it re-runs the same scan) before
 * pages beyond the cached ones or explanations are asked for.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RemoteError } from '../src/protocol/errors';
import type { ExampleRow } from '../src/protocol/types';
import type { ScanParams, ScanReply } from '../src/protocol/worker';
import { defaultL2 } from '../src/options/options';
import { describeAnalysis } from '../src/protocol/wording';
import { preferredRanking } from './analysis';
import { UserFacingError } from './errorReporter';
import { ResultsCache, stampOf } from './resultsCache';
import type { Results, ResultsStore } from './resultsStore';
import type { WorkerHost } from './workerHost';

/** Share of the progress bar per engine stage (the stages Checkpoint.begin names). */
const STAGES: Record<string, { from: number; to: number; title: string }> = {
  parse: { from: 0, to: 0.15, title: 'Reading the data' },
  fit: { from: 0.15, to: 0.35, title: 'Fitting the model' },
  influence: { from: 0.35, to: 0.75, title: 'Computing influence' },
  relatif: { from: 0.75, to: 0.85, title: 'RelatIF norms' },
  labelSuspicion: { from: 0.85, to: 0.98, title: 'Label suspicion' },
  rank: { from: 0.98, to: 1, title: 'Ranking' },
};

/** Classes up to which a scan keeps each class's top rows for the sidebar's class filter (Results.classTops). */
export const CLASS_TOPS_MAX_CLASSES = 50;
/** At most this many such rows in all (they are saved with the scan in the workspace's storage). */
export const CLASS_TOPS_MAX_ROWS = 2000;

export class Scanner implements vscode.Disposable {
  private running?: { params: ScanParams; promise: Promise<Results | undefined> };
  private readonly busyEmitter = new vscode.EventEmitter<string | undefined>();
  /** Fires with a message when a scan starts and with undefined when it ends. */
  readonly onDidChangeBusy = this.busyEmitter.event;

  constructor(
    private readonly worker: WorkerHost,
    private readonly store: ResultsStore,
    private readonly cache: ResultsCache,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  /**
   * Scans with a progress notification. Resolves to the results, or undefined when the user
   * cancelled; rejects with the worker's error otherwise. A second call while a scan runs waits for it.
   */
  scan(
    params: ScanParams,
    title = `Dataset Debugger: scanning ${path.basename(params.file)}`,
    /** Re-score after label fixes: the worker reuses its scan where only labels changed (ScanParams.warmStart). */
    opts: { warmStart?: boolean } = {},
  ): Promise<Results | undefined> {
    if (this.running) return this.running.promise;
    const promise = this.run(params, title, opts.warmStart === true).finally(() => {
      this.running = undefined;
      this.busyEmitter.fire(undefined);
    });
    this.running = { params, promise };
    this.busyEmitter.fire(title);
    return promise;
  }

  private async run(params: ScanParams, title: string, warmStart = false): Promise<Results | undefined> {
    if (!vscode.workspace.isTrusted) {
      throw new UserFacingError(
        'Dataset Debugger scans only in trusted workspaces: a scan starts a worker process that reads the workspace\'s data files.',
        [{ title: 'Manage Workspace Trust', run: () => vscode.commands.executeCommand('workbench.trust.manage') }],
      );
    }
    const t0 = Date.now();
    this.log.info(
      `scan: ${params.file} ${params.unsupervised ? `unsupervised clusters=${params.clusters ?? 3}` : `label=${params.label}`}` +
        (params.method ? ` method=${params.method}` : '') +
        (params.model ? ` model=${params.model}` : '') +
        (params.hidden ? ` hidden=${params.hidden.join(',')}` : '') +
        (params.influenceScope ? ` scope=${params.influenceScope}` : '') +
        (params.solver ? ` solver=${params.solver}` : '') +
        (params.textDimensions ? ` textDimensions=${params.textDimensions}` : '') +
        (params.test ? ` test=${params.test}` : '') +
        ` l2=${params.l2 ?? defaultL2(params)}` +
        (params.ignore ? ` ignore=${params.ignore.join(',')}` : '') +
        (params.damping ? ` damping=${params.damping}` : ''),
    );
    // Stamps before the scan: if a file changes while it runs, the cached entry is stale at once.
    const [train, test] = await Promise.all([stampOf(params.file), stampOf(params.test)]);
    const reply = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token): Promise<ScanReply | undefined> => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => {
          this.log.info('scan: cancel requested');
          ac.abort();
        });
        let done = 0;
        try {
          return await this.worker.request('scan', warmStart ? { ...params, warmStart: true } : params, {
            signal: ac.signal,
            onProgress: (stage, fraction, message) => {
              const s = STAGES[stage];
              if (message) this.log.info(`scan: ${stage}: ${message}`);
              if (!s) {
                progress.report({ message: message ?? stage });
                return;
              }
              const at = s.from + (s.to - s.from) * Math.min(1, Math.max(0, fraction ?? 0));
              const increment = Math.max(0, (at - done) * 100);
              done = Math.max(done, at);
              const pct = fraction !== undefined && fraction > 0 ? ` ${Math.round(fraction * 100)}%` : '';
              progress.report({ increment, message: `${s.title}${pct}` });
            },
          });
        } catch (err) {
          if (err instanceof RemoteError && err.isCancelled) return undefined;
          throw err;
        } finally {
          sub.dispose();
        }
      },
    );
    if (!reply) {
      this.log.info(`scan: cancelled after ${((Date.now() - t0) / 1000).toFixed(2)} s`);
      vscode.window.setStatusBarMessage('Dataset Debugger: scan cancelled', 5000);
      return undefined;
    }
    // The sidebar, the marks and the panel's first rows rank by label suspicion when the scan computed it.
    let first = reply.first;
    const ranking = preferredRanking(reply.summary);
    if (ranking !== first.rankBy) {
      first = await this.worker.request('page', { rankBy: ranking, offset: 0, limit: params.firstPage ?? 200 });
    }
    const classTops = await this.classTopRows(reply.summary, params, first);
    const results: Results = {
      summary: reply.summary,
      first,
      ...(classTops ? { classTops } : {}),
      params,
      stamps: { train, test },
      scannedAt: Date.now(),
    };
    this.worker.setHeld(reply.summary.key);
    const t = reply.summary.timings;
    this.log.info(
      `scan: done in ${((Date.now() - t0) / 1000).toFixed(2)} s (` +
        Object.entries(t)
          .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
          .join(', ') +
        `); ${reply.summary.dataset.rows} rows, ${reply.summary.dataset.classes.length} classes, ` +
        `${reply.summary.model.parameters} parameters, gradient norm ${Number(reply.summary.model.gradNorm).toExponential(2)}, ` +
        (Number.isFinite(reply.summary.model.trainAccuracy) ? `train accuracy ${(reply.summary.model.trainAccuracy * 100).toFixed(1)}%` : 'no labels') +
        (reply.summary.model.testAccuracy !== undefined ? `, test accuracy ${(reply.summary.model.testAccuracy * 100).toFixed(1)}%` : '') +
        `; key ${reply.summary.key}`,
    );
    const re = reply.summary.rescore;
    if (re) {
      this.log.info(
        re.warm
          ? `scan: re-score reused the previous scan (${re.reused.join(', ')}); ${re.changedLabels ?? '?'} label${re.changedLabels === 1 ? '' : 's'} changed`
          : `scan: re-score ran a full scan: ${re.reason}`,
      );
      if (re.approximate) {
        this.log.info(`scan: quick re-score, ${re.changedSinceFull ?? '?'} labels changed since the last full scan; approximate (a full Scan is exact): ${re.approximate.join('; ')}`);
      }
    }
    if (reply.summary.analysis) {
      this.log.info(`scan: ${describeAnalysis(reply.summary)}; ranked by ${first.rankBy}`);
      for (const note of reply.summary.analysis.notes ?? []) this.log.info(`scan: note: ${note}`);
    }
    const read = reply.summary.dataset.read;
    if (read) this.log.info(`scan: read as ${read.format.toUpperCase()}, ${read.encoding.toUpperCase()}${read.quoting ? `, ${read.quoting === 'none' ? 'no quoting' : 'RFC 4180 quoting'}` : ''}${read.note ? ` (${read.note})` : ''}`);
    for (const note of reply.summary.dataset.columnNotes ?? []) this.log.info(`scan: ${note}`);
    this.store.set(results, (await ResultsCache.staleness(results)) ?? undefined);
    await this.cache.save(results);
    return results;
  }

  /**
   * Makes sure the running worker holds the current results; re-runs their scan if it does not
   * (a new worker, or a new VS Code session showing cached results). Throws when there is nothing
   * to restore or the results are stale (a re-scan would give different ones).
   */
  async ensureHeld(): Promise<Results> {
    const current = this.store.current;
    if (!current) throw new UserFacingError('Nothing scanned yet.', [{ title: 'Scan', run: () => vscode.commands.executeCommand('datasetDebugger.scan') }]);
    if (this.worker.holds(current.summary.key)) return current;
    if (this.running) {
      const r = await this.running.promise;
      if (r && this.worker.holds(r.summary.key)) return r;
    }
    if (this.store.stale) {
      throw new UserFacingError(`The results are out of date (${this.store.stale}). Re-scan to continue.`, [
        { title: 'Re-scan', run: () => vscode.commands.executeCommand('datasetDebugger.scan') },
      ]);
    }
    this.log.info('scan: the worker does not hold the shown results; scanning again');
    const r = await this.scan(current.params, `Dataset Debugger: loading the scan of ${path.basename(current.params.file)}`);
    if (!r) throw new UserFacingError('Loading the scan was cancelled.');
    return r;
  }

  /**
   * Each class's top rows of the first page's ranking that the first page does not hold (one filtered
   * page per class from the worker, which holds the scan now): as many per class as the first page
   * has rows, at most CLASS_TOPS_MAX_ROWS / classes. Undefined for unsupervised scans and past
   * CLASS_TOPS_MAX_CLASSES classes.
   */
  private async classTopRows(summary: ScanReply['summary'], params: ScanParams, first: Results['first']): Promise<ExampleRow[] | undefined> {
    const classes = summary.dataset.classes;
    if (params.unsupervised || classes.length === 0 || classes.length > CLASS_TOPS_MAX_CLASSES || first.rows.length >= first.total) return undefined;
    const perClass = Math.min(params.firstPage ?? 200, Math.floor(CLASS_TOPS_MAX_ROWS / classes.length));
    const extra: ExampleRow[] = [];
    try {
      for (const label of classes) {
        const page = await this.worker.request('page', { rankBy: first.rankBy, offset: 0, limit: perClass, filter: { labels: [label] } });
        for (const e of page.rows) if ((e.rank ?? 0) >= first.rows.length) extra.push(e);
      }
    } catch (err) {
      // An extra for the class filter: the scan stands without it (the filter then uses the first page).
      this.log.warn(`scan: each class's top rows were not loaded: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    return extra;
  }

  dispose(): void {
    this.busyEmitter.dispose();
  }
}
