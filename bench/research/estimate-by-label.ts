/**
 * How well the error-count estimate's split by given label (detector.ts, estimateByLabel) places the
 * errors, from the cached out-of-sample probabilities (bench/research/cache-oof.ts DIR): per task, the
 * share of the flipped rows the split puts under the wrong label (total variation distance between the
 * estimated and the true distribution of the flipped rows over their given labels; the total is fixed
 * to the truth, so only the split is judged), against a split in proportion to the labels' row counts.
 *   node --import tsx bench/research/estimate-by-label.ts DIR   (DD_SETS=FILE.json: other sets)
 * Results: docs/detection.md, "Estimated number of wrong labels", by given label.
 */
import { readCached } from './oofCache';
import { SETS, NOISES, loadSet, makeNoise } from '../label-errors';
import { detectLabelErrors } from '../../src/detect/detector';


async function main(dir: string) {
  const rows: { set: string; noise: string; split: number; byCount: number }[] = [];
  for (const s of SETS) {
    const clean = await loadSet(s.name);
    for (const nz of NOISES) {
      for (let seed = 0; seed < 5; seed++) {
        const [lr, knn, rf] = (['lr', 'knn', 'rf'] as const).map((c) => readCached(dir, s.name, nz.name, seed, c));
        if (!lr || !knn || !rf) continue;
        const fl = makeNoise(clean, nz, seed);
        const data = { ...clean, y: fl.noisy };
        const d = await detectLabelErrors(data, { logistic: { proba: lr, detail: '' }, knn: { proba: knn, detail: '' }, forest: { proba: rf, detail: '' } });
        const { N, K } = data;
        const truth = new Float64Array(K);
        const count = new Float64Array(K);
        for (const r of fl.flipped) truth[fl.noisy[r]]++;
        for (let i = 0; i < N; i++) count[fl.noisy[i]]++;
        const total = d.estimateByLabel.errors.reduce((a, b) => a + b, 0);
        let split = 0;
        let byCount = 0;
        for (let c = 0; c < K; c++) {
          const share = total > 0 ? d.estimateByLabel.errors[c] / total : count[c] / N;
          split += Math.abs(share - truth[c] / fl.flipped.length) / 2;
          byCount += Math.abs(count[c] / N - truth[c] / fl.flipped.length) / 2;
        }
        rows.push({ set: s.name, noise: nz.name, split, byCount });
      }
    }
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const line = (name: string, r: typeof rows) => `${name}: ${r.length} tasks, misplaced ${mean(r.map((x) => x.split)).toFixed(3)} (by row count ${mean(r.map((x) => x.byCount)).toFixed(3)})`;
  console.log(line('all', rows));
  for (const nz of NOISES) console.log(line(nz.name, rows.filter((r) => r.noise === nz.name)));
  for (const s of SETS) console.log(line(s.name, rows.filter((r) => r.set === s.name)));
}
void main(process.argv[2]);
