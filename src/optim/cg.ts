import { dot } from '../linalg/dense';

/**
 * Solves A x = b for symmetric positive definite A given as a product, from x = 0, until
 * ||r|| <= relTol ||b||; with `precondition` (an approximation of A^-1, symmetric positive definite)
 * preconditioned CG.
 */
export function conjugateGradient(
  apply: (v: Float64Array, out: Float64Array) => void,
  b: Float64Array,
  relTol: number,
  maxIter: number,
  precondition?: (r: Float64Array) => Float64Array,
): Float64Array {
  const n = b.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  let z = precondition ? precondition(r) : r;
  const p = Float64Array.from(z);
  const Ap = new Float64Array(n);
  let rz = dot(r, 0, z, 0, n);
  let rr = dot(r, 0, r, 0, n);
  const stop = relTol * relTol * rr;
  for (let it = 0; it < maxIter && rr > stop; it++) {
    apply(p, Ap);
    const alpha = rz / dot(p, 0, Ap, 0, n);
    for (let k = 0; k < n; k++) {
      x[k] += alpha * p[k];
      r[k] -= alpha * Ap[k];
    }
    rr = dot(r, 0, r, 0, n);
    z = precondition ? precondition(r) : r;
    const rz2 = dot(r, 0, z, 0, n);
    const beta = rz2 / rz;
    rz = rz2;
    for (let k = 0; k < n; k++) p[k] = z[k] + beta * p[k];
  }
  return x;
}
