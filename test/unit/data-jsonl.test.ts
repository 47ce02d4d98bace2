import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable, locateCell } from '../../src/data/table';
import { scanJson } from '../../src/data/jsonl';
import { DataFileError } from '../../src/util/errors';

const P = join(__dirname, '../fixtures/parser');
const tmp = mkdtempSync(join(tmpdir(), 'dd-jsonl-'));

async function failsAt(file: string, line: number, column: number, message: RegExp, hwm?: number): Promise<void> {
  await assert.rejects(readTable(file, { highWaterMark: hwm }), (e: unknown) => {
    assert.ok(e instanceof DataFileError, `expected DataFileError, got ${String(e)}`);
    assert.deepEqual([e.file, e.line, e.column], [file, line, column], e.message);
    assert.match(e.detail, message);
    return true;
  });
}

// (duplicates: data-csv.test.ts's checks of rows and lines, on JSONL input.)
test('JSONL: union of keys in order of first appearance; cell conversion; exact lines with blank lines and CRLF', async () => {
  const t = await readTable(join(P, 'mixed.jsonl'));
  assert.equal(t.format, 'jsonl');
  assert.deepEqual(t.columns, ['text', 'label', 'extra', 'n', 'flag', 'obj']);
  assert.deepEqual(
    t.records.map((r) => [r.row, r.line]),
    [
      [0, 1],
      [1, 3],
      [2, 5],
      [3, 6],
    ],
  );
  assert.deepEqual(
    t.records.map((r) => r.cells),
    [
      ['first', 'a', null, null, null, null],
      [null, 'b', '[1,2]', null, null, null],
      ['Zoë 😀', null, null, '2.5', 'true', '{"k":"v"}'],
      ['line\nbreak "q"', 'a', null, '0', null, null],
    ],
  );
  for (let hwm = 1; hwm <= 7; hwm++) {
    assert.deepEqual(await readTable(join(P, 'mixed.jsonl'), { highWaterMark: hwm }), t, `highWaterMark=${hwm}`);
  }
});

test('JSONL: integer-like keys keep their textual order', async () => {
  const f = join(tmp, 'keys.jsonl');
  writeFileSync(f, '{"b": 1, "10": 2, "a": 3}\n{"2": "x", "b": 4}\n');
  const t = await readTable(f);
  assert.deepEqual(t.columns, ['b', '10', 'a', '2']);
  assert.deepEqual(t.records[1].cells, ['4', null, null, 'x']);
});

test('JSONL: malformed lines fail with one error at the exact line and column', async () => {
  for (const hwm of [undefined, 1, 3]) {
    await failsAt(join(P, 'bad_json.jsonl'), 3, 15, /invalid JSON: expected a value, found '}'/, hwm);
    await failsAt(join(P, 'bad_nonobject.jsonl'), 2, 3, /expected a JSON object .* found an array/, hwm);
  }
  const f = join(tmp, 'bad.jsonl');
  const cases: [string, number, number, RegExp][] = [
    ['{"a": 1}\r\n{"a": "unterminated}\n', 2, 7, /unterminated string/],
    ['{"a": 1,}\n', 1, 9, /expected a property name/],
    ['{"a": 1} x\n', 1, 10, /unexpected text after the JSON value/],
    ['{"a" 1}\n', 1, 6, /expected ':'/],
    ['{"a": [1 2]}\n', 1, 10, /expected ',' or '\]'/],
    ['{"a": 01}\n', 1, 8, /expected ',' or '}'/],
    ['{"a": "\\x"}\n', 1, 8, /invalid escape/],
    ['\n\n"just a string"\n', 3, 1, /found a string/],
    ['{"a": 1}\nnull\n', 2, 1, /found null/],
  ];
  for (const [text, line, column, message] of cases) {
    writeFileSync(f, text);
    await failsAt(f, line, column, message);
  }
  writeFileSync(f, '');
  await failsAt(f, 1, 1, /the file is empty/);
  writeFileSync(f, '\n  \r\n');
  await failsAt(f, 1, 1, /only blank lines/);
});

test('scanJson finds the top-level keys and where their values start and end', () => {
  const s = '{"a": 1, "b c": {"a": 2}, "d":"x"}';
  assert.deepEqual(scanJson(s), {
    keys: [
      { key: 'a', valueIndex: 6, valueEnd: 7 },
      { key: 'b c', valueIndex: 16, valueEnd: 24 },
      { key: 'd', valueIndex: 30, valueEnd: 33 },
    ],
  });
  assert.equal(s[30], '"');
  assert.equal(s.slice(16, 24), '{"a": 2}');
});

test('locateCell points at a JSONL value and at a CSV field (quoted: its opening quote)', async () => {
  const t = await readTable(join(P, 'mixed.jsonl'));
  assert.deepEqual(locateCell(t, t.records[2], t.columns.indexOf('n')), { line: 5, column: 25 });
  const c = await readTable(join(P, 'quoted.csv'));
  assert.deepEqual(locateCell(c, c.records[0], 2), { line: 2, column: 17 });
  assert.deepEqual(locateCell(c, c.records[4], 1), { line: 11, column: 3 });
  // A quoted field on the second line of a record that starts at line 7.
  const f = join(tmp, 'multi.csv');
  writeFileSync(f, 'a,b,c\r\n1,"x\r\ny",3\r\n');
  const m = await readTable(f);
  assert.deepEqual(locateCell(m, m.records[0], 2), { line: 3, column: 4 });
  // A table whose file no longer holds the record falls back to its line.
  writeFileSync(f, 'a,b,c\r\n');
  assert.deepEqual(locateCell(m, m.records[0], 2), { line: 2, column: 1 });
});
