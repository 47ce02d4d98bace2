/**
 * Matching replies to requests on a message channel (the panel <-> host channel, src/protocol/webview.ts),
 * one helper for both sides instead of hand-kept counters:
 * - PendingRequests: requests that carry an id (`page`), each reply matched to its request once;
 *   dropAll() makes replies to everything asked so far be ignored (the ranking or filter changed).
 * - LatestRequest: requests where only the newest answer may be shown (explanations): begin() returns
 *   a check that is true until a newer request begins.
 */
export class PendingRequests<Context> {
  private next = 1;
  private readonly open = new Map<number, Context>();

  /** Registers a request with what its reply needs; returns the id to send with it. */
  send(context: Context): number {
    const id = this.next++;
    this.open.set(id, context);
    return id;
  }

  /** The request a reply answers (each once); undefined for an unknown, answered or dropped request. */
  settle(requestId: number): Context | undefined {
    const c = this.open.get(requestId);
    this.open.delete(requestId);
    return c;
  }

  /** Forgets every open request: their replies are ignored. */
  dropAll(): void {
    this.open.clear();
  }
}

export class LatestRequest {
  private seq = 0;

  /** Starts a request; the returned check says whether it is still the newest. */
  begin(): () => boolean {
    const mine = ++this.seq;
    return () => mine === this.seq;
  }
}
