import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, Checkpoint } from '../../src/util/cancel';

test('a checkpoint throws CancelledError once its signal is aborted', async () => {
  const ac = new AbortController();
  const cp = new Checkpoint(ac.signal, undefined, 0);
  await cp.tick(0.1);
  ac.abort();
  await assert.rejects(cp.tick(0.2), CancelledError);
});

test('a checkpoint reports progress of the current stage when it yields', async () => {
  const seen: [string, number | undefined][] = [];
  const cp = new Checkpoint(undefined, (s, f) => seen.push([s, f]), 0);
  cp.begin('fit');
  await cp.tick(0.5);
  assert.deepEqual(seen, [['fit', 0], ['fit', 0.5]]);
});
