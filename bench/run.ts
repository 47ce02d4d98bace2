/**
 * `npm run bench`: the exact scan's stages on digits and satellite next to the numpy reference
 * (shared/reference/ref_influence.py, run as a separate process on the same machine), and flipped-label
 * detection on digits, breast cancer, satellite and reviews (label suspicion against self-influence,
 * training loss, confident learning and random, with relabelling and test accuracy, and what label
 * suspicion costs). Prints the tables and writes them to bench/RESULTS.md.
 *   npm run bench [-- --repeat N] [-- --quick] [-- --detection-only] [-- --sets digits,reviews]
 * (--quick: seed 0 only; --sets: the detection data sets to run, by name without spaces.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { splitDetectionTable, type SplitBaseline, type SplitDetectionRow } from './detection';

const root = path.resolve(__dirname, '..');
const reference = path.resolve(root, '../shared/reference/ref_influence.py');
const argv = process.argv.slice(2);
const repeat = Number(argv[argv.indexOf('--repeat') + 1] || 3) || 3;
const quick = argv.includes('--quick');
const detectionOnly = argv.includes('--detection-only');
const onlySets = argv.includes('--sets') ? argv[argv.indexOf('--sets') + 1].split(',') : undefined;

const DATA = [
  { name: 'digits', file: 'test/fixtures/data/digits.csv', label: 'label' },
  { name: 'satellite', file: 'test/fixtures/data/satellite.csv', label: 'class' },
];

interface OursRun {
  N: number;
  P: number;
  iterations: number;
  newtonSteps: number;
  timings: Record<string, number>;
  peakRssMB: number;
}

function runOurs(file: string, label: string): OursRun {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench/scan-stages.ts'), file, label, String(repeat)], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function runReference(file: string, label: string): { timings: Record<string, number>; blas: string; peakRssMB: number } | undefined {
  if (!existsSync(reference)) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dd-bench-'));
  const out = path.join(dir, 'scan.json');
  // GNU time is not on every machine: measure the child's peak memory with python's own resource module.
  const wrapper = `import resource, runpy, sys; sys.argv = sys.argv[1:]; 
try:
    runpy.run_path(sys.argv[0], run_name='__main__')
finally:
    print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)`;
  // One BLAS thread, like the engine (single-threaded JavaScript + WebAssembly). On this 2-core machine,
  // shared with other jobs, OpenBLAS's default threads were measured spinning for 10-40 s per fit.
  const oneThread = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync('python3', ['-c', wrapper, reference, 'scan', '--train', file, '--label', label, '--repeat', String(repeat), '--out', out], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...oneThread },
  });
  if (r.status !== 0) {
    console.error(`numpy reference failed on ${file}:\n${r.stderr}`);
    return undefined;
  }
  const json = JSON.parse(readFileSync(out, 'utf8'));
  const kb = Number(r.stderr.match(/PEAK_RSS_KB (\d+)/)?.[1] ?? NaN);
  return { timings: json.timings, blas: json.blas, peakRssMB: kb / 1024 };
}

const fmt = (s: number | undefined) => (s === undefined || !Number.isFinite(s) ? '—' : s < 0.1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}x` : '—');

async function main() {
  const lines: string[] = [];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  lines.push('# Benchmark results', '');
  lines.push(`Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.`);
  lines.push(`Median of ${repeat} runs per stage; each data set in a fresh process (peak memory is that process's maximum RSS).`, '');
  lines.push('## Exact scan: this engine vs the numpy reference', '');
  lines.push(
    '| data set | rows | params | stage | engine | numpy | ratio |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: |',
  );
  let blas = '';
  for (const d of detectionOnly ? [] : DATA) {
    const ours = runOurs(d.file, d.label);
    const ref = runReference(d.file, d.label);
    if (ref) blas = ref.blas;
    const t = ours.timings;
    const r = ref?.timings ?? {};
    const oursFull = t.parse + t.fit + t.influence + t.relatifNorms;
    const stages: [string, number | undefined, number | undefined][] = [
      ['parse + features', t.parse, undefined],
      [`fit (${ours.iterations} L-BFGS its, ${ours.newtonSteps} Newton)`, t.fit, r.fit_s],
      ['Hessian', t.hessian, r.hessian_s],
      ['Cholesky', t.factor, r.factor_s],
      ['self-influence, all rows', t.selfInfluence, r.self_influence_s],
      ['Hessian + Cholesky + self-influence (+ RelatIF norms, sharing its solve)', t.influence, (r.hessian_s ?? 0) + (r.factor_s ?? 0) + (r.self_influence_s ?? 0)],
      
      ['full scan: parse + fit + influence with RelatIF norms (numpy: its total_s, no parse, no RelatIF norms)', oursFull, r.total_s],
      ['fit + influence with RelatIF norms, no parse (numpy: total_s)', t.fit + t.influence, r.total_s],
      ['one explain query after the scan', t.explain, undefined],
    ];
    for (const [name, a, b] of stages) {
      if (a === undefined && b === undefined) continue;
      lines.push(`| ${d.name} | ${ours.N} | ${ours.P} | ${name} | ${fmt(a)} | ${fmt(b)} | ${ratio(a, b)} |`);
    }
    lines.push(`| ${d.name} | | | peak memory | ${ours.peakRssMB.toFixed(0)} MB | ${ref ? ref.peakRssMB.toFixed(0) + ' MB' : '—'} | |`);
    console.error(`bench: ${d.name} done`);
  }
  if (blas) lines.push('', `numpy: ${blas}; run with one BLAS thread (OPENBLAS_NUM_THREADS=1), as the engine uses one core.`);
  lines.push(
    '',
    'Targets (issue 2): the full scan within 3x of the numpy reference; one explain query after a scan under 50 ms.',
    '',
  );

  lines.push(...(await labelErrorSection()));
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);
  // Keep the scale section that bench/scale.ts writes (between its markers) when rewriting the file.
  const resultsFile = path.join(root, 'bench/RESULTS.md');
  const old = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '';
  const scale = /<!-- scale:begin -->[\s\S]*<!-- scale:end -->\n?/.exec(old)?.[0];
  writeFileSync(resultsFile, scale ? `${text}\n${scale}` : text);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));
const pm = (v: number[], d = 3) => `${mean(v).toFixed(d)} ± ${std(v).toFixed(d)}`;

/** Flipped-label detection with relabelling on the four fixtures, and what label suspicion costs. */
async function labelErrorSection(): Promise<string[]> {
  const sets = [
    { name: 'digits', file: path.join(root, 'test/fixtures/data/digits.csv'), label: 'label' },
    { name: 'breast cancer', file: path.join(root, 'test/fixtures/data/breast_cancer.csv'), label: 'diagnosis' },
    { name: 'satellite', file: path.join(root, 'test/fixtures/data/satellite.csv'), label: 'class' },
    { name: 'reviews', file: path.join(root, 'test/fixtures/data/reviews.jsonl'), label: 'label' },
  ];
  const seeds = quick ? [0] : [0, 1, 2, 3, 4];
  const chosen = onlySets ? sets.filter((s) => onlySets.includes(s.name.replace(/ /g, ''))) : sets;
  const { rows, baselines } = await splitDetectionTable(chosen, seeds, undefined, { log: (m) => console.error(`bench: ${m}`) });
  const out: string[] = [];
  out.push('## Label errors: flipped-label detection', '');
  out.push(
    `Per seed (${seeds.join(', ')}): a seeded 80/20 split, 10% of the TRAINING labels flipped to a uniformly drawn other class`,
    '(src/eval/noise.ts, seed = split seed), features fitted on the training split, the model fitted on the noisy labels',
    '(l2 = 1e-3), the training rows ranked by each score. recall@q = share of the flipped rows in the top q% of the ranking',
    '(recall@10% = precision@10%). Then each method\'s top 10% is relabelled to its model\'s most probable class (label',
    'suspicion: the reweighted leave-one-out probabilities; confident learning: out of fold; the others: the fitted model; a row',
    'whose most probable class is its label keeps it), the model refitted, and its accuracy measured on the clean test split.',
    '`fixed` = flipped rows restored to their true label minus clean rows changed. Mean ± sample std over seeds.',
    '',
  );
  out.push(
    '| data set | method | recall@5% | recall@10% | recall@20% | AUROC | test acc. after relabel | fixed | seconds |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const b of baselines) {
    out.push(
      `| ${b.dataset} (N ${b.N}, D ${b.D}, K ${b.K}, ${b.flips} flips) | noisy / true labels, no relabelling | | | | | ${mean(b.noisyAcc).toFixed(3)} / ${mean(b.cleanAcc).toFixed(3)} | | |`,
    );
    for (const r of rows.filter((x) => x.dataset === b.dataset)) {
      const name = r.score === 'label suspicion' ? `**${r.score}**` : r.score;
      out.push(
        `| | ${name} | ${r.recall5.toFixed(3)} | ${pm(r.perSeed.recall10)} | ${r.recall20.toFixed(3)} | ${pm(r.perSeed.auroc)} | ${pm(r.perSeed.acc)} | ${mean(r.perSeed.fixed).toFixed(1)} | ${r.seconds.toFixed(2)} |`,
      );
    }
  }
  out.push('', ...verdict(rows, baselines.map((b) => b.dataset)), '', ...costTable(baselines, rows));
  return out;
}

/** Label suspicion against the best other method per data set, and paired over all runs. */
function verdict(rows: SplitDetectionRow[], sets: string[]): string[] {
  const out = ['### Label suspicion against the other methods', ''];
  out.push('| data set | label suspicion recall@10% | best other (recall@10%) | difference | AUROC: label suspicion / best other |', '| --- | ---: | --- | ---: | --- |');
  const others = [...new Set(rows.map((r) => r.score))].filter((s) => s !== 'label suspicion' && s !== 'random');
  let sumLs = 0;
  let sumBest = 0;
  for (const set of sets) {
    const ls = rows.find((r) => r.dataset === set && r.score === 'label suspicion')!;
    const rest = rows.filter((r) => r.dataset === set && others.includes(r.score));
    const best = rest.reduce((a, b) => (b.recall10 > a.recall10 ? b : a));
    const bestAuc = rest.reduce((a, b) => (b.auroc > a.auroc ? b : a));
    sumLs += ls.recall10;
    sumBest += best.recall10;
    out.push(
      `| ${set} | ${ls.recall10.toFixed(3)} | ${best.score} (${best.recall10.toFixed(3)}) | ${(ls.recall10 - best.recall10 >= 0 ? '+' : '') + (ls.recall10 - best.recall10).toFixed(3)} | ${ls.auroc.toFixed(3)} / ${bestAuc.auroc.toFixed(3)} (${bestAuc.score}) |`,
    );
  }
  const n = sets.length;
  out.push(`| mean of the ${n} sets | ${(sumLs / n).toFixed(3)} | (best per set) ${(sumBest / n).toFixed(3)} | ${((sumLs - sumBest) / n >= 0 ? '+' : '') + ((sumLs - sumBest) / n).toFixed(3)} | |`);
  out.push('', 'Paired over every data set and seed, label suspicion against each method (recall@10%: better / tie / worse; AUROC: better / worse):', '');
  out.push('| against | recall@10% | mean difference | AUROC | mean difference |', '| --- | --- | ---: | --- | ---: |');
  for (const o of [...others, 'random']) {
    let b = 0, t = 0, w = 0, ab = 0, aw = 0, d = 0, ad = 0, k = 0;
    for (const set of sets) {
      const ls = rows.find((r) => r.dataset === set && r.score === 'label suspicion')!;
      const ot = rows.find((r) => r.dataset === set && r.score === o)!;
      ls.perSeed.recall10.forEach((v, s) => {
        const x = ot.perSeed.recall10[s];
        if (Math.abs(v - x) < 1e-12) t++;
        else if (v > x) b++;
        else w++;
        d += v - x;
        const av = ls.perSeed.auroc[s], ax = ot.perSeed.auroc[s];
        if (av > ax) ab++;
        else aw++;
        ad += av - ax;
        k++;
      });
    }
    out.push(`| ${o} | ${b} / ${t} / ${w} | ${(d / k >= 0 ? '+' : '') + (d / k).toFixed(4)} | ${ab} / ${aw} | ${(ad / k >= 0 ? '+' : '') + (ad / k).toFixed(4)} |`);
  }
  return out;
}

/** What label suspicion costs next to the fit and the exact influence it builds on (mean seconds per run). */
function costTable(baselines: SplitBaseline[], rows: SplitDetectionRow[]): string[] {
  const out = ['### What label suspicion costs', ''];
  out.push(
    'Wall-clock seconds per run (mean over seeds; the machine is shared, so treat ratios as rough). Exact influence = Hessian,',
    'Cholesky and self-influence of every row (ExactInfluence.build). Label suspicion = stage 1 (H^-1 and the leave-one-out blocks',
    'M_i, or for two classes their closed form from one D x D system), the weighted refit, stage 2 (weighted Hessian and its',
    'factor; blocks again). Confident learning = its 5 fold fits.',
    '',
    '| data set | N | params | fit | exact influence | label suspicion | of which: stage 1 / refit / weighted Hessian / stage 2 | ÷ exact influence | confident learning |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  );
  for (const b of baselines) {
    const s = b.suspicion;
    const part = (k: keyof (typeof s)[number]) => mean(s.map((x) => x[k])).toFixed(2);
    const inf = mean(b.influenceSeconds);
    const total = mean(s.map((x) => x.total));
    const cl = rows.find((r) => r.dataset === b.dataset && r.score.startsWith('confident'))?.seconds ?? NaN;
    out.push(
      `| ${b.dataset} | ${b.N} | ${b.K * b.D} | ${mean(b.fitSeconds).toFixed(2)} | ${inf.toFixed(2)} | ${total.toFixed(2)} | ${part('looBlocks')} / ${part('refit')} / ${part('reweightedHessian')} / ${part('reweightedBlocks')} | ${(total / inf).toFixed(1)}x | ${cl.toFixed(2)} |`,
    );
  }
  return out;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
