/**
 * CG and LiSSA against the exact solve (Cholesky of the explicit Hessian) on a real logistic model:
 * 600 digits rows, 64 pixels + bias, 10 classes (P = 650), fitted to its optimum.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Cholesky } from '../../src/linalg/cholesky';
import { conjugateGradient, largestEigenvalue, lissa } from '../../src/influence/iterative';
import { fitLogistic, hessian, hessianVectorProduct, predictProba, type LogisticData } from '../../src/model/logistic';
import { loadNumeric, relErr, subset } from '../fixtures/nn/data';

let data: LogisticData;
let probs: Float64Array;
let chol: Cholesky;
let g: Float64Array; // a real per-example gradient (row 7), the right-hand side of influence solves
let exact: Float64Array;
const l2 = 1e-2;
const P = () => data.K * data.D;

before(async () => {
  const all = await loadNumeric('digits.csv', 'label');
  data = subset(all, Array.from({ length: 600 }, (_, i) => i));
  const fit = await fitLogistic(data, { l2 });
  assert.ok(fit.converged, `fit converged (||grad|| = ${fit.gradNorm})`);
  probs = predictProba(fit.W, data.X, data.N, data.D, data.K);
  chol = Cholesky.factor(hessian(data, probs, l2), P());
  const i = 7, D = data.D, K = data.K;
  g = new Float64Array(P());
  for (let k = 0; k < K; k++) {
    const r = probs[i * K + k] - (data.y[i] === k ? 1 : 0);
    for (let a = 0; a < D; a++) g[k * D + a] = r * data.X[i * D + a];
  }
  exact = chol.solve(g);
});

const full = (v: Float64Array) => hessianVectorProduct(data, probs, l2, v);

test('CG solves H x = g to the exact solution (digits, P = 650)', async () => {
  const { x, report } = await conjugateGradient(full, g, { tol: 1e-10 });
  const err = relErr(x, exact);
  console.log(`CG: ${report.iterations} iterations, relative residual ${report.relativeResidual.toExponential(2)}, relative error vs Cholesky ${err.toExponential(2)}`);
  assert.equal(report.stopReason, 'tolerance');
  assert.ok(report.relativeResidual < 1e-9, `residual ${report.relativeResidual}`);
  assert.ok(err < 1e-6, `relative error ${err}`);
  assert.ok(report.iterations < P(), 'CG converges in fewer steps than the dimension');
});

test('CG with damping solves (H + d I) x = g, and a loose tolerance stops early and says so', async () => {
  const d = 0.05;
  const { x, report } = await conjugateGradient(full, g, { damping: d, tol: 1e-10 });
  const exactD = Cholesky.factor(hessian(data, probs, l2), P(), { damping: d }).solve(g);
  assert.ok(relErr(x, exactD) < 1e-6);
  const loose = await conjugateGradient(full, g, { tol: 1e-2 });
  assert.ok(loose.report.iterations < report.iterations);
  assert.ok(loose.report.relativeResidual < 1.5e-2 && loose.report.relativeResidual > 1e-4, `${loose.report.relativeResidual}`);
});

test('CG reports negative curvature on an indefinite operator instead of returning garbage silently', async () => {
  const n = 5;
  const diag = [3, 2, 1, -1, 0.5];
  const op = (v: Float64Array) => v.map((x, k) => diag[k] * x);
  const { report } = await conjugateGradient(op, new Float64Array(n).fill(1));
  assert.equal(report.stopReason, 'negative-curvature');
  assert.equal(report.converged, false);
});

test('LiSSA on minibatch HVPs approaches the exact solution', async () => {
  const batchHvp = (v: Float64Array, rows: Int32Array) => minibatchHvp(rows, v);
  const lam = await largestEigenvalue(full, P());
  const { x, report } = await lissa(batchHvp, full, g, { rows: data.N, batchSize: 100, repeats: 3, depth: 1000, scale: 1.5 * lam.value, seed: 3 });
  const err = relErr(x, exact);
  console.log(
    `LiSSA: lambda_max ~ ${lam.value.toFixed(3)}, scale ${report.scale?.toFixed(3)}, ${report.iterations} steps, ${report.hvps} HVPs, ` +
      `relative residual ${report.relativeResidual.toExponential(2)}, relative error vs Cholesky ${err.toExponential(2)}, stop ${report.stopReason}`,
  );
  // Minibatch noise leaves an error floor; measured 0.02-0.03 here. The influence direction must be right.
  assert.ok(err < 0.15, `relative error ${err}`);
  let c = 0;
  for (let k = 0; k < x.length; k++) c += x[k] * exact[k];
  assert.ok(c / (Math.hypot(...x) * Math.hypot(...exact)) > 0.99);
  // A scale below lambda_max makes the series diverge, and the report says so.
  const bad = await lissa(batchHvp, full, g, { rows: data.N, batchSize: 100, repeats: 1, depth: 300, scale: 0.3 * lam.value, seed: 3 });
  assert.match(bad.report.stopReason, /diverged/);
});

/** (1/|B|) sum_{i in B} (A_i kron x_i x_i^T) v + l2 v: the minibatch estimate of H v. */
function minibatchHvp(rows: Int32Array, v: Float64Array): Float64Array {
  const { X, D, K } = data;
  const out = new Float64Array(K * D);
  const t = new Float64Array(K);
  const c = 1 / rows.length;
  for (const i of rows) {
    let pt = 0;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let a = 0; a < D; a++) s += v[k * D + a] * X[i * D + a];
      t[k] = s;
      pt += probs[i * K + k] * s;
    }
    for (let k = 0; k < K; k++) {
      const w = c * probs[i * K + k] * (t[k] - pt);
      for (let a = 0; a < D; a++) out[k * D + a] += w * X[i * D + a];
    }
  }
  for (let p = 0; p < out.length; p++) out[p] += l2 * v[p];
  return out;
}
