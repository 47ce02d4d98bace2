/**
 * Development experiment: the detector's logistic candidate in other forms, as a cache directory that
 * bench/label-errors.ts --cache and rank-variants.ts read unchanged. For every task of SRC (a
 * cache-oof.ts directory), OUT/<task>.lr.f64 holds
 *   loo    label suspicion's stage-1 (unweighted) leave-one-out probabilities p~ (one exact Newton step
 *          without the row; computed in every exact scan anyway), or
 *   fold5  5-fold logistic regression (the scan's l2, stratified folds of seed 0),
 * and OUT/<task>.{knn,rf}.f64 link to SRC's.
 *   node --import tsx bench/research/cache-logistic-variants.ts SRC OUT loo|fold5
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { cacheFile, writeF64 } from './oofCache';
import { SETS, NOISES, loadSet, makeNoise } from '../label-errors';
import { ExactInfluence } from '../../src/influence/exact';
import { labelSuspicion } from '../../src/influence/labelSuspicion';
import { fitLogistic } from '../../src/model/logistic';
import { logisticOutOfFold, stratifiedFolds } from '../../src/detect/crossFit';

async function main() {
  const [src, out, variant] = process.argv.slice(2);
  if (!src || !out || (variant !== 'loo' && variant !== 'fold5')) throw new Error('usage: cache-logistic-variants.ts SRC OUT loo|fold5');
  mkdirSync(out, { recursive: true });
  for (const s of SETS) {
    const clean = await loadSet(s.name);
    for (const nz of NOISES) {
      for (let seed = 0; seed < 5; seed++) {
        if (!existsSync(cacheFile(src, s.name, nz.name, seed, 'knn'))) continue;
        for (const c of ['knn', 'rf'] as const) {
          const to = cacheFile(out, s.name, nz.name, seed, c);
          if (!existsSync(to)) symlinkSync(path.resolve(cacheFile(src, s.name, nz.name, seed, c)), to);
        }
        const file = cacheFile(out, s.name, nz.name, seed, 'lr');
        if (existsSync(file)) continue;
        const data = { ...clean, y: makeNoise(clean, nz, seed).noisy };
        if (variant === 'fold5') {
          writeF64(file, (await logisticOutOfFold(data, stratifiedFolds(data.y, data.K, 5, 0), 5, 1e-3)).proba);
        } else {
          const fit = await fitLogistic(data, { l2: 1e-3 });
          const inf = await ExactInfluence.build(data, fit.W, { l2: 1e-3 });
          writeF64(file, (await labelSuspicion(inf, { keepStageOne: true })).looProbabilities!);
        }
      }
    }
    console.error(`${s.name} done`);
  }
}
void main();
