/**
 * The Session's analyses through the worker protocol and directly: the unsupervised path with the new
 * explainCluster method over a real worker process, and the text fixture scanned out of the box.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureHead } from '../fixtures/head';
import { Session } from '../../src/engine/session';
import { WorkerClient } from '../../src/worker/client';

const root = path.resolve(__dirname, '../..');
const fixtures = path.join(root, 'test/fixtures/data');
const dir = mkdtempSync(path.join(tmpdir(), 'dd-session-models-'));

const head = (file: string, rows: number, name: string): string => fixtureHead(file, rows, dir, name);

test('worker process: an unsupervised scan, a page of it, and explainCluster, with progress stages', async () => {
  const cancer = head('breast_cancer.csv', 150, 'cancer150.csv');
  const client = new WorkerClient({ script: path.join(root, 'src/worker/main.ts'), execArgv: ['--import', 'tsx'] });
  try {
    const stages = new Set<string>();
    const { summary, first } = await client.request('scan', { file: cancer, unsupervised: true, ignore: ['diagnosis'], clusters: 2, epochs: 200, firstPage: 5 }, {
      onProgress: (stage: string) => stages.add(stage),
    });
    assert.ok(stages.has('parse') && stages.has('fit'), [...stages].join(','));
    assert.equal(summary.analysis.method, 'unsupervised');
    assert.equal(summary.model.kind, 'autoencoder');
    assert.deepEqual(summary.dataset.classes, ['cluster 0', 'cluster 1']);
    assert.ok(summary.dataset.columns.some((c) => c.name === 'diagnosis' && c.kind === 'ignored'));
    assert.equal(first.rows.length, 5);
    assert.equal(first.total, 150);
    const page = await client.request('page', { rankBy: 'loss', offset: 0, limit: 150 });
    for (let i = 1; i < page.rows.length; i++) assert.ok(page.rows[i - 1].loss >= page.rows[i].loss);
    const top = first.rows[0];
    const r = await client.request('explainCluster', { row: top.row, top: 4, withCells: true });
    assert.equal(r.row, top.row);
    assert.equal(r.cluster, top.cluster);
    assert.ok(Math.abs(r.distance - top.globalInfluence) <= 1e-3 * r.distance);
    assert.equal(r.total, 150);
    assert.ok(r.pulling.length > 0 && r.pushing.length > 0);
    assert.ok(r.pulling.every((x) => x.removalChange > 0 && x.cells !== undefined));
    assert.ok(r.pushing.every((x) => x.removalChange < 0));
    assert.ok(r.solve.iterations > 0);
    // explain (labelled) is refused with a pointer to explainCluster; explainCluster on a labelled scan likewise.
    await assert.rejects(client.request('explain', { source: 'train', row: 0 }), /explainCluster/);
    await client.request('scan', { file: cancer, label: 'diagnosis', labelSuspicion: false, firstPage: 0 });
    await assert.rejects(client.request('explainCluster', { row: 0 }), /unsupervised scan/);
    const ex = await client.request('explain', { source: 'train', row: 3, objective: 'probability', top: 3 });
    assert.equal(ex.method, 'influence');
    assert.equal(ex.objective.kind, 'probability');
    assert.equal(ex.objective.value, ex.test.probabilities[ex.test.target]);
  } finally {
    client.dispose();
  }
});

test('reviews.jsonl scans out of the box: the text column becomes hashed TF-IDF features', async () => {
  const s = new Session();
  const { summary } = await s.scan({ file: path.join(fixtures, 'reviews.jsonl'), label: 'label', textDimensions: 256, labelSuspicion: false, firstPage: 0 });
  assert.equal(summary.dataset.rows, 3000);
  assert.deepEqual(summary.dataset.classes, ['negative', 'positive']);
  assert.equal(summary.analysis.text?.text.dimensions, 256);
  assert.ok(summary.analysis.text!.text.vocabulary > 1000);
  assert.ok(summary.dataset.features > 256);
  assert.equal(summary.analysis.solver, 'exact');
  assert.ok(summary.model.trainAccuracy > 0.7, `${summary.model.trainAccuracy}`); // 0.73 with 256 buckets (collisions), 0.835 with the default 1024
  const rows = s.allExamples();
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].globalInfluence >= rows[i].globalInfluence);
  const e = s.explain({ source: 'train', row: rows[0].row, top: 3, objective: 'margin' });
  assert.equal(e.objective.kind, 'margin');
  assert.deepEqual(e.objective.classes.slice().sort(), ['negative', 'positive']);
});
