/**
 * Adds the random forest's out-of-bag probabilities (src/detect/forest.ts, the detector's defaults)
 * to a bench/research/cache-oof.ts cache: DIR/<set>-<noise>-<seed>.rf.f64 per task.
 *   node --import tsx bench/research/cache-forest.ts DIR [--noise u10,c20] [--seeds 0,1]
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SETS, NOISES, loadSet, makeNoise } from '../label-errors';
import { forestOutOfBag } from '../../src/detect/forest';

async function main() {
  const argv = process.argv.slice(2);
  const dir = argv[0];
  const opt = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
  const noises = (opt('--noise') ?? 'u10,c20,u20,c10,u05').split(',');
  const seeds = (opt('--seeds') ?? '0,1,2,3,4').split(',').map(Number);
  for (const nz of noises) {
    for (const seed of seeds) {
      for (const s of SETS) {
        const file = path.join(dir, `${s.name}-${nz}-${seed}.rf.f64`);
        if (existsSync(file)) continue;
        const t = performance.now();
        const clean = await loadSet(s.name);
        const fl = makeNoise(clean, NOISES.find((n) => n.name === nz)!, seed);
        const rf = await forestOutOfBag({ ...clean, y: fl.noisy });
        writeFileSync(file, Buffer.from(rf.proba.buffer, rf.proba.byteOffset, rf.proba.byteLength));
        console.error(`${s.name} ${nz} ${seed}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
      }
    }
  }
}
void main();
