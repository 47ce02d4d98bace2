/**
 * Errors the user can act on. Every error about a data file names the file, the 1-based line
 * and the 1-based column, so the message alone tells where to look; the extension also uses
 * the fields to put the cursor there.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export class DataFileError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
    this.name = 'DataFileError';
  }
}

/** The fit did not reach the optimum, so influence would be meaningless. */
export class ConvergenceError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ConvergenceError';
  }
}

/** The Hessian is not positive definite (and no damping was asked for). */
export class NotPositiveDefiniteError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'NotPositiveDefiniteError';
  }
}
