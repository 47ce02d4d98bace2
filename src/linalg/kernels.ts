/**
 * The one hot kernel of the dense numerics, C = beta C + alpha A B^T ("gemmNT": rows of A dotted
 * with rows of B), over a private block of memory. Where the runtime supports WebAssembly SIMD
 * (Node >= 16.4, every current VS Code), it runs as a small WebAssembly function written in
 * ./kernels.wat (f64x2 lanes, 4 x 2 register tiles; scripts/build-kernels.mjs assembles it into
 * ./kernelsWasm.ts); bench/kernels.ts measures it in GFLOP/s. Elsewhere, or with DD_NO_WASM=1, the
 * same kernel runs in JavaScript on a Float64Array, so results never depend on it beyond rounding.
 * Beside it: the small factorisation kernels (potrf, trtri) and cholBlocked, the whole blocked
 * Cholesky factorisation in one call, transpose and symOuter. The module is compiled optimised at
 * once (compileOptimised).
 *
 * A KernelSpace is a fixed-size float64 memory (sized once at creation, never grown, so views into
 * it stay valid) with a bump allocator; callers place their operands in it and pass offsets.
 */

import v8 from 'node:v8';
import { dot } from './dense';
import { KERNELS_WASM_BASE64 } from './kernelsWasm';

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The kernel module (./kernels.wat, assembled by scripts/build-kernels.mjs), or null without SIMD. */
function compileKernels(): WebAssembly.Module | null {
  if (typeof WebAssembly !== 'object') return null;
  const bytes = decode(KERNELS_WASM_BASE64);
  return WebAssembly.validate(bytes) ? compileOptimised(bytes) : null;
}

/**
 * Compiles the module with V8's optimising compiler (TurboFan), every function at once, instead of
 * V8's default for WebAssembly: each function compiled on its first call by the baseline compiler
 * (Liftoff), and recompiled optimised in background threads once it has run enough. By default the
 * first factorisation of a scan ran potrf, trtri and cholBlocked as baseline code while those
 * threads competed for the cores: satellite's 222 x 222 Cholesky took 1.3-8 ms in a fresh process
 * against 0.5-0.6 ms with optimised code. Compiling optimised costs ~10-40 ms once per process (the
 * module is 3.5 kB), paid by the first kernel user (the fit), and counted in every whole-process
 * time. The two V8 flags are set around this one compilation and restored after it (they are read
 * when a module is compiled); a process started with either flag keeps its own setting.
 */
function compileOptimised(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
  const own = typeof process !== 'undefined' ? process.execArgv.join(' ') : '';
  const flags = ['liftoff', 'wasm-lazy-compilation'].filter((f) => !own.includes(`-${f}`) && !own.includes(`-no-${f}`));
  for (const f of flags) v8.setFlagsFromString(`--no-${f}`);
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    for (const f of flags) v8.setFlagsFromString(`--${f}`);
  }
}

type WasmGemm = (a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, kk: number, alpha: number, beta: number) => void;
interface WasmKernels {
  gemmNT: WasmGemm;
  potrf(at: number, ld: number, w: number, diag: number, damping: number): number;
  trtri(at: number, ld: number, w: number, inv: number, ldi: number): void;
  cholBlocked(L: number, n: number, nb: number, c0: number, c1: number, dinv: number, T: number, rc: number, diag: number, damping: number): number;
  transpose(src: number, lds: number, dst: number, ldd: number, m: number, n: number): void;
  symOuter(x: number, ldx: number, m: number, d: number, q: number, ldq: number): void;
  kronQuad(S: number, P: number, K: number, D: number, xi: number, np: number, out: number): void;
}

let compiled: WebAssembly.Module | null | undefined;
let enabled = !(typeof process !== 'undefined' && process.env?.DD_NO_WASM === '1');

function wasmModule(): WebAssembly.Module | null {
  if (!enabled) return null;
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    compiled = compileKernels();
  } catch {
    compiled = null;
  }
  return compiled;
}

/** True when the WebAssembly SIMD kernel is in use (false: the JavaScript fallback). */
export function wasmKernelsAvailable(): boolean {
  return wasmModule() !== null;
}

/**
 * Turns the WebAssembly kernel off (or back on) for spaces and objects created afterwards: for
 * tests of the JavaScript fallback, and as an escape hatch (the environment variable DD_NO_WASM=1
 * does the same at startup). Returns the previous setting.
 */
export function setWasmKernelsEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

// ---------------------------------------------------------------- the kernel space

const PAGE_DOUBLES = 65536 / 8;
/** Largest space kept for reuse (64 MB): a 100,000 x 21 fit's space is 36 MB. */
const POOL_MAX_DOUBLES = 8 * 1024 * 1024;
/** The space released last (KernelSpace.reuse). */
let pooled: KernelSpace | undefined;

export class KernelSpace {
  /** The whole space as float64 (offsets below are indices into it). */
  readonly f64: Float64Array;
  private next = 0;
  private readonly wasm?: WasmGemm;
  private readonly kernels?: WasmKernels;

  private constructor(f64: Float64Array, kernels?: WasmKernels) {
    this.f64 = f64;
    this.kernels = kernels;
    this.wasm = kernels?.gemmNT;
  }

  /** A space of at least `doubles` float64 entries; `forceJs` skips WebAssembly (for tests). */
  static create(doubles: number, forceJs = false): KernelSpace {
    const mod = forceJs ? null : wasmModule();
    if (mod) {
      const pages = Math.max(1, Math.ceil((doubles + 2) / PAGE_DOUBLES));
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      const instance = new WebAssembly.Instance(mod, { env: { mem: memory } });
      return new KernelSpace(new Float64Array(memory.buffer), instance.exports as unknown as WasmKernels);
    }
    return new KernelSpace(new Float64Array(doubles + 2));
  }

  /**
   * A space of at least `doubles` entries whose memory is already paged in: the one `release`d last
   * when it is large enough (its allocations freed and its first `doubles` entries zeroed, as in a new
   * space), else a new one. A new WebAssembly memory is zero pages the process has not touched: on
   * the 2-core VM the first touch costs ~3.5 ms per MB (a 100,000 x 21 fit's 36 MB space: ~130 ms,
   * against ~7 ms per evaluation of the objective), and a scan makes several such spaces in a row.
   */
  static reuse(doubles: number): KernelSpace {
    const ks = pooled;
    if (ks && ks.f64.length >= doubles + 2) {
      pooled = undefined;
      ks.next = 0;
      ks.f64.fill(0, 0, doubles + 2);
      return ks;
    }
    return KernelSpace.create(doubles);
  }

  /**
   * Hands the space back for KernelSpace.reuse (the caller must not use it or its views afterwards).
   * One space of at most POOL_MAX_DOUBLES is kept, the larger one.
   */
  release(): void {
    KernelSpace.keep(this);
  }

  private static keep(ks: KernelSpace): void {
    if (!ks.wasm || ks.f64.length > POOL_MAX_DOUBLES) return;
    if (!pooled || pooled.f64.length < ks.f64.length) pooled = ks;
  }

  get usesWasm(): boolean {
    return this.wasm !== undefined;
  }

  /** Reserves n entries (16-byte aligned); returns their offset. */
  alloc(n: number): number {
    const off = this.next;
    const end = off + n + (n & 1);
    if (end > this.f64.length) throw new RangeError(`KernelSpace: ${n} more entries do not fit (${this.f64.length} total)`);
    this.next = end;
    return off;
  }

  /** A view of n entries at offset (valid for the life of the space). */
  view(off: number, n: number): Float64Array {
    return this.f64.subarray(off, off + n);
  }

  /**
   * The unblocked Cholesky factorisation of the w x w block at offset `at` (row stride ld), in place
   * on its lower triangle (the upper triangle is not read): L[i, c] = (A[i, c] - sum_{k<c} L[i, k]
   * L[c, k]) / L[c, c], L[i, i] = sqrt(A[i, i] + damping - sum_{k<i} L[i, k]^2). A pivot d counts
   * only when finite and d > 1e-14 |diag[i] + damping| (diag: the matrix's original diagonal, at
   * offset `diag`). Returns -1, or the first failing row i with its pivot d left in A[i, i].
   */
  potrf(at: number, ld: number, w: number, diag: number, damping: number): number {
    if (this.kernels) return this.kernels.potrf(at * 8, ld, w, diag * 8, damping);
    const f = this.f64;
    for (let i = 0; i < w; i++) {
      const ri = at + i * ld;
      for (let c = 0; c < i; c++) {
        const rc = at + c * ld;
        let s = f[ri + c];
        for (let k = 0; k < c; k++) s -= f[ri + k] * f[rc + k];
        f[ri + c] = s / f[rc + c];
      }
      let d = f[ri + i] + damping;
      for (let k = 0; k < i; k++) d -= f[ri + k] * f[ri + k];
      if (!(d > 1e-14 * Math.abs(f[diag + i] + damping) && Number.isFinite(d))) {
        f[ri + i] = d;
        return i;
      }
      f[ri + i] = Math.sqrt(d);
    }
    return -1;
  }

  /**
   * The inverse of the w x w lower-triangular block at offset `at` (row stride ld) into offset inv
   * (row stride ldi; zero above the diagonal): column c by forward substitution on e_c.
   */
  trtri(at: number, ld: number, w: number, inv: number, ldi: number): void {
    if (this.kernels) return this.kernels.trtri(at * 8, ld, w, inv * 8, ldi);
    const f = this.f64;
    for (let i = 0; i < w; i++) f.fill(0, inv + i * ldi, inv + i * ldi + w);
    for (let c = 0; c < w; c++) {
      f[inv + c * ldi + c] = 1 / f[at + c * ld + c];
      for (let i = c + 1; i < w; i++) {
        const li = at + i * ld;
        let s = 0;
        for (let k = c; k < i; k++) s -= f[li + k] * f[inv + k * ldi + c];
        f[inv + i * ldi + c] = s / f[li + i];
      }
    }
  }

  /**
   * Block columns [c0, c1) (c0 a multiple of nb, earlier columns factored) of the blocked
   * left-looking Cholesky factorisation of the n x n matrix at offset L (row stride n), in place on
   * its lower triangle. Per block column C = [c, c + w): A[>=c, C] -= L[>=c, <c] L[C, <c]^T (one
   * gemmNT), potrf on the diagonal block (pivot test against the original diagonal at `diag`), its
   * inverse by trtri into block c / nb of dinv (nb x nb each, row stride nb), the panel below
   * L[>=c+w, C] = A[>=c+w, C] L_CC^-T by products with that inverse, rc rows at a time through the
   * scratch T (rc x nb), and zeros right of the diagonal in the block's rows. Returns -1, or the
   * first failing row i with its pivot d left in L[i, i]. With WebAssembly the whole range is one
   * call into kernels.wat's cholBlocked (no JavaScript loop to run cold on a first factorisation);
   * this is its fallback twin.
   */
  cholBlocked(L: number, n: number, nb: number, c0: number, c1: number, dinv: number, T: number, rc: number, diag: number, damping: number): number {
    if (this.kernels) return this.kernels.cholBlocked(L * 8, n, nb, c0, c1, dinv * 8, T * 8, rc, diag * 8, damping);
    const f = this.f64;
    for (let c = c0; c < c1; c += nb) {
      const w = Math.min(nb, n - c), cc = L + c * n + c;
      if (c > 0) this.gemmNT(L + c * n, n, L + c * n, n, cc, n, n - c, w, c, -1, 1);
      const bad = this.potrf(cc, n, w, diag + c, damping);
      if (bad >= 0) return c + bad;
      const inv = dinv + (c / nb) * nb * nb;
      this.trtri(cc, n, w, inv, nb);
      for (let r0 = c + w; r0 < n; r0 += rc) {
        const h = Math.min(rc, n - r0);
        this.gemmNT(L + r0 * n + c, n, inv, nb, T, nb, h, w, w);
        for (let r = 0; r < h; r++) f.copyWithin(L + (r0 + r) * n + c, T + r * nb, T + r * nb + w);
      }
      for (let r = c; r < c + w; r++) f.fill(0, L + r * n + r + 1, L + r * n + n);
    }
    return -1;
  }

  /** dst[j, i] = src[i, j] for i < m, j < n (row strides lds, ldd; the two must not overlap). */
  transpose(src: number, lds: number, dst: number, ldd: number, m: number, n: number): void {
    if (this.kernels) return this.kernels.transpose(src * 8, lds, dst * 8, ldd, m, n);
    const f = this.f64;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) f[dst + j * ldd + i] = f[src + i * lds + j];
  }

  /**
   * The packed outer product of each of the m rows of x (d entries, row stride ldx) with itself
   * into the rows of q (row stride ldq): q[i, t] = x[i, a] x[i, b] for a <= b, t running over
   * (0, 0), (0, 1), .., (0, d - 1), (1, 1), .., (d - 1, d - 1).
   */
  symOuter(x: number, ldx: number, m: number, d: number, q: number, ldq: number): void {
    if (this.kernels) return this.kernels.symOuter(x * 8, ldx, m, d, q * 8, ldq);
    const f = this.f64;
    for (let i = 0; i < m; i++) {
      const xr = x + i * ldx;
      let t = q + i * ldq;
      for (let a = 0; a < d; a++) {
        const xa = f[xr + a];
        for (let b = a; b < d; b++) f[t++] = xa * f[xr + b];
      }
    }
  }

  /**
   * Label suspicion's first-stage blocks M_i[k, l] = x_i^T S_kl x_i (S: P x P at offset S, P = K D)
   * for np pairs of rows interleaved at xi (pair p, entry b: x_2p[b] at xi + 2 (p D + b), x_2p+1[b]
   * beside it) into rows 2p, 2p + 1 of out (K x K each, both triangles). Every row's arithmetic is
   * kron.ts's kronQuadForms' for a row of a pair, in its order, so the two agree to the bit (see
   * kernels.wat); this is the fallback twin of the WebAssembly function.
   */
  kronQuad(S: number, P: number, K: number, D: number, xi: number, np: number, out: number): void {
    if (this.kernels) return this.kernels.kronQuad(S * 8, P, K, D, xi * 8, np, out * 8);
    const f = this.f64, KK = K * K;
    for (let p = 0; p < 2 * np; p++) {
      const x = xi + 2 * (p >> 1) * D + (p & 1), o = out + p * KK;
      for (let k = 0; k < K; k++) {
        for (let l = k; l < K; l++) {
          const base = S + k * D * P + l * D;
          let m = 0, a = 0;
          for (; a + 1 < D; a += 2) {
            const s0 = base + a * P, s1 = s0 + P;
            let t0 = 0, t1 = 0;
            for (let b = 0; b < D; b++) {
              t0 += f[s0 + b] * f[x + 2 * b];
              t1 += f[s1 + b] * f[x + 2 * b];
            }
            m += f[x + 2 * a] * t0 + f[x + 2 * a + 2] * t1;
          }
          if (a < D) {
            const s0 = base + a * P;
            let t0 = 0;
            for (let b = 0; b < D; b++) t0 += f[s0 + b] * f[x + 2 * b];
            m += f[x + 2 * a] * t0;
          }
          f[o + k * K + l] = f[o + l * K + k] = m;
        }
      }
    }
  }

  /**
   * C[i, j] = beta C[i, j] + alpha sum_{k < kk} A[i, k] B[j, k] for i < m, j < n, where
   * A[i, k] = f64[a + i lda + k], B[j, k] = f64[b + j ldb + k], C[i, j] = f64[c + i ldc + j].
   * beta = 0 overwrites C (its old contents are ignored even if not finite).
   */
  gemmNT(a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, kk: number, alpha = 1, beta = 0): void {
    if (m <= 0 || n <= 0) return;
    const f = this.f64;
    if (beta === 0) {
      if (ldc === n) f.fill(0, c, c + m * n);
      else for (let i = 0; i < m; i++) f.fill(0, c + i * ldc, c + i * ldc + n);
    }
    if (kk <= 0) {
      if (beta !== 1 && beta !== 0) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) f[c + i * ldc + j] *= beta;
      return;
    }
    const m2 = m & ~1, n2 = n & ~1;
    if (this.wasm && m2 > 0 && n2 > 0) {
      this.wasm(a * 8, lda, b * 8, ldb, c * 8, ldc, m2, n2, kk, alpha, beta === 0 ? 1 : beta);
    } else if (m2 > 0 && n2 > 0) {
      gemmNTJs(f, a, lda, b, ldb, c, ldc, m2, n2, kk, alpha, beta === 0 ? 1 : beta);
    }
    // Edges: the odd last row and column over all k.
    const edge = (i: number, j: number): void => {
      const s = dot(f, a + i * lda, f, b + j * ldb, kk);
      const ci = c + i * ldc + j;
      f[ci] = (beta === 0 ? f[ci] : beta * f[ci]) + alpha * s;
    };
    if (n2 < n) for (let i = 0; i < m; i++) edge(i, n - 1);
    if (m2 < m) for (let j = 0; j < n2; j++) edge(m - 1, j);
  }
}

/**
 * The JavaScript kernel (2 x 2 tile), same contract as the WebAssembly one (even m, n; any kk): the
 * fallback twin of kernels.wat's gemmNT. (duplicates: kron.ts's quadratic forms share the tile shape
 * but contract x_i on both sides of each block.)
 */
function gemmNTJs(f: Float64Array, a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, kk: number, alpha: number, beta: number): void {
  for (let i = 0; i < m; i += 2) {
    const a0 = a + i * lda, a1 = a0 + lda;
    for (let j = 0; j < n; j += 2) {
      const b0 = b + j * ldb, b1 = b0 + ldb;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let k = 0; k < kk; k++) {
        const x0 = f[a0 + k], x1 = f[a1 + k], y0 = f[b0 + k], y1 = f[b1 + k];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      const c0 = c + i * ldc + j, c1 = c0 + ldc;
      f[c0] = beta * f[c0] + alpha * s00;
      f[c0 + 1] = beta * f[c0 + 1] + alpha * s01;
      f[c1] = beta * f[c1] + alpha * s10;
      f[c1 + 1] = beta * f[c1 + 1] + alpha * s11;
    }
  }
}
