import type { Checkpoint } from '../util/cancel';
import { dot, norm2 } from '../linalg/dense';
import { wolfeLineSearch, type LineSearchResult } from './lineSearch';

export interface LbfgsResult {
  f: number;
  iterations: number;
}

/** f(w), writing grad f(w) into g: synchronous (the logistic fit) or asynchronous (tfjs read-backs). */
export type Oracle = (w: Float64Array, g: Float64Array) => number;
export type AsyncOracle = (w: Float64Array, g: Float64Array) => Promise<number>;

/**
 * A line search along d from w (f0 = f(w), dg0 = g0 . d < 0) that leaves the accepted point in wNew,
 * gNew: wolfeLineSearch (the default, for exact float64 oracles) or armijoBacktracking (for an
 * asynchronous or float32-noisy oracle, e.g. the MLP's).
 */
export type LineSearch<O extends Oracle | AsyncOracle = Oracle> = (
  w: Float64Array,
  f0: number,
  g0: Float64Array,
  d: Float64Array,
  dg0: number,
  evalFG: O,
  wNew: Float64Array,
  gNew: Float64Array,
) => LineSearchResult | Promise<LineSearchResult>;

export interface LbfgsOptions<O extends Oracle | AsyncOracle = Oracle> {
  /** Progress in [0, 1] from the gradient norm, reported to the checkpoint at every iteration. */
  progress?: (gnorm: number) => number;
  cp?: Checkpoint;
  /** Default: the strong Wolfe line search (needs a synchronous oracle). */
  lineSearch?: LineSearch<O>;
  /** Pairs (s, y) kept (default 20). */
  memory?: number;
  /**
   * The initial inverse Hessian H0 of the two-loop recursion, q -> H0 q (a new array): a symmetric
   * positive definite approximation of the inverse Hessian, e.g. the Cholesky solve of a nearby
   * objective's Hessian. Default: the scalar s^T y / y^T y of the last pair. Only the search
   * directions change; the line search and the stopping test are the same.
   */
  initialInverseHessian?: (q: Float64Array) => Float64Array;
}

/**
 * Limited-memory BFGS on f, updating w and g in place (f and g given at the start). Stops when
 * ||g|| < tol, after maxIter iterations, or when neither the line search nor a restart along -g can
 * lower f. The one L-BFGS of the engine: the logistic fit (synchronous oracle, strong Wolfe search)
 * and the MLP's full-batch steps (asynchronous tfjs oracle, Armijo backtracking) both run it.
 */
export async function lbfgs(w: Float64Array, g: Float64Array, f: number, evalFG: Oracle, tol: number, maxIter: number, opts?: LbfgsOptions<Oracle>): Promise<LbfgsResult>;
export async function lbfgs(w: Float64Array, g: Float64Array, f: number, evalFG: AsyncOracle, tol: number, maxIter: number, opts: LbfgsOptions<AsyncOracle> & { lineSearch: LineSearch<AsyncOracle> }): Promise<LbfgsResult>;
export async function lbfgs(
  w: Float64Array,
  g: Float64Array,
  f: number,
  evalFG: Oracle | AsyncOracle,
  tol: number,
  maxIter: number,
  opts: LbfgsOptions<Oracle> | LbfgsOptions<AsyncOracle> = {},
): Promise<LbfgsResult> {
  const { cp } = opts;
  const lineSearch = (opts.lineSearch ?? wolfeLineSearch) as LineSearch<Oracle | AsyncOracle>;
  const P = w.length;
  const M = opts.memory ?? 20;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(M);
  const d = new Float64Array(P);
  const wNew = new Float64Array(P);
  const gNew = new Float64Array(P);
  let it = 0;
  let gnorm = norm2(g);
  while (gnorm >= tol && it < maxIter) {
    await cp?.tick(opts.progress?.(gnorm));
    // Two-loop recursion: d = -H_k g.
    d.set(g);
    const m = S.length;
    for (let j = m - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], 0, d, 0, P);
      const yj = Y[j];
      for (let p = 0; p < P; p++) d[p] -= alpha[j] * yj[p];
    }
    if (opts.initialInverseHessian) d.set(opts.initialInverseHessian(d));
    else {
      const gamma = m > 0 ? dot(S[m - 1], 0, Y[m - 1], 0, P) / dot(Y[m - 1], 0, Y[m - 1], 0, P) : 1 / Math.max(gnorm, 1);
      for (let p = 0; p < P; p++) d[p] *= gamma;
    }
    for (let j = 0; j < m; j++) {
      const beta = rho[j] * dot(Y[j], 0, d, 0, P);
      const sj = S[j];
      for (let p = 0; p < P; p++) d[p] += (alpha[j] - beta) * sj[p];
    }
    for (let p = 0; p < P; p++) d[p] = -d[p];
    let dg = dot(d, 0, g, 0, P);
    if (!(dg < 0)) {
      // Not a descent direction (curvature information gone stale): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let p = 0; p < P; p++) d[p] = -g[p] / Math.max(gnorm, 1);
      dg = dot(d, 0, g, 0, P);
    }
    const ls = await lineSearch(w, f, g, d, dg, evalFG, wNew, gNew);
    if (!ls.ok) {
      if (S.length > 0) {
        S.length = Y.length = rho.length = 0; // retry once from steepest descent
        continue;
      }
      break;
    }
    const s = new Float64Array(P);
    const yv = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      s[p] = wNew[p] - w[p];
      yv[p] = gNew[p] - g[p];
    }
    const sy = dot(s, 0, yv, 0, P);
    w.set(wNew);
    g.set(gNew);
    const fOld = f;
    f = ls.f;
    gnorm = norm2(g);
    it++;
    if (sy > 1e-12 * Math.sqrt(dot(s, 0, s, 0, P) * dot(yv, 0, yv, 0, P))) {
      if (S.length === M) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    if (!(f < fOld) && S.length === 0) break;
  }
  return { f, iterations: it };
}
