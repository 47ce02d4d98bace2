/**
 * The re-score's label-only re-read (src/engine/labelReread.ts): when only label cells of a CSV/TSV
 * file changed, the table made from the last scan's table and the changed label cells holds every
 * cell (and line) that parsing the new file gives; any other change is found, says where, and the
 * file is parsed in full.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '../../src/data/table';
import type { Table } from '../../src/data/types';
import { applyCellEdits, labelCellEdits } from '../../src/edit/labelCell';
import { readScanFile } from '../../src/engine/labelReread';
import { hashFile } from '../../src/engine/scanInputs';

const root = join(__dirname, '..', '..');

/** Reads `before`, then `after` through the label-only path; returns its result and a full parse of `after`. */
async function reread(name: string, before: string | Buffer, after: string | Buffer, label: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'dd-reread-')), name);
  writeFileSync(file, before);
  const parse = () => readTable(file);
  const first = await readScanFile(file, parse, () => hashFile(file));
  assert.ok(first.source, 'a small UTF-8 CSV/TSV file keeps its bytes');
  const prev = { table: first.table, source: first.source, label: first.table.columns.indexOf(label) };
  writeFileSync(file, after);
  const second = await readScanFile(file, parse, () => hashFile(file), prev);
  assert.equal(second.hash, await hashFile(file), "the content hash is the file's SHA-256");
  return { second, parsed: await readTable(file) };
}

function assertSameCells(a: Table, b: Table): void {
  assert.deepEqual(a.columns, b.columns);
  assert.equal(a.store.rows, b.store.rows);
  assert.equal(a.headerLine, b.headerLine);
  assert.deepEqual(a.read, b.read);
  for (let i = 0; i < a.store.rows; i++) {
    assert.equal(a.store.line(i), b.store.line(i), `line of row ${i}`);
    for (let j = 0; j < a.columns.length; j++) assert.equal(a.store.cell(i, j), b.store.cell(i, j), `row ${i}, column ${a.columns[j]}`);
  }
}

test('breast_cancer with labels changed in place (longer and shorter label texts): the changed rows only, every cell as a full parse reads it', async () => {
  const text = readFileSync(join(root, 'test/fixtures/data/breast_cancer.csv'), 'utf8');
  const opts = { format: 'csv' as const, labelColumn: 'diagnosis' };
  const first = await readTable(join(root, 'test/fixtures/data/breast_cancer.csv'));
  const j = first.columns.indexOf('diagnosis');
  const rows = [0, 1, 17, 300, first.store.rows - 1];
  const flip = (i: number) => (first.store.cell(i, j) === 'benign' ? 'malignant' : 'benign');
  const after = applyCellEdits(text, labelCellEdits(text, opts, rows.map((row) => ({ row, newLabel: flip(row) }))));
  const { second, parsed } = await reread('bc.csv', text, after, 'diagnosis');
  assert.equal(second.why, undefined);
  assert.equal(second.labelCells, rows.length);
  assertSameCells(second.table, parsed);
  // The kept record offsets follow the new bytes: a second round of changes on top of this one.
  const again = applyCellEdits(after, labelCellEdits(after, opts, [{ row: 2, newLabel: flip(2) }, { row: 300, newLabel: flip(300) === 'benign' ? 'malignant' : 'benign' }]));
  const file = parsed.file;
  writeFileSync(file, again);
  const third = await readScanFile(file, () => readTable(file), () => hashFile(file), { table: second.table, source: second.source, label: j });
  assert.equal(third.why, undefined);
  assert.equal(third.labelCells, 2);
  assertSameCells(third.table, await readTable(file));
});

test('quoted fields, doubled quotes, a quoted line break in another cell, CRLF, a BOM, a missing-value token: label-only changes read as a full parse reads them', async () => {
  const rows = [
    ['1.5', '"a, b"', 'x'],
    ['2', '"line one\r\nline two"', '"y"'],
    ['3', 'plain', 'x'],
    ['4.25', '"say ""hi"""', 'y'],
    ['5', 'z', 'x'],
  ];
  const csv = (rs: string[][]) => '\ufeffnum,text,label\r\n' + rs.map((r) => r.join(',')).join('\r\n') + '\r\n';
  const after = rows.map((r) => [...r]);
  after[0][2] = '"y ""quoted"""'; // quoted, with an escaped quote
  after[1][2] = 'x'; // was quoted
  after[3][2] = 'NA'; // missing
  after[4][2] = 'a much longer label';
  const { second, parsed } = await reread('q.csv', csv(rows), csv(after), 'label');
  assert.equal(second.why, undefined);
  assert.equal(second.labelCells, 4);
  assertSameCells(second.table, parsed);
  assert.equal(second.table.store.cell(0, 2), 'y "quoted"');
  assert.equal(second.table.store.cell(3, 2), null);
  assert.equal(second.table.store.line(2), 5, 'the row after the quoted line break (lines 3-4) starts at line 5');
});

test('TSV, label in the first column: label-only changes read as a full parse reads them', async () => {
  const tsv = (labels: string[]) => 'label\ta\tb\n' + labels.map((l, i) => `${l}\t${i}\t${i * 2}.5`).join('\n');
  const { second, parsed } = await reread('t.tsv', tsv(['p', 'q', 'p', 'q']), tsv(['p', 'pq', 'p', '']), 'label');
  assert.equal(second.why, undefined);
  assert.equal(second.labelCells, 2);
  assertSameCells(second.table, parsed);
});

test('a change outside the label cells is found and named, and the file is parsed in full', async () => {
  const text = readFileSync(join(root, 'test/fixtures/data/breast_cancer.csv'), 'utf8');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(eol);
  const header = lines[0].split(',');
  const label = header.indexOf('diagnosis');
  assert.ok(label >= 0);
  const edit = (line: number, f: (cells: string[]) => void) => {
    const ls = [...lines];
    const cells = ls[line].split(',');
    f(cells);
    ls[line] = cells.join(',');
    return ls.join(eol);
  };
  const feature = label === 0 ? 1 : 0;
  const cases: [string, string, RegExp][] = [
    ['a feature cell of row 4', edit(5, (c) => (c[feature] = c[feature] + '1')), /row 4: a field (before|after) the label changed/],
    ['a feature cell and a label in one row', edit(7, (c) => ((c[feature] = c[feature] + '1'), (c[label] = 'benign' === c[label] ? 'malignant' : 'benign'))), /row 6: a field (before|after) the label changed/],
    ['the header', edit(0, (c) => (c[feature] = c[feature] + '_')), /the header changed/],
    ['a blank line', [...lines.slice(0, 10), '', ...lines.slice(10)].join(eol), /row 9: a field before the label changed/],
    ['a line ending', lines.slice(0, 20).join(eol) + (eol === '\n' ? '\r\n' : '\n') + lines.slice(20).join(eol), /outside the records|after the label/],
    ['a label with a line break', edit(3, (c) => (c[label] = '"benign\nx"')), /row 2: a line break in the label/],
    ['a row removed', [...lines.slice(0, 10), ...lines.slice(11)].join(eol), /./],
  ];
  for (const [what, after, why] of cases) {
    const { second, parsed } = await reread('bc.csv', text, after, 'diagnosis');
    assert.match(second.why ?? '', why, what);
    assert.equal(second.labelCells, undefined, what);
    assertSameCells(second.table, parsed);
  }
});
