/**
 * Iterative solvers for (H + damping I) x = b when H is only available through Hessian-vector
 * products: conjugate gradients (deterministic, needs H + damping positive definite) and LiSSA
 * (Agarwal, Bullins & Hazan 2017, as used by Koh & Liang 2017: a stochastic Neumann series on
 * minibatch Hessian-vector products).
 *
 * Both are generic over the operator. Products may be asynchronous (tfjs reads tensors back with
 * `await t.data()`), so the solvers are async and tick an optional Checkpoint between products.
 *
 * Every solve returns a SolveReport saying how it stopped: iterations, Hessian-vector products used,
 * and the relative residual ||(H + damping I) x - b|| / ||b|| measured with the FULL operator (for
 * LiSSA one extra full product is spent to measure it, so the number is honest and not the
 * recursion's own idea of convergence).
 */
import type { Checkpoint } from '../util/cancel';
import { seededRandom } from '../util/random';
import { dotAll } from '../linalg/dense';

/** v -> H v (H symmetric). May return a fresh array or a reused one; the solvers copy what they keep. */
export type HvpOperator = (v: Float64Array) => Float64Array | Promise<Float64Array>;

/** (v, batch) -> an unbiased estimate of H v from the training rows `batch` (minibatch HVP). */
export type MinibatchHvpOperator = (v: Float64Array, batch: Int32Array) => Float64Array | Promise<Float64Array>;

export interface SolveReport {
  method: 'cg' | 'lissa';
  /** CG iterations, or LiSSA recursion steps summed over repeats. */
  iterations: number;
  /** Hessian-vector products spent (LiSSA: minibatch products plus the full ones for the residual). */
  hvps: number;
  /** ||(H + damping I) x - b|| / ||b|| with the full operator. */
  relativeResidual: number;
  converged: boolean;
  /** Why it stopped: 'tolerance', 'max-iterations', 'negative-curvature', 'zero-rhs', 'diverged'. */
  stopReason: string;
  damping: number;
  /** LiSSA only: the scale used and the repeats averaged. */
  scale?: number;
  repeats?: number;
  seconds: number;
}

export interface SolveResult {
  x: Float64Array;
  report: SolveReport;
}

export interface CgOptions {
  /** Added to H's diagonal (default 0). */
  damping?: number;
  /** Stop when ||r|| <= tol ||b|| (default 1e-8). */
  tol?: number;
  /** Default: 2 * dimension, at least 50. */
  maxIterations?: number;
  /** M^-1 r for a symmetric positive definite preconditioner M ~ H (preconditioned CG). */
  preconditioner?: (r: Float64Array) => Float64Array;
  checkpoint?: Checkpoint;
}

function nrm(a: Float64Array): number {
  return Math.sqrt(dotAll(a, a));
}

async function applyDamped(hvp: HvpOperator, v: Float64Array, damping: number, out: Float64Array): Promise<void> {
  const hv = await hvp(v);
  for (let k = 0; k < out.length; k++) out[k] = hv[k] + damping * v[k];
}

/** ||(H + damping) x - b|| / ||b|| with one full product. */
export async function relativeResidual(hvp: HvpOperator, x: Float64Array, b: Float64Array, damping = 0): Promise<number> {
  const r = new Float64Array(b.length);
  await applyDamped(hvp, x, damping, r);
  for (let k = 0; k < r.length; k++) r[k] -= b[k];
  const nb = nrm(b);
  return nb === 0 ? nrm(r) : nrm(r) / nb;
}

/**
 * (Preconditioned) conjugate gradients from x = 0. Stops at ||r|| <= tol ||b||, at maxIterations,
 * or when a search direction has p^T (H + damping) p <= 0 (H + damping is not positive definite:
 * possible for a non-convex model; raise the damping). The recursive residual is re-measured with
 * the operator at the end.
 */
export async function conjugateGradient(hvp: HvpOperator, b: Float64Array, opts: CgOptions = {}): Promise<SolveResult> {
  const t0 = performance.now();
  const n = b.length;
  const damping = opts.damping ?? 0;
  const tol = opts.tol ?? 1e-8;
  const maxIter = opts.maxIterations ?? Math.max(50, 2 * n);
  const M = opts.preconditioner;
  const x = new Float64Array(n);
  const nb = nrm(b);
  const done = (iterations: number, hvps: number, relres: number, converged: boolean, stopReason: string): SolveResult => ({
    x,
    report: { method: 'cg', iterations, hvps, relativeResidual: relres, converged, stopReason, damping, seconds: (performance.now() - t0) / 1000 },
  });
  if (nb === 0) return done(0, 0, 0, true, 'zero-rhs');
  const r = Float64Array.from(b);
  let z = M ? M(r) : r;
  const p = Float64Array.from(z);
  const Ap = new Float64Array(n);
  let rz = dotAll(r, z);
  let it = 0;
  let hvps = 0;
  let reason = 'max-iterations';
  let rnorm = nb;
  while (it < maxIter) {
    if (rnorm <= tol * nb) {
      reason = 'tolerance';
      break;
    }
    await applyDamped(hvp, p, damping, Ap);
    hvps++;
    const pAp = dotAll(p, Ap);
    if (!(pAp > 0)) {
      reason = 'negative-curvature';
      break;
    }
    const alpha = rz / pAp;
    for (let k = 0; k < n; k++) {
      x[k] += alpha * p[k];
      r[k] -= alpha * Ap[k];
    }
    it++;
    rnorm = nrm(r);
    z = M ? M(r) : r;
    const rz2 = dotAll(r, z);
    const beta = rz2 / rz;
    rz = rz2;
    for (let k = 0; k < n; k++) p[k] = z[k] + beta * p[k];
    await opts.checkpoint?.tick(Math.min(1, Math.log(nb / Math.max(rnorm, 1e-300)) / Math.log(1 / tol)));
  }
  if (reason === 'max-iterations' && rnorm <= tol * nb) reason = 'tolerance';
  const relres = await relativeResidual(hvp, x, b, damping);
  hvps++;
  return done(it, hvps, relres, reason === 'tolerance', reason);
}

/**
 * Largest eigenvalue of the symmetric operator by power iteration (seeded start), for LiSSA's scale.
 * Returns the Rayleigh quotient after `iterations` products or when it settles to `tol` relative.
 */
export async function largestEigenvalue(
  hvp: HvpOperator,
  n: number,
  opts: { iterations?: number; tol?: number; seed?: number } = {},
): Promise<{ value: number; hvps: number }> {
  const rand = seededRandom(opts.seed ?? 1);
  let v = new Float64Array(n);
  for (let k = 0; k < n; k++) v[k] = rand() - 0.5;
  let s = nrm(v);
  for (let k = 0; k < n; k++) v[k] /= s;
  let lam = 0;
  const iters = opts.iterations ?? 50;
  const tol = opts.tol ?? 1e-3;
  let used = 0;
  for (let it = 0; it < iters; it++) {
    const hv = Float64Array.from(await hvp(v));
    used++;
    const next = dotAll(v, hv);
    s = nrm(hv);
    if (s === 0) return { value: 0, hvps: used };
    for (let k = 0; k < n; k++) hv[k] /= s;
    v = hv;
    if (it > 2 && Math.abs(next - lam) <= tol * Math.abs(next)) {
      lam = next;
      break;
    }
    lam = next;
  }
  return { value: lam, hvps: used };
}

export interface LissaOptions {
  /** Training rows the minibatches are drawn from. */
  rows: number;
  /** Rows per minibatch HVP (default min(rows, 256)). */
  batchSize?: number;
  /** Added to H's diagonal (default 0). */
  damping?: number;
  /**
   * Divides (H + damping): the recursion converges only when scale > lambda_max(H_batch + damping).
   * Default: 1.5 x the largest eigenvalue of the full H + damping (power iteration, reported).
   */
  scale?: number;
  /** Recursion steps per repeat at most (default 10000). */
  depth?: number;
  /** Independent recursions averaged (default 4). */
  repeats?: number;
  /**
   * A repeat stops early when the last `window` steps changed the iterate by less than tol relative
   * (||h_j - h_{j-window}|| <= tol ||h_j||; default 1e-4, window 50).
   */
  tol?: number;
  seed?: number;
  checkpoint?: Checkpoint;
}

/**
 * LiSSA: for each repeat, h_0 = b, h_j = b + (I - (H_j + damping I) / scale) h_{j-1} with H_j the
 * Hessian of a fresh random minibatch; (H + damping)^-1 b ~ h_J / scale, averaged over repeats.
 * `fullHvp` is used to choose the scale (when not given) and to measure the final residual.
 */
export async function lissa(
  batchHvp: MinibatchHvpOperator,
  fullHvp: HvpOperator,
  b: Float64Array,
  opts: LissaOptions,
): Promise<SolveResult> {
  const t0 = performance.now();
  const n = b.length;
  const damping = opts.damping ?? 0;
  const N = opts.rows;
  const bs = Math.max(1, Math.min(N, opts.batchSize ?? 256));
  const depth = opts.depth ?? 10000;
  const repeats = Math.max(1, opts.repeats ?? 4);
  const tol = opts.tol ?? 1e-4;
  const window = 50;
  const rand = seededRandom(opts.seed ?? 12345);
  let hvps = 0;
  let scale = opts.scale;
  if (scale === undefined) {
    const eig = await largestEigenvalue(fullHvp, n, { seed: (opts.seed ?? 12345) + 1 });
    hvps += eig.hvps;
    scale = 1.5 * (eig.value + damping);
  }
  if (!(scale > 0)) throw new RangeError(`lissa: scale must be > 0, got ${scale}`);
  const x = new Float64Array(n);
  const nb = nrm(b);
  if (nb === 0) {
    return {
      x,
      report: { method: 'lissa', iterations: 0, hvps, relativeResidual: 0, converged: true, stopReason: 'zero-rhs', damping, scale, repeats: 0, seconds: (performance.now() - t0) / 1000 },
    };
  }
  const batch = new Int32Array(bs);
  const perm = new Int32Array(N);
  for (let i = 0; i < N; i++) perm[i] = i;
  let cursor = N; // reshuffle on first use
  const nextBatch = (): Int32Array => {
    for (let k = 0; k < bs; k++) {
      if (cursor >= N) {
        for (let i = N - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          const t = perm[i];
          perm[i] = perm[j];
          perm[j] = t;
        }
        cursor = 0;
      }
      batch[k] = perm[cursor++];
    }
    return batch;
  };
  let iterations = 0;
  let reason = 'max-iterations';
  let allSettled = true;
  const h = new Float64Array(n);
  const hOld = new Float64Array(n);
  for (let rep = 0; rep < repeats; rep++) {
    h.set(b);
    hOld.set(b);
    let settled = false;
    for (let j = 1; j <= depth; j++) {
      const hv = await batchHvp(h, nextBatch());
      hvps++;
      iterations++;
      let finite = true;
      for (let k = 0; k < n; k++) {
        const v = b[k] + h[k] - (hv[k] + damping * h[k]) / scale;
        if (!Number.isFinite(v)) finite = false;
        h[k] = v;
      }
      if (!finite) {
        reason = 'diverged';
        break;
      }
      if (j % window === 0) {
        let dd = 0, hh = 0;
        for (let k = 0; k < n; k++) {
          const d = h[k] - hOld[k];
          dd += d * d;
          hh += h[k] * h[k];
        }
        // h_j -> scale (H + d)^-1 b, whose norm is at most ||b|| scale / lambda_min; a growth by
        // 1e12 means the series diverges (scale below the minibatch Hessian's top eigenvalue).
        if (!(hh <= 1e24 * nb * nb)) {
          reason = 'diverged';
          break;
        }
        hOld.set(h);
        if (Math.sqrt(dd) <= tol * Math.sqrt(hh)) {
          settled = true;
          break;
        }
        await opts.checkpoint?.tick((rep + j / depth) / repeats);
      }
    }
    if (reason === 'diverged') break;
    if (!settled) allSettled = false;
    for (let k = 0; k < n; k++) x[k] += h[k] / scale / repeats;
  }
  if (reason !== 'diverged' && allSettled) reason = 'tolerance';
  const relres = reason === 'diverged' ? Infinity : await relativeResidual(fullHvp, x, b, damping);
  if (reason !== 'diverged') hvps++;
  return {
    x,
    report: {
      method: 'lissa',
      iterations,
      hvps,
      relativeResidual: relres,
      converged: reason === 'tolerance',
      stopReason: reason === 'diverged' ? `diverged (scale ${scale.toPrecision(3)} is below the minibatch Hessian's largest eigenvalue: raise it)` : reason,
      damping,
      scale,
      repeats,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}
