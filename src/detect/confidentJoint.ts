/**
 * Confident learning's counts on out-of-sample probabilities (Northcutt, Jiang & Chuang, "Confident
 * Learning: Estimating Uncertainty in Dataset Labels", JAIR 2021), as the label-error detector uses them
 * (detector.ts; docs/detection.md):
 *
 * - per-class thresholds t_j = mean p_j over the rows labelled j (perClassThresholds), and the
 *   ranking's two corrections of them: each row weighted by the probability that its label is right
 *   (posteriorThresholds), and raised for a label whose rows are mostly confidently another class
 *   (mostlyWrongThresholds);
 * - the calibrated confident joint (confidentJoint; with `onlyWhereMoreProbable`, the restricted
 *   joint of the error-count estimate) and the consensus joint of several models (consensusJoint);
 * - the noise transition matrix T estimated from the joint with a Laplace count (noiseTransition) and
 *   the posterior probability that a row's given label is wrong under it (noisePosterior): the
 *   ranking's third key, the one that uses the estimated direction of the noise.
 *
 * Probabilities are N x K row-major Float64Arrays; y holds class indices.
 */
/** t_j = mean p_ij over rows labelled j (NaN-free: a class without rows gets 1). */
export function perClassThresholds(P: Float64Array, y: Int32Array, N: number, K: number): Float64Array {
  const t = new Float64Array(K);
  const n = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    t[y[i]] += P[i * K + y[i]];
    n[y[i]]++;
  }
  for (let c = 0; c < K; c++) t[c] = n[c] > 0 ? t[c] / n[c] : 1;
  return t;
}

/**
 * The ranking's calibration thresholds: confident learning's t_j (the mean p_ij over the rows labelled
 * j) with each row weighted by the probability that its label is right, 1 - noisePosterior: the mean
 * over the rows labelled j that are truly j, as the noise model estimates them. With few wrong labels
 * the weights are near 1 and t_j is confident learning's. A label that received many wrong rows drags
 * confident learning's t_j down to their low p_j, and then those rows look well calibrated to their
 * label and hide: with uniform flips into rare classes (the shuttle set: classes of 10-171 rows
 * receiving about 1,000 flipped rows each) t_j fell to 0.002-0.006 and the ranking's recall@10% to
 * 0.76 (0.91 with these thresholds; docs/detection.md, session 17). A label whose rows all have
 * posterior 1 keeps confident learning's t_j, given as `plain` (perClassThresholds).
 */
export function posteriorThresholds(P: Float64Array, y: Int32Array, posterior: Float64Array, plain: Float64Array, N: number, K: number): Float64Array {
  const sum = new Float64Array(K);
  const weight = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const w = 1 - posterior[i];
    sum[y[i]] += w * P[i * K + y[i]];
    weight[y[i]] += w;
  }
  return Float64Array.from(sum, (v, c) => (weight[c] > 0 ? v / weight[c] : plain[c]));
}

/**
 * The ranking's thresholds for labels confident learning itself counts as mostly wrong: where more than
 * half of the rows labelled j sit confidently in another class (the standard confident joint, `plain`
 * thresholds: the class above its threshold with the highest probability), the mean p_j over the rows
 * labelled j is a mean over wrong rows whatever their weights, and t_j is raised to the mean p_j over
 * the rows the model predicts j (any label; kept where no row is). Other labels keep `rankT`. On the
 * shuttle set's class-conditional flips (4,500 rows of the largest class sent to a 171-row class) this
 * raised recall@10% from 0.875 to 0.977; on the development sets it changed 16 of 225 x K (label, task)
 * pairs, all small classes, and the 225 tasks' mean recall and worst per-class gap to three decimals
 * not at all (docs/detection.md, session 18). A class the features barely predict is not caught by it:
 * its rows are predicted otherwise, but not confidently above that class's threshold.
 */
export function mostlyWrongThresholds(P: Float64Array, y: Int32Array, plain: Float64Array, rankT: Float64Array, N: number, K: number): Float64Array {
  return mostlyWrongFromCounts(P, confidentCounts(P, y, plain, N, K, false), rankT, N, K);
}

/** mostlyWrongThresholds from the standard confident joint's raw counts (detectLabelErrors counts them once for this and noiseTransition). */
export function mostlyWrongFromCounts(P: Float64Array, { C, labelled }: ConfidentCounts, rankT: Float64Array, N: number, K: number): Float64Array {
  const out = Float64Array.from(rankT);
  const wrong: number[] = [];
  for (let j = 0; j < K; j++) {
    let off = 0;
    for (let c = 0; c < K; c++) if (c !== j) off += C[j * K + c];
    if (labelled[j] > 0 && off > labelled[j] / 2) wrong.push(j);
  }
  if (wrong.length === 0) return out;
  const sum = new Float64Array(K);
  const n = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const b = mostProbableClass(P, i, K);
    if (b < 0) continue;
    sum[b] += P[i * K + b];
    n[b]++;
  }
  for (const j of wrong) if (n[j] > 0) out[j] = Math.max(out[j], sum[j] / n[j]);
  return out;
}

/** Row i's most probable class (the first of equals); a NaN probability never wins; -1 where every one is NaN. */
export function mostProbableClass(P: Float64Array, i: number, K: number): number {
  let b = -1;
  for (let c = 0; c < K; c++) {
    const p = P[i * K + c];
    if (p === p && (b < 0 || p > P[i * K + b])) b = c;
  }
  return b;
}

/**
 * The confident joint's raw counts (row = given label, column = the class above its threshold with
 * the highest probability; rows with no class above threshold are not counted) and the number of
 * rows per given label.
 */
export type ConfidentCounts = { C: Float64Array; labelled: Float64Array };

export function confidentCounts(P: Float64Array, y: Int32Array, t: Float64Array, N: number, K: number, onlyWhereMoreProbable: boolean): ConfidentCounts {
  const C = new Float64Array(K * K);
  const labelled = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    labelled[y[i]]++;
    let best = -1;
    for (let c = 0; c < K; c++) if (P[i * K + c] >= t[c] && (best < 0 || P[i * K + c] > P[i * K + best])) best = c;
    if (best >= 0 && onlyWhereMoreProbable && best !== y[i]) {
      let top = 0;
      for (let c = 1; c < K; c++) if (P[i * K + c] > P[i * K + top]) top = c;
      if (top === y[i]) best = y[i];
    }
    if (best >= 0) C[y[i] * K + best]++;
  }
  return { C, labelled };
}

/**
 * The class a row is confidently put in by one model, as in the restricted confident joint: the class
 * above its threshold with the highest probability, replaced by the given label where that label is
 * still the most probable class; -1 where no class reaches its threshold.
 */
function confidentClass(P: Float64Array, i: number, g: number, t: Float64Array, K: number): number {
  let best = -1;
  let top = 0;
  for (let c = 0; c < K; c++) {
    const p = P[i * K + c];
    if (p >= t[c] && (best < 0 || p > P[i * K + best])) best = c;
    if (p > P[i * K + top]) top = c;
  }
  return best >= 0 && best !== g && top === g ? g : best;
}

/**
 * Confident learning's calibration of a count matrix, in place: each row (given label a) rescaled to the
 * number of rows labelled a (a row with no counts keeps its rows on the diagonal). `errors` is the
 * off-diagonal sum, the estimated number of wrong labels.
 */
function rescaleJointRows(C: Float64Array, labelled: Float64Array, K: number): { joint: Float64Array; errors: number } {
  let errors = 0;
  for (let a = 0; a < K; a++) {
    let s = 0;
    for (let b = 0; b < K; b++) s += C[a * K + b];
    for (let b = 0; b < K; b++) {
      C[a * K + b] = s > 0 ? (C[a * K + b] / s) * labelled[a] : a === b ? labelled[a] : 0;
      if (a !== b) errors += C[a * K + b];
    }
  }
  return { joint: C, errors };
}

/**
 * Calibrated confident joint and the estimated number of wrong labels (its off-diagonal sum). Rows
 * with no class above its threshold are not counted before the rescaling. With `onlyWhereMoreProbable`
 * a row counts off the diagonal only where its class above threshold is also its most probable class
 * (else it counts for its label).
 */
export function confidentJoint(P: Float64Array, y: Int32Array, t: Float64Array, N: number, K: number, onlyWhereMoreProbable = false): { joint: Float64Array; errors: number } {
  const { C, labelled } = confidentCounts(P, y, t, N, K, onlyWhereMoreProbable);
  return rescaleJointRows(C, labelled, K);
}

/**
 * Consensus joint (the consensus filter of Brodley & Friedl 1999 on confident-learning counts): each
 * model's out-of-sample probabilities with its own per-class thresholds (perClassThresholds) put a row
 * in a class as the restricted confident joint does (confidentClass). A row labelled y counts for class
 * j != y only where every model puts it in j; otherwise for y where at least one model puts it in some
 * class; rows no model is confident about are not counted. Each row of the count matrix is rescaled to
 * the number of rows labelled y, as in confidentJoint; `errors` is the off-diagonal sum. A confident
 * confusion of one model is not counted (the other model does not share it); a wrong label only one
 * model sees is not counted either, so this is a lower estimate where one model is weak.
 */
export function consensusJoint(models: Float64Array[], y: Int32Array, N: number, K: number): { joint: Float64Array; errors: number } {
  const t = models.map((P) => perClassThresholds(P, y, N, K));
  const C = new Float64Array(K * K);
  const labelled = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const g = y[i];
    labelled[g]++;
    let agreed = -2; // -2: no model yet; -1: the models differ, or one is confident about no class
    let any = false;
    for (let m = 0; m < models.length; m++) {
      const c = confidentClass(models[m], i, g, t[m], K);
      if (c >= 0) any = true;
      agreed = agreed === -2 || agreed === c ? c : -1;
    }
    if (agreed >= 0 && agreed !== g) C[g * K + agreed]++;
    else if (any) C[g * K + g]++;
  }
  return rescaleJointRows(C, labelled, K);
}

/**
 * Noise transition matrix T[j * K + i] = P(given label i | true class j), from the standard calibrated
 * confident joint (Northcutt, Jiang & Chuang 2021: thresholds t, every row above a threshold counted,
 * each row of counts rescaled to the number of rows with that given label) with `pseudo` added to
 * every raw count first (Laplace), so no transition is estimated as impossible. Column j of the joint
 * (the rows estimated truly j), normalised, is the distribution of the labels class j was given.
 */
export function noiseTransition(P: Float64Array, y: Int32Array, t: Float64Array, N: number, K: number, pseudo = 1): Float64Array {
  return transitionFromCounts(confidentCounts(P, y, t, N, K, false), K, pseudo);
}

/** noiseTransition from the standard confident joint's raw counts. */
export function transitionFromCounts({ C, labelled }: ConfidentCounts, K: number, pseudo = 1): Float64Array {
  const Q = new Float64Array(K * K);
  for (let a = 0; a < K; a++) {
    let s = 0;
    for (let b = 0; b < K; b++) s += C[a * K + b] + pseudo;
    for (let b = 0; b < K; b++) Q[a * K + b] = s > 0 ? ((C[a * K + b] + pseudo) / s) * labelled[a] : 0;
  }
  const T = new Float64Array(K * K);
  for (let j = 0; j < K; j++) {
    let col = 0;
    for (let a = 0; a < K; a++) col += Q[a * K + j];
    for (let a = 0; a < K; a++) T[j * K + a] = col > 0 ? Q[a * K + j] / col : a === j ? 1 : 0;
  }
  return T;
}

/**
 * Posterior probability that each row's given label is wrong: the true class j of a row labelled y with
 * model probabilities p has posterior proportional to p_j x T[j -> y] (the model's probabilities as the
 * prior, T from noiseTransition); returns 1 - posterior(y) = sum_{j != y} p_j T[j->y] / sum_j p_j T[j->y].
 */
export function noisePosterior(P: Float64Array, y: Int32Array, T: Float64Array, N: number, K: number): Float64Array {
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const g = y[i];
    const own = P[i * K + g] * T[g * K + g];
    let others = 0;
    for (let j = 0; j < K; j++) if (j !== g) others += P[i * K + j] * T[j * K + g];
    out[i] = own + others > 0 ? others / (own + others) : 0;
  }
  return out;
}
