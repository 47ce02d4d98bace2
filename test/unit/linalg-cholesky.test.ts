import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cholesky, backSolveRows, choleskyInPlace, choleskyRows, forwardSolveRows } from '../../src/linalg/cholesky';
import { matMul, rowGram, transpose } from '../../src/linalg/dense';
import { ExactKronQuadForms, KronQuadForms, kronQuadForms, kronQuadFormsOfGradients } from '../../src/linalg/kron';
import { KernelSpace, setWasmKernelsEnabled, wasmKernelsAvailable } from '../../src/linalg/kernels';
import { NotPositiveDefiniteError } from '../../src/util/errors';
import { prepare, readNumericCsv, subsetRows } from '../fixtures/reference/numericCsv';

/** Covariance-like SPD matrix from real features: X^T X / n + ridge I (D x D). */
function gram(file: string, label: string, rows: number, ridge: number): { A: Float64Array; n: number } {
  const raw = readNumericCsv(file, label);
  const { data } = prepare(subsetRows(raw, Array.from({ length: rows }, (_, i) => i)));
  const { X, N, D } = data;
  const A = matMul(transpose(X, N, D), X, D, N, D);
  for (let k = 0; k < D * D; k++) A[k] /= N;
  for (let a = 0; a < D; a++) A[a * D + a] += ridge;
  return { A, n: D };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

const breast = gram('breast_cancer.csv', 'diagnosis', 569, 1e-3); // 31 x 31, odd order
const digits = gram('digits.csv', 'label', 400, 1e-3); // ~60 x 60, ill-conditioned pixels

for (const [name, { A, n }] of [['breast cancer', breast], ['digits', digits]] as const) {
  test(`Cholesky of a real ${name} Gram matrix reproduces it and solves with it (n = ${n})`, () => {
    const ch = Cholesky.factor(A, n);
    const L = ch.L;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.equal(L[i * n + j], 0, 'upper triangle zeroed');
    const LLt = rowGram(L, n, n);
    let err = 0;
    for (let k = 0; k < n * n; k++) err = Math.max(err, Math.abs(LLt[k] - A[k]));
    assert.ok(err < 1e-12 * maxAbs(A), `||L L^T - A|| = ${err}`);

    // Solve against a right-hand side built from a known x.
    const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i + 1));
    const b = matMul(A, x, n, n, 1);
    const xs = ch.solve(b);
    const r = matMul(A, xs, n, n, 1);
    let res = 0;
    for (let i = 0; i < n; i++) res = Math.max(res, Math.abs(r[i] - b[i]));
    assert.ok(res < 1e-12 * maxAbs(b), `residual ${res}`);

    // A^-1 A = I.
    const inv = ch.inverse();
    const I = matMul(inv, A, n, n, n);
    let dev = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) dev = Math.max(dev, Math.abs(I[i * n + j] - (i === j ? 1 : 0)));
    assert.ok(dev < 1e-8, `||A^-1 A - I|| = ${dev}`);
  });
}

for (const [name, { A, n }] of [['breast cancer', breast], ['digits', digits]] as const) test(`multi-right-hand-side solves agree with one-at-a-time solves (blocks of four and the remainder; ${name}, n = ${n})`, () => {
  const ch = Cholesky.factor(A, n);
  const m = 7; // one block of four plus three single rows
  const B = Float64Array.from({ length: m * n }, (_, k) => Math.sin(0.37 * k) + 0.1 * (k % 5));
  const F = Float64Array.from(B);
  forwardSolveRows(ch.L, n, F, m);
  const S = Float64Array.from(B);
  ch.solveRows(S, m);
  const BS = Float64Array.from(F);
  backSolveRows(ch.L, n, BS, m);
  for (let r = 0; r < m; r++) {
    const b = B.subarray(r * n, (r + 1) * n);
    const one = ch.solve(b);
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(S[r * n + i] - one[i]) <= 1e-10 * (1 + Math.abs(one[i])), `row ${r} entry ${i}`);
      assert.ok(Math.abs(BS[r * n + i] - one[i]) <= 1e-10 * (1 + Math.abs(one[i])));
    }
    // Forward substitution alone: L y = b.
    const Ly = matMul(ch.L, F.subarray(r * n, (r + 1) * n), n, n, 1);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(Ly[i] - b[i]) < 1e-10 * (1 + Math.abs(b[i])));
  }
  // Back substitution alone, with the explicit transpose: L^T x = b.
  const X = Float64Array.from(B);
  ch.backRows(X, m);
  const Lt = transpose(ch.L, n, n);
  for (let r = 0; r < m; r++) {
    const LtX = matMul(Lt, X.subarray(r * n, (r + 1) * n), n, n, 1);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(LtX[i] - B[r * n + i]) < 1e-10 * (1 + Math.abs(B[r * n + i])), `row ${r} entry ${i}`);
  }
});

test('a factorisation cut into row chunks equals the one-shot factorisation', () => {
  const { A, n } = breast;
  const one = Float64Array.from(A);
  choleskyInPlace(one, n);
  for (const step of [4, 5]) {
    const chunked = Float64Array.from(A);
    for (let r = 0; r < n; r += step) choleskyRows(chunked, n, r, Math.min(n, r + step));
    // Even chunk boundaries keep the row pairing, so the result is identical; odd ones regroup
    // the sums, which changes only the rounding.
    for (let k = 0; k < n * n; k++) {
      if (step % 2 === 0) assert.equal(chunked[k], one[k]);
      else assert.ok(Math.abs(chunked[k] - one[k]) <= 1e-13 * (1 + Math.abs(one[k])), `entry ${k}`);
    }
  }
});

test('a matrix that is not positive definite is refused with a message that suggests damping', () => {
  const { A, n } = breast;
  // Remove the ridge and make the matrix singular: duplicate feature 0 into feature 1.
  const S = Float64Array.from(A);
  for (let a = 0; a < n; a++) S[a * n + a] -= 1e-3;
  for (let a = 0; a < n; a++) {
    S[1 * n + a] = S[0 * n + a];
    S[a * n + 1] = S[a * n + 0];
  }
  S[1 * n + 1] = S[0];
  assert.throws(
    () => Cholesky.factor(S, n, { what: 'Hessian' }),
    (e: unknown) => e instanceof NotPositiveDefiniteError && /Hessian is not positive definite/.test(e.message) && /damping/.test(e.message),
  );
  // Damping on the diagonal makes it factorable, and the factor is that of S + damping I.
  const ch = Cholesky.factor(S, n, { damping: 1e-6 });
  const LLt = rowGram(ch.L, n, n);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(LLt[i * n + i] - (S[i * n + i] + 1e-6)) < 1e-12);
  // Negative definite: refused at the first pivot.
  const neg = Float64Array.from(A, (v) => -v);
  assert.throws(() => Cholesky.factor(neg, n), NotPositiveDefiniteError);
});

test('Kronecker quadratic forms equal (I kron x)^T S (I kron x) computed directly', () => {
  const K = 3;
  const raw = readNumericCsv('breast_cancer.csv', 'diagnosis');
  const { data } = prepare(subsetRows(raw, Array.from({ length: 9 }, (_, i) => i * 50)));
  const { X, N, D } = data;
  const P = K * D;
  // A symmetric P x P matrix from real numbers: the Gram matrix of shifted feature rows.
  const G = new Float64Array(P * P);
  for (let p = 0; p < P; p++) for (let q = 0; q < P; q++) G[p * P + q] = Math.cos(p * 0.3 + q * 0.7) + Math.cos(q * 0.3 + p * 0.7);
  const M = kronQuadForms(G, K, D, X, N);
  // The packed form on the kernel, in calls of 4 and 5 rows (S packed once), WebAssembly and JavaScript.
  for (const js of [false, true]) {
    const was = setWasmKernelsEnabled(!js);
    const forms = new KronQuadForms(G, K, D);
    setWasmKernelsEnabled(was);
    const packed = new Float64Array(N * K * K);
    forms.fill(X, 4, packed.subarray(0, 4 * K * K));
    forms.fill(X.subarray(4 * D), N - 4, packed.subarray(4 * K * K));
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < K; k++) {
        for (let l = 0; l < K; l++) {
          let s = 0, size = 0;
          for (let a = 0; a < D; a++) {
            for (let b = 0; b < D; b++) {
              const t = X[i * D + a] * G[(k * D + a) * P + l * D + b] * X[i * D + b];
              s += t;
              size += Math.abs(t);
            }
          }
          assert.ok(Math.abs(M[i * K * K + k * K + l] - s) < 1e-9 * (1 + Math.abs(s)), `row ${i} block ${k},${l}`);
          assert.ok(Math.abs(packed[i * K * K + k * K + l] - s) <= 1e-13 * size, `packed${js ? ' (JavaScript)' : ''}: row ${i} block ${k},${l}`);
        }
      }
    }
  }
});

test('ExactKronQuadForms equals kronQuadForms to the bit (WebAssembly and JavaScript), for odd and even D and rows, in calls of any length', () => {
  // Real feature rows (breast cancer: D = 31, odd; digits: 64 pixels + bias, and the first 20 columns
  // for an even D) against a symmetric S and a non-symmetric one, K = 2..4.
  const cases: { X: Float64Array; N: number; D: number }[] = [];
  for (const [file, label] of [['breast_cancer.csv', 'diagnosis'], ['digits.csv', 'label']] as const) {
    const raw = readNumericCsv(file, label);
    const { data } = prepare(subsetRows(raw, Array.from({ length: 203 }, (_, i) => i * 2)));
    cases.push({ X: data.X, N: data.N, D: data.D });
    const D2 = 20;
    const X2 = new Float64Array(data.N * D2);
    for (let i = 0; i < data.N; i++) X2.set(data.X.subarray(i * data.D, i * data.D + D2), i * D2);
    cases.push({ X: X2, N: data.N, D: D2 });
  }
  let compared = 0;
  for (const { X, N, D } of cases) {
    for (const K of [2, 3, 4]) {
      const P = K * D;
      for (const symmetric of [true, false]) {
        const S = new Float64Array(P * P);
        for (let p = 0; p < P; p++) for (let q = 0; q < P; q++) S[p * P + q] = symmetric ? Math.cos(p * 0.3 + q * 0.7) + Math.cos(q * 0.3 + p * 0.7) : Math.sin(p * 1.3 - q * 0.2) / (1 + p);
        // Calls as label suspicion makes them: chunks from the start, the last one odd.
        const calls = [64, 2, 70, 1, N - 137];
        const ref = new Float64Array(N * K * K);
        let i0 = 0;
        for (const m of calls) {
          kronQuadForms(S, K, D, X.subarray(i0 * D, (i0 + m) * D), m, ref.subarray(i0 * K * K, (i0 + m) * K * K));
          i0 += m;
        }
        for (const js of [false, true]) {
          const was = setWasmKernelsEnabled(!js);
          const forms = new ExactKronQuadForms(S, K, D);
          setWasmKernelsEnabled(was);
          const got = new Float64Array(N * K * K).fill(NaN);
          i0 = 0;
          for (const m of calls) {
            forms.fill(X.subarray(i0 * D, (i0 + m) * D), m, got.subarray(i0 * K * K, (i0 + m) * K * K));
            i0 += m;
          }
          for (let t = 0; t < ref.length; t++) {
            assert.ok(Object.is(got[t], ref[t]), `${js ? 'JavaScript' : 'WebAssembly'} D=${D} K=${K} symmetric=${symmetric}: entry ${t}: ${got[t]} vs ${ref[t]}`);
          }
          compared += ref.length;
        }
      }
    }
  }
  assert.ok(compared > 90_000);
  assert.ok(wasmKernelsAvailable(), 'the WebAssembly kernel ran');
});

test('the gemmNT kernel (WebAssembly and JavaScript) equals plain sums, on every edge shape', () => {
  const raw = readNumericCsv('breast_cancer.csv', 'diagnosis');
  const vals = raw.features; // real magnitudes, from 0.001 to 4000
  const backends = wasmKernelsAvailable() ? [false, true] : [true];
  for (const forceJs of backends) {
    for (const [m, n, kk] of [[1, 1, 1], [2, 2, 2], [3, 5, 7], [4, 6, 8], [7, 3, 30], [64, 32, 31], [10, 30, 569]]) {
      const ks = KernelSpace.create(2 * (m + n) * kk + 2 * m * n + 64, forceJs);
      assert.equal(ks.usesWasm, !forceJs);
      const lda = kk + 1, ldb = kk + 3, ldc = n + 2; // leading dimensions wider than the operands
      const a = ks.alloc(m * lda), b = ks.alloc(n * ldb), c = ks.alloc(m * ldc);
      const f = ks.f64;
      for (let q = 0; q < m * lda; q++) f[a + q] = vals[(q * 7) % vals.length] / 100;
      for (let q = 0; q < n * ldb; q++) f[b + q] = vals[(q * 13 + 5) % vals.length] / 100;
      for (let q = 0; q < m * ldc; q++) f[c + q] = vals[(q * 3 + 1) % vals.length];
      for (const [alpha, beta] of [[1, 0], [-0.5, 1], [2, -3]]) {
        const c0 = Float64Array.from(ks.view(c, m * ldc));
        ks.gemmNT(a, lda, b, ldb, c, ldc, m, n, kk, alpha, beta);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < ldc; j++) {
            const got = f[c + i * ldc + j];
            if (j >= n) {
              assert.equal(got, c0[i * ldc + j], 'entries beyond n untouched');
              continue;
            }
            let s = 0, mag = 0;
            for (let k = 0; k < kk; k++) {
              s += f[a + i * lda + k] * f[b + j * ldb + k];
              mag += Math.abs(f[a + i * lda + k] * f[b + j * ldb + k]);
            }
            const want = (beta === 0 ? 0 : beta * c0[i * ldc + j]) + alpha * s;
            assert.ok(Math.abs(got - want) <= 1e-13 * (Math.abs(alpha) * mag + Math.abs(beta * c0[i * ldc + j])) + 1e-300, `${forceJs ? 'js' : 'wasm'} ${m}x${n}x${kk} (${i},${j}): ${got} vs ${want}`);
          }
        }
      }
    }
  }
});

test('the blocked factorisation and solves agree with the row-oriented JavaScript ones, with and without WebAssembly', () => {
  const { A, n } = digits;
  const ref = Float64Array.from(A);
  choleskyInPlace(ref, n);
  const B = Float64Array.from({ length: 70 * n }, (_, k) => Math.sin(0.11 * k));
  const refSol = Float64Array.from(B);
  forwardSolveRows(ref, n, refSol, 70);
  backSolveRows(ref, n, refSol, 70);
  const was = setWasmKernelsEnabled(true);
  try {
    for (const on of [true, false]) {
      setWasmKernelsEnabled(on);
      const ch = Cholesky.factor(A, n);
      for (let k = 0; k < n * n; k++) assert.ok(Math.abs(ch.L[k] - ref[k]) <= 1e-12 * (1 + Math.abs(ref[k])), `L[${k}] (wasm ${on})`);
      const X = Float64Array.from(B);
      ch.solveRows(X, 70); // one full chunk of 64 and a remainder of 6
      for (let k = 0; k < X.length; k++) assert.ok(Math.abs(X[k] - refSol[k]) <= 1e-10 * (1 + Math.abs(refSol[k])), `solution ${k} (wasm ${on})`);
      // From an existing factor too (the solver space is built on first use).
      const again = Cholesky.fromFactor(ref, n);
      const Y = Float64Array.from(B);
      again.solveRows(Y, 70);
      for (let k = 0; k < Y.length; k++) assert.ok(Math.abs(Y[k] - refSol[k]) <= 1e-10 * (1 + Math.abs(refSol[k])));
    }
  } finally {
    setWasmKernelsEnabled(was);
  }
});

test('inverseUpperBlocks holds A^-1 on and above the diagonal, with and without WebAssembly, and solves stay exact after it', () => {
  // 101 x 101 (not a multiple of the 32-block, more than one 64-row chunk): real features' Gram
  // matrix in Kronecker form (3 copies of a 31 x 31 block with cross terms) plus a 4 x 4 tail.
  const n = 101;
  const A = new Float64Array(n * n);
  const { A: B, n: d } = breast;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const bi = Math.floor(i / d), bj = Math.floor(j / d);
      const inside = bi < 3 && bj < 3;
      A[i * n + j] = inside ? B[(i % d) * d + (j % d)] * (bi === bj ? 2 : -0.5) : i === j ? 1.5 : 0;
    }
  }
  const want = Cholesky.factor(A, n).inverse();
  const was = setWasmKernelsEnabled(true);
  try {
    for (const on of [true, false]) {
      setWasmKernelsEnabled(on);
      for (const ch of [Cholesky.factor(A, n), Cholesky.fromFactor(Cholesky.factor(A, n).L, n)]) {
        const inv = ch.inverseUpperBlocks();
        const scale = maxAbs(want);
        for (let i = 0; i < n; i++) for (let j = i; j < n; j++) assert.ok(Math.abs(inv[i * n + j] - want[i * n + j]) <= 1e-10 * scale, `inverse[${i},${j}] (wasm ${on})`);
        const b = Float64Array.from({ length: n }, (_, k) => Math.cos(k));
        const x = ch.solve(b);
        let r = 0;
        for (let i = 0; i < n; i++) {
          let s = -b[i];
          for (let j = 0; j < n; j++) s += A[i * n + j] * x[j];
          r = Math.max(r, Math.abs(s));
        }
        assert.ok(r < 1e-10, `residual ${r} after inverseUpperBlocks (wasm ${on})`);
      }
    }
  } finally {
    setWasmKernelsEnabled(was);
  }
});

test('kronQuadFormsOfGradients equals g_i^T S g_i written out, reading only the upper triangle', () => {
  const raw = readNumericCsv('breast_cancer.csv', 'diagnosis');
  const { data } = prepare(subsetRows(raw, Array.from({ length: 150 }, (_, i) => i * 3)));
  const { X, N, D } = data; // D = 31 (odd), N = 150 (two chunks and a remainder)
  const K = 4, P = K * D;
  const S = new Float64Array(P * P);
  for (let p = 0; p < P; p++) for (let q = p; q < P; q++) S[p * P + q] = S[q * P + p] = Math.cos(p * 0.3 + q * 0.7) + Math.cos(q * 0.3 + p * 0.7) + (p === q ? 3 : 0);
  const upper = Float64Array.from(S);
  for (let p = 0; p < P; p++) for (let q = 0; q < p; q++) upper[p * P + q] = NaN; // never read
  const R = Float64Array.from({ length: N * K }, (_, k) => Math.sin(1.7 * k));
  const was = setWasmKernelsEnabled(true);
  try {
    for (const on of [true, false]) {
      setWasmKernelsEnabled(on);
      const got = kronQuadFormsOfGradients(upper, K, D, X, R, N);
      for (let i = 0; i < N; i++) {
        const g = new Float64Array(P);
        for (let k = 0; k < K; k++) for (let a = 0; a < D; a++) g[k * D + a] = R[i * K + k] * X[i * D + a];
        let s = 0;
        for (let p = 0; p < P; p++) for (let q = 0; q < P; q++) s += g[p] * S[p * P + q] * g[q];
        assert.ok(Math.abs(got[i] - s) <= 1e-10 * (1 + Math.abs(s)), `row ${i}: ${got[i]} vs ${s} (wasm ${on})`);
      }
      // The rows of R made a chunk at a time by a row source (written into its buffer) give the same numbers.
      const chunks: number[][] = [];
      const bySource = kronQuadFormsOfGradients(upper, K, D, X, (i0, m, out) => (chunks.push([i0, m]), out.set(R.subarray(i0 * K, (i0 + m) * K)), out), N);
      assert.deepEqual(bySource, got);
      assert.ok(chunks.length > 1 && chunks.reduce((s, [, m]) => s + m, 0) === N, `chunks ${JSON.stringify(chunks)}`);
    }
  } finally {
    setWasmKernelsEnabled(was);
  }
});

test('the kernel factorisation on an odd order over many blocks, in several kernel calls, equals the row-oriented one; a bad pivot far down is named', async () => {
  // kron(C, digits Gram) for a 6 x 6 SPD C (Toeplitz, diagonally dominant), cut to its leading 301 x 301 block (still SPD): odd
  // order (odd edges in every update), ten block columns, more than one cholBlocked call.
  const { A: G, n: d } = digits;
  const C = [4, 1, 0.5, 0.2, 0.1, 0.05];
  const big = C.length * d, n = 301;
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    const bi = Math.floor(i / d), bj = Math.floor(j / d);
    A[i * n + j] = C[Math.abs(bi - bj)] * G[(i % d) * d + (j % d)];
  }
  assert.ok(big >= n);
  const ref = Float64Array.from(A);
  choleskyInPlace(ref, n);
  const was = setWasmKernelsEnabled(true);
  try {
    for (const on of [true, false]) {
      setWasmKernelsEnabled(on);
      const ticks: number[] = [];
      const ch = await Cholesky.factorAsync(A, n, {}, async (f) => void ticks.push(f));
      assert.ok(ticks.length >= 1 && ticks.every((f) => f > 0 && f <= 1), `ticks ${ticks}`);
      for (let k = 0; k < n * n; k++) assert.ok(Math.abs(ch.L[k] - ref[k]) <= 1e-12 * (1 + Math.abs(ref[k])), `L[${k}] (wasm ${on})`);
      const S = Float64Array.from(A);
      S[200 * n + 200] = -1;
      await assert.rejects(Cholesky.factorAsync(S, n, { what: 'Hessian' }), (e: unknown) => e instanceof NotPositiveDefiniteError && /pivot 200 /.test(e.message));
    }
  } finally {
    setWasmKernelsEnabled(was);
  }
});
