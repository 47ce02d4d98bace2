// Unsupervised mode (src/unsupervised): k-means++, exact Hessian-vector and Jacobian-vector products
// of the autoencoder, and the explanation of a row's cluster membership checked by retraining
// without the rows it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readTable } from '../../src/data/table';
import { inferSchema } from '../../src/data/schema';
import { encodeLabels, FeatureEncoder } from '../../src/data/features';
import { kmeans } from '../../src/unsupervised/kmeans';
import { Autoencoder } from '../../src/unsupervised/autoencoder';
import { gradientAt, hvpAt, jvpRows, splitLike } from '../../src/unsupervised/paramSpace';
import { CancelledError, Checkpoint } from '../../src/util/cancel';
import { UnsupervisedExplainer, pullingRows, pushingRows, type UnlabeledData } from '../../src/unsupervised/explainer';

/** Features of a fixture without its label column (standardised, bias last, as the engine makes them). */
async function features(file: string, label: string, rows: number): Promise<UnlabeledData> {
  const t = await readTable(join(__dirname, '../fixtures/data', file));
  const s = inferSchema(t, { label });
  const recs = encodeLabels(t, s).records.slice(0, rows);
  const enc = FeatureEncoder.fit(t, s, recs);
  return { X: enc.transform(t, recs), N: recs.length, D: enc.dim };
}

test('k-means++: a fixed point of Lloyd (nearest centre, centres are means), reproducible from the seed', async () => {
  const { X, N, D } = await features('digits.csv', 'label', 400);
  const a = kmeans(X, N, D, 10, { seed: 3 });
  const b = kmeans(X, N, D, 10, { seed: 3 });
  assert.deepEqual(a.assignment, b.assignment);
  const sums = new Float64Array(10 * D), counts = new Int32Array(10);
  let inertia = 0;
  for (let i = 0; i < N; i++) {
    const d2 = (m: number): number => {
      let s = 0;
      for (let j = 0; j < D; j++) s += (X[i * D + j] - a.centres[m * D + j]) ** 2;
      return s;
    };
    const own = d2(a.assignment[i]);
    for (let m = 0; m < 10; m++) assert.ok(own <= d2(m) + 1e-9, `row ${i} is nearer to centre ${m}`);
    inertia += own;
    counts[a.assignment[i]]++;
    for (let j = 0; j < D; j++) sums[a.assignment[i] * D + j] += X[i * D + j];
  }
  for (let m = 0; m < 10; m++) {
    assert.ok(counts[m] > 0);
    for (let j = 0; j < D; j++) assert.ok(Math.abs(sums[m * D + j] / counts[m] - a.centres[m * D + j]) < 1e-9);
  }
  assert.ok(Math.abs(inertia - a.inertia) < 1e-6 * inertia);
  // Ten clusters of 8x8 digit images explain far more than one centre does.
  let total = 0;
  const mean = new Float64Array(D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) mean[j] += X[i * D + j] / N;
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) total += (X[i * D + j] - mean[j]) ** 2;
  assert.ok(a.inertia < 0.6 * total, `inertia ${a.inertia} vs total ${total}`);
});

test('autoencoder: Hessian-vector products match differences of gradients; per-row J v matches per-row gradients', async () => {
  const data = await features('breast_cancer.csv', 'diagnosis', 60);
  const ae = await Autoencoder.train(data.X, data.N, data.D, { hidden: 8, embedding: 2, steps: 30, seed: 1 });
  const params = ae.params.vars;
  const J = ae.objective();
  const theta = ae.params.read();
  const v = theta.map((_, k) => Math.sin(3 * k + 1));
  const hv = hvpAt(J, params, v);
  // Small enough that no relu changes sides between theta +- eps v (float32 gradients limit it below).
  const eps = 1e-4;
  const at = (s: number): Float64Array => {
    const ps = splitLike(theta.map((t, k) => t + s * eps * v[k]), params);
    const g = gradientAt(J, ps);
    tf.dispose(ps);
    return g;
  };
  const gp = at(1), gm = at(-1);
  let num = 0, den = 0;
  for (let k = 0; k < v.length; k++) {
    const fd = (gp[k] - gm[k]) / (2 * eps);
    num += (fd - hv[k]) ** 2;
    den += fd * fd;
  }
  assert.ok(Math.sqrt(num / den) < 1e-2, `relative error ${Math.sqrt(num / den)}`);
  const jv = jvpRows(ae.rowLosses(), params, v, data.N);
  for (const i of [0, 17, 59]) {
    const gi = gradientAt((p) => tf.sum(tf.slice(ae.rowLosses()(p), i, 1)) as tf.Scalar, params);
    const direct = gi.reduce((s, g, k) => s + g * v[k], 0);
    assert.ok(Math.abs(direct - jv[i]) < 1e-4 * Math.max(1, Math.abs(direct)), `row ${i}: ${jv[i]} vs ${direct}`);
  }
  ae.dispose();
  // Cancelled midway, training leaves no tensors behind.
  const before = tf.memory().numTensors;
  const ac = new AbortController();
  const cp = new Checkpoint(ac.signal, (_s, f) => (f ?? 0) > 0.3 && ac.abort(), 0);
  await assert.rejects(Autoencoder.train(data.X, data.N, data.D, { hidden: 8, embedding: 2, steps: 40, checkpoint: cp }), CancelledError);
  assert.equal(tf.memory().numTensors, before);
});

test('cluster membership: leaving out the rows named as pulling (pushing) moves the row away from (towards) its centre', async () => {
  const data = await features('breast_cancer.csv', 'diagnosis', 300);
  const ex = await UnsupervisedExplainer.fit(data, { hidden: 16, embedding: 3, clusters: 3, steps: 500, seed: 0 });
  const ae = ex.autoencoder;
  const e = ex.embeddingDim;
  const distanceUnder = (model: Autoencoder, t: number): number => {
    const c = ex.clustering.centres.subarray(ex.clustering.assignment[t] * e, (ex.clustering.assignment[t] + 1) * e);
    const { f, dispose } = ex.distanceObjective(data.X.subarray(t * data.D, (t + 1) * data.D), c);
    const d = tf.tidy(() => f(model.params.vars).dataSync()[0]);
    dispose();
    return d;
  };
  const retrain = { steps: 200, learningRate: 1e-3 };
  // Warm-started retraining with every row is the reference: the fit is not exactly stationary.
  const control = await ae.continueTraining(retrain);
  const t = 120;
  const x = await ex.explainRow(t);
  assert.ok(Math.abs(x.distance - ex.distances()[t]) < 1e-4 * x.distance);
  assert.ok(x.solve.relativeResidual < 1e-3, `CG residual ${x.solve.relativeResidual}`);
  const moved: Record<string, [number, number]> = {};
  for (const [name, rows] of [['pull', pullingRows(x, 10)], ['push', pushingRows(x, 10)]] as const) {
    const w = new Float64Array(data.N).fill(1 / data.N);
    for (const r of rows) w[r] = 0;
    const without = await ae.continueTraining({ ...retrain, weights: w });
    moved[name] = [rows.reduce((s, r) => s + x.removalChange[r], 0), distanceUnder(without, t) - distanceUnder(control, t)];
    without.dispose();
  }
  // Measured on this row: predicted +0.81 / -0.73, retrained +0.78 / -1.03 (squared distance ~3.9).
  const [pullPred, pullActual] = moved.pull;
  const [pushPred, pushActual] = moved.push;
  assert.ok(pullPred > 0 && pullActual > 0, `pull: predicted ${pullPred}, retrained ${pullActual}`);
  assert.ok(pushPred < 0 && pushActual < 0, `push: predicted ${pushPred}, retrained ${pushActual}`);
  for (const [p, a] of [moved.pull, moved.push]) assert.ok(a / p > 1 / 3 && a / p < 3, `predicted ${p}, retrained ${a}`);
  control.dispose();
  ex.dispose();
});
