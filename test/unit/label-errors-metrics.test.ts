import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { labelErrorReport, pairedStandardError, perClassGap, reportHeadlines, perClassGapFloor, pooledPerClassGap, pooledPerClassGapFloor } from '../../bench/label-errors-report';
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

test('pooled gap: the seeds of a cell pooled per true class before the worst gap is taken', () => {
  // Seed 0 finds class 0 better, seed 1 class 1: each task alone has a gap of 0.25, pooled they balance.
  const a = task({ 0: [8, 8], 1: [4, 8] });
  const b = task({ 0: [4, 8], 1: [8, 8] });
  assert.equal(perClassGap(a), 0.25);
  assert.equal(perClassGap(b), 0.25);
  assert.equal(pooledPerClassGap([a, b]), 0);
  // A class below 5 flipped rows in every task counts once pooled: 3 + 3 flipped rows of class 2, none found.
  const c = task({ 0: [6, 6], 2: [0, 3] });
  const pooled = pooledPerClassGap([c, c]);
  assert.ok(Math.abs(pooled - 12 / 18) < 1e-12, String(pooled));
  assert.equal(perClassGap(c), 1 - 6 / 9);
});

test('pooled class-blind gap: the chance level shrinks as seeds are pooled, and is 0 when nothing or everything is found', () => {
  assert.equal(pooledPerClassGapFloor([task({ 0: [0, 10], 1: [0, 7] }), task({ 0: [0, 9], 1: [0, 6] })]), 0);
  assert.equal(pooledPerClassGapFloor([task({ 0: [10, 10], 1: [7, 7] }), task({ 0: [9, 9], 1: [6, 6] })]), 0);
  // One task of two classes of 10 flips with 10 found is the per-task floor (0.0859, above); five such
  // tasks pooled are hypergeometric sums with 5x the rows, so the expected deviation falls by about sqrt(5).
  const t = task({ 0: [10, 10], 1: [0, 10] });
  const one = pooledPerClassGapFloor([t], 4000);
  assert.ok(Math.abs(one - 0.08593) < 0.006, String(one));
  const five = pooledPerClassGapFloor([t, t, t, t, t], 4000);
  assert.ok(five < one / 1.8 && five > one / 2.8, `${five} vs ${one}`);
});

test('paired standard error of the default minus the best baseline: sample sd of the per-seed differences over sqrt(n)', () => {
  // Differences -0.1, 0, 0.1: sample sd 0.1, n 3.
  assert.ok(Math.abs(pairedStandardError([-0.1, 0, 0.1]) - 0.1 / Math.sqrt(3)) < 1e-12);
  // The same difference on every seed has no spread; one seed gives no estimate (0).
  assert.equal(pairedStandardError([0.02, 0.02, 0.02]), 0);
  assert.equal(pairedStandardError([0.5]), 0);
});

test('the report merges result folders by task (seeds 0-4 committed + the held-out seeds 5-24 of pima) and its headlines keep each sentence with its table', () => {
  const research = path.resolve(__dirname, '../../bench/research');
  const heldOut = path.join(research, 'held-out-seeds/pima-seeds5-24');
  const alone = labelErrorReport([heldOut]);
  const merged = labelErrorReport([research, heldOut]);
  // Each pima cell counts its seeds once: 20 held out, 25 with the committed five.
  assert.ok(alone.some((l) => l.startsWith('| pima | u10 | 20 |')), 'held-out folder alone: 20 seeds');
  assert.ok(merged.some((l) => l.startsWith('| pima | u10 | 25 |')), 'merged: 25 seeds');
  // The same folder twice changes nothing (a task in two folders counts once).
  assert.deepEqual(labelErrorReport([heldOut, heldOut]).filter((l) => l.startsWith('| pima')), alone.filter((l) => l.startsWith('| pima')));
  const head = reportHeadlines(alone);
  const sentences = head.filter((l) => l.includes('Mean recall@10% over'));
  assert.equal(sentences.length, 2);
  assert.match(sentences[0], /^Against all four baselines .*: Mean recall@10% over the 2 \(data set, noise\) cells/);
  assert.match(sentences[1], /^Against the logistic-regression and kNN baselines .*: Mean recall@10% over the 2/);
  const rows = head.filter((l) => /^\| (u10|c10|all) \| /.test(l));
  assert.deepEqual(rows.map((l) => l.split(' | ')[0] + ' | ' + l.split(' | ')[1]), ['| u10 | 20', '| c10 | 20', '| all | 40']);
  assert.deepEqual(reportHeadlines(['(no engine results)']), []);
});
