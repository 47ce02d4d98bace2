/** Symmetric eigen-decomposition (cyclic Jacobi), for EK-FAC's small Kronecker factors. */

/**
 * Eigen-decomposition of a symmetric n x n matrix by cyclic Jacobi rotations: returns the
 * eigenvalues and V (row-major n x n, column j = eigenvector j). Stops after `sweeps` sweeps or
 * when the off-diagonal mass is below 1e-22 of the total.
 */
export function jacobiEigen(A0: Float64Array, n: number, sweeps = 8): { values: Float64Array; V: Float64Array } {
  const A = Float64Array.from(A0.subarray(0, n * n));
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let total = 0;
  for (let k = 0; k < n * n; k++) total += A[k] * A[k];
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * A[p * n + q] * A[p * n + q];
    if (off <= 1e-22 * total) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = A[p * n + p], aqq = A[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        // Rows p and q, then columns p and q (A stays symmetric).
        const rp = p * n, rq = q * n;
        for (let k = 0; k < n; k++) {
          const akp = A[rp + k], akq = A[rq + k];
          A[rp + k] = c * akp - s * akq;
          A[rq + k] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const kp = k * n + p, kq = k * n + q;
          const akp = A[kp], akq = A[kq];
          A[kp] = c * akp - s * akq;
          A[kq] = s * akp + c * akq;
          const vkp = V[kp], vkq = V[kq];
          V[kp] = c * vkp - s * vkq;
          V[kq] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = A[i * n + i];
  return { values, V };
}

