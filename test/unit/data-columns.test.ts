import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColumnStore, DICT_MAX } from '../../src/data/columns';
import { encodeLabels, FeatureEncoder } from '../../src/data/features';
import { inferSchema } from '../../src/data/schema';
import { readTable } from '../../src/data/table';
import { DataFileError } from '../../src/util/errors';
import type { Cell } from '../../src/data/types';
import { Session } from '../../src/engine/session';
import { parseNumber } from '../../src/data/number';
import { seededRandom } from '../../src/util/random';

const FIXTURES = join(__dirname, '../fixtures/data');

test('ColumnStore: cells, lines and missing values round-trip in all three storage modes', () => {
  const n = 2 * DICT_MAX + 500;
  const store = new ColumnStore(4, { reserveRows: 10 }); // less room than needed: growth must keep the cells
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    rows.push([
      i % 7 === 0 ? null : `c${i % 3}`, // a label-like dictionary column with missing cells
      i % 11 === 0 ? null : String(i * 0.25 - 3), // numbers with more distinct values than the dictionary holds
      i % 5 === 0 ? null : `text number ${i}`, // texts with more distinct values than the dictionary holds
      String(i % 17), // small integers: stay a dictionary
    ]);
    store.addRow(rows[i], 2 * i + 3);
  }
  assert.equal(store.rows, n);
  for (let i = 0; i < n; i++) {
    assert.equal(store.line(i), 2 * i + 3);
    for (let j = 0; j < 4; j++) assert.equal(store.cell(i, j), rows[i][j], `row ${i} column ${j}`);
  }
  const [label, nums, texts, small] = store.columns;
  assert.equal(label.distinct, 3);
  assert.equal(label.missing, rows.filter((r) => r[0] === null).length);
  assert.equal(label.numeric, false);
  assert.equal(nums.distinct, Infinity, 'numbers column left the dictionary');
  assert.equal(nums.numeric, true);
  assert.equal(nums.number(1), 1 * 0.25 - 3);
  assert.ok(Number.isNaN(nums.number(0)), 'missing is NaN');
  assert.equal(texts.distinct, Infinity);
  assert.equal(texts.numeric, false);
  assert.equal(texts.maxLength, `text number ${n - 1}`.length);
  assert.equal(small.distinct, 17);
  assert.equal(small.number(20), 3);
  assert.deepEqual(store.inexactColumns, []);
  // Per row: 4 bytes (dictionary, decimal mantissas) or 8 (text pointers) per cell and 8 for the line, no row objects.
  assert.equal(store.bytes, n * (4 + 4 + 8 + 4) + n * 8);
});

test('ColumnStore: decimal columns (Int32 mantissas) read back exactly the numbers parseNumber reads, through every change of layout', () => {
  const rand = seededRandom(7);
  const n = DICT_MAX + 3000;
  // At most 5 places and |x| < 1000, so that every mantissa at 5 places fits (and -0 never appears).
  const decimal = () => {
    const places = Math.floor(rand() * 6);
    return (Math.round((rand() - 0.5) * 2 * 10 ** (2 + places)) / 10 ** places).toFixed(places);
  };
  // Column 0 stays decimal; 1 meets more places than it started with, 2 a 10-digit number, 3 an
  // exponent (each becomes float64 numbers), 4 negative zero (stays decimal), 5 a word (texts); 6
  // has missing cells.
  const late = ['0.1234567', '1234567890', '1e-3', '-0.00', 'word'];
  const store = new ColumnStore(7);
  const texts: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const row: Cell[] = [decimal()];
    for (let c = 0; c < late.length; c++) row.push(i === n - 100 ? late[c] : decimal());
    row.push(i % 13 === 0 ? null : decimal());
    texts.push(row);
    store.addRow(row, i + 2);
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 7; j++) {
      const t = texts[i][j];
      const x = t === null ? NaN : parseNumber(t);
      if (j === 5 && i < n - 100) assert.equal(store.cell(i, j), String(x), `row ${i}: the earlier texts of a column turned texts are String(value)`);
      else if (j === 5) assert.equal(store.cell(i, j), t);
      else {
        assert.ok(Object.is(store.columns[j].number(i), x), `row ${i} column ${j}: ${t} -> ${store.columns[j].number(i)}`);
        assert.equal(store.cell(i, j), t === null ? null : String(x));
      }
    }
  }
  const bytes = store.columns.map((c) => c.bytes / n);
  assert.deepEqual(bytes, [4, 8, 8, 8, 4, 8, 4]);
  assert.ok(Object.is(store.columns[4].number(n - 100), -0));
  const z4 = Float64Array.from({ length: n }, (_, i) => store.columns[4].number(i));
  assert.equal(store.columns[4].derive((i) => z4[i]), true);
  assert.ok(Object.is(store.columns[4].number(n - 100), -0), 'negative zero survives derive');
  assert.ok(Object.is(store.columns[4].number(n - 101), z4[n - 101]));
  // derive: the mantissas are freed when every row reads back through the given function.
  const col = store.columns[0];
  const values = Float64Array.from({ length: n }, (_, i) => col.number(i));
  const mean = 0.3, std = 7.1;
  const z = values.map((v) => (v - mean) / std);
  assert.equal(col.derive((i) => (i === 5 ? z[i] + 1 : z[i] * std + mean)), false, 'a row that does not read back keeps the mantissas');
  assert.equal(col.derive((i) => z[i] * std + mean), true);
  assert.equal(col.bytes, 0);
  for (let i = 0; i < n; i++) {
    assert.ok(Object.is(col.number(i), values[i]), `derived row ${i}`);
    assert.equal(store.cell(i, 0), String(values[i]));
  }
  assert.equal(store.columns[6].derive((i) => values[i]), false, 'a column with missing cells is not derived');
});

test('ColumnStore: a numbers column that meets a text is re-read with its exact texts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-columns-'));
  const file = join(dir, 'late-text.csv');
  const lines = ['x,note,y'];
  // "1.50" is a number whose String() is "1.5": after the late text the column must keep "1.50".
  for (let i = 0; i < DICT_MAX + 100; i++) lines.push(`${i === 3 ? '1.50' : String(i / 8)},n${i % 4},${i % 2 ? 'a' : 'b'}`);
  lines.push('not a number,n0,a');
  writeFileSync(file, lines.join('\n') + '\n');
  const table = await readTable(file);
  assert.equal(table.store.rows, DICT_MAX + 101);
  assert.equal(table.store.cell(3, 0), '1.50');
  assert.equal(table.store.cell(DICT_MAX + 100, 0), 'not a number');
  assert.equal(table.store.columns[0].inexact, false);
  assert.equal(table.store.line(DICT_MAX + 100), DICT_MAX + 102);
  // Inference reads the store: one word among 4196 numbers is a located error (the i13a rule), and
  // declared as text the column keeps its exact texts.
  assert.throws(
    () => inferSchema(table, { label: 'y' }),
    (e: unknown) => e instanceof DataFileError && e.line === DICT_MAX + 102 && e.column === 1 && /looks numeric .*"not a number"/.test(e.message),
  );
  const schema = inferSchema(table, { label: 'y', kinds: { x: 'text' } });
  assert.equal(schema.features.find((f) => f.name === 'x')?.kind, 'text');
});

test('ColumnStore: a generated 20 000-row file gives the same features as parsing every cell', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-columns-'));
  const file = join(dir, 'wide.csv');
  const rows: string[] = ['a,b,cat,label'];
  const expectA: number[] = [];
  for (let i = 0; i < 20000; i++) {
    const a = ((i * 7919) % 10007) / 97; // many distinct values: numbers storage
    expectA.push(a);
    rows.push(`${a},${i % 3 === 0 ? '' : i % 13},${['x', 'y', 'z'][i % 3]},${i % 4 === 0 ? 'p' : 'q'}`);
  }
  writeFileSync(file, rows.join('\r\n'));
  const table = await readTable(file);
  const schema = inferSchema(table, { label: 'label' });
  assert.deepEqual(
    schema.features.map((f) => [f.name, f.kind]),
    [
      ['a', 'numeric'],
      ['b', 'numeric'],
      ['cat', 'categorical'],
    ],
  );
  const labels = encodeLabels(table, schema);
  const enc = FeatureEncoder.fit(table, schema, labels.records);
  const X = enc.transform(table, labels.records);
  const D = enc.dim;
  assert.deepEqual(enc.featureNames, ['a', 'b', 'cat=x', 'cat=y', 'cat=z', 'bias']);
  const mean = expectA.reduce((s, v) => s + v, 0) / expectA.length;
  const std = Math.sqrt(expectA.reduce((s, v) => s + (v - mean) ** 2, 0) / expectA.length);
  for (const i of [0, 1, 4999, 19999]) {
    assert.ok(Math.abs(X[i * D] - (expectA[i] - mean) / std) < 1e-9, `row ${i}`);
    assert.equal(X[i * D + 2 + (i % 3)], 1);
    assert.equal(X[i * D + D - 1], 1);
  }
  assert.equal(X[0 * D + 1], 0, 'missing b imputed with the mean (z = 0)');
  assert.equal(enc.lastMissing.b, 6667);
  assert.equal(table.store.line(19999), 20001);
});

test('Session: row cells and lines read back from the columnar store', async () => {
  const s = new Session();
  await s.scan({ file: join(FIXTURES, 'breast_cancer.csv'), label: 'diagnosis', labelSuspicion: false, firstPage: 0 });
  const { rows } = s.rows({ source: 'train', rows: [0, 568] });
  assert.equal(rows[0].line, 2);
  assert.equal(rows[1].line, 570);
  assert.equal(rows[0].cells.mean_radius, '17.99');
  assert.equal(rows[1].cells.diagnosis, 'benign');
  const lines = s.lines({ source: 'train' });
  assert.equal(lines.rows.length, 569);
  assert.equal(lines.lines[568], 570);
  assert.equal(lines.labels[0], 'malignant');
});

test('ColumnStore: label trimming edits the store, and Table.records made before follows it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-columns-'));
  const file = join(dir, 'padded.csv');
  const lines = ['x,y'];
  const ys = [' a', 'a', 'a ', ' b ', 'b', '  '];
  for (let i = 0; i < 60; i++) lines.push(`${i / 4},"${ys[i % ys.length]}"`);
  writeFileSync(file, lines.join('\n') + '\n');
  const table = await readTable(file);
  assert.equal(table.records[0].cells[1], ' a', 'records made before trimming');
  assert.equal(table.store.columns[1].distinct, 5);
  const schema = inferSchema(table, { label: 'y' });
  const y = table.store.columns[1];
  assert.equal(y.distinct, 2, 'one class per trimmed text');
  assert.equal(y.missing, 10, 'a whitespace-only label is missing');
  assert.equal(schema.label.missing, 10);
  assert.deepEqual([0, 2, 3, 5].map((i) => table.store.cell(i, 1)), ['a', 'a', 'b', null]);
  assert.deepEqual([0, 2, 3, 5].map((i) => table.records[i].cells[1]), ['a', 'a', 'b', null], 'records made again from the store');
  const labels = encodeLabels(table, schema);
  assert.deepEqual(labels.classes, ['a', 'b']);
  assert.equal(labels.records.length, 50);
});

test('ColumnData.firstDifference finds the first row whose text differs, in every pair of storage modes (the warm re-score\'s check)', () => {
  const n = DICT_MAX + 700;
  const rand = seededRandom(3);
  // Base columns: a small dictionary, decimals (Int32 mantissas), full-precision numbers, texts.
  const kinds: ((i: number) => Cell)[] = [
    (i) => (i % 13 === 0 ? null : String(i % 17)),
    (i) => ((i * 37) % 9001 / 100 - 40).toFixed(2),
    (i) => (i === 5 ? null : String(Math.sin(i) * 1e3)),
    (i) => `text ${i}`,
  ];
  // Edits of one cell: missing, another value of the kind, a text, the same number spelled otherwise
  // (no difference: 2.50 reads 2.5), a number with more decimals than the column keeps.
  const edits: ((v: Cell) => Cell)[] = [
    () => null,
    (v) => (v === null ? '1' : v + '1'),
    () => 'not a number',
    (v) => (v !== null && /^-?\d+\.\d+$/.test(v) ? v + '0' : v),
    (v) => (v === null ? '0.1234567891' : v === '0' ? '-0' : String(Number(v) + 1e-7)),
  ];
  const build = (cells: Cell[]) => {
    const s = new ColumnStore(1);
    cells.forEach((c, i) => s.addRow([c], i + 2));
    return s.columns[0];
  };
  let found = 0;
  for (const kind of kinds) {
    const base = Array.from({ length: n }, (_, i) => kind(i));
    for (const edit of edits) {
      for (const at of [0, Math.floor(rand() * n), n - 1]) {
        const cells = base.slice();
        cells[at] = edit(cells[at]);
        const a = build(base);
        const b = build(cells);
        // What it must equal: the first row whose texts (get) differ.
        let expected = -1;
        for (let i = 0; i < n && expected < 0; i++) if (a.get(i) !== b.get(i)) expected = i;
        assert.equal(b.firstDifference(a, n), expected, `kind ${kinds.indexOf(kind)}, edit ${edits.indexOf(edit)} at ${at}`);
        assert.equal(a.firstDifference(b, n), expected);
        // (A column that changes its storage can read earlier cells otherwise: 1.50 as a text, 1.5 as a number.)
        if (expected >= 0) {
          assert.ok(expected <= at);
          found++;
        }
        // A decimals column read back through derive() (as after a scan) compares as before.
        const values = Float64Array.from({ length: n }, (_, i) => a.number(i));
        if (a.derive((i) => values[i])) assert.equal(b.firstDifference(a, n), expected, `derived, kind ${kinds.indexOf(kind)}, edit ${edits.indexOf(edit)}`);
      }
    }
  }
  assert.ok(found >= 40, `${found} changed cells found`);
});
