/**
 * Influence against brute-force leave-one-out retraining (Koh & Liang, Figure 2): for held-out test
 * points, the change in test loss predicted for removing each training row vs the change after
 * actually refitting without it. Rows retrained: the most influential rows of every test point plus
 * a seeded random sample of the rest (the same refits serve every test point).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLogistic, type LogisticData } from '../../src/model/logistic';
import { ExactInfluence } from '../../src/influence/exact';
import { firstOrderLooChange, newtonLooChange, retrainLeaveOneOut, testLoss } from '../../src/influence/loo';
import { pearson, rankDescending } from '../../src/eval/metrics';
import { SeededRandom } from '../../src/util/random';
import { prepare, readNumericCsv, subsetRows, type Prepared, type RawTable } from '../fixtures/reference/numericCsv';

const L2 = 1e-3;

interface Setup {
  raw: RawTable;
  prep: Prepared;
  data: LogisticData;
  W: Float64Array;
  inf: ExactInfluence;
}

const setups = new Map<string, Promise<Setup>>();

/** Fit and influence state for the given training rows (shared by the tests that use the same rows). */
function setup(file: string, label: string, trainRows: number[]): Promise<Setup> {
  const key = `${file}:${trainRows.length}:${trainRows[0]}:${trainRows[trainRows.length - 1]}`;
  if (!setups.has(key)) setups.set(key, setupOnce(file, label, trainRows));
  return setups.get(key)!;
}

async function setupOnce(file: string, label: string, trainRows: number[]): Promise<Setup> {
  const raw = readNumericCsv(file, label);
  const prep = prepare(subsetRows(raw, trainRows));
  const fit = await fitLogistic(prep.data, { l2: L2, tol: 1e-12 });
  assert.ok(fit.converged);
  const inf = await ExactInfluence.build(prep.data, fit.W, { l2: L2 });
  return { raw, prep, data: prep.data, W: fit.W, inf };
}

interface TestPoint {
  row: number;
  x: Float64Array;
  target: number;
  firstOrder: Float64Array;
  newton: Float64Array;
}

function testPoints(s: Setup, rows: number[]): TestPoint[] {
  return rows.map((row) => {
    const x = s.prep.standardizer.apply(s.raw.features, row * s.raw.d);
    const target = s.prep.classes.indexOf(s.raw.labels[row]);
    return { row, x, target, firstOrder: firstOrderLooChange(s.inf, x, target), newton: newtonLooChange(s.inf, x, target) };
  });
}

/** Top `top` rows of every test point by |prediction| plus `random` seeded others, ascending. */
function rowsToRetrain(points: TestPoint[], by: 'firstOrder' | 'newton', top: number, random: number, N: number): number[] {
  const chosen = new Set<number>();
  for (const t of points) for (const i of rankDescending(t[by].map(Math.abs)).slice(0, top)) chosen.add(i);
  const rest = Array.from({ length: N }, (_, i) => i).filter((i) => !chosen.has(i));
  for (const k of new SeededRandom(2024).sample(rest.length, random)) chosen.add(rest[k]);
  return [...chosen].sort((a, b) => a - b);
}

/** Pearson R of predicted vs actual change of every test point's loss over the retrained rows. */
async function correlations(s: Setup, points: TestPoint[], rows: number[]): Promise<{ row: number; firstOrder: number; newton: number }[]> {
  const refits = await retrainLeaveOneOut(s.data, s.W, rows, { l2: L2, solver: 'preconditioned', influence: s.inf });
  const { D, K } = s.data;
  return points.map((t) => {
    const base = testLoss(s.W, t.x, t.target, D, K);
    const actual = refits.map((r) => testLoss(r.W, t.x, t.target, D, K) - base);
    return {
      row: t.row,
      firstOrder: pearson(rows.map((i) => t.firstOrder[i]), actual),
      newton: pearson(rows.map((i) => t.newton[i]), actual),
    };
  });
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

test('first-order influence predicts leave-one-out retraining on satellite (644 rows): Pearson R >= 0.95', async (t) => {
  // Every 10th row trains (644 rows, 6 classes, 222 parameters); test points are held-out rows.
  const s = await setup('satellite.csv', 'class', Array.from({ length: 644 }, (_, i) => i * 10));
  const points = testPoints(s, [1, 1001, 2001, 3001, 4001, 5001]);
  const rows = rowsToRetrain(points, 'firstOrder', 10, 60, s.data.N);
  const r = await correlations(s, points, rows);
  const fo = r.map((c) => c.firstOrder);
  t.diagnostic(`${rows.length} refits; R per test point: ${r.map((c) => `${c.row}: first-order ${c.firstOrder.toFixed(4)} newton ${c.newton.toFixed(4)}`).join('; ')}`);
  // Measured: first order 0.94-0.99 per test point (median ~0.986); Newton-step 0.976-0.9995.
  assert.ok(median(fo) >= 0.95, `first-order R per test point: ${fo.map((v) => v.toFixed(4)).join(', ')}`);
  assert.ok(Math.min(...fo) >= 0.9, `first-order R per test point: ${fo.map((v) => v.toFixed(4)).join(', ')}`);
  for (const c of r) assert.ok(c.newton >= 0.95, `Newton-step R on row ${c.row}: ${c.newton}`);
});

test('the Newton-step leave-one-out predicts retraining on 300 digits rows (R > 0.97), where first order is weaker', async (t) => {
  const s = await setup('digits.csv', 'label', Array.from({ length: 300 }, (_, i) => i));
  const points = testPoints(s, [300, 500, 700, 900, 1100, 1300, 1500, 1700]);
  const rows = rowsToRetrain(points, 'newton', 6, 40, s.data.N);
  const r = await correlations(s, points, rows);
  const report = r.map((c) => `${c.row}: newton ${c.newton.toFixed(4)} first-order ${c.firstOrder.toFixed(4)}`).join('; ');
  t.diagnostic(`${rows.length} refits; R per test point: ${report}`);
  // Measured: Newton 0.990-1.000 on every point; first order 0.72-0.99 (median ~0.93).
  for (const c of r) assert.ok(c.newton > 0.97, report);
  assert.ok(r.filter((c) => c.newton > c.firstOrder).length >= r.length - 1, report);
  assert.ok(median(r.map((c) => c.newton)) > median(r.map((c) => c.firstOrder)), report);
});

test('preconditioned refits land on the same optimum as plain L-BFGS refits', async () => {
  const s = await setup('digits.csv', 'label', Array.from({ length: 300 }, (_, i) => i));
  const rows = [0, 157, 298];
  const plain = await retrainLeaveOneOut(s.data, s.W, rows, { l2: L2 });
  const fast = await retrainLeaveOneOut(s.data, s.W, rows, { l2: L2, solver: 'preconditioned', influence: s.inf });
  for (let k = 0; k < rows.length; k++) {
    assert.ok(fast[k].iterations < plain[k].iterations, `row ${rows[k]}: ${fast[k].iterations} vs ${plain[k].iterations} iterations`);
    let dw = 0, shift = 0;
    for (let p = 0; p < s.W.length; p++) {
      dw = Math.max(dw, Math.abs(fast[k].W[p] - plain[k].W[p]));
      shift = Math.max(shift, Math.abs(plain[k].W[p] - s.W[p]));
    }
    // Both converged to ||grad|| < 1e-12 * scale: they agree far below the size of the change.
    assert.ok(dw < 1e-6 * shift, `row ${rows[k]}: |W_fast - W_lbfgs| = ${dw}, |W_-i - W| = ${shift}`);
  }
});
