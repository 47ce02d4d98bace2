/**
 * Label suspicion (src/influence/labelSuspicion.ts) against the numbers of the Python research
 * (bench/research/label_suspicion.py --reference, quoted in docs/label-suspicion.md): all rows as
 * training rows, z-scored with the population std, bias last, l2 = 1e-3, fits to ||grad|| ~ 1e-12.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLogistic, hessian } from '../../src/model/logistic';
import { Cholesky } from '../../src/linalg/cholesky';
import { kronQuadForms } from '../../src/linalg/kron';
import { ExactInfluence } from '../../src/influence/exact';
import { labelSuspicion, type LabelSuspicion } from '../../src/influence/labelSuspicion';
import { approxLooLoss, binaryRowBlocks, newtonLooChange } from '../../src/influence/loo';
import { auroc, rankDescending, recallAtFraction } from '../../src/eval/metrics';
import { Checkpoint, CancelledError } from '../../src/util/cancel';
import { prepare, readNumericCsv, type Prepared } from '../fixtures/reference/numericCsv';

const L2 = 1e-3;

interface Run {
  prep: Prepared;
  inf: ExactInfluence;
  ls: LabelSuspicion;
}

const runs = new Map<string, Promise<Run>>();

function run(file: string, label: string, flip?: number[]): Promise<Run> {
  const key = `${file}:${flip ? 'flipped' : 'clean'}`;
  if (!runs.has(key)) runs.set(key, runOnce(file, label, flip));
  return runs.get(key)!;
}

async function runOnce(file: string, label: string, flip?: number[]): Promise<Run> {
  const raw = readNumericCsv(file, label);
  if (flip) {
    // K = 2: a flip is the other class.
    const classes = [...new Set(raw.labels)].sort();
    assert.equal(classes.length, 2);
    for (const r of flip) raw.labels[r] = raw.labels[r] === classes[0] ? classes[1] : classes[0];
  }
  const prep = prepare(raw);
  const fit = await fitLogistic(prep.data, { l2: L2, tol: 1e-12 });
  assert.ok(fit.converged);
  const inf = await ExactInfluence.build(prep.data, fit.W, { l2: L2 });
  const ls = await labelSuspicion(inf, { tol: 1e-12, keepStageOne: true });
  assert.ok(ls.refit.converged);
  return { prep, inf, ls };
}

/** Relative agreement for values that carry information at their scale; absolute below 1e-8. */
function close(actual: number, expected: number, what: string, rel = 1e-6): void {
  if (Math.abs(expected) < 1e-8) assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} vs ${expected}`);
  else assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} vs ${expected} (rel ${Math.abs(actual - expected) / Math.abs(expected)})`);
}

test('breast_cancer as published: per-row suspicion, log-odds, stage-1 loss and suggestions match the research numbers', async () => {
  const { prep, inf, ls } = await run('breast_cancer.csv', 'diagnosis');
  assert.deepEqual(prep.classes, ['benign', 'malignant']);
  const ref = [
    // row, CE_i, alo, suspicion, reweightedLooLogOdds
    [0, 1.20192744646e-12, 1.20192744646e-12, 4.28546087505e-14, 30.7810413654],
    [1, 1.0194563233e-6, 1.01946588653e-6, 2.64673421681e-7, 15.1447690095],
    [2, 1.71443059602e-9, 1.71443059602e-9, 7.27000681851e-11, 23.3446774175],
    [3, 4.05931607496e-5, 4.06123653015e-5, 1.56755118501e-5, 11.0634029803],
    [4, 1.70839282274e-6, 1.70841511909e-6, 8.93822904602e-8, 16.230343224],
  ];
  for (const [i, ce, alo, susp, odds] of ref) {
    close(inf.loss[i], ce, `row ${i} CE`, 1e-5);
    close(ls.looLoss[i], alo, `row ${i} alo`, 1e-5);
    close(ls.suspicion[i], susp, `row ${i} suspicion`, 1e-5);
    close(ls.logOdds[i], odds, `row ${i} log-odds`);
    assert.equal(prep.classes[ls.suggested[i]], 'benign');
  }
  const order = rankDescending(ls.suspicion);
  assert.deepEqual(order.slice(0, 10), [297, 73, 40, 135, 38, 263, 541, 68, 413, 215]);
  const top5 = [8.77932739932, 3.76182451843, 3.57797045562, 3.01259910018, 2.56820183758];
  top5.forEach((v, r) => close(ls.suspicion[order[r]], v, `top ${r} suspicion`));
  for (const i of order.slice(0, 5)) {
    assert.equal(prep.classes[prep.data.y[i]], 'malignant');
    assert.equal(prep.classes[ls.suggested[i]], 'benign');
    assert.ok(ls.logOdds[i] < 0, `row ${i}: the reweighted leave-one-out model prefers benign`);
  }
  // Stage 1 is the engine's existing approximate leave-one-out loss.
  const alo = approxLooLoss(inf, ls.blocks);
  for (let i = 0; i < alo.length; i++) assert.ok(Math.abs(alo[i] - ls.looLoss[i]) <= 1e-9 * Math.max(1, alo[i]));
  // Weights: v_i = p~_i[y_i], normalised.
  let s = 0;
  for (const w of ls.weights) s += w;
  assert.ok(Math.abs(s - 1) < 1e-12);
  assert.ok(Math.abs(ls.weights[297] / ls.weights[0] - 2.974103461489714e-4 / 0.9999999999987981) < 1e-6 * (2.974e-4));
});

// Rows flipped by shared/reference/noise.py flip_labels(labels, 0.10, 0) (numpy's generator, seed 0).
const FLIPPED_SEED0 = [
  1, 2, 4, 8, 12, 15, 18, 21, 39, 44, 48, 69, 91, 95, 139, 144, 147, 159, 164, 211, 215, 216, 222, 233, 260, 263, 264, 265, 288, 293,
  296, 297, 298, 319, 327, 334, 339, 345, 358, 362, 374, 385, 395, 413, 424, 430, 435, 436, 456, 459, 461, 471, 478, 497, 511, 557,
  564,
];

test('breast_cancer with 57 flipped labels: the research ranking, and label suspicion finds more flips than loss and self-influence', async () => {
  const { inf, ls } = await run('breast_cancer.csv', 'diagnosis', FLIPPED_SEED0);
  const order = rankDescending(ls.suspicion);
  assert.deepEqual(order.slice(0, 10), [296, 21, 461, 95, 327, 339, 260, 564, 265, 2]);
  const ref = [2.59019742739e-4, 2.69399274533, 6.57017112622, 5.54182425807e-4, 4.03153208081];
  ref.forEach((v, i) => close(ls.suspicion[i], v, `row ${i} suspicion`, 1e-5));
  const flipped = new Set(FLIPPED_SEED0);
  const recall = (s: Float64Array) => recallAtFraction(s, flipped, 0.1);
  // Research: recall@10% 0.860 / 0.807 / 0.754, AUROC 0.9853 / 0.9766 / 0.9763.
  assert.equal(Math.round(recall(ls.suspicion) * 57), 49);
  assert.equal(Math.round(recall(inf.loss) * 57), 46);
  assert.equal(Math.round(recall(inf.selfInfluence) * 57), 43);
  assert.ok(Math.abs(auroc(ls.suspicion, flipped) - 0.985265899122807) < 1e-6);
  assert.ok(Math.abs(auroc(ls.looLoss, flipped) - 0.9817708333333334) < 1e-6);
  assert.ok(auroc(ls.suspicion, flipped) > auroc(inf.loss, flipped));
  assert.ok(auroc(inf.loss, flipped) > auroc(inf.selfInfluence, flipped));
});

test('digits (K = 10) as published: suspicion, log-odds and suggested classes of rows 0-4 and the top 5', async () => {
  const { prep, ls } = await run('digits.csv', 'label');
  const ref: [number, number, number, string][] = [
    [0, 9.88279473559e-4, 7.48904172738, '9'],
    [1, 5.16559668865e-4, 8.23736548846, '4'],
    [2, 8.70925694932e-2, 2.57850233014, '1'],
    [3, 2.0570928333e-3, 7.22829858658, '9'],
    [4, 3.95207520185e-3, 5.73049568028, '6'],
  ];
  for (const [i, susp, odds, sugg] of ref) {
    close(ls.suspicion[i], susp, `row ${i} suspicion`, 1e-5);
    close(ls.logOdds[i], odds, `row ${i} log-odds`, 1e-5);
    assert.equal(prep.classes[ls.suggested[i]], sugg, `row ${i} suggested`);
  }
  const order = rankDescending(ls.suspicion);
  assert.deepEqual(order.slice(0, 5), [1572, 1553, 1658, 1149, 480]);
  [5.16263788187, 4.93205780885, 3.96829665894, 3.71382163588, 3.49367033553].forEach((v, r) =>
    close(ls.suspicion[order[r]], v, `top ${r} suspicion`, 1e-5),
  );
});

test('label suspicion in chunks of rows (no N x K x K array) gives the same numbers as with its stage-1 blocks kept, and so does the Newton-step leave-one-out', async () => {
  for (const [file, label] of [['digits.csv', 'label'], ['breast_cancer.csv', 'diagnosis']]) {
    const { prep, inf, ls } = await run(file, label);
    const lean = await labelSuspicion(inf, { tol: 1e-12 });
    assert.equal(lean.blocks, undefined);
    assert.equal(lean.looProbabilities, undefined);
    for (const k of ['suspicion', 'suggested', 'logOdds', 'reweightedProbabilities', 'looLoss', 'weights'] as const) assert.deepEqual(lean[k], ls[k], `${file} ${k}`);
    // newtonResiduals without blocks (chunked) equals the residuals from the kept blocks.
    const fresh = await ExactInfluence.build(prep.data, inf.W, { l2: L2 });
    const x = prep.data.X.subarray(0, prep.data.D);
    assert.deepEqual(newtonLooChange(fresh, x, 0), newtonLooChange(inf, x, 0, ls.blocks), file);
  }
});

test('label suspicion reports progress within 0..1 and stops when cancelled', async () => {
  const { inf } = await run('breast_cancer.csv', 'diagnosis');
  const fractions: number[] = [];
  const ok = new Checkpoint(undefined, (_s, f) => f !== undefined && fractions.push(f), 0);
  await labelSuspicion(inf, { checkpoint: ok });
  assert.ok(fractions.length > 5, `${fractions.length} ticks`);
  assert.ok(fractions.every((f) => f >= 0 && f <= 1));
  for (let k = 1; k < fractions.length; k++) assert.ok(fractions[k] >= fractions[k - 1] - 1e-12, 'progress never goes back');
  const ac = new AbortController();
  let ticks = 0;
  const cp = new Checkpoint(ac.signal, () => ++ticks === 3 && ac.abort(), 0);
  await assert.rejects(labelSuspicion(inf, { checkpoint: cp }), CancelledError);
});

test('two classes: the closed-form blocks equal the general ones from the P x P inverse', async () => {
  const { inf, ls } = await run('breast_cancer.csv', 'diagnosis');
  const general = inf.rowBlocks();
  const closed = await binaryRowBlocks(inf.data, inf.probabilities, 1 / inf.N, inf.l2);
  let worst = 0;
  for (let i = 0; i < general.length; i++) worst = Math.max(worst, Math.abs(closed[i] - general[i]) / Math.max(1, Math.abs(general[i])));
  assert.ok(worst < 1e-9, `max relative difference ${worst}`);
  assert.deepEqual(ls.blocks, closed);
  // With row weights and damping (the stage-2 shape): against the dense Hessian built here.
  const w = Float64Array.from(ls.weights);
  const H = hessian(inf.data, inf.probabilities, inf.l2 + 0.01, w);
  const dense = kronQuadForms(Cholesky.factor(H, inf.P).inverse(), 2, inf.D, inf.data.X, inf.N);
  const cw = await binaryRowBlocks(inf.data, inf.probabilities, w, inf.l2 + 0.01);
  worst = 0;
  for (let i = 0; i < dense.length; i++) worst = Math.max(worst, Math.abs(cw[i] - dense[i]) / Math.max(1, Math.abs(dense[i])));
  assert.ok(worst < 1e-9, `weighted, damped: max relative difference ${worst}`);
});
