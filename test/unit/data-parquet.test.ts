import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTable } from '../../src/data/table';
import { Session } from '../../src/engine/session';
import { DataFileError } from '../../src/util/errors';

const FIXTURES = join(__dirname, '../fixtures/data');

/** Writes the breast cancer CSV as a real Parquet file (DOUBLE features, STRING label, row groups of 100). */
async function breastCancerParquet(dir: string, opts: { nullLabelRow?: number; renameLabel?: [string, string] } = {}): Promise<string> {
  const { parquetWriteFile } = await import('hyparquet-writer');
  const table = await readTable(join(FIXTURES, 'breast_cancer.csv'));
  const file = join(dir, `breast_cancer${opts.nullLabelRow ?? ''}${opts.renameLabel ? '-renamed' : ''}.parquet`);
  const rows = table.store.rows;
  const columnData = table.columns.map((name, j) => {
    const cells = Array.from({ length: rows }, (_, i) => table.store.cell(i, j));
    if (name === 'diagnosis') {
      const data = cells.map((c, i) => (i === opts.nullLabelRow ? null : opts.renameLabel && c === opts.renameLabel[0] ? opts.renameLabel[1] : c));
      return { name, data, type: 'STRING' as const };
    }
    return { name, data: cells.map((c) => Number(c)), type: 'DOUBLE' as const };
  });
  parquetWriteFile({ filename: file, columnData, rowGroupSize: 100 });
  return file;
}

test('Parquet: a real Parquet file reads to the same cells as its CSV, with row numbers as lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-parquet-'));
  const file = await breastCancerParquet(dir);
  const pq = await readTable(file);
  const csv = await readTable(join(FIXTURES, 'breast_cancer.csv'));
  assert.equal(pq.format, 'parquet');
  assert.deepEqual(pq.columns, csv.columns);
  assert.equal(pq.store.rows, 569);
  for (const i of [0, 99, 100, 568]) {
    assert.equal(pq.store.line(i), i + 1, 'line = 1-based row number');
    for (let j = 0; j < csv.columns.length; j++) assert.equal(pq.store.cell(i, j), csv.store.cell(i, j), `row ${i} column ${csv.columns[j]}`);
  }
});

test('Parquet: a scan gives the CSV scan\'s results; rows without a label are skipped by row number', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-parquet-'));
  const csvScan = new Session();
  const a = await csvScan.scan({ file: join(FIXTURES, 'breast_cancer.csv'), label: 'diagnosis', firstPage: 0 });
  const pqScan = new Session();
  const b = await pqScan.scan({ file: await breastCancerParquet(dir), label: 'diagnosis', firstPage: 0 });
  assert.equal(b.summary.dataset.rows, a.summary.dataset.rows);
  assert.deepEqual(b.summary.dataset.classes, a.summary.dataset.classes);
  const ea = csvScan.allExamples('labelSuspicion');
  const eb = pqScan.allExamples('labelSuspicion');
  for (let r = 0; r < ea.length; r++) {
    assert.equal(eb[r].row, ea[r].row);
    assert.equal(eb[r].line, ea[r].row + 1, 'Parquet rows are their own 1-based numbers');
    assert.equal(eb[r].globalInfluence, ea[r].globalInfluence);
    assert.equal(eb[r].labelSuspicion, ea[r].labelSuspicion);
  }
  const skip = new Session();
  const c = await skip.scan({ file: await breastCancerParquet(dir, { nullLabelRow: 41 }), label: 'diagnosis', labelSuspicion: false, firstPage: 0 });
  assert.deepEqual(c.summary.dataset.skippedRows, [{ row: 41, line: 42 }]);
});

test('Parquet: an error about a cell names the row and the column', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-parquet-'));
  const train = await breastCancerParquet(dir);
  const test = await breastCancerParquet(dir, { renameLabel: ['benign', 'harmless'] });
  const s = new Session();
  await assert.rejects(
    s.scan({ file: train, test, label: 'diagnosis', labelSuspicion: false, firstPage: 0 }),
    (e: unknown) => {
      assert.ok(e instanceof DataFileError);
      // The first benign row of the file is data row 19 (1-based row 20); diagnosis is the 31st column.
      assert.equal(e.line, 20);
      assert.equal(e.column, 31);
      assert.match(e.message, /row 20 \(1-based\), column "diagnosis": label 'harmless' is not one of the training classes/);
      return true;
    },
  );
  await assert.rejects(readTable(join(FIXTURES, 'breast_cancer.csv'), { format: 'parquet' }), /not a readable Parquet file/);
});

test('Parquet: the readers\' schema rules hold on the store (trimmed labels, a stray word in a numeric column is located)', async () => {
  const { parquetWriteFile } = await import('hyparquet-writer');
  const dir = mkdtempSync(join(tmpdir(), 'dd-parquet-'));
  const file = join(dir, 'rules.parquet');
  const n = 40;
  const x = Array.from({ length: n }, (_, i) => (i === 17 ? 'oops' : String(i * 1.5)));
  const y = Array.from({ length: n }, (_, i) => (i % 2 ? ' yes ' : 'no'));
  parquetWriteFile({ filename: file, columnData: [{ name: 'x', data: x, type: 'STRING' }, { name: 'y', data: y, type: 'STRING' }] });
  const { inferSchema } = await import('../../src/data/schema');
  const table = await readTable(file);
  assert.throws(
    () => inferSchema(table, { label: 'y' }),
    (e: unknown) => e instanceof DataFileError && e.line === 18 && e.column === 1 && /row 18 \(1-based\), column "x": column "x" looks numeric \(39 of its 40 values/.test(e.message),
  );
  const schema = inferSchema(table, { label: 'y', kinds: { x: 'categorical' } });
  assert.equal(table.store.columns[1].distinct, 2);
  assert.deepEqual(new Set([table.store.cell(0, 1), table.store.cell(1, 1)]), new Set(['no', 'yes']));
  assert.equal(schema.features[0].kind, 'categorical');
});
