import { dot } from '../linalg/dense';

/** Solves A x = b for symmetric positive definite A given as a product, from x = 0. */
export function conjugateGradient(
  apply: (v: Float64Array, out: Float64Array) => void,
  b: Float64Array,
  relTol: number,
  maxIter: number,
): Float64Array {
  const n = b.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  const Ap = new Float64Array(n);
  let rr = dot(r, 0, r, 0, n);
  const stop = relTol * relTol * rr;
  for (let it = 0; it < maxIter && rr > stop; it++) {
    apply(p, Ap);
    const alpha = rr / dot(p, 0, Ap, 0, n);
    for (let k = 0; k < n; k++) {
      x[k] += alpha * p[k];
      r[k] -= alpha * Ap[k];
    }
    const rr2 = dot(r, 0, r, 0, n);
    const beta = rr2 / rr;
    rr = rr2;
    for (let k = 0; k < n; k++) p[k] = r[k] + beta * p[k];
  }
  return x;
}
