/**
 * Hosts the influence panel (a webview): builds its HTML with a strict Content-Security-Policy,
 * answers its messages (validated with parseWebviewMessage) and posts results, ranking pages and
 * explanations to it. Nothing is posted before the panel says `ready`; messages meanwhile are queued.
 * The panel keeps its own UI state (getState/setState), so it is not retained when hidden, and it is
 * restored after a reload by the serializer.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RemoteError } from '../src/protocol/errors';
import type { ClusterResult, ExplainResult, TrustResult } from '../src/protocol/types';
import type { ExplainParams } from '../src/protocol/worker';
import {
  parseWebviewMessage,
  type DataSource,
  type ExplainOptions,
  type HostToWebview,
  type PanelResults,
  type WebviewToHost,
} from '../src/protocol/webview';
import { LatestRequest } from '../src/protocol/requests';
import { explainCapabilities, supportedOptions } from '../src/protocol/wording';
import { marginPairs } from './analysis';
import { readSettings } from './config';
import { reportError, UserFacingError } from './errorReporter';
import { openAtLine, setPanelColumnProvider } from './navigation';
import type { ResultsStore } from './resultsStore';
import type { ReviewedStore } from './reviewedStore';
import type { Scanner } from './scanner';
import type { WorkerHost } from './workerHost';

export const PANEL_VIEW_TYPE = 'datasetDebugger.influencePanel';

/** How long after a jump from the panel a focus the panel takes is the jumping click's own (keepFocusOn). */
const CLICK_FOCUS_MS = 750;

/**
 * Calls `then(true)` as soon as `panel` becomes active, or `then(false)` after `ms`; once either way.
 * Disposing the result first calls neither.
 */
function onActiveWithin(panel: vscode.WebviewPanel, ms: number, then: (active: boolean) => void): vscode.Disposable {
  const finish = (active: boolean) => {
    stop.dispose();
    then(active);
  };
  const sub = panel.onDidChangeViewState((e) => {
    if (e.webviewPanel.active) finish(true);
  });
  const timer = setTimeout(() => finish(false), ms);
  const stop = {
    dispose: () => {
      sub.dispose();
      clearTimeout(timer);
    },
  };
  return stop;
}

export interface PanelDeps {
  extensionUri: vscode.Uri;
  store: ResultsStore;
  reviewed: ReviewedStore;
  worker: WorkerHost;
  scanner: Scanner;
  log: vscode.LogOutputChannel;
  /** The review flow's progress (shown under the ranking). */
  review?: { readonly progress: { done: number; total: number }; onDidChangeProgress: vscode.Event<{ done: number; total: number }> };
  /** The predicted effect of a relabel in words (undefined: no prediction for this scan). */
  effect?: (row: number, label: string) => Promise<string | undefined>;
}

export class InfluencePanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private ready = false;
  private queue: HostToWebview[] = [];
  private panelSubs: vscode.Disposable[] = [];
  /** Watches for the panel taking the focus back right after a jump (keepFocusOn). */
  private focusGuard?: vscode.Disposable;
  private readonly subs: vscode.Disposable[] = [];
  /** Explain requests (of a row or a cluster): an older answer never replaces a newer one. */
  private readonly explains = new LatestRequest();
  /** The explanation options the panel last asked with (commands explain with the same ones). */
  private options?: ExplainOptions;
  /** The margin classes last chosen, per explained row (so re-ordering does not ask again). */
  private margin?: { source: DataSource; row: number; classes: [string, string] };
  private lastExplained?: ExplainResult;
  private trustRunning?: AbortController;

  constructor(private readonly deps: PanelDeps) {
    setPanelColumnProvider(() => (this.panel?.visible ? this.panel.viewColumn : undefined));
    this.subs.push(
      deps.store.onDidChange(() => this.postResults()),
      deps.reviewed.onDidChange(() => {
        const r = deps.store.current;
        if (r) this.post({ type: 'reviewed', rows: [...deps.reviewed.rows(r.params.file)] });
      }),
      deps.scanner.onDidChangeBusy((message) => this.post({ type: 'busy', message })),
      ...(deps.review ? [deps.review.onDidChangeProgress((p) => this.post({ type: 'progress', ...p }))] : []),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('datasetDebugger.imageShape') || e.affectsConfiguration('datasetDebugger.explainRows')) this.postResults();
      }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Opens the panel (or brings it to the front). */
  show(preserveFocus = false): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return this.panel;
    }
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Influence',
      { viewColumn: column, preserveFocus },
      { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: this.resourceRoots() },
    );
    this.attach(panel);
    return panel;
  }

  /** Takes over a panel VS Code restored after a reload. */
  restore(panel: vscode.WebviewPanel): void {
    if (this.panel) {
      panel.dispose();
      return;
    }
    panel.webview.options = { enableScripts: true, localResourceRoots: this.resourceRoots() };
    this.attach(panel);
  }

  private resourceRoots(): vscode.Uri[] {
    return [vscode.Uri.joinPath(this.deps.extensionUri, 'dist'), vscode.Uri.joinPath(this.deps.extensionUri, 'media')];
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.iconPath = {
      light: vscode.Uri.joinPath(this.deps.extensionUri, 'media', 'panel-light.svg'),
      dark: vscode.Uri.joinPath(this.deps.extensionUri, 'media', 'panel-dark.svg'),
    };
    this.updateTitle();
    panel.webview.html = this.html(panel.webview);
    this.panelSubs = [
      panel.webview.onDidReceiveMessage((raw) => this.onMessage(raw)),
      panel.onDidChangeViewState(() => {
        // A hidden webview is destroyed (not retained); it says `ready` again when shown.
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        for (const s of this.panelSubs) s.dispose();
        this.panelSubs = [];
        this.panel = undefined;
        this.ready = false;
        this.queue = [];
      }),
    ];
  }

  private updateTitle(): void {
    const r = this.deps.store.current;
    if (this.panel) this.panel.title = r ? `Influence: ${path.basename(r.params.file)}` : 'Influence';
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(18).toString('base64');
    const dist = vscode.Uri.joinPath(this.deps.extensionUri, 'dist');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css'));
    // The component library (FAST) probes `:focus-visible` support with a <style> element; it takes
    // the nonce from the csp-nonce meta tag, so 'nonce-…' in style-src is all it needs.
    const csp = [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${nonce}">
<link rel="stylesheet" href="${style}" nonce="${nonce}">
<title>Influence</title>
</head>
<body>
<div id="app"><p class="placeholder">Loading the influence panel…</p></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  private post(msg: HostToWebview): void {
    if (!this.panel) return;
    if (!this.ready) {
      // Keep only what still matters when the panel comes back: the last of each kind of state message.
      if (msg.type === 'results' || msg.type === 'noResults' || msg.type === 'busy' || msg.type === 'reviewed' || msg.type === 'progress') {
        this.queue = this.queue.filter((m) => m.type !== msg.type && !(msg.type === 'results' && m.type === 'noResults'));
      }
      this.queue.push(msg);
      return;
    }
    void this.panel.webview.postMessage(msg);
  }

  private panelResults(): PanelResults | undefined {
    const r = this.deps.store.current;
    if (!r) return undefined;
    const s = readSettings();
    return {
      summary: r.summary,
      trainName: vscode.workspace.asRelativePath(r.params.file),
      testName: r.params.test ? vscode.workspace.asRelativePath(r.params.test) : undefined,
      imageShape: s.imageShape,
      stale: this.deps.store.stale !== undefined,
      staleReason: this.deps.store.stale,
      reviewed: [...this.deps.reviewed.rows(r.params.file)],
      perSide: s.explainRows,
      canScan: vscode.workspace.isTrusted,
    };
  }

  private postResults(): void {
    this.updateTitle();
    const results = this.panelResults();
    if (results) this.post({ type: 'results', results });
    else
      this.post({
        type: 'noResults',
        message: 'Nothing scanned yet. Run “Dataset Debugger: Scan for Suspicious Labels” on a training file.',
        canScan: vscode.workspace.isTrusted,
      });
  }

  private onMessage(raw: unknown): void {
    const msg = parseWebviewMessage(raw);
    if (!msg) {
      this.deps.log.warn(`panel: ignored a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    // Anything the user does in the panel after a jump means the focus there is theirs (keepFocusOn);
    // the panel's own requests (page, predicted effect, ready) are not the user's.
    if (msg.type !== 'page' && msg.type !== 'effect' && msg.type !== 'ready') this.focusGuard?.dispose();
    void this.handle(msg);
  }

  private async handle(msg: WebviewToHost): Promise<void> {
    switch (msg.type) {
      case 'ready': {
        this.ready = true;
        const queued = this.queue;
        this.queue = [];
        this.postResults();
        for (const m of queued) if (m.type !== 'results' && m.type !== 'noResults') this.post(m);
        if (this.deps.scanner.busy) this.post({ type: 'busy', message: 'Scanning…' });
        if (this.deps.review) this.post({ type: 'progress', ...this.deps.review.progress });
        return;
      }
      case 'effect': {
        const r = this.deps.store.current;
        if (!r || !r.summary.dataset.classes.includes(msg.label)) return;
        let text: string | undefined;
        let message: string | undefined;
        try {
          text = await this.deps.effect?.(msg.row, msg.label);
          if (!text) message = 'No predicted effect: it needs logistic regression, and the worker holding this scan (re-scan).';
        } catch (e) {
          message = `No predicted effect: ${(e as Error).message}`;
        }
        this.post({ type: 'effect', row: msg.row, label: msg.label, text, message });
        return;
      }
      case 'page':
        return this.page(msg);
      case 'explain':
        // Choosing the margin objective again asks for the classes again.
        if (msg.objective === 'margin' && this.options?.objective !== 'margin') this.margin = undefined;
        this.options = { orderBy: msg.orderBy, mode: msg.mode, objective: msg.objective };
        await this.explain(msg.source, msg.row, this.options, false);
        return;
      case 'trust':
        await this.trust(msg.source, msg.row);
        return;
      case 'explainCluster':
        await this.explainCluster(msg.row, false);
        return;
      case 'open':
        return this.open(msg.source, msg.line);
      case 'setReviewed': {
        const r = this.deps.store.current;
        if (r) await this.deps.reviewed.set(r.params.file, [msg.row], msg.reviewed);
        return;
      }
      case 'fix': {
        const r = this.deps.store.current;
        if (!r) return;
        if (msg.action === 'correct') {
          await vscode.commands.executeCommand('datasetDebugger.markCorrect', { row: msg.row });
          return;
        }
        const suggested = msg.action === 'accept' ? await this.suggestedLabel(msg.row) : undefined;
        if (msg.action === 'accept' && suggested === undefined) {
          vscode.window.setStatusBarMessage(`Dataset Debugger: row ${msg.row} has no suggested label; L changes it to any class`, 5000);
          return;
        }
        await vscode.commands.executeCommand('datasetDebugger.changeLabel', { row: msg.row, ...(suggested !== undefined ? { label: suggested } : {}) });
        return;
      }
      case 'scan':
        await vscode.commands.executeCommand('datasetDebugger.scan');
        return;
    }
  }

  /** The suggested label of a training row (from the first page, else asked of the worker). */
  private async suggestedLabel(row: number): Promise<string | undefined> {
    const r = this.deps.store.current;
    const e = r?.first.rows.find((x) => x.row === row);
    if (e) return e.suggestedLabel !== undefined && e.suggestedLabel !== e.label ? e.suggestedLabel : undefined;
    return undefined;
  }

  private async page(msg: Extract<WebviewToHost, { type: 'page' }>): Promise<void> {
    const r = this.deps.store.current;
    if (!r) {
      this.post({ type: 'pageError', requestId: msg.requestId, message: 'Nothing scanned yet.' });
      return;
    }
    const f = msg.filter;
    const unfiltered = !(f.labels && f.labels.length > 0) && !f.text?.trim() && f.disagreeing === undefined;
    const cached = r.first.rows;
    const sameRanking = (r.first.rankBy ?? 'globalInfluence') === msg.rankBy;
    if (sameRanking && unfiltered && (msg.offset + msg.limit <= cached.length || cached.length >= r.first.total)) {
      const rows = cached.slice(msg.offset, msg.offset + msg.limit);
      this.post({ type: 'page', requestId: msg.requestId, page: { rankBy: msg.rankBy, total: r.first.total, offset: msg.offset, rows } });
      return;
    }
    try {
      if (!this.deps.worker.holds(r.summary.key) && this.deps.store.stale) {
        throw new UserFacingError(
          `These results are out of date (${this.deps.store.stale}): only the first ${cached.length} rows are kept. Re-scan to browse and filter the whole ranking.`,
        );
      }
      await this.deps.scanner.ensureHeld();
      const page = await this.deps.worker.request('page', { rankBy: msg.rankBy, offset: msg.offset, limit: msg.limit, filter: f });
      this.post({ type: 'page', requestId: msg.requestId, page });
    } catch (err) {
      this.post({ type: 'pageError', requestId: msg.requestId, message: err instanceof Error ? err.message : String(err) });
      if (!(err instanceof UserFacingError)) reportError(this.deps.log, 'loading ranking rows', err);
    }
  }

  /**
   * Shows the explanation of one row's prediction: the training rows that support and oppose it.
   * `reveal` brings the panel to the front (commands); requests from the panel itself do not.
   */
  async explain(source: DataSource, row: number, options?: ExplainOptions, reveal = true): Promise<ExplainResult | undefined> {
    if (reveal || !this.panel) this.show(true);
    const settings = readSettings();
    const wanted: ExplainOptions = options ?? this.options ?? { orderBy: 'relatifL', mode: 'influence', objective: settings.explainObjective };
    const newest = this.explains.begin();
    this.post({ type: 'explaining', source, row });
    try {
      const held = await this.deps.scanner.ensureHeld();
      // Options the scan cannot do (a Newton step after switching to turn-over dropout) fall back to what it can.
      const opts = supportedOptions(wanted, explainCapabilities(held.summary));
      const t0 = Date.now();
      const params: ExplainParams = {
        source,
        row,
        top: 0,
        withCells: true,
        perSide: settings.explainRows,
        orderBy: opts.orderBy,
        rankBy: opts.orderBy === 'influence' ? 'influence' : 'relatif',
        mode: opts.mode,
        objective: opts.objective,
      };
      if (opts.objective === 'margin') {
        const classes = await this.marginClasses(source, row, params);
        if (!classes) {
          // Dismissed: explain the loss instead, and say so in the panel (its objective switch follows the result).
          params.objective = 'loss';
        } else params.marginClasses = classes;
      }
      const result = await this.deps.worker.request('explain', params);
      this.lastExplained = result;
      this.deps.log.info(
        `explain: ${source} row ${row} (line ${result.test.line}): predicted ${result.test.predicted}` +
          `${result.test.label !== undefined ? `, label ${result.test.label}` : ''}; method ${result.method ?? 'influence'}, ` +
          `mode ${result.mode ?? 'influence'}, objective ${result.objective?.description ?? 'loss'}; ${Date.now() - t0} ms`,
      );
      if (newest()) this.post({ type: 'explanation', result });
      return result;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (newest()) this.post({ type: 'explainError', source, row, message });
      reportError(this.deps.log, `explaining ${source} row ${row}`, err);
      return undefined;
    }
  }

  /**
   * The two classes of a margin objective z_a - z_b, from a quick pick: a is the predicted class, b
   * any other, most probable first. Remembered per row. Undefined when dismissed.
   */
  private async marginClasses(source: DataSource, row: number, base: ExplainParams): Promise<[string, string] | undefined> {
    if (this.margin && this.margin.source === source && this.margin.row === row) return this.margin.classes;
    let point = this.lastExplained?.test;
    if (!point || point.source !== source || point.row !== row) {
      // The prediction is needed to offer the pairs: a cheap explanation of the loss gives it.
      point = (await this.deps.worker.request('explain', { ...base, objective: 'loss', mode: 'influence', perSide: 1, withCells: false })).test;
    }
    const pct = (c: string) => `${((point!.probabilities[c] ?? 0) * 100).toFixed(1)}%`;
    const items = marginPairs(point.predicted, point.probabilities).map(([a, b]) => ({
      label: `z(${a}) − z(${b})`,
      description: `predicted ${a} (${pct(a)}) against ${b} (${pct(b)})`,
      classes: [a, b] as [string, string],
    }));
    const picked = await vscode.window.showQuickPick(items, {
      title: `Dataset Debugger: explain the margin between which two classes? (${source} row ${row})`,
      placeHolder: 'The logit margin z_a − z_b: which training rows widen or narrow it',
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (!picked) return undefined;
    this.margin = { source, row, classes: picked.classes };
    return picked.classes;
  }

  /**
   * The trust check of an explained row: refits without a sample of rows (and random half subsets)
   * and shows how well the estimates agree with the actual changes. A notification shows progress
   * and can cancel it.
   */
  async trust(source: DataSource, row: number): Promise<TrustResult | undefined> {
    if (this.trustRunning) {
      vscode.window.setStatusBarMessage('Dataset Debugger: a check against retraining is already running', 4000);
      return undefined;
    }
    const ac = new AbortController();
    this.trustRunning = ac;
    this.post({ type: 'trusting', source, row });
    try {
      await this.deps.scanner.ensureHeld();
      const t0 = Date.now();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Dataset Debugger: checking ${source} row ${row} against retraining`, cancellable: true },
        async (progress, token) => {
          const sub = token.onCancellationRequested(() => ac.abort());
          let done = 0;
          try {
            return await this.deps.worker.request(
              'trust',
              { source, row },
              {
                signal: ac.signal,
                onProgress: (_stage, fraction, message) => {
                  const at = Math.min(1, Math.max(0, fraction ?? 0));
                  progress.report({ increment: Math.max(0, (at - done) * 100), message: message ?? `${Math.round(at * 100)}%` });
                  done = Math.max(done, at);
                },
              },
            );
          } finally {
            sub.dispose();
          }
        },
      );
      const lo = result.leaveOneOut;
      this.deps.log.info(
        `trust: ${source} row ${row}: ${lo.rows.length} leave-one-out refits, Spearman first order ${lo.firstOrder.spearman.toFixed(3)}, ` +
          `Newton ${lo.newton.spearman.toFixed(3)}` +
          (result.lds ? `; LDS ${result.lds.spearman.toFixed(3)} over ${result.lds.subsets} subsets` : '') +
          `; ${Date.now() - t0} ms`,
      );
      this.post({ type: 'trust', result });
      return result;
    } catch (err) {
      const cancelled = err instanceof RemoteError && err.isCancelled;
      const message = cancelled ? 'Cancelled.' : err instanceof Error ? err.message : String(err);
      this.post({ type: 'trustError', source, row, message });
      if (!cancelled) reportError(this.deps.log, `checking ${source} row ${row} against retraining`, err);
      return undefined;
    } finally {
      this.trustRunning = undefined;
    }
  }

  /** Unsupervised scans: shows the training rows that pull `row` into its cluster and those that push it out. */
  async explainCluster(row: number, reveal = true): Promise<ClusterResult | undefined> {
    if (reveal || !this.panel) this.show(true);
    const newest = this.explains.begin();
    this.post({ type: 'explainingCluster', row });
    try {
      await this.deps.scanner.ensureHeld();
      const t0 = Date.now();
      const result = await this.deps.worker.request('explainCluster', { row, top: readSettings().explainRows, withCells: true });
      this.deps.log.info(
        `explain cluster: row ${row} (line ${result.line}) in cluster ${result.cluster}, squared distance ${result.distance.toPrecision(4)}; ` +
          `${result.pulling.length} pulling, ${result.pushing.length} pushing; ${Date.now() - t0} ms`,
      );
      if (newest()) this.post({ type: 'cluster', result });
      return result;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (newest()) this.post({ type: 'clusterError', row, message });
      reportError(this.deps.log, `explaining the cluster of row ${row}`, err);
      return undefined;
    }
  }

  private async open(source: DataSource, line: number): Promise<void> {
    const r = this.deps.store.current;
    const file = source === 'test' ? r?.params.test : r?.params.file;
    if (!file) return;
    try {
      await this.clickFocusLanded();
      this.keepFocusOn(await openAtLine(file, line, 1, true));
    } catch (err) {
      reportError(this.deps.log, `opening ${path.basename(file)}`, err);
    }
  }

  /**
   * Resolves once the panel is active, or after CLICK_FOCUS_MS. A click in an inactive panel makes it
   * active, but the extension host hears of that after the click's message (in the e2e tests about
   * 0.14 s later), and a file opened in between can lose the focus to the panel. Waiting for the
   * panel's own activation first puts the file's focus last. A panel that is already active (a
   * keyboard jump, or a panel the user was in) resolves at once.
   */
  private clickFocusLanded(): Promise<void> {
    const panel = this.panel;
    if (!panel || panel.active) return Promise.resolve();
    return new Promise((resolve) => {
      onActiveWithin(panel, CLICK_FOCUS_MS, (active) => {
        if (!active) this.deps.log.info(`panel: no focus in the panel ${CLICK_FOCUS_MS} ms after the click; opening the file`);
        resolve();
      });
    });
  }

  /**
   * A click in the webview gives the webview the focus, but VS Code learns of it asynchronously: the
   * news can arrive after the jump showed the file, and then the panel takes the focus back from the
   * file the user asked for (the cursor is on the line, but the keyboard and the status bar stay in the
   * panel). If the panel becomes active within CLICK_FOCUS_MS of the jump, with no user action in the
   * panel in between (onMessage), the file gets the focus again, once. A jump by keyboard (Enter on an
   * example) starts in the focused panel, so the panel only becomes inactive and nothing happens.
   */
  private keepFocusOn(editor: vscode.TextEditor): void {
    this.focusGuard?.dispose();
    if (!this.panel) return;
    this.focusGuard = onActiveWithin(this.panel, CLICK_FOCUS_MS, (active) => {
      if (!active) return;
      this.deps.log.info(`panel: took the focus back after the jump to ${path.basename(editor.document.fileName)}; focusing the file again`);
      void vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false, preview: true }).then(undefined, () => undefined);
    });
  }

  dispose(): void {
    this.focusGuard?.dispose();
    this.panel?.dispose();
    for (const s of this.subs) s.dispose();
  }
}
