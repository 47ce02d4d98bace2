/**
 * Multilayer perceptrons on TensorFlow.js (float32), in a form that influence functions can use.
 *
 * Objective (the same convention as the logistic model, src/model/logistic.ts):
 *   J(theta) = (1/N) sum_i CE(softmax(f(x_i; theta)), y_i) + (l2/2) ||theta||^2,
 * with every weight and bias regularised. theta is one flat vector: for each layer in order, the
 * kernel W (in x out, row-major as tfjs stores Dense kernels) then the bias b (out). Hidden layers
 * use relu or tanh; the last layer is linear (logits) and softmax lives in the loss.
 *
 * Training (trainMlp): seeded Glorot-uniform init, Adam on seeded minibatches, then full-batch
 * L-BFGS steps (float64 iterates, float32 tfjs loss and gradient) so that ||grad J|| is small at the
 * returned parameters, which influence functions assume. The final gradient norm is reported.
 *
 * The forward pass is written with plain tfjs ops on slices of theta (no tf.layers), so tf.grad
 * can be nested: Hessian-vector products are the gradient of (grad J . v).
 */
import * as tf from '@tensorflow/tfjs';
import { norm2 } from '../linalg/dense';
import { Adam } from '../optim/adam';
import { lbfgs, type AsyncOracle } from '../optim/lbfgs';
import { armijoBacktracking } from '../optim/lineSearch';
import type { Checkpoint } from '../util/cancel';
import { ConvergenceError, UserError } from '../util/errors';
import { seededRandom } from '../util/random';

export type Activation = 'relu' | 'tanh' | 'linear';

export interface DenseLayer {
  inDim: number;
  outDim: number;
  activation: Activation;
}

export interface Mlp {
  inputDim: number;
  classes: number;
  layers: DenseLayer[];
  /** Flat parameters (see the module comment). */
  theta: Float32Array;
}

/** Offsets of each layer's kernel and bias in theta. */
export function layout(layers: DenseLayer[]): { w: number; b: number }[] {
  let o = 0;
  return layers.map((l) => {
    const w = o;
    o += l.inDim * l.outDim;
    const b = o;
    o += l.outDim;
    return { w, b };
  });
}

export function paramCount(layers: DenseLayer[]): number {
  return layers.reduce((a, l) => a + l.inDim * l.outDim + l.outDim, 0);
}

export function architecture(inputDim: number, hidden: number[], classes: number, activation: Activation = 'relu'): DenseLayer[] {
  const dims = [inputDim, ...hidden, classes];
  return dims.slice(1).map((outDim, k) => ({ inDim: dims[k], outDim, activation: k === hidden.length ? 'linear' : activation }));
}

/** Seeded Glorot-uniform kernels, zero biases. */
export function initTheta(layers: DenseLayer[], seed: number): Float32Array {
  const rand = seededRandom(seed);
  const theta = new Float32Array(paramCount(layers));
  const lay = layout(layers);
  layers.forEach((l, k) => {
    const lim = Math.sqrt(6 / (l.inDim + l.outDim));
    for (let p = 0; p < l.inDim * l.outDim; p++) theta[lay[k].w + p] = (2 * rand() - 1) * lim;
  });
  return theta;
}

/*
 * tfjs differentiates twice only through gradients written in terms of an op's INPUTS: ops whose
 * gradient reuses their saved OUTPUT (exp, tanh, sigmoid, softmax) break the second backward pass
 * (an error, or worse, a silently wrong Hessian-vector product). exp and tanh are therefore
 * redefined here with gradients that recompute from the input, so they are differentiable to any
 * order. (Checked against finite differences in test/unit/nn-mlp.test.ts.)
 */
export const expD: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return { value: tf.exp(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, expD(saved[0])) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

export const tanhD: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return { value: tf.tanh(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.sub(1, tf.square(tanhD(saved[0])))) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

function act(z: tf.Tensor2D, a: Activation): tf.Tensor2D {
  return a === 'relu' ? tf.relu(z) : a === 'tanh' ? (tanhD(z) as tf.Tensor2D) : z;
}

/** Activations of every layer: [x, a_1, ..., a_{L-1}, logits]. */
export function forwardAll(layers: DenseLayer[], theta: tf.Tensor1D, X: tf.Tensor2D): tf.Tensor2D[] {
  const lay = layout(layers);
  const out: tf.Tensor2D[] = [X];
  let a = X;
  layers.forEach((l, k) => {
    const W = tf.reshape(tf.slice(theta, lay[k].w, l.inDim * l.outDim), [l.inDim, l.outDim]) as tf.Tensor2D;
    const b = tf.slice(theta, lay[k].b, l.outDim);
    a = act(tf.add(tf.matMul(a, W), b) as tf.Tensor2D, l.activation);
    out.push(a);
  });
  return out;
}

export function logitsOf(layers: DenseLayer[], theta: tf.Tensor1D, X: tf.Tensor2D): tf.Tensor2D {
  const all = forwardAll(layers, theta, X);
  return all[all.length - 1];
}

/** Per-row cross-entropy from logits and one-hot labels, written with differentiable ops only. */
export function rowCE(logits: tf.Tensor2D, Y: tf.Tensor2D): tf.Tensor1D {
  // CE = log sum exp(z - m) - (z - m) . y for any constant m (rows of y sum to 1); m = the row max,
  // read back as a constant (a tensor made from data has no gradient: tfjs has no stopGradient,
  // and differentiating tf.max twice hits Equal, which has no gradient), keeps exp() in range.
  const m = tf.max(tf.tensor(logits.dataSync(), logits.shape), 1, true);
  const z = tf.sub(logits, m);
  const lse = tf.log(tf.sum(expD(z), 1));
  return tf.sub(lse, tf.sum(tf.mul(z, Y), 1)) as tf.Tensor1D;
}

/** J(theta) on (X, Y): mean CE + (l2/2)||theta||^2. */
export function objectiveOf(layers: DenseLayer[], theta: tf.Tensor1D, X: tf.Tensor2D, Y: tf.Tensor2D, l2: number): tf.Scalar {
  const ce = tf.mean(rowCE(logitsOf(layers, theta, X), Y));
  return l2 > 0 ? (tf.add(ce, tf.mul(0.5 * l2, tf.sum(tf.square(theta)))) as tf.Scalar) : (ce as tf.Scalar);
}

export function oneHot(y: Int32Array, K: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), K).toFloat() as tf.Tensor2D);
}

/** Float64 rows x cols from a 2-D tensor. */
export async function toF64(t: tf.Tensor): Promise<Float64Array> {
  return Float64Array.from((await t.data()) as Float32Array);
}

/**
 * The data and the objective on one backend: value and gradient for the optimiser, per-row losses,
 * probabilities, and Hessian-vector products by double backprop.
 */
export class MlpObjective {
  readonly X: tf.Tensor2D;
  readonly Y: tf.Tensor2D;
  readonly P: number;
  private readonly gradFn: (theta: tf.Tensor1D) => tf.Tensor1D;
  private readonly hvpFn: (theta: tf.Tensor1D, v: tf.Tensor1D) => tf.Tensor1D;

  constructor(
    readonly layers: DenseLayer[],
    X: Float64Array | Float32Array,
    y: Int32Array,
    readonly N: number,
    readonly l2: number,
  ) {
    const d = layers[0].inDim;
    const K = layers[layers.length - 1].outDim;
    this.X = tf.tensor2d(Float32Array.from(X.subarray(0, N * d)), [N, d]);
    this.Y = oneHot(y.subarray(0, N), K);
    this.P = paramCount(layers);
    const J = (th: tf.Tensor) => objectiveOf(layers, th as tf.Tensor1D, this.X, this.Y, l2);
    this.gradFn = tf.grad(J) as (t: tf.Tensor1D) => tf.Tensor1D;
    this.hvpFn = (theta: tf.Tensor1D, v: tf.Tensor1D) =>
      (tf.grad((th: tf.Tensor) => tf.sum(tf.mul(this.gradFn(th as tf.Tensor1D), v))) as (t: tf.Tensor1D) => tf.Tensor1D)(theta);
  }

  dispose(): void {
    this.X.dispose();
    this.Y.dispose();
  }

  /** J and grad J at theta (float64 copies). */
  async valueAndGrad(theta: ArrayLike<number>): Promise<{ f: number; g: Float64Array }> {
    const th = tf.tensor1d(Float32Array.from(theta));
    const { value, grad } = tf.tidy(() => {
      const r = tf.valueAndGrad((t: tf.Tensor1D) => objectiveOf(this.layers, t, this.X, this.Y, this.l2))(th);
      return { value: r.value, grad: r.grad };
    });
    const f = (await value.data())[0];
    const g = await toF64(grad);
    tf.dispose([th, value, grad]);
    return { f, g };
  }

  /** (H v) at theta, H the Hessian of J (true Hessian, not Gauss-Newton), by double backprop. */
  async hvp(theta: Float32Array, v: Float64Array): Promise<Float64Array> {
    const out = tf.tidy(() => this.hvpFn(tf.tensor1d(theta), tf.tensor1d(Float32Array.from(v))));
    const r = await toF64(out);
    out.dispose();
    return r;
  }

  /** A function v -> H v at a fixed theta (for the iterative solvers). */
  hvpAt(theta: Float32Array): (v: Float64Array) => Promise<Float64Array> {
    return (v) => this.hvp(theta, v);
  }
}

/** n x K softmax probabilities. */
export async function predictProba(mlp: Mlp, X: Float64Array | Float32Array, n: number): Promise<Float64Array> {
  const out = tf.tidy(() => {
    const th = tf.tensor1d(mlp.theta);
    return tf.softmax(logitsOf(mlp.layers, th, tf.tensor2d(Float32Array.from(X.subarray(0, n * mlp.inputDim)), [n, mlp.inputDim])));
  });
  const r = await toF64(out);
  out.dispose();
  return r;
}

/** n x H activations feeding the last layer (float64), i.e. the features of the last-layer model. */
export async function penultimate(mlp: Mlp, X: Float64Array | Float32Array, n: number): Promise<Float64Array> {
  const out = tf.tidy(() => {
    const all = forwardAll(mlp.layers, tf.tensor1d(mlp.theta), tf.tensor2d(Float32Array.from(X.subarray(0, n * mlp.inputDim)), [n, mlp.inputDim]));
    return all[all.length - 2];
  });
  const r = await toF64(out);
  out.dispose();
  return r;
}

export interface TrainOptions {
  hidden: number[];
  /**
   * Hidden activation (default tanh: J is then twice differentiable everywhere, which the influence
   * approximation assumes, and full-batch L-BFGS reaches ||grad J|| ~ 1e-4 where relu's kinks stall it
   * around 1e-2, measured on 150 breast_cancer rows).
   */
  activation?: Activation;
  /** L2 coefficient of J (default 1e-3). */
  l2?: number;
  seed?: number;
  /** Adam epochs (default 100). */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Full-batch L-BFGS iterations after Adam (default 200; stops earlier at gradTol). */
  fullBatchSteps?: number;
  /** Target ||grad J|| (default 1e-4: near the float32 noise floor of the full-batch gradient). */
  gradTol?: number;
  /** Start from these parameters instead of the seeded init (skips nothing else). */
  init?: Float32Array;
  checkpoint?: Checkpoint;
  /** Throw ConvergenceError when ||grad J|| ends above 100 x gradTol. */
  requireConvergence?: boolean;
}

export interface TrainReport {
  backend: string;
  parameters: number;
  adamEpochs: number;
  lbfgsIterations: number;
  objective: number;
  /** ||grad J|| at the returned parameters (float32 gradient). */
  gradNorm: number;
  /** ||grad J|| after the Adam phase, before the full-batch steps. */
  gradNormAfterAdam: number;
  converged: boolean;
  trainAccuracy: number;
  seconds: { adam: number; lbfgs: number };
}

/** Trains an MLP on X (N x d, any features; the engine passes its encoded matrix) and labels y. */
export async function trainMlp(X: Float64Array | Float32Array, y: Int32Array, N: number, d: number, K: number, opts: TrainOptions): Promise<{ mlp: Mlp; report: TrainReport }> {
  const layers = architecture(d, opts.hidden, K, opts.activation ?? 'tanh');
  const l2 = opts.l2 ?? 1e-3;
  const seed = opts.seed ?? 1;
  const epochs = opts.epochs ?? 100;
  const bs = Math.min(N, opts.batchSize ?? 64);
  const gradTol = opts.gradTol ?? 1e-4;
  const cp = opts.checkpoint;
  if (X.length < N * d) throw new RangeError(`trainMlp: X has ${X.length} entries, N*d = ${N * d}`);
  for (let i = 0; i < N; i++) if (!(y[i] >= 0 && y[i] < K)) throw new RangeError(`trainMlp: row ${i} has class ${y[i]}, K = ${K}`);
  const obj = new MlpObjective(layers, X, y, N, l2);
  const t0 = performance.now();
  // The engine's one Adam (src/optim/adam) on a float64 iterate, with tfjs's default epsilon 1e-7:
  // per minibatch one tfjs gradient (the L2 term is in the objective), read back, and the update in
  // JavaScript. (tf.train.adam did the same update as ~10 backend ops on a float32 variable.)
  const theta64 = Float64Array.from(opts.init ?? initTheta(layers, seed));
  const adam = new Adam(theta64, 0.9, 0.999, 1e-7);
  const lr = opts.learningRate ?? 1e-2;
  const rand = seededRandom(seed + 7);
  const perm = Int32Array.from({ length: N }, (_, i) => i);
  for (let ep = 0; ep < epochs; ep++) {
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    const idx = tf.tensor1d(perm, 'int32');
    for (let s = 0; s < N; s += bs) {
      const grad = tf.tidy(() => {
        const rows = tf.slice(idx, s, Math.min(bs, N - s));
        const xb = tf.gather(obj.X, rows) as tf.Tensor2D;
        const yb = tf.gather(obj.Y, rows) as tf.Tensor2D;
        return tf.grad((t: tf.Tensor) => objectiveOf(layers, t as tf.Tensor1D, xb, yb, l2))(tf.tensor1d(Float32Array.from(theta64)));
      });
      adam.step(grad.dataSync() as Float32Array, lr);
      grad.dispose();
    }
    idx.dispose();
    await cp?.tick(0.5 * (ep + 1) / Math.max(1, epochs));
  }
  const tAdam = performance.now();
  // Full-batch steps by the shared L-BFGS (src/optim/lbfgs) on the float64 iterate: memory 10 and
  // Armijo backtracking, since the tfjs objective is float32-noisy (see armijoBacktracking).
  const fg: AsyncOracle = async (w, g) => {
    const r = await obj.valueAndGrad(w);
    g.set(r.g);
    return r.f;
  };
  const grad = new Float64Array(theta64.length);
  const f0 = await fg(theta64, grad);
  const gradNorm0 = norm2(grad);
  const lb = await lbfgs(theta64, grad, f0, fg, gradTol, opts.fullBatchSteps ?? 200, { cp, lineSearch: armijoBacktracking, memory: 10 });
  const gradNorm = norm2(grad);
  const tEnd = performance.now();
  const mlp: Mlp = { inputDim: d, classes: K, layers, theta: Float32Array.from(theta64) };
  const proba = await predictProba(mlp, X, N);
  let correct = 0;
  for (let i = 0; i < N; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (proba[i * K + k] > proba[i * K + best]) best = k;
    if (best === y[i]) correct++;
  }
  obj.dispose();
  const report: TrainReport = {
    backend: tf.getBackend(),
    parameters: paramCount(layers),
    adamEpochs: epochs,
    lbfgsIterations: lb.iterations,
    objective: lb.f,
    gradNorm,
    gradNormAfterAdam: gradNorm0,
    converged: gradNorm <= gradTol,
    trainAccuracy: correct / N,
    seconds: { adam: (tAdam - t0) / 1000, lbfgs: (tEnd - tAdam) / 1000 },
  };
  if (opts.requireConvergence && gradNorm > 100 * gradTol) {
    throw new ConvergenceError(`The MLP did not reach a stationary point: ||grad J|| = ${gradNorm.toExponential(2)} after ${lb.iterations} full-batch steps. Raise the L2 regularisation or the number of steps.`);
  }
  return { mlp, report };
}

/**
 * An Mlp from a user's tf.LayersModel when it is a stack of Dense layers (InputLayer, Dropout and
 * Flatten of a 1-D input are skipped; hidden activations relu/tanh/linear; the last Dense layer's
 * softmax becomes the loss). Returns a reason string when the model has another shape: then only
 * last-layer influence applies (see lastLayerFeatures).
 */
export function mlpFromLayersModel(model: tf.LayersModel): Mlp | string {
  const layers: DenseLayer[] = [];
  const thetaParts: Float32Array[] = [];
  const ls = model.layers;
  for (let k = 0; k < ls.length; k++) {
    const l = ls[k];
    const cls = l.getClassName();
    if (cls === 'InputLayer' || cls === 'Dropout') continue;
    if (cls === 'Flatten') {
      const shape = l.inputSpec?.[0]?.shape ?? (l as unknown as { batchInputShape?: number[] }).batchInputShape;
      if (!shape || shape.length <= 2) continue;
      return `layer ${l.name} (Flatten of a ${shape.length - 1}-D input) is not supported for full-parameter influence`;
    }
    if (cls !== 'Dense') return `layer ${l.name} is ${cls}; full-parameter influence supports stacks of Dense layers only`;
    const cfg = l.getConfig() as { activation?: string; useBias?: boolean };
    const a = cfg.activation ?? 'linear';
    const last = ls.slice(k + 1).every((m) => m.getClassName() === 'Dropout');
    if (last ? a !== 'softmax' && a !== 'linear' : a !== 'relu' && a !== 'tanh' && a !== 'linear') {
      return `layer ${l.name} has activation ${a}; supported: relu, tanh or linear hidden layers and a softmax (or linear logits) output`;
    }
    const w = l.getWeights();
    const kernel = w[0];
    const [inDim, outDim] = kernel.shape;
    thetaParts.push(kernel.dataSync() as Float32Array);
    thetaParts.push(cfg.useBias === false || w.length < 2 ? new Float32Array(outDim) : (w[1].dataSync() as Float32Array));
    layers.push({ inDim, outDim, activation: last ? 'linear' : (a as Activation) });
  }
  if (layers.length === 0) return 'the model has no Dense layer';
  const theta = new Float32Array(paramCount(layers));
  let o = 0;
  for (const p of thetaParts) {
    theta.set(p, o);
    o += p.length;
  }
  return { inputDim: layers[0].inDim, classes: layers[layers.length - 1].outDim, layers, theta };
}

/** A tf.Sequential LayersModel with the Mlp's weights (softmax output), e.g. to save it. */
export function mlpToLayersModel(mlp: Mlp): tf.Sequential {
  const model = tf.sequential();
  const lay = layout(mlp.layers);
  mlp.layers.forEach((l, k) => {
    const last = k === mlp.layers.length - 1;
    const dense = tf.layers.dense({ units: l.outDim, activation: last ? 'softmax' : l.activation, inputShape: k === 0 ? [l.inDim] : undefined });
    model.add(dense);
    dense.setWeights([
      tf.tensor2d(mlp.theta.slice(lay[k].w, lay[k].w + l.inDim * l.outDim), [l.inDim, l.outDim]),
      tf.tensor1d(mlp.theta.slice(lay[k].b, lay[k].b + l.outDim)),
    ]);
  });
  return model;
}

/**
 * For any LayersModel whose last layer is Dense with softmax: the inputs of that layer (n x H,
 * float64) and its weights as the logistic model's W (K x (H + 1), bias last: the last-layer
 * model of Koh & Liang's "influence over the top layer").
 */
export async function lastLayerFeatures(model: tf.LayersModel, X: Float64Array | Float32Array, n: number): Promise<{ features: Float64Array; H: number; W: Float64Array; K: number }> {
  const layers = model.layers.filter((l) => l.getClassName() !== 'Dropout');
  const last = layers[layers.length - 1];
  if (last.getClassName() !== 'Dense') throw new UserError(`last-layer influence needs a final Dense layer; the model ends with ${last.getClassName()}`);
  const act = (last.getConfig() as { activation?: string }).activation;
  if (act !== 'softmax' && act !== 'linear') throw new UserError(`last-layer influence needs a softmax (or linear logits) output; the last layer has activation ${act}`);
  const inputShape = model.inputs[0].shape;
  const d = inputShape[inputShape.length - 1] as number;
  const trunk = tf.model({ inputs: model.inputs, outputs: last.input as tf.SymbolicTensor });
  const feats = tf.tidy(() => trunk.predict(tf.tensor2d(Float32Array.from(X.subarray(0, n * d)), [n, d])) as tf.Tensor2D);
  const H = feats.shape[1];
  const features = await toF64(feats);
  feats.dispose();
  const [kernel, bias] = last.getWeights();
  const K = kernel.shape[1] as number;
  const kd = kernel.dataSync();
  const bd = bias ? bias.dataSync() : new Float32Array(K);
  const W = new Float64Array(K * (H + 1));
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < H; a++) W[k * (H + 1) + a] = kd[a * K + k];
    W[k * (H + 1) + H] = bd[k];
  }
  return { features, H, W, K };
}
