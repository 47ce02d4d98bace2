/** `dataset-debugger fix`: a cleaned copy with only the listed label cells changed; the input untouched. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTable } from '../../src/data/table';
import { formatChangeLog, parseChangeLog, type ChangeEntry } from '../../src/edit/changeLog';

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

// ---- the change log in either of the extension's forms (src/edit/changeLog.ts) ----

const sharedData = path.resolve(__dirname, '../../../shared/data');

/** Entries as the extension's exportCleaned makes them: the file's line and old label, a score and a time. */
async function cancerEntries(src: string, rows: number[]): Promise<ChangeEntry[]> {
  const t = await readTable(src);
  const li = t.columns.indexOf('diagnosis');
  return rows.map((row, k) => {
    const old = t.records[row].cells[li]!;
    return {
      row,
      line: t.records[row].line,
      oldLabel: old,
      newLabel: old === 'benign' ? 'malignant' : 'benign',
      ...(k % 2 === 0 ? { score: 0.9731 / (k + 1), scoreName: 'label issue' } : {}),
      time: `2026-12-06T20:0${k}:00.000Z`,
    };
  });
}

test('a CSV change log from the extension\'s formatter gives the same cleaned bytes as the JSON log (breast_cancer.csv)', async () => {
  const src = path.join(sharedData, 'breast_cancer.csv');
  const entries = await cancerEntries(src, [0, 7, 68, 301, 568]);
  const json = path.join(tmp, 'bc.changes.json');
  const csv = path.join(tmp, 'bc.changes.csv');
  writeFileSync(json, formatChangeLog(entries, 'json'));
  writeFileSync(csv, formatChangeLog(entries, 'csv'));
  assert.match(readFileSync(csv, 'utf8'), /^row,line,oldLabel,newLabel,score,scoreName,time\n0,2,/);
  const outJ = path.join(tmp, 'bc.cleaned.json-log.csv');
  const outC = path.join(tmp, 'bc.cleaned.csv-log.csv');
  let r = cli('fix', src, '--label', 'diagnosis', '--changes', json, '--out', outJ);
  assert.equal(r.code, 0, r.stderr);
  r = cli('fix', src, '--label', 'diagnosis', '--changes', csv, '--out', outC, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    JSON.parse(r.stdout).changed.map((c: { row: number; newLabel: string }) => [c.row, c.newLabel]),
    entries.map((e) => [e.row, e.newLabel]),
  );
  assert.equal(sha(outC), sha(outJ), 'the CSV log and the JSON log clean the file to the same bytes');
  assert.notEqual(sha(outC), sha(src));
  const after = await readTable(outC);
  const before = await readTable(src);
  const li = before.columns.indexOf('diagnosis');
  let differ = 0;
  for (let i = 0; i < before.records.length; i++) if (after.records[i].cells[li] !== before.records[i].cells[li]) differ++;
  assert.equal(differ, entries.length);
  // both forms read back to the same changes, and the CSV log is the JSON log's fields exactly
  const fromCsv = parseChangeLog(readFileSync(csv, 'utf8'), csv);
  assert.deepEqual(fromCsv, parseChangeLog(readFileSync(json, 'utf8'), json));
  assert.deepEqual(fromCsv, entries);
});

test('a CSV log and a JSON log clean a JSON Lines file (reviews.jsonl) to the same bytes', () => {
  const src = path.join(sharedData, 'reviews.jsonl');
  const lines = readFileSync(src, 'utf8').split('\n');
  const rows = [1, 50, 333];
  const entries: ChangeEntry[] = rows.map((row, k) => {
    const old = (JSON.parse(lines[row]) as { label: string }).label;
    return { row, line: row + 1, oldLabel: old, newLabel: old === 'positive' ? 'negative' : 'positive', score: k / 3, scoreName: 'label issue', time: '2026-12-06T20:00:00.000Z' };
  });
  const json = path.join(tmp, 'rv.changes.json');
  const csv = path.join(tmp, 'rv.changes.csv');
  writeFileSync(json, formatChangeLog(entries, 'json'));
  writeFileSync(csv, formatChangeLog(entries, 'csv'));
  const [a, b] = [path.join(tmp, 'rv.a.jsonl'), path.join(tmp, 'rv.b.jsonl')];
  assert.equal(cli('fix', src, '--label', 'label', '--changes', json, '--out', a).code, 0);
  const r = cli('fix', src, '--label', 'label', '--changes', csv, '--out', b);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sha(a), sha(b));
  const out = readFileSync(b, 'utf8').split('\n');
  assert.equal(out.length, lines.length);
  for (let i = 0; i < lines.length; i++) {
    const k = rows.indexOf(i);
    if (k < 0) assert.equal(out[i], lines[i]);
    else assert.equal(out[i], lines[i].replace(`"label": "${entries[k].oldLabel}"`, `"label": "${entries[k].newLabel}"`));
  }
});

test('labels with commas, quotes and line breaks survive the CSV log', () => {
  const src = path.join(tmp, 'odd.csv');
  writeFileSync(src, 'text,label\nfirst,"a,b"\nsecond,plain\nthird," padded "\n');
  const entries: ChangeEntry[] = [
    { row: 0, line: 2, oldLabel: 'a,b', newLabel: 'say "hi"', time: '2026-12-06T20:00:00.000Z' },
    { row: 1, line: 3, oldLabel: 'plain', newLabel: 'two\nlines', score: 1e-7, scoreName: 'global influence', time: '2026-12-06T20:00:01.000Z' },
    { row: 2, line: 4, oldLabel: ' padded ', newLabel: 'x', time: '2026-12-06T20:00:02.000Z' },
  ];
  const csv = path.join(tmp, 'odd.changes.csv');
  writeFileSync(csv, formatChangeLog(entries, 'csv'));
  assert.deepEqual(parseChangeLog(readFileSync(csv, 'utf8'), csv), entries);
  const json = path.join(tmp, 'odd.changes.json');
  writeFileSync(json, formatChangeLog(entries, 'json'));
  const [a, b] = [path.join(tmp, 'odd.a.csv'), path.join(tmp, 'odd.b.csv')];
  assert.equal(cli('fix', src, '--label', 'label', '--changes', csv, '--out', a).code, 0);
  assert.equal(cli('fix', src, '--label', 'label', '--changes', json, '--out', b).code, 0);
  assert.equal(readFileSync(a, 'utf8'), 'text,label\nfirst,"say ""hi"""\nsecond,"two\nlines"\nthird,"x"\n');
  assert.equal(readFileSync(b, 'utf8'), readFileSync(a, 'utf8'));
});

test('fix --log writes the applied changes (JSON or CSV by extension) and the log reads back to the same cleaned copy', async () => {
  const src = path.join(sharedData, 'breast_cancer.csv');
  const entries = await cancerEntries(src, [5, 12, 400]);
  const csvIn = path.join(tmp, 'in.changes.csv');
  writeFileSync(csvIn, formatChangeLog(entries, 'csv'));
  const out = path.join(tmp, 'log.cleaned.csv');
  const logJson = path.join(tmp, 'out.changes.json');
  const logCsv = path.join(tmp, 'out.changes.csv');
  const started = Date.now();
  let r = cli('fix', src, '--label', 'diagnosis', '--changes', csvIn, '--out', out, '--log', logJson, '--json');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).log, logJson);
  r = cli('fix', src, '--label', 'diagnosis', '--changes', csvIn, '--out', path.join(tmp, 'log.cleaned2.csv'), '--log', logCsv);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 labels changed.*change log .*out\.changes\.csv/);
  for (const log of [logJson, logCsv]) {
    const text = readFileSync(log, 'utf8');
    const back = parseChangeLog(text, log);
    // the fields of the input log, as applied; the time is this run's
    assert.deepEqual(
      back.map(({ time: _t, ...c }) => c),
      entries.map(({ time: _t, ...c }) => c),
    );
    for (const c of back) {
      assert.equal(typeof c.time, 'string');
      assert.ok(Date.parse(c.time!) >= started - 1000 && Date.parse(c.time!) <= Date.now(), c.time);
    }
    // the log is exactly the shared formatter's text of what it holds
    assert.equal(text, formatChangeLog(back as ChangeEntry[], log.endsWith('.csv') ? 'csv' : 'json'));
    // and as --changes it makes the same cleaned copy
    const again = path.join(tmp, `again-${path.basename(log)}.csv`);
    assert.equal(cli('fix', src, '--label', 'diagnosis', '--changes', log, '--out', again).code, 0);
    assert.equal(sha(again), sha(out));
  }
  // the two logs hold the same changes
  assert.deepEqual(
    parseChangeLog(readFileSync(logCsv, 'utf8'), logCsv).map(({ time: _t, ...c }) => c),
    parseChangeLog(readFileSync(logJson, 'utf8'), logJson).map(({ time: _t, ...c }) => c),
  );
  r = cli('fix', src, '--label', 'diagnosis', '--changes', csvIn, '--out', path.join(tmp, 'x.csv'), '--log', path.join(tmp, 'log.txt'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--log takes a \.json or \.csv file name/);
  r = cli('fix', src, '--label', 'diagnosis', '--changes', csvIn, '--out', path.join(tmp, 'x.csv'), '--log', csvIn);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--log must be a new file/);
});

test('a malformed CSV change log is refused with its file, line and column (exit 1)', () => {
  const src = path.join(sharedData, 'breast_cancer.csv');
  const log = path.join(tmp, 'bad.changes.csv');
  const head = 'row,line,oldLabel,newLabel,score,scoreName,time\n';
  const run = (text: string) => {
    writeFileSync(log, text);
    return cli('fix', src, '--label', 'diagnosis', '--changes', log, '--out', path.join(tmp, 'bad.cleaned.csv'));
  };
  const cases: [string, RegExp][] = [
    // a label with a comma that is not quoted: one cell too many, at the extra cell
    [head + '3,5,malignant,benign,0.5,label issue,t\n4,6,benign,mal,ignant,0.1,label issue,t\n', /bad\.changes\.csv:3:39: 8 cells where the header has 7/],
    // a quote inside an unquoted cell
    [head + '3,5,malignant,be"nign,,,t\n', /bad\.changes\.csv:2:17: a quote " inside an unquoted cell/],
    // a quoted cell never closed (reported where it opens)
    [head + '3,5,malignant,"benign,,,t\n4,6,benign,malignant,,,t\n', /bad\.changes\.csv:2:15: a quoted cell is not closed/],
    // a row that is not a whole number
    [head + '3,5,malignant,benign,,,t\nx7,6,benign,malignant,,,t\n', /bad\.changes\.csv:3:1: the row 'x7' is not a 0-based data row/],
    // a score that is not a number
    [head + '3,5,malignant,benign,high,label issue,t\n', /bad\.changes\.csv:2:22: the score 'high' is not a number/],
    // a header that is not the log's
    ['row,line,old,newLabel\n3,5,malignant,benign\n', /bad\.changes\.csv:1:10: unknown change log column 'old'/],
    ['line,oldLabel\n5,malignant\n', /bad\.changes\.csv:1:1: the change log has no 'row' column/],
  ];
  for (const [text, want] of cases) {
    const r = run(text);
    assert.equal(r.code, 1, text);
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, /internal error/);
  }
  // a stale CSV log is refused like a stale JSON one, at the data file's line
  const r = run(head + '3,5,benign,malignant,,,t\n');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /breast_cancer\.csv:5:1: row 3's label is 'malignant', not 'benign'/);
  // JSON syntax errors are located too
  const bad = path.join(tmp, 'bad.changes.json');
  writeFileSync(bad, '[\n  {"row": 3,}\n]\n');
  const j = cli('fix', src, '--label', 'diagnosis', '--changes', bad, '--out', path.join(tmp, 'bad.cleaned.csv'));
  assert.equal(j.code, 1);
  assert.match(j.stderr, /bad\.changes\.json:2:13: not valid JSON/);
});

test('fix --suggested --top N applies the suggested labels of the rows scan --top N lists (breast_cancer.csv)', async () => {
  const src = path.join(sharedData, 'breast_cancer.csv');
  const scan = cli('scan', src, '--label', 'diagnosis', '--json');
  assert.equal(scan.code, 0, scan.stderr);
  const doc = JSON.parse(scan.stdout) as { rankBy: string; examples: { row: number; line: number; label: string; suggestedLabel?: string; labelIssueScore?: number }[] };
  assert.equal(doc.rankBy, 'labelIssue');
  const want = doc.examples.slice(0, 10).filter((e) => e.suggestedLabel !== undefined && e.suggestedLabel !== e.label);
  assert.ok(want.length >= 5, `${want.length} suggestions in the top 10`);
  // a change log keeps one of them as it is (a reviewer's decision): the log's label wins, the scan's suggestion is skipped
  const own = want[0];
  const changes = path.join(tmp, 'own.changes.json');
  writeFileSync(changes, JSON.stringify([{ row: own.row, newLabel: own.label, line: own.line }]));
  const out = path.join(tmp, 'suggested.cleaned.csv');
  const log = path.join(tmp, 'suggested.changes.csv');
  const r = cli('fix', src, '--label', 'diagnosis', '--suggested', '--top', '10', '--changes', changes, '--out', out, '--log', log, '--json');
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { rankBy: string; changed: { row: number; newLabel: string }[] };
  assert.equal(res.rankBy, 'labelIssue');
  const expected = want
    .map((e) => ({ row: e.row, newLabel: e === own ? own.label : e.suggestedLabel! }))
    .sort((a, b) => a.row - b.row);
  assert.deepEqual(
    res.changed.map((c) => ({ row: c.row, newLabel: c.newLabel })),
    expected,
  );
  // the cleaned copy differs from the input in exactly those label cells
  const before = await readTable(src);
  const after = await readTable(out);
  const li = before.columns.indexOf('diagnosis');
  for (let i = 0; i < before.records.length; i++) {
    const w = [...before.records[i].cells];
    const c = expected.find((x) => x.row === i);
    if (c) w[li] = c.newLabel;
    assert.deepEqual(after.records[i].cells, w, `row ${i}`);
  }
  // the log holds the scan's label-issue score for the suggested rows, none for the change log's own
  const back = parseChangeLog(readFileSync(log, 'utf8'), log);
  for (const c of back) {
    const e = want.find((x) => x.row === c.row)!;
    if (e === own) assert.equal(c.scoreName, undefined);
    else {
      assert.equal(c.scoreName, 'label issue');
      assert.ok(Math.abs(c.score! - e.labelIssueScore!) < 1e-12);
    }
  }
  const u = cli('fix', src, '--label', 'diagnosis', '--changes', changes, '--top', '5', '--out', path.join(tmp, 'y.csv'));
  assert.equal(u.code, 2);
  assert.match(u.stderr, /--top goes with --suggested/);
  const n = cli('fix', src, '--label', 'diagnosis', '--out', path.join(tmp, 'y.csv'));
  assert.equal(n.code, 2);
  assert.match(n.stderr, /--changes CHANGES \(a change log\) or --suggested is required/);
});
