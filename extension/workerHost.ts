/**
 * The engine worker's lifecycle: one long-lived WorkerClient per workspace (forked on the first
 * request), its logs in the output channel, a clear message when it dies, and which scan the running
 * worker holds in memory (so explanations and pages are cheap queries, and a restarted worker is
 * re-scanned before it is asked anything).
 */
import * as vscode from 'vscode';
import type { LogLevel, MethodName, WorkerMethods } from '../src/protocol/worker';
import { WorkerClient, type RequestOptions } from '../src/worker/client';
import { readSettings } from './config';

export class WorkerHost implements vscode.Disposable {
  private client?: WorkerClient;
  private clientArgs = '';
  /** ScanSummary.key of the scan the running worker holds. */
  private heldKey?: string;
  private disposed = false;

  constructor(
    private readonly workerScript: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** True when the running worker holds the scan with this key. */
  holds(key: string): boolean {
    return this.heldKey === key && this.client?.running === true;
  }

  /** Records that the worker now holds this scan (after a successful scan request). */
  setHeld(key: string | undefined): void {
    this.heldKey = key;
  }

  private ensureClient(): WorkerClient {
    const args = readSettings().workerNodeArgs;
    const argsKey = JSON.stringify(args);
    if (this.client && argsKey !== this.clientArgs) {
      this.log.info(`worker: Node arguments changed (${argsKey}); stopping the old worker`);
      this.stop();
    }
    if (!this.client) {
      this.clientArgs = argsKey;
      const client = new WorkerClient({
        script: this.workerScript,
        execArgv: args,
        onLog: (level, message) => this.onLog(level, message),
        onExit: (code, signal) => {
          if (this.client !== client || this.disposed) return;
          this.heldKey = undefined;
          const how = signal ? `signal ${signal}` : `exit code ${code}`;
          this.log.error(`worker: stopped unexpectedly (${how})`);
          void vscode.window
            .showErrorMessage(
              `Dataset Debugger: the engine worker stopped unexpectedly (${how}); its results in memory are lost. ` +
                'The next command starts a new worker.',
              'Show Log',
            )
            .then((pick) => pick && this.log.show());
        },
      });
      this.client = client;
      this.log.info(`worker: ${this.workerScript}${args.length ? ` with Node arguments ${args.join(' ')}` : ''}`);
    }
    return this.client;
  }

  private onLog(level: LogLevel, message: string): void {
    if (!message) return;
    const line = `worker: ${message}`;
    if (level === 'error') this.log.error(line);
    else if (level === 'warn') this.log.warn(line);
    else if (level === 'debug') this.log.debug(line);
    else this.log.info(line);
  }

  async request<M extends MethodName>(
    method: M,
    params: WorkerMethods[M]['params'],
    options: RequestOptions = {},
  ): Promise<WorkerMethods[M]['result']> {
    const client = this.ensureClient();
    // A worker that is not running holds nothing: this request forks a fresh one.
    if (!client.running) this.heldKey = undefined;
    const t0 = Date.now();
    try {
      return await client.request(method, params, options);
    } finally {
      // Slow requests are worth a line at the default level (a first request includes the worker's start).
      const ms = Date.now() - t0;
      if (ms >= 1000) this.log.info(`${method}: ${ms} ms`);
      else this.log.debug(`${method}: ${ms} ms`);
    }
  }

  /** Stops the worker (the next request forks a new one). */
  stop(): void {
    const c = this.client;
    this.client = undefined;
    this.heldKey = undefined;
    c?.dispose();
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
  }
}
