import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTolerance, fitLogistic, objective, type LogisticData } from '../../src/model/logistic';
import { CancelledError, Checkpoint } from '../../src/util/cancel';
import { ConvergenceError } from '../../src/util/errors';
import { norm2 } from '../../src/linalg/dense';
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
