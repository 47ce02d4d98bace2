/**
 * Cursor line -> data row and row -> record lines, checked against files whose records span several
 * lines (quoted fields with line breaks), with CRLF, blank lines and a script-like cell. The start lines
 * come from the real parser (readTable), as the worker sends them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { formatOfPath, recordEndLine, recordIndexAtLine } from '../../extension/lineMap';
import { readTable } from '../../src/data/table';

interface Rec {
  fields: string[];
}

/** Writes records as CSV (quoting fields that need it), returning each record's first and last line. */
function writeCsv(file: string, header: string[], recs: Rec[], eol: string, blankAfter: Set<number>): { start: number; end: number }[] {
  const q = (f: string) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
  let text = header.join(',') + eol;
  let line = 2;
  const spans: { start: number; end: number }[] = [];
  recs.forEach((r, i) => {
    const body = r.fields.map(q).join(',');
    const breaks = (body.match(/\r\n|\r|\n/g) ?? []).length;
    spans.push({ start: line, end: line + breaks });
    text += body + eol;
    line += breaks + 1;
    if (blankAfter.has(i)) {
      text += eol;
      line++;
    }
  });
  writeFileSync(file, text);
  return spans;
}

const RECORDS: Rec[] = [
  { fields: ['1', 'plain', 'a'] },
  { fields: ['2', 'two\nlines', 'b'] },
  { fields: ['3', '<img src=x onerror=alert(1)>', 'a'] },
  { fields: ['4', 'he said ""hi""\nthen\n\nleft, twice', 'b'] },
  { fields: ['5', 'x', 'a'] },
  { fields: ['6', 'ends with a break\n', 'b'] },
  { fields: ['7', 'last', 'a'] },
];

for (const eol of ['\n', '\r\n']) {
  test(`every line of a CSV with multi-line quoted records maps to its record (${JSON.stringify(eol)} line ends)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-linemap-'));
    const file = join(dir, 'data.csv');
    const spans = writeCsv(file, ['id', 'text', 'label'], RECORDS, eol, new Set([1, 4]));
    const table = await readTable(file);
    const starts = table.records.map((r) => r.line);
    assert.deepEqual(starts, spans.map((s) => s.start), 'the parser reports each record at its first line');

    const physical = readFileSync(file, 'utf8').split(/\r\n|\n/);
    const lineAt = (n: number) => (n >= 1 && n <= physical.length ? physical[n - 1] : undefined);
    // The end of each record follows its quoted fields across line breaks.
    spans.forEach((s, i) => assert.equal(recordEndLine(lineAt, s.start, 'csv'), s.end, `end of record ${i}`));

    const lastLine = recordEndLine(lineAt, starts[starts.length - 1], 'csv');
    for (let line = 1; line <= physical.length + 2; line++) {
      const expected = spans.findIndex((s) => line >= s.start && line <= s.end);
      const got = recordIndexAtLine(starts, line, lastLine);
      if (expected >= 0) assert.equal(got, expected, `line ${line}`);
      else if (line === 1 || line > lastLine) assert.equal(got, -1, `line ${line} belongs to no record`);
      else assert.equal(got, spans.filter((s) => s.start <= line).length - 1, `blank line ${line} goes with the record before it`);
    }
    // The record index is not the line index: record 3 starts several lines after line 3 + 1.
    assert.ok(starts[3] > 3 + 2);
  });
}

test('recordIndexAtLine: header, empty map, first and last records, binary search on a long map', () => {
  assert.equal(recordIndexAtLine([], 5), -1);
  assert.equal(recordIndexAtLine([2, 3, 7], 1), -1);
  assert.equal(recordIndexAtLine([2, 3, 7], 2), 0);
  assert.equal(recordIndexAtLine([2, 3, 7], 6), 1);
  assert.equal(recordIndexAtLine([2, 3, 7], 7), 2);
  assert.equal(recordIndexAtLine([2, 3, 7], 9), 2, 'without a last line, everything after the last start is the last record');
  assert.equal(recordIndexAtLine([2, 3, 7], 9, 8), -1);
  const starts = Array.from({ length: 100_000 }, (_, i) => 2 + 3 * i);
  for (const i of [0, 1, 4242, 99_998, 99_999]) {
    assert.equal(recordIndexAtLine(starts, starts[i]), i);
    assert.equal(recordIndexAtLine(starts, starts[i] + 2), i);
  }
});

test('recordEndLine: TSV quotes, a quote inside an unquoted field, JSONL, an unterminated quote at the end', () => {
  const lines = ['a\t"b', 'c"\td', 'x\ty"z\tw', '"never', 'closed'];
  const at = (n: number) => lines[n - 1];
  assert.equal(recordEndLine(at, 1, 'tsv'), 2);
  assert.equal(recordEndLine(at, 3, 'tsv'), 3, 'a quote in the middle of a field does not open a quoted field');
  assert.equal(recordEndLine(at, 4, 'tsv'), 5, 'an unterminated quoted field runs to the end of the file');
  assert.equal(recordEndLine(at, 1, 'jsonl'), 1);
});

test('formatOfPath knows the extensions the engine reads', () => {
  assert.equal(formatOfPath('/a/train.CSV'), 'csv');
  assert.equal(formatOfPath('x.tab'), 'tsv');
  assert.equal(formatOfPath('x.ndjson'), 'jsonl');
  assert.equal(formatOfPath('x.json'), undefined);
});
