import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  crossEntropy,
  hessian,
  hessianVectorProduct,
  logSoftmaxInto,
  objective,
  predictProba,
  softmaxInto,
  type LogisticData,
} from '../../src/model/logistic';
import { Cholesky } from '../../src/linalg/cholesky';
import { setWasmKernelsEnabled } from '../../src/linalg/kernels';
import { SeededRandom } from '../../src/util/random';
import { prepare, readNumericCsv, subsetRows } from '../fixtures/reference/numericCsv';
import { maxRelErr } from '../fixtures/compare';

function load(file: string, label: string, rows: number[]): LogisticData {
  return prepare(subsetRows(readNumericCsv(file, label), rows)).data;
}

const range = (a: number, b: number, step = 1): number[] => Array.from({ length: Math.ceil((b - a) / step) }, (_, i) => a + i * step);

// Real data: 150 breast-cancer rows (K = 2, D = 31) and 120 digits rows spread over the file (K = 10).
const sets: [string, LogisticData][] = [
  ['breast cancer', load('breast_cancer.csv', 'diagnosis', range(0, 569, 4).slice(0, 150))],
  ['digits', load('digits.csv', 'label', range(0, 1797, 15))],
];

/** A point away from the optimum with varied probabilities: seeded, entries ~ N(0, 0.3^2)-ish. */
function somePoint(P: number, seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  return Float64Array.from({ length: P }, () => 0.6 * (rng.nextFloat() + rng.nextFloat() + rng.nextFloat() - 1.5));
}

for (const [name, data] of sets) {
  const P = data.K * data.D;
  const l2 = 1e-3;
  const W = somePoint(P, 7);

  test(`${name}: the gradient matches central finite differences of the objective`, () => {
    const rng = new SeededRandom(3);
    const weights = Float64Array.from({ length: data.N }, () => (0.5 + rng.nextFloat()) / data.N);
    for (const w of [undefined, weights]) {
      const g = new Float64Array(P);
      objective(data, W, l2, w, g);
      const fd = new Float64Array(P);
      const Wp = Float64Array.from(W);
      const h = 1e-5;
      for (let p = 0; p < P; p++) {
        Wp[p] = W[p] + h;
        const fp = objective(data, Wp, l2, w);
        Wp[p] = W[p] - h;
        const fm = objective(data, Wp, l2, w);
        Wp[p] = W[p];
        fd[p] = (fp - fm) / (2 * h);
      }
      const e = maxRelErr(g, fd);
      assert.ok(e < 1e-6, `gradient vs finite differences: relative error ${e}`);
    }
  });

  test(`${name}: the Hessian matches finite differences of the gradient, is symmetric and positive definite`, () => {
    const probs = predictProba(W, data.X, data.N, data.D, data.K);
    const H = hessian(data, probs, l2);
    const gp = new Float64Array(P), gm = new Float64Array(P);
    const Wp = Float64Array.from(W);
    const h = 1e-5;
    let worst = 0, scale = 0;
    for (let p = 0; p < P; p++) {
      Wp[p] = W[p] + h;
      objective(data, Wp, l2, undefined, gp);
      Wp[p] = W[p] - h;
      objective(data, Wp, l2, undefined, gm);
      Wp[p] = W[p];
      for (let q = 0; q < P; q++) {
        const fd = (gp[q] - gm[q]) / (2 * h);
        worst = Math.max(worst, Math.abs(H[q * P + p] - fd));
        scale = Math.max(scale, Math.abs(fd));
      }
    }
    assert.ok(worst / scale < 1e-6, `Hessian vs finite differences: relative error ${worst / scale}`);
    for (let p = 0; p < P; p++) for (let q = 0; q < p; q++) assert.equal(H[p * P + q], H[q * P + p]);
    assert.doesNotThrow(() => Cholesky.factor(H, P));
  });

  test(`${name}: Hessian-vector products equal H v and finite differences of the gradient along v`, () => {
    const probs = predictProba(W, data.X, data.N, data.D, data.K);
    const rng = new SeededRandom(11);
    const weights = Float64Array.from({ length: data.N }, () => (0.5 + rng.nextFloat()) / data.N);
    const v = somePoint(P, 5);
    for (const w of [undefined, weights]) {
      const H = hessian(data, probs, l2, w);
      const Hv = new Float64Array(P);
      for (let p = 0; p < P; p++) for (let q = 0; q < P; q++) Hv[p] += H[p * P + q] * v[q];
      const hvp = hessianVectorProduct(data, probs, l2, v, w);
      assert.ok(maxRelErr(hvp, Hv) < 1e-12, `HVP vs H v: ${maxRelErr(hvp, Hv)}`);
      const h = 1e-6;
      const Wp = Float64Array.from(W, (x, p) => x + h * v[p]);
      const Wm = Float64Array.from(W, (x, p) => x - h * v[p]);
      const gp = new Float64Array(P), gm = new Float64Array(P);
      objective(data, Wp, l2, w, gp);
      objective(data, Wm, l2, w, gm);
      const fd = Float64Array.from(gp, (x, p) => (x - gm[p]) / (2 * h));
      assert.ok(maxRelErr(hvp, fd) < 1e-6, `HVP vs finite differences: ${maxRelErr(hvp, fd)}`);
    }
  });

  test(`${name}: the objective is the weighted mean cross-entropy plus the L2 term`, () => {
    const ce = crossEntropy(W, data);
    let mean = 0, ww = 0;
    for (let i = 0; i < data.N; i++) mean += ce[i] / data.N;
    for (let p = 0; p < P; p++) ww += W[p] * W[p];
    const f = objective(data, W, l2);
    assert.ok(Math.abs(f - (mean + 0.5 * l2 * ww)) < 1e-12 * f);
    // CE_i = -log p_i[y_i] from the probabilities.
    const probs = predictProba(W, data.X, data.N, data.D, data.K);
    for (let i = 0; i < data.N; i += 7) assert.ok(Math.abs(ce[i] + Math.log(probs[i * data.K + data.y[i]])) < 1e-10 * (1 + ce[i]));
  });
}

test('softmax and log-softmax stay finite and exact for extreme logits', () => {
  const z = Float64Array.from([1000, -1000, 999, 0]);
  const p = new Float64Array(4), lp = new Float64Array(4);
  const lse = softmaxInto(z, 0, 4, p, 0);
  logSoftmaxInto(z, 0, 4, lp, 0);
  assert.ok(Math.abs(lse - (1000 + Math.log(1 + Math.exp(-1)))) < 1e-12 * 1000);
  assert.ok(Math.abs(p[0] - 1 / (1 + Math.exp(-1))) < 1e-15);
  assert.equal(p[1], 0);
  assert.ok(Math.abs(lp[2] - (-1 - Math.log(1 + Math.exp(-1)))) < 1e-12);
  assert.ok(Number.isFinite(lp[1]) && lp[1] < -1999);
  let s = 0;
  for (const v of p) s += v;
  assert.ok(Math.abs(s - 1) < 1e-15);
});

test('objective, gradient, Hessian-vector product and Hessian agree between the WebAssembly and JavaScript paths', () => {
  const data = sets[1][1];
  const P = data.K * data.D;
  const W = somePoint(P, 21);
  const v = somePoint(P, 22);
  const probs = predictProba(W, data.X, data.N, data.D, data.K);
  const run = () => {
    const g = new Float64Array(P);
    const f = objective(data, W, 1e-3, undefined, g);
    return { f, g, hv: hessianVectorProduct(data, probs, 1e-3, v), H: Float64Array.from(hessian(data, probs, 1e-3)) };
  };
  const was = setWasmKernelsEnabled(false);
  let js;
  try {
    js = run();
  } finally {
    setWasmKernelsEnabled(was);
  }
  const auto = run();
  assert.ok(Math.abs(auto.f - js.f) < 1e-14 * js.f);
  assert.ok(maxRelErr(auto.g, js.g) < 1e-12);
  assert.ok(maxRelErr(auto.hv, js.hv) < 1e-12);
  assert.ok(maxRelErr(auto.H, js.H) < 1e-12);
});
