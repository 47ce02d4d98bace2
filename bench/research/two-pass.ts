/**
 * Development experiment: a second pass of the detector with the first pass's suspected rows left out
 * of every candidate's TRAINING rows (each row is still scored out of sample). Per task, from the cached
 * first pass (bench/research/cache-oof.ts DIR): prune the top round(estimated errors) rows of the
 * default ranking, then 5-fold logistic regression, kNN (neighbours among the kept rows of the other
 * folds) and the out-of-bag forest (pruned rows in no bag), and the default detector on them. Compared
 * with the same three candidates without pruning (5-fold logistic in place of the cache's leave-one-out)
 * and with the cached default.
 *   node --import tsx bench/research/two-pass.ts DIR [--seeds 0,1] [--sets pima,glass]
 */
import { cachedDetections } from './cachedTasks';
import { NOISES, rankingMetrics, type TaskResult } from '../label-errors';
import { perClassGap } from '../label-errors-report';
import * as det from './detectParts';
import { knnNeighbours, logLoss, stratifiedFolds, subsetRows, crossFit, type KnnNeighbours } from '../../src/detect/crossFit';
import { forestOutOfBag } from '../../src/detect/forest';
import { fitLogistic, predictProba, type LogisticData } from '../../src/model/logistic';

const CANDIDATES = [5, 10, 20, 40];

/** 5-fold logistic regression fitted on each fold's training rows that are not excluded. */
async function logisticPruned(data: LogisticData, folds: Int32Array, exclude: Uint8Array): Promise<Float64Array> {
  return crossFit(data, folds, 5, async (_train, trainRows, held) => {
    const keep = Int32Array.from(trainRows).filter((r) => !exclude[r]);
    const fit = await fitLogistic(subsetRows(data, keep), { l2: 1e-3 });
    const h = subsetRows(data, held);
    return predictProba(fit.W, h.X, h.N, data.D, data.K);
  });
}

/** kNN probabilities as knnProbabilities, with excluded rows skipped as neighbours and in the prior. */
function knnPruned(nb: KnnNeighbours, y: Int32Array, K: number, exclude: Uint8Array): Float64Array {
  const { folds, k, kmax, index } = nb;
  const N = y.length;
  const counts = new Float64Array(k * K);
  const sizes = new Float64Array(k);
  for (let i = 0; i < N; i++) if (!exclude[i]) { counts[folds[i] * K + y[i]]++; sizes[folds[i]]++; }
  const prior = (f: number, c: number) => { let s = 0, n = 0; for (let g = 0; g < k; g++) if (g !== f) { s += counts[g * K + c]; n += sizes[g]; } return s / n; };
  let best: Float64Array | undefined;
  let bestLoss = Infinity;
  for (const kk of CANDIDATES) {
    const P = new Float64Array(N * K);
    for (let i = 0; i < N; i++) {
      for (let c = 0; c < K; c++) P[i * K + c] = prior(folds[i], c);
      let got = 0;
      for (let t = 0; t < kmax && got < kk; t++) {
        const j = index[i * kmax + t];
        if (j < 0 || exclude[j]) continue;
        P[i * K + y[j]] += 1;
        got++;
      }
      for (let c = 0; c < K; c++) P[i * K + c] /= got + 1;
    }
    // k by the log loss of the kept rows' given labels.
    const keep = Int32Array.from({ length: N }, (_, i) => i).filter((i) => !exclude[i]);
    const Pk = new Float64Array(keep.length * K);
    keep.forEach((r, a) => Pk.set(P.subarray(r * K, (r + 1) * K), a * K));
    const ll = logLoss(Pk, Int32Array.from(keep, (r) => y[r]), keep.length, K);
    if (ll < bestLoss) { bestLoss = ll; best = P; }
  }
  return best!;
}

async function main() {
  const argv = process.argv.slice(2);
  const dir = argv[0];
  const opt = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
  const seeds = (opt('--seeds') ?? '0,1,2,3,4').split(',').map(Number);
  const only = opt('--sets')?.split(',');
  const rows: { set: string; noise: string; v: Record<string, TaskResult> }[] = [];
  for await (const { set, noise, seed, data, flips: fl, knn, rf, detection: first } of cachedDetections(dir, { seeds, sets: only })) {
    const { N, K } = data;
    const order = Int32Array.from({ length: N }, (_, i) => i).sort((a, b) => first.rankKey[b] - first.rankKey[a] || a - b);
    const exclude = new Uint8Array(N);
    const nPrune = Math.round(first.estimatedErrors);
    for (let r = 0; r < nPrune; r++) exclude[order[r]] = 1;
    const folds = stratifiedFolds(data.y, K, 5, 0);
    const none = new Uint8Array(N);
    const nb = await knnNeighbours(data, folds, 5, undefined, [...CANDIDATES, 80]);
    const lr5 = await logisticPruned(data, folds, none);
    const lr5p = await logisticPruned(data, folds, exclude);
    const knnP = knnPruned(nb, data.y, K, exclude);
    const rfP = (await forestOutOfBag(data, { exclude })).proba;
    const a5 = await det.detectLabelErrors(data, { logistic: { proba: lr5, detail: '' }, knn: { proba: knn, detail: '' }, forest: { proba: rf, detail: '' } });
    const b = await det.detectLabelErrors(data, { logistic: { proba: lr5p, detail: '' }, knn: { proba: knnP, detail: '' }, forest: { proba: rfP, detail: '' } });
    const m = (key: ArrayLike<number>) => ({ ...rankingMetrics(key, fl.flipped, fl.original, N), flips: fl.flipped.length }) as TaskResult;
    rows.push({ set, noise, v: { default: m(first.rankKey), 'five-fold': m(a5.rankKey), 'two-pass': m(b.rankKey) } });
    const r = rows[rows.length - 1].v;
    console.error(`${set} ${noise} ${seed}: pruned ${nPrune}; r10 ${r.default.r10.toFixed(3)} / ${r['five-fold'].r10.toFixed(3)} / ${r['two-pass'].r10.toFixed(3)}`);
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  for (const name of ['default', 'five-fold', 'two-pass']) {
    const part = (f: (r: (typeof rows)[number]) => boolean) => { const rs = rows.filter(f); return `r10 ${mean(rs.map((r) => r.v[name].r10)).toFixed(3)} gap ${mean(rs.map((r) => perClassGap(r.v[name]))).toFixed(3)}`; };
    console.log(`${name}: all ${part(() => true)}; ` + NOISES.map((n) => `${n.name} ${part((r) => r.noise === n.name)}`).join('; '));
    console.log('   by set: ' + [...new Set(rows.map((r) => r.set))].map((s) => `${s} ${part((r) => r.set === s)}`).join(', '));
  }
}
void main();
