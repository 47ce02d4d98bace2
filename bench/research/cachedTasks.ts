/**
 * The tasks of a development cache (bench/research/cache-oof.ts DIR) with all three cached candidates,
 * each with its flips and the default detector's result on those candidates: the loop the research
 * scripts that start from the cache share. Tasks missing a candidate are skipped.
 */
import { readCached } from './oofCache';
import { SETS, NOISES, loadSet, makeNoise } from '../label-errors';
import { detectLabelErrors } from '../../src/detect/detector';

export async function* cachedDetections(dir: string, opts: { seeds?: number[]; sets?: string[] } = {}) {
  const seeds = opts.seeds ?? [0, 1, 2, 3, 4];
  for (const s of SETS) {
    if (opts.sets && !opts.sets.includes(s.name)) continue;
    const clean = await loadSet(s.name);
    for (const nz of NOISES) {
      for (const seed of seeds) {
        const [lr, knn, rf] = (['lr', 'knn', 'rf'] as const).map((c) => readCached(dir, s.name, nz.name, seed, c));
        if (!lr || !knn || !rf) continue;
        const flips = makeNoise(clean, nz, seed);
        const data = { ...clean, y: flips.noisy };
        const detection = await detectLabelErrors(data, { logistic: { proba: lr, detail: '' }, knn: { proba: knn, detail: '' }, forest: { proba: rf, detail: '' } });
        yield { set: s.name, noise: nz.name, seed, data, flips, lr, knn, rf, detection };
      }
    }
  }
}
