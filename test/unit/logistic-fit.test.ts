import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTolerance, fitLogistic, objective, type LogisticData } from '../../src/model/logistic';
import { CancelledError, Checkpoint } from '../../src/util/cancel';
import { ConvergenceError } from '../../src/util/errors';
import { norm2 } from '../../src/linalg/dense';
import { ExactInfluence } from '../../src/influence/exact';
import { lbfgs } from '../../src/optim/lbfgs';
import { REFERENCE_DIR, prepare, readNumericCsv, subsetRows } from '../fixtures/reference/numericCsv';

interface Reference {
  lam: number;
  trainRows: [number, number];
  classes: string[];
  keptColumns: number[];
  fit: { objective: number };
  W: number[];
}

function loadReference(name: string, file: string, label: string): { ref: Reference; data: LogisticData } {
  const ref = JSON.parse(readFileSync(join(REFERENCE_DIR, `${name}.json`), 'utf8')) as Reference;
  const rows = Array.from({ length: ref.trainRows[1] - ref.trainRows[0] }, (_, i) => ref.trainRows[0] + i);
  const prep = prepare(subsetRows(readNumericCsv(file, label), rows));
  assert.deepEqual(prep.classes, ref.classes);
  assert.deepEqual(prep.standardizer.keep, ref.keptColumns);
  return { ref, data: prep.data };
}

const cases = [
  ['breast_cancer', 'breast_cancer.csv', 'diagnosis'],
  ['digits300', 'digits.csv', 'label'],
] as const;

for (const [name, file, label] of cases) {
  test(`${name}: the fit reaches ||grad J|| < tol and the numpy reference's optimum`, async () => {
    const { ref, data } = loadReference(name, file, label);
    const fit = await fitLogistic(data, { l2: ref.lam });
    const tol = defaultTolerance(data);
    assert.equal(fit.tol, tol);
    assert.ok(fit.converged, `not converged: ${fit.gradNorm}`);
    // The reported gradient norm is the true one at the returned W.
    const g = new Float64Array(fit.W.length);
    const f = objective(data, fit.W, ref.lam, undefined, g);
    assert.ok(norm2(g) < tol, `||grad J|| = ${norm2(g)} >= ${tol}`);
    assert.ok(Math.abs(norm2(g) - fit.gradNorm) <= 1e-3 * tol);
    assert.equal(f, fit.objective);
    // Same optimum as the reference (converged there to the rounding floor): ||W - W_ref|| is
    // bounded by ||grad J|| / l2, far smaller in practice.
    let dw = 0, wmax = 0;
    for (let p = 0; p < fit.W.length; p++) {
      dw = Math.max(dw, Math.abs(fit.W[p] - ref.W[p]));
      wmax = Math.max(wmax, Math.abs(ref.W[p]));
    }
    assert.ok(dw < 1e-5 * wmax, `max |W - W_ref| = ${dw} (max |W_ref| = ${wmax})`);
    assert.ok(Math.abs(fit.objective - ref.fit.objective) < 1e-12, `objective ${fit.objective} vs ${ref.fit.objective}`);

    // A tight tolerance reaches the reference's W to its 10 printed digits.
    const tight = await fitLogistic(data, { l2: ref.lam, tol: 1e-13, init: fit.W });
    assert.ok(tight.converged && tight.gradNorm < 1e-13);
    for (let p = 0; p < tight.W.length; p++) assert.ok(Math.abs(tight.W[p] - ref.W[p]) < 1e-8 * wmax, `W[${p}]`);
  });
}

test('Newton polish finishes the fit when L-BFGS is stopped early', async () => {
  const { ref, data } = loadReference('breast_cancer', 'breast_cancer.csv', 'diagnosis');
  const fit = await fitLogistic(data, { l2: ref.lam, maxIterations: 5 });
  assert.equal(fit.iterations, 5);
  assert.ok(fit.newtonSteps >= 1);
  assert.ok(fit.converged && fit.gradNorm < (fit.tol ?? 0));
  for (let p = 0; p < fit.W.length; p++) assert.ok(Math.abs(fit.W[p] - ref.W[p]) < 1e-5);
});

test('a row with weight 2c fits exactly like the same row present twice with weight c', async () => {
  const raw = readNumericCsv('breast_cancer.csv', 'diagnosis');
  const rows = Array.from({ length: 120 }, (_, i) => i * 4);
  const doubled = [...rows, rows[7]];
  const a = prepare(subsetRows(raw, rows));
  // Standardise the duplicated set with the same statistics, so both see identical features.
  const b = prepare(subsetRows(raw, doubled));
  const D = a.data.D;
  const Xb = new Float64Array(doubled.length * D);
  doubled.forEach((r, i) => Xb.set(a.standardizer.apply(raw.features, r * raw.d), i * D));
  const dup: LogisticData = { ...b.data, X: Xb };
  const c = 1 / doubled.length;
  const weights = new Float64Array(rows.length).fill(c);
  weights[7] = 2 * c;
  const fa = await fitLogistic(a.data, { l2: 1e-2, weights, tol: 1e-12 });
  const fb = await fitLogistic(dup, { l2: 1e-2, tol: 1e-12 });
  assert.ok(fa.converged && fb.converged);
  for (let p = 0; p < fa.W.length; p++) assert.ok(Math.abs(fa.W[p] - fb.W[p]) < 1e-8, `W[${p}]: ${fa.W[p]} vs ${fb.W[p]}`);
});

test('the fit ticks its checkpoint and stops with CancelledError when cancelled', async () => {
  const { ref, data } = loadReference('digits300', 'digits.csv', 'label');
  const ac = new AbortController();
  let ticks = 0;
  const cp = new Checkpoint(ac.signal, () => {
    if (++ticks === 3) ac.abort();
  }, 0);
  cp.begin('fit');
  await assert.rejects(fitLogistic(data, { l2: ref.lam, checkpoint: cp }), CancelledError);
  assert.ok(ticks >= 3);
});

test('requireConvergence turns a fit that cannot converge into a ConvergenceError', async () => {
  const { data } = loadReference('breast_cancer', 'breast_cancer.csv', 'diagnosis');
  // Without regularisation the softmax has a flat direction and nearly separable data drive W
  // to infinity: neither L-BFGS nor Newton can reach the tolerance.
  await assert.rejects(
    fitLogistic(data, { l2: 0, maxIterations: 30, requireConvergence: true }),
    (e: unknown) => e instanceof ConvergenceError && /did not converge/.test(e.message),
  );
});

test('L-BFGS with the exact inverse Hessian as its initial one solves a quadratic in one step; the scalar scaling needs many', async () => {
  // f(w) = 1/2 w^T A w - b^T w with A = diag(1, 10, ..., 1e4) rotated by a Householder reflection.
  const n = 5;
  const v = Float64Array.from([1, 2, -1, 0.5, 3]);
  const vv = v.reduce((s, x) => s + x * x, 0);
  const Q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * v[i] * v[j]) / vv;
  const lam = [1, 10, 100, 1000, 10000];
  const A = new Float64Array(n * n);
  const Ainv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) {
        A[i * n + j] += Q(i, k) * lam[k] * Q(j, k);
        Ainv[i * n + j] += (Q(i, k) * Q(j, k)) / lam[k];
      }
    }
  }
  const b = Float64Array.from([1, -2, 3, -4, 5]);
  const mul = (M: Float64Array, x: Float64Array) => Float64Array.from({ length: n }, (_, i) => x.reduce((s, xj, j) => s + M[i * n + j] * xj, 0));
  const fg = (w: Float64Array, g: Float64Array) => {
    const Aw = mul(A, w);
    for (let i = 0; i < n; i++) g[i] = Aw[i] - b[i];
    return 0.5 * w.reduce((s, wi, i) => s + wi * Aw[i], 0) - b.reduce((s, bi, i) => s + bi * w[i], 0);
  };
  const run = async (H0?: (q: Float64Array) => Float64Array) => {
    const w = new Float64Array(n);
    const g = new Float64Array(n);
    const f = fg(w, g);
    const r = await lbfgs(w, g, f, fg, 1e-10, 1000, { initialInverseHessian: H0 });
    return { w, g, iterations: r.iterations };
  };
  const pre = await run((q) => mul(Ainv, q));
  const plain = await run();
  const exact = mul(Ainv, b);
  for (const r of [pre, plain]) {
    assert.ok(norm2(r.g) < 1e-10);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(r.w[i] - exact[i]) < 1e-9, `w[${i}]`);
  }
  assert.equal(pre.iterations, 1);
  assert.ok(plain.iterations > 3, `plain L-BFGS: ${plain.iterations} iterations`);
});

test('a reweighted fit with the unweighted Cholesky solve as initial inverse Hessian reaches the same optimum in fewer iterations', async () => {
  const { ref, data } = loadReference('digits300', 'digits.csv', 'label');
  const fit = await fitLogistic(data, { l2: ref.lam });
  const inf = await ExactInfluence.build(data, fit.W, { l2: ref.lam });
  // Weights as label suspicion's refit makes them: every fifth row down-weighted.
  const weights = Float64Array.from({ length: data.N }, (_, i) => (i % 5 === 0 ? 0.1 : 1));
  const total = weights.reduce((s, w) => s + w, 0);
  for (let i = 0; i < data.N; i++) weights[i] /= total;
  const plain = await fitLogistic(data, { l2: ref.lam, weights, init: fit.W });
  const shaped = await fitLogistic(data, { l2: ref.lam, weights, init: fit.W, initialInverseHessian: (g) => inf.solve(g) });
  assert.ok(plain.converged && shaped.converged);
  const g = new Float64Array(fit.W.length);
  objective(data, shaped.W, ref.lam, weights, g);
  assert.ok(norm2(g) < (shaped.tol ?? 0), `||grad J|| = ${norm2(g)}`);
  // Both within tol / l2 of the optimum.
  for (let p = 0; p < fit.W.length; p++) assert.ok(Math.abs(plain.W[p] - shaped.W[p]) < (2 * (shaped.tol ?? 0)) / ref.lam, `W[${p}]`);
  assert.ok(shaped.iterations < plain.iterations, `${shaped.iterations} iterations with the factor, ${plain.iterations} without`);
});
