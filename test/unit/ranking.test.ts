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
