import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeScaleCsv } from '../../bench/scaleData';

const root = path.resolve(__dirname, '../..');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28, cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('scan --json streams examples over several pages as the same text as one JSON.stringify', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dd-cli-scale-'));
  const file = path.join(dir, 'gen.csv');
  await writeScaleCsv(file, 25_000); // 3 pages of examples (10,000 each), the last one partial
  const r = cli('scan', file, '--label', 'label', '--rank-by', 'globalInfluence', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(r.stdout, JSON.stringify(out, null, 1) + '\n');
  assert.equal(out.dataset.rows, 25_000);
  assert.equal(out.examples.length, 25_000);
  assert.equal(new Set(out.examples.map((e: { row: number }) => e.row)).size, 25_000);
  for (let k = 1; k < out.examples.length; k++) assert.ok(out.examples[k - 1].globalInfluence >= out.examples[k].globalInfluence);
  for (const e of out.examples.slice(0, 50)) assert.equal(e.line, e.row + 2);
});

test('scan reads a .parquet file from the command line; lines are 1-based row numbers', async () => {
  const { parquetWriteFile } = await import('hyparquet-writer');
  const dir = mkdtempSync(path.join(tmpdir(), 'dd-cli-parquet-'));
  const file = path.join(dir, 'small.parquet');
  const n = 300;
  const a = Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
  const b = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : Math.cos(i * 0.7)));
  const y = a.map((v, i) => (v + (b[i] ?? 0) > 0.3 ? 'yes' : 'no'));
  y[7] = y[7] === 'yes' ? 'no' : 'yes'; // one wrong label
  parquetWriteFile({ filename: file, columnData: [ { name: 'a', data: a, type: 'DOUBLE' }, { name: 'b', data: b, type: 'DOUBLE' }, { name: 'y', data: y, type: 'STRING' } ], rowGroupSize: 64 });
  const r = cli('scan', file, '--label', 'y', '--rank-by', 'labelSuspicion', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.dataset.rows, n);
  assert.equal(out.dataset.features, 3);
  for (const e of out.examples) assert.equal(e.line, e.row + 1);
  const rankOf7 = out.examples.findIndex((e: { row: number }) => e.row === 7);
  assert.ok(rankOf7 < 15, `the flipped row 7 ranks ${rankOf7 + 1} of ${n} by label suspicion`);
  // How it was read: format, row groups (64 rows each), rows and columns, as CSV and TSV say it.
  assert.deepEqual(out.dataset.read, { format: 'parquet', encoding: 'utf-8', rowGroups: 5 });
  const text = cli('scan', file, '--label', 'y', '--top', '3');
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^\S*small\.parquet: 300 training rows.*\n(?: {2}.*\n)* {2}read as PARQUET, 5 row groups \(strings UTF-8\), 300 rows x 3 columns\n/);
});
