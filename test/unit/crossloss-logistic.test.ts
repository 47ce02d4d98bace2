// Cross-loss influence on logistic regression (src/influence/crossLoss.ts), on real data: the matched
// objective reproduces ordinary influence, and for other objectives (a class probability, a logit
// margin) the predicted change agrees with actually refitting without the row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readTable } from '../../src/data/table';
import { inferSchema } from '../../src/data/schema';
import { encodeLabels, FeatureEncoder } from '../../src/data/features';
import { fitLogistic, type LogisticData } from '../../src/model/logistic';
import { ExactInfluence } from '../../src/influence/exact';
import { retrainLeaveOneOut } from '../../src/influence/loo';
import { crossLossExplain, evaluateObjective, objectiveAt, type TestObjective } from '../../src/influence/crossLoss';
import { pearson } from '../../src/eval/metrics';

const L2 = 1e-3;
const HELD_OUT = 60;

/** breast_cancer.csv: the first N - 60 rows train, the last 60 are test points. */
async function setup(): Promise<{ data: LogisticData; Xtest: Float64Array; ytest: Int32Array; inf: ExactInfluence; W: Float64Array }> {
  const t = await readTable(join(__dirname, '../fixtures/data/breast_cancer.csv'));
  const s = inferSchema(t, { label: 'diagnosis' });
  const l = encodeLabels(t, s);
  const n = l.records.length - HELD_OUT;
  const train = l.records.slice(0, n);
  const enc = FeatureEncoder.fit(t, s, train);
  const data: LogisticData = { X: enc.transform(t, train), N: n, D: enc.dim, K: l.classes.length, y: l.y.slice(0, n) };
  const fit = await fitLogistic(data, { l2: L2, requireConvergence: true });
  const inf = await ExactInfluence.build(data, fit.W, { l2: L2 });
  return { data, Xtest: enc.transform(t, l.records.slice(n)), ytest: l.y.slice(n), inf, W: fit.W };
}

const ready = setup();

/** The held-out row whose predicted probability is closest to 1/2 (where objectives differ most). */
function leastCertain(inf: ExactInfluence, Xtest: Float64Array): number {
  const D = inf.D;
  let best = 0, gap = Infinity;
  for (let r = 0; r < Xtest.length / D; r++) {
    const p = inf.testGradient(Xtest.subarray(r * D, (r + 1) * D), 0).probabilities[0];
    if (Math.abs(p - 0.5) < gap) [best, gap] = [r, Math.abs(p - 0.5)];
  }
  return best;
}

test('matched objective (CE at the true label) equals ordinary influence and RelatIF to 1e-10', async () => {
  const { inf, Xtest, ytest } = await ready;
  const D = inf.D;
  for (const r of [0, 17, 41]) {
    const x = Xtest.subarray(r * D, (r + 1) * D);
    const a = crossLossExplain(inf, x, { kind: 'loss', target: ytest[r] });
    const b = inf.explain(x, ytest[r]);
    assert.ok(Math.abs(a.testLoss - b.testLoss) <= 1e-12);
    for (const k of ['influence', 'relatifTheta', 'relatifL'] as const) {
      const scale = Math.max(1, ...b[k].map(Math.abs));
      for (let i = 0; i < inf.N; i++) assert.ok(Math.abs(a[k][i] - b[k][i]) <= 1e-10 * scale, `${k}[${i}]: ${a[k][i]} vs ${b[k][i]}`);
    }
    for (let i = 0; i < inf.N; i++) assert.ok(Math.abs(a.removalChange[i] + b.influence[i] / inf.N) <= 1e-12);
  }
});

test('objective gradients df/dz agree with central differences of f on the logits', () => {
  const z = Float64Array.from([0.3, -1.2, 2.0, 0.1]);
  const objs: TestObjective[] = [{ kind: 'loss', target: 2 }, { kind: 'probability', cls: 1 }, { kind: 'margin', a: 3, b: 0 }];
  for (const o of objs) {
    const { dz } = evaluateObjective(z, 4, o);
    for (let k = 0; k < 4; k++) {
      const h = 1e-6;
      const zp = Float64Array.from(z), zm = Float64Array.from(z);
      zp[k] += h;
      zm[k] -= h;
      const fd = (evaluateObjective(zp, 4, o).value - evaluateObjective(zm, 4, o).value) / (2 * h);
      assert.ok(Math.abs(fd - dz[k]) < 1e-8, `${o.kind} dz[${k}] = ${dz[k]}, finite difference ${fd}`);
    }
  }
});

test('changed objectives (class probability, logit margin): predicted change vs refitting without the row', async () => {
  const { data, inf, W, Xtest } = await ready;
  const D = inf.D;
  const r = leastCertain(inf, Xtest);
  const x = Xtest.subarray(r * D, (r + 1) * D);
  const objs: TestObjective[] = [{ kind: 'probability', cls: 1 }, { kind: 'margin', a: 1, b: 0 }];
  for (const o of objs) {
    const e = crossLossExplain(inf, x, o);
    // The 16 rows with the largest predicted effect and 8 from the middle of the ranking.
    const order = [...e.removalChange.keys()].sort((a, b) => Math.abs(e.removalChange[b]) - Math.abs(e.removalChange[a]));
    const rows = [...order.slice(0, 16), ...order.slice(200, 208)];
    const refits = await retrainLeaveOneOut(data, W, rows, { l2: L2 });
    const f0 = objectiveAt(W, x, D, inf.K, o);
    const actual = refits.map((rf) => objectiveAt(rf.W, x, D, inf.K, o) - f0);
    const predicted = rows.map((i) => e.removalChange[i]);
    const R = pearson(predicted, actual);
    // Measured 0.93 (probability) and 0.94 (margin) on this split; signs agree on every top row.
    assert.ok(R > 0.85, `${o.kind}: Pearson R = ${R.toFixed(3)}`);
    for (let k = 0; k < 16; k++) assert.equal(Math.sign(predicted[k]), Math.sign(actual[k]), `${o.kind} row ${rows[k]}`);
  }
});
