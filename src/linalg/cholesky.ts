import { NotPositiveDefiniteError } from '../util/errors';
import { dot } from './dense';
import { KernelSpace } from './kernels';

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

/** Where a factorisation in progress lives in its kernel space (Cholesky.layout). */
interface FactorSpace {
  ks: KernelSpace;
  offL: number;
  offDinv: number;
  offT: number;
  offD: number;
  diag: Float64Array;
}

/** Block size of the blocked factorisation and solves (a multiple of 2 for the kernel's tiles). */
const NB = 32;
/** Right-hand sides per pass of the blocked solves. */
const RHS_CHUNK = 64;

/**
 * A Cholesky factor L (lower, row-major n x n) with the solves it supports. Factorisation and
 * multi-right-hand-side solves are blocked: the bulk of their work is the gemmNT kernel of
 * ./kernels (WebAssembly SIMD where available) on panels of NB columns, the rest small triangular
 * solves in JavaScript. L lives in the factor's own KernelSpace next to L^T (for back substitution
 * on contiguous rows) and a buffer for a chunk of right-hand sides.
 */
export class Cholesky {
  private ks?: KernelSpace;
  private offL = 0;
  private offU = 0;
  private offB = 0;
  /** Inverses of the NB x NB diagonal blocks of L (block j at offDinv + j NB^2), and their transposes. */
  private offDinv = 0;
  private offDinvT = 0;
  private offT = 0;
  private hasUpper = false;
  /** The inverted diagonal blocks are in place (the blocked factorisation makes them as it goes). */
  private hasDinv = false;

  private constructor(
    /** The factor, lower triangular, row-major (upper triangle zero). */
    readonly L: Float64Array,
    readonly n: number,
  ) {}

  /** Factors a copy of A (lower triangle read). */
  static factor(A: Float64Array, n: number, opts: CholeskyOptions = {}): Cholesky {
    const p = Cholesky.prepare(A, n);
    factorColumns(p, n, 0, n, opts);
    return Cholesky.finish(p, n);
  }

  /** The same with `tick(fraction)` awaited between blocks of rows (for a Checkpoint). */
  static async factorAsync(A: Float64Array, n: number, opts: CholeskyOptions, tick?: (fraction: number) => Promise<void>): Promise<Cholesky> {
    return Cholesky.factorBlocked(Cholesky.prepare(A, n), n, opts, tick);
  }

  /**
   * Factors, in place, the n x n matrix at offset `at` of a kernel space that still has
   * Cholesky.workspace(n) doubles free (e.g. the Hessian where it was accumulated): no copy, and no
   * fresh memory for the factor. The space then belongs to the factor.
   */
  static async factorInSpaceAsync(ks: KernelSpace, at: number, n: number, opts: CholeskyOptions, tick?: (fraction: number) => Promise<void>, reuse?: { at: number; size: number }): Promise<Cholesky> {
    return Cholesky.factorBlocked(Cholesky.layout(ks, at, n, reuse), n, opts, tick);
  }

  /** Doubles a space needs beside an n x n matrix for factorInSpaceAsync. */
  static workspace(n: number): number {
    return Cholesky.spaceSize(n) - n * n;
  }

  private static async factorBlocked(p: ReturnType<typeof Cholesky.prepare>, n: number, opts: CholeskyOptions, tick?: (fraction: number) => Promise<void>): Promise<Cholesky> {
    // Block column c costs ~ (n - c) c NB multiply-adds (n^3 / 6 in all): one kernel call per ~2M
    // of them (a single call up to n ~ 230), a tick between calls.
    const total = n ** 3 / 6;
    let done = 0;
    for (let c0 = 0; c0 < n; ) {
      let c1 = c0, work = 0;
      while (c1 < n && work <= 2e6) {
        work += (n - c1) * (c1 + NB) * NB;
        c1 += NB;
      }
      c1 = Math.min(n, c1);
      factorColumns(p, n, c0, c1, opts);
      done += work;
      c0 = c1;
      if (tick && c0 < n) await tick(Math.min(1, done / total));
    }
    return Cholesky.finish(p, n);
  }

  /** Factors A and overwrites its lower triangle with L (upper zeroed), as choleskyInPlace. */
  static factorInPlace(A: Float64Array, n: number, opts: CholeskyOptions = {}): Cholesky {
    const ch = Cholesky.factor(A, n, opts);
    A.set(ch.L);
    return ch;
  }

  /** Wraps an existing lower factor (e.g. one computed in chunks with choleskyRows). */
  static fromFactor(L: Float64Array, n: number): Cholesky {
    return new Cholesky(L, n);
  }

  /** Doubles of a factor's space: L, L^T, a chunk of right-hand sides, the inverted diagonal blocks. */
  private static spaceSize(n: number): number {
    const blocks = Math.ceil(n / NB);
    return 2 * n * n + RHS_CHUNK * n + 2 * blocks * NB * NB + RHS_CHUNK * NB + n + 64;
  }

  private static prepare(A: Float64Array, n: number) {
    if (A.length < n * n) throw new RangeError(`Cholesky: need ${n * n} entries, got ${A.length}`);
    const ks = KernelSpace.create(Cholesky.spaceSize(n));
    const offL = ks.alloc(n * n);
    ks.f64.set(A.subarray(0, n * n), offL);
    return Cholesky.layout(ks, offL, n);
  }

  /**
   * The factor's buffers beside the matrix at offL (allocated from ks), and A's diagonal. The ones
   * the factorisation itself writes (inverted diagonal blocks, scratch, diagonal) go into `reuse`,
   * a region of ks the caller no longer needs, when they fit: memory touched for the first time
   * is costly (page faults: ~5 ms of CPU per MB on the development machine, a third of the
   * factor's time on satellite's 222 x 222).
   */
  private static layout(ks: KernelSpace, offL: number, n: number, reuse?: { at: number; size: number }) {
    const blocks = Math.ceil(n / NB);
    const small = blocks * NB * NB + RHS_CHUNK * NB + n + 4;
    let offDinv: number, offT: number, offD: number;
    if (reuse && reuse.size >= small) {
      offDinv = reuse.at + (reuse.at & 1);
      offT = offDinv + blocks * NB * NB;
      offD = offT + RHS_CHUNK * NB;
    } else {
      offDinv = ks.alloc(blocks * NB * NB);
      offT = ks.alloc(RHS_CHUNK * NB);
      offD = ks.alloc(n);
    }
    const offU = ks.alloc(n * n), offB = ks.alloc(RHS_CHUNK * n), offDinvT = ks.alloc(blocks * NB * NB);
    const f = ks.f64;
    const diag = ks.view(offD, n);
    for (let i = 0; i < n; i++) diag[i] = f[offL + i * n + i];
    return { ks, offL, offU, offB, offD, offDinv, offDinvT, offT, diag };
  }

  private static finish(p: ReturnType<typeof Cholesky.prepare>, n: number): Cholesky {
    // (The kernel's cholBlocked has zeroed the upper triangle.)
    const ch = new Cholesky(p.ks.view(p.offL, n * n), n);
    ch.ks = p.ks;
    ch.offL = p.offL;
    ch.offU = p.offU;
    ch.offB = p.offB;
    ch.offDinv = p.offDinv;
    ch.offDinvT = p.offDinvT;
    ch.offT = p.offT;
    ch.hasDinv = true;
    return ch;
  }

  /**
   * The kernel space holding L, the inverted diagonal blocks and the right-hand-side buffer (made on
   * first use for fromFactor); with `upper`, also L^T and the blocks' transposes, which only back
   * substitution reads (made on its first use: a forward-only caller never pays for them).
   */
  private space(upper: boolean): KernelSpace {
    if (!this.ks) {
      const n = this.n;
      const ks = KernelSpace.create(Cholesky.spaceSize(n));
      this.offL = ks.alloc(n * n);
      this.offU = ks.alloc(n * n);
      this.offB = ks.alloc(RHS_CHUNK * n);
      ks.f64.set(this.L.subarray(0, n * n), this.offL);
      this.ks = ks;
    }
    const n = this.n, ks = this.ks;
    const blocks = Math.ceil(n / NB);
    if (!this.hasDinv) {
      // Diagonal blocks inverted once, so that the per-block solves are kernel products too.
      this.offDinv = ks.alloc(blocks * NB * NB);
      this.offDinvT = ks.alloc(blocks * NB * NB);
      this.offT = ks.alloc(RHS_CHUNK * NB);
      for (let j = 0; j < blocks; j++) {
        const j0 = j * NB;
        ks.trtri(this.offL + j0 * n + j0, n, Math.min(NB, n - j0), this.offDinv + j * NB * NB, NB);
      }
      this.hasDinv = true;
    }
    if (upper && !this.hasUpper) {
      ks.transpose(this.offL, n, this.offU, n, n, n);
      for (let j = 0; j < blocks; j++) {
        const w = Math.min(NB, n - j * NB);
        ks.transpose(this.offDinv + j * NB * NB, NB, this.offDinvT + j * NB * NB, NB, w, w);
      }
      this.hasUpper = true;
    }
    return ks;
  }

  /** x = A^-1 b (new array). */
  solve(b: Float64Array): Float64Array {
    const x = Float64Array.from(b.subarray(0, this.n));
    this.solveRows(x, 1);
    return x;
  }

  /** Every row r of the m x n matrix B (one right-hand side per row) becomes L^-1 b_r. */
  forwardRows(B: Float64Array, m: number): void {
    this.rows(B, m, true, false);
  }

  /** Every row r of the m x n matrix B becomes L^-T b_r. */
  backRows(B: Float64Array, m: number): void {
    this.rows(B, m, false, true);
  }

  /** Every row r of the m x n matrix B becomes A^-1 b_r. */
  solveRows(B: Float64Array, m: number): void {
    this.rows(B, m, true, true);
  }

  private rows(B: Float64Array, m: number, forward: boolean, back: boolean): void {
    const n = this.n;
    const ks = this.space(back);
    const f = ks.f64;
    if (m < 4) {
      // A few vectors: the contiguous single-row routines, without copies.
      if (forward) forwardSolveRows(ks.view(this.offL, n * n), n, B, m);
      if (back) backSolveRowsUpper(ks.view(this.offU, n * n), n, B, m);
      return;
    }
    for (let r0 = 0; r0 < m; r0 += RHS_CHUNK) {
      const h = Math.min(RHS_CHUNK, m - r0);
      f.set(B.subarray(r0 * n, (r0 + h) * n), this.offB);
      if (forward) forwardBlocked(ks, this.offL, n, this.offDinv, this.offT, n, this.offB, n, h);
      if (back) backBlocked(ks, this.offU, this.offDinvT, this.offT, n, this.offB, h);
      B.set(f.subarray(this.offB, this.offB + h * n), r0 * n);
    }
  }

  /** Right-hand sides per call of forwardBuffer / backBuffer. */
  static readonly RHS_CHUNK = RHS_CHUNK;

  /**
   * The factor's own buffer of RHS_CHUNK right-hand sides (rows of n entries) in its kernel space:
   * fill its first m rows, then forwardBuffer(m) / backBuffer(m) solve them in place, without the
   * copies of forwardRows / backRows.
   */
  rhsBuffer(): Float64Array {
    const ks = this.space(false);
    return ks.view(this.offB, RHS_CHUNK * this.n);
  }

  /** The first m rows b_r of rhsBuffer() become L^-1 b_r (m <= RHS_CHUNK). */
  forwardBuffer(m: number): void {
    if (m > RHS_CHUNK) throw new RangeError(`forwardBuffer: ${m} rows, at most ${RHS_CHUNK}`);
    const ks = this.space(false);
    forwardBlocked(ks, this.offL, this.n, this.offDinv, this.offT, this.n, this.offB, this.n, m);
  }

  /** The first m rows b_r of rhsBuffer() become L^-T b_r (m <= RHS_CHUNK). */
  backBuffer(m: number): void {
    if (m > RHS_CHUNK) throw new RangeError(`backBuffer: ${m} rows, at most ${RHS_CHUNK}`);
    const ks = this.space(true);
    backBlocked(ks, this.offU, this.offDinvT, this.offT, this.n, this.offB, m);
  }

  /**
   * A^-1 = L^-T L^-1 on the kernel, P^3 / 3 multiply-adds (P^3 / 6 for the rows of L^-T by forward
   * substitution of the identity's rows, skipping their leading zero blocks; P^3 / 6 for the product
   * of the triangle with its transpose, in place, block by block through the scratch T). Returns an
   * n x n view in the factor's space whose entries [i, j] with floor(i / NB) <= floor(j / NB) hold
   * A^-1[i, j] (every i <= j among them); the rest is scratch. The view lives where L^T goes, so it
   * is valid until the next back substitution (which rebuilds L^T there).
   */
  inverseUpperBlocks(): Float64Array {
    const n = this.n, ks = this.space(false), f = ks.f64;
    const U = this.offU, T = this.offT;
    this.hasUpper = false;
    // Rows r of U become (L^-1 e_r)^T, zero before r: the subsystem from the chunk's first block on.
    for (let r0 = 0; r0 < n; r0 += RHS_CHUNK) {
      const h = Math.min(RHS_CHUNK, n - r0);
      f.fill(0, U + r0 * n, U + (r0 + h) * n);
      for (let r = 0; r < h; r++) f[U + (r0 + r) * n + r0 + r] = 1;
      forwardBlocked(ks, this.offL + r0 * n + r0, n, this.offDinv + (r0 / NB) * NB * NB, T, n - r0, U + r0 * n + r0, n, h);
    }
    // A^-1[R, S] = sum_{k >= S} U[R, k] U[S, k] for block rows R <= S, in place: block (R, S) is
    // written after every block (R, S' < S) that reads it, and rows S > R are not written yet.
    for (let r0 = 0; r0 < n; r0 += NB) {
      const h = Math.min(NB, n - r0);
      for (let s0 = r0; s0 < n; s0 += NB) {
        const w = Math.min(NB, n - s0);
        ks.gemmNT(U + r0 * n + s0, n, U + s0 * n + s0, n, T, NB, h, w, n - s0);
        for (let r = 0; r < h; r++) f.copyWithin(U + (r0 + r) * n + s0, T + r * NB, T + r * NB + w);
      }
    }
    return ks.view(U, n * n);
  }

  /** L^T, row-major, so both solves run on contiguous rows. */
  transposed(): Float64Array {
    const ks = this.space(true);
    return ks.view(this.offU, this.n * this.n);
  }

  /** A^-1 (symmetric, full n x n): the solves of the identity's rows, symmetrised. */
  inverse(): Float64Array {
    const n = this.n;
    const X = new Float64Array(n * n);
    for (let i = 0; i < n; i++) X[i * n + i] = 1;
    this.solveRows(X, n);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const v = 0.5 * (X[i * n + j] + X[j * n + i]);
        X[i * n + j] = v;
        X[j * n + i] = v;
      }
    }
    return X;
  }

  logDet(): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += Math.log(this.L[i * this.n + i]);
    return 2 * s;
  }
}

/**
 * Block columns [c0, c1) of the blocked (left-looking, by block columns) factorisation of the matrix
 * in p's kernel space, by the kernel's cholBlocked (KernelSpace.cholBlocked: per block column one
 * product updates the whole column, the diagonal block is factored and inverted into p's Dinv, and
 * the panel below is a product with that inverse; WebAssembly where available, one call for the
 * whole range). On a failing pivot, throws NotPositiveDefiniteError with the original diagonal
 * (p.diag) for the message.
 */
function factorColumns(p: FactorSpace, n: number, c0: number, c1: number, opts: CholeskyOptions): void {
  const damping = opts.damping ?? 0;
  const bad = p.ks.cholBlocked(p.offL, n, NB, c0, c1, p.offDinv, p.offT, RHS_CHUNK, p.offD, damping);
  if (bad >= 0) pivot(p.diag[bad] + damping, p.diag[bad] + damping - p.ks.f64[p.offL + bad * n + bad], bad, opts); // throws
}

/**
 * Blocked forward substitution for h right-hand sides stored as rows at B (h x n, row stride ldb)
 * against L (n x n, row stride ldl) in the space: per block column j, B[:, j] -= B[:, <j] L[j, <j]^T,
 * then B[:, j] = B[:, j] (L_jj^-1)^T, both on the kernel (Dinv holds the inverted diagonal blocks,
 * T is h x NB scratch).
 */
function forwardBlocked(ks: KernelSpace, L: number, ldl: number, Dinv: number, T: number, n: number, B: number, ldb: number, h: number): void {
  const f = ks.f64;
  for (let j0 = 0, jb = 0; j0 < n; j0 += NB, jb++) {
    const w = Math.min(NB, n - j0);
    if (j0 > 0) ks.gemmNT(B, ldb, L + j0 * ldl, ldl, B + j0, ldb, h, w, j0, -1, 1);
    ks.gemmNT(B + j0, ldb, Dinv + jb * NB * NB, NB, T, NB, h, w, w);
    for (let r = 0; r < h; r++) f.copyWithin(B + r * ldb + j0, T + r * NB, T + r * NB + w);
  }
}

/**
 * Blocked back substitution with U = L^T (upper, at U) for h right-hand sides at B (h x n):
 * per block from the end, B[:, j] -= B[:, >j] U[j, >j]^T, then B[:, j] = B[:, j] (U_jj^-1)^T.
 */
function backBlocked(ks: KernelSpace, U: number, DinvT: number, T: number, n: number, B: number, h: number): void {
  const f = ks.f64;
  const blocks = Math.ceil(n / NB);
  for (let jb = blocks - 1; jb >= 0; jb--) {
    const j0 = jb * NB, j1 = Math.min(n, j0 + NB), w = j1 - j0;
    if (j1 < n) ks.gemmNT(B + j1, n, U + j0 * n + j1, n, B + j0, n, h, w, n - j1, -1, 1);
    ks.gemmNT(B + j0, n, DinvT + jb * NB * NB, NB, T, NB, h, w, w);
    for (let r = 0; r < h; r++) f.copyWithin(B + r * n + j0, T + r * NB, T + r * NB + w);
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
 * (duplicates: the mirror image of forwardSolveRows, rows n-1..0 of U = L^T instead of 0..n-1 of L.)
 * Back substitution U x = b with U = L^T given explicitly (upper, row-major), for m right-hand sides
 * stored as the rows of B (m x n), in place: x_i = (b_i - U[i, i+1:] . x[i+1:]) / U_ii. Four
 * right-hand sides against two rows of U (i and i - 1) per pass. (duplicates: the unrolled shape of
 * forwardSolveRows, run backwards over the other triangle; one generic loop would cost the hot path.)
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
