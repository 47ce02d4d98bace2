/**
 * EK-FAC influence (the at-scale path) against the exact float64 path on real data sets where both
 * run: Spearman of the self-influence, overlap of the top 10%, and explain() agreement.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IterativeInfluence } from '../../src/influence/ekfac';
import { chooseSolver } from '../../src/influence/solverChoice';
import { jacobiEigen } from '../../src/linalg/eigen';
import { pearson, spearman, topOverlap } from '../../src/eval/metrics';
import { ExactInfluence } from '../../src/influence/exact';
import { fitLogistic, type LogisticData } from '../../src/model/logistic';
import { initBackend } from '../../src/nn/backend';
import { tfjsGemm } from '../../src/nn/accelerate';
import { loadNumeric, subset } from '../fixtures/nn/data';

test('Jacobi eigen-decomposition: A V = V diag(values), V orthonormal', () => {
  const n = 12;
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = Math.sin(i * 7 + j * 3) + (i === j ? 3 : 0);
  const { values, V } = jacobiEigen(A, n, 30);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let av = 0, vv = 0;
    for (let k = 0; k < n; k++) {
      av += A[i * n + k] * V[k * n + j];
      vv += V[k * n + i] * V[k * n + j];
    }
    assert.ok(Math.abs(av - values[j] * V[i * n + j]) < 1e-10);
    assert.ok(Math.abs(vv - (i === j ? 1 : 0)) < 1e-12);
  }
});

async function compare(name: string, data: LogisticData, l2: number) {
  const fit = await fitLogistic(data, { l2 });
  let t = performance.now();
  const exact = await ExactInfluence.build(data, fit.W, { l2 });
  const tExact = performance.now() - t;
  t = performance.now();
  const approx = await IterativeInfluence.build(data, fit.W, { l2 });
  const tApprox = performance.now() - t;
  const rho = spearman(approx.selfInfluence, exact.selfInfluence);
  const top = topOverlap(approx.selfInfluence, exact.selfInfluence, 0.1);
  // explain() for 5 training rows at their labels: influence with the refined (exact) test solve.
  const ex: number[] = [];
  const rel: number[] = [];
  for (const i of [3, 50, 200, 400, 777]) {
    const x = data.X.slice(i * data.D, (i + 1) * data.D);
    const e = exact.explain(x, data.y[i]);
    const a = approx.explain(x, data.y[i]);
    ex.push(pearson(a.influence, e.influence));
    rel.push(spearman(a.relatifL, e.relatifL));
    assert.ok(Math.abs(a.testLoss - e.testLoss) < 1e-12);
  }
  const minEx = Math.min(...ex), minRel = Math.min(...rel);
  console.log(
    `${name}: N=${data.N} P=${data.K * data.D}; exact ${tExact.toFixed(0)} ms, EK-FAC ${tApprox.toFixed(0)} ms; self-influence Spearman ${rho.toFixed(4)}, ` +
      `top-10% overlap ${top.toFixed(3)}; explain influence Pearson >= ${minEx.toFixed(5)}, RelatIF-l Spearman >= ${minRel.toFixed(4)}; solve ${JSON.stringify(approx.lastSolve)}`,
  );
  return { rho, top, minEx, minRel };
}

test('EK-FAC vs exact on digits (first 1000 rows)', async () => {
  const all = await loadNumeric('digits.csv', 'label');
  const data = subset(all, Array.from({ length: 1000 }, (_, i) => i));
  const r = await compare('digits', data, 1e-3);
  // Measured on all 1797 rows: Spearman 0.9985, top-10% 0.96 (docs/models.md); floors below that.
  assert.ok(r.rho > 0.98, `${r.rho}`);
  assert.ok(r.top > 0.85, `${r.top}`);
  assert.ok(r.minEx > 0.999999, 'the refined test solve is exact, so influence matches');
  assert.ok(r.minRel > 0.95, `${r.minRel}`);
});

// (duplicates: the digits test above, on satellite: the same comparison, other floors.)
test('EK-FAC vs exact on satellite (first 2000 rows)', async () => {
  const all = await loadNumeric('satellite.csv', 'class');
  const data = subset(all, Array.from({ length: 2000 }, (_, i) => i));
  const r = await compare('satellite', data, 1e-3);
  assert.ok(r.rho > 0.98, `${r.rho}`);
  assert.ok(r.top > 0.85, `${r.top}`);
});

test('EK-FAC with dense products on tfjs-wasm (float32) matches the float64 JavaScript path', async () => {
  await initBackend({ prefer: ['wasm', 'cpu'] });
  const all = await loadNumeric('satellite.csv', 'class');
  const data = subset(all, Array.from({ length: 1500 }, (_, i) => i));
  const fit = await fitLogistic(data, { l2: 1e-3 });
  const js = await IterativeInfluence.build(data, fit.W, { l2: 1e-3, refineIterations: 0 });
  const acc = await IterativeInfluence.build(data, fit.W, { l2: 1e-3, refineIterations: 0, gemm: tfjsGemm() });
  assert.match(acc.method, /tfjs-(wasm|cpu)/);
  const x = data.X.slice(7 * data.D, 8 * data.D);
  const a = js.explain(x, data.y[7]), b = acc.explain(x, data.y[7]);
  const rs = spearman(js.selfInfluence, acc.selfInfluence), ri = pearson(a.influence, b.influence);
  console.log(`tfjs float32 products vs float64 JS: self-influence Spearman ${rs.toFixed(6)}, explain Pearson ${ri.toFixed(6)}`);
  assert.ok(rs > 0.999 && ri > 0.9999, `${rs} ${ri}`);
  acc.dispose();
});

test('chooseSolver: exact for the shipped data sets, EK-FAC at 100k x 257 x 10 and for P > 4000', () => {
  assert.equal(chooseSolver(650, 1797).solver, 'exact');
  assert.equal(chooseSolver(222, 6435).solver, 'exact');
  assert.equal(chooseSolver(2570, 100000).solver, 'ekfac');
  assert.equal(chooseSolver(8194, 3000).solver, 'ekfac');
  // The factorisations: 4 rows, P = 3081 (a tiny file with 1,024 text buckets, 3 classes): with label
  // suspicion's two inverses and second factor 7/6 P^3 = 3.4e10 > 1e10; one factor alone 9.7e9 fits.
  assert.equal(chooseSolver(3081, 4, { labelSuspicion: true }).solver, 'ekfac');
  assert.equal(chooseSolver(3081, 4).solver, 'exact');
  assert.equal(chooseSolver(650, 1797, { labelSuspicion: true }).solver, 'exact');
  assert.equal(chooseSolver(63, 1_162_791, { labelSuspicion: true }).solver, 'exact');
});

test("relabel with EK-FAC's H^-1 alone (no CG refinement): the predicted step points where the exact one does", async (t) => {
  const { predictRelabel } = await import('../../src/influence/relabel');
  const data = await loadNumeric('digits.csv', 'label', 600);
  const l2 = 1e-3;
  const fit = await fitLogistic(data, { l2 });
  const exact = await ExactInfluence.build(data, fit.W, { l2 });
  const ekfac = await IterativeInfluence.build(data, fit.W, { l2, refineIterations: 0 });
  // Relabel ten rows to the class the fitted model gives least weight to after their own.
  const changes = Array.from({ length: 10 }, (_, j) => ({ row: j * 53, to: (data.y[j * 53] + 1) % data.K }));
  const pe = predictRelabel(exact, changes);
  const pa = predictRelabel(ekfac, changes);
  assert.equal(ekfac.lastSolve.method, 'ekfac');
  let dot = 0, ne = 0, na = 0;
  for (let j = 0; j < pe.step.length; j++) {
    dot += pe.step[j] * pa.step[j];
    ne += pe.step[j] ** 2;
    na += pa.step[j] ** 2;
  }
  const cos = dot / Math.sqrt(ne * na);
  const de = pe.predicted.loss - pe.before.loss;
  const da = pa.predicted.loss - pa.before.loss;
  t.diagnostic(`predicted loss change: exact ${de.toFixed(3)}, EK-FAC alone ${da.toFixed(3)}; cosine of the steps ${cos.toFixed(3)}`);
  // Wrong labels on ten rows raise the other rows' loss; both predict that and the steps point the same
  // way. The size is another matter: measured 14.25 exact against 4.00 with EK-FAC alone (weak L2, 65
  // features, 600 rows), which is why the extension marks such a prediction '(EK-FAC estimate)' and
  // scans up to N K D = 2e7 refine the solve by CG (the test above).
  assert.ok(de > 0 && da > 0, `exact ${de}, EK-FAC ${da}`);
  assert.ok(cos > 0.7, `cosine of the two steps ${cos}`);
});
