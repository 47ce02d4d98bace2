import { NotPositiveDefiniteError } from '../util/errors';
import { dot, rowGram, transpose } from './dense';

export interface CholeskyOptions {
  /** Added to every diagonal entry before factoring (only when the user asked for damping). */
  damping?: number;
  /** Names the matrix in the error message, e.g. "Hessian". */
  what?: string;
}

/**
 * Cholesky factorisation A = L L^T of a symmetric positive definite n x n matrix, in place: on return
 * the lower triangle of A holds L and the strict upper triangle is zero. Only the lower triangle of A
 * is read. Row-oriented (Cholesky-Banachiewicz): every inner product runs over two contiguous row
 * prefixes, two rows at a time.
 * Throws NotPositiveDefiniteError on a pivot that is not > 0 (or not finite).
 */
export function choleskyInPlace(A: Float64Array, n: number, opts: CholeskyOptions = {}): void {
  choleskyRows(A, n, 0, n, opts);
}

/**
 * Rows [r0, r1) of the in-place Cholesky factorisation (rows before r0 must already hold L), so a
 * long factorisation can be cut into chunks with a checkpoint between them.
 */
export function choleskyRows(A: Float64Array, n: number, r0: number, r1: number, opts: CholeskyOptions = {}): void {
  if (A.length < n * n) throw new RangeError(`choleskyRows: need ${n * n} entries, got ${A.length}`);
  const damping = opts.damping ?? 0;
  let i = r0;
  // Two rows per pass: each L[j, 0:j] loaded once serves rows i and i + 1.
  for (; i + 1 < r1; i += 2) {
    const ri = i * n, ri1 = ri + n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let s0 = 0, s1 = 0, t0 = 0, t1 = 0;
      let k = 0;
      for (; k + 1 < j; k += 2) {
        const l0 = A[rj + k], l1 = A[rj + k + 1];
        s0 += A[ri + k] * l0;
        s1 += A[ri + k + 1] * l1;
        t0 += A[ri1 + k] * l0;
        t1 += A[ri1 + k + 1] * l1;
      }
      if (k < j) {
        const l0 = A[rj + k];
        s0 += A[ri + k] * l0;
        t0 += A[ri1 + k] * l0;
      }
      const ljj = A[rj + j];
      A[ri + j] = (A[ri + j] - (s0 + s1)) / ljj;
      A[ri1 + j] = (A[ri1 + j] - (t0 + t1)) / ljj;
    }
    A[ri + i] = pivot(A[ri + i] + damping, dot(A, ri, A, ri, i), i, opts);
    A[ri1 + i] = (A[ri1 + i] - dot(A, ri1, A, ri, i)) / A[ri + i];
    A[ri1 + i + 1] = pivot(A[ri1 + i + 1] + damping, dot(A, ri1, A, ri1, i + 1), i + 1, opts);
  }
  for (; i < r1; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) A[ri + j] = (A[ri + j] - dot(A, ri, A, j * n, j)) / A[j * n + j];
    A[ri + i] = pivot(A[ri + i] + damping, dot(A, ri, A, ri, i), i, opts);
  }
  for (let r = r0; r < r1; r++) A.fill(0, r * n + r + 1, r * n + n);
}

/** sqrt(a - s) for the diagonal entry a (damping included) and the sum s of squares beside it. */
function pivot(a: number, s: number, i: number, opts: CholeskyOptions): number {
  const d = a - s;
  // Cancellation to within rounding of the entry counts as a zero pivot too.
  if (d > 1e-14 * Math.abs(a) && Number.isFinite(d)) return Math.sqrt(d);
  const what = opts.what ?? 'matrix';
  const suggestion = Math.max(1e-8 * Math.abs(a), Math.abs(d) * 10, 1e-12).toPrecision(2);
  throw new NotPositiveDefiniteError(
    `The ${what} is not positive definite: Cholesky pivot ${i} is ${d.toPrecision(4)}` +
      (opts.damping ? ` even with damping ${opts.damping}` : '') +
      `. Add damping to its diagonal (e.g. ${suggestion} or more) or raise the L2 regularisation.`,
  );
}

/** A Cholesky factor L (lower, row-major n x n) with the solves it supports. */
export class Cholesky {
  private upper?: Float64Array;

  private constructor(
    readonly L: Float64Array,
    readonly n: number,
  ) {}

  /** Factors a copy of A (lower triangle read). */
  static factor(A: Float64Array, n: number, opts: CholeskyOptions = {}): Cholesky {
    const L = Float64Array.from(A.subarray(0, n * n));
    choleskyInPlace(L, n, opts);
    return new Cholesky(L, n);
  }

  /** Factors A itself, overwriting it with L. */
  static factorInPlace(A: Float64Array, n: number, opts: CholeskyOptions = {}): Cholesky {
    choleskyInPlace(A, n, opts);
    return new Cholesky(A, n);
  }

  /** Wraps an existing lower factor (e.g. one computed in chunks with choleskyRows). */
  static fromFactor(L: Float64Array, n: number): Cholesky {
    return new Cholesky(L, n);
  }

  /** x = A^-1 b (new array). */
  solve(b: Float64Array): Float64Array {
    const x = Float64Array.from(b.subarray(0, this.n));
    this.solveRows(x, 1);
    return x;
  }

  /** Every row r of the m x n matrix B (one right-hand side per row) becomes L^-1 b_r. */
  forwardRows(B: Float64Array, m: number): void {
    forwardSolveRows(this.L, this.n, B, m);
  }

  /** Every row r of the m x n matrix B becomes L^-T b_r. */
  backRows(B: Float64Array, m: number): void {
    backSolveRowsUpper(this.transposed(), this.n, B, m);
  }

  /** Every row r of the m x n matrix B becomes A^-1 b_r. */
  solveRows(B: Float64Array, m: number): void {
    forwardSolveRows(this.L, this.n, B, m);
    backSolveRowsUpper(this.transposed(), this.n, B, m);
  }

  /** L^T, row-major (made once, on the first back substitution), so both solves run on contiguous rows. */
  transposed(): Float64Array {
    if (!this.upper) this.upper = transpose(this.L, this.n, this.n);
    return this.upper;
  }

  /** A^-1 = L^-T L^-1 (symmetric, full n x n). */
  inverse(): Float64Array {
    return rowGram(invertLowerTransposed(this.L, this.n), this.n, this.n, true);
  }

  logDet(): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += Math.log(this.L[i * this.n + i]);
    return 2 * s;
  }
}

/**
 * Forward substitution L y = b for m right-hand sides stored as the rows of B (m x n), in place.
 * Four right-hand sides against two rows of L per pass (eight independent sums; each loaded entry
 * of L serves four right-hand sides, each entry of B two rows of L).
 */
export function forwardSolveRows(L: Float64Array, n: number, B: Float64Array, m: number): void {
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const b0 = r * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const li = i * n, lj = li + n;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let k = 0; k < i; k++) {
        const l = L[li + k], h = L[lj + k];
        const x0 = B[b0 + k], x1 = B[b1 + k], x2 = B[b2 + k], x3 = B[b3 + k];
        s0 += l * x0;
        s1 += l * x1;
        s2 += l * x2;
        s3 += l * x3;
        t0 += h * x0;
        t1 += h * x1;
        t2 += h * x2;
        t3 += h * x3;
      }
      const d = L[li + i];
      const y0 = (B[b0 + i] = (B[b0 + i] - s0) / d);
      const y1 = (B[b1 + i] = (B[b1 + i] - s1) / d);
      const y2 = (B[b2 + i] = (B[b2 + i] - s2) / d);
      const y3 = (B[b3 + i] = (B[b3 + i] - s3) / d);
      const h = L[lj + i], e = L[lj + i + 1];
      B[b0 + i + 1] = (B[b0 + i + 1] - t0 - h * y0) / e;
      B[b1 + i + 1] = (B[b1 + i + 1] - t1 - h * y1) / e;
      B[b2 + i + 1] = (B[b2 + i + 1] - t2 - h * y2) / e;
      B[b3 + i + 1] = (B[b3 + i + 1] - t3 - h * y3) / e;
    }
    if (i < n) {
      const li = i * n, d = L[li + i];
      B[b0 + i] = (B[b0 + i] - dot(L, li, B, b0, i)) / d;
      B[b1 + i] = (B[b1 + i] - dot(L, li, B, b1, i)) / d;
      B[b2 + i] = (B[b2 + i] - dot(L, li, B, b2, i)) / d;
      B[b3 + i] = (B[b3 + i] - dot(L, li, B, b3, i)) / d;
    }
  }
  for (; r < m; r++) {
    const b = r * n;
    for (let i = 0; i < n; i++) B[b + i] = (B[b + i] - dot(L, i * n, B, b, i)) / L[i * n + i];
  }
}

/**
 * Back substitution L^T x = b for m right-hand sides stored as the rows of B (m x n), in place.
 * Column-oriented on L^T, i.e. row-oriented on L: once x_i is known, row i of L updates the rest.
 */
export function backSolveRows(L: Float64Array, n: number, B: Float64Array, m: number): void {
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const b0 = r * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    for (let i = n - 1; i >= 0; i--) {
      const li = i * n;
      const d = L[li + i];
      const x0 = (B[b0 + i] /= d), x1 = (B[b1 + i] /= d), x2 = (B[b2 + i] /= d), x3 = (B[b3 + i] /= d);
      for (let k = 0; k < i; k++) {
        const l = L[li + k];
        B[b0 + k] -= x0 * l;
        B[b1 + k] -= x1 * l;
        B[b2 + k] -= x2 * l;
        B[b3 + k] -= x3 * l;
      }
    }
  }
  for (; r < m; r++) {
    const b = r * n;
    for (let i = n - 1; i >= 0; i--) {
      const li = i * n;
      const x = (B[b + i] /= L[li + i]);
      for (let k = 0; k < i; k++) B[b + k] -= x * L[li + k];
    }
  }
}

/**
 * Back substitution U x = b with U = L^T given explicitly (upper, row-major), for m right-hand sides
 * stored as the rows of B (m x n), in place: x_i = (b_i - U[i, i+1:] . x[i+1:]) / U_ii. Four
 * right-hand sides against two rows of U (i and i - 1) per pass.
 */
export function backSolveRowsUpper(U: Float64Array, n: number, B: Float64Array, m: number): void {
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const b0 = r * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
    let i = n - 1;
    for (; i >= 1; i -= 2) {
      // Rows i and j = i - 1 share the sums over k > i; row j also needs U[j, i] x_i.
      const ui = i * n, uj = ui - n;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let k = i + 1; k < n; k++) {
        const u = U[ui + k], v = U[uj + k];
        const x0 = B[b0 + k], x1 = B[b1 + k], x2 = B[b2 + k], x3 = B[b3 + k];
        s0 += u * x0;
        s1 += u * x1;
        s2 += u * x2;
        s3 += u * x3;
        t0 += v * x0;
        t1 += v * x1;
        t2 += v * x2;
        t3 += v * x3;
      }
      const d = U[ui + i];
      const y0 = (B[b0 + i] = (B[b0 + i] - s0) / d);
      const y1 = (B[b1 + i] = (B[b1 + i] - s1) / d);
      const y2 = (B[b2 + i] = (B[b2 + i] - s2) / d);
      const y3 = (B[b3 + i] = (B[b3 + i] - s3) / d);
      const j = i - 1;
      const h = U[uj + i], e = U[uj + j];
      B[b0 + j] = (B[b0 + j] - t0 - h * y0) / e;
      B[b1 + j] = (B[b1 + j] - t1 - h * y1) / e;
      B[b2 + j] = (B[b2 + j] - t2 - h * y2) / e;
      B[b3 + j] = (B[b3 + j] - t3 - h * y3) / e;
    }
    if (i === 0) {
      const d = U[0], len = n - 1;
      B[b0] = (B[b0] - dot(U, 1, B, b0 + 1, len)) / d;
      B[b1] = (B[b1] - dot(U, 1, B, b1 + 1, len)) / d;
      B[b2] = (B[b2] - dot(U, 1, B, b2 + 1, len)) / d;
      B[b3] = (B[b3] - dot(U, 1, B, b3 + 1, len)) / d;
    }
  }
  for (; r < m; r++) {
    const b = r * n;
    for (let i = n - 1; i >= 0; i--) B[b + i] = (B[b + i] - dot(U, i * n + i + 1, B, b + i + 1, n - i - 1)) / U[i * n + i];
  }
}

/**
 * (L^-1)^T for lower-triangular L: an upper-triangular n x n matrix whose row j is column j of L^-1
 * (the solution of L y = e_j, zero before j), so that L^-T L^-1 is the Gram matrix of its rows.
 */
export function invertLowerTransposed(L: Float64Array, n: number): Float64Array {
  const U = new Float64Array(n * n);
  invertLowerTransposedRows(L, n, U, 0, n);
  return U;
}

/** Rows [j0, j1) of invertLowerTransposed into U (so the work can be cut into chunks). */
export function invertLowerTransposedRows(L: Float64Array, n: number, U: Float64Array, j0: number, j1: number): void {
  for (let j = j0; j < j1; j++) {
    const u = j * n;
    U[u + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const li = i * n;
      U[u + i] = -dot(L, li + j, U, u + j, i - j) / L[li + i];
    }
  }
}
