/**
 * Writes a generated stand-in for the UCI letter data set's shape (the file is not in ../shared):
 * 20,000 rows, 16 integer features 0..15, 26 classes, each class a mixture of 3 seeded Gaussian
 * blobs so that a linear model is clearly worse than a non-linear one.
 *   node --import tsx bench/make-letterlike.ts OUT.csv [rows]
 */
import { writeFileSync } from 'node:fs';
import { SeededRandom } from '../src/util/random';

const out = process.argv[2] ?? '/tmp/letterlike.csv';
const N = Number(process.argv[3] ?? 20000);
const D = 16;
const K = 26;
const BLOBS = 3;
const rng = new SeededRandom(2026);
const gauss = () => {
  const u = 1 - rng.nextFloat();
  const v = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
};
const centres: number[][] = [];
for (let c = 0; c < K * BLOBS; c++) centres.push(Array.from({ length: D }, () => 2 + 11 * rng.nextFloat()));
const lines = [[...Array.from({ length: D }, (_, a) => `f${a + 1}`), 'letter'].join(',')];
for (let i = 0; i < N; i++) {
  const c = rng.nextInt(K);
  const b = c * BLOBS + rng.nextInt(BLOBS);
  const x = centres[b].map((m) => Math.max(0, Math.min(15, Math.round(m + 1.6 * gauss()))));
  lines.push([...x, String.fromCharCode(65 + c)].join(','));
}
writeFileSync(out, lines.join('\n') + '\n');
console.error(`wrote ${N} rows to ${out}`);
