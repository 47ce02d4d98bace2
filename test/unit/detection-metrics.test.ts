import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc, averageRanks, pearson, RANK_RADIX_MIN, rankDescending, recallAtFraction, searchAverageRanks, spearman, topCount } from '../../src/eval/metrics';
import { flipLabels, roundHalfEven } from '../../src/eval/noise';
import { SeededRandom } from '../../src/util/random';
import { prepare, readNumericCsv } from '../fixtures/reference/numericCsv';

const breast = readNumericCsv('breast_cancer.csv', 'diagnosis');
const digits = prepare(readNumericCsv('digits.csv', 'label')).data;
/** Two real columns: mean radius and mean perimeter (nearly linear), mean radius and mean texture. */
const col = (c: number) => Array.from({ length: breast.n }, (_, i) => breast.features[i * breast.d + c]);

test('pearson and spearman on real columns agree with their definitions', () => {
  const radius = col(0), texture = col(1), perimeter = col(2);
  assert.ok(pearson(radius, perimeter) > 0.99);
  assert.ok(Math.abs(pearson(radius, radius) - 1) < 1e-15);
  assert.ok(Math.abs(pearson(radius, radius.map((v) => -2 * v + 3)) + 1) < 1e-15);
  // Direct two-pass formula.
  const n = radius.length;
  const m = (v: number[]) => v.reduce((s, x) => s + x, 0) / n;
  const ma = m(radius), mb = m(texture);
  const cov = radius.reduce((s, x, i) => s + (x - ma) * (texture[i] - mb), 0);
  const va = radius.reduce((s, x) => s + (x - ma) ** 2, 0), vb = texture.reduce((s, x) => s + (x - mb) ** 2, 0);
  assert.ok(Math.abs(pearson(radius, texture) - cov / Math.sqrt(va * vb)) < 1e-12);
  // Spearman is invariant under monotone transforms.
  assert.ok(Math.abs(spearman(radius, texture) - spearman(radius.map(Math.exp), texture.map(Math.log))) < 1e-12);
  assert.deepEqual([...averageRanks([3, 1, 3, 2])], [3.5, 1, 3.5, 2]);
});

/** Average ranks by their definition: 1 + the values below + (the other values equal) / 2; NaN above all. */
function ranksByDefinition(v: number[]): number[] {
  const key = (x: number): number => (Number.isNaN(x) ? Infinity : x);
  return v.map((x) => {
    let below = 0, equal = 0;
    for (const w of v) {
      if (Number.isNaN(x) !== Number.isNaN(w)) {
        if (Number.isNaN(x)) below++;
        continue;
      }
      if (Number.isNaN(x) || w === x) equal++;
      else if (key(w) < key(x)) below++;
    }
    return below + (equal + 1) / 2;
  });
}

test('average ranks from a sorted copy equal the ranks by definition (ties, -0 and 0, infinities, NaN)', () => {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const n of [0, 1, 2, 50, 700]) {
    const v = Array.from({ length: n }, () => Math.round(rand() * 20) / 4 - 2);
    if (n > 10) {
      v[3] = -0;
      v[4] = 0;
      v[5] = Infinity;
      v[6] = -Infinity;
      v[7] = NaN;
      v[9] = NaN;
    }
    assert.deepEqual([...averageRanks(v)], ranksByDefinition(v), `n ${n}`);
    assert.deepEqual([...averageRanks(Float64Array.from(v))], ranksByDefinition(v));
  }
  // NaN ranks after every number, Infinity included, tied with the other NaN.
  assert.deepEqual([...averageRanks([2, NaN, 1, 2, Infinity, NaN])], [2.5, 5.5, 1, 2.5, 4, 5.5]);
});

test('average ranks by radix (from RANK_RADIX_MIN values) equal the sorted-copy ranks: ties, negatives, -0 and 0, tiny and huge magnitudes, NaN of both signs', () => {
  let s = 11;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const negNaN = new Float64Array(new Uint32Array([1, 0xfff80000]).buffer)[0]; // a NaN with the sign bit set
  const kinds: Array<() => number> = [
    () => Math.round(rand() * 40) / 8 - 2.5, // few distinct values: long runs of ties, 0 included
    () => (rand() - 0.5) * 10 ** Math.round(rand() * 40 - 20), // spread over 40 orders of magnitude, both signs
    () => [0, -0, 5e-324, -5e-324, Infinity, -Infinity, NaN, negNaN, 1, -1][Math.floor(rand() * 10)],
    () => Math.log1p(rand() * 10) * (rand() < 0.3 ? -1 : 1), // like the detector's rank keys
  ];
  for (const [n, kind] of [[RANK_RADIX_MIN, 0], [RANK_RADIX_MIN + 1, 2], [5000, 1], [20_000, 2], [300_000, 3], [300_000, 0]]) {
    const v = Float64Array.from({ length: n }, kinds[kind]);
    for (let i = 0; i < n; i += 97) v[i] = v[(i * 31) % n]; // repeats of values from anywhere
    if (n < 6000) {
      assert.deepEqual([...averageRanks(v)], ranksByDefinition([...v]), `n ${n} kind ${kind}: by definition`);
    }
    const a = averageRanks(v), b = searchAverageRanks(v);
    assert.equal(a.length, n);
    for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) assert.fail(`n ${n} kind ${kind}: row ${i} (${v[i]}) ranked ${a[i]} by radix, ${b[i]} by search`);
    // A plain array takes the same path as its Float64Array.
    if (n < 6000) assert.deepEqual([...averageRanks([...v])], [...a]);
  }
  // A subarray view (non-zero byteOffset) reads its own values.
  const big = Float64Array.from({ length: RANK_RADIX_MIN + 10 }, kinds[3]);
  assert.deepEqual([...averageRanks(big.subarray(10))], [...searchAverageRanks(big.subarray(10))]);
});

test('recall at a fraction counts positives in the top of a descending ranking', () => {
  const scores = [0.9, 0.1, 0.8, 0.7, 0.2, 0.3, 0.6, 0.4, 0.5, 0.05];
  const pos = new Set([0, 3, 9]);
  assert.equal(topCount(10, 0.2), 2);
  assert.deepEqual(rankDescending(scores).slice(0, 3), [0, 2, 3]);
  assert.equal(recallAtFraction(scores, pos, 0.2), 1 / 3); // top 2: rows 0, 2
  assert.equal(recallAtFraction(scores, pos, 0.3), 2 / 3); // top 3: rows 0, 2, 3
  assert.equal(recallAtFraction(scores, pos, 1), 1);
  // Ties keep row order, so the result is deterministic.
  assert.deepEqual(rankDescending([1, 2, 2, 1]), [1, 2, 0, 3]);
});

test('AUROC equals the fraction of positive-negative pairs ranked correctly (ties 1/2), on real scores', () => {
  const score = col(0); // mean radius separates malignant from benign
  const malignant = breast.labels.map((l) => l === 'malignant');
  let wins = 0, pairs = 0;
  for (let i = 0; i < score.length; i++) {
    if (!malignant[i]) continue;
    for (let j = 0; j < score.length; j++) {
      if (malignant[j]) continue;
      pairs++;
      wins += score[i] > score[j] ? 1 : score[i] === score[j] ? 0.5 : 0;
    }
  }
  const a = auroc(score, malignant);
  assert.ok(Math.abs(a - wins / pairs) < 1e-12);
  assert.ok(a > 0.9);
  assert.ok(Math.abs(auroc(score.map((v) => -v), malignant) - (1 - a)) < 1e-12);
});

test('label flipping is seeded, flips round(rate N) distinct rows, each to another class, uniformly', () => {
  const a = flipLabels(digits.y, digits.K, 0.1, 0);
  const b = flipLabels(digits.y, digits.K, 0.1, 0);
  const c = flipLabels(digits.y, digits.K, 0.1, 1);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.flipped, c.flipped);
  assert.equal(a.flipped.length, 180); // round(179.7)
  assert.equal(new Set(a.flipped).size, 180);
  assert.deepEqual(a.flipped, [...a.flipped].sort((x, y) => x - y));
  let changed = 0;
  for (let i = 0; i < digits.N; i++) if (a.noisy[i] !== digits.y[i]) changed++;
  assert.equal(changed, 180);
  a.flipped.forEach((r, k) => {
    assert.equal(a.original[k], digits.y[r]);
    assert.notEqual(a.noisy[r], digits.y[r]);
    assert.ok(a.noisy[r] >= 0 && a.noisy[r] < digits.K);
  });
  // Uniform over the other K - 1 classes: pooled over seeds, the offset (noisy - true mod K) is flat.
  const counts = new Array(digits.K).fill(0);
  for (let seed = 0; seed < 20; seed++) {
    const f = flipLabels(digits.y, digits.K, 0.1, seed);
    for (const r of f.flipped) counts[(f.noisy[r] - digits.y[r] + digits.K) % digits.K]++;
  }
  assert.equal(counts[0], 0);
  const expected = (20 * 180) / (digits.K - 1);
  let chi2 = 0;
  for (let k = 1; k < digits.K; k++) chi2 += (counts[k] - expected) ** 2 / expected;
  assert.ok(chi2 < 27.9, `chi-square ${chi2} with 8 degrees of freedom (p = 0.0005 at 27.9)`); // 8 dof
  assert.equal(roundHalfEven(56.9), 57);
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(3.5), 4);
});

test('the seeded generator is deterministic and uniform enough for sampling', () => {
  const r1 = new SeededRandom(42), r2 = new SeededRandom(42);
  const a = Array.from({ length: 1000 }, () => r1.nextFloat());
  const b = Array.from({ length: 1000 }, () => r2.nextFloat());
  assert.deepEqual(a, b);
  for (const v of a) assert.ok(v >= 0 && v < 1);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean - 0.5) < 0.03);
  const s = new SeededRandom(1).sample(50, 50);
  assert.deepEqual([...s].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
});
