import { test } from 'node:test';
import assert from 'node:assert/strict';
import { residualTimesXRows } from '../../src/model/logistic';

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
