/**
 * KernelSpace.reuse: a released space comes back with its allocations freed and the asked-for
 * entries zeroed, so that a fit in a reused space (padding columns and rows included) gives the same
 * W, bit for bit, as in a new one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { KernelSpace } from '../../src/linalg/kernels';
import { fitLogistic } from '../../src/model/logistic';
import { loadLabelled } from '../../bench/detection';

const root = join(__dirname, '..', '..');

test('a released space is reused zeroed and from offset 0; a smaller one does not replace a larger kept one', () => {
  const a = KernelSpace.create(100_000);
  if (!a.usesWasm) return; // the pool holds WebAssembly spaces only
  a.alloc(50);
  a.f64.fill(7);
  a.release();
  const b = KernelSpace.reuse(1000);
  assert.equal(b, a, 'the released space');
  assert.equal(b.alloc(10), 0, 'allocations start again at 0');
  assert.ok(b.f64.subarray(0, 1002).every((v) => v === 0), 'the asked-for entries are zero');
  assert.notEqual(KernelSpace.reuse(1000), a, 'taken: the next caller gets a new space');
  KernelSpace.create(10).release();
  b.release();
  assert.equal(KernelSpace.reuse(50_000), a, 'the larger space is kept');
});

test('fits in a space reused after another data set (other D, N and padding) give the same W, bit for bit', async () => {
  const bc = await loadLabelled(join(root, 'test/fixtures/data/breast_cancer.csv'), 'diagnosis');
  const digits = await loadLabelled(join(root, 'test/fixtures/data/digits.csv'), 'label');
  const first = await fitLogistic(bc, { l2: 1e-3 });
  await fitLogistic(digits, { l2: 1e-3 }); // releases digits' larger space, full of its numbers
  const again = await fitLogistic(bc, { l2: 1e-3 });
  assert.deepEqual(Array.from(again.W), Array.from(first.W));
  assert.equal(again.iterations, first.iterations);
});
