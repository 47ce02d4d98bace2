/**
 * Scale benchmark: scans generated CSV files of about 50 MB, 200 MB and 1 GB (20 numeric columns and a
 * 3-class label, bench/scaleData.ts; generated deterministically into a temporary folder, deleted
 * afterwards) with the built CLI (`dist/cli.js scan FILE --label label --json > /dev/null`, each in its
 * own process under nice) and records wall time, CPU time and peak resident memory, with the machine's
 * load average, in the scale section of bench/RESULTS.md.
 *   npm run build && npm run bench:scale [-- --sizes 50,200,1000] [-- --keep DIR] [-- --from-log FILE]
 * (--from-log: write the table from the `scale: N MB: {...}` lines of an earlier run's stderr, e.g. one
 * stopped before its last size.)
 * Targets (issue 13): 200 MB in under 25 s, 1 GB in under 2 GB of memory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCALE_BYTES_PER_ROW, writeScaleCsv } from './scaleData';

const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const sizes = (flag('--sizes') ?? '50,200,1000').split(',').map(Number);
const keep = flag('--keep');
/** Free text added under the table (e.g. about a size that did not finish). */
const notes = flag('--notes');

interface Run {
  mb: number;
  rows: number;
  bytes: number;
  generateSeconds: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  stages: string;
  loadBefore: number[];
  loadAfter: number[];
  exit: number | null;
}

function scan(file: string): Promise<{ wall: number; stderr: string; exit: number | null }> {
  const cli = path.join(root, 'dist/cli.js');
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run npm run build first');
  const t0 = performance.now();
  const child = spawn('nice', ['-n', '10', process.execPath, '-r', path.join(root, 'bench/peak.cjs'), cli, 'scan', file, '--label', 'label', '--json'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ wall: (performance.now() - t0) / 1000, stderr, exit: code })));
}

async function main() {
  const fromLog = flag('--from-log');
  if (fromLog) {
    const runs = readFileSync(fromLog, 'utf8')
      .split('\n')
      .flatMap((l) => (/^scale: \d+ MB: (\{.*\})$/.exec(l) ? [JSON.parse(/^scale: \d+ MB: (\{.*\})$/.exec(l)![1]) as Run] : []));
    return writeResults(runs);
  }
  const dir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'dd-scale-'));
  mkdirSync(dir, { recursive: true });
  const runs: Run[] = [];
  try {
    for (const mb of sizes) {
      const rows = Math.round((mb * 1e6) / SCALE_BYTES_PER_ROW);
      const file = path.join(dir, `scale-${mb}mb.csv`);
      let generateSeconds = 0;
      if (!existsSync(file)) {
        const t = performance.now();
        await writeScaleCsv(file, rows);
        generateSeconds = (performance.now() - t) / 1000;
      }
      const loadBefore = os.loadavg();
      const r = await scan(file);
      const m = /DD_BENCH peakRssKB=(\d+) cpuSeconds=([\d.]+)/.exec(r.stderr);
      const stages = r.stderr
        .split('\n')
        .filter((l) => /^\[\d/.test(l))
        .map((l) => l.replace(/^\[([\d.]+)s\] (\w+):.*/, '$2 $1s'))
        .join(', ');
      const run: Run = {
        mb,
        rows,
        bytes: statSync(file).size,
        generateSeconds,
        wallSeconds: r.wall,
        cpuSeconds: m ? Number(m[2]) : NaN,
        peakRssMB: m ? Number(m[1]) / 1024 : NaN,
        stages,
        loadBefore,
        loadAfter: os.loadavg(),
        exit: r.exit,
      };
      runs.push(run);
      console.error(`scale: ${mb} MB: ${JSON.stringify(run)}`);
      if (r.exit !== 0) console.error(r.stderr.slice(-2000));
      if (!keep) rmSync(file, { force: true });
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  writeResults(runs);
}

function writeResults(runs: Run[]): void {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '<!-- scale:begin -->',
    '## Scale: generated CSV files (npm run bench:scale)',
    '',
    `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 16)}Z.`,
    'Each file: 20 numeric columns (5 decimals) and a 3-class label, about 172 bytes per row (bench/scaleData.ts).',
    '`dist/cli.js scan FILE --label label --json > /dev/null` in its own process under `nice -n 10`: logistic regression,',
    'exact influence, label suspicion, every row written as JSON. CPU = user + system seconds of that process;',
    'peak memory = its maximum resident set. The machine is shared: wall time depends on its load (1-minute load',
    'average before and after each run), CPU time much less.',
    '',
    '| file | rows | wall | CPU | peak memory | peak / file size | load before / after | stages (start, wall clock) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...runs.map(
      (r) =>
        `| ${(r.bytes / 1e6).toFixed(0)} MB | ${r.rows.toLocaleString('en')} | ${r.wallSeconds.toFixed(1)} s | ${r.cpuSeconds.toFixed(1)} s | ` +
        `${r.peakRssMB.toFixed(0)} MiB | ${(r.peakRssMB / (r.bytes / 2 ** 20)).toFixed(2)}x | ${r.loadBefore[0].toFixed(1)} / ${r.loadAfter[0].toFixed(1)} | ${r.exit === 0 ? r.stages : `failed (exit ${r.exit})`} |`,
    ),
    '',
    'Targets (issue 13): the 200 MB file in under 25 s; the 1 GB file in under 2 GB of memory.',
    ...(notes ? ['', notes] : []),
    '<!-- scale:end -->',
    '',
  ];
  const text = lines.join('\n');
  process.stdout.write(text);
  const resultsFile = path.join(root, 'bench/RESULTS.md');
  const old = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '';
  const marked = /<!-- scale:begin -->[\s\S]*<!-- scale:end -->\n?/;
  writeFileSync(resultsFile, marked.test(old) ? old.replace(marked, text) : `${old.trimEnd()}\n\n${text}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
