import { dot } from '../linalg/dense';

export interface LineSearchResult {
  ok: boolean;
  f: number;
  evals: number;
}

/**
 * Line search for the strong Wolfe conditions (sufficient decrease c1 = 1e-4, curvature c2 = 0.9),
 * bracketing then zooming with safeguarded cubic interpolation (Nocedal & Wright, algorithms 3.5-3.6). On success wNew, gNew hold the
 * accepted point. A point that lowers f without meeting the curvature condition is accepted when
 * the bracket collapses to rounding.
 */
export function wolfeLineSearch(
  w: Float64Array,
  f0: number,
  _g0: Float64Array, // part of the LineSearch signature; this search needs only dg0 = g0·d
  d: Float64Array,
  dg0: number,
  evalFG: (w: Float64Array, g: Float64Array) => number,
  wNew: Float64Array,
  gNew: Float64Array,
): LineSearchResult {
  const P = w.length;
  const c1 = 1e-4, c2 = 0.9;
  let evals = 0;
  const at = (t: number): [number, number] => {
    evals++;
    for (let p = 0; p < P; p++) wNew[p] = w[p] + t * d[p];
    const f = evalFG(wNew, gNew);
    return [f, dot(gNew, 0, d, 0, P)];
  };
  // Within rounding of f0, f cannot rank points (the sum over rows is only accurate to ~1e-14
  // relative); there the curvature condition alone decides, since the gradient stays accurate.
  const flat = (f: number): boolean => Math.abs(f - f0) <= 1e-13 * Math.abs(f0);
  let tPrev = 0, fPrev = f0, dgPrev = dg0;
  let t = 1;
  let best = { t: 0, f: f0 };
  for (let iter = 0; iter < 30; iter++) {
    const [f, dg] = at(t);
    if (Number.isFinite(f) && f < best.f) best = { t, f };
    if (flat(f) && Math.abs(dg) <= -c2 * dg0) return { ok: true, f, evals };
    if (!Number.isFinite(f) || f > f0 + c1 * t * dg0 || (iter > 0 && f >= fPrev)) {
      return zoom(tPrev, fPrev, dgPrev, t, Number.isFinite(f) ? f : Infinity, Number.isFinite(dg) ? dg : Infinity);
    }
    if (Math.abs(dg) <= -c2 * dg0) return { ok: true, f, evals };
    if (dg >= 0) return zoom(t, f, dg, tPrev, fPrev, dgPrev);
    tPrev = t;
    fPrev = f;
    dgPrev = dg;
    t *= 4;
  }
  return finishBest();

  function zoom(lo: number, flo: number, dglo: number, hi: number, fhi: number, dghi: number): LineSearchResult {
    for (let iter = 0; iter < 20; iter++) {
      let t = cubicMin(lo, flo, dglo, hi, fhi, dghi);
      const a = Math.min(lo, hi), b = Math.max(lo, hi);
      const margin = 0.1 * (b - a);
      if (!(t > a + margin && t < b - margin)) t = 0.5 * (lo + hi);
      const [f, dg] = at(t);
      if (Number.isFinite(f) && f < best.f) best = { t, f };
      if (flat(f) && Math.abs(dg) <= -c2 * dg0) return { ok: true, f, evals };
      if (!Number.isFinite(f) || f > f0 + c1 * t * dg0 || f >= flo) {
        hi = t;
        fhi = Number.isFinite(f) ? f : Infinity;
        dghi = dg;
      } else {
        if (Math.abs(dg) <= -c2 * dg0) return { ok: true, f, evals };
        if (dg * (hi - lo) >= 0) {
          hi = lo;
          fhi = flo;
          dghi = dglo;
        }
        lo = t;
        flo = f;
        dglo = dg;
      }
      if (Math.abs(hi - lo) <= 1e-14 * Math.max(1, Math.abs(lo))) break;
    }
    return finishBest();
  }

  function finishBest(): LineSearchResult {
    if (best.t === 0) return { ok: false, f: f0, evals };
    const f = at(best.t)[0];
    return { ok: true, f, evals };
  }
}

/** Minimiser of the cubic through (a, fa, da), (b, fb, db); NaN when it has none. */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  if (!Number.isFinite(fb) || !Number.isFinite(db)) return NaN;
  const d1 = da + db - 3 * (fa - fb) / (a - b);
  const disc = d1 * d1 - da * db;
  if (disc < 0) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
}

/**
 * Backtracking along d from w for the sufficient decrease f <= f0 + 1e-4 t dg0 alone (t = 1, 1/2,
 * .., at most 12 halvings), for an asynchronous oracle whose values are float32-noisy (the MLP's
 * tfjs objective): there the strong Wolfe curvature test fails on noise, and a step that still fails
 * at t ~ 2^-12 is lost in it. On success wNew, gNew hold the accepted point.
 */
export async function armijoBacktracking(
  w: Float64Array,
  f0: number,
  _g0: Float64Array, // part of the LineSearch signature
  d: Float64Array,
  dg0: number,
  evalFG: (w: Float64Array, g: Float64Array) => number | Promise<number>,
  wNew: Float64Array,
  gNew: Float64Array,
): Promise<LineSearchResult> {
  const P = w.length;
  let t = 1;
  for (let h = 0; h < 12; h++, t *= 0.5) {
    for (let p = 0; p < P; p++) wNew[p] = w[p] + t * d[p];
    const f = await evalFG(wNew, gNew);
    if (Number.isFinite(f) && f <= f0 + 1e-4 * t * dg0) return { ok: true, f, evals: h + 1 };
  }
  return { ok: false, f: f0, evals: 12 };
}
