/**
 * Label-error detection on every data set of ../shared/data (docs/detection.md), whole file as
 * training rows: seeds 0-4, uniform flips at 5/10/20% and class-conditional flips (to the nearest
 * class by centroid) at 10/20%. Methods: the engine's detector (default ranking), training loss and
 * self-influence of the in-sample logistic regression, label suspicion, and, from the Python cache
 * (bench/research/baselines.json, `--python` recomputes missing tasks), cleanlab-style
 * find_label_issues on 5-fold out-of-fold probabilities of four scikit-learn models.
 *   node --import tsx bench/label-errors.ts [--sets a,b] [--seeds 0,1] [--noise u10,c20] [--export DIR] [--out FILE] [--five-fold] [--cache DIR] [--detector D]
 * --detector D runs detector choice D (auto, forest, ensemble, ...) in the default's place, for research; give it its own --out.
 * --cache DIR takes the default's logistic candidate from bench/research/cache-oof.ts's files and runs only the default.
 * --five-fold also runs the detector with 5-fold logistic regression (the path of EK-FAC scans and networks).
 * DD_SETS=FILE.json runs other data sets than ../shared/data's ([{name, file, label}]; bench/research/weka_sets.py writes one).
 * --export DIR writes the tasks (features and noisy labels) for bench/research/baselines.py.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadLabelled } from './detection';
import { flipLabels, flipLabelsClassConditional, nearestClassPartner, type FlippedLabels } from '../src/eval/noise';
import type { LogisticData } from '../src/model/logistic';

export const ROOT = path.resolve(__dirname, '..');
/** The scan's default ranking: the detector with label suspicion's reweighted leave-one-out p' as its logistic candidate. */
export const DEFAULT_MODEL = 'detector, logistic = reweighted loo';
export const SHARED = path.resolve(ROOT, '../shared/data');
/** The development sets; DD_SETS=FILE.json ([{name, file (absolute), label}], e.g. bench/research/weka_sets.py's) replaces them for a check on other data. */
export const SETS: { name: string; file: string; label: string }[] = process.env.DD_SETS ? JSON.parse(readFileSync(process.env.DD_SETS, 'utf8')) : [
  { name: 'digits', file: 'digits.csv', label: 'label' },
  { name: 'breast_cancer', file: 'breast_cancer.csv', label: 'diagnosis' },
  { name: 'satellite', file: 'satellite.csv', label: 'class' },
  { name: 'reviews', file: 'reviews.jsonl', label: 'label' },
  { name: 'vowel', file: 'vowel.csv', label: 'Class' },
  { name: 'glass', file: 'glass.csv', label: 'Type' },
  { name: 'soybean', file: 'soybean.csv', label: 'Class' },
  { name: 'wine', file: 'wine.csv', label: 'class' },
  { name: 'pima', file: 'pima.csv', label: 'diabetes' },
];
export const NOISES = [
  { name: 'u05', kind: 'uniform', rate: 0.05 },
  { name: 'u10', kind: 'uniform', rate: 0.1 },
  { name: 'u20', kind: 'uniform', rate: 0.2 },
  { name: 'c10', kind: 'class-conditional', rate: 0.1 },
  { name: 'c20', kind: 'class-conditional', rate: 0.2 },
] as const;

export function makeNoise(clean: LogisticData, noise: (typeof NOISES)[number], seed: number): FlippedLabels {
  if (noise.kind === 'uniform') return flipLabels(clean.y, clean.K, noise.rate, seed);
  const partner = nearestClassPartner(clean.X, clean.y, clean.N, clean.D, clean.K);
  return flipLabelsClassConditional(clean.y, noise.rate, seed, partner);
}

export async function loadSet(name: string, withTexts = false): ReturnType<typeof loadLabelled> {
  const s = SETS.find((x) => x.name === name)!;
  return loadLabelled(path.resolve(SHARED, s.file), s.label, withTexts);
}

/** Writes DIR/<set>.X.f64 (N x D float64, engine features), DIR/tasks.json (noisy labels and flips per task). */
export async function exportTasks(dir: string, sets: string[], seeds: number[], noises: string[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const tasks: unknown[] = [];
  for (const name of sets) {
    const clean = await loadSet(name, true);
    writeFileSync(path.join(dir, `${name}.X.f64`), Buffer.from(clean.X.buffer, clean.X.byteOffset, clean.X.byteLength));
    // Text sets: the raw texts too, for the text-native baselines (baselines.py's nb_text, tfidf_logreg).
    if (clean.texts) writeFileSync(path.join(dir, `${name}.text.json`), JSON.stringify(clean.texts));
    for (const nz of NOISES.filter((n) => noises.includes(n.name))) {
      for (const seed of seeds) {
        const fl = makeNoise(clean, nz, seed);
        tasks.push({ set: name, noise: nz.name, seed, N: clean.N, D: clean.D, K: clean.K, y: Array.from(fl.noisy), flipped: fl.flipped, original: fl.original });
      }
    }
  }
  writeFileSync(path.join(dir, 'tasks.json'), JSON.stringify(tasks));
  console.error(`wrote ${tasks.length} tasks to ${dir}`);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
  const sets = opt('--sets')?.split(',') ?? SETS.map((s) => s.name);
  const seeds = (opt('--seeds') ?? '0,1,2,3,4').split(',').map(Number);
  const noises = opt('--noise')?.split(',') ?? NOISES.map((n) => n.name);
  const dir = opt('--export');
  // --detector runs another choice than auto in the default's place (a research run: write it to its own --out).
  const detector = (opt('--detector') ?? 'auto') as DetectorChoice;
  if (!DETECTOR_CHOICES.includes(detector)) throw new Error(`--detector ${detector}: one of ${DETECTOR_CHOICES.join(', ')}`);
  if (dir) void exportTasks(dir, sets, seeds, noises);
  else void runEngine(opt('--out') ?? path.join(ROOT, 'bench/research/engine-label-errors.json'), sets, seeds, noises, detector, undefined, argv.includes('--five-fold'), opt('--cache'));
}

// ---------------------------------------------------------------- the engine's side

import { readFileSync, existsSync } from 'node:fs';
import { auroc, rankDescending, topCount } from '../src/eval/metrics';
import { ExactInfluence } from '../src/influence/exact';
import { labelSuspicion } from '../src/influence/labelSuspicion';
import { fitLogistic } from '../src/model/logistic';
import { DETECTOR_CHOICES, detectLabelErrors, type DetectorChoice } from '../src/detect/detector';
import { readCached, type CachedCandidate } from './research/oofCache';

export interface TaskResult {
  set: string;
  noise: string;
  seed: number;
  model: string;
  r5: number;
  r10: number;
  r20: number;
  auc: number;
  /** Per true class of the flipped rows: [found in the top 10%, flipped]. */
  perClass: Record<number, [number, number]>;
  flips: number;
  estimate?: number;
  suggestAcc?: number | null;
  suggestions?: number;
  seconds?: number;
  detail?: string;
}

export function rankingMetrics(score: ArrayLike<number>, flipped: number[], original: number[], N: number) {
  const fl = new Set(flipped);
  const order = rankDescending(score);
  const at = (q: number) => {
    let f = 0;
    for (const i of order.slice(0, topCount(N, q))) if (fl.has(i)) f++;
    return f / flipped.length;
  };
  const top10 = new Set(order.slice(0, topCount(N, 0.1)));
  const perClass: Record<number, [number, number]> = {};
  flipped.forEach((r, j) => {
    const c = original[j];
    perClass[c] ??= [0, 0];
    perClass[c][1]++;
    if (top10.has(r)) perClass[c][0]++;
  });
  return { r5: at(0.05), r10: at(0.1), r20: at(0.2), auc: auroc(score, fl), perClass };
}

/** Runs the engine's methods on the tasks; appends to `out` (JSON) task by task, skipping tasks present. */
export async function runEngine(out: string, sets: string[], seeds: number[], noises: string[], detector: DetectorChoice = 'auto', log = (m: string) => console.error(m), fiveFold = false, cacheDir?: string): Promise<TaskResult[]> {
  const done: TaskResult[] = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : [];
  const have = new Set(done.map((d) => `${d.set}/${d.noise}/${d.seed}/${d.model}`));
  const order = ['u10', 'c20', 'u20', 'c10', 'u05'];
  for (const nzName of order.filter((n) => noises.includes(n))) {
    const nz = NOISES.find((n) => n.name === nzName)!;
    for (const seed of seeds) {
      for (const name of sets) {
        if (have.has(`${name}/${nzName}/${seed}/${DEFAULT_MODEL}`)) continue;
        const clean = await loadSet(name);
        const fl = makeNoise(clean, nz, seed);
        const data = { ...clean, y: fl.noisy };
        const N = data.N;
        const res = (model: string, score: ArrayLike<number>, extra: Partial<TaskResult> = {}): TaskResult => ({
          set: name,
          noise: nzName,
          seed,
          model,
          flips: fl.flipped.length,
          ...rankingMetrics(score, fl.flipped, fl.original, N),
          ...extra,
        });
        const suggestion = (d: { suggested: Int32Array }) => {
          let made = 0;
          let right = 0;
          fl.flipped.forEach((r, j) => {
            if (d.suggested[r] >= 0) {
              made++;
              if (d.suggested[r] === fl.original[j]) right++;
            }
          });
          return { suggestAcc: made ? right / made : null, suggestions: made };
        };
        const describe = (d: Awaited<ReturnType<typeof detectLabelErrors>>) => `${d.choice}: ${d.models.map((m) => `${m.model} w ${m.weight.toFixed(2)} acc ${m.accuracy.toFixed(3)} ll ${m.logLoss.toFixed(3)}`).join('; ')}`;
        const rows: TaskResult[] = [];
        // The 5-fold logistic variant (EK-FAC scans and networks use it) only with fiveFold: it doubles the time.
        if (fiveFold) {
          const t5 = performance.now();
          const det = await detectLabelErrors(data, { detector, text: clean.text });
          rows.push(res('detector', det.rankKey, { estimate: det.estimatedErrors, ...suggestion(det), seconds: (performance.now() - t5) / 1000, detail: describe(det) }));
        }
        // With a cache (bench/research/cache-oof.ts) holding the task's reweighted leave-one-out p', only the default runs.
        // The other candidates' cached probabilities beside it (<task>.knn.f64, <task>.rf.f64), where present.
        const fromCache = (candidate: CachedCandidate) => (cacheDir ? readCached(cacheDir, name, nzName, seed, candidate) : undefined);
        const cachedKnn = fromCache('knn');
        const cachedForest = fromCache('rf');
        const knn = cachedKnn && { proba: cachedKnn, detail: 'cached 5-fold kNN' };
        const forest = cachedForest && { proba: cachedForest, detail: 'cached out-of-bag forest' };
        let looP: Float64Array;
        const cachedLoo = fromCache('lr');
        if (cachedLoo) {
          looP = cachedLoo;
        } else {
          let t = performance.now();
          const fit = await fitLogistic(data, { l2: 1e-3 });
          const inf = await ExactInfluence.build(data, fit.W, { l2: 1e-3 });
          const infSeconds = (performance.now() - t) / 1000;
          rows.push(res('training loss', inf.loss, { seconds: infSeconds }));
          rows.push(res('self-influence', inf.selfInfluence, { seconds: infSeconds }));
          t = performance.now();
          const ls = await labelSuspicion(inf);
          rows.push(res('label suspicion', ls.suspicion, { seconds: (performance.now() - t) / 1000 }));
          looP = ls.reweightedProbabilities;
        }
        // The scan's default: the logistic candidate is label suspicion's reweighted leave-one-out p'.
        const t2 = performance.now();
        const d2 = await detectLabelErrors(data, { detector, logistic: { proba: looP, detail: 'reweighted loo' }, knn, forest, text: clean.text });
        rows.push(res(DEFAULT_MODEL, d2.rankKey, { estimate: d2.estimatedErrors, ...suggestion(d2), seconds: (performance.now() - t2) / 1000, detail: describe(d2) }));
        done.push(...rows);
        writeFileSync(out, JSON.stringify(done));
        log(`${name} ${nzName} seed ${seed}: ${rows.map((r) => `${r.model} ${r.r10.toFixed(3)}`).join(', ')} (${describe(d2)}; est ${d2.estimatedErrors.toFixed(0)} of ${fl.flipped.length}; ${rows[rows.length - 1].seconds!.toFixed(1)} s)`);
      }
    }
  }
  return done;
}
