import type { Checkpoint } from '../util/cancel';
import { dot, norm2 } from '../linalg/dense';
import { wolfeLineSearch } from './lineSearch';

export interface LbfgsResult {
  f: number;
  iterations: number;
}

/** A line search along d from w with the signature of wolfeLineSearch (its default). */
export type LineSearch = typeof wolfeLineSearch;

export interface LbfgsOptions {
  /** Progress in [0, 1] from the gradient norm, reported to the checkpoint at every iteration. */
  progress?: (gnorm: number) => number;
  cp?: Checkpoint;
  /** Default: the strong Wolfe line search. */
  lineSearch?: LineSearch;
  /** Pairs (s, y) kept (default 20). */
  memory?: number;
}

/**
 * Limited-memory BFGS on f, updating w and g in place. Stops when ||g|| < tol, after maxIter
 * iterations, or when neither the line search nor a restart along -g can lower f.
 */
export async function lbfgs(
  w: Float64Array,
  g: Float64Array,
  f: number,
  evalFG: (w: Float64Array, g: Float64Array) => number,
  tol: number,
  maxIter: number,
  opts: LbfgsOptions = {},
): Promise<LbfgsResult> {
  const { cp, lineSearch = wolfeLineSearch } = opts;
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
    let gamma = 1;
    if (m > 0) gamma = dot(S[m - 1], 0, Y[m - 1], 0, P) / dot(Y[m - 1], 0, Y[m - 1], 0, P);
    else gamma = 1 / Math.max(gnorm, 1);
    for (let p = 0; p < P; p++) d[p] *= gamma;
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
    const ls = lineSearch(w, f, g, d, dg, evalFG, wNew, gNew);
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
