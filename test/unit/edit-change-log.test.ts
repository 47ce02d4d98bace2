/** The change log's two forms (src/edit/changeLog.ts): what the extension writes reads back, hand edits included. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHANGE_LOG_COLUMNS, changeLogFormatOf, formatChangeLog, parseChangeLog, rankedScore, type ChangeEntry } from '../../src/edit/changeLog';
import { DataFileError } from '../../src/util/errors';
import type { ExampleRow } from '../../src/protocol/types';

const entries: ChangeEntry[] = [
  { row: 0, line: 2, oldLabel: 'spam', newLabel: 'ham', score: 0.25, scoreName: 'label issue', time: '2026-12-06T20:00:00.000Z' },
  { row: 9, line: 14, oldLabel: 'multi\r\nline', newLabel: 'a "b", c', time: '2026-12-06T20:00:01.000Z' },
  { row: 10, line: 17, oldLabel: '', newLabel: '3', score: -1.5e-9, scoreName: 'global influence', time: '2026-12-06T20:00:02.000Z' },
];

test('both forms of the log read back to the entries, key order included', () => {
  for (const f of ['json', 'csv'] as const) {
    const text = formatChangeLog(entries, f);
    const back = parseChangeLog(text, `log.${f}`);
    assert.deepEqual(back, entries);
    assert.equal(formatChangeLog(back as ChangeEntry[], f), text);
    // the content decides the format, whatever the name
    assert.deepEqual(parseChangeLog(text, 'log.txt'), entries);
  }
  assert.equal(formatChangeLog([], 'csv'), CHANGE_LOG_COLUMNS.join(',') + '\n');
  assert.deepEqual(parseChangeLog(formatChangeLog([], 'csv'), 'empty.csv'), []);
  assert.deepEqual(parseChangeLog('[]', 'empty.json'), []);
  assert.equal(changeLogFormatOf('a/b.CSV'), 'csv');
  assert.equal(changeLogFormatOf('b.json'), 'json');
  assert.equal(changeLogFormatOf('b.tsv'), undefined);
});

test('a CSV log saved by a spreadsheet (BOM, CRLF, blank lines) or written by hand (fewer columns, any order)', () => {
  const plain = [entries[0], entries[2]];
  const csv = '\uFEFF' + formatChangeLog(plain, 'csv').replace(/\n/g, '\r\n').replace('\r\n0,', '\r\n\r\n0,') + '\r\n';
  assert.deepEqual(parseChangeLog(csv, 'log.csv'), plain);
  assert.deepEqual(parseChangeLog('newLabel,row\nham,3\n"x,y",4', 'hand.csv'), [
    { row: 3, newLabel: 'ham' },
    { row: 4, newLabel: 'x,y' },
  ]);
});

test('errors after a multi-line quoted cell name the right line and column', () => {
  const text = formatChangeLog(entries, 'csv') + '12,20,a,b,zero,,t\n';
  // entry 9's old label spans lines 3-4, so the bad score is on line 6
  assert.throws(
    () => parseChangeLog(text, 'log.csv'),
    (e: unknown) => e instanceof DataFileError && e.line === 6 && e.column === 11 && /the score 'zero' is not a number/.test(e.message),
  );
  assert.throws(
    () => parseChangeLog('row,newLabel\n1,"ham"x\n', 'log.csv'),
    (e: unknown) => e instanceof DataFileError && e.line === 2 && e.column === 8 && /after a quoted cell's closing quote/.test(e.message),
  );
  assert.throws(() => parseChangeLog('row,row,newLabel\n', 'log.csv'), /log\.csv:1:5: the column 'row' is given twice/);
  assert.throws(() => parseChangeLog('row,line,newLabel\n1,0,x\n', 'log.csv'), /log\.csv:2:3: the line '0' is not a line number/);
  assert.throws(() => parseChangeLog('', 'log.csv'), /log\.csv: an empty change log/);
  assert.throws(() => parseChangeLog('{"row": 1}', 'log.csv'), /log\.csv: expected a JSON array/);
});

test('rankedScore: the ranking\'s own score, else global influence', () => {
  const e = { row: 1, line: 2, label: 'a', predicted: 'b', globalInfluence: 7, loss: 0.5, labelSuspicion: 2, labelIssueScore: 0.9 } as ExampleRow;
  assert.deepEqual(rankedScore('labelIssue', e), { score: 0.9, scoreName: 'label issue' });
  assert.deepEqual(rankedScore('labelSuspicion', e), { score: 2, scoreName: 'label suspicion' });
  assert.deepEqual(rankedScore('loss', e), { score: 0.5, scoreName: 'loss' });
  assert.deepEqual(rankedScore('globalInfluence', e), { score: 7, scoreName: 'global influence' });
  assert.deepEqual(rankedScore('labelIssue', { ...e, labelIssueScore: undefined }), { score: 7, scoreName: 'global influence' });
});
