/**
 * Turn-over dropout (Kobayashi, Yokoi, Suzuki & Inui, "Efficient Estimation of Influence of a
 * Training Instance", 2020) on a small tfjs MLP.
 *
 * Training: every training row i owns a fixed Bernoulli(1/2) mask m_i over the hidden units
 * (src/tod/masks.ts, derived from a seed and the row's id); row i is only ever seen by the
 * sub-network m_i, scaled by 1 / keep = 2 as inverted dropout. One training run.
 *
 * Queries are forward passes. The flipped sub-network 1 - m_i never saw row i, while (apart from
 * i) it was trained by the other rows just as m_i was, so for a test point t
 *     removalChange(i, t) = CE_t(1 - m_i) - CE_t(m_i)
 * estimates how much t's loss would rise if row i were left out of training (the paper's influence
 * score: positive = i helps t). Everything is batched over rows: the test point's first layer is
 * computed once and broadcast against all N masks.
 *
 * Conventions shared with src/influence/exact.ts:
 *   explain().influence = CE_t(m_i) - CE_t(1 - m_i) = -removalChange: positive means row i is
 *     harmful to t (its presence raises t's loss), negative helpful, as I(i, t) there. It is a loss
 *     difference (no 1/N scale), so it ranks rows like I(i, t) but is not on the same scale.
 *   selfInfluence()[i] = CE_i(1 - m_i) - CE_i(m_i): how much worse row i is predicted by the half of
 *     the network that never saw it; large for rows the model had to memorise (label errors,
 *     outliers), as s_i there.
 *   relatifTheta and relatifL are NaN: RelatIF's normalisations need H^-1 g_i, which turn-over
 *     dropout does not compute.
 *   probabilities and testLoss are the full network's (all units, no mask, scale 1): the model's
 *     actual prediction.
 */
import * as tf from '@tensorflow/tfjs';
import type { Explanation } from '../influence/exact';
import type { LogisticData } from '../model/logistic';
import type { Checkpoint } from '../util/cancel';
import { UserError } from '../util/errors';
import { Adam, cosineRate, flatten, ParamVector } from '../optim/adam';
import { initBackend, type BackendName, type BackendOptions } from '../nn/backend';
import { instanceMasks } from './masks';
import { crossEntropyRows, hiddenUnits, initParams, lse64, mlpLogits, paramCount, paramShapes, tensor2d, type MlpShape } from './mlp';
import { hashOrder } from '../util/random';

export interface TodOptions {
  /**
   * Hidden layer widths (default [256]). Masks cover all hidden units. Wider is better here: a row's
   * own effect on its sub-network adds up over its ~U/2 units while the difference between two random
   * halves of the network does not grow as fast (measured on breast_cancer: see docs/methods.md).
   */
  hidden?: number[];
  /** Passes over the data (default 60). */
  epochs?: number;
  /** Rows per Adam step (default 32). */
  batchSize?: number;
  /** Adam's initial learning rate, cosine-decayed to 5% (default 3e-3). */
  learningRate?: number;
  /** L2 on all parameters: J = mean_batch(w_i CE_i) + (l2/2) ||theta||^2 (default 1e-4). */
  l2?: number;
  /** Seed of the initial weights and the per-epoch row order (default 0). */
  seed?: number;
  /** Seed of the instance masks (default: `seed`). */
  maskSeed?: number;
  /** Identity of each row for its mask and its place in the row order (default 0..N-1). */
  ids?: ArrayLike<number>;
  /**
   * Per-row loss weight (default 1). Weight 0 removes a row while every batch keeps its other rows
   * and its size: the leave-one-out run of the same training.
   */
  weights?: ArrayLike<number>;
  checkpoint?: Checkpoint;
  /** tfjs backend selection (src/nn/backend.ts; default: native, then wasm, then cpu). */
  backend?: BackendOptions;
}

export interface TodTrainReport {
  backend: BackendName;
  params: number;
  hiddenUnits: number;
  epochs: number;
  steps: number;
  /** Wall-clock seconds of training (tfjs setup excluded). */
  seconds: number;
  /** Mean training CE of the rows under their own masks at the end. */
  ownLoss: number;
  /** Training accuracy of the full network. */
  accuracy: number;
  /** The L2 coefficient of the training objective. */
  l2: number;
}

export interface TodExplanation extends Explanation {
  /** CE_t at `target` under every row's own sub-network m_i. */
  ownLoss: Float64Array;
  /** CE_t at `target` under every row's flipped sub-network 1 - m_i. */
  flippedLoss: Float64Array;
  /** flippedLoss - ownLoss: the estimated rise of t's loss if the row were left out. */
  removalChange: Float64Array;
}

/** Rows per batched query (bounds the n x U intermediate tensors). */
const QUERY_CHUNK = 2048;

export class TurnOverDropoutModel {
  private selfCache?: { own: Float64Array; flipped: Float64Array };

  private constructor(
    readonly shape: MlpShape,
    private readonly vars: tf.Variable[],
    /** N x U masks of the training rows (1 = kept). */
    readonly masks: Uint8Array,
    readonly data: LogisticData,
    readonly report: TodTrainReport,
    private readonly ownMasks: tf.Tensor2D,
    private readonly flippedMasks: tf.Tensor2D,
  ) {}

  get N(): number {
    return this.data.N;
  }
  get K(): number {
    return this.data.K;
  }
  get U(): number {
    return hiddenUnits(this.shape);
  }

  static async train(data: LogisticData, opts: TodOptions = {}): Promise<TurnOverDropoutModel> {
    const backend = (await initBackend(opts.backend)).name;
    const { X, N, D, K, y } = data;
    if (N === 0) throw new UserError('Turn-over dropout needs at least one training row.');
    const hidden = opts.hidden ?? [256];
    if (hidden.length === 0 || hidden.some((h) => !(Number.isInteger(h) && h >= 2))) {
      throw new RangeError(`TurnOverDropoutModel: hidden layer widths must be integers >= 2, got [${hidden}]`);
    }
    const shape: MlpShape = { inputs: D, hidden, outputs: K };
    const U = hiddenUnits(shape);
    const seed = opts.seed ?? 0;
    const maskSeed = opts.maskSeed ?? seed;
    const ids = opts.ids ?? Int32Array.from({ length: N }, (_, i) => i);
    if (ids.length !== N) throw new RangeError(`TurnOverDropoutModel: ${ids.length} ids for ${N} rows`);
    const epochs = opts.epochs ?? 60;
    const B = Math.max(1, Math.min(N, opts.batchSize ?? 32));
    const lr = opts.learningRate ?? 3e-3;
    const l2 = opts.l2 ?? 1e-4;
    const cp = opts.checkpoint;

    const masks = instanceMasks(maskSeed, ids, U);
    const own = new Float32Array(N * U);
    const flipped = new Float32Array(N * U);
    for (let k = 0; k < N * U; k++) {
      own[k] = 2 * masks[k];
      flipped[k] = 2 * (1 - masks[k]);
    }
    const ownMasks = tf.tensor2d(own, [N, U]);
    const flippedMasks = tf.tensor2d(flipped, [N, U]);
    const Xt = tensor2d(X, N, D);
    const Yt = tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), K).toFloat() as tf.Tensor2D);
    const wt = tf.tensor1d(opts.weights ? Float32Array.from(opts.weights) : new Float32Array(N).fill(1));

    const params = new ParamVector(paramShapes(shape), initParams(shape, seed));
    const vars = params.vars;
    const adam = new Adam(params.read());
    const batchesPerEpoch = Math.ceil(N / B);
    const total = epochs * batchesPerEpoch;
    const t0 = performance.now();
    let step = 0;
    try {
      for (let e = 0; e < epochs; e++) {
        const order = hashOrder(ids, seed, e + 1);
        for (let b0 = 0; b0 < N; b0 += B) {
          const idx = tf.tensor1d(order.subarray(b0, Math.min(N, b0 + B)), 'int32');
          const [xb, yb, mb, wb] = [tf.gather(Xt, idx), tf.gather(Yt, idx), tf.gather(ownMasks, idx), tf.gather(wt, idx)];
          const n = idx.shape[0];
          const grads = tf.tidy(() =>
            tf.grads((...ps: tf.Tensor[]) => {
              const ce = crossEntropyRows(mlpLogits(ps, xb as tf.Tensor2D, hidden, mb as tf.Tensor2D), yb as tf.Tensor2D);
              return tf.div(tf.sum(tf.mul(ce, wb)), n) as tf.Scalar;
            })(vars),
          );
          adam.step(flatten(grads), cosineRate(lr, step, total), l2);
          params.write(adam.theta);
          tf.dispose([...grads, idx, xb, yb, mb, wb]);
          step++;
          await cp?.tick(step / total);
        }
      }
    } catch (e) {
      tf.dispose([ownMasks, flippedMasks]);
      params.dispose();
      throw e; // cancelled, or out of memory: nothing of the run is kept
    } finally {
      tf.dispose([Xt, Yt, wt]);
    }
    const seconds = (performance.now() - t0) / 1000;

    const report: TodTrainReport = { backend, params: paramCount(shape), hiddenUnits: U, epochs, steps: step, seconds, ownLoss: NaN, accuracy: NaN, l2 };
    const model = new TurnOverDropoutModel(shape, vars, masks, data, report, ownMasks, flippedMasks);
    const self = model.selfLosses();
    const P = model.predictProba(X, N);
    let correct = 0, ownSum = 0;
    for (let i = 0; i < N; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (P[i * K + k] > P[i * K + best]) best = k;
      if (best === y[i]) correct++;
      ownSum += self.own[i];
    }
    report.accuracy = correct / N;
    report.ownLoss = ownSum / N;
    return model;
  }

  /** Full-network class probabilities of n rows of X (n x D, bias column as in training). */
  predictProba(X: ArrayLike<number>, n: number): Float64Array {
    const { D, K } = this.data;
    const out = new Float64Array(n * K);
    for (let r0 = 0; r0 < n; r0 += QUERY_CHUNK) {
      const m = Math.min(QUERY_CHUNK, n - r0);
      const z = tf.tidy(() => mlpLogits(this.vars, tensor2d(sub(X, r0 * D, m * D), m, D), this.shape.hidden, null).dataSync());
      for (let i = 0; i < m; i++) {
        const lse = lse64(z, i * K, K);
        for (let k = 0; k < K; k++) out[(r0 + i) * K + k] = Math.exp(z[i * K + k] - lse);
      }
    }
    return out;
  }

  /** Full-network CE of every training row at its label (for ranking by loss). */
  trainingLoss(): Float64Array {
    const { X, N, K, y } = this.data;
    const P = this.predictProba(X, N);
    const out = new Float64Array(N);
    for (let i = 0; i < N; i++) out[i] = -Math.log(Math.max(P[i * K + y[i]], 1e-300));
    return out;
  }

  /** CE of every training row at its label under its own mask and under the flipped mask. */
  selfLosses(): { own: Float64Array; flipped: Float64Array } {
    if (!this.selfCache) {
      const { X, N, D, K, y } = this.data;
      const own = new Float64Array(N);
      const flipped = new Float64Array(N);
      for (let r0 = 0; r0 < N; r0 += QUERY_CHUNK) {
        const m = Math.min(QUERY_CHUNK, N - r0);
        const [zo, zf] = tf.tidy(() => {
          const x = tensor2d(sub(X, r0 * D, m * D), m, D);
          const mo = tf.slice(this.ownMasks, [r0, 0], [m, -1]) as tf.Tensor2D;
          const mf = tf.slice(this.flippedMasks, [r0, 0], [m, -1]) as tf.Tensor2D;
          return [mlpLogits(this.vars, x, this.shape.hidden, mo).dataSync(), mlpLogits(this.vars, x, this.shape.hidden, mf).dataSync()];
        });
        for (let i = 0; i < m; i++) {
          const c = y[r0 + i];
          own[r0 + i] = lse64(zo, i * K, K) - zo[i * K + c];
          flipped[r0 + i] = lse64(zf, i * K, K) - zf[i * K + c];
        }
      }
      this.selfCache = { own, flipped };
    }
    return this.selfCache;
  }

  /** CE_i(1 - m_i) - CE_i(m_i) for every training row (see the module comment). */
  selfInfluence(): Float64Array {
    const { own, flipped } = this.selfLosses();
    return flipped.map((f, i) => f - own[i]);
  }

  /**
   * Influence of every training row on the CE of test point x (D features, as the training rows)
   * at class `target`: one forward pass of x against all N own masks and one against all N flipped
   * masks (the first layer computed once).
   */
  explain(x: ArrayLike<number>, target: number): TodExplanation {
    const { D, K, N } = this.data;
    if (x.length !== D) throw new RangeError(`explain: the test point has ${x.length} features, the model ${D}`);
    if (!(Number.isInteger(target) && target >= 0 && target < K)) throw new RangeError(`explain: target class ${target} is not in 0..${K - 1}`);
    const probabilities = this.predictProba(x, 1);
    const testLoss = -Math.log(Math.max(probabilities[target], 1e-300));
    const ownLoss = new Float64Array(N);
    const flippedLoss = new Float64Array(N);
    const xt = tensor2d(x, 1, D);
    try {
      for (let r0 = 0; r0 < N; r0 += QUERY_CHUNK) {
        const m = Math.min(QUERY_CHUNK, N - r0);
        const [zo, zf] = tf.tidy(() => {
          const mo = tf.slice(this.ownMasks, [r0, 0], [m, -1]) as tf.Tensor2D;
          const mf = tf.slice(this.flippedMasks, [r0, 0], [m, -1]) as tf.Tensor2D;
          return [mlpLogits(this.vars, xt, this.shape.hidden, mo).dataSync(), mlpLogits(this.vars, xt, this.shape.hidden, mf).dataSync()];
        });
        for (let i = 0; i < m; i++) {
          ownLoss[r0 + i] = lse64(zo, i * K, K) - zo[i * K + target];
          flippedLoss[r0 + i] = lse64(zf, i * K, K) - zf[i * K + target];
        }
      }
    } finally {
      xt.dispose();
    }
    const removalChange = flippedLoss.map((f, i) => f - ownLoss[i]);
    const influence = removalChange.map((v) => -v);
    return {
      probabilities,
      testLoss,
      influence,
      relatifTheta: new Float64Array(N).fill(NaN),
      relatifL: new Float64Array(N).fill(NaN),
      ownLoss,
      flippedLoss,
      removalChange,
    };
  }

  /** The parameters as live tfjs variables (W_1, b_1, ..., W_out, b_out); do not dispose them. */
  get variables(): readonly tf.Variable[] {
    return this.vars;
  }

  /** Scaled masks (2 m_i) of training rows as a tensor N x U; do not dispose it. */
  get ownMaskTensor(): tf.Tensor2D {
    return this.ownMasks;
  }

  dispose(): void {
    tf.dispose([...this.vars, this.ownMasks, this.flippedMasks]);
  }
}

function sub(X: ArrayLike<number>, start: number, length: number): ArrayLike<number> {
  if (ArrayBuffer.isView(X)) return (X as unknown as Float64Array).subarray(start, start + length);
  return Array.prototype.slice.call(X, start, start + length) as number[];
}
