/**
 * How often the error count's two halves bracket the truth (docs/detection.md, "Limits": error-count
 * estimate). From the cached out-of-sample probabilities (bench/research/cache-oof.ts DIR), the default
 * detector's upper estimate (the smaller of the restricted confident joint and the anchor rows) and lower
 * one (the consensus joint), read from its stated method, against the number of flipped rows per task.
 *   node --import tsx bench/research/estimate-coverage.ts DIR   (DD_SETS=... for other data sets)
 */
import { cachedDetections } from './cachedTasks';

async function main(dir: string) {
  const rows: { noise: string; t: number; lo: number; up: number; est: number }[] = [];
  for await (const { set, noise, seed, flips, detection: d } of cachedDetections(dir)) {
    // With three candidates the method always names both halves; a wording change must not skip tasks.
    const m = /upper estimate, (\d+),.*a lower one, (\d+),/.exec(d.estimateMethod);
    if (!m) throw new Error(`${set} ${noise} ${seed}: no upper and lower estimate in "${d.estimateMethod.slice(0, 120)}"`);
    rows.push({ noise, t: flips.flipped.length, up: Number(m[1]), lo: Number(m[2]), est: d.estimatedErrors });
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  for (const n of ['u05', 'u10', 'u20', 'c10', 'c20', undefined]) {
    const r = rows.filter((x) => !n || x.noise === n);
    const lo = Math.min;
    const hi = Math.max;
    console.log(`${n ?? 'all'} tasks ${r.length}: truth in [lower, upper] ${mean(r.map((x) => (x.t >= lo(x.lo, x.up) && x.t <= hi(x.lo, x.up) ? 1 : 0))).toFixed(2)}; below lower ${mean(r.map((x) => (x.t < lo(x.lo, x.up) ? 1 : 0))).toFixed(2)}; above upper ${mean(r.map((x) => (x.t > hi(x.lo, x.up) ? 1 : 0))).toFixed(2)}; lower/true ${mean(r.map((x) => x.lo / x.t)).toFixed(2)}, upper/true ${mean(r.map((x) => x.up / x.t)).toFixed(2)}, est err ${mean(r.map((x) => Math.abs(x.est / x.t - 1))).toFixed(3)}`);
  }
}
void main(process.argv[2]);
