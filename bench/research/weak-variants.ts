/**
 * Session 20: where the weak-model test holds (weakModel), which self-confidence ranking is best? From
 * the cached candidates of a cache directory (cachedDetections), on the tasks where the default ranks
 * by self-confidence, recall@10% of: the default; 1 - p_y of the likelihood mixture (session 19's
 * ranking); the candidate with the lowest out-of-fold log loss; the candidate that separates the given
 * labels best (mean one-vs-rest AUROC); the candidates' percentile ranks weighted by that AUROC - 1/2
 * (session 20's default); their unweighted mean; and each candidate alone. Results: docs/detection.md,
 * "Session 20".
 *   DD_SETS=sets.json node --import tsx bench/research/weak-variants.ts CACHE_DIR [seeds]
 */
import { cachedDetections } from './cachedTasks';
import { rankingMetrics } from '../label-errors';
import { auroc } from '../../src/eval/metrics';
import { combinedRankKey } from '../../src/detect/detector';

const dir = process.argv[2];
/** Percentile ranks of each score, averaged with the given weights. */
function weightedRanks(scores: Float64Array[], w: number[], N: number): Float64Array {
  const out = new Float64Array(N);
  const total = w.reduce((a, b) => a + b, 0) || 1;
  scores.forEach((s, m) => {
    const r = combinedRankKey([s], N);
    for (let i = 0; i < N; i++) out[i] += (w[m] / total) * r[i];
  });
  return out;
}
const seeds = (process.argv[3] ?? '0,1,2,3,4').split(',').map(Number);
async function main() {
const sums: Record<string, number> = {};
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
  // Mean one-vs-rest AUROC of each class's probability against the given labels.
  const auc = (P: Float64Array) => {
    let s = 0;
    for (let c = 0; c < K; c++) s += auroc(Float64Array.from({ length: N }, (_, i) => P[i * K + c]), new Set(Array.from({ length: N }, (_, i) => i).filter((i) => y[i] === c)));
    return s / K;
  };
  const r10 = (s: ArrayLike<number>) => rankingMetrics(s, t.flips.flipped, t.flips.original, N).r10;
  const aucs = names.map((m) => auc(byName[m]).toFixed(3)).join(',');
  const row: Record<string, number> = {
    default: r10(d.rankKey),
    // Session 19's ranking: self-confidence of the likelihood mixture.
    mixture: r10(sc(d.proba)),
    bestLogLoss: r10(sc(byName[best])),
    bestAuc: r10(sc(byName[names.reduce((a, b) => (auc(byName[b]) > auc(byName[a]) ? b : a))])),
    aucWeighted: r10(weightedRanks(names.map((m) => sc(byName[m])), names.map((m) => Math.max(0, auc(byName[m]) - 0.5)), N)),
    meanRanks: r10(combinedRankKey(names.map((m) => sc(byName[m])), N)),
  };
  for (const [k, P] of Object.entries(cands)) row[k] = r10(sc(P));
  n++;
  for (const [k, v] of Object.entries(row)) sums[k] = (sums[k] ?? 0) + v;
  console.log(`${t.set} ${t.noise} ${t.seed} best=${best} auc=${aucs} weights=${d.models.map((m) => `${m.model}:${m.weight.toFixed(2)}:${m.logLoss.toFixed(4)}`).join(',')} ` + Object.entries(row).map(([k, v]) => `${k}=${v.toFixed(3)}`).join(' '));
}
console.log(`mean over ${n} tasks: ` + Object.entries(sums).map(([k, v]) => `${k}=${(v / n).toFixed(3)}`).join(' '));
}
void main();
