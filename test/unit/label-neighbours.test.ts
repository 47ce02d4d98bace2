/**
 * The label neighbours' batched search (src/engine/neighbours.ts nearestRows: fast dot-product
 * distances from the WebAssembly kernel, an error bound, the candidates recomputed by the direct sum)
 * returns exactly the lists of the direct one-pass search (nearestDirect, the search of every row
 * before): the same rows in the same order, on real data and on constructed data with exact ties,
 * duplicate rows and distances that the dot-product form cancels badly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { standardise } from '../../src/detect/crossFit';
import { LabelNeighbours, nearestDirect, nearestRows, NEIGHBOURS } from '../../src/engine/neighbours';
import { setWasmKernelsEnabled, wasmKernelsAvailable } from '../../src/linalg/kernels';
import type { LogisticData } from '../../src/model/logistic';
import { seededRandom } from '../../src/util/random';

const shared = join(__dirname, '..', '..', '..', 'shared', 'data');

/** The numeric columns of a CSV whose last column is the label, and the labels as class indices. */
function readNumericCsv(file: string): LogisticData {
  const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/).slice(1);
  const D = lines[0].split(',').length - 1;
  const X = new Float64Array(lines.length * D);
  const names = new Map<string, number>();
  const y = new Int32Array(lines.length);
  lines.forEach((l, i) => {
    const cells = l.split(',');
    for (let a = 0; a < D; a++) X[i * D + a] = Number(cells[a]);
    const c = cells[D];
    if (!names.has(c)) names.set(c, names.size);
    y[i] = names.get(c)!;
  });
  return { X, N: lines.length, D, K: names.size, y } as unknown as LogisticData;
}

function assertSameLists(Z: Float64Array, d: number, N: number, rows: number[], k: number, what: string): void {
  const fast = nearestRows(Z, d, N, rows, k);
  assert.equal(fast.length, rows.length);
  rows.forEach((i, q) => assert.deepEqual(Array.from(fast[q]), Array.from(nearestDirect(Z, d, N, i, k)), `${what}: row ${i}`));
}

test('the WebAssembly kernel is in use (else nearestRows is nearestDirect and the checks below prove nothing)', () => {
  assert.ok(wasmKernelsAvailable());
});

for (const [file, sample] of [
  ['digits.csv', 0],
  ['breast_cancer.csv', 0],
  ['wine.csv', 0],
  ['glass.csv', 0],
  ['pima.csv', 0],
  ['vowel.csv', 0],
  ['satellite.csv', 400],
] as const) {
  test(`nearestRows equals the direct search on ${file} (${sample ? `${sample} sampled rows` : 'every row'}, searched together)`, () => {
    const data = readNumericCsv(join(shared, file));
    const { Z, d } = standardise(data);
    const rows = sample ? Array.from(new Set(Array.from({ length: sample }, ((r) => () => Math.floor(r() * data.N))(seededRandom(3))))) : Array.from({ length: data.N }, (_, i) => i);
    assertSameLists(Z, d, data.N, rows, NEIGHBOURS, file);
  });
}

test('nearestRows equals the direct search with exact ties, duplicate rows, a huge offset and an outlier', () => {
  const rand = seededRandom(5);
  const N = 3000;
  // Coordinates on a grid of thirds (not exact in binary, so the dot-product form rounds tied
  // distances apart; with err = 0 most of these lists come out wrong): many exactly tied direct
  // distances, and duplicate rows (ties keep the earlier row); also offset by 1000.1.
  for (const off of [0, 1000.1]) {
    for (const [d, levels] of [[3, 3], [5, 4], [20, 3]] as const) {
      const Z = Float64Array.from({ length: N * d }, () => off + Math.floor(rand() * levels) / 3);
      assertSameLists(Z, d, N, Array.from({ length: 100 }, (_, q) => q * 30), NEIGHBOURS, `grid d=${d} offset ${off}`);
    }
  }
  // A block of 40 identical rows: every one's 10 nearest are the 10 earliest others, at distance 0.
  const d = 5;
  const Z = Float64Array.from({ length: N * d }, () => rand() * 2 - 1);
  for (let i = 100; i < 140; i++) for (let a = 0; a < d; a++) Z[i * d + a] = Z[100 * d + a];
  assertSameLists(Z, d, N, [...Array.from({ length: 40 }, (_, q) => 100 + q), 0, 1, 2, 2999], NEIGHBOURS, 'duplicates');
  // An offset of 1e6 in every coordinate: |a|^2 + |b|^2 - 2 a.b loses ~12 of its 16 digits, the bound
  // keeps every close row as a candidate and the direct sum decides.
  const far = Float64Array.from(Z, (v) => 1e6 + v);
  assertSameLists(far, d, N, Array.from({ length: 60 }, (_, q) => q * 50), NEIGHBOURS, 'offset 1e6');
  // One row far away (its norm dominates its block's bound) and k near N.
  const out = Z.slice();
  for (let a = 0; a < d; a++) out[7 * d + a] = 1e4;
  assertSameLists(out, d, N, Array.from({ length: 30 }, (_, q) => q), NEIGHBOURS, 'outlier');
  assertSameLists(Z.subarray(0, 12 * d), d, 12, Array.from({ length: 12 }, (_, q) => q), 11, 'k = N - 1');
});

test('LabelNeighbours.ofRows gives each row the counts of() gives, with and without WebAssembly', () => {
  const data = readNumericCsv(join(shared, 'digits.csv'));
  const rows = Array.from({ length: 200 }, (_, q) => (q * 37) % data.N);
  const together = LabelNeighbours.create(data, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])!.ofRows(rows);
  assert.equal(together.length, 200);
  const was = setWasmKernelsEnabled(false);
  try {
    const one = LabelNeighbours.create(data, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])!;
    rows.forEach((i, q) => assert.deepEqual(one.of(i), together[q], `row ${i}`));
  } finally {
    setWasmKernelsEnabled(was);
  }
});
