/**
 * A small multilayer perceptron in tfjs with per-row masks on its hidden units, written only with
 * operations whose tfjs gradients are themselves differentiable (matMul, add, mul, relu, softplus,
 * split), so that Hessian-vector products by double backpropagation are exact. (tfjs computes the
 * gradients of exp, tanh, sigmoid and softmax from their saved outputs, which cuts them off the tape:
 * a second derivative through them fails or comes out wrong. Log-sum-exp is therefore built from
 * softplus, LSE(a, b) = a + softplus(b - a), folded over the classes.)
 *
 * Parameters, in order: W_1 (D x H_1), b_1 (H_1), ..., W_out (H_L x K), b_out (K). Hidden layer l is
 * h_l = relu(h_{l-1} W_l + b_l) * m_l, where m_l is that layer's slice of the row's mask over all
 * U = sum_l H_l hidden units, already scaled (turn-over dropout: mask / keep-probability), or 1
 * for the full network.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random';

export interface MlpShape {
  inputs: number;
  hidden: number[];
  outputs: number;
}

export function hiddenUnits(shape: MlpShape): number {
  return shape.hidden.reduce((a, b) => a + b, 0);
}

export function paramShapes(shape: MlpShape): number[][] {
  const out: number[][] = [];
  let prev = shape.inputs;
  for (const h of [...shape.hidden, shape.outputs]) {
    out.push([prev, h], [h]);
    prev = h;
  }
  return out;
}

export function paramCount(shape: MlpShape): number {
  return paramShapes(shape).reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
}

/** He-normal weights (std sqrt(2 / fan_in)), zero biases, from a seeded generator. */
export function initParams(shape: MlpShape, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return paramShapes(shape).map((sh) => {
    const v = new Float32Array(sh.reduce((a, b) => a * b, 1));
    if (sh.length === 2) {
      const std = Math.sqrt(2 / sh[0]);
      for (let k = 0; k < v.length; k++) v[k] = std * rng.normal();
    }
    return v;
  });
}

/**
 * Logits of the rows of X (n x D) under params. `masks`, when given, is m x U with m = n or n = 1
 * (one input broadcast against m masks: the first layer is computed once). Returns max(n, m) x K.
 */
export function mlpLogits(params: readonly tf.Tensor[], X: tf.Tensor2D, hidden: readonly number[], masks?: tf.Tensor2D | null): tf.Tensor2D {
  let h: tf.Tensor2D = X;
  let offset = 0;
  for (let l = 0; l < hidden.length; l++) {
    h = tf.relu(tf.add(tf.matMul(h, params[2 * l] as tf.Tensor2D), params[2 * l + 1])) as tf.Tensor2D;
    if (masks) {
      const m = hidden.length === 1 ? masks : (tf.slice(masks, [0, offset], [-1, hidden[l]]) as tf.Tensor2D);
      h = tf.mul(h, m) as tf.Tensor2D;
    }
    offset += hidden[l];
  }
  const L = hidden.length;
  return tf.add(tf.matMul(h, params[2 * L] as tf.Tensor2D), params[2 * L + 1]) as tf.Tensor2D;
}

/** log sum_k exp(z_k) per row, by the softplus fold (differentiable twice in tfjs). */
export function logSumExpRows(z: tf.Tensor2D): tf.Tensor1D {
  const K = z.shape[1];
  const cols = K === 1 ? [z] : tf.split(z, K, 1);
  let s: tf.Tensor = cols[0];
  for (let k = 1; k < K; k++) s = tf.add(s, tf.softplus(tf.sub(cols[k], s)));
  return tf.reshape(s, [-1]) as tf.Tensor1D;
}

/** Cross-entropy per row: LSE(z) - z . onehot. */
export function crossEntropyRows(z: tf.Tensor2D, onehot: tf.Tensor2D): tf.Tensor1D {
  return tf.sub(logSumExpRows(z), tf.sum(tf.mul(z, onehot), 1)) as tf.Tensor1D;
}

/** Numerically stable log-sum-exp of z[o..o+K) in float64. */
export function lse64(z: ArrayLike<number>, o: number, K: number): number {
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (z[o + k] > m) m = z[o + k];
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp(z[o + k] - m);
  return m + Math.log(s);
}

/** Row-major n x D float64 -> float32 tensor. */
export function tensor2d(X: ArrayLike<number>, n: number, D: number): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(X as ArrayLike<number>), [n, D]);
}
