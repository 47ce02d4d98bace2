import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmaxRow, histogram, sortedOrder } from '../../src/engine/ranking';

test('sortedOrder: largest first, by absolute value when asked, ties by index', () => {
  const v = Float64Array.from([1, -5, 3, 3, 0]);
  assert.deepEqual([...sortedOrder(v)], [2, 3, 0, 4, 1]);
  assert.deepEqual([...sortedOrder(v, true)], [1, 2, 3, 0, 4]);
});

test('argmaxRow picks each row\'s largest column', () => {
  assert.deepEqual([...argmaxRow(Float64Array.from([0.1, 0.7, 0.2, 0.5, 0.2, 0.3]), 2, 3)], [1, 0]);
});

test('histogram: counts every positive value once; the axis starts at the 1st percentile, not at a stray tiny value', () => {
  const values = new Float64Array(1000);
  for (let i = 0; i < 1000; i++) values[i] = 10 ** (i / 500); // 1 .. ~100
  values[0] = 1e-54;
  const h = histogram(values, 20);
  assert.equal(h.counts.reduce((a, b) => a + b, 0), 1000);
  assert.equal(h.edges.length, 21);
  assert.ok(h.edges[0] > -1, `axis starts near log10(1), not at -54: ${h.edges[0]}`);
  assert.ok(Math.abs(h.edges[20] - Math.log10(values[999])) < 1e-12);
});

test('sortedOrder above 50,000 rows (radix path) gives the comparison sort\'s order: descending, ties by index, -0 = 0, infinities', () => {
  const n = 120_000;
  let s = 7;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const cases = [
    Float64Array.from({ length: n }, () => rand() - 0.5),
    Float64Array.from({ length: n }, () => Math.round(rand() * 10) - 5), // many ties
    Float64Array.from({ length: n }, () => {
      const r = rand();
      return r < 0.05 ? -0 : r < 0.1 ? 0 : r < 0.15 ? Infinity : r < 0.2 ? -Infinity : Math.exp(rand() * 200 - 100) * (rand() < 0.5 ? -1 : 1);
    }),
  ];
  for (const v of cases) {
    const expected = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => v[b] - v[a] || a - b);
    assert.deepEqual(sortedOrder(v), expected);
    const abs = Float64Array.from(v, Math.abs);
    assert.deepEqual(sortedOrder(v, true), Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => abs[b] - abs[a] || a - b));
    // The keys' bits are read in place: a view that starts inside its buffer sorts the same.
    const padded = new Float64Array(n + 3);
    padded.set(v, 2);
    assert.deepEqual(sortedOrder(padded.subarray(2, n + 2)), expected);
  }
});
