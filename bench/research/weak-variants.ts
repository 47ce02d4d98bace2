/**
 * Session 20: where the weak-model test holds (weakModel), which self-confidence ranking is best? From
 * the cached candidates of a cache directory (cachedDetections), on the tasks where the default ranks
 * by self-confidence, recall@10% of: the default; 1 - p_y of the likelihood mixture (session 19's
 * ranking); the candidate with the lowest out-of-fold log loss; the candidate that separates the given
 * labels best (mean one-vs-rest AUROC, labelSeparation); their unweighted mean of ranks; and each candidate
 * alone. The default is session 20's ranking: the ranks weighted by that AUROC - 1/2. Results: docs/detection.md,
 * "Session 20".
 *   DD_SETS=sets.json node --import tsx bench/research/weak-variants.ts CACHE_DIR [seeds]
 */
import { cachedDetections } from './cachedTasks';
import { rankingMetrics } from '../label-errors';
import { perClassGap } from '../label-errors-report';
import { calibratedScores, combinedRankKey } from '../../src/detect/rankingKeys';

const dir = process.argv[2];
const seeds = (process.argv[3] ?? '0,1,2,3,4').split(',').map(Number);
async function main() {
  const sums: Record<string, number> = {};
  const gaps: Record<string, number> = {};
  const recalls: Record<string, number> = {};
  let n = 0;
  for await (const t of cachedDetections(dir, { seeds })) {
    const d = t.detection;
    if (d.rankedBy !== 'selfConfidence') continue;
    const { N, K, y } = t.data;
    const sc = (P: Float64Array) => Float64Array.from({ length: N }, (_, i) => 1 - P[i * K + y[i]]);
    const cands: Record<string, Float64Array> = { lr: t.lr, knn: t.knn, rf: t.rf };
    const names = d.models.map((m) => m.model);
    const byName: Record<string, Float64Array> = { logistic: t.lr, knn: t.knn, forest: t.rf };
    const best = d.models.reduce((a, b) => (b.logLoss < a.logLoss ? b : a)).model;
    // Each model's separation of the given labels (labelSeparation), as the detector reports it.
    const separated = d.models.reduce((a, b) => (b.separation! > a.separation! ? b : a)).model;
    const metrics = (s: ArrayLike<number>) => rankingMetrics(s, t.flips.flipped, t.flips.original, N);
    const r10 = (s: ArrayLike<number>) => metrics(s).r10;
    // Session 21: the per-class calibrated self-confidence of the mixture (the normal regime's first key)
    // beside the default, for balance between the classes.
    const calibrated = calibratedScores(d.proba, y, d.rankThresholds, N, K).rankKey;
    const maxRanks = (a: Float64Array, b: Float64Array) => {
      const ra = combinedRankKey([a], N), rb = combinedRankKey([b], N);
      return Float64Array.from({ length: N }, (_, i) => Math.max(ra[i], rb[i]) + 1e-9 * Math.min(ra[i], rb[i]));
    };
    const balance: Record<string, ArrayLike<number>> = {
      default: d.rankKey,
      calibrated,
      'default + calibrated': combinedRankKey([d.rankKey, calibrated], N),
      'max(default, calibrated)': maxRanks(d.rankKey, calibrated),
    };
    for (const [k, v] of Object.entries(balance)) {
      const m = metrics(v);
      gaps[k] = (gaps[k] ?? 0) + perClassGap(m as Parameters<typeof perClassGap>[0]);
      recalls[k] = (recalls[k] ?? 0) + m.r10;
    }
    const row: Record<string, number> = {
      // Session 20's ranking: each model's ranks weighted by its separation - 1/2 (selfConfidenceRankKey).
      default: r10(d.rankKey),
      // Session 19's ranking: self-confidence of the likelihood mixture.
      mixture: r10(sc(d.proba)),
      bestLogLoss: r10(sc(byName[best])),
      bestAuc: r10(sc(byName[separated])),
      meanRanks: r10(combinedRankKey(names.map((m) => sc(byName[m])), N)),
    };
    for (const [k, P] of Object.entries(cands)) row[k] = r10(sc(P));
    n++;
    for (const [k, v] of Object.entries(row)) sums[k] = (sums[k] ?? 0) + v;
    console.log(`${t.set} ${t.noise} ${t.seed} best=${best} weights=${d.models.map((m) => `${m.model}:${m.weight.toFixed(2)}:${m.logLoss.toFixed(4)}:auc ${m.separation!.toFixed(3)}`).join(',')} ` + Object.entries(row).map(([k, v]) => `${k}=${v.toFixed(3)}`).join(' '));
  }
  console.log(`mean over ${n} tasks: ` + Object.entries(sums).map(([k, v]) => `${k}=${(v / n).toFixed(3)}`).join(' '));
  console.log(`balance (session 21), mean recall@10% / worst per-class gap: ` + Object.keys(gaps).map((k) => `${k} ${(recalls[k] / n).toFixed(3)} / ${(gaps[k] / n).toFixed(3)}`).join(', '));
}
void main();
