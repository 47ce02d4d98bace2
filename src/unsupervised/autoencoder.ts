/**
 * A small autoencoder in tfjs for unlabelled data: encoder D -> H (relu) -> E (linear: the
 * embedding), decoder E -> H (relu) -> D (linear). Only ops that tfjs differentiates twice (matMul,
 * add, relu, square), so Hessian-vector products of the training objective are exact.
 *
 * Training objective (the convention of the other models: 1/N weights, every parameter regularised)
 *     J(theta) = sum_i c_i L_i(theta) + (l2/2) ||theta||^2,  c_i = 1/N,
 *     L_i = (1/D) ||decode(encode(x_i)) - x_i||^2  (mean squared reconstruction error of row i).
 * Fitted by full-batch Adam (deterministic given the seed) with a cosine-decayed learning rate; the
 * final ||grad J|| is reported, since influence functions assume a stationary point.
 *
 * Inputs are the engine's standardised features; columns that are constant on the training rows
 * (the bias column among them) carry nothing to reconstruct and are dropped.
 *
 * Parameters, in order: W1 (D x H), b1, W2 (H x E), b2, W3 (E x H), b3, W4 (H x D), b4.
 */
import * as tf from '@tensorflow/tfjs';
import type { Checkpoint } from '../util/cancel';
import { UserError } from '../util/errors';
import { initBackend, type BackendName, type BackendOptions } from '../nn/backend';
import { Adam, cosineRate, flatten, ParamVector } from '../optim/adam';
import { Rng } from '../util/random';
import { gradientAt, type RowsFn, type ScalarFn } from './paramSpace';

export interface AutoencoderShape {
  inputs: number;
  hidden: number;
  embedding: number;
}

export interface AutoencoderOptions {
  /** Hidden width of encoder and decoder (default 32). */
  hidden?: number;
  /** Embedding dimension (default 4). */
  embedding?: number;
  /** L2 on all parameters (default 1e-3). */
  l2?: number;
  /** Full-batch Adam steps (default 1500). */
  steps?: number;
  /** Adam's initial learning rate, cosine-decayed to 5% (default 1e-2). */
  learningRate?: number;
  seed?: number;
  checkpoint?: Checkpoint;
  backend?: BackendOptions;
}

export interface AutoencoderReport {
  backend: BackendName;
  params: number;
  steps: number;
  seconds: number;
  /** Mean reconstruction error (1/N) sum L_i at the end. */
  reconstruction: number;
  /** J at the end and ||grad J||. */
  objective: number;
  gradNorm: number;
}

export function aeParamShapes(s: AutoencoderShape): number[][] {
  return [
    [s.inputs, s.hidden], [s.hidden],
    [s.hidden, s.embedding], [s.embedding],
    [s.embedding, s.hidden], [s.hidden],
    [s.hidden, s.inputs], [s.inputs],
  ];
}

function dense(x: tf.Tensor2D, W: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, W as tf.Tensor2D), b) as tf.Tensor2D;
}

export function encodeT(p: readonly tf.Tensor[], X: tf.Tensor2D): tf.Tensor2D {
  return dense(tf.relu(dense(X, p[0], p[1])), p[2], p[3]);
}

export function decodeT(p: readonly tf.Tensor[], E: tf.Tensor2D): tf.Tensor2D {
  return dense(tf.relu(dense(E, p[4], p[5])), p[6], p[7]);
}

/** L_i for every row of X. */
export function reconstructionRows(p: readonly tf.Tensor[], X: tf.Tensor2D): tf.Tensor1D {
  return tf.mean(tf.square(tf.sub(decodeT(p, encodeT(p, X)), X)), 1) as tf.Tensor1D;
}

function initAe(shape: AutoencoderShape, seed: number): Float64Array[] {
  const rng = new Rng(seed);
  return aeParamShapes(shape).map((sh) => {
    const v = new Float64Array(sh.reduce((a, b) => a * b, 1));
    if (sh.length === 2) {
      const std = Math.sqrt(2 / (sh[0] + sh[1])); // Glorot normal
      for (let k = 0; k < v.length; k++) v[k] = std * rng.normal();
    }
    return v;
  });
}

export class Autoencoder {
  private constructor(
    readonly shape: AutoencoderShape,
    readonly params: ParamVector,
    /** The training rows (constant columns dropped), N x inputs. */
    readonly X: tf.Tensor2D,
    readonly N: number,
    /** Indices of the kept input columns. */
    readonly columns: Int32Array,
    readonly l2: number,
    readonly report: AutoencoderReport,
  ) {}

  /** Trains on X (N x D row-major). */
  static async train(Xraw: ArrayLike<number>, N: number, D: number, opts: AutoencoderOptions = {}): Promise<Autoencoder> {
    const backend = (await initBackend(opts.backend)).name;
    if (N < 2) throw new UserError('The autoencoder needs at least two rows.');
    const keep: number[] = [];
    for (let j = 0; j < D; j++) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < N; i++) {
        const v = Xraw[i * D + j];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi > lo) keep.push(j);
    }
    if (keep.length === 0) throw new UserError('Every feature column is constant: there is nothing for the autoencoder to learn.');
    const columns = Int32Array.from(keep);
    const shape: AutoencoderShape = { inputs: keep.length, hidden: opts.hidden ?? 32, embedding: opts.embedding ?? 4 };
    const X = tf.tensor2d(selectColumns(Xraw, N, D, columns), [N, keep.length]);
    const params = new ParamVector(aeParamShapes(shape), initAe(shape, opts.seed ?? 0));
    const l2 = opts.l2 ?? 1e-3;
    const ae = new Autoencoder(shape, params, X, N, columns, l2, {
      backend, params: params.size, steps: 0, seconds: 0, reconstruction: NaN, objective: NaN, gradNorm: NaN,
    });
    try {
      await ae.optimise({ steps: opts.steps ?? 1500, learningRate: opts.learningRate ?? 1e-2, checkpoint: opts.checkpoint });
    } catch (e) {
      ae.dispose();
      throw e;
    }
    return ae;
  }

  /**
   * A copy trained further from these parameters with per-row weights (0 removes a row; default:
   * all rows at 1/N). The leave-rows-out retraining used to check influence estimates.
   */
  async continueTraining(opts: { weights?: Float64Array; steps: number; learningRate: number; checkpoint?: Checkpoint }): Promise<Autoencoder> {
    const params = new ParamVector(this.params.shapes, splitFlat(this.params.read(), this.params.sizes));
    const ae = new Autoencoder(this.shape, params, tf.clone(this.X), this.N, this.columns, this.l2, { ...this.report, steps: 0, seconds: 0 });
    try {
      await ae.optimise({ ...opts, weights: opts.weights });
    } catch (e) {
      ae.dispose();
      throw e;
    }
    return ae;
  }

  private async optimise(o: { steps: number; learningRate: number; weights?: Float64Array; checkpoint?: Checkpoint }): Promise<void> {
    const c = tf.tensor1d(o.weights ? Float32Array.from(o.weights) : new Float32Array(this.N).fill(1 / this.N));
    const data: ScalarFn = (p) => tf.sum(tf.mul(reconstructionRows(p, this.X), c)) as tf.Scalar;
    const adam = new Adam(this.params.read());
    const t0 = performance.now();
    try {
      for (let s = 0; s < o.steps; s++) {
        const g = gradientAt(data, this.params.vars);
        adam.step(g, cosineRate(o.learningRate, s, o.steps), this.l2);
        this.params.write(adam.theta);
        await o.checkpoint?.tick(s / o.steps);
      }
      const r = this.report;
      r.steps += o.steps;
      r.seconds += (performance.now() - t0) / 1000;
      const g = gradientAt((p) => this.objectiveT(p, c), this.params.vars);
      r.gradNorm = Math.hypot(...g);
      r.objective = tf.tidy(() => this.objectiveT(this.params.vars, c).dataSync()[0]);
      r.reconstruction = tf.tidy(() => tf.mean(reconstructionRows(this.params.vars, this.X)).dataSync()[0]);
    } finally {
      c.dispose();
    }
  }

  private objectiveT(p: readonly tf.Tensor[], c: tf.Tensor1D): tf.Scalar {
    let s: tf.Tensor = tf.sum(tf.mul(reconstructionRows(p, this.X), c));
    let sq: tf.Tensor = tf.scalar(0);
    for (const t of p) sq = tf.add(sq, tf.sum(tf.square(t)));
    s = tf.add(s, tf.mul(sq, 0.5 * this.l2));
    return s as tf.Scalar;
  }

  /** J as a function of the parameters (all rows at 1/N). */
  objective(): ScalarFn {
    return (p) => {
      const c = tf.fill([this.N], 1 / this.N) as tf.Tensor1D;
      return this.objectiveT(p, c);
    };
  }

  /** L_i of every training row as a function of the parameters. */
  rowLosses(): RowsFn {
    return (p) => reconstructionRows(p, this.X);
  }

  /** Embeddings of n rows given in the training feature space (N x D before dropping columns). */
  embed(Xraw: ArrayLike<number>, n: number, D: number): Float64Array {
    const X = tf.tensor2d(selectColumns(Xraw, n, D, this.columns), [n, this.columns.length]);
    const e = tf.tidy(() => encodeT(this.params.vars, X));
    const out = flatten([e]);
    tf.dispose([X, e]);
    return out;
  }

  /** Embeddings of the training rows. */
  embedTraining(): Float64Array {
    const e = tf.tidy(() => encodeT(this.params.vars, this.X));
    const out = flatten([e]);
    e.dispose();
    return out;
  }

  /** One row (D features) as a 1 x inputs tensor (caller disposes). */
  inputTensor(x: ArrayLike<number>, D: number): tf.Tensor2D {
    return tf.tensor2d(selectColumns(x, 1, D, this.columns), [1, this.columns.length]);
  }

  dispose(): void {
    this.params.dispose();
    this.X.dispose();
  }
}

function selectColumns(X: ArrayLike<number>, n: number, D: number, cols: Int32Array): Float32Array {
  const out = new Float32Array(n * cols.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < cols.length; j++) out[i * cols.length + j] = X[i * D + cols[j]];
  return out;
}

function splitFlat(v: Float64Array, sizes: number[]): Float64Array[] {
  let o = 0;
  return sizes.map((n) => {
    const part = v.subarray(o, o + n);
    o += n;
    return part;
  });
}
