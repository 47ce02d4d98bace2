import { test } from 'node:test';
import assert from 'node:assert/strict';
import { perClassGap, perClassGapFloor } from '../../bench/label-errors-report';
import type { TaskResult } from '../../bench/label-errors';

const task = (perClass: Record<number, [number, number]>): TaskResult => ({ set: 's', noise: 'u10', seed: 0, model: 'm', r5: 0, r10: 0, r20: 0, auc: 0, perClass, flips: 0 });

test('worst per-class gap: largest |recall within a true class - overall recall| over classes with at least 5 flipped rows', () => {
  // Overall 15 of 22 found; class 2 (2 flipped rows) is left out of the maximum but counts overall.
  const gap = perClassGap(task({ 0: [5, 10], 1: [9, 10], 2: [1, 2] }));
  assert.ok(Math.abs(gap - (0.9 - 15 / 22)) < 1e-12, String(gap));
  assert.equal(perClassGap(task({ 0: [4, 8], 1: [3, 6] })), 0);
});

test('class-blind gap: the worst gap of a uniformly random found subset of the same size', () => {
  // Nothing or everything found: every class's recall equals the overall one whatever the draw.
  assert.equal(perClassGapFloor(task({ 0: [0, 10], 1: [0, 7] })), 0);
  assert.equal(perClassGapFloor(task({ 0: [10, 10], 1: [7, 7] })), 0);
  // Two classes of 10 flipped rows, 10 found: class 0's count is hypergeometric(20, 10, 10) and both
  // classes deviate by |X - 5| / 10 from 0.5; E|X - 5| / 10 = 0.0859 (exact sum over X).
  const floor = perClassGapFloor(task({ 0: [10, 10], 1: [0, 10] }), 4000);
  assert.ok(Math.abs(floor - 0.08593) < 0.006, String(floor));
  // It does not depend on which class the ranking actually found: only on the sizes.
  assert.equal(perClassGapFloor(task({ 0: [10, 10], 1: [0, 10] })), perClassGapFloor(task({ 0: [5, 10], 1: [5, 10] })));
});
