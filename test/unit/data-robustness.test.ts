/**
 * Issue 13 (robustness): every input reads or fails with a located error; nothing changes silently.
 * Readers (encodings, limits, dialects, nesting), schema checks (non-finite numbers, numeric-looking
 * columns, identifiers, labels) and overflow-safe standardisation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable, type ReadOptions } from '../../src/data/table';
import { inferSchema } from '../../src/data/schema';
import { encodeLabels, FeatureEncoder } from '../../src/data/features';
import type { Table } from '../../src/data/types';
import { DataFileError, UserError } from '../../src/util/errors';

const tmp = mkdtempSync(join(tmpdir(), 'dd-robust-'));
let n = 0;
function file(name: string, content: string | Buffer): string {
  const f = join(tmp, `${n++}-${name}`);
  writeFileSync(f, content);
  return f;
}

async function failsAt(f: string, line: number, column: number, message: RegExp, opts: ReadOptions = {}): Promise<DataFileError> {
  let err: DataFileError | undefined;
  await assert.rejects(readTable(f, opts), (e: unknown) => {
    assert.ok(e instanceof DataFileError, `expected DataFileError, got ${String(e)}`);
    assert.deepEqual([e.line, e.column], [line, column], e.message);
    assert.match(e.detail, message);
    err = e;
    return true;
  });
  return err as DataFileError;
}

function schemaFails(t: Table, line: number, column: number, message: RegExp, opts: Parameters<typeof inferSchema>[1]): void {
  assert.throws(
    () => inferSchema(t, opts),
    (e: unknown) => {
      assert.ok(e instanceof DataFileError, String(e));
      assert.deepEqual([e.line, e.column], [line, column], e.message);
      assert.match(e.detail, message);
      return true;
    },
  );
}

const CSV = 'a,b,y\n' + Array.from({ length: 30 }, (_, i) => `${i},${i % 3},${'xy'[i % 2]}\n`).join('');
const cellsOf = (t: Table) => t.records.map((r) => r.cells);

test('UTF-16 LE and BE with a byte order mark are decoded (at any chunk size) and the encoding is reported', async () => {
  const utf8 = await readTable(file('u8.csv', CSV));
  assert.equal(utf8.read?.encoding, 'utf-8');
  for (const [enc, bytes] of [
    ['utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CSV, 'utf16le')])],
    ['utf-16be', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(CSV, 'utf16le').swap16()])],
  ] as const) {
    for (const hwm of [undefined, 1, 3]) {
      const t = await readTable(file('u16.csv', bytes), { highWaterMark: hwm });
      assert.equal(t.read?.encoding, enc);
      assert.deepEqual(t.columns, ['a', 'b', 'y']);
      assert.deepEqual(cellsOf(t), cellsOf(utf8));
      assert.deepEqual(t.records.map((r) => r.line), utf8.records.map((r) => r.line));
    }
  }
  // Without a BOM the NUL bytes give it away: an error naming UTF-16 at the first NUL (line 1, after "a").
  await failsAt(file('u16nobom.csv', Buffer.from(CSV, 'utf16le')), 1, 2, /NUL character.*UTF-16 without a byte order mark/);
});

test('invalid UTF-8 is a located error, wherever the chunks split; valid multi-byte text split by chunks reads intact', async () => {
  const bad = Buffer.from('a,y\n1,caf\xe9\n2,ok\n', 'latin1'); // Latin-1 é: byte 0xe9 then a line feed
  for (const hwm of [undefined, 1, 2, 5]) {
    await failsAt(file('latin1.csv', bad), 2, 6, /invalid UTF-8 \(bytes 0xe9 0x0a.*iconv/, { highWaterMark: hwm });
  }
  // A multi-byte character cut off by the end of the file.
  await failsAt(file('cut.csv', Buffer.concat([Buffer.from('a,y\n1,x\n2,'), Buffer.from([0xe2, 0x82])])), 3, 3, /invalid UTF-8.*end of the file/);
  const text = 'a,y\n1,café\n2,€uro\n3,😀\n4,café\n';
  for (const hwm of [1, 2, 3]) {
    const t = await readTable(file('mb.csv', text), { highWaterMark: hwm });
    assert.deepEqual(cellsOf(t), [['1', 'café'], ['2', '€uro'], ['3', '😀'], ['4', 'café']]);
  }
  // A genuine U+FFFD in the file is text, not an error.
  const t = await readTable(file('fffd.csv', 'a,y\n1,\ufffd\n2,x\n'));
  assert.equal(t.records[0].cells[1], '\ufffd');
});

test('a NUL byte is a located error, never a silent switch of the column to text', async () => {
  await failsAt(file('nul.csv', 'a,y\n1,x\n2\u0000,y\n'), 3, 2, /NUL character/);
  await failsAt(file('nul.jsonl', '{"a":1,"y":"x"}\n{"a":2\u0000,"y":"y"}\n'), 2, 7, /NUL character/);
});

test('directories, devices and missing files are UserErrors naming the file, and nothing is read from them', async () => {
  const dir = join(tmp, 'd.csv');
  mkdirSync(dir);
  for (let k = 0; k < 5; k++) await assert.rejects(readTable(dir), (e: unknown) => e instanceof UserError && /d\.csv: it is a directory/.test((e as Error).message));
  const zero = join(tmp, 'zero.csv');
  symlinkSync('/dev/zero', zero);
  await assert.rejects(readTable(zero), (e: unknown) => e instanceof UserError && /zero\.csv: it is a device/.test((e as Error).message));
  await assert.rejects(readTable(join(tmp, 'nope.csv')), (e: unknown) => e instanceof UserError && /nope\.csv: no such file/.test((e as Error).message));
});

test('a record or line longer than the limit is an error at its start, not an out-of-memory crash', async () => {
  const long = 'x'.repeat(5000);
  await failsAt(file('long.csv', `a,y\n1,x\n2,"${long}"\n`), 3, 1, /longer than 1,000 characters \(inside the quoted field opened at line 3, column 3/, {
    maxRecordChars: 1000,
    highWaterMark: 256,
  });
  await failsAt(file('long.tsv', `a\ty\n1\tx\n2\t${long}\n`), 3, 1, /longer than 1,000 characters/, { maxRecordChars: 1000, highWaterMark: 256 });
  await failsAt(file('long.jsonl', `{"y":"x"}\n{"y":"${long}"}\n`), 2, 1, /line is longer than 1,000 characters/, { maxRecordChars: 1000, highWaterMark: 256 });
});

test('deeply nested JSON Lines: a located error, no stack overflow', async () => {
  for (const depth of [300, 100_000]) {
    const line = `{"a": ${'['.repeat(depth)}${']'.repeat(depth)}, "y": 1}`;
    await failsAt(file('deep.jsonl', `{"a": 1, "y": 2}\n${line}\n`), 2, 6 + 256, /nested more than 256 levels/);
  }
  // Unbalanced nesting too (JSON.parse fails first).
  await failsAt(file('deep2.jsonl', `{"a": ${'['.repeat(100_000)}}\n`), 1, 6 + 256, /nested more than 256 levels/);
});

// The SMS Spam Collection as published: label TAB message, messages may start with a quote.
const SMS = 'label\tmessage\nham\tGo until jurong point\nspam\t"Free" entry in 2 a wkly comp\nham\t"Hi there\nham\tOk lar... "Joking"\nspam\tWINNER!! claim "now\n';

test('TSV as published: quotes that do not follow RFC 4180 make the file read without quoting, and say so', async () => {
  const f = file('sms.tsv', SMS);
  const t = await readTable(f);
  assert.equal(t.read?.quoting, 'none');
  assert.match(t.read?.note ?? '', /^read without quoting: the file's quotes do not follow RFC 4180 \(3:12: unexpected text after the closing quote.*--quote rfc4180/);
  assert.deepEqual(cellsOf(t), [
    ['ham', 'Go until jurong point'],
    ['spam', '"Free" entry in 2 a wkly comp'],
    ['ham', '"Hi there'],
    ['ham', 'Ok lar... "Joking"'],
    ['spam', 'WINNER!! claim "now'],
  ]);
  assert.deepEqual(t.records.map((r) => r.line), [2, 3, 4, 5, 6]);
  // Forced RFC 4180: the error names the option that reads it.
  await failsAt(f, 3, 12, /unexpected text after the closing quote.*--quote none \(setting datasetDebugger\.quoting\)/, { quoting: 'rfc4180' });
  // A TSV that does use RFC 4180 quoting keeps it.
  const q = await readTable(file('q.tsv', 'a\ty\n"x\ty"\t1\n"say ""hi"""\t2\n'));
  assert.equal(q.read?.quoting, 'rfc4180');
  assert.deepEqual(cellsOf(q), [['x\ty', '1'], ['say "hi"', '2']]);
});

test('CSV: a bare quote inside an unquoted field is an error at the quote (RFC 4180); --quote none reads it', async () => {
  const f = file('bare.csv', 'a,b,y\n1,4"5,x\n2,3,y\n');
  await failsAt(f, 2, 4, /a quote inside an unquoted field.*"4""5".*--quote none/);
  const t = await readTable(f, { quoting: 'none' });
  assert.deepEqual(cellsOf(t), [['1', '4"5', 'x'], ['2', '3', 'y']]);
  assert.equal(t.read?.quoting, 'none');
  // Unknown extension: the hint names an option that exists.
  await failsAt(file('data.txt', 'a,y\n1,x\n'), 1, 1, /--format csv\|tsv\|jsonl/);
  const viaFormat = await readTable(file('data.txt', 'a,y\n1,x\n'), { format: 'csv' });
  assert.deepEqual(cellsOf(viaFormat), [['1', 'x']]);
});

test('Infinity, inf and 1e309 in a numeric column are located errors, never a silent switch to text', async () => {
  for (const bad of ['Infinity', '-inf', '1e309', ' -1E400 ']) {
    const t = await readTable(file('inf.csv', CSV.replace('7,1,y', `${bad},1,y`)));
    schemaFails(t, 9, 1, new RegExp(`column "a" holds numbers, but "${bad.replace('+', '\\+')}" is not a finite number.*--kinds a=categorical`), { label: 'y' });
    // Declaring the kind overrides the check.
    assert.equal(inferSchema(t, { label: 'y', kinds: { a: 'categorical' } }).features[0].kind, 'categorical');
  }
});

test('a numeric-looking column with a stray word is an error at that cell; --kinds overrides', async () => {
  const t = await readTable(file('stray.csv', CSV.replace('12,0,x', '12,0,x').replace('13,1,y', 'unknown,1,y')));
  schemaFails(t, 15, 1, /column "a" looks numeric \(29 of its 30 values are numbers\) but "unknown" is not a number.*NA \(missing\)/, { label: 'y' });
  assert.equal(inferSchema(t, { label: 'y', kinds: { a: 'text' } }).features[0].kind, 'text');
  // NA is missing, so the column stays numeric.
  const na = await readTable(file('na.csv', CSV.replace('13,1,y', 'NA,1,y')));
  assert.equal(inferSchema(na, { label: 'y' }).features[0].kind, 'numeric');
});

test('an identifier-like column is left out with a note; kinds keeps it', async () => {
  const rows = Array.from({ length: 40 }, (_, i) => `id-${(i * 7919) % 100003},${i % 5},${'ab'[i % 2]}\n`).join('');
  const t = await readTable(file('ids.csv', 'id,v,y\n' + rows));
  const s = inferSchema(t, { label: 'y' });
  assert.deepEqual(s.features.map((f) => f.name), ['v']);
  assert.deepEqual(s.ignored, ['id']);
  assert.match(s.notes?.[0] ?? '', /column "id" left out: it looks like an identifier \(40 distinct single-word values\).*--kinds id=text/);
  assert.deepEqual(inferSchema(t, { label: 'y', kinds: { id: 'text' } }).features.map((f) => f.name), ['id', 'v']);
});

test('labels are trimmed in every format: " x", "x" and "x " are one class; a blank label is missing', async () => {
  const csv = await readTable(file('ws.csv', 'a,y\n1, x\n2,x\n3,"x "\n4,z\n5,\t\n'));
  const s = inferSchema(csv, { label: 'y' });
  const enc = encodeLabels(csv, s);
  assert.deepEqual(enc.classes, ['x', 'z']);
  assert.deepEqual([...enc.y], [0, 0, 0, 1]);
  assert.deepEqual(enc.skipped, [{ row: 4, line: 6 }]);
  const jl = await readTable(file('ws.jsonl', '{"a":1,"y":" x"}\n{"a":2,"y":"x"}\n{"a":3,"y":"x\\t"}\n{"a":4,"y":"z"}\n{"a":5,"y":" "}\n'));
  const e2 = encodeLabels(jl, inferSchema(jl, { label: 'y' }));
  assert.deepEqual(e2.classes, ['x', 'z']);
  assert.deepEqual(e2.skipped.map((r) => r.row), [4]);
});

test('a numeric label with many values is refused as a continuous target; too many classes are refused; maxClasses overrides', async () => {
  const rows = Array.from({ length: 1000 }, (_, i) => `${i % 7},${(i * 37) % 500}\n`).join('');
  const t = await readTable(file('cont.csv', 'a,y\n' + rows));
  schemaFails(t, 1, 1, /looks like a continuous target \(500 distinct numbers in 1000 rows\).*--max-classes 500/, { label: 'y' });
  assert.equal(inferSchema(t, { label: 'y', maxClasses: 500 }).label.name, 'y');
  schemaFails(t, 1, 1, /has 500 classes, more than 400.*--max-classes 500/, { label: 'y', maxClasses: 400 });
  const words = await readTable(file('many.csv', 'a,y\n' + Array.from({ length: 300 }, (_, i) => `${i % 7},c${i % 150}\n`).join('')));
  schemaFails(words, 1, 1, /has 150 classes, more than 100/, { label: 'y' });
  // Ten numeric classes (digits) are fine.
  const ten = await readTable(file('ten.csv', 'a,y\n' + Array.from({ length: 100 }, (_, i) => `${i},${i % 10}\n`).join('')));
  assert.equal(inferSchema(ten, { label: 'y' }).label.name, 'y');
});

test('standardisation is overflow-safe: values near 1e308 give finite z-scores with mean 0 and std 1', async () => {
  const t = await readTable(file('big.csv', 'a,b,y\n1e308,1,x\n1e308,2,y\n-1e308,3,x\n5,4,y\n1.7e308,5,x\n'));
  const s = inferSchema(t, { label: 'y' });
  const labels = encodeLabels(t, s);
  const enc = FeatureEncoder.fit(t, s, labels.records);
  const X = enc.transform(t, labels.records);
  const D = enc.dim;
  const z = Array.from({ length: 5 }, (_, i) => X[i * D]);
  assert.ok(z.every(Number.isFinite), String(z));
  const mean = z.reduce((a, b) => a + b, 0) / 5;
  const sd = Math.sqrt(z.reduce((a, b) => a + (b - mean) ** 2, 0) / 5);
  assert.ok(Math.abs(mean) < 1e-12 && Math.abs(sd - 1) < 1e-12, `${mean} ${sd}`);
  const xs = [1e308, 1e308, -1e308, 5, 1.7e308];
  const m = xs.reduce((a, b) => a + b / 5, 0);
  assert.ok(Math.abs(enc.numericColumns[0].mean - m) / m < 1e-12);
});

test('hashed text features are scaled to the data unless the dimension is given', async () => {
  const t = await readTable(file('t.csv', 'a,b,txt,y\n1,2,hello,x\n3,4,world,z\n5,6,foo,w\n7,8,bar,x\n'));
  const s = inferSchema(t, { label: 'y' });
  const labels = encodeLabels(t, s);
  const auto = FeatureEncoder.fit(t, s, labels.records);
  assert.deepEqual(auto.report.text, { txt: { dimensions: 16, vocabulary: 4 } });
  assert.equal(auto.dim, 2 + 16 + 1);
  assert.equal(FeatureEncoder.fit(t, s, labels.records, { textDimensions: 1024 }).report.text?.txt.dimensions, 1024);
});
