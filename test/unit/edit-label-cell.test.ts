import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '../../src/data/table';
import {
  applyCellEdits,
  labelCellEdits,
  readLabelRecords,
  recordHash,
  type EditFormat,
  type LabelChange,
} from '../../src/edit/labelCell';
import { DataFileError, UserError } from '../../src/util/errors';

const P = join(__dirname, '../fixtures/parser');
const D = join(__dirname, '../../../shared/data');
const tmp = mkdtempSync(join(tmpdir(), 'dd-edit-'));
let fileNo = 0;

const EXT: Record<EditFormat, string> = { csv: 'csv', tsv: 'tsv', jsonl: 'jsonl' };

/** Reads `text` with the product's real parser (src/data). */
async function parse(text: string, format: EditFormat) {
  const f = join(tmp, `f${fileNo++}.${EXT[format]}`);
  writeFileSync(f, text, 'utf8');
  return readTable(f);
}

/**
 * Applies the changes and checks: (1) the text outside the changed cells is byte for byte the old
 * text, (2) the real parser reads the same records, lines and cells except the changed labels, which
 * read as their new values.
 */
async function checkEdit(text: string, format: EditFormat, label: string, changes: LabelChange[]): Promise<string> {
  const edits = labelCellEdits(text, { format, labelColumn: label }, changes);
  const out = applyCellEdits(text, edits);
  // (1) only the cells' bytes changed
  let at = 0;
  let shift = 0;
  for (const e of edits) {
    assert.equal(out.slice(at + shift, e.start + shift), text.slice(at, e.start), 'bytes before a cell are kept');
    assert.equal(out.slice(e.start + shift, e.start + shift + e.newText.length), e.newText);
    shift += e.newText.length - (e.end - e.start);
    at = e.end;
  }
  assert.equal(out.slice(at + shift), text.slice(at), 'bytes after the last cell are kept');
  // (2) the parser sees only the label changes
  const before = await parse(text, format);
  const after = await parse(out, format);
  assert.deepEqual(after.columns, before.columns);
  const li = before.columns.indexOf(label);
  const want = new Map(changes.map((c) => [c.row, c.newLabel]));
  assert.equal(after.records.length, before.records.length);
  for (let r = 0; r < before.records.length; r++) {
    const b = before.records[r];
    const a = after.records[r];
    assert.equal(a.line, b.line, `row ${r} keeps its line`);
    const expected = [...b.cells];
    if (want.has(r)) expected[li] = want.get(r)!;
    assert.deepEqual(a.cells, expected, `row ${r}`);
  }
  return out;
}

test('readLabelRecords agrees with the real parser on rows, lines and labels (fixtures and real data)', async () => {
  const cases: [string, string][] = [
    [join(P, 'quoted.csv'), 'label'],
    [join(P, 'quoted.tsv'), 'label'],
    [join(P, 'mixed.jsonl'), 'label'],
    [join(D, 'wine.csv'), 'class'],
    [join(D, 'reviews.jsonl'), 'label'],
  ];
  for (const [file, label] of cases) {
    const text = readFileSync(file, 'utf8');
    const format = (file.endsWith('.tsv') ? 'tsv' : file.endsWith('.jsonl') ? 'jsonl' : 'csv') as EditFormat;
    const recs = readLabelRecords(text, { format, labelColumn: label });
    const table = await readTable(file);
    const li = table.columns.indexOf(label);
    assert.equal(recs.length, table.records.length, file);
    for (let i = 0; i < recs.length; i++) {
      assert.equal(recs[i].row, table.records[i].row);
      assert.equal(recs[i].line, table.records[i].line, `${file} row ${i}`);
      const cell = table.records[i].cells[li];
      if (cell === null) assert.match(recs[i].label ?? '', /^\s*(?:NA|N\/A|NaN|null|\?)?\s*$/, `${file} row ${i} is missing`);
      else assert.equal(recs[i].label, cell, `${file} row ${i}`);
    }
  }
});

test('CSV with BOM, CRLF, quoted multi-line fields and blank lines: only the label cell changes', async () => {
  const text = '\uFEFFid,name,label\r\n1,"Smith, John",yes\r\n\r\n2,"two\r\nlines",no\r\n3,x,"yes"\r\n';
  const out = await checkEdit(text, 'csv', 'label', [
    { row: 0, newLabel: 'no', oldLabel: 'yes', line: 2 },
    { row: 1, newLabel: 'yes', oldLabel: 'no', line: 4 },
    { row: 2, newLabel: 'maybe', oldLabel: 'yes', line: 6 },
  ]);
  assert.equal(out, '\uFEFFid,name,label\r\n1,"Smith, John",no\r\n\r\n2,"two\r\nlines",yes\r\n3,x,"maybe"\r\n');
});

test('CSV with lone CR line endings and a label in the middle column', async () => {
  const text = 'a,label,b\r1,x,2\r3,"y",4\r5,x,6';
  const out = await checkEdit(text, 'csv', 'label', [
    { row: 1, newLabel: 'x', oldLabel: 'y', line: 3 },
    { row: 2, newLabel: 'y', line: 4 },
  ]);
  assert.equal(out, 'a,label,b\r1,x,2\r3,"x",4\r5,y,6');
});

test('CSV: a new value is quoted only when it needs quotes', async () => {
  const text = 'f,label\n1,a\n2,b\n3,c\n4,d\n';
  const out = await checkEdit(text, 'csv', 'label', [
    { row: 0, newLabel: 'has,comma' },
    { row: 1, newLabel: 'say "hi"' },
    { row: 3, newLabel: 'plain text' },
  ]);
  assert.equal(out, 'f,label\n1,"has,comma"\n2,"say ""hi"""\n3,c\n4,plain text\n');
  // a line break in the new label: quoted, and the parser reads it back (later rows move one line down)
  const nl = applyCellEdits(text, labelCellEdits(text, { format: 'csv', labelColumn: 'label' }, [{ row: 2, newLabel: 'two\nlines' }]));
  assert.equal(nl, 'f,label\n1,a\n2,b\n3,"two\nlines"\n4,d\n');
  const t = await parse(nl, 'csv');
  assert.deepEqual(t.records.map((r) => [r.line, r.cells[1]]), [[2, 'a'], [3, 'b'], [4, 'two\nlines'], [6, 'd']]);
});

test('CSV parser fixture (BOM, quoted newlines, doubled quotes, unicode, blank lines): each label in turn', async () => {
  const text = readFileSync(join(P, 'quoted.csv'), 'utf8');
  const recs = readLabelRecords(text, { format: 'csv', labelColumn: 'label' });
  for (const r of recs) {
    if (r.label === null || r.label === '') continue;
    await checkEdit(text, 'csv', 'label', [{ row: r.row, newLabel: r.label === 'yes' ? 'no' : 'yes', oldLabel: r.label }]);
  }
});

test('TSV: commas stay unquoted, tabs and quotes are quoted, quoted multi-line cells kept', async () => {
  const text = readFileSync(join(P, 'quoted.tsv'), 'utf8');
  await checkEdit(text, 'tsv', 'label', [{ row: 1, newLabel: 'yes', oldLabel: 'no' }]);
  const out = await checkEdit(text, 'tsv', 'label', [
    { row: 0, newLabel: 'a,b' },
    { row: 2, newLabel: 'tab\there' },
  ]);
  assert.ok(out.includes('\ta,b\n'));
  assert.ok(out.includes('\t"tab\there"\n'));
  assert.ok(out.includes('"multi\nline ""quoted"""\tno\n'), 'the other quoted cell is untouched');
});

test('JSONL: key order, spacing and other escapes are kept; only the label value changes', async () => {
  const text =
    '{"text": "line\\nbreak \\"q\\" \\u00e9", "label": "a", "n": 0}\r\n' +
    '\r\n' +
    '{"label":"b","text":"x"}\r' +
    '{"text": "dup", "label": "a", "label": "b"}\n' +
    '{"text": "n", "label": 1, "ok": true}\n' +
    '{"text": "flag", "label": false}';
  const out = await checkEdit(text, 'jsonl', 'label', [
    { row: 0, newLabel: 'b', oldLabel: 'a', line: 1 },
    { row: 1, newLabel: 'a "quoted"', oldLabel: 'b', line: 3 },
    { row: 2, newLabel: 'c', oldLabel: 'b', line: 4 },
    { row: 3, newLabel: '2', oldLabel: '1' },
    { row: 4, newLabel: 'true', oldLabel: 'false' },
  ]);
  assert.equal(
    out,
    '{"text": "line\\nbreak \\"q\\" \\u00e9", "label": "b", "n": 0}\r\n' +
      '\r\n' +
      '{"label":"a \\"quoted\\"","text":"x"}\r' +
      '{"text": "dup", "label": "a", "label": "c"}\n' +
      '{"text": "n", "label": 2, "ok": true}\n' +
      '{"text": "flag", "label": true}',
  );
  // a number label given a non-number becomes a string
  const s = labelCellEdits(text, { format: 'jsonl', labelColumn: 'label' }, [{ row: 3, newLabel: 'one' }]);
  assert.equal(s[0].newText, '"one"');
});

test('JSONL on real data (reviews.jsonl): flipping ten labels changes exactly those values', async () => {
  const text = readFileSync(join(D, 'reviews.jsonl'), 'utf8');
  const recs = readLabelRecords(text, { format: 'jsonl', labelColumn: 'label' });
  const changes = recs.slice(0, 200).filter((_, i) => i % 20 === 7).map((r) => ({
    row: r.row,
    newLabel: r.label === 'positive' ? 'negative' : 'positive',
    oldLabel: r.label!,
    line: r.line,
  }));
  assert.equal(changes.length, 10);
  const out = await checkEdit(text, 'jsonl', 'label', changes);
  assert.equal(out.length - text.length, changes.reduce((s, c) => s + c.newLabel.length - c.oldLabel.length, 0));
});

test('a change that no longer matches the file is refused with the file, line and reason', () => {
  const text = 'x,label\n1,a\n2,b\n';
  const opts = { format: 'csv' as const, labelColumn: 'label', file: 'train.csv' };
  assert.throws(
    () => labelCellEdits(text, opts, [{ row: 1, newLabel: 'a', oldLabel: 'a' }]),
    (e: unknown) => e instanceof DataFileError && e.line === 3 && /label is 'b', not 'a'/.test(e.message),
  );
  assert.throws(
    () => labelCellEdits(text, opts, [{ row: 1, newLabel: 'a', line: 2 }]),
    (e: unknown) => e instanceof DataFileError && /starts on line 3, not 2/.test(e.message),
  );
  assert.throws(() => labelCellEdits(text, opts, [{ row: 2, newLabel: 'a' }]), (e: unknown) => e instanceof UserError && /no row 2/.test(e.message));
  assert.throws(() => labelCellEdits(text, opts, [{ row: 0, newLabel: ' ' }]), /new label is empty/);
  assert.throws(
    () => labelCellEdits(text, opts, [{ row: 0, newLabel: 'b' }, { row: 0, newLabel: 'c' }]),
    /changed twice/,
  );
  assert.throws(
    () => labelCellEdits(text, { ...opts, labelColumn: 'class' }, []),
    (e: unknown) => e instanceof DataFileError && e.file === 'train.csv' && e.line === 1 && /no column named 'class'/.test(e.message),
  );
  assert.throws(
    () => readLabelRecords('x,label\n1,"a\n', opts),
    (e: unknown) => e instanceof DataFileError && e.line === 2 && e.column === 3 && /unterminated/.test(e.message),
  );
});

test('recordHash follows the content, not the bytes', () => {
  const a = readLabelRecords('x,label\r\n"1",a\r\n', { format: 'csv', labelColumn: 'label' })[0];
  const b = readLabelRecords('x,label\n1,a\n', { format: 'csv', labelColumn: 'label' })[0];
  const c = readLabelRecords('x,label\n1,b\n', { format: 'csv', labelColumn: 'label' })[0];
  assert.equal(recordHash(a), recordHash(b));
  assert.notEqual(recordHash(a), recordHash(c));
});
