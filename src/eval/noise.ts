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

/**
 * The partner class of every class for class-conditional noise: the class whose centroid (mean feature
 * vector over rows with that true label) is nearest in Euclidean distance ("a similar class").
 */
export function nearestClassPartner(X: Float64Array, y: Int32Array, N: number, D: number, K: number): Int32Array {
  const mean = new Float64Array(K * D);
  const n = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    n[y[i]]++;
    for (let a = 0; a < D; a++) mean[y[i] * D + a] += X[i * D + a];
  }
  for (let c = 0; c < K; c++) for (let a = 0; a < D; a++) mean[c * D + a] /= Math.max(1, n[c]);
  const partner = new Int32Array(K);
  for (let c = 0; c < K; c++) {
    let best = -1;
    let bd = Infinity;
    for (let e = 0; e < K; e++) {
      if (e === c || n[e] === 0) continue;
      let d = 0;
      for (let a = 0; a < D; a++) d += (mean[c * D + a] - mean[e * D + a]) ** 2;
      if (d < bd) {
        bd = d;
        best = e;
      }
    }
    partner[c] = best < 0 ? (c + 1) % K : best;
  }
  return partner;
}

/**
 * Class-conditional noise: round(rate * N) distinct rows drawn as in flipLabels, each flipped to its
 * true class's partner (nearestClassPartner), so every class's errors go to one other, similar class.
 */
export function flipLabelsClassConditional(y: Int32Array, rate: number, seed: number, partner: Int32Array): FlippedLabels {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`flipLabelsClassConditional: rate ${rate} not in [0, 1]`);
  const rng = new SeededRandom(seed);
  const flipped = rng.sample(y.length, roundHalfEven(rate * y.length)).sort((a, b) => a - b);
  const noisy = Int32Array.from(y);
  const original: number[] = [];
  for (const r of flipped) {
    noisy[r] = partner[y[r]];
    original.push(y[r]);
  }
  return { noisy, flipped, original };
}
