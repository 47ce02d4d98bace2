import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadLabelled } from '../../bench/detection';
import { binFeatures, forestFromLeaves, forestOutOfBag } from '../../src/detect/forest';
import { accuracyOf, logisticOutOfFold, stratifiedFolds } from '../../src/detect/crossFit';
import { SeededRandom } from '../../src/util/random';
import { Checkpoint, CancelledError } from '../../src/util/cancel';
import type { LogisticData } from '../../src/model/logistic';

const root = path.resolve(__dirname, '../..');
const cancerFile = path.join(root, 'test/fixtures/data/breast_cancer.csv');

test('binFeatures: one bin per distinct value up to the limit, quantile bins above it, order kept, constant columns dropped', () => {
  const N = 1000;
  const D = 3;
  const X = new Float64Array(N * D);
  const rng = new SeededRandom(4);
  for (let i = 0; i < N; i++) {
    X[i * D] = i % 3; // three values
    X[i * D + 1] = 7; // constant
    X[i * D + 2] = rng.nextFloat(); // continuous
  }
  const b = binFeatures(X, N, D, 16);
  assert.deepEqual(Array.from(b.features), [0, 2]);
  assert.equal(b.binCount[0], 3);
  assert.ok(b.binCount[1] <= 16 && b.binCount[1] >= 15, String(b.binCount[1]));
  for (let i = 0; i < N; i++) assert.equal(b.bins[i], i % 3);
  // Bins are monotone in the value and about equally full.
  const fill = new Int32Array(b.binCount[1]);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j += 97) if (X[i * D + 2] < X[j * D + 2]) assert.ok(b.bins[N + i] <= b.bins[N + j]);
    fill[b.bins[N + i]]++;
  }
  for (const f of fill) assert.ok(f > 40 && f < 90, `bin holds ${f} of 1000 rows`);
});

test('forest out-of-bag probabilities of a row do not depend on its own label', async () => {
  const data = await loadLabelled(cancerFile, 'diagnosis');
  const K = data.K;
  const a = await forestOutOfBag(data, { trees: 30, seed: 2 });
  for (const r of [3, 50, 200]) {
    const y2 = Int32Array.from(data.y);
    y2[r] = 1 - y2[r];
    const b = await forestOutOfBag({ ...data, y: y2 }, { trees: 30, seed: 2 });
    for (let c = 0; c < K; c++) assert.equal(b.proba[r * K + c], a.proba[r * K + c], `row ${r}`);
    // ... while the changed label does reach other rows through the trees that had row r in their bag
    // (more than through the prior, the other rows' class shares: 1 / (N - 1) / (trees + 1) < 2e-4).
    let moved = 0;
    for (let i = 0; i < data.N; i++) if (i !== r && Math.abs(a.proba[i * K] - b.proba[i * K]) > 0.01) moved++;
    assert.ok(moved >= 1, `${moved} other rows changed`);
  }
  // Every row is scored by the trees that left it out: about 30 x 0.37 of them.
  const mean = Array.from(a.treesPerRow).reduce((s, v) => s + v, 0) / data.N;
  assert.ok(mean > 9 && mean < 13, String(mean));
  for (let i = 0; i < data.N; i++) {
    let s = 0;
    for (let c = 0; c < K; c++) {
      assert.ok(a.proba[i * K + c] > 0, 'no probability is 0');
      s += a.proba[i * K + c];
    }
    assert.ok(Math.abs(s - 1) < 1e-12);
  }
});

test('forest with excluded rows: no tree is grown on them, every tree scores them', async () => {
  const data = await loadLabelled(cancerFile, 'diagnosis');
  const K = data.K;
  const exclude = new Uint8Array(data.N);
  for (const r of [3, 50, 200]) exclude[r] = 1;
  const a = await forestOutOfBag(data, { trees: 30, seed: 2, exclude });
  for (const r of [3, 50, 200]) assert.equal(a.treesPerRow[r], 30, `row ${r} is out of every bag`);
  // An excluded row's label reaches no tree: flipping it moves other rows only through the prior
  // (the other rows' class shares: at most 1 / (N - 1) / (trees scoring the row + 1)).
  const y2 = Int32Array.from(data.y);
  y2[50] = 1 - y2[50];
  const b = await forestOutOfBag({ ...data, y: y2 }, { trees: 30, seed: 2, exclude });
  for (let i = 0; i < data.N; i++) for (let c = 0; c < K; c++) assert.ok(Math.abs(a.proba[i * K + c] - b.proba[i * K + c]) < 1 / (data.N - 1), `row ${i}`);
  // Without the exclusion the same flip does move other rows (the test above).
});

test('forest: the same seed gives the same probabilities; it learns a rule no linear model can', async () => {
  // Two classes by the sign of x0 * x1 (XOR of the quadrants) plus two noise features.
  const N = 800;
  const D = 4;
  const rng = new SeededRandom(9);
  const X = new Float64Array(N * D);
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    for (let d = 0; d < D; d++) X[i * D + d] = rng.nextFloat() * 2 - 1;
    y[i] = X[i * D] * X[i * D + 1] > 0 ? 1 : 0;
  }
  const data: LogisticData = { X, N, D, K: 2, y };
  const a = await forestOutOfBag(data, { seed: 5 });
  const b = await forestOutOfBag(data, { seed: 5 });
  assert.deepEqual(a.proba, b.proba);
  const forestAcc = accuracyOf(a.proba, y, N, 2);
  const linear = await logisticOutOfFold(data, stratifiedFolds(y, 2, 5, 0), 5, 1e-3);
  const linearAcc = accuracyOf(linear.proba, y, N, 2);
  assert.ok(forestAcc > 0.9 && linearAcc < 0.65, `forest ${forestAcc}, logistic ${linearAcc}`);
});

test('forest: out-of-bag accuracy on real data and a prompt stop on cancel', async () => {
  const data = await loadLabelled(cancerFile, 'diagnosis');
  const r = await forestOutOfBag(data);
  assert.ok(accuracyOf(r.proba, data.y, data.N, data.K) > 0.93);
  assert.match(r.detail, /^100 trees, 5 of 30 features per split, out-of-bag/);
  const ac = new AbortController();
  let ticks = 0;
  const cp = new Checkpoint(ac.signal);
  const tick = cp.tick.bind(cp);
  cp.tick = async (f?: number) => {
    if (++ticks === 5) ac.abort();
    return tick(f);
  };
  await assert.rejects(forestOutOfBag(data, { checkpoint: cp }), CancelledError);
  assert.equal(ticks, 5, 'stopped at the tick after the abort');
});

test('forestFromLeaves: the kept leaves give the forest\'s probabilities exactly, and new labels out of bag', async () => {
  const data = await loadLabelled(cancerFile, 'diagnosis');
  const K = data.K;
  const grown = await forestOutOfBag(data, { trees: 40, seed: 3, keepLeaves: true });
  assert.ok(grown.leaves, 'leaves kept');
  const again = await forestFromLeaves(grown.leaves, data.y, K);
  assert.deepEqual(again.proba, grown.proba);
  assert.deepEqual(again.treesPerRow, grown.treesPerRow);
  // Without keepLeaves nothing is kept.
  assert.equal((await forestOutOfBag(data, { trees: 2 })).leaves, undefined);
  // Fix 30 labels: each row's leaf shares are recomputed from the new labels of the rows in its
  // leaves, and a row's own new label still does not reach its own probabilities (out of bag).
  const y2 = Int32Array.from(data.y);
  for (let r = 0; r < 30; r++) y2[r * 7] = 1 - y2[r * 7];
  const fixed = await forestFromLeaves(grown.leaves, y2, K);
  const only = Int32Array.from(y2);
  only[0] = data.y[0];
  const fixedBut0 = await forestFromLeaves(grown.leaves, only, K);
  for (let c = 0; c < K; c++) assert.equal(fixedBut0.proba[c], fixed.proba[c], 'row 0 does not see its own label');
  // The leaf shares are the new labels': with every label swapped to the other class, every row's
  // probabilities are the old ones swapped, exactly (the splits are kept, the shares and the prior follow).
  const swapped = await forestFromLeaves(grown.leaves, Int32Array.from(data.y, (c) => 1 - c), K);
  for (let i = 0; i < data.N; i++) for (let c = 0; c < K; c++) assert.ok(Math.abs(swapped.proba[i * K + c] - grown.proba[i * K + 1 - c]) < 1e-15, `row ${i}`);
  assert.notDeepEqual(fixed.proba, grown.proba);
  await assert.rejects(forestFromLeaves(grown.leaves, new Int32Array(3), K), /3 labels for a forest of 569 rows/);
});

test('forest with capped bags (maxBag): smaller bags, still out of bag, the leaves reproduce it, and it still learns', async () => {
  const data = await loadLabelled(cancerFile, 'diagnosis');
  const K = data.K;
  const N = data.N;
  const bag = 150;
  const a = await forestOutOfBag(data, { trees: 40, seed: 5, maxBag: bag, keepLeaves: true });
  // A row is left out of a bag of 150 draws from 569 rows with chance (1 - 1/569)^150 = 0.77, so it is
  // scored by about 40 x 0.77 = 31 trees, against 40 x 0.37 = 15 with full bootstrap bags.
  const mean = Array.from(a.treesPerRow).reduce((s, v) => s + v, 0) / N;
  assert.ok(mean > 28 && mean < 34, String(mean));
  const full = await forestOutOfBag(data, { trees: 40, seed: 5 });
  const fullMean = Array.from(full.treesPerRow).reduce((s, v) => s + v, 0) / N;
  assert.ok(fullMean > 12 && fullMean < 18, String(fullMean));
  // No cap at or above N: the usual bootstrap, bit for bit.
  assert.deepEqual((await forestOutOfBag(data, { trees: 40, seed: 5, maxBag: N })).proba, full.proba);
  assert.match(a.detail, /bags of 150 of the 569 rows/);
  assert.doesNotMatch(full.detail, /bags of/);
  // Still out of bag: a row's probabilities do not depend on its own label.
  const y2 = Int32Array.from(data.y);
  y2[10] = 1 - y2[10];
  const b = await forestOutOfBag({ ...data, y: y2 }, { trees: 40, seed: 5, maxBag: bag });
  for (let c = 0; c < K; c++) assert.equal(b.proba[10 * K + c], a.proba[10 * K + c]);
  // The kept leaves redraw the same capped bags.
  assert.equal(a.leaves?.bag, bag);
  assert.deepEqual((await forestFromLeaves(a.leaves!, data.y, K)).proba, a.proba);
  // Trees grown on a quarter of the rows still separate the two diagnoses (out-of-bag accuracy).
  assert.ok(accuracyOf(a.proba, data.y, N, K) > 0.9, String(accuracyOf(a.proba, data.y, N, K)));
  await assert.rejects(forestOutOfBag(data, { maxBag: 0 }), /maxBag 0 must be at least 1/);
});

test('forest with no feature that varies: every row gets the other rows\' class shares', async () => {
  const N = 50;
  const y = Int32Array.from({ length: N }, (_, i) => (i < 20 ? 0 : i < 45 ? 1 : 2));
  const data: LogisticData = { X: new Float64Array(N * 2).fill(1), N, D: 2, K: 3, y };
  const r = await forestOutOfBag(data, { trees: 10, keepLeaves: true });
  assert.equal(r.leaves, undefined, 'nothing to keep');
  assert.equal(r.detail, "no feature varies: every row gets the other rows' class shares");
  for (let i = 0; i < N; i++) {
    const counts = [20, 25, 5];
    counts[y[i]]--;
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(r.proba[i * 3 + c] - counts[c] / (N - 1)) < 1e-12, `row ${i} class ${c}`);
  }
});

test('binFeatures: NaN falls in the top bin and does not become a cut point', () => {
  const X = Float64Array.from([3, NaN, 1, 2, NaN, 1]);
  const b = binFeatures(X, 6, 1, 255);
  assert.equal(b.binCount[0], 3);
  assert.deepEqual(Array.from(b.bins), [2, 2, 0, 1, 2, 0]);
});
