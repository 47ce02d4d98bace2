import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '../../src/data/table';
import { inferSchema } from '../../src/data/schema';
import { encodeLabels, FeatureEncoder, pairwiseSum } from '../../src/data/features';
import { DataFileError } from '../../src/util/errors';

const P = join(__dirname, '../fixtures/parser');
const tmp = mkdtempSync(join(tmpdir(), 'dd-features-'));

function locatedError(line: number, column: number, message: RegExp, file?: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof DataFileError, `expected DataFileError, got ${String(e)}`);
    if (file) assert.equal(e.file, file);
    assert.deepEqual([e.line, e.column], [line, column], e.message);
    assert.match(e.detail, message);
    return true;
  };
}

test('encodeLabels: sorted classes, missing labels skipped with row and line', async () => {
  const t = await readTable(join(P, 'quoted.csv'));
  const s = inferSchema(t, { label: 'label' });
  const l = encodeLabels(t, s);
  assert.deepEqual(l.classes, ['no', 'yes']);
  assert.deepEqual(l.records, [0, 1, 2, 3, 4]);
  assert.deepEqual([...l.y], [1, 0, 1, 0, 1]);
  assert.deepEqual(l.skipped, [{ row: 5, line: 12 }]);
});

test('encodeLabels: one class, and a test label outside the training classes, are errors at the label cell', async () => {
  const file = join(P, 'one_class.csv');
  const t = await readTable(file);
  const s = inferSchema(t, { label: 'label' });
  assert.throws(() => encodeLabels(t, s), locatedError(2, 3, /only one class \("cat"\)/, file));
  const f = join(tmp, 'test.jsonl');
  writeFileSync(f, '{"f": 1, "label": "cat"}\n{"f": 2,  "label": "dog"}\n{"label": null, "f": 3}\n');
  const tt = await readTable(f);
  assert.throws(
    () => encodeLabels(tt, inferSchema(tt, { label: 'label' }), ['cat', 'cow']),
    locatedError(2, 20, /label "dog" is not one of the training classes: "cat", "cow"/, f),
  );
  const ok = encodeLabels(tt, inferSchema(tt, { label: 'label' }), ['cat', 'dog']);
  assert.deepEqual([...ok.y], [0, 1]);
  assert.deepEqual(ok.skipped, [{ row: 2, line: 3 }]);
});

// (duplicates: data-columns.test.ts reads a file and checks its schema the same way, on other data.)
test('FeatureEncoder: z-scores with training mean and population std, one-hot with a missing level, bias last', async () => {
  const t = await readTable(join(P, 'missing.csv'));
  const s = inferSchema(t, { label: 'label' });
  assert.deepEqual(
    s.features.map((c) => [c.name, c.kind]),
    [
      ['num', 'numeric'],
      ['color', 'categorical'],
      ['const', 'numeric'],
    ],
  );
  const l = encodeLabels(t, s);
  const enc = FeatureEncoder.fit(t, s, l.records);
  assert.deepEqual(enc.featureNames, ['num', 'color=blue', 'color=red', 'color=<missing>', 'bias']);
  assert.equal(enc.dim, 5);
  assert.deepEqual(enc.report, {
    droppedConstant: ['const'], // 7 everywhere it is present
    missing: { num: 1, color: 1 },
    categoricalLevels: { color: 3 },
    skippedText: [],
  });
  // num = 1, -, 4, 3, 2: mean 2.5 over the 4 values, population variance (2.25+2.25+0.25+0.25)/4 = 1.25.
  const sd = Math.sqrt(1.25);
  const X = enc.transform(t, l.records);
  const expected = [
    [(1 - 2.5) / sd, 0, 1, 0, 1],
    [0, 1, 0, 0, 1], // missing num -> training mean -> 0
    [(4 - 2.5) / sd, 0, 0, 1, 1],
    [(3 - 2.5) / sd, 0, 1, 0, 1],
    [(2 - 2.5) / sd, 1, 0, 0, 1],
  ];
  assert.deepEqual([...X], expected.flat());
  assert.deepEqual(enc.lastMissing, { num: 1, color: 1 });

  // Fitting on a subset of records uses only their statistics.
  const sub = FeatureEncoder.fit(t, s, [0, 2]);
  // Rows 0 and 2: num 1 and 4 (mean 2.5, std 1.5); color red and missing (the missing level is last).
  assert.deepEqual(sub.featureNames, ['num', 'color=red', 'color=<missing>', 'bias']);
  assert.deepEqual([...sub.transform(t, [0, 2, 4])], [-1, 1, 0, 1, 1, 0, 1, 1, -1 / 3, 0, 0, 1]);
});

test('FeatureEncoder.transform: test tables by column name; unseen level is all zeros; missing column is an error', async () => {
  const t = await readTable(join(P, 'missing.csv'));
  const s = inferSchema(t, { label: 'label' });
  const l = encodeLabels(t, s);
  const enc = FeatureEncoder.fit(t, s, l.records);
  const test = await readTable(join(P, 'missing_test.csv'));
  const lt = encodeLabels(test, s, l.classes);
  assert.deepEqual([...lt.y], [1, 0]);
  assert.deepEqual(lt.skipped, [{ row: 2, line: 4 }]);
  const X = enc.transform(test, lt.records);
  const sd = Math.sqrt(1.25);
  assert.deepEqual([...X], [(10 - 2.5) / sd, 0, 0, 0, 1, 0, 0, 0, 1, 1]);
  assert.deepEqual(enc.lastMissing, { num: 1, color: 1 });

  const f = join(tmp, 'nocolor.csv');
  writeFileSync(f, 'num,label\n1,a\n');
  const bad = await readTable(f);
  assert.throws(() => enc.transform(bad, [0]), locatedError(1, 1, /feature column "color" .* missing/, f));
  writeFileSync(f, 'color,num,label\nred,1,a\n"blue", x1 ,b\n');
  const nan = await readTable(f);
  assert.throws(() => enc.transform(nan, [0, 1]), locatedError(3, 8, /"num" is numeric but " x1 " is not a number/, f));
});

test('FeatureEncoder: text columns become hashed TF-IDF blocks; the state round-trips', async () => {
  const t = await readTable(join(P, 'quoted.csv'));
  const s = inferSchema(t, { label: 'label' });
  const l = encodeLabels(t, s);
  const enc = FeatureEncoder.fit(t, s, l.records, { textDimensions: 8 });
  assert.deepEqual(enc.report.skippedText, []);
  assert.deepEqual(Object.keys(enc.report.text ?? {}), ['name', 'comment']);
  assert.equal(enc.dim, 2 + 8 + 8 + 1);
  assert.deepEqual(enc.featureNames.filter((n) => !n.includes(':')), ['id', 'score', 'bias']);
  const again = FeatureEncoder.fromState(JSON.parse(JSON.stringify(enc.state())));
  assert.deepEqual([...again.transform(t, l.records)], [...enc.transform(t, l.records)]);
  assert.deepEqual(again.report, enc.report);
});

test('pairwiseSum follows numpy: plain loop below 8, 8 partial sums up to 128, halves beyond', () => {
  // Values chosen so that the order of additions changes the float result.
  const a = Float64Array.from({ length: 300 }, (_, k) => (k % 7 === 0 ? 1e16 : 1) * (k % 2 ? -1 : 1) + k * 0.1);
  const seq = (lo: number, n: number) => {
    let r = 0;
    for (let i = lo; i < lo + n; i++) r += a[i];
    return r;
  };
  assert.equal(pairwiseSum(a, 0, 7), seq(0, 7));
  const block = (lo: number, n: number) => {
    const r = Array.from({ length: 8 }, (_, j) => a[lo + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[lo + i + j];
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[lo + i];
    return res;
  };
  assert.equal(pairwiseSum(a, 3, 100), block(3, 100));
  // 300 -> 144 + 156 -> (72 + 72) + (72 + 84)
  assert.equal(pairwiseSum(a, 0, 300), block(0, 72) + block(72, 72) + (block(144, 72) + block(216, 84)));
  assert.notEqual(pairwiseSum(a, 0, 300), seq(0, 300)); // the test would not notice a plain loop otherwise
});

test('FeatureEncoder.transform over several blocks of rows: each row as encoded alone, missing counted; the first bad cell column by column is the error', async () => {
  // 5,000 rows (more than two of transform's row blocks): a with 5000 distinct decimals, b a small dictionary
  // with missing cells, a category between them.
  const n = 5000;
  const lines = ['a,color,b,label'];
  for (let i = 0; i < n; i++) lines.push(`${((i * 7919) % 10007) / 100},${['red', 'blue'][i % 2]},${i % 13 === 0 ? '' : i % 9},${i % 3}`);
  const f = join(tmp, 'blocks.csv');
  writeFileSync(f, lines.join('\n') + '\n');
  const t = await readTable(f);
  const s = inferSchema(t, { label: 'label' });
  const l = encodeLabels(t, s);
  const enc = FeatureEncoder.fit(t, s, l.records);
  assert.deepEqual(enc.featureNames, ['a', 'color=blue', 'color=red', 'b', 'bias']);
  const X = enc.transform(t, l.records);
  assert.deepEqual(enc.lastMissing, { b: Math.ceil(n / 13) });
  const D = enc.dim;
  for (const r of [0, 1, 2047, 2048, 2049, 4095, 4096, 4999, 13 * 200]) {
    assert.deepEqual([...X.subarray(r * D, (r + 1) * D)], [...enc.transform(t, [r])], `row ${r}`);
  }
  // a's z-scores by their definition (population std), to rounding.
  const a = Array.from({ length: n }, (_, i) => ((i * 7919) % 10007) / 100);
  const mean = a.reduce((x, y) => x + y, 0) / n;
  const std = Math.sqrt(a.reduce((x, y) => x + (y - mean) ** 2, 0) / n);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(X[i * D] - (a[i] - mean) / std) < 1e-12, `row ${i}`);

  // Two bad cells: b's in the first block (row 100), a's in the third (row 4500). Columns are checked
  // one after the other, so a's cell (line 4502, column 1) is the error, not the earlier row's.
  const bad = lines.slice();
  bad[101] = bad[101].replace(/,[^,]*,[^,]*$/, ',x,1');
  bad[4501] = 'y' + bad[4501].slice(bad[4501].indexOf(','));
  const g = join(tmp, 'blocks-bad.csv');
  writeFileSync(g, bad.join('\n') + '\n');
  const tb = await readTable(g);
  const lb = encodeLabels(tb, s, l.classes);
  assert.throws(() => enc.transform(tb, lb.records), locatedError(4502, 1, /"a" is numeric but "y" is not a number/, g));
});

test('FeatureEncoder.releaseNumericColumns frees the decimal columns that X holds exactly, every block of rows checked', async () => {
  const n = 5000;
  const a = (i: number) => ((i * 7919) % 10007) / 100;
  const b = (i: number) => ((i * 104729) % 100003) / 1000;
  const lines = ['a,b,m,label'];
  for (let i = 0; i < n; i++) lines.push(`${a(i)},${b(i)},${i % 17 === 0 ? '' : ((i * 7) % 9973) / 10},${i % 3}`);
  const f = join(tmp, 'release.csv');
  writeFileSync(f, lines.join('\n') + '\n');
  const read = async () => {
    const t = await readTable(f);
    const s = inferSchema(t, { label: 'label' });
    const l = encodeLabels(t, s);
    const enc = FeatureEncoder.fit(t, s, l.records);
    return { t, l, enc, X: enc.transform(t, l.records) };
  };
  const { t, l, enc, X } = await read();
  assert.deepEqual(enc.featureNames, ['a', 'b', 'm', 'bias']);
  const cols = t.store.columns;
  assert.ok(cols[0].bytes > 0 && cols[1].bytes > 0 && cols[2].bytes > 0);
  // b's feature off in one row of the third block of rows: b keeps its mantissas; m has missing cells.
  const D = enc.dim;
  const X2 = X.slice();
  X2[4500 * D + 1] += 1e-3;
  assert.equal(enc.releaseNumericColumns(t, l.records, X2), 1);
  assert.deepEqual([cols[0].bytes, cols[1].bytes > 0, cols[2].bytes > 0], [0, true, true]);
  for (const r of [0, 2047, 2048, 4500, 4999]) {
    assert.equal(cols[0].number(r), a(r), `a, row ${r}`);
    assert.equal(cols[0].get(r), String(a(r)));
    assert.equal(cols[1].number(r), b(r), `b, row ${r}`);
  }
  // With X as transform made it, b is freed too.
  const again = await read();
  assert.equal(again.enc.releaseNumericColumns(again.t, again.l.records, again.X), 2);
  assert.equal(again.t.store.columns[1].bytes, 0);
  assert.equal(again.t.store.columns[1].number(4500), b(4500));
});
