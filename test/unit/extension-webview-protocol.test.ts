/** The host checks every message from the panel before acting on it. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { MAX_FILTER_TEXT, MAX_PAGE_LIMIT, parseWebviewMessage } from '../../src/protocol/webview';

test('valid messages come back with only their known fields', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready', extra: 1 }), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'scan' }), { type: 'scan' });
  assert.deepEqual(parseWebviewMessage({ type: 'effect', row: 7, label: 'spam', x: 1 }), { type: 'effect', row: 7, label: 'spam' });
  assert.deepEqual(
    parseWebviewMessage({ type: 'page', requestId: 3, offset: 200, limit: 100, filter: { labels: ['3'], text: 'x', disagreeing: true, evil: 'y' } }),
    { type: 'page', requestId: 3, offset: 200, limit: 100, filter: { labels: ['3'], text: 'x', disagreeing: true }, rankBy: 'globalInfluence' },
  );
  assert.deepEqual(parseWebviewMessage({ type: 'page', requestId: 0, offset: 0, limit: 1 }), {
    type: 'page',
    requestId: 0,
    offset: 0,
    limit: 1,
    filter: {},
    rankBy: 'globalInfluence',
  });
  assert.deepEqual(parseWebviewMessage({ type: 'page', requestId: 0, offset: 0, limit: 1, rankBy: 'labelSuspicion' }), {
    type: 'page',
    requestId: 0,
    offset: 0,
    limit: 1,
    filter: {},
    rankBy: 'labelSuspicion',
  });
  assert.equal(parseWebviewMessage({ type: 'page', requestId: 0, offset: 0, limit: 1, rankBy: 'labelIssue' })?.type, 'page');
  assert.equal((parseWebviewMessage({ type: 'page', requestId: 0, offset: 0, limit: 1, rankBy: 'labelIssue' }) as { rankBy: string }).rankBy, 'labelIssue');
  assert.deepEqual(parseWebviewMessage({ type: 'explain', source: 'test', row: 12 }), {
    type: 'explain',
    source: 'test',
    row: 12,
    orderBy: 'relatifL',
    mode: 'influence',
    objective: 'loss',
  });
  assert.deepEqual(parseWebviewMessage({ type: 'explain', source: 'train', row: 0, orderBy: 'influence', mode: 'newton', objective: 'margin', x: 1 }), {
    type: 'explain',
    source: 'train',
    row: 0,
    orderBy: 'influence',
    mode: 'newton',
    objective: 'margin',
  });
  assert.deepEqual(parseWebviewMessage({ type: 'trust', source: 'test', row: 3, rows: 1e9 }), { type: 'trust', source: 'test', row: 3 });
  assert.deepEqual(parseWebviewMessage({ type: 'explainCluster', row: 7, file: '/etc/passwd' }), { type: 'explainCluster', row: 7 });
  assert.deepEqual(parseWebviewMessage({ type: 'open', source: 'train', line: 1 }), { type: 'open', source: 'train', line: 1 });
  assert.deepEqual(parseWebviewMessage({ type: 'setReviewed', row: 5, reviewed: false }), { type: 'setReviewed', row: 5, reviewed: false });
  assert.deepEqual(parseWebviewMessage({ type: 'fix', row: 4, action: 'accept', label: 'x' }), { type: 'fix', row: 4, action: 'accept' });
});

test('malformed messages are rejected', () => {
  const bad: unknown[] = [
    null,
    undefined,
    'ready',
    42,
    [],
    { type: 'rm -rf' },
    { type: 'page', requestId: 1, offset: 0, limit: 0 },
    { type: 'effect', row: -1, label: 'a' },
    { type: 'effect', row: 1, label: 3 },
    { type: 'effect', row: 1, label: 'x'.repeat(1001) },
    { type: 'page', requestId: 1, offset: 0, limit: MAX_PAGE_LIMIT + 1 },
    { type: 'page', requestId: 1, offset: -1, limit: 10 },
    { type: 'page', requestId: 1.5, offset: 0, limit: 10 },
    { type: 'page', requestId: 1, offset: '0', limit: 10 },
    { type: 'page', requestId: 1, offset: 0, limit: 10, filter: 'x' },
    { type: 'page', requestId: 1, offset: 0, limit: 10, filter: { labels: 'a' } },
    { type: 'page', requestId: 1, offset: 0, limit: 10, filter: { labels: [1] } },
    { type: 'page', requestId: 1, offset: 0, limit: 10, filter: { text: 'x'.repeat(MAX_FILTER_TEXT + 1) } },
    { type: 'page', requestId: 1, offset: 0, limit: 10, filter: { disagreeing: 'yes' } },
    { type: 'explain', source: '/etc/passwd', row: 1 },
    { type: 'explain', source: 'train', row: -1 },
    { type: 'explain', source: 'train', row: Number.NaN },
    { type: 'explain', source: 'train', row: 1, orderBy: 'loss' },
    { type: 'explain', source: 'train', row: 1, mode: 'exact' },
    { type: 'explain', source: 'train', row: 1, objective: 'accuracy' },
    { type: 'page', requestId: 1, offset: 0, limit: 10, rankBy: 'loss' },
    { type: 'trust', source: 'train', row: -2 },
    { type: 'trust', source: 'elsewhere', row: 2 },
    { type: 'explainCluster', row: 1.5 },
    { type: 'explainCluster' },
    { type: 'open', source: 'train', line: 0 },
    { type: 'open', source: 'train', line: 2 ** 40 },
    { type: 'open', file: '/etc/passwd', line: 3 },
    { type: 'setReviewed', row: 1, reviewed: 'true' },
    { type: 'fix', row: 1, action: 'delete' },
    { type: 'fix', row: -1, action: 'correct' },
  ];
  for (const m of bad) assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m));
});

test('the returned filter is a copy: later changes to the raw message do not reach the host', () => {
  const raw = { type: 'page', requestId: 1, offset: 0, limit: 10, filter: { labels: ['a'] } };
  const msg = parseWebviewMessage(raw);
  raw.filter.labels.push('b');
  assert.ok(msg && msg.type === 'page');
  assert.deepEqual(msg.filter.labels, ['a']);
});
