import { DataFileError } from '../util/errors';
import type { ErrorPayload } from './types';

/** Turns any thrown value into the payload that crosses the process boundary. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof DataFileError) {
    return { name: err.name, message: err.message, file: err.file, line: err.line, column: err.column };
  }
  if (err instanceof Error) {
    const known = ['UserError', 'ConvergenceError', 'NotPositiveDefiniteError', 'CancelledError'].includes(err.name);
    return { name: err.name, message: err.message, stack: known ? undefined : err.stack };
  }
  return { name: 'Error', message: String(err) };
}

/** The error a client raises for a payload; keeps the name so callers can tell user errors from bugs. */
export class RemoteError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  constructor(readonly payload: ErrorPayload) {
    super(payload.message);
    this.name = payload.name;
    this.file = payload.file;
    this.line = payload.line;
    this.column = payload.column;
  }
  /** True for errors caused by the input or settings, not by a bug. */
  get isUserError(): boolean {
    return ['UserError', 'DataFileError', 'ConvergenceError', 'NotPositiveDefiniteError'].includes(this.name);
  }
  get isCancelled(): boolean {
    return this.name === 'CancelledError';
  }
}
