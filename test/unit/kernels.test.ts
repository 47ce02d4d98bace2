import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { KernelSpace, wasmKernelsAvailable } from '../../src/linalg/kernels';

const root = path.resolve(__dirname, '../..');

test('the embedded kernel bytes are src/linalg/kernels.wat assembled (scripts/build-kernels.mjs)', async () => {
  const { assembleKernels } = await import(path.join(root, 'scripts/build-kernels.mjs'));
  const fresh: string = await assembleKernels();
  assert.equal(readFileSync(path.join(root, 'src/linalg/kernelsWasm.ts'), 'utf8'), fresh, 'run node scripts/build-kernels.mjs');
});

test('gemmNT: WebAssembly and JavaScript kernels agree with a plain triple loop, odd sizes and strides included', () => {
  assert.ok(wasmKernelsAvailable(), 'Node 20 has WebAssembly SIMD');
  for (const [m, n, kk, alpha, beta] of [
    [7, 5, 9, 1, 0],
    [8, 12, 32, 1, 1],
    [33, 18, 65, -1, 1],
    [2, 2, 2, 0.5, 2],
  ]) {
    const lda = kk + 3, ldb = kk + 1, ldc = n + 2;
    const results = [false, true].map((forceJs) => {
      const ks = KernelSpace.create(m * lda + n * ldb + m * ldc + 8, forceJs);
      assert.equal(ks.usesWasm, !forceJs);
      const a = ks.alloc(m * lda), b = ks.alloc(n * ldb), c = ks.alloc(m * ldc);
      const f = ks.f64;
      for (let i = 0; i < m * lda; i++) f[a + i] = Math.sin(i * 0.37);
      for (let i = 0; i < n * ldb; i++) f[b + i] = Math.cos(i * 0.11);
      for (let i = 0; i < m * ldc; i++) f[c + i] = i % 5;
      ks.gemmNT(a, lda, b, ldb, c, ldc, m, n, kk, alpha, beta);
      const want = new Float64Array(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < kk; k++) s += Math.sin((i * lda + k) * 0.37) * Math.cos((j * ldb + k) * 0.11);
          want[i * n + j] = beta * ((i * ldc + j) % 5) + alpha * s;
        }
      }
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(f[c + i * ldc + j] - want[i * n + j]) < 1e-12 * (1 + Math.abs(want[i * n + j])), `(${m},${n},${kk}) C[${i},${j}]`);
      // Entries beside C (the padding of each row) are untouched.
      for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) assert.equal(f[c + i * ldc + j], (i * ldc + j) % 5);
      return Array.from({ length: m * n }, (_, q) => f[c + Math.floor(q / n) * ldc + (q % n)]);
    });
    assert.equal(results[0].length, results[1].length);
  }
});

test('transpose: WebAssembly and JavaScript agree with the definition, strides and ragged bands included', () => {
  for (const [m, n] of [
    [1, 1],
    [7, 13],
    [20, 9],
    [33, 33],
  ]) {
    const lds = n + 2, ldd = m + 3;
    for (const forceJs of [false, true]) {
      const ks = KernelSpace.create(m * lds + n * ldd + 8, forceJs);
      const src = ks.alloc(m * lds), dst = ks.alloc(n * ldd);
      const f = ks.f64;
      for (let i = 0; i < m * lds; i++) f[src + i] = Math.sin(i + 1);
      f.fill(-7, dst, dst + n * ldd);
      ks.transpose(src, lds, dst, ldd, m, n);
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < ldd; i++) assert.equal(f[dst + j * ldd + i], i < m ? f[src + i * lds + j] : -7, `(${m},${n}) ${forceJs ? 'js' : 'wasm'} dst[${j},${i}]`);
      }
    }
  }
});
