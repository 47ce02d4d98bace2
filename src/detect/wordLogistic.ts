/**
 * Out-of-fold probabilities of multinomial logistic regression on TF-IDF of the text columns' words
 * over their whole vocabulary (src/data/termCounts.ts), a candidate of the label-error detector for
 * files with text, beside naive Bayes (naiveBayes.ts).
 *
 * The scan's own logistic regression sees text through hashed buckets that many words share (so that
 * its exact Hessian stays small); this one sees every word and is fitted by L-BFGS on the sparse rows,
 * without a Hessian. It is the common text classifier a user would run (TF-IDF + logistic regression,
 * with scikit-learn's defaults): where naive Bayes' independence assumption makes it overconfident
 * (repeated or correlated words, long texts), logistic regression is calibrated by its fit.
 *
 * Features: x_iv = count_iv x idf_v, idf_v = ln((1 + N) / (1 + df_v)) + 1 (df over all rows: no label
 * enters), each row scaled to unit Euclidean norm; an intercept per class. Objective per fold: the sum
 * of the training rows' cross-entropy + ||W||^2 / (2 C) over the word weights (the intercepts are not
 * penalised), C = 1, strictly convex in the word weights (the probabilities are unique at the optimum).
 * Each fold's fit starts from zero.
 */
import type { Checkpoint } from '../util/cancel';
import { RangeCheckpoint } from '../util/cancel';
import { smoothIdf, type CsrMatrix } from '../data/text';
import { mostFrequentTerms } from '../data/termCounts';
import { lbfgs } from '../optim/lbfgs';
import { norm2 } from '../linalg/dense';
import { softmaxInto } from '../linalg/softmax';
import { foldMembers, type OutOfFold } from './crossFit';

/** Inverse regularisation strength (scikit-learn's LogisticRegression default). */
export const WORD_LOGISTIC_C = 1;

/**
 * Most parameters K x (terms + 1) of the fit. Each L-BFGS iteration costs about 80 passes over the
 * parameters besides the words (the two-loop recursion over 20 pairs), which dominated on a 20,000-row,
 * 6-class file with 2^18 parameters (91 ms per iteration, 458 iterations); 2^16 keep it small next to
 * the words. Beyond it the terms in the fewest rows are left out.
 */
export const WORD_LOGISTIC_MAX_PARAMS = 2 ** 16;

/**
 * Terms in fewer rows are left out: a term of one row never occurs in another row, so it cannot move
 * any held-out prediction, and it only lets the fit memorise its row.
 */
export const WORD_LOGISTIC_MIN_ROWS = 2;

/** Most L-BFGS iterations per fold. */
export const WORD_LOGISTIC_MAX_ITERATIONS = 300;

/** Most terms the fit keeps for K classes (WORD_LOGISTIC_MAX_PARAMS). */
export function wordLogisticMaxTerms(K: number): number {
  return Math.max(1, Math.floor(WORD_LOGISTIC_MAX_PARAMS / Math.max(1, K)) - 1);
}

/** TF-IDF rows (smooth idf, unit Euclidean norm per row) of a count matrix, as a new CSR matrix. */
export function tfidfRows(counts: CsrMatrix): CsrMatrix {
  const { rows: N, cols: V, indptr, indices, values } = counts;
  const df = new Float64Array(V);
  for (let e = 0; e < indptr[N]; e++) df[indices[e]]++;
  const idf = df.map((d) => smoothIdf(N, d));
  const out = new Float64Array(values.length);
  for (let i = 0; i < N; i++) {
    let ss = 0;
    for (let e = indptr[i]; e < indptr[i + 1]; e++) ss += (out[e] = values[e] * idf[indices[e]]) ** 2;
    const scale = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let e = indptr[i]; e < indptr[i + 1]; e++) out[e] *= scale;
  }
  return { rows: N, cols: V, indptr, indices, values: out };
}

/** Class scores z = W x + b of row i into z (W is K x (V + 1), the last column the intercept). */
function scores(W: Float64Array, X: CsrMatrix, i: number, K: number, z: Float64Array): void {
  const V1 = X.cols + 1;
  for (let c = 0; c < K; c++) {
    const base = c * V1;
    let s = W[base + X.cols];
    for (let e = X.indptr[i]; e < X.indptr[i + 1]; e++) s += W[base + X.indices[e]] * X.values[e];
    z[c] = s;
  }
}

/**
 * The fold objective: sum over `rows` of the cross-entropy of labels y under W (K x (V + 1), the last
 * column the intercepts) on the TF-IDF rows X, + ||W||^2 / (2 C) over the word weights. Returns the
 * value and writes the gradient into g.
 */
export function wordLogisticObjective(X: CsrMatrix, y: Int32Array, K: number, rows: Int32Array, C: number): (W: Float64Array, g: Float64Array) => number {
  const V = X.cols;
  const V1 = V + 1;
  const lambda = 1 / C;
  const z = new Float64Array(K);
  return (W, g) => {
    let loss = 0;
    g.fill(0);
    for (const i of rows) {
      scores(W, X, i, K, z);
      const own = z[y[i]];
      loss += softmaxInto(z, 0, K, z, 0) - own; // -log p_y = log sum exp(z) - z_y
      z[y[i]] -= 1; // the residual p - e_y
      for (let c = 0; c < K; c++) {
        const r = z[c];
        if (r === 0) continue;
        const base = c * V1;
        for (let e = X.indptr[i]; e < X.indptr[i + 1]; e++) g[base + X.indices[e]] += r * X.values[e];
        g[base + V] += r;
      }
    }
    for (let c = 0; c < K; c++)
      for (let v = 0; v < V; v++) {
        const a = c * V1 + v;
        loss += 0.5 * lambda * W[a] * W[a];
        g[a] += lambda * W[a];
      }
    return loss;
  };
}

/**
 * Gradient norm the fit stops at: 1e-4 per training row, i.e. 1e-4 for the mean loss, scikit-learn's
 * default tolerance for this model (on reviews the out-of-fold probabilities agree with a 1e-6 stop to
 * 3 decimals of accuracy and log loss, in 38% fewer iterations).
 */
export function wordLogisticTolerance(rows: number): number {
  return 1e-4 * Math.max(1, rows);
}

/**
 * Minimises wordLogisticObjective over `rows` by L-BFGS from W (updated in place) until the gradient
 * norm is below wordLogisticTolerance or after WORD_LOGISTIC_MAX_ITERATIONS iterations; returns the
 * iterations and the final gradient norm.
 */
export async function fitWordLogistic(X: CsrMatrix, y: Int32Array, K: number, rows: Int32Array, C: number, W: Float64Array, cp?: Checkpoint): Promise<{ iterations: number; gradientNorm: number }> {
  const evalFG = wordLogisticObjective(X, y, K, rows, C);
  const g = new Float64Array(W.length);
  const f0 = evalFG(W, g);
  const g0 = norm2(g);
  const tol = wordLogisticTolerance(rows.length);
  const r = await lbfgs(W, g, f0, evalFG, tol, WORD_LOGISTIC_MAX_ITERATIONS, {
    cp,
    // Progress by the gradient norm's way from its start to tol on a log scale.
    progress: (gn) => (gn <= tol ? 1 : Math.max(0, Math.log(g0 / gn) / Math.log(g0 / tol))),
  });
  return { iterations: r.iterations, gradientNorm: norm2(g) };
}

/**
 * Out-of-fold class probabilities (N x K) of L2 multinomial logistic regression on the TF-IDF of
 * `counts` (one row per labelled row, in the order of y).
 */
export async function wordLogisticOutOfFold(counts: CsrMatrix, y: Int32Array, K: number, folds: Int32Array, k: number, cp?: Checkpoint, C = WORD_LOGISTIC_C): Promise<OutOfFold> {
  const N = y.length;
  if (counts.rows !== N) throw new RangeError(`wordLogisticOutOfFold: ${counts.rows} rows of counts for ${N} labels`);
  const X = tfidfRows(mostFrequentTerms(counts, wordLogisticMaxTerms(K), WORD_LOGISTIC_MIN_ROWS));
  const z = new Float64Array(K);
  const members = foldMembers(folds, k);
  const proba = new Float64Array(N * K);
  let iterations = 0;
  for (let f = 0; f < k; f++) {
    const { train, held } = members[f];
    // From zero every fold (no warm start from a fold that saw these rows' labels): a held row's
    // probabilities then depend on the other folds' labels only, exactly, not just up to the tolerance.
    const W = new Float64Array(K * (X.cols + 1));
    const fit = await fitWordLogistic(X, y, K, train, C, W, cp && new RangeCheckpoint(cp, f / k, (f + 1) / k));
    iterations += fit.iterations;
    for (const i of held) {
      scores(W, X, i, K, z);
      softmaxInto(z, 0, K, z, 0);
      for (let c = 0; c < K; c++) proba[i * K + c] = Math.max(1e-300, z[c]);
    }
    await cp?.tick((f + 1) / k);
  }
  const terms = X.cols < counts.cols ? `${X.cols} terms (of ${counts.cols}: those in ${WORD_LOGISTIC_MIN_ROWS} rows or more, at most ${wordLogisticMaxTerms(K)})` : `${X.cols} terms`;
  return { proba, detail: `TF-IDF of ${terms}, L2 1/C = ${1 / C}, ${k} fits, ${iterations} L-BFGS iterations` };
}
