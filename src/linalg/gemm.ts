/**
 * Optional dense-product provider for EK-FAC (src/influence/ekfac.ts; src/nn/accelerate.ts gives one
 * on TensorFlow.js, float32): the O(N D^2) products of IterativeInfluence.build() and the O(N K D)
 * product of every explain() go through it when given.
 */
export interface GemmProvider {
  /** A^T A for the m x n row-major A (n x n). */
  gram(A: Float64Array, m: number, n: number): Float64Array;
  /** A B for A m x n, B n x p. */
  matmul(A: Float64Array, m: number, n: number, B: Float64Array, p: number): Float64Array;
  /** Keeps A (m x n) resident; times(B, p) = A B^T for B p x n (m x p). */
  bind(A: Float64Array, m: number, n: number): { timesTransposed(B: Float64Array, p: number): Float64Array; dispose(): void };
  name: string;
}

