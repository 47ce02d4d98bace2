import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { WorkerClient, WorkerExitedError } from '../../src/worker/client';
import { RemoteError } from '../../src/protocol/errors';
import { parseClientMessage, type WorkerMessage } from '../../src/protocol/worker';
import { WorkerServer } from '../../src/worker/server';

const root = path.resolve(__dirname, '../..');
const digits = path.join(root, 'samples/digits/train.csv');
const digitsTest = path.join(root, 'samples/digits/test.csv');

function startWorker(logs: string[] = []): WorkerClient {
  return new WorkerClient({
    script: path.join(root, 'src/worker/main.ts'),
    execArgv: ['--import', 'tsx'],
    onLog: (level, message) => logs.push(`${level}: ${message}`),
  });
}

test('parseClientMessage accepts requests and cancels, and rejects anything else', () => {
  assert.deepEqual(parseClientMessage({ type: 'cancel', id: 3 }), { type: 'cancel', id: 3 });
  const req = { type: 'request', id: 1, method: 'page', params: { rankBy: 'loss', offset: 0, limit: 5 } };
  assert.equal(parseClientMessage(req), req);
  for (const bad of [null, 42, 'x', { type: 'request', id: 1.5, method: 'page', params: {} }, { type: 'request', id: 1, method: 'rm -rf', params: {} }, { type: 'request', id: 1, method: 'scan' }, { type: 'other', id: 1 }]) {
    assert.equal(parseClientMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('the server answers every request with exactly one result or error, in order', async () => {
  const sent: WorkerMessage[] = [];
  const server = new WorkerServer(
    {
      scan: async () => {
        throw new Error('boom');
      },
      page: async (p) => ({ rankBy: p.rankBy, total: 0, offset: p.offset, rows: [] }),
      explain: async () => {
        throw new Error('unused');
      },
      rows: async () => ({ rows: [] }),
      relabel: async () => {
        throw new Error('unused');
      },
      trust: async () => {
        throw new Error('unused');
      },
      lines: async () => {
        throw new Error('unused');
      },
      columns: async () => {
        throw new Error('unused');
      },
    },
    (m) => sent.push(m),
  );
  server.receive({ type: 'request', id: 1, method: 'scan', params: { file: 'x', label: 'y' } });
  server.receive({ type: 'request', id: 2, method: 'page', params: { rankBy: 'loss', offset: 3, limit: 1 } });
  server.receive({ junk: true });
  const replied = () => sent.filter((m) => m.type === 'result' || m.type === 'error');
  while (replied().length < 2) await new Promise((r) => setImmediate(r));
  const replies = replied();
  assert.deepEqual(replies.map((m) => [m.type, 'id' in m ? m.id : -1]), [['error', 1], ['result', 2]]);
  assert.ok(sent.some((m) => m.type === 'log' && m.level === 'warn' && m.message.includes('malformed')));
});

test('worker process: scan, page and explain on real data; progress events arrive', async () => {
  const client = startWorker();
  try {
    const stages = new Set<string>();
    const { summary, first } = await client.request(
      'scan',
      { file: digits, label: 'label', test: digitsTest, firstPage: 10 },
      { onProgress: (stage) => stages.add(stage) },
    );
    assert.equal(summary.dataset.rows, 1500);
    assert.equal(summary.dataset.classes.length, 10);
    assert.equal(first.rows.length, 10);
    assert.equal(first.total, 1500);
    for (let i = 1; i < first.rows.length; i++) assert.ok(first.rows[i - 1].globalInfluence >= first.rows[i].globalInfluence);
    assert.ok(stages.has('fit') && stages.has('influence'), [...stages].join(','));
    const page = await client.request('page', { rankBy: 'globalInfluence', offset: 10, limit: 5 });
    assert.equal(page.rows[0].rank, 10);
    assert.ok(page.rows[0].globalInfluence <= first.rows[9].globalInfluence);
    const ex = await client.request('explain', { source: 'test', row: 0, top: 5 });
    assert.equal(ex.influence.length, 5);
    assert.equal(ex.total, 1500);
  } finally {
    client.dispose();
  }
});

test('worker process: a cancelled scan fails with CancelledError and the worker stays usable', async () => {
  const client = startWorker();
  try {
    // The cancel goes out right behind the request; the worker reads it before starting any work
    // (server.ts), so the outcome does not depend on how fast the scan would be. Cancelling in the middle
    // of the numeric work is tested in-process, where the abort is synchronous (cancel.test.ts,
    // logistic-fit.test.ts, suspicion-reference.test.ts, trust-check.test.ts).
    const ac = new AbortController();
    const pending = client.request('scan', { file: digits, label: 'label' }, { signal: ac.signal });
    ac.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof RemoteError && e.isCancelled);
    const { summary } = await client.request('scan', { file: digits, label: 'label', firstPage: 1 });
    assert.equal(summary.dataset.rows, 1500);
  } finally {
    client.dispose();
  }
});

test('worker process: a data error names file, line and column and leaves the worker usable', async () => {
  const client = startWorker();
  try {
    await assert.rejects(client.request('scan', { file: digits, label: 'no_such_column' }), (e: unknown) => {
      assert.ok(e instanceof RemoteError);
      assert.equal(e.isUserError, true);
      assert.equal(e.file, digits);
      assert.equal(e.line, 1);
      assert.ok(typeof e.column === 'number' && e.column >= 1);
      assert.match(e.message, /no_such_column/);
      return true;
    });
    await assert.rejects(client.request('page', { rankBy: 'loss', offset: 0, limit: 1 }), /No scan yet/);
  } finally {
    client.dispose();
  }
});

test('worker process: a crash rejects pending requests with a clear error; the next request starts a new worker', async () => {
  let exits = 0;
  const client = new WorkerClient({
    script: path.join(root, 'src/worker/main.ts'),
    execArgv: ['--import', 'tsx'],
    onExit: () => exits++,
  });
  try {
    // killed once the scan has started (its first progress event), not after a fixed delay
    const pending = client.request('scan', { file: digits, label: 'label' }, {
      onProgress: () => (client as unknown as { child?: { kill(s: string): void } }).child?.kill('SIGKILL'),
    });
    await assert.rejects(pending, (e: unknown) => e instanceof WorkerExitedError && /stopped/.test(e.message));
    assert.equal(exits, 1);
    await assert.rejects(client.request('page', { rankBy: 'loss', offset: 0, limit: 1 }), /No scan yet/);
  } finally {
    client.dispose();
  }
});
