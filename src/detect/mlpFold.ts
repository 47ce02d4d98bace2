/**
 * Out-of-fold probabilities of a tanh MLP (one hidden layer of 64, src/nn/mlp.ts on TensorFlow.js,
 * float32): per fold, seeded init, 30 Adam epochs and at most 50 full-batch L-BFGS steps on the other
 * folds' rows (L2 1e-3 on every weight), then the fold's rows predicted.
 */
import type { Checkpoint } from '../util/cancel';
import type { LogisticData } from '../model/logistic';
import { RangeCheckpoint } from '../util/cancel';
import { crossFit, subsetRows, type OutOfFold } from './crossFit';

export const DETECT_MLP_HIDDEN = [64];
export const DETECT_MLP_EPOCHS = 30;

export async function mlpOutOfFold(data: LogisticData, folds: Int32Array, k: number, cp?: Checkpoint): Promise<OutOfFold> {
  // Imported here, not at the top: TensorFlow.js loads only when the MLP detector runs.
  const [{ initBackend }, { predictProba, trainMlp }] = await Promise.all([import('../nn/backend'), import('../nn/mlp')]);
  const backend = await initBackend();
  const { D, K } = data;
  const proba = await crossFit(
    data,
    folds,
    k,
    async (train, _tr, held, f) => {
      const { mlp } = await trainMlp(train.X, train.y, train.N, D, K, {
        hidden: DETECT_MLP_HIDDEN,
        l2: 1e-3,
        seed: f,
        epochs: DETECT_MLP_EPOCHS,
        batchSize: 64,
        fullBatchSteps: 50,
        checkpoint: cp && new RangeCheckpoint(cp, f / k, (f + 1) / k),
      });
      const h = subsetRows(data, held);
      return predictProba(mlp, h.X, h.N);
    },
    cp,
  );
  return { proba, detail: `tanh ${DETECT_MLP_HIDDEN.join('-')}, ${DETECT_MLP_EPOCHS} Adam epochs + L-BFGS, L2 1e-3, tfjs ${backend.name}` };
}
