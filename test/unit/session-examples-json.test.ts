/**
 * Session.examplesJson (the rows of scan --json written as bytes, without an object per row) gives
 * the same text as the page() objects through JSON.stringify(row without rank, null, 1), indented as
 * an element of the examples array, for every ranking of a scan, with and without a detector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Session } from '../../src/engine/session';
import { SCAN_RANKINGS } from '../../src/options/options';
import type { ScanParams } from '../../src/protocol/worker';

const fx = path.resolve(__dirname, '../fixtures/data');

async function check(params: ScanParams): Promise<number> {
  const s = new Session();
  await s.scan(params);
  let checked = 0;
  for (const rankBy of SCAN_RANKINGS) {
    let total: number;
    try {
      total = s.page({ rankBy, offset: 0, limit: 0 }).total;
    } catch {
      assert.equal(s.examplesJson(rankBy, 0, 1000), undefined);
      continue;
    }
    // Each page written into the buffer of the one before (a small one first, so it must grow).
    let scratch: Buffer = Buffer.alloc(100);
    for (const [offset, limit] of [[0, 600], [total - 700, 10_000], [3, 1000]] as const) {
      const fast = s.examplesJson(rankBy, offset, limit, scratch);
      assert.ok(fast, `${rankBy} ${offset}+${limit}`);
      const rows = s.page({ rankBy, offset, limit }).rows;
      const expected = rows.map(({ rank: _rank, ...e }) => JSON.stringify(e, null, 1).replace(/\n/g, '\n  ')).join(',\n  ');
      assert.equal(fast.rows, rows.length);
      assert.equal(fast.total, total);
      assert.equal(fast.bytes.toString('utf8'), expected, `${rankBy} ${offset}+${limit}`);
      assert.equal(fast.bytes.buffer, fast.scratch.buffer);
      scratch = fast.scratch;
      assert.equal(s.examplesJson(rankBy, offset, limit)?.bytes.toString('utf8'), expected, 'without a scratch buffer');
      checked++;
    }
    // A page the UI could show (at most 500 rows, neighbours attached) is left to page().
    assert.equal(s.examplesJson(rankBy, 0, 500), undefined);
  }
  return checked;
}

test('examplesJson equals the page objects as JSON: digits (10 classes, detector auto)', async () => {
  assert.ok((await check({ file: path.join(fx, 'digits.csv'), label: 'label' })) >= 9);
});

test('examplesJson equals the page objects as JSON: breast cancer, detector off (label suspicion suggests)', async () => {
  assert.ok((await check({ file: path.join(fx, 'breast_cancer.csv'), label: 'diagnosis', detector: 'off' })) >= 6);
});
