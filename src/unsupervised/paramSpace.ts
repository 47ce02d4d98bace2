/**
 * Parameter-space calculus for small tfjs models given as a list of parameter tensors: gradients,
 * Hessian-vector products by double backpropagation, and Jacobian-vector products of per-row
 * functions, all returned as flat float64 vectors (the concatenation of the tensors, row-major).
 *
 * The functions passed in must be built from ops that tfjs can differentiate twice (see
 * src/tod/mlp.ts and src/nn/mlp.ts: no exp/tanh/sigmoid/softmax with their stock gradients).
 *
 * Jacobian-vector products use the double-backward trick: for per-row values F(theta) in R^n,
 * h(u) = grad_theta (u . F) = J^T u is linear in u, and grad_u (h(u) . v) = J v. One forward, one
 * backward and one backward-of-backward give (grad F_i . v) for every row i at once, i.e. the dot
 * products of all per-row gradients with v without forming any of them.
 */
import * as tf from '@tensorflow/tfjs';
import { flatten } from '../optim/adam';

export type ScalarFn = (params: tf.Tensor[]) => tf.Scalar;
export type RowsFn = (params: tf.Tensor[]) => tf.Tensor1D;

/** Splits a flat vector into tensors shaped like `like` (caller disposes). */
export function splitLike(v: ArrayLike<number>, like: readonly tf.Tensor[]): tf.Tensor[] {
  let o = 0;
  return like.map((t) => {
    const n = t.size;
    const part = new Float32Array(n);
    for (let k = 0; k < n; k++) part[k] = v[o + k];
    o += n;
    return tf.tensor(part, t.shape);
  });
}

/**
 * f plus 0 * (sum of every parameter): the same value and gradient, but every parameter is on the
 * tape, so tf.grads does not refuse a function that ignores some of them (e.g. a distance in the
 * embedding, which does not involve the decoder); those get a zero gradient.
 */
function connected(f: ScalarFn): ScalarFn {
  return (ps) => {
    let s: tf.Tensor = f(ps);
    for (const p of ps) s = tf.add(s, tf.mul(tf.sum(p), 0));
    return s as tf.Scalar;
  };
}

/** grad f at params, flat. */
export function gradientAt(f: ScalarFn, params: readonly tf.Tensor[]): Float64Array {
  const g = connected(f);
  const gs = tf.tidy(() => tf.grads((...ps: tf.Tensor[]) => g(ps))(params as tf.Tensor[]));
  const out = flatten(gs);
  tf.dispose(gs);
  return out;
}

/** f and grad f at params. */
export function valueAndGradientAt(f: ScalarFn, params: readonly tf.Tensor[]): { value: number; grad: Float64Array } {
  const g = connected(f);
  const { value, grads } = tf.tidy(() => tf.valueAndGrads((...ps: tf.Tensor[]) => g(ps))(params as tf.Tensor[]));
  const out = { value: value.dataSync()[0], grad: flatten(grads) };
  tf.dispose([value, ...grads]);
  return out;
}

/** H v with H the Hessian of f at params (exact, by double backpropagation). */
export function hvpAt(f: ScalarFn, params: readonly tf.Tensor[], v: ArrayLike<number>): Float64Array {
  const hv = tf.tidy(() => {
    const vs = splitLike(v, params);
    return tf.grads((...ps: tf.Tensor[]) => {
      const gs = tf.grads((...qs: tf.Tensor[]) => f(qs))(ps);
      let s: tf.Tensor = tf.scalar(0);
      gs.forEach((g, k) => (s = tf.add(s, tf.sum(tf.mul(g, vs[k])))));
      return s as tf.Scalar;
    })(params as tf.Tensor[]);
  });
  const out = flatten(hv);
  tf.dispose(hv);
  return out;
}

/** (grad F_i . v) for every row i of the per-row function F (see the module comment). */
export function jvpRows(F: RowsFn, params: readonly tf.Tensor[], v: ArrayLike<number>, rows: number): Float64Array {
  const jv = tf.tidy(() => {
    const vs = splitLike(v, params);
    const u = tf.ones([rows]);
    return tf.grad((uu: tf.Tensor) => {
      const gs = tf.grads((...ps: tf.Tensor[]) => tf.sum(tf.mul(uu, F(ps))) as tf.Scalar)(params as tf.Tensor[]);
      let s: tf.Tensor = tf.scalar(0);
      gs.forEach((g, k) => (s = tf.add(s, tf.sum(tf.mul(g, vs[k])))));
      return s as tf.Scalar;
    })(u);
  });
  const out = Float64Array.from(jv.dataSync() as Float32Array);
  jv.dispose();
  return out;
}
