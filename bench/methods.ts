/**
 * Benchmark rows for the methods beyond exact influence: turn-over dropout, the influence function of
 * the same network, cross-loss influence (logistic regression) and the unsupervised explainer. Every
 * estimate is set against retraining without the rows it names.
 *
 *   node --import tsx bench/methods.ts [--quick] [--only detection,loo,crossloss,unsupervised]
 *                                                     prints the Markdown sections
 *   import { methodsBench } from './methods'          the same lines, for bench/run.ts
 *
 * Times are wall-clock seconds on this machine, with the CPU seconds of this process next to them
 * where the two can differ (the machine may be shared).
 */
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { auroc, pearson, recallAtFraction, spearman } from '../src/eval/metrics';
import { flipLabels } from '../src/eval/noise';
import { SeededRandom } from '../src/util/random';
import { crossLossExplain, objectiveAt, objectiveLabel, type TestObjective } from '../src/influence/crossLoss';
import { ExactInfluence } from '../src/influence/exact';
import { retrainLeaveOneOut } from '../src/influence/loo';
import { fitLogistic, type LogisticData } from '../src/model/logistic';
import { todInfluenceFunction } from './todInfluenceFunction';
import { TurnOverDropoutModel, type TodOptions } from '../src/tod/turnOverDropout';
import type { Autoencoder } from '../src/unsupervised/autoencoder';
import { pullingRows, pushingRows, UnsupervisedExplainer } from '../src/unsupervised/explainer';
import { loadLabelled } from './detection';

const root = path.resolve(__dirname, '..');
const fixture = (f: string): string => path.join(root, 'test/fixtures/data', f);

export type MethodsSection = 'detection' | 'loo' | 'crossloss' | 'unsupervised';

export interface MethodsBenchOptions {
  quick?: boolean;
  /** Sections to run (default all). */
  only?: MethodsSection[];
  /** Progress lines (default: stderr). */
  log?: (msg: string) => void;
}

interface Timed<T> {
  value: T;
  wall: number;
  cpu: number;
}

async function timed<T>(f: () => Promise<T> | T): Promise<Timed<T>> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '—');
const sec = (t: { wall: number; cpu: number }): string => `${t.wall.toFixed(2)} s (cpu ${t.cpu.toFixed(2)} s)`;
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

function subset(d: LogisticData, n: number, y: Int32Array = d.y): LogisticData {
  return { ...d, N: n, X: d.X.subarray(0, n * d.D), y: y.subarray(0, n) };
}

function row(d: { X: Float64Array; D: number }, i: number): Float64Array {
  return d.X.subarray(i * d.D, (i + 1) * d.D);
}

function byAbsDesc(v: ArrayLike<number>): number[] {
  return Array.from({ length: v.length }, (_, i) => i).sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]) || a - b);
}

// ------------------------------------------------------------------ 1. detection

async function todDetection(o: MethodsBenchOptions, log: (s: string) => void): Promise<string[]> {
  const seeds = o.quick ? [0] : [0, 1, 2];
  const sets = [
    { name: 'breast cancer', file: 'breast_cancer.csv', label: 'diagnosis', epochs: 30 },
    { name: 'digits', file: 'digits.csv', label: 'label', epochs: 30 },
  ];
  const todOpts: TodOptions = { hidden: [256] };
  const lines = [
    '## Turn-over dropout: flipped-label detection',
    '',
    '10% of the labels flipped (seeded, src/eval/noise.ts); a 1-hidden-layer MLP (256 relu units, Adam, batch 32) trained once',
    'with turn-over dropout on the noisy labels; rows ranked by each score; logistic regression (exact, l2 = 1e-3) on the same',
    `noisy labels for comparison. Mean over seeds ${seeds.join(', ')}.`,
    '',
    '| data set | rows | score | recall@5% | recall@10% | recall@20% | AUROC |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  const cost: string[] = [];
  for (const set of sets) {
    const clean = await loadLabelled(fixture(set.file), set.label);
    const names = [
      'turn-over dropout self-influence (flipped − own sub-network loss)',
      'turn-over dropout: loss of the sub-network that never saw the row',
      'same MLP: training loss (full network)',
      'logistic regression: self-influence (exact)',
      'logistic regression: training loss',
      'random',
    ];
    const sums = names.map(() => [0, 0, 0, 0]);
    const trainTimes: Timed<unknown>[] = [];
    let params = 0;
    for (const seed of seeds) {
      const flips = flipLabels(clean.y, clean.K, 0.1, seed);
      const data: LogisticData = { ...clean, y: flips.noisy };
      const tr = await timed(() => TurnOverDropoutModel.train(data, { ...todOpts, epochs: set.epochs, seed }));
      trainTimes.push(tr);
      const model = tr.value;
      params = model.report.params;
      const fit = await fitLogistic(data, { l2: 1e-3 });
      const inf = await ExactInfluence.build(data, fit.W, { l2: 1e-3 });
      const rng = new SeededRandom(1000 + seed);
      const scores = [
        model.selfInfluence(),
        model.selfLosses().flipped,
        model.trainingLoss(),
        inf.selfInfluence,
        inf.loss,
        Float64Array.from({ length: data.N }, () => rng.nextFloat()),
      ];
      const pos = new Set(flips.flipped);
      scores.forEach((s, k) => {
        sums[k][0] += recallAtFraction(s, pos, 0.05);
        sums[k][1] += recallAtFraction(s, pos, 0.1);
        sums[k][2] += recallAtFraction(s, pos, 0.2);
        sums[k][3] += auroc(s, pos);
      });
      model.dispose();
      log(`methods: detection ${set.name} seed ${seed} done`);
    }
    names.forEach((n, k) => lines.push(`| ${set.name} | ${clean.N} | ${n} | ${sums[k].map((v) => f3(v / seeds.length)).join(' | ')} |`));
    cost.push(
      `| ${set.name} | ${clean.N} | ${params} | ${set.epochs} | ${mean(trainTimes.map((t) => t.wall)).toFixed(2)} s | ${mean(trainTimes.map((t) => t.cpu)).toFixed(2)} s |`,
    );
  }
  lines.push(
    '',
    'Training cost of turn-over dropout (one run; every query after it is forward passes):',
    '',
    '| data set | rows | params | epochs | wall | cpu |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...cost,
    '',
  );
  return lines;
}

// ------------------------------------------------------------------ 2. against leave-one-out

async function todLeaveOneOut(o: MethodsBenchOptions, log: (s: string) => void): Promise<string[]> {
  const seeds = o.quick ? [0] : [0, 1];
  const perGroup = o.quick ? 3 : 8;
  const clean = await loadLabelled(fixture('breast_cancer.csv'), 'diagnosis');
  const flips = flipLabels(clean.y, clean.K, 0.1, 0);
  const n = clean.N - 60;
  const data = subset(clean, n, flips.noisy);
  const opts: TodOptions = { hidden: [256], epochs: 30 };

  const bases: TurnOverDropoutModel[] = [];
  const trainT: Timed<unknown>[] = [];
  for (const seed of seeds) {
    const t = await timed(() => TurnOverDropoutModel.train(data, { ...opts, seed }));
    bases.push(t.value);
    trainT.push(t);
  }
  // The held-out row the first model finds hardest (largest loss at its true label), explained at it.
  let t = n;
  let worst = -1;
  for (let r = n; r < clean.N; r++) {
    const loss = -Math.log(bases[0].predictProba(row(clean, r), 1)[clean.y[r]]);
    if (loss > worst) [t, worst] = [r, loss];
  }
  const x = row(clean, t);
  const target = clean.y[t];
  const todT: Timed<unknown>[] = [];
  const ifT: Timed<unknown>[] = [];
  const tod = new Float64Array(n), iff = new Float64Array(n), todSelf = new Float64Array(n);
  const baseLoss: number[] = [];
  const ifInfo: string[] = [];
  for (const m of bases) {
    const e = await timed(() => m.explain(x, target));
    todT.push(e);
    const f = await timed(() => todInfluenceFunction(m, x, target));
    ifT.push(f);
    ifInfo.push(`${f.value.hvps} HVPs, damping ${f.value.solve.damping}`);
    const s = m.selfInfluence();
    for (let i = 0; i < n; i++) {
      tod[i] += e.value.removalChange[i] / bases.length;
      iff[i] += f.value.removalChange[i] / bases.length;
      todSelf[i] += s[i] / bases.length;
    }
    baseLoss.push(e.value.testLoss);
  }
  const rng = new SeededRandom(7);
  const rows = [...new Set([...byAbsDesc(tod).slice(0, perGroup), ...byAbsDesc(iff).slice(0, perGroup), ...rng.sample(n, perGroup)])];
  const actual = new Float64Array(rows.length), actualSelf = new Float64Array(rows.length), actualSub = new Float64Array(rows.length);
  const baseOwn = bases.map((m) => m.explain(x, target).ownLoss);
  const retrainT: number[] = [];
  for (let s = 0; s < seeds.length; s++) {
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      const w = new Float64Array(n).fill(1);
      w[r] = 0;
      const rt = await timed(() => TurnOverDropoutModel.train(data, { ...opts, seed: seeds[s], weights: w }));
      retrainT.push(rt.wall);
      const m = rt.value;
      actual[k] += (-Math.log(m.predictProba(x, 1)[target]) - baseLoss[s]) / seeds.length;
      actualSub[k] += (m.explain(x, target).ownLoss[r] - baseOwn[s][r]) / seeds.length;
      const xr = row(data, r);
      actualSelf[k] += (-Math.log(m.predictProba(xr, 1)[data.y[r]]) + Math.log(bases[s].predictProba(xr, 1)[data.y[r]])) / seeds.length;
      m.dispose();
    }
    log(`methods: leave-one-out seed ${seeds[s]} done (${rows.length} retrainings)`);
  }
  const pick = (v: Float64Array): number[] => rows.map((r) => v[r]);
  const lines = [
    '## Turn-over dropout and the influence function of the same network vs leave-one-out retraining',
    '',
    `breast cancer with 10% flipped labels; the network of the table above trained on the first ${n} rows; test point: held-out`,
    `row ${t} (the one the network finds hardest, CE ${worst.toFixed(2)} at its true label). ${rows.length} training rows (the ${perGroup} largest`,
    `|estimates| of each method and ${perGroup} drawn at random) each removed (weight 0, every batch otherwise the same) and the`,
    `network retrained from the same seed; actual change of the test point's loss (full network), mean over seeds ${seeds.join(', ')}.`,
    'Self: the removed row\'s own loss, retrained vs not, against turn-over dropout\'s self-influence.',
    'Sub-network: the change of the test loss under the removed row\'s own mask m_i (retrained vs not), the quantity the',
    'flipped − own difference stands in for.',
    '',
    '| estimate | Pearson R | Spearman ρ | cost |',
    '| --- | ---: | ---: | --- |',
    `| turn-over dropout: test-loss change (flipped − own) | ${f3(pearson(pick(tod), actual))} | ${f3(spearman(pick(tod), actual))} | one forward pass per row against all masks: ${(1000 * mean(todT.map((x) => x.wall))).toFixed(1)} ms per test point |`,
    `| influence function, same network (exact HVPs, damped CG) | ${f3(pearson(pick(iff), actual))} | ${f3(spearman(pick(iff), actual))} | ${sec({ wall: mean(ifT.map((x) => x.wall)), cpu: mean(ifT.map((x) => x.cpu)) })} per test point (${ifInfo.join('; ')}) |`,
    `| turn-over dropout vs the change of the test loss under the row's own mask m_i | ${f3(pearson(pick(tod), actualSub))} | ${f3(spearman(pick(tod), actualSub))} | (the sub-network it speaks for) |`,
    `| turn-over dropout: self-influence vs the row's own loss change | ${f3(pearson(pick(todSelf), actualSelf))} | ${f3(spearman(pick(todSelf), actualSelf))} | all rows in one pass |`,
    '',
    `Training: ${sec({ wall: mean(trainT.map((x) => x.wall)), cpu: mean(trainT.map((x) => x.cpu)) })} per run (${bases[0].report.params} parameters, ${bases[0].report.steps} Adam steps); leave-one-out retraining: ${mean(retrainT).toFixed(2)} s per removed row and seed.`,
    `Scale: the actual changes span ${f3(Math.min(...actual))} .. ${f3(Math.max(...actual))}; turn-over dropout's estimates of them ${f3(Math.min(...pick(tod)))} .. ${f3(Math.max(...pick(tod)))}; the influence function's ${f3(Math.min(...pick(iff)))} .. ${f3(Math.max(...pick(iff)))}.`,
    '',
  ];
  for (const m of bases) m.dispose();
  return lines;
}

// ------------------------------------------------------------------ 3. cross-loss, logistic regression

async function crossLossRows(o: MethodsBenchOptions, log: (s: string) => void): Promise<string[]> {
  const sets = [
    { name: 'breast cancer', file: 'breast_cancer.csv', label: 'diagnosis', heldOut: 60 },
    { name: 'digits', file: 'digits.csv', label: 'label', heldOut: 297 },
  ];
  const top = o.quick ? 8 : 16, mid = o.quick ? 4 : 8;
  const lines = [
    '## Cross-loss influence (logistic regression) vs refitting',
    '',
    `The model fitted on all but the last rows (l2 = 1e-3); test point: the held-out row with the least certain prediction. For each`,
    `objective, the ${top} rows with the largest predicted effect and ${mid} from the middle of the ranking are each removed (weight 0, others 1/N)`,
    'and the model refitted exactly (warm start, tight tolerance); predicted change −I/N against the actual change of the objective.',
    'Classes by index (digits: the digit; breast cancer: 0 = B, 1 = M). Query: one solve and one pass over the rows.',
    '',
    '| data set | rows | params | objective | Pearson R | Spearman ρ | signs agree (top rows) | query | refit per row |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const set of sets) {
    const all = await loadLabelled(fixture(set.file), set.label);
    const n = all.N - set.heldOut;
    const data = subset(all, n);
    const fit = await fitLogistic(data, { l2: 1e-3, requireConvergence: true });
    const inf = await ExactInfluence.build(data, fit.W, { l2: 1e-3 });
    let t = n, best = -Infinity;
    for (let r = n; r < all.N; r++) {
      const p = inf.testGradient(row(all, r), 0).probabilities;
      const m = -Math.max(...p);
      if (m > best) [t, best] = [r, m];
    }
    const x = row(all, t);
    const p = inf.testGradient(x, 0).probabilities;
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a]);
    const objectives: TestObjective[] = [
      { kind: 'loss', target: all.y[t] },
      { kind: 'probability', cls: order[0] },
      { kind: 'margin', a: order[0], b: order[1] },
    ];
    await inf.prepareRelatif(); // RelatIF norms once per model, not part of a query
    for (const obj of objectives) {
      const q = await timed(() => crossLossExplain(inf, x, obj));
      const e = q.value;
      const ranked = byAbsDesc(e.removalChange);
      const rows = [...ranked.slice(0, top), ...ranked.slice(Math.floor(n / 2), Math.floor(n / 2) + mid)];
      const rf = await timed(() => retrainLeaveOneOut(data, fit.W, rows, { l2: 1e-3 }));
      const f0 = objectiveAt(fit.W, x, data.D, data.K, obj);
      const actual = rf.value.map((r) => objectiveAt(r.W, x, data.D, data.K, obj) - f0);
      const pred = rows.map((r) => e.removalChange[r]);
      let agree = 0;
      for (let k = 0; k < top; k++) agree += Number(Math.sign(pred[k]) === Math.sign(actual[k]));
      lines.push(
        `| ${set.name} | ${n} | ${inf.P} | ${objectiveLabel(obj)} | ${f3(pearson(pred, actual))} | ${f3(spearman(pred, actual))} | ${agree}/${top} | ${(1000 * q.wall).toFixed(1)} ms | ${(rf.wall / rows.length).toFixed(3)} s |`,
      );
    }
    log(`methods: cross-loss ${set.name} done`);
  }
  lines.push('', 'CE at the true label is the matched case: it equals ordinary influence (test/unit/crossloss-logistic.test.ts checks 1e-10).', '');
  return lines;
}

// ------------------------------------------------------------------ 4. unsupervised

async function unsupervisedRows(o: MethodsBenchOptions, log: (s: string) => void): Promise<string[]> {
  const all = await loadLabelled(fixture('breast_cancer.csv'), 'diagnosis');
  const N = o.quick ? 300 : all.N;
  const data = { X: all.X.subarray(0, N * all.D), N, D: all.D };
  const steps = o.quick ? 500 : 800;
  const group = 10;
  const fitT = await timed(() => UnsupervisedExplainer.fit(data, { hidden: 16, embedding: 3, clusters: 3, steps, seed: 0 }));
  const ex = fitT.value;
  const ae = ex.autoencoder;
  const e = ex.embeddingDim;
  const retrain = { steps: 200, learningRate: 1e-3 };
  const dist = (m: Autoencoder, t: number): number => {
    const c = ex.clustering.centres.subarray(ex.clustering.assignment[t] * e, (ex.clustering.assignment[t] + 1) * e);
    const { f, dispose } = ex.distanceObjective(row(data, t), c);
    const v = tf.tidy(() => f(m.params.vars).dataSync()[0]);
    dispose();
    return v;
  };
  const control = await ae.continueTraining(retrain);
  const rng = new SeededRandom(11);
  const targets = rng.sample(N, o.quick ? 2 : 6).sort((a, b) => a - b);
  const pred: number[] = [], act: number[] = [], kinds: string[] = [];
  const explainT: Timed<unknown>[] = [];
  const hvps: number[] = [];
  const retrainT: number[] = [];
  for (const t of targets) {
    const x = await timed(() => ex.explainRow(t));
    explainT.push(x);
    hvps.push(x.value.hvps);
    const groups: [string, number[]][] = [
      ['pull', pullingRows(x.value, group)],
      ['push', pushingRows(x.value, group)],
      ['random', rng.sample(N, group)],
    ];
    for (const [kind, rows] of groups) {
      const w = new Float64Array(N).fill(1 / N);
      for (const r of rows) w[r] = 0;
      const rt = await timed(() => ae.continueTraining({ ...retrain, weights: w }));
      retrainT.push(rt.wall);
      pred.push(rows.reduce((s, r) => s + x.value.removalChange[r], 0));
      act.push(dist(rt.value, t) - dist(control, t));
      kinds.push(kind);
      rt.value.dispose();
    }
    log(`methods: unsupervised row ${t} done`);
  }
  const signs = (k: string): string => {
    const idx = kinds.flatMap((v, i) => (v === k ? [i] : []));
    const want = k === 'pull' ? 1 : -1;
    return `${idx.filter((i) => Math.sign(act[i]) === want).length}/${idx.length}`;
  };
  const meanAbs = (k: string): number => mean(kinds.flatMap((v, i) => (v === k ? [Math.abs(act[i])] : [])));
  const lines = [
    '## Unsupervised: what pulls a row into its cluster, vs retraining',
    '',
    `breast cancer features without the label (${N} rows); autoencoder ${data.D - 1} → 16 → 3 → 16 → ${data.D - 1} (relu), full-batch Adam, ${steps} steps;`,
    `k-means++ with k = 3 on the embeddings. For ${targets.length} rows drawn at random: the ${group} rows that pull it towards its centre`,
    `most, the ${group} that push it away most, and ${group} random rows are removed in turn; the autoencoder is retrained from the fitted`,
    `weights (${retrain.steps} full-batch Adam steps), as is a control with every row; actual change of the squared distance to the fixed centre`,
    '(vs the control) against the predicted sum of −I/N.',
    '',
    '| measure | value |',
    '| --- | --- |',
    `| removing pulling rows moved the row away (sign as predicted) | ${signs('pull')} |`,
    `| removing pushing rows moved it closer (sign as predicted) | ${signs('push')} |`,
    `| Pearson R, predicted vs actual (all ${act.length} removals) | ${f3(pearson(pred, act))} |`,
    `| Spearman ρ (same) | ${f3(spearman(pred, act))} |`,
    `| mean |actual change|: pulling / pushing / random rows | ${f3(meanAbs('pull'))} / ${f3(meanAbs('push'))} / ${f3(meanAbs('random'))} |`,
    `| autoencoder training + k-means | ${sec(fitT)} (${ae.report.params} parameters, final ‖∇J‖ ${ae.report.gradNorm.toExponential(1)}) |`,
    `| one explanation (CG on exact HVPs) | ${sec({ wall: mean(explainT.map((x) => x.wall)), cpu: mean(explainT.map((x) => x.cpu)) })}, ${mean(hvps).toFixed(0)} HVPs |`,
    `| one retraining (${retrain.steps} steps) | ${mean(retrainT).toFixed(2)} s |`,
    '',
  ];
  control.dispose();
  ex.dispose();
  return lines;
}

// ------------------------------------------------------------------ entry points

export async function methodsBench(o: MethodsBenchOptions = {}): Promise<string[]> {
  const log = o.log ?? ((s: string) => console.error(s));
  const sections: [MethodsSection, typeof todDetection][] = [
    ['detection', todDetection],
    ['loo', todLeaveOneOut],
    ['crossloss', crossLossRows],
    ['unsupervised', unsupervisedRows],
  ];
  const out: string[] = [];
  for (const [name, run] of sections) if (!o.only || o.only.includes(name)) out.push(...(await run(o, log)));
  return out;
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  const k = process.argv.indexOf('--only');
  const only = k > 0 ? (process.argv[k + 1].split(',') as MethodsSection[]) : undefined;
  const t0 = performance.now();
  methodsBench({ quick, only })
    .then((lines) => {
      const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
      process.stdout.write(
        [
          `Machine: ${cpu}, ${os.cpus().length} cores; Node ${process.version}; load average at the end ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}; ` +
            `${((performance.now() - t0) / 1000).toFixed(0)} s in all${quick ? ' (--quick)' : ''}.`,
          '',
          ...lines,
        ].join('\n') + '\n',
      );
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
