/**
 * The worker's `trust` method end to end: a real worker process scans breast cancer, runs the trust
 * check with progress events, and a cancelled trust check leaves the worker usable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { WorkerClient } from '../../src/worker/client';
import { RemoteError } from '../../src/protocol/errors';

const root = path.resolve(__dirname, '../..');
const cancer = path.join(root, 'test/fixtures/data/breast_cancer.csv');

test('worker process: trust reports agreement and the LDS with progress; a cancelled trust check leaves the worker usable', async () => {
  const client = new WorkerClient({ script: path.join(root, 'src/worker/main.ts'), execArgv: ['--import', 'tsx'] });
  try {
    const stages = new Set<string>();
    const { summary } = await client.request('scan', { file: cancer, label: 'diagnosis', firstPage: 3 }, { onProgress: (s) => stages.add(s) });
    assert.ok(stages.has('labelSuspicion'), [...stages].join(','));
    assert.ok(summary.timings.labelSuspicion > 0);
    const fractions: number[] = [];
    const r = await client.request('trust', { source: 'train', row: 40, rows: 6, subsets: 3 }, {
      onProgress: (stage, f) => stage === 'trust' && f !== undefined && fractions.push(f),
    });
    assert.equal(r.test.row, 40);
    assert.equal(r.leaveOneOut.rows.length, 6);
    assert.equal(r.lds?.subsets, 3);
    for (const k of ['pearson', 'spearman', 'slope'] as const) assert.equal(typeof r.leaveOneOut.newton[k], 'number');
    assert.ok(fractions.every((f) => f >= 0 && f <= 1));
    // The cancel goes out right behind the request, so it is in the worker's pipe before the trust check
    // can start: the worker reads it first (server.ts), however fast the check would be on this machine.
    // (Cancelling on the first progress event raced the check's end on a quiet machine.) Cancelling
    // mid-computation is tested in-process in trust-check.test.ts, where the abort is synchronous.
    const ac = new AbortController();
    const pending = client.request('trust', { source: 'train', row: 40, rows: 30, subsets: 20 }, { signal: ac.signal });
    ac.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof RemoteError && e.isCancelled);
    const ex = await client.request('explain', { source: 'train', row: 40, top: 3, mode: 'newton' });
    assert.equal(ex.mode, 'newton');
    assert.ok(ex.influence.every((row) => typeof row.looChange === 'number'));
  } finally {
    client.dispose();
  }
});
