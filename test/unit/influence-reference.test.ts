import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitLogistic, hessian, type LogisticData } from '../../src/model/logistic';
import { ExactInfluence } from '../../src/influence/exact';
import { approxLooLoss, newtonParameterShift } from '../../src/influence/loo';
import { Cholesky } from '../../src/linalg/cholesky';
import { CancelledError, Checkpoint } from '../../src/util/cancel';
import { NotPositiveDefiniteError } from '../../src/util/errors';
import { REFERENCE_DIR, prepare, readNumericCsv, subsetRows, type Prepared, type RawTable } from '../fixtures/reference/numericCsv';
import { maxRelErr } from '../fixtures/compare';

interface ReferenceExplain {
  row: number;
  target: number;
  testLoss: number;
  probabilities: number[];
  influence: number[];
  thetaRelatif: number[];
  lRelatif: number[];
}
interface Reference {
  lam: number;
  trainRows: [number, number];
  W: number[];
  selfInfluence: number[];
  loss: number[];
  approxLooLoss: number[];
  explain: ReferenceExplain[];
}

interface Loaded {
  ref: Reference;
  prep: Prepared;
  raw: RawTable;
  inf: ExactInfluence;
}

const loaded = new Map<string, Promise<Loaded>>();

/** Fits to the rounding floor (as the reference was) and builds the influence state (once per set). */
function load(name: string, file: string, label: string): Promise<Loaded> {
  if (!loaded.has(name)) loaded.set(name, loadOnce(name, file, label));
  return loaded.get(name)!;
}

async function loadOnce(name: string, file: string, label: string): Promise<Loaded> {
  const ref = JSON.parse(readFileSync(join(REFERENCE_DIR, `${name}.json`), 'utf8')) as Reference;
  const raw = readNumericCsv(file, label);
  const rows = Array.from({ length: ref.trainRows[1] - ref.trainRows[0] }, (_, i) => ref.trainRows[0] + i);
  const prep = prepare(subsetRows(raw, rows));
  const fit = await fitLogistic(prep.data, { l2: ref.lam, tol: 1e-13 });
  assert.ok(fit.converged);
  const inf = await ExactInfluence.build(prep.data, fit.W, { l2: ref.lam });
  return { ref, prep, raw, inf };
}

const cases = [
  ['breast_cancer', 'breast_cancer.csv', 'diagnosis'],
  ['digits300', 'digits.csv', 'label'],
] as const;

for (const [name, file, label] of cases) {
  test(`${name}: self-influence, losses, influence and both RelatIF normalisations match the numpy reference`, async () => {
    const { ref, prep, raw, inf } = await load(name, file, label);
    assert.ok(maxRelErr(inf.selfInfluence, ref.selfInfluence) < 1e-6, `self-influence ${maxRelErr(inf.selfInfluence, ref.selfInfluence)}`);
    assert.ok(maxRelErr(inf.loss, ref.loss) < 1e-6, `loss ${maxRelErr(inf.loss, ref.loss)}`);
    for (let i = 0; i < inf.N; i++) assert.ok(inf.selfInfluence[i] > 0);
    for (const e of ref.explain) {
      const x = prep.standardizer.apply(raw.features, e.row * raw.d);
      const ex = inf.explain(x, e.target);
      assert.ok(Math.abs(ex.testLoss - e.testLoss) < 1e-6 * Math.max(1, e.testLoss), `test loss of row ${e.row}`);
      assert.ok(maxRelErr(ex.probabilities, e.probabilities) < 1e-6);
      assert.ok(maxRelErr(ex.influence, e.influence) < 1e-6, `influence on row ${e.row}: ${maxRelErr(ex.influence, e.influence)}`);
      assert.ok(maxRelErr(ex.relatifTheta, e.thetaRelatif) < 1e-6, `theta-RelatIF on row ${e.row}`);
      assert.ok(maxRelErr(ex.relatifL, e.lRelatif) < 1e-6, `l-RelatIF on row ${e.row}`);
    }
    assert.ok(maxRelErr(approxLooLoss(inf), ref.approxLooLoss) < 1e-6, 'approximate leave-one-out loss');
  });

  test(`${name}: both self-influence routes (triangular solves, H^-1 with packed Kronecker quadratic forms) match the reference and each other`, async () => {
    const { ref, inf } = await load(name, file, label);
    const routes = await Promise.all((['solve', 'kron'] as const).map((route) => ExactInfluence.build(inf.data, inf.W, { l2: ref.lam, route, relatif: true })));
    for (const r of routes) {
      assert.ok(maxRelErr(r.selfInfluence, ref.selfInfluence) < 1e-6, `self-influence ${maxRelErr(r.selfInfluence, ref.selfInfluence)}`);
      assert.ok(maxRelErr(r.thetaNorms(), inf.thetaNorms()) < 1e-10, 'RelatIF norms');
    }
    assert.ok(maxRelErr(routes[1].selfInfluence, routes[0].selfInfluence) < 1e-10, `routes differ by ${maxRelErr(routes[1].selfInfluence, routes[0].selfInfluence)}`);
    // After the kron route's inverse (which borrows the factor's L^T space), solves are still exact.
    const g = new Float64Array(inf.P).map((_, p) => Math.sin(p + 1));
    assert.ok(maxRelErr(routes[1].solve(g), inf.solve(g)) < 1e-10);
  });
}

test('influence of a training row on itself is minus its self-influence, and the structured paths agree with dense algebra', async () => {
  const { prep, inf } = await load('breast_cancer', 'breast_cancer.csv', 'diagnosis');
  const { X, D, K, y } = prep.data;
  const P = K * D;
  for (const i of [0, 17, 300]) {
    const ex = inf.explain(X.subarray(i * D, (i + 1) * D), y[i]);
    assert.ok(Math.abs(ex.influence[i] + inf.selfInfluence[i]) < 1e-10 * inf.selfInfluence[i]);
    assert.ok(Math.abs(ex.relatifL[i] + Math.sqrt(inf.selfInfluence[i])) < 1e-10 * Math.sqrt(inf.selfInfluence[i]));
  }
  // Dense check of s_i and ||H^-1 g_i|| with an independently built Hessian and factor.
  const H = hessian(prep.data, inf.probabilities, 1e-3);
  const ch = Cholesky.factor(H, P);
  const theta = inf.thetaNorms();
  for (const i of [3, 250, 568]) {
    const g = new Float64Array(P);
    for (let k = 0; k < K; k++) for (let a = 0; a < D; a++) g[k * D + a] = inf.residual(i, k) * X[i * D + a];
    const u = ch.solve(g);
    let s = 0, n2 = 0;
    for (let p = 0; p < P; p++) {
      s += g[p] * u[p];
      n2 += u[p] * u[p];
    }
    assert.ok(Math.abs(s - inf.selfInfluence[i]) < 1e-10 * s);
    assert.ok(Math.abs(Math.sqrt(n2) - theta[i]) < 1e-10 * theta[i]);
  }
  // Residual rows (made on demand, no N x K array): p_i - onehot(y_i), for any row range.
  const rows = inf.residualRows(248, 5);
  for (let r = 0; r < 5; r++) for (let k = 0; k < K; k++) assert.equal(rows[r * K + k], inf.probabilities[(248 + r) * K + k] - (k === y[248 + r] ? 1 : 0));
  // M_i blocks: s_i = r_i^T M_i r_i.
  const M = inf.rowBlocks();
  for (const i of [5, 400]) {
    let s = 0;
    for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) s += inf.residual(i, k) * M[i * K * K + k * K + l] * inf.residual(i, l);
    assert.ok(Math.abs(s - inf.selfInfluence[i]) < 1e-9 * inf.selfInfluence[i]);
  }
});

test('the Woodbury Newton step for removing a row equals a Newton step with the explicitly rebuilt Hessian', async () => {
  const { prep, inf } = await load('breast_cancer', 'breast_cancer.csv', 'diagnosis');
  const data: LogisticData = prep.data;
  const { N, D, K } = data;
  const P = K * D;
  for (const row of [13, 297]) {
    // J_-i: weights 1/N except row i (0). Newton step from W: -H_-i^-1 grad J_-i(W) = H_-i^-1 g_i / N.
    const w = new Float64Array(N).fill(1 / N);
    w[row] = 0;
    const Hm = hessian(data, inf.probabilities, 1e-3, w);
    const g = new Float64Array(P);
    for (let k = 0; k < K; k++) for (let a = 0; a < D; a++) g[k * D + a] = (inf.residual(row, k) * data.X[row * D + a]) / N;
    const expected = Cholesky.factor(Hm, P).solve(g);
    const got = newtonParameterShift(inf, row);
    assert.ok(maxRelErr(got, expected) < 1e-9, `row ${row}: ${maxRelErr(got, expected)}`);
  }
});

test('build ticks its checkpoint with progress and can be cancelled', async () => {
  const raw = readNumericCsv('digits.csv', 'label');
  const prep = prepare(subsetRows(raw, Array.from({ length: 300 }, (_, i) => i)));
  const fit = await fitLogistic(prep.data, { l2: 1e-3 });
  const seen: number[] = [];
  const cp = new Checkpoint(undefined, (_s, f) => f !== undefined && seen.push(f), 0);
  cp.begin('influence');
  await ExactInfluence.build(prep.data, fit.W, { l2: 1e-3, checkpoint: cp });
  assert.ok(seen.length > 5, `${seen.length} progress reports`);
  for (let k = 1; k < seen.length; k++) assert.ok(seen[k] >= seen[k - 1]);
  assert.ok(seen[seen.length - 1] > 0.5 && seen[seen.length - 1] <= 1);

  const ac = new AbortController();
  const cancelling = new Checkpoint(ac.signal, () => ac.abort(), 0);
  await assert.rejects(ExactInfluence.build(prep.data, fit.W, { l2: 1e-3, checkpoint: cancelling }), CancelledError);
});

test('damping is used only when asked, and a singular Hessian asks for it', async () => {
  const raw = readNumericCsv('breast_cancer.csv', 'diagnosis');
  const prep = prepare(subsetRows(raw, Array.from({ length: 200 }, (_, i) => i)));
  // l2 = 0 at W = 0: the Hessian (1/N) sum (A kron x x^T) has the softmax's flat direction.
  const W0 = new Float64Array(prep.data.K * prep.data.D);
  await assert.rejects(ExactInfluence.build(prep.data, W0, { l2: 0 }), (e: unknown) => e instanceof NotPositiveDefiniteError && /damping/.test(e.message));
  const damped = await ExactInfluence.build(prep.data, W0, { l2: 0, damping: 1e-3 });
  const regularised = await ExactInfluence.build(prep.data, W0, { l2: 1e-3 });
  assert.ok(maxRelErr(damped.selfInfluence, regularised.selfInfluence) < 1e-12);
});

test('RelatIF norms computed during build equal the ones computed lazily', async () => {
  const raw = readNumericCsv('digits.csv', 'label');
  const prep = prepare(subsetRows(raw, Array.from({ length: 300 }, (_, i) => i)));
  const fit = await fitLogistic(prep.data, { l2: 1e-3 });
  const lazy = await ExactInfluence.build(prep.data, fit.W, { l2: 1e-3 });
  const eager = await ExactInfluence.build(prep.data, fit.W, { l2: 1e-3, relatif: true });
  assert.deepEqual(eager.selfInfluence, lazy.selfInfluence);
  assert.ok(maxRelErr(eager.thetaNorms(), lazy.thetaNorms()) < 1e-13);
  await lazy.prepareRelatif();
  const x = prep.data.X.subarray(0, prep.data.D);
  assert.ok(maxRelErr(eager.explain(x, 3).relatifTheta, lazy.explain(x, 3).relatifTheta) < 1e-12);
});
