/**
 * The client side of the worker protocol: forks the engine worker, sends typed requests and
 * resolves each with its result, relays progress and logs, and cancels. No `vscode` import: the
 * extension host, the CLI's tests and the benchmark use it alike.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { RemoteError } from '../protocol/errors';
import type { ClientMessage, LogLevel, MethodName, WorkerMessage, WorkerMethods } from '../protocol/worker';

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number | undefined, message?: string) => void;
}

export interface WorkerClientOptions {
  /** Path of the bundled worker script (dist/worker.js). */
  script: string;
  /** Node executable; default: the current one (the extension host's Node). */
  execPath?: string;
  execArgv?: string[];
  onLog?: (level: LogLevel, message: string) => void;
  /** Called once if the worker exits while requests were pending or unexpectedly. */
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: RequestOptions['onProgress'];
}

export class WorkerExitedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerExitedError';
  }
}

export class WorkerClient {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stderrTail = '';

  constructor(private readonly opts: WorkerClientOptions) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private start(): ChildProcess {
    if (this.child && this.running) return this.child;
    this.stderrTail = '';
    const child = fork(this.opts.script, [], {
      execPath: this.opts.execPath,
      execArgv: this.opts.execArgv ?? [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    child.stdout?.on('data', (d: Buffer) => this.opts.onLog?.('debug', d.toString().trimEnd()));
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      this.stderrTail = (this.stderrTail + text).slice(-4000);
      this.opts.onLog?.('warn', text.trimEnd());
    });
    child.on('message', (m: WorkerMessage) => this.onMessage(m));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const detail = this.stderrTail.trim().split('\n').slice(-5).join('\n');
      const err = new WorkerExitedError(
        `The Dataset Debugger worker stopped (${signal ?? `exit code ${code}`})` + (detail ? `: ${detail}` : '.'),
      );
      const hadPending = this.pending.size > 0;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (hadPending || (code !== 0 && signal !== 'SIGTERM')) this.opts.onExit?.(code, signal);
    });
    this.child = child;
    return child;
  }

  private onMessage(m: WorkerMessage): void {
    switch (m.type) {
      case 'log':
        this.opts.onLog?.(m.level, m.message);
        return;
      case 'ready':
        return;
      case 'progress':
        this.pending.get(m.id)?.onProgress?.(m.stage, m.fraction, m.message);
        return;
      case 'result': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve(m.result);
        return;
      }
      case 'error': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.reject(new RemoteError(m.error));
        return;
      }
    }
  }

  request<M extends MethodName>(
    method: M,
    params: WorkerMethods[M]['params'],
    options: RequestOptions = {},
  ): Promise<WorkerMethods[M]['result']> {
    this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new RemoteError({ name: 'CancelledError', message: 'Cancelled' }));
        return;
      }
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: options.onProgress });
      options.signal?.addEventListener('abort', () => this.post({ type: 'cancel', id }), { once: true });
      this.post({ type: 'request', id, method, params } as ClientMessage);
    });
  }

  private post(msg: ClientMessage): void {
    this.child?.send(msg);
  }

  /** Stops the worker; pending requests fail. */
  dispose(): void {
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }
}
