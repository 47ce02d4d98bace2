/**
 * Deterministic generated data for the scale benchmark (bench/scale.ts): `rows` rows of 20 numeric
 * columns (5 decimals, Gaussian) and a class label c0..c2 drawn from a fixed linear model with noise,
 * about 172 bytes per row (1.16 M rows ~ 200 MB). Written in blocks through a stream, so generating
 * a 1 GB file needs little memory.
 *   node --import tsx bench/scaleData.ts OUT.csv ROWS
 */
import { createWriteStream } from 'node:fs';
import { seededRandom } from '../src/util/random';

export const SCALE_COLUMNS = 20;
export const SCALE_CLASSES = 3;
/** Bytes per row of the generated CSV, measured on 1e5 rows (for choosing a row count per size). */
export const SCALE_BYTES_PER_ROW = 172;

/** mulberry32 (src/util/random.ts), seeded, so every run writes the same bytes. */
const rng = seededRandom;

/** `classes` labels c0.. (the scale files have SCALE_CLASSES; bench/fix-top.ts writes a two-class file). */
export async function writeScaleCsv(file: string, rows: number, seed = 1, classes = SCALE_CLASSES): Promise<number> {
  const rand = rng(seed);
  const gauss = () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const W: number[][] = [];
  for (let k = 0; k < classes; k++) W.push(Array.from({ length: SCALE_COLUMNS }, () => gauss() * 0.6));
  const out = createWriteStream(file);
  const header = [...Array.from({ length: SCALE_COLUMNS }, (_, j) => `x${j}`), 'label'].join(',') + '\n';
  let bytes = header.length;
  out.write(header);
  const x = new Float64Array(SCALE_COLUMNS);
  for (let r = 0; r < rows; ) {
    let block = '';
    for (let b = 0; b < 4096 && r < rows; b++, r++) {
      let best = 0;
      let bestScore = -Infinity;
      const cells: string[] = [];
      for (let j = 0; j < SCALE_COLUMNS; j++) {
        x[j] = gauss();
        cells.push(x[j].toFixed(5));
      }
      for (let k = 0; k < classes; k++) {
        let s = -Math.log(-Math.log(1 - rand())); // Gumbel noise: a softmax draw
        for (let j = 0; j < SCALE_COLUMNS; j++) s += W[k][j] * x[j];
        if (s > bestScore) {
          bestScore = s;
          best = k;
        }
      }
      cells.push(`c${best}`);
      block += cells.join(',') + '\n';
    }
    bytes += block.length;
    if (!out.write(block)) await new Promise<void>((res) => out.once('drain', () => res()));
  }
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  return bytes;
}

if (require.main === module) {
  const [file, rows] = process.argv.slice(2);
  writeScaleCsv(file, Number(rows)).then((b) => console.log(`${file}: ${rows} rows, ${(b / 1e6).toFixed(1)} MB`));
}
