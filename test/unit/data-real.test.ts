// The reader, schema and features on the real data sets of test/fixtures/data, checked against
// expectations computed here independently (plain splitting, JSON.parse, two-pass mean/std).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTable } from '../../src/data/table';
import { inferSchema } from '../../src/data/schema';
import { encodeLabels, FeatureEncoder } from '../../src/data/features';

const D = join(__dirname, '../fixtures/data');

/** These CSVs have no quotes: plain splitting is an independent reader. */
function naiveCsv(file: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(join(D, file), 'utf8').split(/\r?\n/);
  while (lines.at(-1) === '') lines.pop();
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

test('digits.csv: 1797 rows x 65 columns, data row r on line r + 2, 64 numeric features, classes 0-9', async () => {
  const t = await readTable(join(D, 'digits.csv'));
  const naive = naiveCsv('digits.csv');
  assert.equal(t.records.length, 1797);
  assert.equal(t.columns.length, 65);
  assert.deepEqual(t.columns, naive.header);
  t.records.forEach((r, k) => {
    assert.equal(r.row, k);
    assert.equal(r.line, k + 2);
  });
  assert.deepEqual(
    t.records.map((r) => r.cells),
    naive.rows,
  );
  const s = inferSchema(t, { label: 'label' });
  assert.equal(s.features.length, 64);
  assert.ok(s.features.every((c) => c.kind === 'numeric' && c.missing === 0));
  const l = encodeLabels(t, s);
  assert.deepEqual(l.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(
    [...l.y],
    naive.rows.map((r) => Number(r[64])),
  );
  const enc = FeatureEncoder.fit(t, s, l.records);
  // Columns that are one value on every row, found here by hand.
  const constant = naive.header.slice(0, 64).filter((_, j) => new Set(naive.rows.map((r) => r[j])).size === 1);
  assert.ok(constant.length > 0);
  assert.deepEqual(enc.report.droppedConstant, constant);
  assert.equal(enc.dim, 64 - constant.length + 1);
});

test('satellite.csv: 6435 rows x 37 columns; class labels with spaces, sorted', async () => {
  const t = await readTable(join(D, 'satellite.csv'));
  const naive = naiveCsv('satellite.csv');
  assert.equal(t.records.length, 6435);
  assert.equal(t.columns.length, 37);
  assert.equal(t.records[6434].line, 6436);
  const s = inferSchema(t, { label: 'class' });
  assert.equal(s.features.length, 36);
  const l = encodeLabels(t, s);
  const labels = naive.rows.map((r) => r[36]);
  assert.deepEqual(l.classes, [...new Set(labels)].sort());
  assert.ok(l.classes.includes('very damp grey soil'));
  assert.deepEqual(
    [...l.y].map((k) => l.classes[k]),
    labels,
  );
  assert.deepEqual(l.skipped, []);
});

test('reviews.jsonl: 3000 rows; text column inferred as text, source categorical, labels negative/positive', async () => {
  const file = join(D, 'reviews.jsonl');
  const t = await readTable(file);
  const lines = readFileSync(file, 'utf8').split('\n').filter((x) => x !== '');
  assert.equal(t.records.length, 3000);
  assert.deepEqual(t.columns, ['text', 'label', 'source']);
  t.records.forEach((r, k) => {
    const o = JSON.parse(lines[k]);
    assert.deepEqual(r.cells, [o.text, o.label, o.source]);
    assert.equal(r.line, k + 1);
  });
  const s = inferSchema(t, { label: 'label' });
  assert.deepEqual(
    s.features.map((c) => [c.name, c.kind]),
    [
      ['text', 'text'],
      ['source', 'categorical'],
    ],
  );
  const l = encodeLabels(t, s);
  assert.deepEqual(l.classes, ['negative', 'positive']);
  const enc = FeatureEncoder.fit(t, s, l.records, { textDimensions: 16 });
  assert.deepEqual(enc.report.skippedText, []);
  assert.deepEqual(enc.featureNames.slice(16), ['source=amazon', 'source=imdb', 'source=yelp', 'bias']);
  const X = enc.transform(t, [0, 1000, 2999]);
  const oneHot = (src: string) => ['amazon', 'imdb', 'yelp'].map((v) => (v === src ? 1 : 0));
  const dim = enc.dim;
  assert.deepEqual(
    [0, 1, 2].flatMap((r) => [...X.subarray(r * dim + 16, (r + 1) * dim)]),
    [0, 1000, 2999].flatMap((k) => [...oneHot(JSON.parse(lines[k]).source), 1]),
  );
});

test('breast_cancer.csv: features are z-scores with the training mean and population std', async () => {
  const t = await readTable(join(D, 'breast_cancer.csv'));
  const naive = naiveCsv('breast_cancer.csv');
  const s = inferSchema(t, { label: 'diagnosis' });
  const l = encodeLabels(t, s);
  assert.deepEqual(l.classes, ['benign', 'malignant']);
  // Train on the even rows, transform the odd ones: statistics come from the training rows only.
  const train = l.records.filter((r) => r % 2 === 0);
  const rest = l.records.filter((r) => r % 2 === 1);
  const enc = FeatureEncoder.fit(t, s, train);
  assert.equal(enc.dim, 31);
  assert.equal(enc.featureNames[30], 'bias');
  const X = enc.transform(t, rest);
  const j0 = naive.header.indexOf('diagnosis');
  const cols = naive.header.map((_, j) => j).filter((j) => j !== j0);
  cols.forEach((j, a) => {
    const xs = train.map((r) => Number(naive.rows[r][j]));
    const mean = xs.reduce((p, x) => p + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((p, x) => p + (x - mean) ** 2, 0) / xs.length);
    rest.forEach((r, k) => {
      const want = (Number(naive.rows[r][j]) - mean) / sd;
      const got = X[k * 31 + a];
      assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `row ${r} ${naive.header[j]}: ${got} vs ${want}`);
    });
  });
  for (let k = 0; k < rest.length; k++) assert.equal(X[k * 31 + 30], 1);
});
