/**
 * The influence-function estimate (Koh & Liang) for the SAME network turn-over dropout trains, for
 * comparison with turn-over dropout's own estimate. The training objective of that network is
 * deterministic, because every row's dropout mask is fixed:
 *     J(theta) = (1/N) sum_i CE(x_i, y_i; theta, 2 m_i) + (l2/2) ||theta||^2,
 * so its Hessian is well defined; the test loss is the full network's CE at `target`. Solved with
 * damped conjugate gradients on exact Hessian-vector products (src/unsupervised/crossLossTf.ts).
 * removalChange_i = -I(i, t) / N estimates CE_t(without row i) - CE_t, the quantity turn-over dropout's
 * removalChange estimates too.
 */
import * as tf from '@tensorflow/tfjs';
import { crossLossInfluenceTf, type TfCrossLossResult, type TfSolveOptions } from '../src/unsupervised/crossLossTf';
import type { RowsFn, ScalarFn } from '../src/unsupervised/paramSpace';
import { crossEntropyRows, mlpLogits, tensor2d } from '../src/tod/mlp';
import type { TurnOverDropoutModel } from '../src/tod/turnOverDropout';

export async function todInfluenceFunction(model: TurnOverDropoutModel, x: ArrayLike<number>, target: number, opts: TfSolveOptions = {}): Promise<TfCrossLossResult> {
  const { X, N, D, K, y } = model.data;
  const hidden = model.shape.hidden;
  const Xt = tensor2d(X, N, D);
  const Yt = tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), K).toFloat() as tf.Tensor2D);
  const xt = tensor2d(x, 1, D);
  const yt = tf.tidy(() => tf.oneHot(tf.tensor1d([target], 'int32'), K).toFloat() as tf.Tensor2D);
  const l2 = model.report.l2;
  const rows: RowsFn = (p) => crossEntropyRows(mlpLogits(p, Xt, hidden, model.ownMaskTensor), Yt);
  const objective: ScalarFn = (p) => {
    let sq: tf.Tensor = tf.scalar(0);
    for (const t of p) sq = tf.add(sq, tf.sum(tf.square(t)));
    return tf.add(tf.mean(rows(p)), tf.mul(sq, 0.5 * l2)) as tf.Scalar;
  };
  const f: ScalarFn = (p) => tf.sum(crossEntropyRows(mlpLogits(p, xt, hidden, null), yt)) as tf.Scalar;
  try {
    return await crossLossInfluenceTf({ params: model.variables, objective, rowLosses: rows, N }, f, opts);
  } finally {
    tf.dispose([Xt, Yt, xt, yt]);
  }
}
