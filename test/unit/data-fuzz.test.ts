/**
 * Issue 13: mutated CSV, TSV and JSONL files never crash or hang the readers, and every error carries
 * a position inside the file (test/fuzz/dataFuzz.ts; bench/fuzz.ts runs 10^5 of these).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkInput, fuzzInput, type FuzzOutcome } from '../fuzz/dataFuzz';

test('fuzz: mutated CSV/TSV/JSONL read or fail with a located error, never crash or hang', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-fuzz-'));
  const counts: Record<FuzzOutcome, number> = { scanned: 0, read: 0, dataError: 0, userError: 0 };
  let k = 0;
  await fc.assert(
    fc.asyncProperty(fuzzInput, async (input) => {
      const r = await checkInput(input, join(dir, `f${k++ % 4}.${input.format}`));
      counts[r.outcome]++;
    }),
    { numRuns: 600, seed: 13, timeout: 20_000, markInterruptAsFailure: true },
  );
  // The generator reaches both sides: files that scan and files that fail with located errors.
  assert.ok(counts.scanned > 50 && counts.dataError > 50, JSON.stringify(counts));
  assert.equal(counts.userError, 0, JSON.stringify(counts));
});
