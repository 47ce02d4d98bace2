/** The training data of the logistic model (src/model/logistic.ts), its Hessian and influence. */
export interface LogisticData {
  /** N x D row-major, bias column last. */
  X: Float64Array;
  N: number;
  D: number;
  K: number;
  /** Class index per row. */
  y: Int32Array;
}
