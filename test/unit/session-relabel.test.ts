/** Session.relabel (the worker's relabel method): data rows and class names in, predicted and refit effects out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from '../../src/engine/session';

const root = join(__dirname, '..', '..');

/**
 * breast_cancer split into 400 training rows (every 20th from row 3 flipped) and 169 test rows,
 * written to a new temporary folder; the flipped rows with their true labels.
 */
function flippedSplit(prefix: string): { trainFile: string; testFile: string; flipped: { row: number; truth: string }[] } {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const lines = readFileSync(join(root, 'test/fixtures/data/breast_cancer.csv'), 'utf8').trim().split(/\r?\n/);
  const body = lines.slice(1);
  const flipped: { row: number; truth: string }[] = [];
  const train = body.slice(0, 400).map((l, i) => {
    if (i % 20 !== 3) return l;
    const truth = l.endsWith(',benign') ? 'benign' : 'malignant';
    flipped.push({ row: i, truth });
    return l.replace(/,(benign|malignant)$/, truth === 'benign' ? ',malignant' : ',benign');
  });
  const trainFile = join(tmp, 'train.csv');
  const testFile = join(tmp, 'test.csv');
  writeFileSync(trainFile, [lines[0], ...train].join('\n') + '\n');
  writeFileSync(testFile, [lines[0], ...body.slice(400)].join('\n') + '\n');
  return { trainFile, testFile, flipped };
}

test('relabel on a scanned file with a test file: flipped rows back lower the test loss, predicted close to the refit', async () => {
  const { trainFile, testFile, flipped } = flippedSplit('dd-relabel-');
  const s = new Session();
  await s.scan({ file: trainFile, label: 'diagnosis', test: testFile });
  const changes = flipped.slice(0, 10).map((f) => ({ row: f.row, label: f.truth }));
  const p = await s.relabel({ changes });
  assert.equal(p.on, 'test');
  assert.equal(p.before.rows, 169);
  assert.equal(p.actual, undefined);
  const v = await s.relabel({ changes, verify: true });
  assert.deepEqual(v.predicted, p.predicted);
  const predicted = v.predicted.loss - v.before.loss;
  const actual = v.actual!.loss - v.before.loss;
  assert.ok(actual < 0 && predicted < 0, `predicted ${predicted}, actual ${actual}`);
  assert.ok(Math.abs(predicted - actual) < 0.3 * Math.abs(actual), `predicted ${predicted}, actual ${actual}`);
  assert.ok(v.refit!.iterations > 0 && v.stepError! < 0.5);
  await assert.rejects(s.relabel({ changes: [{ row: 3, label: 'cancer' }] }), /'cancer' is not one of the classes/);
  await assert.rejects(s.relabel({ changes: [{ row: 4000, label: 'benign' }] }), /data row 4000 is not a training row/);
});

test('relabel on the EK-FAC solver: the predicted effect uses its H^-1 (CG-refined here) and says so; Verify refits exactly', async () => {
  const { trainFile, testFile, flipped } = flippedSplit('dd-relabel-ekfac-');
  const changes = flipped.slice(0, 10).map((f) => ({ row: f.row, label: f.truth }));
  const exact = new Session();
  await exact.scan({ file: trainFile, label: 'diagnosis', test: testFile, solver: 'exact' });
  const e = await exact.relabel({ changes });
  assert.equal(e.solve, undefined, 'the exact solver says nothing about its solve');
  const s = new Session();
  await s.scan({ file: trainFile, label: 'diagnosis', test: testFile, solver: 'ekfac' });
  assert.equal(s.summary!.analysis.solver, 'ekfac');
  assert.equal(s.summary!.capabilities!.relabel, true);
  assert.equal(s.summary!.capabilities!.trust, false);
  const p = await s.relabel({ changes });
  // At this size EK-FAC's solve is refined by preconditioned CG on exact Hessian-vector products to a
  // relative residual of 1e-6, so the predicted step is the exact one to about that accuracy.
  assert.equal(p.solve?.method, 'pcg');
  assert.ok(p.solve!.relativeResidual! <= 1e-6, JSON.stringify(p.solve));
  assert.deepEqual(p.before, e.before);
  assert.ok(Math.abs(p.predicted.loss - e.predicted.loss) <= 1e-3 * Math.abs(e.predicted.loss - e.before.loss), `${p.predicted.loss} vs ${e.predicted.loss}, change ${e.predicted.loss - e.before.loss}`);
  assert.equal(p.predicted.accuracy, e.predicted.accuracy);
  const v = await s.relabel({ changes, verify: true });
  const ev = await exact.relabel({ changes, verify: true });
  assert.equal(v.solve?.method, 'pcg');
  // The refit does not depend on the solver: both reach the same optimum of the relabelled objective.
  assert.ok(Math.abs(v.actual!.loss - ev.actual!.loss) < 1e-7, `${v.actual!.loss} vs ${ev.actual!.loss}`);
  assert.ok(v.actual!.loss < v.before.loss);
});
