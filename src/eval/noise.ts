/**
 * Deterministic label noise for experiments with known errors, as shared/reference/noise.py does it
 * (the same recipe, not the same random stream): round(rate * N) distinct rows are drawn with a
 * seeded generator; each gets a class drawn uniformly from the other K - 1 classes.
 */
import { SeededRandom } from '../util/random';

/** Python's round(): half to even. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface FlippedLabels {
  /** Class index per row after flipping. */
  noisy: Int32Array;
  /** The flipped rows, ascending. */
  flipped: number[];
  /** Their original classes (same order as `flipped`). */
  original: number[];
}

/**
 * Flips round(rate * N) distinct rows of y (class indices 0..K-1) to a uniformly drawn other class.
 * Deterministic in `seed`.
 */
export function flipLabels(y: Int32Array, K: number, rate: number, seed: number): FlippedLabels {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`flipLabels: rate ${rate} not in [0, 1]`);
  if (K < 2) throw new RangeError('flipLabels: needs at least two classes');
  const rng = new SeededRandom(seed);
  const flipped = rng.sample(y.length, roundHalfEven(rate * y.length)).sort((a, b) => a - b);
  const noisy = Int32Array.from(y);
  const original: number[] = [];
  for (const r of flipped) {
    const c = rng.nextInt(K - 1);
    noisy[r] = c >= y[r] ? c + 1 : c; // skip the true class
    original.push(y[r]);
  }
  return { noisy, flipped, original };
}
