/**
 * `npm run bench:fuzz [-- --runs N] [-- --seed S]`: the long fuzz run of issue 13. Feeds N (default
 * 10^5) mutated CSV, TSV and JSONL files (test/fuzz/dataFuzz.ts) through the readers, schema, labels
 * and features; every input must scan or fail with a DataFileError whose line:column is inside the
 * file. Counts outcomes, the most common error kinds, the slowest input, and writes
 * bench/FUZZ-RESULTS.md. A violation (a crash, an error outside the file, an input slower than 30 s)
 * stops the run with the counterexample and exit 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { checkInput, fuzzInput, type FuzzOutcome } from '../test/fuzz/dataFuzz';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const runs = arg('--runs', 100_000);
const seed = arg('--seed', 13);
/** An input slower than this is a hang (generous: the machine may be heavily loaded). */
const TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(process.env.DD_FUZZ_DIR ?? os.tmpdir(), 'dd-fuzz-'));
  const counts: Record<FuzzOutcome, number> = { scanned: 0, read: 0, dataError: 0, userError: 0 };
  const byFormat: Record<string, Record<FuzzOutcome, number>> = {};
  const kinds = new Map<string, number>();
  let slowest = 0;
  let bytes = 0;
  let k = 0;
  const started = Date.now();
  try {
    await fc.assert(
      fc.asyncProperty(fuzzInput, async (input) => {
        const t0 = performance.now();
        const r = await checkInput(input, path.join(dir, `f${k++ % 8}.${input.format}`));
        const ms = performance.now() - t0;
        if (ms > slowest) slowest = ms;
        bytes += input.bytes.length;
        counts[r.outcome]++;
        const f = (byFormat[input.format] ??= { scanned: 0, read: 0, dataError: 0, userError: 0 });
        f[r.outcome]++;
        if (r.detail) kinds.set(`${r.outcome}: ${r.detail}`, (kinds.get(`${r.outcome}: ${r.detail}`) ?? 0) + 1);
        if (k % 10_000 === 0) process.stderr.write(`${k} inputs, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      }),
      { numRuns: runs, seed, timeout: TIMEOUT_MS, markInterruptAsFailure: true, endOnFailure: true },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  const row = (name: string, c: Record<FuzzOutcome, number>) =>
    `| ${name} | ${c.scanned + c.read + c.dataError + c.userError} | ${c.scanned} | ${c.read} | ${c.dataError} | ${c.userError} | 0 |`;
  const top = [...kinds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
  const md = [
    '# Fuzz run (issue 13)',
    '',
    `\`npm run bench:fuzz -- --runs ${runs} --seed ${seed}\` on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    'Inputs: well-formed CSV, TSV and JSONL files of random cells with 0-4 byte-level mutations (quotes, delimiters, CR/LF,',
    'NUL, invalid UTF-8, BOMs, Infinity, deletions, duplications; test/fuzz/dataFuzz.ts), read at chunk sizes of 1 to 64 KiB',
    'bytes and sometimes with a 40-character record limit. Outcomes: **scanned** = read, schema, labels and features',
    'all fine (every feature finite); **read, then refused** = read, then the schema or labels refused it with a located',
    'error (one class, a continuous label, a stray value in a numeric column, ...); **reader error** = a DataFileError from',
    'the reader; every error position was checked to be inside the file. **crashes** = anything else (the run stops at the',
    'first, with fast-check\'s shrunk counterexample).',
    '',
    '| format | inputs | scanned | read, then refused | reader error | other user error | crashes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...Object.entries(byFormat).sort().map(([f, c]) => row(f, c)),
    row('**all**', counts),
    '',
    `${runs.toLocaleString('en-US')} inputs (${(bytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(0)} s; slowest input ${slowest.toFixed(0)} ms (limit ${TIMEOUT_MS.toLocaleString('en-US')} ms: no hang).`,
    '',
    'Most common outcomes with a message (numbers and quoted values elided):',
    '',
    '| count | outcome: message |',
    '| ---: | --- |',
    ...top.map(([m, c]) => `| ${c} | ${m.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`),
    '',
  ].join('\n');
  process.stdout.write(md);
  if (runs >= 100_000) writeFileSync(path.join(__dirname, 'FUZZ-RESULTS.md'), md);
}

main().catch((e) => {
  const cause = e instanceof Error && e.cause ? `\ncause: ${e.cause instanceof Error ? e.cause.stack : String(e.cause)}` : '';
  process.stderr.write(`fuzz: ${e instanceof Error ? e.message : String(e)}${cause}\n`);
  process.exitCode = 1;
});
