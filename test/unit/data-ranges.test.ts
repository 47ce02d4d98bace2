// The CSV reader's rows go into the column store as ranges of the decoded chunk (no string per
// field): these tests check that this path stores exactly the cells and doubles of the string path
// (ColumnStore.addRow of each field's text, missing per isMissingField), on tricky decimals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColumnStore, DICT_MAX, decimalRange, lastDecimal } from '../../src/data/columns';
import { isMissingField } from '../../src/data/csv';
import { parseNumber } from '../../src/data/number';
import { readTable } from '../../src/data/table';
import { seededRandom } from '../../src/util/random';

/** Texts that a numbers column may meet: decimals of every length, signs, exponents, whitespace, tokens. */
const TRICKY = [
  '0', '-0', '-0.000', '0.000', '+0', '+1.5', '-1.5', '1.', '.5', '-.5', '5.', '-', '+', '.', '', ' ', '  \t',
  '1e5', '1E-5', '-2.5e+3', '4.9e-324', '2.2250738585072014e-308', '1.7976931348623157e308', '1e309', '-1e400',
  '123456789', '-123456789', '1234567890', '0.123456789', '0.1234567891', '-9.99999999', '99999.9999', '2147483647',
  '2147483648', '-2147483648', '0.30000000000000004', '3.141592653589793238462643383279', '00012.5000', '-00.0001',
  ' 1.5', '1.5 ', '\t2', 'NA', 'N/A', 'NaN', 'null', '?', 'na', 'Infinity', '-Infinity', '0x10', '1_000', '1,5',
  '1.2.3', '--1', '1e', 'e5', '1e+', '٣', '１', 'abc', '12a', '0.00000001', '100000000', '9.87654321',
];

function randomDecimal(rand: () => number, places: number): string {
  const m = Math.floor(rand() * 10 ** 6);
  const s = (m / 10 ** places).toFixed(places);
  return rand() < 0.5 ? `-${s}` : s;
}

function sameCell(a: ColumnStore, b: ColumnStore, i: number, j: number, what: string): void {
  const x = a.columns[j].number(i);
  const y = b.columns[j].number(i);
  assert.ok(Object.is(x, y), `${what}: row ${i} column ${j}: ${x} vs ${y}`);
  assert.equal(a.cell(i, j), b.cell(i, j), `${what}: row ${i} column ${j}`);
}

test('decimalRange reads a range as decimalText reads the sliced text, with the same mantissa and places', () => {
  const rand = seededRandom(13);
  const texts = [...TRICKY];
  for (let k = 0; k < 2000; k++) texts.push(randomDecimal(rand, Math.floor(rand() * 9)));
  for (const t of texts) {
    const pad = 'x9.-'.slice(0, Math.floor(rand() * 4));
    const s = `${pad}${t},7`;
    const ok = decimalRange(s, pad.length, pad.length + t.length);
    const got = ok ? lastDecimal() : null;
    const whole = decimalRange(t, 0, t.length) ? lastDecimal() : null;
    assert.deepEqual(got, whole, JSON.stringify(t));
    if (got) {
      // The value the column stores is parseNumber's double (Number() of the text).
      assert.ok(Object.is(got.mantissa / 10 ** got.places, parseNumber(t)), JSON.stringify(t));
      assert.ok(!isMissingField(t), JSON.stringify(t));
    }
  }
});

test('ColumnStore.addRowRanges stores the cells and doubles of addRow, through every change of storage mode', () => {
  const rand = seededRandom(7);
  const C = 6;
  const n = DICT_MAX + 3000;
  const a = new ColumnStore(C, { reserveRows: 16 });
  const b = new ColumnStore(C, { reserveRows: 16 });
  // Each column becomes DECIMALS after DICT_MAX distinct decimals, then meets tricky texts at its own rows.
  const inject = [-1, DICT_MAX + 100, DICT_MAX + 500, DICT_MAX + 1000, 10, DICT_MAX + 2000];
  for (let i = 0; i < n; i++) {
    const fields: string[] = [];
    for (let j = 0; j < C; j++) {
      let v = randomDecimal(rand, j === 1 ? 3 : 5);
      if (j === 2 && i % 97 === 0) v = randomDecimal(rand, 2); // fewer places: still this column's decimal
      if ((j === 0 || j === 3) && i % 89 === 0) v = rand() < 0.5 ? '-0.000' : '0.0'; // column 0 stays DECIMALS: its -0 stays -0
      if (j === 5) v = ['a', 'ab', 'a ', ' a', 'NA', '', 'b', 'é', 'x', '  '][i % 10]; // a small dictionary, searched in place
      if (inject[j] >= 0 && i >= inject[j] && i < inject[j] + TRICKY.length * 3) v = TRICKY[(i - inject[j]) % TRICKY.length];
      fields.push(v);
    }
    a.addRow(
      fields.map((v) => (isMissingField(v) ? null : v)),
      i + 2,
    );
    // Half the fields as ranges of one line, the others as texts (a field that spans two chunks).
    let line = '';
    const starts: number[] = [];
    const ends: number[] = [];
    const texts: string[] = [];
    for (let j = 0; j < C; j++) {
      if (j > 0) line += ',';
      if (rand() < 0.8) {
        starts.push(line.length);
        line += fields[j];
        ends.push(line.length);
        texts.push('');
      } else {
        starts.push(-1);
        ends.push(-1);
        texts.push(fields[j]);
      }
    }
    b.addRowRanges(texts, starts, ends, `${line}\n`, i + 2, isMissingField);
  }
  assert.equal(b.rows, a.rows);
  assert.deepEqual(b.inexactColumns, a.inexactColumns);
  assert.equal(b.bytes, a.bytes);
  for (let j = 0; j < C; j++) {
    assert.equal(b.columns[j].missing, a.columns[j].missing, `column ${j}`);
    assert.equal(b.columns[j].numeric, a.columns[j].numeric, `column ${j}`);
    assert.equal(b.columns[j].maxLength, a.columns[j].maxLength, `column ${j}`);
    for (let i = 0; i < n; i++) sameCell(a, b, i, j, 'ranges');
  }
  assert.ok(a.columns[4].bytes === 4 * n || a.columns[4].bytes === 8 * n, 'column 4 left the dictionary');
  // numbersAt (the features' block read) gives number()'s doubles in every mode, in any row order.
  const rows = Array.from({ length: n }, (_, i) => (i * 7919) % n);
  const got = new Float64Array(500);
  for (let j = 0; j < C; j++) {
    for (let k0 = 0; k0 < n; k0 += 500) {
      const k1 = Math.min(n, k0 + 500);
      b.columns[j].numbersAt(rows, k0, k1, got);
      for (let k = k0; k < k1; k++) assert.ok(Object.is(got[k - k0], a.columns[j].number(rows[k])), `numbersAt: column ${j} row ${rows[k]}`);
    }
  }
});

test('readTable: a CSV of many decimals and tricky cells reads the same doubles at every chunk size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-ranges-'));
  const rand = seededRandom(11);
  const rows = DICT_MAX + 1500;
  const lines = ['a,b,"c",label'];
  const cells: string[][] = [];
  for (let i = 0; i < rows; i++) {
    const r = [randomDecimal(rand, 4), randomDecimal(rand, 6), randomDecimal(rand, 3), `k${i % 3}`];
    if (i >= DICT_MAX + 200 && i < DICT_MAX + 200 + TRICKY.length) r[1] = TRICKY[i - DICT_MAX - 200].replace(/,/g, '');
    if (i % 301 === 0) r[2] = `"${r[2]}"`; // quoted: a field read as text, not as a range
    cells.push(r);
    lines.push(r.join(','));
  }
  const file = join(dir, 'tricky.csv');
  writeFileSync(file, lines.join('\r\n') + '\r\n');
  // The string path as the reader takes it: a second pass keeps the texts of a column that met a non-number.
  const stringPath = (texts?: ReadonlySet<number>): ColumnStore => {
    const store = new ColumnStore(4, { texts });
    for (let i = 0; i < rows; i++) {
      store.addRow(
        cells[i].map((v) => {
          const t = v.startsWith('"') ? v.slice(1, -1) : v;
          return isMissingField(t) ? null : t;
        }),
        i + 2,
      );
    }
    return store;
  };
  const first = stringPath();
  assert.deepEqual(first.inexactColumns, [1], 'column b meets texts that are not numbers');
  const expected = stringPath(new Set(first.inexactColumns));
  for (const hwm of [7, 64, 1000, 65536]) {
    const t = await readTable(file, { highWaterMark: hwm });
    assert.equal(t.store.rows, rows);
    for (let j = 0; j < 4; j++) for (let i = 0; i < rows; i++) sameCell(expected, t.store, i, j, `highWaterMark=${hwm}`);
  }
});
