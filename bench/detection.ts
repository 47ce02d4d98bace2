/**
 * Flipped-label detection: flip a seeded 10% of labels, fit on the noisy labels, rank the rows by
 * each score and measure how many flipped rows each ranking puts at the top.
 */
import { encodeLabels, FeatureEncoder } from '../src/data/features';
import { inferSchema } from '../src/data/schema';
import { readTable } from '../src/data/table';
import { auroc, recallAtFraction } from '../src/eval/metrics';
import { flipLabels, SeededRandom } from '../src/eval/noise';
import { ExactInfluence } from '../src/influence/exact';
import { fitLogistic, type LogisticData } from '../src/model/logistic';

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

export async function loadLabelled(file: string, label: string): Promise<LogisticData> {
  const table = await readTable(file);
  const schema = inferSchema(table, { label });
  const labels = encodeLabels(table, schema);
  const enc = FeatureEncoder.fit(table, schema, labels.records);
  return { X: enc.transform(table, labels.records), N: labels.records.length, D: enc.dim, K: labels.classes.length, y: labels.y };
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
