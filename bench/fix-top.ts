/**
 * Fixing the top 10% (issue 11), as the product does by default: each development set of
 * ../shared/data split 70/30 (seed 7) into a training and a test file; a seeded 10% of the training
 * labels flipped in the file's text (seeds FIX_SEEDS, default 0,1,2); a scan of the noisy training file
 * with the test file through the Session with the CLI's defaults (detector auto, solver auto, hashed
 * text); the top 10% of the training rows by the default ranking (label issue) given the suggested
 * labels (a row without a suggestion, where the given label is the most probable, stays as it is and is
 * counted); Re-score After Fixes (Session.scan with warmStart, an actual refit) of the fixed file; test
 * accuracy with the noisy labels, after the fix (and as the relabel's one exact Newton step predicted
 * it, where the scan has the exact solver), and of a scan of the training file with its true labels.
 * Where the exact solver applies, the same for the top 10% by label suspicion (a scan with detector
 * off, whose suggestions are label suspicion's; refit by Verify Fixes, Session.relabel with verify).
 * Then the re-score (Session.scan with warmStart, what "Re-score After Fixes" runs) against a full scan
 * of the same fixed file, through the Session as the extension's worker runs it (detector auto): wall
 * and CPU seconds (median of ROUNDS = 5 rounds), and how close the quick re-score's label rankings are.
 *   node --import tsx bench/fix-top.ts            (writes only temporary files; prints Markdown tables)
 * Environment: FIX_SETS=name,name (default: the nine development sets in the first table, the first
 * five in the re-score table; also two_class_10k and two_class_100k, 10,000 and 100,000 generated rows
 * of 20 numbers and two classes, bench/scaleData.ts, re-score table only),
 * FIX_TABLES=fix or rescore (only that table; default both), FIX_SEEDS (flip seeds of the first table,
 * default 0,1,2), FIX_ROUNDS (default 5), FIX_FRACTION (share of the rows fixed before the re-score,
 * top by label issue; default 0.1, e.g. 0.001 for a review of 100 rows of 100,000),
 * FIX_FIRST_PAGE (rows of the first page that the re-score and the cold scan return; default the
 * extension's 200, whose label neighbours are searched for rows new to it; 0 as the CLI asks).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { Session } from '../src/engine/session';
import { applyCellEdits, editFormatOf, labelCellEdits, readLabelRecords } from '../src/edit/labelCell';
import type { ScanReply } from '../src/protocol/worker';
import { flipLabels } from '../src/eval/noise';
import { SeededRandom } from '../src/util/random';
import { writeScaleCsv } from './scaleData';

/** Rounds of the re-score table (median reported); the first rounds of a process include compiling the code. */
const ROUNDS = Number(process.env.FIX_ROUNDS ?? 5);
/** Share of the rows fixed before the re-score (the re-score table). */
const FIX_FRACTION = Number(process.env.FIX_FRACTION ?? 0.1);
/** First page of the re-score and the cold scan (undefined: the default, 200 rows with label neighbours). */
const FIRST_PAGE = process.env.FIX_FIRST_PAGE === undefined ? undefined : Number(process.env.FIX_FIRST_PAGE);
/** Flip seeds of the first table. */
const SEEDS = (process.env.FIX_SEEDS ?? '0,1,2').split(',').map(Number);
const TABLES = process.env.FIX_TABLES;
const DATA = join(__dirname, '..', '..', 'shared', 'data');
/**
 * `generate`: written into a temporary directory (not in ../shared/data); `fix`: in the first table
 * (the development sets); `rescore`: in the re-score table by default.
 */
const ALL_SETS: { name: string; file: string; label: string; generate?: (file: string) => Promise<unknown>; fix?: boolean; rescore?: boolean }[] = [
  { name: 'breast_cancer', file: 'breast_cancer.csv', label: 'diagnosis', fix: true, rescore: true },
  { name: 'wine', file: 'wine.csv', label: 'class', fix: true, rescore: true },
  { name: 'glass', file: 'glass.csv', label: 'Type', fix: true, rescore: true },
  { name: 'vowel', file: 'vowel.csv', label: 'Class', fix: true, rescore: true },
  { name: 'digits', file: 'digits.csv', label: 'label', fix: true, rescore: true },
  { name: 'satellite', file: 'satellite.csv', label: 'class', fix: true },
  { name: 'pima', file: 'pima.csv', label: 'diabetes', fix: true },
  { name: 'soybean', file: 'soybean.csv', label: 'Class', fix: true },
  { name: 'reviews', file: 'reviews.jsonl', label: 'label', fix: true },
  { name: 'two_class_10k', file: 'two_class_10k.csv', label: 'label', generate: (f) => writeScaleCsv(f, 10_000, 1, 2) },
  { name: 'two_class_100k', file: 'two_class_100k.csv', label: 'label', generate: (f) => writeScaleCsv(f, 100_000, 1, 2) },
];
const named = process.env.FIX_SETS?.split(',').map((n) => {
  const s = ALL_SETS.find((x) => x.name === n);
  if (!s) throw new Error(`FIX_SETS: no set ${n} (${ALL_SETS.map((x) => x.name).join(', ')})`);
  return s;
});
const FIX_SETS = (named ?? ALL_SETS).filter((s) => s.fix);
const SETS = named ?? ALL_SETS.filter((s) => s.rescore);

/** Mean and range over the seeds: "m (lo-hi)", or the one value. */
function spread(v: number[], f: (x: number) => string): string {
  const ok = v.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return 'n/a';
  const mean = ok.reduce((a, b) => a + b, 0) / ok.length;
  const lo = Math.min(...ok);
  const hi = Math.max(...ok);
  return lo === hi ? f(mean) : `${f(mean)} (${f(lo)}-${f(hi)})`;
}
const pct = (x: number) => (x * 100).toFixed(1);
const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** Per seed: the counts and test accuracies of one fix. */
interface FixRun {
  flipped: number;
  top: number;
  fixed: number;
  fixedFlipped: number;
  restored: number;
  noisy: number;
  after: number;
  predicted: number;
  suspicion?: { fixed: number; fixedFlipped: number; after: number; predicted: number };
  scanSeconds: number;
  rescoreSeconds: number;
}

async function fixTable(): Promise<void> {
  // FIX_SETS of generated sets only: no first table.
  if (FIX_SETS.length === 0) return;
  console.log(
    '| data set | train / test rows | solver | flipped | top 10% | fixed (with a suggestion) | of them flipped | given their true label | ' +
      'test acc. % noisy | after fix | predicted | true labels | label suspicion: fixed, of them flipped | after fix (predicted) | scan s | re-score s |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const tmp = mkdtempSync(join(tmpdir(), 'dd-bench-fix-'));
  for (const set of FIX_SETS) {
    const src = readFileSync(join(DATA, set.file), 'utf8');
    const format = editFormatOf(set.file)!;
    const opts = { format, labelColumn: set.label };
    // Rows without a label are left out of both files (a scan skips them anyway).
    const all = readLabelRecords(src, opts).filter((r) => r.label !== null && r.label !== '');
    const header = format === 'jsonl' ? '' : src.slice(0, readLabelRecords(src, opts)[0].start);
    const order = new SeededRandom(7).sample(all.length, all.length);
    const nTest = Math.round(0.3 * all.length);
    const text = (rows: number[]) => header + rows.sort((a, b) => a - b).map((i) => src.slice(all[i].start, all[i].end)).join('\n') + '\n';
    const trainText = text(order.slice(nTest));
    const ext = extname(set.file);
    const trainFile = join(tmp, `${set.name}-train${ext}`);
    const testFile = join(tmp, `${set.name}-test${ext}`);
    writeFileSync(trainFile, trainText);
    writeFileSync(testFile, text(order.slice(0, nTest)));
    const records = readLabelRecords(trainText, opts);
    const classes = [...new Set(records.map((r) => r.label!))].sort();
    const trueY = Int32Array.from(records, (r) => classes.indexOf(r.label!));
    const trueLabel = new Map(records.map((r) => [r.row, r.label!]));

    const clean = await new Session().scan({ file: trainFile, label: set.label, test: testFile });
    const trueAcc = clean.summary.model.testAccuracy ?? NaN;
    const solver = clean.summary.analysis.solver;
    const runs: FixRun[] = [];
    for (const seed of SEEDS) {
      const flips = flipLabels(trueY, classes.length, 0.1, seed);
      const flipped = new Set(flips.flipped.map((i) => records[i].row));
      const noisyText = applyCellEdits(trainText, labelCellEdits(trainText, opts, flips.flipped.map((i) => ({ row: records[i].row, newLabel: classes[flips.noisy[i]] }))));
      const file = join(tmp, `${set.name}-noisy${ext}`);
      writeFileSync(file, noisyText);
      const params = { file, label: set.label, test: testFile };
      const n10 = Math.round(0.1 * records.length);

      // Label suspicion's ranking and suggestions (detector off), where the scan has the exact solver.
      let suspicion: FixRun['suspicion'];
      if (solver === 'exact') {
        const ls = new Session();
        await ls.scan({ ...params, detector: 'off' });
        const fixes = ls.allExamples('labelSuspicion').slice(0, n10).filter((e) => e.suggestedLabel !== undefined && e.suggestedLabel !== e.label);
        const v = fixes.length > 0 ? await ls.relabel({ changes: fixes.map((e) => ({ row: e.row, label: e.suggestedLabel! })), verify: true }) : undefined;
        suspicion = {
          fixed: fixes.length,
          fixedFlipped: fixes.filter((e) => flipped.has(e.row)).length,
          after: v?.actual?.accuracy ?? NaN,
          predicted: v?.predicted.accuracy ?? NaN,
        };
      }

      // The default: the label-issue ranking and its suggestions, fixed in the file, then re-scored.
      const s = new Session();
      let t = performance.now();
      const noisy = await s.scan(params);
      const scanSeconds = (performance.now() - t) / 1000;
      if (!noisy.summary.detection) throw new Error(`${set.name}: the scan ran no label-issue detector`);
      const top = s.allExamples('labelIssue').slice(0, n10);
      const fixes = top.filter((e) => e.suggestedLabel !== undefined);
      const changes = fixes.map((e) => ({ row: e.row, label: e.suggestedLabel! }));
      // Verify Fixes' warm refit as well (stderr only): the re-score's fit should reach the same model.
      const v = noisy.summary.capabilities?.relabel && changes.length > 0 ? await s.relabel({ changes, verify: true }) : undefined;
      const predicted = v?.predicted.accuracy ?? NaN;
      writeFileSync(file, applyCellEdits(noisyText, labelCellEdits(noisyText, opts, changes.map((c) => ({ row: c.row, newLabel: c.label })))));
      t = performance.now();
      const after = await s.scan({ ...params, warmStart: true });
      const rescoreSeconds = (performance.now() - t) / 1000;
      runs.push({
        flipped: flipped.size,
        top: top.length,
        fixed: fixes.length,
        fixedFlipped: fixes.filter((e) => flipped.has(e.row)).length,
        restored: fixes.filter((e) => e.suggestedLabel === trueLabel.get(e.row)).length,
        noisy: noisy.summary.model.testAccuracy ?? NaN,
        after: after.summary.model.testAccuracy ?? NaN,
        predicted,
        suspicion,
        scanSeconds,
        rescoreSeconds,
      });
      console.error(`${set.name} seed ${seed}: ${JSON.stringify({ ...runs[runs.length - 1], verifyActual: v?.actual?.accuracy, rescore: after.summary.rescore?.warm ? (after.summary.rescore.approximate ? 'quick' : 'exact') : 'cold' })}`);
    }
    const col = (f: (r: FixRun) => number, fmt: (x: number) => string = num) => spread(runs.map(f), fmt);
    const ls = runs[0].suspicion
      ? `${col((r) => r.suspicion!.fixed)}, ${col((r) => r.suspicion!.fixedFlipped)} | ${col((r) => r.suspicion!.after, pct)} (${col((r) => r.suspicion!.predicted, pct)})`
      : 'n/a (no exact solver) | n/a';
    console.log(
      `| ${set.name} | ${records.length} / ${nTest} | ${solver} | ${col((r) => r.flipped)} | ${col((r) => r.top)} | ${col((r) => r.fixed)} | ${col((r) => r.fixedFlipped)} | ${col((r) => r.restored)} | ` +
        `${col((r) => r.noisy, pct)} | ${col((r) => r.after, pct)} | ${col((r) => r.predicted, pct)} | ${pct(trueAcc)} | ${ls} | ` +
        `${col((r) => r.scanSeconds, (x) => x.toFixed(2))} | ${col((r) => r.rescoreSeconds, (x) => x.toFixed(2))} |`,
    );
  }
}

/**
 * The whole file with a seeded 10% of its labels flipped (in the file's text, label cells only), a
 * full scan, the top 10% by label issue given their suggested labels in the file, then the warm
 * re-score and a cold scan of the fixed file: times, and whether the rankings agree.
 */
async function rescoreTable(): Promise<void> {
  console.log('');
  console.log(
    '| data set | rows | fixed | re-score | full scan s (CPU s) | re-score s (CPU s) | re-score / full, wall (CPU) | parse s (cold) | fit s (cold) | influence s (cold) | label suspicion s (cold) | detect s (cold) | ' +
      'top-10% overlap: label issue, suspicion | label issue overlap, cold scan with fold seed 1 | max abs diff: suspicion nats, label probability | rankings equal (label issue, suspicion, influence, loss) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const tmp = mkdtempSync(join(tmpdir(), 'dd-bench-rescore-'));
  for (const set of SETS) {
    if (set.generate) await set.generate(join(tmp, 'source-' + set.file));
    const src = readFileSync(set.generate ? join(tmp, 'source-' + set.file) : join(DATA, set.file), 'utf8');
    const opts = { format: editFormatOf(set.file)!, labelColumn: set.label };
    const records = readLabelRecords(src, opts);
    const classes = [...new Set(records.map((r) => r.label ?? ''))].sort();
    const y = Int32Array.from(records, (r) => classes.indexOf(r.label ?? ''));
    const flips = flipLabels(y, classes.length, 0.1, 0);
    const noisyText = applyCellEdits(src, labelCellEdits(src, opts, flips.flipped.map((row) => ({ row, newLabel: classes[flips.noisy[row]] }))));
    const file = join(tmp, set.file);
    writeFileSync(file, noisyText);
    const params = { file, label: set.label, firstPage: FIRST_PAGE };
    // ROUNDS rounds (median time): full scan of the noisy file, fix, warm re-score, cold scan of the fixed file.
    const warmTimes: number[] = [];
    const coldTimes: number[] = [];
    const warmCpu: number[] = [];
    const coldCpu: number[] = [];
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    let s = new Session();
    let c = new Session();
    let warm!: ScanReply;
    let cold!: ScanReply;
    let top: ReturnType<Session['allExamples']> = [];
    for (let round = 0; round < ROUNDS; round++) {
      writeFileSync(file, noisyText);
      s = new Session();
      await s.scan(params);
      top = s.allExamples('labelIssue').slice(0, Math.max(1, Math.round(FIX_FRACTION * records.length))).filter((e) => e.suggestedLabel !== undefined);
      writeFileSync(file, applyCellEdits(noisyText, labelCellEdits(noisyText, opts, top.map((e) => ({ row: e.row, newLabel: e.suggestedLabel! })))));
      let t = performance.now();
      let u = cpu();
      warm = await s.scan({ ...params, warmStart: true });
      warmTimes.push((performance.now() - t) / 1000);
      warmCpu.push(cpu() - u);
      c = new Session();
      t = performance.now();
      u = cpu();
      cold = await c.scan(params);
      coldTimes.push((performance.now() - t) / 1000);
      coldCpu.push(cpu() - u);
    }
    const median = (v: number[]) => [...v].sort((x, y) => x - y)[(v.length - 1) >> 1];
    const warmS = median(warmTimes);
    const coldS = median(coldTimes);
    const warmC = median(warmCpu);
    const coldC = median(coldCpu);
    // (A scan without label suspicion, e.g. EK-FAC's, has no such ranking: n/a.)
    const has = (rankBy: 'labelIssue' | 'labelSuspicion' | 'globalInfluence' | 'loss') => c.summary?.capabilities?.rankings.includes(rankBy) ?? false;
    const same = (rankBy: 'labelIssue' | 'labelSuspicion' | 'globalInfluence' | 'loss') => {
      if (!has(rankBy)) return 'n/a';
      const a = s.allExamples(rankBy);
      const b = c.allExamples(rankBy);
      let diff = 0;
      for (let r = 0; r < a.length; r++) if (a[r].row !== b[r].row) diff++;
      return diff === 0 ? 'equal' : `${diff} differ`;
    };
    const n10 = Math.round(0.1 * records.length);
    const overlap = (rankBy: 'labelIssue' | 'labelSuspicion', a: Session = s) => {
      if (!has(rankBy)) return NaN;
      const b = new Set(c.allExamples(rankBy).slice(0, n10).map((e) => e.row));
      return a.allExamples(rankBy).slice(0, n10).filter((e) => b.has(e.row)).length / n10;
    };
    // How far two cold scans are apart when only the detector's fold deal differs (seed 1).
    const other = new Session();
    await other.scan({ ...params, seed: 1 });
    const maxDiff = (score: (e: ReturnType<Session['allExamples']>[number]) => number | undefined) => {
      const b = new Map(c.allExamples('loss').map((e) => [e.row, score(e) ?? 0]));
      return Math.max(...s.allExamples('loss').map((e) => Math.abs((score(e) ?? 0) - b.get(e.row)!)));
    };
    const st = (r: ScanReply, k: string) => (r.summary.timings[k] ?? 0).toFixed(3);
    // quick: some part reused from the last full scan (rescore.approximate says which).
    if (!warm.summary.rescore?.warm) console.log(`| ${set.name} | not warm: ${warm.summary.rescore?.reason} |`);
    const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
    console.log(
      `| ${set.name} | ${records.length} | ${top.length} | ${!warm.summary.rescore?.warm ? 'cold' : warm.summary.rescore.approximate ? (warm.summary.rescore.reused.some((r) => /curvature/.test(r)) ? 'quick' : 'quick kNN') : 'exact'} | ${coldS.toFixed(2)} (${coldC.toFixed(2)}) | ${warmS.toFixed(2)} (${warmC.toFixed(2)}) | ` +
        `${pct(warmS / coldS)} (${pct(warmC / coldC)}) | ` +
        `${st(warm, 'parse')} (${st(cold, 'parse')}) | ${st(warm, 'fit')} (${st(cold, 'fit')}) | ${st(warm, 'influence')} (${st(cold, 'influence')}) | ` +
        `${st(warm, 'labelSuspicion')} (${st(cold, 'labelSuspicion')}) | ${st(warm, 'detect')} (${st(cold, 'detect')}) | ` +
        `${pct(overlap('labelIssue'))}, ${pct(overlap('labelSuspicion'))} | ${pct(overlap('labelIssue', other))} | ${maxDiff((e) => e.labelSuspicion).toFixed(2)}, ${maxDiff((e) => e.labelProbability).toFixed(2)} | ` +
        `${same('labelIssue')}, ${same('labelSuspicion')}, ${same('globalInfluence')}, ${same('loss')} |`,
    );
  }
}

async function main(): Promise<void> {
  if (TABLES !== 'rescore') await fixTable();
  if (TABLES !== 'fix') await rescoreTable();
}

void main();
