import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '../../src/data/table';
import type { Cell, Table } from '../../src/data/types';
import { DataFileError } from '../../src/util/errors';
import { CancelledError, Checkpoint } from '../../src/util/cancel';
import { seededRandom } from '../../src/util/random';

const P = join(__dirname, '../fixtures/parser');
const tmp = mkdtempSync(join(tmpdir(), 'dd-csv-'));

function rows(t: Table): Cell[][] {
  return t.records.map((r) => r.cells);
}

/** Asserts that reading `file` fails with one DataFileError at line:column whose message matches. */
async function failsAt(file: string, line: number, column: number, message: RegExp, hwm?: number): Promise<void> {
  await assert.rejects(readTable(file, { highWaterMark: hwm }), (e: unknown) => {
    assert.ok(e instanceof DataFileError, `expected DataFileError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.deepEqual([e.line, e.column], [line, column], e.message);
    assert.match(e.detail, message);
    assert.ok(e.message.startsWith(`${file}:${line}:${column}: `));
    return true;
  });
}

test('CSV: BOM, CRLF, quoted newlines, doubled quotes and blank lines give exact rows, lines and cells', async () => {
  const t = await readTable(join(P, 'quoted.csv'));
  assert.equal(t.format, 'csv');
  assert.deepEqual(t.columns, ['id', 'name', 'comment', 'score', 'label']); // BOM not part of "id"
  assert.equal(t.headerLine, 1);
  assert.deepEqual(
    t.records.map((r) => [r.row, r.line]),
    [
      [0, 2],
      [1, 4],
      [2, 6],
      [3, 7],
      [4, 11],
      [5, 12],
    ],
  );
  assert.deepEqual(rows(t), [
    ['1', 'Smith, John', 'said "hi"', '3.5', 'yes'],
    ['2', 'plain', 'two\r\nlines', '-1', 'no'],
    ['3', null, null, null, 'yes'], // "" , NA and an empty field are missing
    ['4', 'Zoë', 'a\nb\n"c"', '1e3', 'no'],
    ['5', '日本 😀', null, null, 'yes'], // ? and N/A are missing
    ['6', null, ',', null, null], // null token and an empty last field
  ]);
});

test('TSV: same grammar with a tab delimiter; commas are plain text; no final newline', async () => {
  const t = await readTable(join(P, 'quoted.tsv'));
  assert.equal(t.format, 'tsv');
  assert.deepEqual(t.columns, ['id', 'text', 'label']);
  assert.deepEqual(
    t.records.map((r) => r.line),
    [2, 4, 6, 7],
  );
  assert.deepEqual(rows(t), [
    ['1', 'tab\there', 'yes'],
    ['2', 'multi\nline "quoted"', 'no'],
    ['3', 'a,b,c', 'yes'],
    ['4', null, 'no'],
  ]);
});

test('CSV/TSV: every chunk size gives the same table (quotes, CRLF and UTF-8 split across chunks)', async () => {
  for (const f of ['quoted.csv', 'quoted.tsv', 'missing.csv']) {
    const whole = await readTable(join(P, f));
    for (let hwm = 1; hwm <= 9; hwm++) {
      assert.deepEqual(await readTable(join(P, f), { highWaterMark: hwm }), whole, `${f} highWaterMark=${hwm}`);
    }
  }
});

test('CSV: malformed files fail with one error at the exact line and column', async () => {
  for (const hwm of [undefined, 1, 2]) {
    await failsAt(join(P, 'bad_unterminated.csv'), 3, 3, /unterminated quoted field/, hwm);
    await failsAt(join(P, 'bad_after_quote.csv'), 2, 6, /after the closing quote/, hwm);
    await failsAt(join(P, 'bad_too_many.csv'), 3, 7, /too many fields: the header has 3 columns/, hwm);
    await failsAt(join(P, 'bad_too_few.csv'), 4, 7, /too few fields: the header has 3 columns, this record has 2/, hwm);
    await failsAt(join(P, 'bad_duplicate_header.csv'), 1, 5, /duplicate column name "x"/, hwm);
    await failsAt(join(P, 'empty.csv'), 1, 1, /empty/, hwm);
    await failsAt(join(P, 'header_only.csv'), 2, 1, /no data rows/, hwm);
  }
});

test('CSV: columns are counted in UTF-16 units after a non-ASCII character, as the editor does', async () => {
  const f = join(tmp, 'emoji.csv');
  writeFileSync(f, 'a,b\n😀,"x"!\n');
  await failsAt(f, 2, 7, /after the closing quote/, 1);
});

test('CSV: a trailing delimiter is an empty last field; an extra one points at the end of the line', async () => {
  const f = join(tmp, 'trailing.csv');
  writeFileSync(f, 'a,b\n1,\n2,3,\n');
  await failsAt(f, 3, 5, /too many fields/);
  writeFileSync(f, '\r\n  \n');
  await failsAt(f, 1, 1, /only blank lines/);
  writeFileSync(f, 'a,b\r\n1,\r\n');
  assert.deepEqual(rows(await readTable(f)), [['1', null]]);
});

test('CSV: a lone CR ends a line; an empty header name gets a generated name; header names are trimmed', async () => {
  const f = join(tmp, 'cr.csv');
  writeFileSync(f, ',x , y\r1,2,3\r\r4,"a\rb",6');
  const t = await readTable(f);
  assert.deepEqual(t.columns, ['column_1', 'x', 'y']);
  assert.deepEqual(
    t.records.map((r) => [r.line, ...r.cells]),
    [
      [2, '1', '2', '3'],
      [4, '4', 'a\rb', '6'],
    ],
  );
});

test('readTable: unknown extension and missing file are user errors; format can be forced', async () => {
  const f = join(tmp, 'data.txt');
  writeFileSync(f, 'a\tb\n1\t2\n');
  await assert.rejects(readTable(f), /unknown data format/);
  assert.deepEqual(rows(await readTable(f, { format: 'tsv' })), [['1', '2']]);
  await assert.rejects(readTable(join(tmp, 'nope.csv')), /Cannot read/);
});

test('readTable: a cancelled checkpoint stops reading; progress reaches the end of the file', async () => {
  const ac = new AbortController();
  ac.abort();
  const file = join(__dirname, '../fixtures/data/satellite.csv');
  await assert.rejects(readTable(file, { checkpoint: new Checkpoint(ac.signal) }), CancelledError);
  const seen: number[] = [];
  const cp = new Checkpoint(undefined, (_s, f) => seen.push(f ?? -1), 0);
  cp.begin('read');
  await readTable(file, { checkpoint: cp });
  assert.ok(seen.length > 2);
  assert.equal(seen.at(-1), 1);
  for (let k = 1; k < seen.length; k++) assert.ok(seen[k] >= seen[k - 1]);
});

// ---- randomised round trip: write tables with an independent writer, read them back ----

const rng = seededRandom; // mulberry32, seeded

const PIECES = ['a', 'b', 'x y', '1', '2.5', ',', '\t', '"', '""', '\n', '\r\n', '\r', ' ', 'é', '日本', '😀', 'NA', '?'];
const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'null', '?']);

/** The documented missing-value rule, written independently of the reader. */
function expectedCell(v: string): Cell {
  return MISSING.has(v.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '')) ? null : v;
}

test('CSV/TSV: random tables round-trip with exact lines at random chunk sizes', async () => {
  const rand = rng(20240611);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  for (let trial = 0; trial < 60; trial++) {
    const delim = trial % 3 === 2 ? '\t' : ',';
    const ncol = 1 + Math.floor(rand() * 4);
    const nrow = 1 + Math.floor(rand() * 12);
    const header = Array.from({ length: ncol }, (_, k) => `c${k}`);
    const table: string[][] = Array.from({ length: nrow }, () =>
      Array.from({ length: ncol }, () => {
        let s = '';
        const n = Math.floor(rand() * 4);
        for (let k = 0; k < n; k++) s += pick(PIECES);
        return s;
      }),
    );
    const quote = (v: string): string => {
      const needs = v.includes(delim) || /["\r\n]/.test(v) || (ncol === 1 && v.trim() === '') || rand() < 0.15;
      return needs ? `"${v.replace(/"/g, '""')}"` : v;
    };
    let text = rand() < 0.5 ? '\ufeff' : '';
    const starts: number[] = [];
    const eol = (): string => pick(['\n', '\r\n', '\r']);
    // Blank lines: empty, or spaces and tabs without a delimiter.
    const blank = (): string => (rand() < 0.2 ? pick(['', '  ', delim === ',' ? ' \t' : ' ']) + eol() : '');
    text += blank() + header.join(delim) + eol();
    const tail = blank();
    table.forEach((r, k) => {
      text += blank();
      starts.push(text.length);
      text += r.map(quote).join(delim);
      if (k < nrow - 1 || tail !== '' || rand() < 0.5) text += eol();
    });
    text += tail;
    const lineOf = (at: number): number => 1 + (text.slice(0, at).match(/\r\n|\r|\n/g)?.length ?? 0);
    const f = join(tmp, `rt${trial}.${delim === ',' ? 'csv' : 'tsv'}`);
    writeFileSync(f, text);
    const hwm = 1 + Math.floor(rand() * 12);
    const t = await readTable(f, { highWaterMark: hwm });
    const context = `trial ${trial} hwm ${hwm}: ${JSON.stringify(text)}`;
    assert.deepEqual(t.columns, header, context);
    assert.deepEqual(
      t.records.map((r) => r.line),
      starts.map(lineOf),
      context,
    );
    assert.deepEqual(rows(t), table.map((r) => r.map(expectedCell)), context);
    assert.deepEqual(
      t.records.map((r) => r.row),
      table.map((_, k) => k),
    );
  }
});
