/**
 * Dispatches protocol requests to handlers, one AbortController per request, and turns results,
 * progress and errors into messages. Transport-agnostic: the worker process wires it to
 * `process.send`, tests wire it to an in-memory pair.
 */
import { toErrorPayload } from '../protocol/errors';
import { parseClientMessage, type LogLevel, type MethodName, type WorkerMessage, type WorkerMethods } from '../protocol/worker';
import { Checkpoint } from '../util/cancel';

export interface RequestContext {
  checkpoint: Checkpoint;
  signal: AbortSignal;
  log(level: LogLevel, message: string): void;
}

type Handler<M extends MethodName> = (params: WorkerMethods[M]['params'], ctx: RequestContext) => Promise<WorkerMethods[M]['result']>;

/** Methods a server may leave out; it answers them with an error. The engine worker serves them all. */
type OptionalMethod = 'lines' | 'columns' | 'explainCluster';

export type Handlers = { [M in Exclude<MethodName, OptionalMethod>]: Handler<M> } & { [M in OptionalMethod]?: Handler<M> };

export class WorkerServer {
  private readonly running = new Map<number, AbortController>();
  /** Requests run one at a time, in order: they share one warm session. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly handlers: Handlers,
    private readonly send: (msg: WorkerMessage) => void,
  ) {}

  log(level: LogLevel, message: string): void {
    this.send({ type: 'log', level, message });
  }

  receive(raw: unknown): void {
    const msg = parseClientMessage(raw);
    if (!msg) {
      this.log('warn', `ignored a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (msg.type === 'cancel') {
      this.running.get(msg.id)?.abort();
      return;
    }
    const ac = new AbortController();
    this.running.set(msg.id, ac);
    const run = async () => {
      const checkpoint = new Checkpoint(ac.signal, (stage, fraction, message) =>
        this.send({ type: 'progress', id: msg.id, stage, fraction, message }),
      );
      const ctx: RequestContext = { checkpoint, signal: ac.signal, log: (l, m) => this.log(l, m) };
      try {
        // One turn of the event loop first: a cancel sent right behind its request (already in the pipe)
        // is read before any work starts, so it takes effect however fast the request would have been.
        await new Promise<void>((resolve) => setImmediate(resolve));
        checkpoint.throwIfCancelled();
        const handler = this.handlers[msg.method] as ((p: unknown, c: RequestContext) => Promise<unknown>) | undefined;
        if (!handler) throw new Error(`This worker does not serve '${msg.method}'.`);
        const result = await handler(msg.params, ctx);
        this.send({ type: 'result', id: msg.id, result });
      } catch (err) {
        this.send({ type: 'error', id: msg.id, error: toErrorPayload(err) });
      } finally {
        this.running.delete(msg.id);
      }
    };
    this.queue = this.queue.then(run, run);
  }
}
