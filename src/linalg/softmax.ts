/**
 * The one softmax of the engine: stable (max-shifted) softmax, log-softmax and log-sum-exp of K
 * logits at an offset of a Float64Array.
 */

/** out[oo..oo+K) = log softmax(z[zo..zo+K)); returns the log-sum-exp. Stable for any finite z. */
export function logSoftmaxInto(z: Float64Array, zo: number, K: number, out: Float64Array, oo: number): number {
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (z[zo + k] > m) m = z[zo + k];
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp(z[zo + k] - m);
  const lse = m + Math.log(s);
  for (let k = 0; k < K; k++) out[oo + k] = z[zo + k] - lse;
  return lse;
}

/** out[oo..oo+K) = softmax(z[zo..zo+K)) (max subtracted first); returns the log-sum-exp. */
export function softmaxInto(z: Float64Array, zo: number, K: number, out: Float64Array, oo: number): number {
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (z[zo + k] > m) m = z[zo + k];
  let s = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(z[zo + k] - m);
    out[oo + k] = e;
    s += e;
  }
  const inv = 1 / s;
  for (let k = 0; k < K; k++) out[oo + k] *= inv;
  return m + Math.log(s);
}

/** log sum_k exp(z[zo + k]), max-shifted. */
export function logSumExp(z: Float64Array, zo: number, K: number): number {
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (z[zo + k] > m) m = z[zo + k];
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp(z[zo + k] - m);
  return m + Math.log(s);
}
