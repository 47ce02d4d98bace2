/**
 * Cooperative cancellation and progress for long numeric work.
 *
 * The engine's loops are synchronous JavaScript, so a cancel message (or any other message)
 * can only be seen when the loop gives the event loop a turn. A Checkpoint does that at most
 * every `sliceMs` milliseconds, reports progress, and throws CancelledError once the signal
 * is aborted. Pass one Checkpoint down through a request; call `await cp.tick(fraction)` between
 * chunks of work (a chunk should take well under `sliceMs`).
 */
export class CancelledError extends Error {
  constructor(message = 'Cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export type ProgressSink = (stage: string, fraction: number | undefined, message?: string) => void;

export class Checkpoint {
  private lastYield = Date.now();
  private stage = '';

  constructor(
    private readonly signal?: AbortSignal,
    private readonly progress?: ProgressSink,
    private readonly sliceMs = 50,
  ) {}

  /** Names the stage that following ticks belong to and reports it once. */
  begin(stage: string, message?: string): void {
    this.throwIfCancelled();
    this.stage = stage;
    this.progress?.(stage, 0, message);
  }

  /** Reports progress within the current stage; yields to the event loop when a time slice is used up. */
  async tick(fraction?: number): Promise<void> {
    this.throwIfCancelled();
    const now = Date.now();
    if (now - this.lastYield < this.sliceMs) return;
    if (fraction !== undefined) this.progress?.(this.stage, fraction);
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = Date.now();
    this.throwIfCancelled();
  }

  throwIfCancelled(): void {
    if (this.signal?.aborted) throw new CancelledError();
  }
}

/** A checkpoint that never yields or cancels: for tests and synchronous callers. */
export const NO_CHECKPOINT = new Checkpoint();

/**
 * A checkpoint that maps its progress fractions into [from, to] of a parent's current stage (for
 * a long step made of sub-steps that tick 0..1 themselves), never reporting less than before (a
 * fit's progress follows its gradient norm, which may rise for a step). Cancellation is the parent's.
 */
export class RangeCheckpoint extends Checkpoint {
  private high = 0;

  constructor(
    private readonly parent: Checkpoint,
    private readonly from: number,
    private readonly to: number,
  ) {
    super();
  }

  override begin(): void {
    this.parent.throwIfCancelled();
  }

  override async tick(fraction?: number): Promise<void> {
    if (fraction !== undefined) this.high = Math.max(this.high, Math.min(1, fraction));
    await this.parent.tick(fraction === undefined ? undefined : this.from + (this.to - this.from) * this.high);
  }

  override throwIfCancelled(): void {
    this.parent.throwIfCancelled();
  }
}
