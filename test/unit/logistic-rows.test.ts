import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogisticObjective, predictProba, residualTimesXRows } from '../../src/model/logistic';
import { setWasmKernelsEnabled } from '../../src/linalg/kernels';
import { prepare, readNumericCsv } from '../fixtures/reference/numericCsv';

test('residualTimesXRows: R^T X from row-major X in blocks equals the plain sum (partial last block)', () => {
  const N = 1000, D = 7, K = 3; // 1000 = 3 blocks of 256 and a partial one
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const X = Float64Array.from({ length: N * D }, rnd);
  const Rt = Float64Array.from({ length: K * N }, rnd);
  const G = new Float64Array(K * D).fill(99); // overwritten, not accumulated
  residualTimesXRows(Rt, X, N, D, K, G);
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < D; a++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += Rt[k * N + i] * X[i * D + a];
      assert.ok(Math.abs(G[k * D + a] - s) <= 1e-12 * Math.max(1, Math.abs(s)), `G[${k},${a}] = ${G[k * D + a]} vs ${s}`);
    }
  }
});

test('LogisticObjective: value, gradient and H v in blocks of rows on the kernel equal the whole-copy and JavaScript paths (satellite, 6 and 3 classes, weighted)', () => {
  const raw = readNumericCsv('satellite.csv', 'class');
  for (const merge of [false, true]) {
    // 3 classes: satellite's six merged into grey soils, red soil and plants (odd K and odd D = 37
    // exercise the kernel's padding).
    const t = merge ? { ...raw, labels: raw.labels.map((l) => (l.includes('grey') ? 'grey' : l === 'red soil' ? 'red' : 'plant')) } : raw;
    const { data } = prepare(t);
    const { N, D, K } = data;
    assert.equal(K, merge ? 3 : 6);
    const P = K * D;
    assert.ok(N > 5 * 1024 && N % 1024 !== 0, 'several blocks and a partial one');
    const weights = Float64Array.from({ length: N }, (_, i) => (1 + (i % 7)) / (4 * N));
    const W = Float64Array.from({ length: P }, (_, p) => Math.sin(p * 0.37) * 0.3);
    const v = Float64Array.from({ length: P }, (_, p) => Math.cos(p * 0.11));
    const probs = predictProba(W, data.X, N, D, K);
    const run = (wholeMaxND: number | undefined, wasm: boolean) => {
      const was = setWasmKernelsEnabled(wasm);
      const obj = new LogisticObjective(data, 1e-3, weights, wholeMaxND);
      setWasmKernelsEnabled(was);
      const grad = new Float64Array(P);
      const f = obj.value(W, grad);
      return { f, grad, hv: obj.hessianVector(probs, v), f0: obj.value(W) };
    };
    const blocked = run(0, true);
    for (const [what, ref] of [['whole copy', run(undefined, true)], ['JavaScript', run(undefined, false)]] as const) {
      const near = (a: number, b: number, scale: number, msg: string) => assert.ok(Math.abs(a - b) <= 1e-12 * scale, `${what}, K = ${K}: ${msg}: ${a} vs ${b}`);
      near(blocked.f, ref.f, Math.abs(ref.f), 'J');
      near(blocked.f0, ref.f, Math.abs(ref.f), 'J without gradient');
      const gs = Math.max(...ref.grad.map(Math.abs)), hs = Math.max(...ref.hv.map(Math.abs));
      for (let p = 0; p < P; p++) {
        near(blocked.grad[p], ref.grad[p], gs, `grad[${p}]`);
        near(blocked.hv[p], ref.hv[p], hs, `Hv[${p}]`);
      }
    }
  }
});
