/** The exact-or-EK-FAC choice for a model's size, with the reason the output shows. */

/** Which path the session should take for a model with P parameters and N training rows. */
export interface SolverChoice {
  solver: 'exact' | 'ekfac';
  /** Estimated multiply-adds of the exact path: the per-row part plus the factorisations. */
  exactFlops: number;
  /** Its part that does not depend on N: Cholesky factors and inverses of the P x P Hessian(s). */
  factorFlops: number;
  reason: string;
}

export interface SolverChoiceOptions {
  /** Budget of the per-row part N P^2 (default 4e10). */
  budgetFlops?: number;
  /** Budget of the factorisations (default 1e10, ~10 s here): a small file must not spend minutes on them. */
  factorBudgetFlops?: number;
  /**
   * Whether label suspicion runs on the exact path (the logistic scan's default): it adds two P x P
   * inverses from Cholesky factors (P^3/3 each), a second factorisation (P^3/6) and two passes of
   * K x K row blocks (N K(K+1)/2 D^2 each, under N P^2 together).
   */
  labelSuspicion?: boolean;
}

/**
 * Exact float64 while both parts of its cost stay in budget, and P <= 4000 (the P x P factor must
 * fit: 4000^2 x 8 B = 128 MB); EK-FAC otherwise.
 * - Per row: N P^2 (self-influence and RelatIF solves; the Hessian's N K^2 D^2 / 2 is below it), at
 *   most 4e10 (~40 s of float64 JavaScript at the ~1e9 multiply-adds/s it reaches here: digits,
 *   N = 1797, P = 650, is 7.6e8; satellite, N = 6435, P = 222, 3.2e8; 20,000 rows x 65 x 10 is 8.4e9;
 *   1.16 M rows x 21 x 3 is 4.6e9; 100,000 x 257 x 10 is 6.6e11).
 * - Factorisations: P^3/3 (the Hessian's Cholesky factor and the solves' setup), and with label
 *   suspicion P^3 + P^3/6 (its two inverses and its second factor), at most 1e10 (~10 s). Measured: a
 *   4-row file with 1,024 hashed text buckets and 3 classes (P = 3,081) took 34 s of CPU on the exact
 *   path with label suspicion (7/6 P^3 = 3.4e10; 77% of it the inverses), when the former rule,
 *   N P^2 + P^3/3 = 9.8e9 against 4e10, counted a third of the factorisations only.
 */
export function chooseSolver(P: number, N: number, opts: SolverChoiceOptions = {}): SolverChoice {
  const budgetFlops = opts.budgetFlops ?? 4e10;
  const factorBudget = opts.factorBudgetFlops ?? 1e10;
  const rowFlops = N * P * P;
  const factorFlops = (opts.labelSuspicion ? 7 / 6 : 1 / 3) * P * P * P;
  const exactFlops = rowFlops + factorFlops;
  const what = opts.labelSuspicion ? '7/6 P^3 (factors and label suspicion\'s inverses)' : 'P^3/3 (factor)';
  if (P <= 4000 && rowFlops <= budgetFlops && factorFlops <= factorBudget) {
    return {
      solver: 'exact',
      exactFlops,
      factorFlops,
      reason: `exact: N P^2 = ${rowFlops.toExponential(1)} <= ${budgetFlops.toExponential(0)}, ${what} = ${factorFlops.toExponential(1)} <= ${factorBudget.toExponential(0)} flops`,
    };
  }
  return {
    solver: 'ekfac',
    exactFlops,
    factorFlops,
    reason:
      P > 4000
        ? `EK-FAC: P = ${P} parameters is too many for an explicit P x P Hessian`
        : rowFlops > budgetFlops
          ? `EK-FAC: the exact path would need ~${rowFlops.toExponential(1)} flops for the rows (N P^2 > ${budgetFlops.toExponential(0)})`
          : `EK-FAC: the exact path would need ~${factorFlops.toExponential(1)} flops for ${what} (> ${factorBudget.toExponential(0)})`,
  };
}
