/** The exact-or-EK-FAC choice for a model's size, with the reason the output shows. */

/** Which path the session should take for a model with P parameters and N training rows. */
export interface SolverChoice {
  solver: 'exact' | 'ekfac';
  /** Estimated flops of the exact path (Hessian + Cholesky + per-row solves). */
  exactFlops: number;
  reason: string;
}

/**
 * Exact float64 while its estimated cost N K^2 D^2 / 2 + P^3 / 3 + N P^2 ~ N P^2 + P^3 / 3 stays under
 * 4e10 flops (~40 s of float64 JavaScript at the ~1 GFLOP/s it reaches here: digits, N = 1797, P = 650,
 * is 8e8; satellite, N = 6435, P = 222, 3e8; 20,000 rows x 65 x 10 is 8.5e9), and P <= 4000 (the
 * P x P factor must fit: 4000^2 x 8 B = 128 MB); EK-FAC otherwise (100,000 x 257 x 10 is 6.8e11).
 */
export function chooseSolver(P: number, N: number, budgetFlops = 4e10): SolverChoice {
  const exactFlops = N * P * P + (P * P * P) / 3;
  if (P <= 4000 && exactFlops <= budgetFlops) {
    return { solver: 'exact', exactFlops, reason: `exact: N P^2 + P^3/3 = ${exactFlops.toExponential(1)} flops <= ${budgetFlops.toExponential(0)}` };
  }
  return {
    solver: 'ekfac',
    exactFlops,
    reason:
      P > 4000
        ? `EK-FAC: P = ${P} parameters is too many for an explicit P x P Hessian`
        : `EK-FAC: the exact path would need ~${exactFlops.toExponential(1)} flops (> ${budgetFlops.toExponential(0)})`,
  };
}

