/**
 * Turns failures of engine requests into messages the user can act on: data errors (file, line,
 * column) come with a button that opens the file there; user errors are shown as they are; a
 * cancelled request is logged only; anything else is a bug, shown with a button to the log.
 */
import * as vscode from 'vscode';
import { RemoteError } from '../src/protocol/errors';
import { WorkerExitedError } from '../src/worker/client';
import { openAtLine } from './navigation';

export class UserFacingError extends Error {
  constructor(message: string, readonly actions: { title: string; run: () => unknown }[] = []) {
    super(message);
    this.name = 'UserFacingError';
  }
}

export function reportError(log: vscode.LogOutputChannel, what: string, err: unknown): void {
  if (err instanceof RemoteError && err.isCancelled) {
    log.info(`${what}: cancelled`);
    return;
  }
  if (err instanceof UserFacingError) {
    log.warn(`${what}: ${err.message}`);
    void vscode.window.showWarningMessage(err.message, ...err.actions.map((a) => a.title)).then((pick) => {
      err.actions.find((a) => a.title === pick)?.run();
    });
    return;
  }
  if (err instanceof WorkerExitedError) {
    // WorkerHost already told the user the worker stopped; keep the detail (stderr tail) in the log.
    log.error(`${what}: ${err.message}`);
    return;
  }
  if (err instanceof RemoteError && err.file !== undefined && err.line !== undefined) {
    const file = err.file;
    const line = err.line;
    const column = err.column ?? 1;
    log.warn(`${what}: ${err.message}`);
    void vscode.window.showErrorMessage(`Dataset Debugger: ${err.message}`, 'Open File').then((pick) => {
      if (pick) void openAtLine(file, line, column);
    });
    return;
  }
  if (err instanceof RemoteError && err.isUserError) {
    log.warn(`${what}: ${err.message}`);
    void vscode.window.showErrorMessage(`Dataset Debugger: ${err.message}`);
    return;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  log.error(`${what} failed: ${e.stack ?? e.message}`);
  if (err instanceof RemoteError && err.payload.stack) log.error(`worker stack: ${err.payload.stack}`);
  void vscode.window.showErrorMessage(`Dataset Debugger: ${what} failed: ${e.message}`, 'Show Log').then((pick) => {
    if (pick) log.show();
  });
}
