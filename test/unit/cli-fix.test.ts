/** `dataset-debugger fix`: a cleaned copy with only the listed label cells changed; the input untouched. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTable } from '../../src/data/table';

const root = path.resolve(__dirname, '../..');
const tmp = mkdtempSync(path.join(tmpdir(), 'dd-cli-fix-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

test('fix on breast_cancer.csv: three labels flipped, every other byte kept, the input unchanged', async () => {
  const src = path.join(tmp, 'cancer.csv');
  // CRLF line endings and a BOM, to check they survive
  writeFileSync(src, '\uFEFF' + readFileSync(path.join(root, 'test/fixtures/data/breast_cancer.csv'), 'utf8').replace(/\r?\n/g, '\r\n'));
  const before = await readTable(src);
  const li = before.columns.indexOf('diagnosis');
  const rows = [3, 40, 200];
  const changes = rows.map((row) => {
    const old = before.records[row].cells[li]!;
    return { row, line: before.records[row].line, oldLabel: old, newLabel: old === 'benign' ? 'malignant' : 'benign' };
  });
  const changesFile = path.join(tmp, 'changes.json');
  writeFileSync(changesFile, JSON.stringify(changes));
  const hash = sha(src);
  const out = path.join(tmp, 'cleaned.csv');
  const r = cli('fix', src, '--label', 'diagnosis', '--changes', changesFile, '--out', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).changed.map((c: { row: number }) => c.row), rows);
  assert.equal(sha(src), hash, 'the input is untouched');
  const a = readFileSync(src, 'utf8');
  const b = readFileSync(out, 'utf8');
  // the copy is the input with exactly the three label cells replaced
  const lines = a.split('\r\n');
  for (const c of changes) lines[c.line - 1] = lines[c.line - 1].replace(new RegExp(`,${c.oldLabel}$`), `,${c.newLabel}`);
  const expected = lines.join('\r\n');
  assert.notEqual(expected, a);
  assert.equal(b, expected);
  assert.ok(b.startsWith('\uFEFF') && b.includes('\r\n'));
  const after = await readTable(out);
  for (let i = 0; i < before.records.length; i++) {
    const want = [...before.records[i].cells];
    const c = changes.find((x) => x.row === i);
    if (c) want[li] = c.newLabel;
    assert.deepEqual(after.records[i].cells, want);
  }
});

test('fix refuses a stale change, a missing flag and overwriting its input, with exit codes 1 and 2', () => {
  const src = path.join(tmp, 'small.tsv');
  writeFileSync(src, 'text\tlabel\nhello\tham\nwin now\tham\n');
  const changesFile = path.join(tmp, 'stale.json');
  writeFileSync(changesFile, JSON.stringify([{ row: 1, oldLabel: 'spam', newLabel: 'ham' }]));
  let r = cli('fix', src, '--label', 'label', '--changes', changesFile, '--out', path.join(tmp, 'o.tsv'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /small\.tsv:3:1: row 1's label is 'ham', not 'spam'/);
  r = cli('fix', src, '--label', 'label', '--changes', changesFile);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--out FILE is required/);
  r = cli('fix', src, '--label', 'label', '--changes', changesFile, '--out', src);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--out must be a new file/);
  writeFileSync(changesFile, '[{"row": 1}]');
  r = cli('fix', src, '--label', 'label', '--changes', changesFile, '--out', path.join(tmp, 'o.tsv'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /entry 0 has no "newLabel"/);
  writeFileSync(changesFile, '[{"row": 1, "newLabel": "spam"}]');
  r = cli('fix', src, '--label', 'label', '--changes', changesFile, '--out', path.join(tmp, 'o.tsv'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(path.join(tmp, 'o.tsv'), 'utf8'), 'text\tlabel\nhello\tham\nwin now\tspam\n');
});
