/**
 * The effect of relabelling training rows, (x_i, y_i) -> (x_i, y'_i), on L2-regularised softmax
 * regression, J(W) = (1/N) sum_j CE(x_j, y_j; W) + (l2/2)||W||^2.
 *
 * Predicted (influence; Koh & Liang's "perturbation" of a training point's label): the gradient of a
 * row's loss is g(x, y) = (p(x) - e_y) kron x, so changing its label changes the gradient of J at the
 * fitted W by (1/N)(e_y - e_y') kron x, the same at every W; the Hessian of J does not depend on the
 * labels at all. One exact Newton step from the fitted W for the relabelled objective is therefore
 *   dW = -(1/N) H^-1 sum_i (e_{y_i} - e_{y'_i}) kron x_i,
 * and the predicted metrics are those of W + dW: the test loss and accuracy (with a test set), else
 * the mean training loss of the rows that were not relabelled. (The first-order estimate of the loss
 * change, grad L . dW, is reported as well.)
 *
 * Actual ("verify"): the model refitted on the relabelled data, warm-started at the fitted W (a few
 * Newton / L-BFGS steps instead of a fit from zero), evaluated the same way.
 *
 * H^-1 comes from the scan's solver (RelabelModel.solve): the Cholesky factor on the exact solver
 * (then the step is the exact Newton step), EK-FAC's approximate inverse on the EK-FAC solver (CG's
 * refined solve with `--solver cg`), so larger and text files get a prediction too; Verify's refit is
 * exact either way and its stepError says how far the predicted step was off.
 */
import { fitLogistic, logits, logSoftmaxInto, type LogisticData } from '../model/logistic';
import type { Checkpoint } from '../util/cancel';

/** What a relabelling needs of a fitted logistic regression: its data, optimum, L2 and an H^-1 solve. */
export interface RelabelModel {
  readonly data: LogisticData;
  readonly W: Float64Array;
  readonly l2: number;
  /** H^-1 g (exact or approximate, as the scan's solver computes it). */
  solve(g: Float64Array): Float64Array;
  /** How the last solve ran, for solvers that are not exact ('ekfac', or 'pcg' refined on exact HVPs). */
  readonly lastSolve?: { method: string; iterations: number; relativeResidual?: number };
}

export interface Relabel {
  /** Model row (0-based index into the training data). */
  row: number;
  /** New class index. */
  to: number;
}

/** The rows a metric is measured on: a labelled test set, or (none) the training rows not relabelled. */
export interface EvalSet {
  X: Float64Array;
  /** Class per row; rows with -1 are left out. */
  y: Int32Array | number[];
  n: number;
}

export interface Metrics {
  /** Mean cross-entropy over the evaluated rows. */
  loss: number;
  /** Fraction of the evaluated rows whose label is the most probable class. */
  accuracy: number;
  /** Rows evaluated. */
  rows: number;
}

export interface RelabelEffect {
  /** 'test' (a test set) or 'train' (the mean training loss of the rows not relabelled). */
  on: 'test' | 'train';
  before: Metrics;
  /** At W + dW, dW the Newton step for the relabelled objective. */
  predicted: Metrics;
  /** First-order change of the loss: grad L(W) . dW. */
  firstOrderLossChange: number;
  /** The parameter step dW (K x D). */
  step: Float64Array;
}

export interface RelabelVerification {
  predicted: RelabelEffect;
  /** Metrics of the warm-started refit. */
  actual: Metrics;
  refit: { iterations: number; newtonSteps: number; gradNorm: number; seconds: number };
  /** Relative distance ||W_refit - (W + dW)|| / ||W_refit - W||: how well the one step matched the refit. */
  stepError: number;
}

function checkChanges(changes: readonly Relabel[], N: number, K: number): void {
  const seen = new Set<number>();
  for (const c of changes) {
    if (!Number.isInteger(c.row) || c.row < 0 || c.row >= N) throw new RangeError(`relabel: row ${c.row} is not in 0..${N - 1}`);
    if (!Number.isInteger(c.to) || c.to < 0 || c.to >= K) throw new RangeError(`relabel: class ${c.to} is not in 0..${K - 1}`);
    if (seen.has(c.row)) throw new RangeError(`relabel: row ${c.row} is relabelled twice`);
    seen.add(c.row);
  }
}

/** Mean CE, accuracy and the gradient of the mean CE (K x D) of W on a labelled set. */
export function evaluate(W: Float64Array, set: EvalSet, D: number, K: number, withGradient = false): Metrics & { gradient?: Float64Array } {
  const z = logits(W, set.X, set.n, D, K);
  const lp = new Float64Array(K);
  const grad = withGradient ? new Float64Array(K * D) : undefined;
  let loss = 0;
  let ok = 0;
  let m = 0;
  for (let i = 0; i < set.n; i++) {
    const y = set.y[i];
    if (y < 0) continue;
    m++;
    logSoftmaxInto(z, i * K, K, lp, 0);
    loss -= lp[y];
    let best = 0;
    for (let k = 1; k < K; k++) if (lp[k] > lp[best]) best = k;
    if (best === y) ok++;
    if (grad) {
      for (let k = 0; k < K; k++) {
        const r = Math.exp(lp[k]) - (k === y ? 1 : 0);
        if (r === 0) continue;
        for (let a = 0; a < D; a++) grad[k * D + a] += r * set.X[i * D + a];
      }
    }
  }
  if (grad && m > 0) for (let j = 0; j < grad.length; j++) grad[j] /= m;
  return { loss: m > 0 ? loss / m : NaN, accuracy: m > 0 ? ok / m : NaN, rows: m, gradient: grad };
}

/** The training rows not relabelled, as an evaluation set. */
function otherRows(data: LogisticData, changes: readonly Relabel[]): EvalSet {
  const changed = new Set(changes.map((c) => c.row));
  const y = Array.from(data.y, (v, i) => (changed.has(i) ? -1 : v));
  return { X: data.X, y, n: data.N };
}

/** The predicted effect of the relabelling (one Newton step with the model's H^-1 solve; no refit). */
export function predictRelabel(inf: RelabelModel, changes: readonly Relabel[], test?: EvalSet): RelabelEffect {
  const { X, N, D, K, y } = inf.data;
  checkChanges(changes, N, K);
  // grad J_new(W) - grad J(W) = (1/N) sum_i (e_y - e_y') kron x_i
  const g = new Float64Array(K * D);
  for (const c of changes) {
    const from = y[c.row];
    if (from === c.to) continue;
    for (let a = 0; a < D; a++) {
      const v = X[c.row * D + a] / N;
      g[from * D + a] += v;
      g[c.to * D + a] -= v;
    }
  }
  const step = inf.solve(g);
  for (let j = 0; j < step.length; j++) step[j] = -step[j];
  const W1 = Float64Array.from(inf.W, (w, j) => w + step[j]);
  const set = test ?? otherRows(inf.data, changes);
  const before = evaluate(inf.W, set, D, K, true);
  const predicted = evaluate(W1, set, D, K);
  let first = 0;
  for (let j = 0; j < step.length; j++) first += before.gradient![j] * step[j];
  return {
    on: test ? 'test' : 'train',
    before: { loss: before.loss, accuracy: before.accuracy, rows: before.rows },
    predicted: { loss: predicted.loss, accuracy: predicted.accuracy, rows: predicted.rows },
    firstOrderLossChange: first,
    step,
  };
}

/** The prediction and the actual effect: the relabelled data refitted, warm-started at the fitted W. */
export async function verifyRelabel(inf: RelabelModel, changes: readonly Relabel[], test?: EvalSet, checkpoint?: Checkpoint): Promise<RelabelVerification & { W: Float64Array }> {
  const predicted = predictRelabel(inf, changes, test);
  const { X, N, D, K } = inf.data;
  const y = Int32Array.from(inf.data.y);
  for (const c of changes) y[c.row] = c.to;
  const t0 = performance.now();
  const fit = await fitLogistic({ X, N, D, K, y }, { l2: inf.l2, init: Float64Array.from(inf.W), checkpoint, requireConvergence: true });
  const seconds = (performance.now() - t0) / 1000;
  const set = test ?? otherRows(inf.data, changes);
  const actual = evaluate(fit.W, set, D, K);
  let num = 0;
  let den = 0;
  for (let j = 0; j < fit.W.length; j++) {
    const moved = fit.W[j] - inf.W[j];
    num += (moved - predicted.step[j]) ** 2;
    den += moved ** 2;
  }
  return {
    predicted,
    actual: { loss: actual.loss, accuracy: actual.accuracy, rows: actual.rows },
    refit: { iterations: fit.iterations, newtonSteps: fit.newtonSteps, gradNorm: fit.gradNorm, seconds },
    stepError: den > 0 ? Math.sqrt(num / den) : 0,
    W: fit.W,
  };
}
