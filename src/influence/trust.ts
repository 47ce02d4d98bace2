/**
 * Trust check: how well the influence estimates agree with actual retraining, for this data set,
 * this model and this explained point. Two measurements, both by refitting:
 *
 * 1. Leave-one-out on a sample of rows (default 30: half the rows with the largest |first-order
 *    effect| on the point's loss, half drawn at random from the rest, seeded). For each, the actual
 *    change of the point's loss after refitting without the row (J_-i keeps 1/N on every other
 *    row, as in loo.ts) against the first-order prediction -I(i, t) / N and the Newton-step
 *    prediction; agreement as Pearson, Spearman and the least-squares slope of actual on predicted
 *    through the origin (1 = the estimates have the right size, < 1 = they overstate it).
 * 2. The linear datamodeling score (LDS; Park et al., "TRAK", ICML 2023): over random subsets that
 *    each remove half of the rows (default 20, seeded), the Spearman correlation between the
 *    predicted change of the point's loss, the sum of the removed rows' first-order effects, and
 *    the actual change after refitting without them (the kept rows keep weight 1/N).
 *
 * Costs: the leave-one-out refits are preconditioned (a few chord steps each, loo.ts); each subset
 * refit is a full fitLogistic from the fitted W. Ticks the checkpoint with 0..0.4 for the first
 * part and 0.4..1 for the second.
 */
import { Checkpoint, RangeCheckpoint } from '../util/cancel';
import { pearson, rankDescending, spearman } from '../eval/metrics';
import { SeededRandom } from '../util/random';
import { fitLogistic } from '../model/logistic';
import type { ExactInfluence } from './exact';
import { firstOrderLooChange, newtonLooChange, retrainLeaveOneOut, testLoss } from './loo';

export interface TrustOptions {
  /** Rows refitted one at a time (default 30; all rows when there are fewer). */
  rows?: number;
  /** Share of those picked by |first-order effect| on the point (default 0.5); the rest at random. */
  topShare?: number;
  /** Random subsets for the LDS (default 20; 0 skips it). */
  subsets?: number;
  /** Share of the rows each subset removes (default 0.5). */
  subsetFraction?: number;
  /** Seed of the random rows and subsets (default 0). */
  seed?: number;
  /** inf.rowBlocks() when the caller has them already (for the Newton-step predictions). */
  blocks?: Float64Array;
  checkpoint?: Checkpoint;
}

export interface Agreement {
  pearson: number;
  spearman: number;
  /** Least-squares slope of actual on predicted through the origin: sum(p a) / sum(p^2). */
  slope: number;
}

export interface TrustSampleRow {
  /** Model row index. */
  index: number;
  picked: 'top' | 'random';
  /** Predicted change of the point's loss when the row is removed: first order, -I(i, t) / N. */
  firstOrder: number;
  /** The same by one Newton step without the row. */
  newton: number;
  /** After refitting without the row. */
  actual: number;
}

export interface TrustCheck {
  testLoss: number;
  rows: TrustSampleRow[];
  firstOrder: Agreement;
  newton: Agreement;
  lds?: {
    subsets: number;
    fraction: number;
    /** Spearman of predicted vs actual change over the subsets: the LDS. */
    spearman: number;
    pearson: number;
    predicted: number[];
    actual: number[];
    /** The removed model rows of every subset (ascending). */
    removed: number[][];
  };
  timings: { leaveOneOut: number; subsets: number };
}

export function agreement(predicted: ArrayLike<number>, actual: ArrayLike<number>): Agreement {
  let pa = 0;
  let pp = 0;
  for (let i = 0; i < predicted.length; i++) {
    pa += predicted[i] * actual[i];
    pp += predicted[i] * predicted[i];
  }
  return { pearson: pearson(predicted, actual), spearman: spearman(predicted, actual), slope: pp > 0 ? pa / pp : NaN };
}

/**
 * Trust check for the loss of point x (D features, bias last) at class `target` under inf's model
 * (its data, W and l2). Refits the undamped objective: with damping, the check measures how far
 * the damped estimates are from retraining.
 */
export async function trustCheck(inf: ExactInfluence, x: Float64Array, target: number, opts: TrustOptions = {}): Promise<TrustCheck> {
  const { data, N, D, K, W, l2 } = inf;
  const cp = opts.checkpoint ?? new Checkpoint();
  const seed = opts.seed ?? 0;
  const base = testLoss(W, x, target, D, K);
  const firstOrder = firstOrderLooChange(inf, x, target);
  const newton = newtonLooChange(inf, x, target, opts.blocks);

  // 1. Leave-one-out on a sample of rows.
  const t0 = performance.now();
  const n = Math.min(N, Math.max(1, Math.floor(opts.rows ?? 30)));
  const nTop = Math.min(n, Math.round(n * (opts.topShare ?? 0.5)));
  const top = rankDescending(Float64Array.from(firstOrder, Math.abs)).slice(0, nTop);
  const chosen = new Set(top);
  const rest: number[] = [];
  for (let i = 0; i < N; i++) if (!chosen.has(i)) rest.push(i);
  const random = new SeededRandom(seed).sample(rest.length, n - nTop).map((j) => rest[j]);
  const sample = [...top, ...random];
  const refits = await retrainLeaveOneOut(data, W, sample, {
    l2,
    solver: 'preconditioned',
    influence: inf,
    checkpoint: new RangeCheckpoint(cp, 0, 0.4),
  });
  const rows: TrustSampleRow[] = sample.map((i, r) => ({
    index: i,
    picked: r < nTop ? 'top' : 'random',
    firstOrder: firstOrder[i],
    newton: newton[i],
    actual: testLoss(refits[r].W, x, target, D, K) - base,
  }));
  const actual = rows.map((r) => r.actual);
  const leaveOneOut = (performance.now() - t0) / 1000;

  // 2. LDS over random subsets.
  const t1 = performance.now();
  const subsets = Math.max(0, Math.floor(opts.subsets ?? 20));
  const fraction = opts.subsetFraction ?? 0.5;
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`trustCheck: subsetFraction must be in (0, 1), got ${fraction}`);
  let lds: TrustCheck['lds'];
  if (subsets > 0) {
    const rng = new SeededRandom(seed + 1);
    const m = Math.max(1, Math.round(fraction * N));
    const weights = new Float64Array(N);
    const predicted: number[] = [];
    const actualS: number[] = [];
    const removed: number[][] = [];
    for (let s = 0; s < subsets; s++) {
      const out = rng.sample(N, m).sort((a, b) => a - b);
      weights.fill(1 / N);
      let p = 0;
      for (const i of out) {
        weights[i] = 0;
        p += firstOrder[i];
      }
      const fit = await fitLogistic(data, {
        l2,
        weights,
        init: W,
        requireConvergence: true,
        checkpoint: new RangeCheckpoint(cp, 0.4 + (0.6 * s) / subsets, 0.4 + (0.6 * (s + 1)) / subsets),
      });
      predicted.push(p);
      actualS.push(testLoss(fit.W, x, target, D, K) - base);
      removed.push(out);
    }
    lds = {
      subsets,
      fraction: m / N,
      spearman: spearman(predicted, actualS),
      pearson: pearson(predicted, actualS),
      predicted,
      actual: actualS,
      removed,
    };
  }
  await cp.tick(1);
  return {
    testLoss: base,
    rows,
    firstOrder: agreement(rows.map((r) => r.firstOrder), actual),
    newton: agreement(rows.map((r) => r.newton), actual),
    lds,
    timings: { leaveOneOut, subsets: (performance.now() - t1) / 1000 },
  };
}
