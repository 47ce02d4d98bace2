import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeLabels, FeatureEncoder } from '../../src/data/features';
import { inferSchema } from '../../src/data/schema';
import { readTable } from '../../src/data/table';
import { DataFileError } from '../../src/util/errors';

const reviews = path.resolve(__dirname, '../fixtures/data/reviews.jsonl');

test('reviews.jsonl works out of the box: text as hashed TF-IDF, source as one-hot, bias last', async () => {
  const table = await readTable(reviews);
  const schema = inferSchema(table, { label: 'label' });
  assert.deepEqual(schema.features.map((c) => [c.name, c.kind]), [['text', 'text'], ['source', 'categorical']]);
  const labels = encodeLabels(table, schema);
  const enc = FeatureEncoder.fit(table, schema, labels.records, { textDimensions: 256 });
  assert.equal(enc.dim, 256 + 3 + 1);
  assert.deepEqual(enc.report.skippedText, []);
  assert.equal(enc.report.text?.text.dimensions, 256);
  assert.ok((enc.report.text?.text.vocabulary ?? 0) > 5000, 'unigrams and bigrams of 3000 sentences');
  const X = enc.transform(table, labels.records);
  const D = enc.dim;
  for (const i of [0, 1, 2999]) {
    let ss = 0;
    for (let a = 0; a < 256; a++) ss += X[i * D + a] ** 2;
    assert.ok(Math.abs(ss - 1) < 1e-12, `row ${i}'s text block is l2-normalised (${ss})`);
    assert.equal(X[i * D + D - 1], 1);
  }
  // Row 1 is "Good case, Excellent value." from amazon: one-hot source amazon.
  const src = enc.featureNames.indexOf('source=amazon');
  assert.equal(X[1 * D + src], 1);
  // The same text in a test table gives the same features (idf and hashing are the training ones).
  const again = enc.transform(table, [labels.records[1]]);
  assert.deepEqual(Array.from(again), Array.from(X.subarray(D, 2 * D)));
});

test('an embedding column (JSON arrays) becomes a dense block; a wrong length names file, line and column', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dd-emb-'));
  const good = path.join(dir, 'e.jsonl');
  writeFileSync(good, ['{"emb":[0.5,1,2],"y":"a"}', '{"emb":[1,0,-1],"y":"b"}', '{"emb":null,"y":"a"}'].join('\n') + '\n');
  const table = await readTable(good);
  const schema = inferSchema(table, { label: 'y' });
  assert.equal(schema.features[0].kind, 'embedding');
  const labels = encodeLabels(table, schema);
  const enc = FeatureEncoder.fit(table, schema, labels.records);
  assert.deepEqual(enc.featureNames, ['emb[0]', 'emb[1]', 'emb[2]', 'bias']);
  assert.deepEqual(Array.from(enc.transform(table, labels.records)), [0.5, 1, 2, 1, 1, 0, -1, 1, 0, 0, 0, 1]);
  assert.equal(enc.report.missing.emb, 1);
  const bad = path.join(dir, 'bad.csv');
  writeFileSync(bad, 'emb,y\n"[1,2]",a\n"[1,2,3]",b\n');
  const t2 = await readTable(bad);
  const s2 = inferSchema(t2, { label: 'y' });
  const l2 = encodeLabels(t2, s2);
  assert.throws(() => FeatureEncoder.fit(t2, s2, l2.records), (e: unknown) => e instanceof DataFileError && e.line === 3 && e.column === 1);
});
