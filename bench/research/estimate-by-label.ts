/**
 * How well the error-count estimate's split by given label (errorEstimate.ts, estimateByLabel) places the
 * errors, from the cached out-of-sample probabilities (bench/research/cache-oof.ts DIR): per task, the
 * share of the flipped rows the split puts under the wrong label (total variation distance between the
 * estimated and the true distribution of the flipped rows over their given labels; the total is fixed
 * to the truth, so only the split is judged), against a split in proportion to the labels' row counts.
 *   node --import tsx bench/research/estimate-by-label.ts DIR   (DD_SETS=FILE.json: other sets)
 * Results: docs/detection.md, "Estimated number of wrong labels", by given label.
 */
import { cachedDetections } from './cachedTasks';
import { SETS, NOISES } from '../label-errors';


async function main(dir: string) {
  const rows: { set: string; noise: string; split: number; byCount: number }[] = [];
  for await (const { set, noise, data, flips: fl, detection: d } of cachedDetections(dir)) {
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
    rows.push({ set, noise, split, byCount });
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const line = (name: string, r: typeof rows) => `${name}: ${r.length} tasks, misplaced ${mean(r.map((x) => x.split)).toFixed(3)} (by row count ${mean(r.map((x) => x.byCount)).toFixed(3)})`;
  console.log(line('all', rows));
  for (const nz of NOISES) console.log(line(nz.name, rows.filter((r) => r.noise === nz.name)));
  for (const s of SETS) console.log(line(s.name, rows.filter((r) => r.set === s.name)));
}
void main(process.argv[2]);
