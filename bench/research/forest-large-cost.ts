/**
 * What the random forest costs on large files with capped bags (FOREST_MAX_BAG, docs/detection.md,
 * session 17): rows like the scale benchmark's (bench/scaleData.ts: 20 Gaussian columns, 3 classes
 * from a linear model with noise, so the trees grow deep), built in memory; one forestOutOfBag per
 * row count, wall and CPU seconds, peak resident memory of the process so far.
 *   node --import tsx bench/research/forest-large-cost.ts [58000,200000,1162791] [columns classes]
 */
import { forestOutOfBag } from '../../src/detect/forest';
import { accuracyOf } from '../../src/detect/crossFit';
import { seededRandom } from '../../src/util/random';
import type { LogisticData } from '../../src/model/data';

/** Columns and classes: the scale benchmark's 20 and 3 unless given (e.g. 256 10 for an embedding file). */
const D = Number(process.argv[3] ?? 20);
const K = Number(process.argv[4] ?? 3);

function data(N: number): LogisticData {
  const rand = seededRandom(1);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const W = Array.from({ length: K }, () => Array.from({ length: D }, () => gauss() * 0.6));
  const X = new Float64Array(N * D);
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) X[i * D + j] = Math.round(gauss() * 1e5) / 1e5;
    let best = 0;
    let bestScore = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = gauss();
      for (let j = 0; j < D; j++) s += W[k][j] * X[i * D + j];
      if (s > bestScore) [best, bestScore] = [k, s];
    }
    y[i] = best;
  }
  return { X, y, N, D, K };
}

async function main() {
  for (const N of (process.argv[2] ?? '58000,200000,1162791').split(',').map(Number)) {
    const d = data(N);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await forestOutOfBag(d);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ rows: N, wall: +wall.toFixed(2), cpu: +((cpu.user + cpu.system) / 1e6).toFixed(2), accuracy: +accuracyOf(r.proba, d.y, N, K).toFixed(3), peakMB: Math.round(process.resourceUsage().maxRSS / 1024), detail: r.detail }));
  }
}
void main();
