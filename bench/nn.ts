/**
 * Benchmarks of the engine beyond small convex models: text features, the TensorFlow.js MLP,
 * influence at scale (EK-FAC) and flipped-label detection with the MLP.
 *
 *   node --import tsx bench/nn.ts              all rows, each in its own process (so peak memory
 *                                              is per row); writes bench/NN-RESULTS.md
 *   node --import tsx bench/nn.ts --row NAME   one row; prints one JSON line
 *
 * bench/run.ts can call runNnBench() and nnResultsMarkdown().
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { readTable } from '../src/data/table';
import { denseInto, HashedTfidf } from '../src/data/text';
import { auroc, recallAtFraction } from '../src/eval/metrics';
import { flipLabels } from '../src/eval/noise';
import { IterativeInfluence } from '../src/influence/ekfac';
import { chooseSolver } from '../src/influence/solverChoice';
import { spearman, topOverlap } from '../src/eval/metrics';
import { ExactInfluence } from '../src/influence/exact';
import { seededRandom } from '../src/util/random';
import { fitLogistic, type LogisticData } from '../src/model/logistic';
import { initBackend, tf } from '../src/nn/backend';
import { NnInfluence } from '../src/nn/influence';
import { trainMlp } from '../src/nn/mlp';
import { tfjsGemm } from '../src/nn/accelerate';
import { loadNumeric } from '../test/fixtures/nn/data';

export interface NnBenchRow {
  row: string;
  dataset: string;
  model: string;
  N: number;
  P: number;
  backend: string;
  method: string;
  /** Seconds per stage. */
  stages: Record<string, number>;
  peakRssMB: number;
  /** Free-form measured results (gradient norm, agreement, recall...). */
  results: Record<string, number | string>;
}

const root = path.resolve(__dirname, '..');

function timer() {
  let t = performance.now();
  const stages: Record<string, number> = {};
  return {
    stages,
    lap(name: string) {
      const now = performance.now();
      stages[name] = +((now - t) / 1000).toFixed(3);
      t = now;
      process.stderr.write(`  [${name}] ${stages[name]} s wall, process CPU ${cpuSeconds()} s\n`);
    },
  };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return +((u.user + u.system) / 1e6).toFixed(1);
}

function peakRss(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** reviews.jsonl as hashed tf-idf (dim) + one-hot source + bias, dense N x D. */
async function reviews(dim: number): Promise<LogisticData & { vec: HashedTfidf }> {
  const t = await readTable(path.join(root, 'test/fixtures/data/reviews.jsonl'));
  const jt = t.columns.indexOf('text'), jl = t.columns.indexOf('label'), js = t.columns.indexOf('source');
  const texts = t.records.map((r) => r.cells[jt]);
  const sources = [...new Set(t.records.map((r) => r.cells[js] as string))].sort();
  const classes = [...new Set(t.records.map((r) => r.cells[jl] as string))].sort();
  const vec = HashedTfidf.fit(texts, { dim });
  const m = vec.transform(texts);
  const N = t.records.length;
  const D = dim + sources.length + 1;
  const X = new Float64Array(N * D);
  denseInto(m, X, D, 0);
  const y = new Int32Array(N);
  t.records.forEach((r, i) => {
    X[i * D + dim + sources.indexOf(r.cells[js] as string)] = 1;
    X[i * D + D - 1] = 1;
    y[i] = classes.indexOf(r.cells[jl] as string);
  });
  return { X, N, D, K: classes.length, y, vec };
}

/** Seeded synthetic embedding table: 10 Gaussian classes in 256 dimensions, overlapping. */
function synthetic(N: number, d: number, K: number, seed: number): LogisticData {
  const rand = seededRandom(seed);
  const gauss = () => {
    const u = Math.max(rand(), 1e-12), v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const mu = Float64Array.from({ length: K * d }, () => 0.15 * gauss());
  const D = d + 1;
  const X = new Float64Array(N * D);
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const k = Math.floor(rand() * K);
    y[i] = k;
    for (let a = 0; a < d; a++) X[i * D + a] = mu[k * d + a] + gauss();
    X[i * D + d] = 1;
  }
  return { X, N, D, K, y };
}

/** The MLP with no hidden layer is multinomial logistic regression; fold its bias into the bias column. */
function logisticFromLinearMlp(theta: Float32Array, D: number, K: number): Float64Array {
  const W = new Float64Array(K * D);
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < D; a++) W[k * D + a] = theta[a * K + k];
    W[k * D + D - 1] += theta[D * K + k];
  }
  return W;
}

async function detection(data: LogisticData, hidden: number[], l2: number, epochs: number, seed = 0) {
  const flips = flipLabels(data.y, data.K, 0.1, seed);
  const noisy = flips.noisy;
  const { mlp, report } = await trainMlp(data.X, noisy, data.N, data.D, data.K, { hidden, l2, epochs, seed: 1 });
  const inf = await NnInfluence.build(mlp, data.X, noisy, data.N, { scope: 'last-layer', l2 });
  const pos = new Set(flips.flipped);
  const rand = seededRandom(99);
  const random = Float64Array.from({ length: data.N }, () => rand());
  return {
    'detect: recall@10% self-influence': +recallAtFraction(inf.selfInfluence, pos, 0.1).toFixed(3),
    'detect: recall@10% training loss': +recallAtFraction(inf.loss, pos, 0.1).toFixed(3),
    'detect: recall@10% random': +recallAtFraction(random, pos, 0.1).toFixed(3),
    'detect: AUROC self-influence': +auroc(inf.selfInfluence, pos).toFixed(3),
    'detect: AUROC training loss': +auroc(inf.loss, pos).toFixed(3),
    'detect: MLP grad norm': +report.gradNorm.toExponential(2),
  };
}

const ROWS: Record<string, () => Promise<NnBenchRow>> = {
  async 'reviews-logistic'() {
    const be = await initBackend();
    const t = timer();
    const data = await reviews(4096);
    t.lap('read+features');
    const l2 = 1e-3;
    const fit = await fitLogistic(data, { l2 });
    t.lap('fit');
    const P = data.K * data.D;
    const choice = chooseSolver(P, data.N);
    const inf = await IterativeInfluence.build(data, fit.W, { l2 });
    t.lap('influence');
    const ex: number[] = [];
    for (const i of [0, 10, 20, 30, 40]) {
      const s = performance.now();
      inf.explain(data.X.slice(i * data.D, (i + 1) * data.D), data.y[i]);
      ex.push((performance.now() - s) / 1000);
    }
    t.stages.explain = +median(ex).toFixed(4);
    // Agreement of diagonal EK-FAC with the exact path, at dim 1024 where the exact path runs.
    const small = await reviews(1024);
    const fs = await fitLogistic(small, { l2 });
    const exact = await ExactInfluence.build(small, fs.W, { l2 });
    const approx = await IterativeInfluence.build(small, fs.W, { l2 });
    return {
      row: 'reviews-logistic',
      dataset: 'reviews.jsonl (hashed tf-idf 2^12 + source)',
      model: 'logistic',
      N: data.N,
      P,
      backend: be.name,
      method: `${choice.solver}: ${inf.method}`,
      stages: t.stages,
      peakRssMB: peakRss(),
      results: {
        'fit grad norm': +fit.gradNorm.toExponential(2),
        'vocabulary (uni+bigrams)': data.vec.vocabularySize,
        'diag EK-FAC vs exact @2^10: Spearman': +spearman(approx.selfInfluence, exact.selfInfluence).toFixed(4),
        'diag EK-FAC vs exact @2^10: top-10% overlap': +topOverlap(approx.selfInfluence, exact.selfInfluence, 0.1).toFixed(3),
      },
    };
  },

  async 'reviews-mlp'() {
    const be = await initBackend();
    const t = timer();
    const data = await reviews(4096);
    t.lap('read+features');
    const l2 = 1e-3;
    const { mlp, report } = await trainMlp(data.X, data.y, data.N, data.D, data.K, { hidden: [16], l2, epochs: 20, seed: 1 });
    t.lap('fit');
    const inf = await NnInfluence.build(mlp, data.X, data.y, data.N, { scope: 'last-layer', l2 });
    t.lap('influence');
    const ex: number[] = [];
    for (const i of [0, 10, 20]) {
      const s = performance.now();
      await inf.explain(data.X.slice(i * data.D, (i + 1) * data.D), data.y[i]);
      ex.push((performance.now() - s) / 1000);
    }
    t.stages.explain = +median(ex).toFixed(4);
    const det = await detection(data, [16], l2, 20);
    t.lap('detection (fit + influence on noisy labels)');
    return {
      row: 'reviews-mlp',
      dataset: 'reviews.jsonl (hashed tf-idf 2^12 + source)',
      model: 'MLP 4100-16-2 tanh, last-layer influence',
      N: data.N,
      P: report.parameters,
      backend: be.name,
      method: inf.method,
      stages: t.stages,
      peakRssMB: peakRss(),
      results: { 'MLP grad norm': +report.gradNorm.toExponential(2), 'train accuracy': +report.trainAccuracy.toFixed(3), ...det },
    };
  },

  // (duplicates: reviews-mlp's steps above on satellite; each case spells out its own data and sizes.)
  async 'satellite-mlp'() {
    const be = await initBackend();
    const t = timer();
    const data = await loadNumeric('satellite.csv', 'class');
    t.lap('read+features');
    const l2 = 1e-3;
    const { mlp, report } = await trainMlp(data.X, data.y, data.N, data.D, data.K, { hidden: [32], l2, epochs: 20, seed: 1 });
    t.lap('fit');
    const inf = await NnInfluence.build(mlp, data.X, data.y, data.N, { scope: 'last-layer', l2 });
    t.lap('influence (last layer)');
    const ex: number[] = [];
    for (const i of [0, 10, 20]) {
      const s = performance.now();
      await inf.explain(data.X.slice(i * data.D, (i + 1) * data.D), data.y[i]);
      ex.push((performance.now() - s) / 1000);
    }
    t.stages['explain (last layer)'] = +median(ex).toFixed(4);
    const full = await NnInfluence.build(mlp, data.X, data.y, data.N, { scope: 'full', l2, damping: 1e-3, explicitMaxParams: 0 });
    t.lap('influence (full, setup)');
    const s = performance.now();
    const e = await full.explain(data.X.slice(0, data.D), data.y[0]);
    t.stages['explain (full, CG on HVPs)'] = +((performance.now() - s) / 1000).toFixed(3);
    const ll = await inf.explain(data.X.slice(0, data.D), data.y[0]);
    full.dispose();
    const det = await detection(data, [32], l2, 20);
    t.lap('detection (fit + influence on noisy labels)');
    return {
      row: 'satellite-mlp',
      dataset: 'satellite.csv',
      model: 'MLP 37-32-6 tanh',
      N: data.N,
      P: report.parameters,
      backend: be.name,
      method: `${inf.method}; full: ${full.method}`,
      stages: t.stages,
      peakRssMB: peakRss(),
      results: {
        'MLP grad norm': +report.gradNorm.toExponential(2),
        'train accuracy': +report.trainAccuracy.toFixed(3),
        'full CG': `${full.lastSolve?.iterations} it, residual ${full.lastSolve?.relativeResidual.toExponential(1)}`,
        'full vs last-layer explain: Spearman': +spearman(e.influence, ll.influence).toFixed(3),
        ...det,
      },
    };
  },

  async 'synthetic-100k'() {
    const be = await initBackend();
    const t = timer();
    const data = synthetic(Number(process.env.NN_BENCH_ROWS ?? 100000), 256, 10, 7);
    t.lap('generate');
    const l2 = 1e-3;
    // Fit on tfjs (float32): a hidden-less MLP is the logistic model. Then a float64 gradient check.
    const { mlp, report } = await trainMlp(data.X, data.y, data.N, data.D, data.K, { hidden: [], l2, epochs: 3, batchSize: 1024, learningRate: 1e-2, fullBatchSteps: 40, gradTol: 1e-5, seed: 1 });
    const W = logisticFromLinearMlp(mlp.theta, data.D, data.K);
    t.lap('fit (tfjs)');
    const P = data.K * data.D;
    const choice = chooseSolver(P, data.N);
    const inf = await IterativeInfluence.build(data, W, { l2, gemm: tfjsGemm() });
    t.lap('influence');
    const ex: number[] = [];
    const exCpu: number[] = [];
    for (const i of [0, 1, 2, 3, 4]) {
      const s = performance.now();
      const c0 = process.cpuUsage();
      inf.explain(data.X.slice(i * data.D, (i + 1) * data.D), data.y[i]);
      const c = process.cpuUsage(c0);
      ex.push((performance.now() - s) / 1000);
      exCpu.push((c.user + c.system) / 1e6);
    }
    t.stages.explain = +median(ex).toFixed(4);
    t.stages['explain (CPU s)'] = +median(exCpu).toFixed(4);
    tf.disposeVariables();
    return {
      row: 'synthetic-100k',
      dataset: 'synthetic embeddings 100,000 x 256, 10 classes (seeded)',
      model: 'logistic (fitted on tfjs)',
      N: data.N,
      P,
      backend: be.name,
      method: `${choice.solver}: ${inf.method}`,
      stages: { ...t.stages, ...Object.fromEntries(Object.entries(inf.timings).map(([k, v]) => [`  influence: ${k}`, +v.toFixed(3)])) },
      peakRssMB: peakRss(),
      results: {
        'fit grad norm (float32)': +report.gradNorm.toExponential(2),
        'train accuracy': +report.trainAccuracy.toFixed(3),
        'scan total s (fit + influence)': +((t.stages['fit (tfjs)'] ?? 0) + (t.stages.influence ?? 0)).toFixed(1),
      },
    };
  },
};

/** Runs every row in its own child process (per-row peak memory). */
export async function runNnBench(rows = Object.keys(ROWS)): Promise<NnBenchRow[]> {
  const out: NnBenchRow[] = [];
  for (const r of rows) {
    const text = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench/nn.ts'), '--row', r], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = text.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (!line) throw new Error(`bench row ${r} printed no result`);
    out.push(JSON.parse(line) as NnBenchRow);
    process.stderr.write(`done ${r}\n`);
  }
  return out;
}

export function nnResultsMarkdown(rows: NnBenchRow[]): string {
  const cpu = os.cpus();
  const lines = [
    '# Neural / text / at-scale benchmark (bench/nn.ts)',
    '',
    `Machine: ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}. ` +
      'Shared with other jobs while measured: wall times are upper bounds. Peak memory is the process maximum RSS.',
    '',
    '| row | data | model | N | P | backend | method | stages (s) | peak RSS MB |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const st = Object.entries(r.stages).map(([k, v]) => `${k.trim()} ${v}`).join('; ');
    lines.push(`| ${r.row} | ${r.dataset} | ${r.model} | ${r.N} | ${r.P} | ${r.backend} | ${r.method} | ${st} | ${r.peakRssMB} |`);
  }
  lines.push('', '## Measured results', '');
  for (const r of rows) {
    lines.push(`- **${r.row}**: ` + Object.entries(r.results).map(([k, v]) => `${k} = ${v}`).join('; '));
  }
  lines.push('');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--row');
  if (i >= 0) {
    const name = process.argv[i + 1];
    const f = ROWS[name];
    if (!f) throw new Error(`unknown row ${name}; rows: ${Object.keys(ROWS).join(', ')}`);
    const r = await f();
    r.results['process CPU s (all threads)'] = cpuSeconds();
    r.results['process wall s'] = +(performance.now() / 1000).toFixed(1);
    process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const rows = await runNnBench(only.length ? only : undefined);
  const md = nnResultsMarkdown(rows);
  if (!only.length) writeFileSync(path.join(root, 'bench/NN-RESULTS.md'), md);
  process.stdout.write(md);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
