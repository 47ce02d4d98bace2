/**
 * Cross-loss influence for a tfjs model (the non-convex counterpart of src/influence/crossLoss.ts):
 *     I_f(i) = -grad f(theta)^T (H + damping I)^-1 grad L_i(theta),
 * H the Hessian of the training objective J at the fitted parameters, by exact double-backprop
 * Hessian-vector products; (H + damping)^-1 grad f by conjugate gradients (src/influence/iterative.ts);
 * the N dot products with the per-row gradients in one Jacobian-vector product
 * (src/unsupervised/paramSpace.ts). removalChange_i = -I_f(i) / N is the first-order change of f when
 * row i (weight 1/N in J) is left out.
 *
 * J need not be convex: when CG meets negative curvature the damping is multiplied by 10 and the
 * solve restarted (up to 1e3); the damping used and the ones rejected are reported.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Checkpoint } from '../util/cancel';
import { UserError } from '../util/errors';
import { conjugateGradient, type SolveReport } from '../influence/iterative';
import { hvpAt, jvpRows, valueAndGradientAt, type RowsFn, type ScalarFn } from './paramSpace';

export interface TfCrossLossProblem {
  params: readonly tf.Tensor[];
  /** The training objective J (its Hessian is H). */
  objective: ScalarFn;
  /** The N per-row training losses L_i (J = (1/N) sum L_i + regulariser). */
  rowLosses: RowsFn;
  N: number;
}

export interface TfSolveOptions {
  /** Initial damping added to H (default 1e-3); raised x10 on negative curvature. */
  damping?: number;
  /** CG tolerance on the relative residual (default 1e-5). */
  tol?: number;
  /** CG iterations per attempt at most (default 500). */
  maxIterations?: number;
  checkpoint?: Checkpoint;
}

export interface TfCrossLossResult {
  /** f at the fitted parameters. */
  value: number;
  /** I_f(i) for every training row. */
  influence: Float64Array;
  /** -I_f(i) / N. */
  removalChange: Float64Array;
  /** The final solve (its damping is the one used). */
  solve: SolveReport;
  /** Hessian-vector products over all attempts. */
  hvps: number;
  rejectedDampings: number[];
}

export async function crossLossInfluenceTf(problem: TfCrossLossProblem, f: ScalarFn, opts: TfSolveOptions = {}): Promise<TfCrossLossResult> {
  const { params, N } = problem;
  const { value, grad } = valueAndGradientAt(f, params);
  const hvp = (v: Float64Array): Float64Array => hvpAt(problem.objective, params, v);
  const cg = (d: number) =>
    conjugateGradient(hvp, grad, { damping: d, tol: opts.tol ?? 1e-5, maxIterations: opts.maxIterations ?? 500, checkpoint: opts.checkpoint });
  let damping = opts.damping ?? 1e-3;
  const rejectedDampings: number[] = [];
  let solved = await cg(damping);
  let hvps = solved.report.hvps;
  while (solved.report.stopReason === 'negative-curvature' && damping < 1e3) {
    rejectedDampings.push(damping);
    damping *= 10;
    solved = await cg(damping);
    hvps += solved.report.hvps;
  }
  if (solved.report.stopReason === 'negative-curvature') {
    throw new UserError('The model\'s Hessian has strong negative curvature even with damping 1e3: the fit is far from a minimum; train longer before explaining.');
  }
  const dots = jvpRows(problem.rowLosses, params, solved.x, N); // grad L_i . (H + damping)^-1 grad f
  return {
    value,
    influence: dots.map((v) => -v),
    removalChange: dots.map((v) => v / N),
    solve: solved.report,
    hvps,
    rejectedDampings,
  };
}
