/**
 * The TensorFlow.js MLP: Hessian-vector products by double backprop against the float64 logistic
 * model and finite differences, training to a small gradient, agreement across the cpu and wasm
 * backends, and LayersModel files written and read with node:fs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { fitLogistic, hessianVectorProduct, predictProba as logisticProba, type LogisticData } from '../../src/model/logistic';
import { initBackend, tf } from '../../src/nn/backend';
import { fileSystemSaver, loadLayersModelFromFile } from '../../src/nn/io';
import { architecture, initTheta, lastLayerFeatures, MlpObjective, mlpFromLayersModel, mlpToLayersModel, predictProba, trainMlp, type Mlp } from '../../src/nn/mlp';
import { loadNumeric, subset } from '../fixtures/nn/data';
import { normRelErr } from '../fixtures/compare';

let data: LogisticData;
before(async () => {
  const all = await loadNumeric('breast_cancer.csv', 'diagnosis');
  data = subset(all, Array.from({ length: 150 }, (_, i) => i));
});

test('backend selection reports what ran: wasm from node_modules, cpu on request', async () => {
  const w = await initBackend({ prefer: ['wasm', 'cpu'] });
  assert.equal(w.name, 'wasm');
  assert.ok(w.wasmDir && w.wasmDir.endsWith(path.join('tfjs-backend-wasm', 'dist')), w.wasmDir);
  const c = await initBackend({ prefer: ['cpu'] });
  assert.equal(c.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const d = await initBackend();
  assert.ok(d.tried[0].name === 'tensorflow');
  if (!d.tried[0].ok) assert.match(d.tried[0].reason ?? '', /tfjs-node/);
  assert.ok(['tensorflow', 'wasm'].includes(d.name), d.name);
});

test('double-backprop HVP of a hidden-less MLP equals the float64 logistic Hessian (breast_cancer, 150 rows)', async () => {
  await initBackend({ prefer: ['wasm'] });
  const l2 = 1e-2;
  const { D, K } = data;
  const fit = await fitLogistic(data, { l2 });
  const layers = architecture(D, [], K);
  const th = new Float32Array(D * K + K); // the MLP's own bias stays 0; the data's bias column plays its role
  for (let k = 0; k < K; k++) for (let a = 0; a < D; a++) th[a * K + k] = fit.W[k * D + a];
  const obj = new MlpObjective(layers, data.X, data.y, data.N, l2);
  const v = Float64Array.from({ length: th.length }, (_, i) => (i < D * K ? Math.sin(i + 1) : 0));
  const hv = await obj.hvp(th, v);
  const vl = new Float64Array(K * D);
  for (let k = 0; k < K; k++) for (let a = 0; a < D; a++) vl[k * D + a] = v[a * K + k];
  const ref = hessianVectorProduct(data, logisticProba(fit.W, data.X, data.N, D, K), l2, vl);
  const mine = new Float64Array(K * D);
  for (let k = 0; k < K; k++) for (let a = 0; a < D; a++) mine[k * D + a] = hv[a * K + k];
  const e = normRelErr(mine, ref);
  console.log(`MLP HVP vs float64 logistic Hessian: relative error ${e.toExponential(2)}`);
  assert.ok(e < 1e-5, `${e}`);
  obj.dispose();
});

test('HVP of a tanh MLP matches central differences of its gradient', async () => {
  await initBackend({ prefer: ['wasm'] });
  const layers = architecture(data.D, [6], data.K, 'tanh');
  const obj = new MlpObjective(layers, data.X, data.y, data.N, 1e-3);
  const th = initTheta(layers, 5);
  const v = Float64Array.from({ length: th.length }, (_, i) => Math.cos(3 * i));
  const hv = await obj.hvp(th, v);
  const eps = 1e-2;
  const a = await obj.valueAndGrad(th.map((x, i) => x + eps * v[i]));
  const b = await obj.valueAndGrad(th.map((x, i) => x - eps * v[i]));
  const fd = a.g.map((x, i) => (x - b.g[i]) / (2 * eps));
  const e = normRelErr(hv, fd);
  console.log(`tanh MLP HVP vs finite differences: relative error ${e.toExponential(2)}`);
  assert.ok(e < 2e-3, `${e}`);
  obj.dispose();
});

let trained: Mlp;
test('training: Adam then full-batch L-BFGS reaches a small gradient, reported', async () => {
  await initBackend({ prefer: ['wasm'] });
  const { mlp, report } = await trainMlp(data.X, data.y, data.N, data.D, data.K, { hidden: [8], l2: 1e-2, epochs: 30, seed: 3 });
  console.log(`MLP: ${JSON.stringify(report)}`);
  assert.equal(report.backend, 'wasm');
  assert.ok(report.gradNorm < report.gradNormAfterAdam / 10, 'the full-batch steps shrink the gradient');
  assert.ok(report.gradNorm < 1e-3 && report.converged, `${report.gradNorm}`);
  assert.ok(report.trainAccuracy > 0.95);
  trained = mlp;
  // Seeded: the same seed gives the same parameters.
  const again = await trainMlp(data.X, data.y, data.N, data.D, data.K, { hidden: [8], l2: 1e-2, epochs: 2, fullBatchSteps: 0, seed: 3 });
  const again2 = await trainMlp(data.X, data.y, data.N, data.D, data.K, { hidden: [8], l2: 1e-2, epochs: 2, fullBatchSteps: 0, seed: 3 });
  assert.deepEqual(again.mlp.theta, again2.mlp.theta);
});

test('cpu and wasm agree within float32 tolerance: probabilities, gradient, HVP', async () => {
  const v = Float64Array.from({ length: trained.theta.length }, (_, i) => Math.sin(0.7 * i));
  const run = async (name: 'cpu' | 'wasm') => {
    await initBackend({ prefer: [name] });
    const obj = new MlpObjective(trained.layers, data.X, data.y, data.N, 1e-2);
    const out = { p: await predictProba(trained, data.X, data.N), g: (await obj.valueAndGrad(trained.theta)).g, hv: await obj.hvp(trained.theta, v) };
    obj.dispose();
    return out;
  };
  const c = await run('cpu');
  const w = await run('wasm');
  const ep = normRelErr(w.p, c.p), eh = normRelErr(w.hv, c.hv);
  // The gradient is ~1e-4 at the optimum, a sum of terms ~1: compare absolutely against that scale.
  const eg = Math.sqrt(w.g.reduce((s, x, i) => s + (x - c.g[i]) ** 2, 0));
  console.log(`cpu vs wasm: probabilities ${ep.toExponential(2)}, HVP ${eh.toExponential(2)} (relative); gradient ${eg.toExponential(2)} (absolute)`);
  assert.ok(ep < 1e-5 && eh < 1e-4 && eg < 1e-5, `${ep} ${eh} ${eg}`);
});

test('LayersModel: save with a fs save handler, load without tfjs-node, identical predictions', async () => {
  await initBackend({ prefer: ['wasm'] });
  const model = mlpToLayersModel(trained);
  const dir = mkdtempSync(path.join(tmpdir(), 'mlp-'));
  await model.save(fileSystemSaver(dir));
  const loaded = await loadLayersModelFromFile(path.join(dir, 'model.json'));
  const x = tf.tensor2d(Float32Array.from(data.X), [data.N, data.D]);
  const a = (model.predict(x) as tf.Tensor).dataSync();
  const b = (loaded.predict(x) as tf.Tensor).dataSync();
  assert.deepEqual(b, a);
  const back = mlpFromLayersModel(loaded);
  assert.ok(typeof back !== 'string');
  assert.deepEqual(back.theta, trained.theta);
  const mine = await predictProba(back, data.X, data.N);
  assert.ok(normRelErr(mine, Float64Array.from(a)) < 1e-6);
});

test('the committed tiny LayersModel fixture loads and predicts as recorded; its last layer is a logistic model', async () => {
  await initBackend({ prefer: ['cpu'] });
  const dir = path.join(__dirname, '../fixtures/nn/tiny-model');
  const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { inputs: number[][]; probabilities: number[][] };
  const model = await loadLayersModelFromFile(dir);
  const p = (model.predict(tf.tensor2d(expected.inputs)) as tf.Tensor).arraySync() as number[][];
  for (let i = 0; i < p.length; i++) for (let k = 0; k < 3; k++) assert.ok(Math.abs(p[i][k] - expected.probabilities[i][k]) < 1e-6);
  const mlp = mlpFromLayersModel(model);
  assert.ok(typeof mlp !== 'string' && mlp.layers.length === 2 && mlp.layers[0].activation === 'relu');
  const X = Float64Array.from(expected.inputs.flat());
  const last = await lastLayerFeatures(model, X, 5);
  assert.equal(last.H, 8);
  const X1 = new Float64Array(5 * 9);
  for (let i = 0; i < 5; i++) {
    X1.set(last.features.subarray(i * 8, i * 8 + 8), i * 9);
    X1[i * 9 + 8] = 1;
  }
  const q = logisticProba(last.W, X1, 5, 9, 3);
  for (let i = 0; i < 5; i++) for (let k = 0; k < 3; k++) assert.ok(Math.abs(q[i * 3 + k] - expected.probabilities[i][k]) < 1e-6);
  await assert.rejects(loadLayersModelFromFile(path.join(dir, 'nope.json')), /no such model file/);
});
