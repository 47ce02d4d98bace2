/**
 * Adam (Kingma & Ba) on a flat float64 parameter vector in plain JavaScript, with an L2 term added
 * to the gradient (g + l2 theta, the gradient of (l2/2) ||theta||^2) and the learning rate given per
 * step so that callers can schedule it. For the small models here a tfjs op costs ~50 us whatever
 * its size, so doing the update in JavaScript (one read-back of the gradients, one upload of the
 * parameters) is several times cheaper than ~10 tfjs ops per parameter tensor. Deterministic.
 */
import * as tf from '@tensorflow/tfjs';

export class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;

  constructor(
    readonly theta: Float64Array,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = new Float64Array(theta.length);
    this.v = new Float64Array(theta.length);
  }

  /** theta -= lr_t m_hat / (sqrt(v_hat) + eps) for the gradient g (+ l2 theta). */
  step(g: ArrayLike<number>, lr: number, l2 = 0): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps, t, theta, m, v } = this;
    const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
    for (let k = 0; k < theta.length; k++) {
      const gk = g[k] + l2 * theta[k];
      m[k] = b1 * m[k] + (1 - b1) * gk;
      v[k] = b2 * v[k] + (1 - b2) * gk * gk;
      theta[k] -= (lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + eps);
    }
  }
}

/** Cosine decay from lr to lr * floor over `total` steps. */
export function cosineRate(lr: number, step: number, total: number, floor = 0.05): number {
  const f = total <= 1 ? 1 : Math.min(1, step / (total - 1));
  return lr * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * f)));
}

/**
 * A model's parameters as tfjs variables backed by one flat float64 vector (the concatenation of
 * the tensors in order, each row-major).
 */
export class ParamVector {
  readonly sizes: number[];
  readonly size: number;
  readonly vars: tf.Variable[];

  constructor(
    readonly shapes: number[][],
    init: readonly ArrayLike<number>[],
  ) {
    this.sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
    this.size = this.sizes.reduce((a, b) => a + b, 0);
    this.vars = shapes.map((s, k) => {
      const t = tf.tensor(Float32Array.from(init[k]), s);
      const v = tf.variable(t, true, undefined, 'float32');
      t.dispose(); // the variable keeps its own reference to the data
      return v;
    });
  }

  /** Current values, flat (float32 values widened). */
  read(): Float64Array {
    return flatten(this.vars);
  }

  /** Sets the variables from a flat vector. */
  write(theta: ArrayLike<number>): void {
    let o = 0;
    this.vars.forEach((v, k) => {
      const n = this.sizes[k];
      const t = tf.tensor(Float32Array.from(Array.prototype.slice.call(theta, o, o + n) as number[]), this.shapes[k]);
      v.assign(t);
      t.dispose();
      o += n;
    });
  }

  /** Flat vector -> one tensor per parameter (caller disposes). */
  split(v: ArrayLike<number>): tf.Tensor[] {
    let o = 0;
    return this.shapes.map((s, k) => {
      const n = this.sizes[k];
      const t = tf.tensor(Float32Array.from(Array.prototype.slice.call(v, o, o + n) as number[]), s);
      o += n;
      return t;
    });
  }

  dispose(): void {
    tf.dispose(this.vars);
  }
}

/** Concatenation of the tensors' values (synchronous read-back), float64. */
export function flatten(ts: readonly tf.Tensor[]): Float64Array {
  const n = ts.reduce((s, t) => s + t.size, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const t of ts) {
    out.set(t.dataSync() as Float32Array, o);
    o += t.size;
  }
  return out;
}
