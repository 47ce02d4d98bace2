/** The panel channel's request/reply helper (src/protocol/requests.ts). */
import assert from 'node:assert/strict';
import test from 'node:test';
import { LatestRequest, PendingRequests } from '../../src/protocol/requests';

test('a reply settles its own request once; replies to dropped requests are ignored', () => {
  const pages = new PendingRequests<{ offset: number }>();
  const a = pages.send({ offset: 0 });
  const b = pages.send({ offset: 100 });
  assert.notEqual(a, b);
  assert.deepEqual(pages.settle(b), { offset: 100 });
  assert.equal(pages.settle(b), undefined, 'a second reply to the same request');
  assert.equal(pages.settle(999), undefined, 'an unknown request');
  pages.dropAll();
  assert.equal(pages.settle(a), undefined, 'asked before the filter changed');
  const c = pages.send({ offset: 200 });
  assert.ok(c !== a && c !== b, 'ids are never reused');
  assert.deepEqual(pages.settle(c), { offset: 200 });
});

test('only the newest of overlapping requests may show its answer', () => {
  const explains = new LatestRequest();
  const first = explains.begin();
  assert.equal(first(), true);
  const second = explains.begin();
  assert.equal(first(), false);
  assert.equal(second(), true);
});
