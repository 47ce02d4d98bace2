/**
 * Flipped-label detection: flip a seeded 10% of labels, fit on the noisy labels, rank the rows by
 * each score and measure how many flipped rows each ranking puts at the top.
 */
import { encodeLabels, FeatureEncoder } from '../src/data/features';
import { inferSchema } from '../src/data/schema';
import { readTable } from '../src/data/table';
import { confidentLearning } from '../src/eval/confidentLearning';
import { auroc, rankDescending, recallAtFraction, topCount } from '../src/eval/metrics';
import { flipLabels } from '../src/eval/noise';
import { SeededRandom } from '../src/util/random';
import { argmaxRow } from '../src/engine/ranking';
import { ExactInfluence } from '../src/influence/exact';
import { labelSuspicion } from '../src/influence/labelSuspicion';
import { fitLogistic, logits, type LogisticData } from '../src/model/logistic';
import { termCounts, textColumnCells } from '../src/data/termCounts';
import { naiveBayesMaxTerms } from '../src/detect/naiveBayes';
import type { CsrMatrix } from '../src/data/text';

export interface DetectionRow {
  dataset: string;
  score: string;
  recall5: number;
  recall10: number;
  recall20: number;
  auroc: number;
}

export interface Scorer {
  name: string;
  score(inf: ExactInfluence, data: LogisticData, seed: number): Float64Array | Promise<Float64Array>;
}

export const BASE_SCORERS: Scorer[] = [
  { name: 'global influence (self-influence)', score: (inf) => inf.selfInfluence },
  { name: 'training loss', score: (inf) => inf.loss },
  {
    name: 'random',
    score: (inf, _d, seed) => {
      const rng = new SeededRandom(1000 + seed);
      return Float64Array.from(inf.selfInfluence, () => rng.nextFloat());
    },
  },
];

/**
 * A labelled file's features as the scan encodes them, and its text columns' word counts as the scan's
 * detector takes them. With `withTexts`, also the labelled rows' raw text cells (text columns joined by
 * a newline, missing cells empty), for the text-native Python baselines; none for a file without text.
 */
export async function loadLabelled(file: string, label: string, withTexts = false): Promise<LogisticData & { text?: CsrMatrix; texts?: string[] }> {
  const table = await readTable(file);
  const schema = inferSchema(table, { label });
  const labels = encodeLabels(table, schema);
  const enc = FeatureEncoder.fit(table, schema, labels.records);
  const K = labels.classes.length;
  // The text columns' cells are read once, for the word counts and (withTexts) the raw texts.
  const cells = textColumnCells(table, schema, labels.records);
  const text = cells.length ? termCounts(cells, naiveBayesMaxTerms(K)).counts : undefined;
  const texts = withTexts && cells.length ? labels.records.map((_, r) => cells.map((column) => column[r] ?? '').join('\n')) : undefined;
  return { X: enc.transform(table, labels.records), N: labels.records.length, D: enc.dim, K, y: labels.y, ...(text ? { text } : {}), ...(texts ? { texts } : {}) };
}

export async function detectionTable(
  sets: { name: string; file: string; label: string }[],
  seeds: number[],
  scorers: Scorer[] = BASE_SCORERS,
  rate = 0.1,
): Promise<DetectionRow[]> {
  const out: DetectionRow[] = [];
  for (const set of sets) {
    const clean = await loadLabelled(set.file, set.label);
    const sums = scorers.map(() => ({ r5: 0, r10: 0, r20: 0, auc: 0 }));
    for (const seed of seeds) {
      const flips = flipLabels(clean.y, clean.K, rate, seed);
      const data: LogisticData = { ...clean, y: flips.noisy };
      const fit = await fitLogistic(data, { l2: 1e-3 });
      if (!fit.converged) throw new Error(`${set.name} seed ${seed}: the fit did not converge`);
      const inf = await ExactInfluence.build(data, fit.W, { l2: 1e-3 });
      const flipped = new Set(flips.flipped);
      for (let s = 0; s < scorers.length; s++) {
        const score = await scorers[s].score(inf, data, seed);
        sums[s].r5 += recallAtFraction(score, flipped, 0.05);
        sums[s].r10 += recallAtFraction(score, flipped, 0.1);
        sums[s].r20 += recallAtFraction(score, flipped, 0.2);
        sums[s].auc += auroc(score, flipped);
      }
    }
    scorers.forEach((sc, s) =>
      out.push({
        dataset: set.name,
        score: sc.name,
        recall5: sums[s].r5 / seeds.length,
        recall10: sums[s].r10 / seeds.length,
        recall20: sums[s].r20 / seeds.length,
        auroc: sums[s].auc / seeds.length,
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------- on a seeded 80/20 split, with relabelling

/** What a label-error scorer sees: the noisy training split, its fit and exact influence. */
export interface SplitContext {
  inf: ExactInfluence;
  data: LogisticData;
  seed: number;
  l2: number;
}

/** A score per training row (large = suspected) and the class each row would be relabelled to. */
export interface SplitScore {
  score: Float64Array;
  /** Default: the fitted model's most probable class. */
  relabelTo?: Int32Array;
  /** Label suspicion's own stage timings. */
  timings?: SplitBaseline['suspicion'][number];
}

export interface SplitScorer {
  name: string;
  score(ctx: SplitContext): SplitScore | Promise<SplitScore>;
}

/**
 * The scores compared for label errors: label suspicion (the engine's, docs/label-suspicion.md),
 * self-influence, training loss, confident learning's self-confidence (5-fold, seeded) and random.
 * Each relabels to its own model's most probable class (label suspicion: under the reweighted
 * leave-one-out probabilities; confident learning: out of fold; the others: the fitted model), so a
 * row whose most probable class is its label keeps it.
 */
export const LABEL_SCORERS: SplitScorer[] = [
  {
    name: 'label suspicion',
    score: async ({ inf }) => {
      const ls = await labelSuspicion(inf);
      return { score: ls.suspicion, relabelTo: argmaxRow(ls.reweightedProbabilities, inf.N, inf.K), timings: ls.timings };
    },
  },
  { name: 'self-influence', score: ({ inf }) => ({ score: inf.selfInfluence }) },
  { name: 'training loss', score: ({ inf }) => ({ score: inf.loss }) },
  {
    name: 'confident learning (5-fold)',
    score: async ({ data, seed, l2 }) => {
      const cl = await confidentLearning(data, { l2, seed });
      return { score: cl.score, relabelTo: argmaxRow(cl.outOfFold, data.N, data.K) };
    },
  },
  {
    name: 'random',
    score: ({ inf, seed }) => {
      const rng = new SeededRandom(1000 + seed);
      return { score: Float64Array.from(inf.selfInfluence, () => rng.nextFloat()) };
    },
  },
];

export interface SplitData {
  train: LogisticData;
  test: LogisticData;
  classes: string[];
}

/**
 * A seeded split of a labelled file: round(testFraction * n) records drawn at random (SeededRandom)
 * form the test set, the rest the training set; features fitted on the training records only.
 */
export async function loadSplit(file: string, label: string, seed: number, testFraction = 0.2): Promise<SplitData> {
  const table = await readTable(file);
  const schema = inferSchema(table, { label });
  const labels = encodeLabels(table, schema);
  const n = labels.records.length;
  const isTest = new Uint8Array(n);
  for (const k of new SeededRandom(seed).sample(n, Math.round(testFraction * n))) isTest[k] = 1;
  const tr: number[] = [];
  const te: number[] = [];
  for (let k = 0; k < n; k++) (isTest[k] ? te : tr).push(k);
  const enc = FeatureEncoder.fit(table, schema, tr.map((k) => labels.records[k]));
  const K = labels.classes.length;
  const part = (idx: number[]): LogisticData => ({
    X: enc.transform(table, idx.map((k) => labels.records[k])),
    N: idx.length,
    D: enc.dim,
    K,
    y: Int32Array.from(idx, (k) => labels.y[k]),
  });
  return { train: part(tr), test: part(te), classes: labels.classes };
}

function accuracy(W: Float64Array, d: LogisticData): number {
  const P = logits(W, d.X, d.N, d.D, d.K);
  const pred = argmaxRow(P, d.N, d.K);
  let ok = 0;
  for (let i = 0; i < d.N; i++) if (pred[i] === d.y[i]) ok++;
  return ok / d.N;
}

export interface SplitDetectionRow extends DetectionRow {
  /** Per seed, for spread and paired comparisons. */
  perSeed: { recall10: number[]; auroc: number[]; acc: number[]; fixed: number[] };
  /** Test accuracy after relabelling the top 10% and refitting (mean over seeds). */
  acc: number;
  /** Flipped rows restored to their true label minus clean rows changed, in the top 10% (mean). */
  fixed: number;
  /** Seconds to compute the score (mean over seeds; the shared fit and influence not included). */
  seconds: number;
}

export interface SplitBaseline {
  dataset: string;
  N: number;
  D: number;
  K: number;
  flips: number;
  /** Test accuracy of the model fitted on the noisy / on the true training labels (per seed). */
  noisyAcc: number[];
  cleanAcc: number[];
  /** Seconds for fit + exact influence (Hessian, Cholesky, self-influence) per seed. */
  fitSeconds: number[];
  influenceSeconds: number[];
  /** Label suspicion's own timings per seed (when it is one of the scorers). */
  suspicion: { looBlocks: number; refit: number; reweightedHessian: number; reweightedBlocks: number; total: number }[];
}

/**
 * Flipped-label detection as in the label-suspicion research: per seed, a seeded 80/20 split, rate
 * (10%) of the TRAINING labels flipped (flipLabels, seed = split seed), the model fitted on the
 * noisy training labels, every scorer's ranking measured (recall@5/10/20%, AUROC); then each
 * scorer's top 10% relabelled, the model refitted, and its accuracy on the (clean) test split.
 */
export async function splitDetectionTable(
  sets: { name: string; file: string; label: string }[],
  seeds: number[],
  scorers: SplitScorer[] = LABEL_SCORERS,
  opts: { rate?: number; l2?: number; log?: (msg: string) => void } = {},
): Promise<{ rows: SplitDetectionRow[]; baselines: SplitBaseline[] }> {
  const rate = opts.rate ?? 0.1;
  const l2 = opts.l2 ?? 1e-3;
  const rows: SplitDetectionRow[] = [];
  const baselines: SplitBaseline[] = [];
  for (const set of sets) {
    const acc = scorers.map(() => ({ r5: [] as number[], r10: [] as number[], r20: [] as number[], auc: [] as number[], acc: [] as number[], fixed: [] as number[], sec: [] as number[] }));
    let base: SplitBaseline | undefined;
    for (const seed of seeds) {
      const split = await loadSplit(set.file, set.label, seed);
      const clean = split.train;
      const flips = flipLabels(clean.y, clean.K, rate, seed);
      const data: LogisticData = { ...clean, y: flips.noisy };
      let t = performance.now();
      const fit = await fitLogistic(data, { l2 });
      if (!fit.converged) throw new Error(`${set.name} seed ${seed}: the fit did not converge`);
      const fitSeconds = (performance.now() - t) / 1000;
      t = performance.now();
      const inf = await ExactInfluence.build(data, fit.W, { l2 });
      const influenceSeconds = (performance.now() - t) / 1000;
      const cleanFit = await fitLogistic(clean, { l2, init: fit.W });
      base ??= { dataset: set.name, N: data.N, D: data.D, K: data.K, flips: flips.flipped.length, noisyAcc: [], cleanAcc: [], fitSeconds: [], influenceSeconds: [], suspicion: [] };
      base.noisyAcc.push(accuracy(fit.W, split.test));
      base.cleanAcc.push(accuracy(cleanFit.W, split.test));
      base.fitSeconds.push(fitSeconds);
      base.influenceSeconds.push(influenceSeconds);
      const flipped = new Set(flips.flipped);
      const trueLabel = new Map(flips.flipped.map((r, k) => [r, flips.original[k]]));
      const predicted = argmaxRow(inf.probabilities, data.N, data.K);
      for (let s = 0; s < scorers.length; s++) {
        t = performance.now();
        const sc = await scorers[s].score({ inf, data, seed, l2 });
        acc[s].sec.push((performance.now() - t) / 1000);
        if (sc.timings) base.suspicion.push(sc.timings);
        acc[s].r5.push(recallAtFraction(sc.score, flipped, 0.05));
        acc[s].r10.push(recallAtFraction(sc.score, flipped, 0.1));
        acc[s].r20.push(recallAtFraction(sc.score, flipped, 0.2));
        acc[s].auc.push(auroc(sc.score, flipped));
        const to = sc.relabelTo ?? predicted;
        const y = Int32Array.from(data.y);
        let fixed = 0;
        for (const i of rankDescending(sc.score).slice(0, topCount(data.N, 0.1))) {
          if (to[i] === y[i]) continue;
          if (flipped.has(i)) fixed += to[i] === trueLabel.get(i) ? 1 : 0;
          else fixed -= 1;
          y[i] = to[i];
        }
        const refit = await fitLogistic({ ...data, y }, { l2, init: fit.W });
        acc[s].acc.push(accuracy(refit.W, split.test));
        acc[s].fixed.push(fixed);
      }
      opts.log?.(`${set.name} seed ${seed}: ${scorers.map((sc, s) => `${sc.name} ${acc[s].r10[acc[s].r10.length - 1].toFixed(3)}`).join(', ')}`);
    }
    baselines.push(base!);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    scorers.forEach((sc, s) =>
      rows.push({
        dataset: set.name,
        score: sc.name,
        recall5: mean(acc[s].r5),
        recall10: mean(acc[s].r10),
        recall20: mean(acc[s].r20),
        auroc: mean(acc[s].auc),
        acc: mean(acc[s].acc),
        fixed: mean(acc[s].fixed),
        seconds: mean(acc[s].sec),
        perSeed: { recall10: acc[s].r10, auroc: acc[s].auc, acc: acc[s].acc, fixed: acc[s].fixed },
      }),
    );
  }
  return { rows, baselines };
}
