/**
 * Development cache for the detector's ranking experiments: per task, the three default candidates'
 * out-of-sample probabilities (label suspicion's reweighted leave-one-out logistic, 5-fold kNN, the
 * out-of-bag random forest) as float64 files DIR/<set>-<noise>-<seed>.{lr,knn,rf}.f64. Files present
 * are kept; only the missing ones are computed.
 *   node --import tsx bench/research/cache-oof.ts DIR [--noise u10,c20] [--seeds 0,1]
 */
import { existsSync, mkdirSync } from 'node:fs';
import { cacheFile, writeF64, type CachedCandidate } from './oofCache';
import { SETS, NOISES, loadSet, makeNoise } from '../label-errors';
import { ExactInfluence } from '../../src/influence/exact';
import { labelSuspicion } from '../../src/influence/labelSuspicion';
import { fitLogistic } from '../../src/model/logistic';
import { knnOutOfFold, stratifiedFolds } from '../../src/detect/crossFit';
import { forestOutOfBag } from '../../src/detect/forest';

async function main() {
  const argv = process.argv.slice(2);
  const dir = argv[0];
  const opt = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
  const noises = (opt('--noise') ?? 'u10,c20,u20,c10,u05').split(',');
  const seeds = (opt('--seeds') ?? '0,1,2,3,4').split(',').map(Number);
  mkdirSync(dir, { recursive: true });
  for (const nz of noises) {
    for (const seed of seeds) {
      for (const s of SETS) {
        const file = (candidate: CachedCandidate) => cacheFile(dir, s.name, nz, seed, candidate);
        const needLinear = !existsSync(file('knn'));
        const needForest = !existsSync(file('rf'));
        if (!needLinear && !needForest) continue;
        const t = performance.now();
        const clean = await loadSet(s.name);
        const fl = makeNoise(clean, NOISES.find((n) => n.name === nz)!, seed);
        const data = { ...clean, y: fl.noisy };
        if (needLinear) {
          const fit = await fitLogistic(data, { l2: 1e-3 });
          const inf = await ExactInfluence.build(data, fit.W, { l2: 1e-3 });
          const ls = await labelSuspicion(inf);
          const knn = await knnOutOfFold(data, stratifiedFolds(data.y, data.K, 5, 0), 5);
          writeF64(file('lr'), ls.reweightedProbabilities);
          writeF64(file('knn'), knn.proba);
        }
        // The detector's forest: seed 0 and its defaults, as a scan runs it.
        if (needForest) writeF64(file('rf'), (await forestOutOfBag(data)).proba);
        console.error(`${s.name} ${nz} ${seed}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
      }
    }
  }
}
void main();
