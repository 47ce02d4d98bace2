/**
 * Dense float64 helpers. Matrices are Float64Array in row-major order: entry (i, j) of an m x n
 * matrix is at i * n + j. Loops keep several independent accumulators so that V8's floating-point
 * adds overlap instead of waiting on each other, and never allocate per element.
 */

export function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    s0 += a[ao + k] * b[bo + k];
    s1 += a[ao + k + 1] * b[bo + k + 1];
    s2 += a[ao + k + 2] * b[bo + k + 2];
    s3 += a[ao + k + 3] * b[bo + k + 3];
  }
  for (; k < n; k++) s0 += a[ao + k] * b[bo + k];
  return s0 + s1 + (s2 + s3);
}

/** a . b over their whole length (a.length entries). */
export function dotAll(a: Float64Array, b: Float64Array): number {
  return dot(a, 0, b, 0, a.length);
}

export function norm2(v: Float64Array): number {
  // Scaled so that huge or tiny entries neither overflow nor underflow.
  let scale = 0;
  for (let k = 0; k < v.length; k++) scale = Math.max(scale, Math.abs(v[k]));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let k = 0; k < v.length; k++) {
    const t = v[k] / scale;
    s += t * t;
  }
  return scale * Math.sqrt(s);
}

/** Copies the upper triangle of the n x n matrix A onto its lower triangle. */
export function mirrorUpper(A: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) A[j * n + i] = A[i * n + j];
}

/** Transpose of the m x n matrix A (n x m). */
export function transpose(A: Float64Array, m: number, n: number, out: Float64Array = new Float64Array(m * n)): Float64Array {
  const B = 32;
  for (let i0 = 0; i0 < m; i0 += B) {
    const i1 = Math.min(m, i0 + B);
    for (let j0 = 0; j0 < n; j0 += B) {
      const j1 = Math.min(n, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) out[j * m + i] = A[i * n + j];
    }
  }
  return out;
}

/**
 * C = A A^T for the m x n matrix A (rows dotted with rows): the symmetric m x m product, computed
 * on the upper triangle in 2 x 2 tiles and mirrored. With `upperTriangular` (A[i, k] = 0 for k < i)
 * each dot of rows i <= j starts at column j.
 */
export function rowGram(A: Float64Array, m: number, n: number, upperTriangular = false, out: Float64Array = new Float64Array(m * m)): Float64Array {
  rowGramUpperRows(A, m, n, upperTriangular, out, 0, m);
  mirrorUpper(out, m);
  return out;
}

/**
 * Rows [i0, i1) of the upper triangle of A A^T (see rowGram) into out (m x m), so that long
 * products can be split into chunks; any split gives the same result as one call.
 */
export function rowGramUpperRows(
  A: Float64Array,
  m: number,
  n: number,
  upperTriangular: boolean,
  out: Float64Array,
  i0: number,
  i1: number,
): void {
  let i = i0;
  for (; i + 1 < i1; i += 2) {
    const ai = i * n, ai1 = ai + n;
    let j = i;
    for (; j + 1 < m; j += 2) {
      const aj = j * n, aj1 = aj + n;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let k = upperTriangular ? j : 0; k < n; k++) {
        const x0 = A[ai + k], x1 = A[ai1 + k], y0 = A[aj + k], y1 = A[aj1 + k];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      out[i * m + j] = s00;
      out[i * m + j + 1] = s01;
      out[(i + 1) * m + j + 1] = s11;
      if (j !== i) out[(i + 1) * m + j] = s10;
    }
    for (; j < m; j++) {
      const k0 = upperTriangular ? j : 0;
      out[i * m + j] = dot(A, ai + k0, A, j * n + k0, n - k0);
      out[(i + 1) * m + j] = dot(A, ai1 + k0, A, j * n + k0, n - k0);
    }
  }
  for (; i < i1; i++) {
    for (let j = i; j < m; j++) {
      const k0 = upperTriangular ? j : 0;
      out[i * m + j] = dot(A, i * n + k0, A, j * n + k0, n - k0);
    }
  }
}

/** C = A B for A m x n and B n x p (both row-major), i-k-j order so inner loops are contiguous. */
export function matMul(A: Float64Array, B: Float64Array, m: number, n: number, p: number, out: Float64Array = new Float64Array(m * p)): Float64Array {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    const ci = i * p;
    for (let k = 0; k < n; k++) {
      const a = A[i * n + k];
      if (a === 0) continue;
      const bk = k * p;
      for (let j = 0; j < p; j++) out[ci + j] += a * B[bk + j];
    }
  }
  return out;
}
