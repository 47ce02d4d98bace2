/**
 * Out-of-sample label-error detection (docs/detection.md):
 *
 * 1. Cross-fitted probabilities of every candidate model (crossFit.ts; the text columns' word models,
 *    naiveBayes.ts and wordLogistic.ts; the random forest out of bag, forest.ts): no row is scored by a model
 *    that saw it.
 * 2. Model choice by out-of-fold quality: the ensemble is the mixture sum_m w_m P_m whose weights
 *    maximise the out-of-fold likelihood of the given labels (EM on the mixture weights; M - 1 free
 *    numbers, no threshold). A model that does not help gets a weight near 0. `detector` other than
 *    'auto'/'ensemble' uses that one model alone.
 * 3. Ranking: three label-quality scores of the out-of-fold probabilities, combined by their ranks.
 *    a. Per-class calibrated self-confidence, as in confident learning: t_j = mean out-of-fold p_j over
 *       rows labelled j, each row weighted by the probability that its label is right (1 - the noise
 *       posterior of c below: posteriorThresholds), so that the wrong rows a label received do not drag
 *       its threshold down and hide themselves; where the confident joint counts more than half of a
 *       label's rows as confidently another class, t_j is at least the mean p_j over the rows predicted
 *       j (mostlyWrongThresholds); q_ij = (p_ij / t_j) / sum_c (p_ic / t_c); -log q_i[y_i].
 *       Dividing by t_j removes each class's own confidence level, so a minority class is not flagged
 *       wholesale and a majority class's errors are not hidden (both directions of errors).
 *    b. Normalised margin (cleanlab's rank_by='normalized_margin'): max_{c != y} p_ic - p_i[y_i], how
 *       much more the model believes one other class than the given one. Where errors go from one class
 *       to one similar class (class-conditional noise) the receiving class's t_j is lowered by the
 *       errors it received, which hides them from (a); the margin does not depend on t. It is not
 *       calibrated per class, so the combination trades some of (a)'s balance between classes on
 *       strongly imbalanced data for recall under class-conditional noise (docs/detection.md).
 *    c. Noise posterior: the posterior probability that the given label is wrong, p(true j | given y, x)
 *       proportional to p_j x T[j -> y], with the noise transition matrix T estimated from the
 *       calibrated confident joint (+1 per count, so no transition is impossible). Where a class
 *       receives many flips, T[j -> y] is large and its doubtful rows rise; where no class's labels
 *       turn into y, a row labelled y that merely resembles another class sinks. It is the one key
 *       that uses the estimated direction of the noise.
 *    The ranking key is the mean of the row's three percentile ranks (ties share their mean rank), in
 *    (0, 1]; 1 = the most suspected row by all three scores. `score` is that key.
 * 4. Suggested label: the most probable other class under the out-of-fold probabilities, only where it
 *    is more probable than the given label; with its probability.
 * 5. Estimated number of wrong labels: with two or more candidate models, the mean of an upper and a
 *    lower estimate (docs/detection.md, "Estimates of the number of wrong labels"):
 *    upper: the smaller of (a) and (b) below, which both count the model's own confident confusions
 *    (hard rows it gets wrong) as label errors where the model is weak, so that the smaller is the less
 *    inflated;
 *    lower: the consensus joint (consensusJoint) of the two candidates with the lowest out-of-fold log
 *    loss (consensusVoters): a row counts as an error only where both, each with its own thresholds,
 *    confidently put it in the same other class. A confusion of one model (a linear model on curved
 *    classes, kNN on sparse text) is not counted, but neither is a wrong label that one of them misses,
 *    so it errs low where one of them is weak; the weakest of three candidates does not vote.
 *    With one model (logistic regression alone above FOREST_AUTO_MAX_ROWS rows) there is no consensus:
 *    the estimate is the upper one.
 *    a. the calibrated confident joint (Northcutt, Jiang & Chuang 2021, eqs. 1-2), counting a row as
 *       an error only where the model also believes another class more than the given label: row i
 *       labelled y counts for class j = argmax_{c: p_ic >= t_c} p_ic if j is also its most probable
 *       class, else for y; each row of the count matrix is rescaled to the number of rows labelled y;
 *       the estimate is its off-diagonal sum;
 *    b. anchor rows (Scott 2015; Patrini et al. 2017): among the rows whose most probable class is j,
 *       the tenth with the highest p_j (at least 10 rows, or all) are taken as truly j; the share of
 *       them labelled otherwise estimates the rate at which class j's labels were changed; the
 *       estimate is sum_j rate_j x (rows labelled j).
 *    Labels whose anchor rows get p_j < 1/2 on average (unsureLabels: no row is surely of that class, so
 *    its wrong labels cannot be told from rows between similar classes) are left out of the estimate,
 *    and the scan says so (unsureLabelsNote).
 */
import { Checkpoint, NO_CHECKPOINT } from '../util/cancel';
import type { LogisticData } from '../model/logistic';
import { UserError } from '../util/errors';
import { choices, DETECTORS, type DetectorModelName } from '../options/options';
import { auroc, averageRanks } from '../eval/metrics';
import { accuracyOf, KNN_EXACT_MAX_ROWS, knnOutOfFold, knnProbabilities, logisticOutOfFold, logLoss, stratifiedFolds, type KnnNeighbours, type OutOfFold } from './crossFit';
import { mlpOutOfFold } from './mlpFold';
import { forestFromLeaves, forestOutOfBag, type ForestLeaves } from './forest';
import { naiveBayesOutOfFold } from './naiveBayes';
import { wordLogisticOutOfFold } from './wordLogistic';
import type { CsrMatrix } from '../data/text';

export type DetectorModel = DetectorModelName;
export type DetectorChoice = Exclude<(typeof DETECTORS)[number], 'off'>;
export const DETECTOR_CHOICES: readonly DetectorChoice[] = DETECTORS.filter((d): d is DetectorChoice => d !== 'off');
/** Every candidate model, in the order 'ensemble' runs them. */
const ALL_MODELS: readonly DetectorModel[] = DETECTOR_CHOICES.filter((d): d is DetectorModel => d !== 'auto' && d !== 'ensemble');

/** The candidates that read the text columns' words (DetectorOptions.text), run only for files with text. */
const TEXT_MODELS: readonly DetectorModel[] = ['naiveBayes', 'wordLogistic'];

/** Whether a detector choice can run a model of the text columns' words (so needs DetectorOptions.text). */
export function readsWords(choice: DetectorChoice): boolean {
  return choice === 'auto' || choice === 'ensemble' || TEXT_MODELS.includes(choice);
}

/** How progress messages name each candidate. */
const MODEL_TITLES: Record<DetectorModel, string> = {
  logistic: 'logistic regression',
  knn: 'k nearest neighbours',
  forest: 'random forest',
  naiveBayes: 'naive Bayes on word counts',
  wordLogistic: 'logistic regression on TF-IDF of the words',
  mlp: 'MLP',
};

export interface DetectorOptions {
  detector?: DetectorChoice;
  folds?: number;
  seed?: number;
  l2?: number;
  /** The class names, in class order, for the estimate's method text (class numbers without them). */
  classes?: readonly string[];
  /** Named stages are reported with cp.begin (detect:<model>, detect:rank). */
  checkpoint?: Checkpoint;
  /**
   * Out-of-sample probabilities of logistic regression computed elsewhere (the scan's leave-one-out
   * probabilities, one exact Newton step without each row: src/influence/labelSuspicion.ts, stage 1),
   * used instead of the K fold fits.
   */
  logistic?: { proba: Float64Array; detail: string };
  /** Out-of-fold kNN probabilities computed elsewhere with the same folds (the benchmark's cache). */
  knn?: { proba: Float64Array; detail: string };
  /** Out-of-bag random-forest probabilities computed elsewhere (the benchmark's cache). */
  forest?: { proba: Float64Array; detail: string };
  /**
   * The forest's trees from an earlier scan of the same features (a quick re-score after label fixes):
   * only their leaf shares are recomputed, with the current labels (forestFromLeaves).
   */
  forestLeaves?: ForestLeaves;
  /**
   * Word counts of the file's text columns (src/data/termCounts.ts), one row per labelled row: the
   * input of the word models (naiveBayes, wordLogistic). Without it they do not run.
   */
  text?: CsrMatrix;
  /**
   * kNN's folds and neighbours from an earlier scan of the same features (a quick re-score after
   * label fixes): only its probabilities are recomputed, with the current labels. The folds are then
   * the earlier labels' stratified folds, not the current labels' (a cold scan deals new ones).
   */
  knnNeighbours?: KnnNeighbours;
}

export interface ModelReport {
  model: DetectorModel;
  /** Out-of-fold accuracy against the given labels. */
  accuracy: number;
  /** Out-of-fold mean log loss of the given labels. */
  logLoss: number;
  /** Mixture weight in the ranking (0 when not used). */
  weight: number;
  seconds: number;
  detail: string;
  /**
   * Where the scan ranks by self-confidence (rankedBy 'selfConfidence') with more than one model: the
   * model's mean one-vs-rest AUROC of the given labels (labelSeparation), and the weight of its ranks
   * in the ranking (selfConfidenceRankKey). Absent otherwise.
   */
  separation?: number;
  rankWeight?: number;
}

export interface DetectionResult {
  models: ModelReport[];
  /** What ranked: 'ensemble' or one model (a model whose mixture weight exceeds 0.99). */
  choice: string;
  reason: string;
  folds: number;
  /** Ensemble out-of-fold accuracy and log loss. */
  accuracy: number;
  logLoss: number;
  /** N x K out-of-fold probabilities of the chosen model(s). */
  proba: Float64Array;
  /** Confident learning's per-class thresholds t_j (mean p_j over the rows labelled j): the joint, T and the estimate. */
  thresholds: Float64Array;
  /** The ranking's calibration thresholds (posteriorThresholds: t_j with each row weighted by 1 - its noise posterior; mostlyWrongThresholds for a label mostly confidently another class). */
  rankThresholds: Float64Array;
  /**
   * The ranking key in (0, 1]: mean percentile rank of the calibrated self-confidence, the normalised
   * margin and the noise posterior; where the models predict the labels no better than the most common
   * label (weakModel), the percentile rank of 1 - p_i[y_i] alone (selfConfidenceRankKey: each model's
   * ranks, weighted by how well it separates the given labels).
   */
  score: Float64Array;
  /** Which ranking `score` is: 'combined' (the three scores) or 'selfConfidence' (weak models). */
  rankedBy: 'combined' | 'selfConfidence';
  /** The ranking key (equal to score; kept as the field that orders rows). */
  rankKey: Float64Array;
  /** 1 - q_i[y_i]: per-class calibrated probability that the label is wrong (with rankThresholds). */
  calibratedWrong: Float64Array;
  /** K x K noise transition matrix, T[j * K + i] = P(given label i | true class j) (noiseTransition). */
  noiseTransition: Float64Array;
  /** Suggested class per row, -1 where the given label is the most probable. */
  suggested: Int32Array;
  /** Out-of-fold probability of the suggested class (NaN where none). */
  suggestedProbability: Float64Array;
  estimatedErrors: number;
  estimateMethod: string;
  /**
   * The estimate split by given label (estimateByLabel): errors[y] = estimated wrong labels among the
   * rows labelled y (sums to estimatedErrors); likelyClass[y] = the class most of them are estimated to
   * truly be (-1 where none); uncounted[y] = the errors of an unsure label (unsureLabels) left out of
   * the estimate (errors[y] is then 0).
   */
  estimateByLabel: { errors: Float64Array; likelyClass: Int32Array; uncounted: Float64Array };
  /** Per class, the mean p_j over the rows the models are surest are j (anchorEstimate; NaN where no row is predicted j); unsureLabels. */
  anchorPurity: Float64Array;
  /** Per class, whether the estimate leaves the label out (unsureLabels of anchorPurity). */
  unsure: boolean[];
  /** K x K calibrated confident joint (row = given label, column = estimated true class). */
  confidentJoint: Float64Array;
  /** kNN's folds and neighbours, when kNN ran (what a quick re-score reuses). */
  knnNeighbours?: KnnNeighbours;
  /** Every row's leaf in every tree of the forest, when it ran (what a quick re-score reuses). */
  forestLeaves?: ForestLeaves;
}

/** Rows of a file without text up to which 'auto' runs the random forest (see autoModels). */
export const FOREST_AUTO_MAX_ROWS = 200_000;

/**
 * Which models 'auto' runs: logistic regression, kNN and a random forest (forest.ts, out of bag):
 * a linear model, a local one and trees, three different biases that the mixture weighs by how well
 * each predicts the given labels out of sample; and, when the file has text columns (`hasText`),
 * two models of their words: multinomial naive Bayes on the word counts (naiveBayes.ts) and logistic
 * regression on their TF-IDF (wordLogistic.ts). The other three see text only through hashed TF-IDF
 * buckets that many words share; these see every word (docs/detection.md, session 16), at the cost of
 * a pass over the sparse counts per fold (naive Bayes) or per L-BFGS iteration. With text, kNN is
 * left out of 'auto': its Euclidean distances on the standardised hashed TF-IDF predicted the review
 * sentences no better than chance (out-of-fold accuracy 0.51, mixture weight 0.00-0.05 in all 50
 * benchmark tasks there) and its all-pairs search over ~1,000 dense dimensions took 319 of the 409 s
 * of a scan of 20,000 six-class texts (weight 0.00); 'knn' and 'ensemble' still run it. The MLP (tfjs) is left out of
 * 'auto': its five fold fits took 17 s on pima (768 rows) and on digits (1797 rows) with the wasm
 * backend on the development machine, more than the rest of a scan, while taking a small mixture
 * weight there (0.09 on pima; measured in docs/detection.md); 'ensemble' and 'mlp' run it. kNN is
 * left out of 'auto' above KNN_EXACT_MAX_ROWS rows (50,000): its exact search is quadratic in the
 * rows and its sampled search (crossFit.ts) costs N x 10,000 distances, more than the rest of a large
 * scan; 'knn' and 'ensemble' still run it. The forest stays in up to FOREST_AUTO_MAX_ROWS rows
 * (200,000) of a file without text: above FOREST_MAX_BAG (50,000) rows each tree grows on a bag of
 * 50,000 draws, so only scoring the rows it left out grows with N (2.6 s at 20,000 rows x 16 features
 * x 26 classes; on 20-feature rows whose noisy labels grow deep trees, 8.9 s at 50,000 rows, 10.2 s at
 * 58,000, 14.8 s at 100,000 and 18.8 s at 200,000: bench/research/forest-large-cost.ts; on 256
 * columns of labels no tree separates, the worst case, 83 s at 50,000 rows and 118 s at 100,000), and on
 * the shuttle set (58,000 rows) it raised recall@10% at 10% flips from 0.91 to 0.98 (docs/detection.md,
 * session 17). Above that, and above 50,000 rows of a file with
 * text (its hashed TF-IDF has about 1,000 dimensions; not measured there), it is left out: at millions
 * of rows it would take longer than the whole scan; 'forest' and 'ensemble' still run it. So is word logistic
 * regression: its cost is the words x classes x L-BFGS iterations, and the iterations grow with the
 * rows (C fixed: 463 iterations over 5 folds at 20,000 six-class texts, 13.5 s); naive Bayes, one pass
 * over the words per fold, stays in at any size.
 */
export function autoModels(data: LogisticData, hasText = false): DetectorModel[] {
  if (hasText) return data.N > KNN_EXACT_MAX_ROWS ? ['logistic', 'naiveBayes'] : ['logistic', 'forest', 'naiveBayes', 'wordLogistic'];
  if (data.N <= KNN_EXACT_MAX_ROWS) return ['logistic', 'knn', 'forest'];
  return data.N <= FOREST_AUTO_MAX_ROWS ? ['logistic', 'forest'] : ['logistic'];
}

/**
 * Which candidates vote in the consensus joint: the two with the lowest out-of-fold log loss of the
 * given labels (ties by order), in their order; all of them when there are two or fewer.
 */
export function consensusVoters(reports: Pick<ModelReport, 'logLoss'>[]): number[] {
  const order = reports.map((_, m) => m);
  if (order.length <= 2) return order;
  return order
    .slice()
    .sort((a, b) => reports[a].logLoss - reports[b].logLoss || a - b)
    .slice(0, 2)
    .sort((a, b) => a - b);
}

/**
 * EM for mixture weights: maximise sum_i log sum_m w_m L[m][i] over the simplex, L[m][i] = P_m[i, y_i].
 * Monotone; stops when the log likelihood gains < 1e-9 per row or after 500 rounds.
 */
export function mixtureWeights(L: Float64Array[], N: number): Float64Array {
  const M = L.length;
  const w = new Float64Array(M).fill(1 / M);
  let prev = -Infinity;
  for (let it = 0; it < 500; it++) {
    const acc = new Float64Array(M);
    let ll = 0;
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += w[m] * Math.max(1e-300, L[m][i]);
      ll += Math.log(s);
      for (let m = 0; m < M; m++) acc[m] += (w[m] * Math.max(1e-300, L[m][i])) / s;
    }
    for (let m = 0; m < M; m++) w[m] = acc[m] / N;
    if (ll - prev < 1e-9 * N) break;
    prev = ll;
  }
  return w;
}

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
function mostlyWrongFromCounts(P: Float64Array, { C, labelled }: ConfidentCounts, rankT: Float64Array, N: number, K: number): Float64Array {
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
function mostProbableClass(P: Float64Array, i: number, K: number): number {
  let b = -1;
  for (let c = 0; c < K; c++) {
    const p = P[i * K + c];
    if (p === p && (b < 0 || p > P[i * K + b])) b = c;
  }
  return b;
}

/** -log q_i[y_i] with q_ic proportional to p_ic / t_c. */
export function calibratedScores(P: Float64Array, y: Int32Array, t: Float64Array, N: number, K: number): { rankKey: Float64Array; score: Float64Array } {
  const rankKey = new Float64Array(N);
  const score = new Float64Array(N);
  calibratedInto(P, y, t, N, K, rankKey, score);
  return { rankKey, score };
}

/** calibratedScores into the given arrays (either may be left out: detectLabelErrors makes them at different times). */
function calibratedInto(P: Float64Array, y: Int32Array, t: Float64Array, N: number, K: number, rankKey?: Float64Array, score?: Float64Array): void {
  for (let i = 0; i < N; i++) {
    const own = Math.max(1e-300, P[i * K + y[i]]) / t[y[i]];
    let others = 0;
    for (let c = 0; c < K; c++) if (c !== y[i]) others += P[i * K + c] / t[c];
    if (rankKey) rankKey[i] = Math.log1p(others / own);
    if (score) score[i] = others / (own + others);
  }
}

/**
 * A ranking that spends the inspection budget across the given labels in proportion to each label's
 * estimated number of errors (the calibrated confident joint's off-diagonal row sums, e_y): the row
 * ranked r-th (0-based) by rankKey among the rows labelled y gets key (r + 1/2) / e_y; smaller = more
 * suspected. So the top of the list takes from each label about its share of the estimated errors,
 * as confident learning's prune-by-noise-rate flags e_y rows per label. Returns a descending key.
 */
export function budgetKey(rankKey: Float64Array, y: Int32Array, joint: Float64Array, N: number, K: number): Float64Array {
  const e = new Float64Array(K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) if (a !== b) e[a] += joint[a * K + b];
  const byLabel: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < N; i++) byLabel[y[i]].push(i);
  const out = new Float64Array(N);
  for (let c = 0; c < K; c++) {
    const rows = byLabel[c].sort((a, b) => rankKey[b] - rankKey[a] || a - b);
    // A label with no estimated errors still lets its rows in, after every budgeted row (e = 1/2 of a row).
    const budget = Math.max(0.5, e[c]);
    rows.forEach((i, r) => (out[i] = -((r + 0.5) / budget) + 1e-9 * rankKey[i]));
  }
  return out;
}

/** Normalised margin max_{c != y} p_ic - p_i[y_i] (in [-1, 1]; > 0 where another class is more probable). */
export function normalisedMargin(P: Float64Array, y: Int32Array, N: number, K: number): Float64Array {
  const m = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let best = -Infinity;
    for (let c = 0; c < K; c++) if (c !== y[i] && P[i * K + c] > best) best = P[i * K + c];
    m[i] = (K > 1 ? best : 0) - P[i * K + y[i]];
  }
  return m;
}

/**
 * How well probabilities separate the given labels, whatever their calibration: the mean over the
 * classes (those with rows both labelled and not labelled with them) of the AUROC of p_c for the rows
 * labelled c against the others. 1/2 = no better than chance; NaN where no class qualifies. Under label
 * noise that does not depend on the features, the AUROC against the noisy labels is an increasing
 * affine function of the AUROC against the true ones for two classes (Menon et al. 2015), so it orders
 * models as the clean labels would.
 */
export async function labelSeparation(P: Float64Array, y: Int32Array, N: number, K: number, cp: Checkpoint = NO_CHECKPOINT): Promise<number> {
  const count = new Float64Array(K);
  for (let i = 0; i < N; i++) count[y[i]]++;
  let sum = 0;
  let classes = 0;
  for (let c = 0; c < K; c++) {
    if (count[c] === 0 || count[c] === N) continue;
    sum += auroc(
      Float64Array.from({ length: N }, (_, i) => P[i * K + c]),
      Array.from(y, (v) => v === c),
    );
    classes++;
    // One sort of N per class: at 200,000 rows and tens of classes, seconds.
    await cp.tick();
  }
  return classes > 0 ? sum / classes : NaN;
}

/**
 * The ranking where the models predict the labels no better than the most common label (weakModel):
 * each model's percentile ranks of 1 - p_i[y_i] (self-confidence), averaged with weights proportional
 * to how much better than chance it separates the given labels (labelSeparation - 1/2, at least 0;
 * equal weights where none separates them). There the probabilities carry little besides the label
 * shares, so the likelihood's mixture favours the best-calibrated model (kNN's near-prior
 * probabilities on ticdata), while the ranking needs the one that orders rows best (docs/detection.md,
 * session 20). One model: the percentile ranks of its self-confidence.
 */
export async function selfConfidenceRankKey(
  probas: readonly Float64Array[],
  y: Int32Array,
  N: number,
  K: number,
  cp: Checkpoint = NO_CHECKPOINT,
): Promise<{ key: Float64Array; separation: number[]; weights: number[] }> {
  const separation: number[] = [];
  if (probas.length > 1) for (const P of probas) separation.push(await labelSeparation(P, y, N, K, cp));
  else separation.push(NaN);
  const raw = separation.map((a) => (Number.isFinite(a) ? Math.max(0, a - 0.5) : 0));
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = total > 0 ? raw.map((w) => w / total) : raw.map(() => 1 / probas.length);
  const selfConfidence = (P: Float64Array) => () => Float64Array.from({ length: N }, (_, i) => 1 - P[i * K + y[i]]);
  return { key: combinedRankKey(probas.map(selfConfidence), N, weights), separation, weights };
}

/**
 * Mean of the percentile ranks (rank / N, ties averaged) of several scores, larger = more suspected: in (0, 1].
 * A score may be given as a function that makes it, called when its turn comes: then only one score
 * and its ranks exist at a time (the first score's ranks become the result), 2 N numbers less at the
 * peak than scores made up front (detectLabelErrors at millions of rows). The sums run in the same
 * order either way (0 + the first term is that term exactly). With `weights` (summing to 1) the mean is
 * weighted, and a score of weight 0 is never made.
 */
export function combinedRankKey(scores: (Float64Array | (() => Float64Array))[], N: number, weights?: readonly number[]): Float64Array {
  let out: Float64Array | undefined;
  scores.forEach((score, m) => {
    if (weights && weights[m] === 0) return;
    const r = averageRanks(typeof score === 'function' ? score() : score);
    // One pass per score, as without weights (millions of rows): the first score's ranks become the sum.
    if (!out) {
      if (weights) for (let i = 0; i < N; i++) r[i] = (weights[m] * r[i]) / N;
      else for (let i = 0; i < N; i++) r[i] = r[i] / N / scores.length;
      out = r;
    } else if (weights) for (let i = 0; i < N; i++) out[i] += (weights[m] * r[i]) / N;
    else for (let i = 0; i < N; i++) out[i] += r[i] / N / scores.length;
  });
  return out ?? new Float64Array(N);
}

/**
 * Anchor-row estimate of the number of wrong labels: for each class j, the rows whose most probable
 * class is j, the top tenth by p_j (at least `minAnchors`, or all of them) taken as truly j; rate_j =
 * share of them labelled otherwise; estimate sum_j rate_j x (rows labelled j). Ties at the cut are
 * taken in row order. No array of row indices: per class, a sorted Float64Array of its p_j gives the
 * cut value T; the anchors are the rows above T and the first ones (by row) at T. A NaN probability
 * never wins a row's most probable class and never makes it an anchor (it sorts below every number).
 * `purity[j]` is the mean p_j over class j's anchors (NaN where no row is predicted j): how sure the
 * models are of the rows they are surest are j (unsureLabels).
 */
export function anchorEstimate(P: Float64Array, y: Int32Array, N: number, K: number, minAnchors = 10): { errors: number; rates: Float64Array; purity: Float64Array } {
  const prob = (i: number, c: number): number => (Number.isNaN(P[i * K + c]) ? -Infinity : P[i * K + c]);
  // A row whose probabilities are all NaN counts for class 0 (it never becomes an anchor).
  const top = (i: number): number => Math.max(0, mostProbableClass(P, i, K));
  const labelled = new Float64Array(K);
  const count = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    labelled[y[i]]++;
    count[top(i)]++;
  }
  const rates = new Float64Array(K);
  const purity = new Float64Array(K).fill(NaN);
  let errors = 0;
  for (let j = 0; j < K; j++) {
    const n = count[j];
    const m = Math.min(n, Math.max(minAnchors, Math.ceil(n / 10)));
    if (m === 0) continue;
    const keys = new Float64Array(n);
    for (let i = 0, u = 0; i < N; i++) if (top(i) === j) keys[u++] = prob(i, j);
    const cut = keys.sort()[n - m];
    let above = 0;
    for (let u = 0; u < n; u++) if (keys[u] > cut) above++;
    let atCut = m - above, other = 0, sum = 0;
    for (let i = 0; i < N; i++) {
      if (top(i) !== j) continue;
      const p = prob(i, j);
      if (p > cut || (p === cut && atCut-- > 0)) {
        sum += p;
        if (y[i] !== j) other++;
      }
    }
    rates[j] = other / m;
    purity[j] = sum / m;
    errors += rates[j] * labelled[j];
  }
  return { errors, rates, purity };
}

/**
 * The labels whose wrong rows the estimate cannot tell from rows between similar classes: labels that
 * some row carries and whose anchor rows (anchorEstimate: the tenth of the rows predicted j the models
 * are surest of) get on average p_j < 1/2. Where a label is right more often than not, as confident
 * learning assumes, rows truly of class j get p_j = P(label j | truly j) > 1/2 from calibrated models
 * wherever the features settle the class; a class whose surest rows stay below that has no such rows,
 * and both the confident joint and the anchors count its overlap with other classes as wrong labels.
 * On the income set (9 income bands, 33% out-of-fold accuracy) 6 of 9 labels were unsure, held 72% of
 * the estimate, and the estimate was 3.7 times the true count; leaving them out made it 1.1 times
 * (docs/detection.md, session 19). A label no row is predicted as (purity NaN) is not unsure: its rows
 * are all predicted otherwise, and they are counted.
 */
export function unsureLabels(purity: Float64Array, y: Int32Array, K: number): boolean[] {
  const labelled = new Float64Array(K);
  for (let i = 0; i < y.length; i++) labelled[y[i]]++;
  return Array.from(purity, (p, j) => labelled[j] > 0 && p < 0.5);
}

/**
 * The confident joint's raw counts (row = given label, column = the class above its threshold with
 * the highest probability; rows with no class above threshold are not counted) and the number of
 * rows per given label.
 */
type ConfidentCounts = { C: Float64Array; labelled: Float64Array };

function confidentCounts(P: Float64Array, y: Int32Array, t: Float64Array, N: number, K: number, onlyWhereMoreProbable: boolean): ConfidentCounts {
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
 * The error-count estimate split by given label and estimated true class: the restricted confident
 * joint's off-diagonal cells scaled to the upper estimate (so they sum to it), averaged cell by cell
 * with the consensus joint's when there is one (which sums to the lower estimate). So errors[y] (the
 * off-diagonal sum of row y) add up to the estimate itself, and likelyClass[y] is the row's largest
 * off-diagonal cell (-1 where the row has none). A label marked in `unsure` (unsureLabels) is not
 * counted: its row's sum goes to uncounted[y] and errors[y] is 0 (its likelyClass is still the row's
 * largest cell).
 */
export function estimateByLabel(
  restricted: { joint: Float64Array; errors: number },
  upper: number,
  consensus: { joint: Float64Array } | undefined,
  K: number,
  unsure: readonly boolean[] = [],
): { errors: Float64Array; likelyClass: Int32Array; uncounted: Float64Array } {
  const scale = restricted.errors > 0 ? upper / restricted.errors : 0;
  const errors = new Float64Array(K);
  const uncounted = new Float64Array(K);
  const likelyClass = new Int32Array(K).fill(-1);
  for (let a = 0; a < K; a++) {
    let best = 0;
    for (let b = 0; b < K; b++) {
      if (a === b) continue;
      const u = restricted.joint[a * K + b] * scale;
      const e = consensus ? (u + consensus.joint[a * K + b]) / 2 : u;
      errors[a] += e;
      if (e > best) {
        best = e;
        likelyClass[a] = b;
      }
    }
    if (unsure[a]) {
      uncounted[a] = errors[a];
      errors[a] = 0;
    }
  }
  return { errors, likelyClass, uncounted };
}

/**
 * The most common label and its share of the rows when the detector's models predict the given labels
 * no better than always answering it: out-of-fold accuracy within two binomial standard errors of that
 * share (or below it). Undefined otherwise (and for no rows or an accuracy that is not a number).
 */
export function weakModel(accuracy: number, y: Int32Array, K: number): { top: number; share: number } | undefined {
  const N = y.length;
  if (N === 0 || !Number.isFinite(accuracy)) return undefined;
  const count = new Float64Array(K);
  for (let i = 0; i < N; i++) count[y[i]]++;
  let top = 0;
  for (let c = 1; c < K; c++) if (count[c] > count[top]) top = c;
  const share = count[top] / N;
  return accuracy > share + 2 * Math.sqrt((share * (1 - share)) / N) ? undefined : { top, share };
}

/**
 * A note for the scan when the detector's models predict the given labels no better than always
 * answering the most common label (weakModel). Then a wrong label hidden in that majority label looks
 * like every right one to the models, and the ranking and the estimate miss such errors
 * (docs/detection.md, session 13: 2-3 of 20-25 found on imbalanced review sentences); the ranking is by
 * self-confidence alone there (session 19). Undefined otherwise.
 */
export function weakModelNote(accuracy: number, y: Int32Array, classes: readonly string[]): string | undefined {
  const weak = weakModel(accuracy, y, classes.length);
  if (!weak) return undefined;
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const top = classes[weak.top];
  return (
    `The detector's models predict the labels little better than always answering '${top}' (out-of-fold accuracy ${pct(accuracy)}; ${pct(weak.share)} of the rows are labelled '${top}'): ` +
    `wrong labels among the rows labelled '${top}' look like right ones to them, so the ranking and the estimate lean to the other labels. ` +
    'The rows are ranked by how little the models believe their labels alone: per-class calibration and the noise model have too little to go on.'
  );
}

/**
 * A note for the scan when the estimate leaves labels out (`unsure`, unsureLabels of `purity`): which,
 * how many rows they hold, how sure the models are of their surest rows, and how many wrong labels
 * confident learning would have counted there. Undefined when every label is counted.
 */
export function unsureLabelsNote(unsure: readonly boolean[], uncounted: Float64Array, purity: Float64Array, y: Int32Array, classes: readonly string[]): string | undefined {
  const which = unsure.flatMap((u, j) => (u ? [j] : []));
  if (which.length === 0) return undefined;
  let rows = 0;
  for (let i = 0; i < y.length; i++) if (unsure[y[i]]) rows++;
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  const lo = Math.min(...which.map((j) => purity[j]));
  const hi = Math.max(...which.map((j) => purity[j]));
  const left = which.reduce((a, j) => a + uncounted[j], 0);
  const one = which.length === 1;
  return (
    `Wrong labels among the rows labelled ${choices(which.map((j) => `'${classes[j]}'`), 'and')} (${rows} row${rows === 1 ? '' : 's'}, ${pct(rows / y.length)} of the file) are not counted in the estimate: ` +
    `the models are never sure a row has ${one ? 'this label' : 'one of these labels'} (their surest rows get ${one ? 'it' : 'them'} ${lo === hi ? pct(lo) : `${pct(lo)}-${pct(hi)}`} on average, below 1/2), ` +
    `so a wrong label there cannot be told from a row between similar classes. Counted as confident learning counts them, they would add ~${Math.round(left)}. Their rows are still ranked.`
  );
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
function transitionFromCounts({ C, labelled }: ConfidentCounts, K: number, pseudo = 1): Float64Array {
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

export async function detectLabelErrors(data: LogisticData, opts: DetectorOptions = {}): Promise<DetectionResult> {
  const { N, K, y } = data;
  const choice = opts.detector ?? 'auto';
  if (!DETECTOR_CHOICES.includes(choice)) throw new UserError(`Unknown detector '${choice}' (${DETECTOR_CHOICES.join(', ')}).`);
  const k = opts.folds ?? 5;
  if (!(Number.isInteger(k) && k >= 2)) throw new UserError(`folds must be a whole number >= 2 (got ${opts.folds}).`);
  if (N < 2 * k) throw new UserError(`Label-error detection needs at least ${2 * k} labelled rows for ${k} folds (got ${N}).`);
  const l2 = opts.l2 ?? 1e-3;
  const cp = opts.checkpoint ?? new Checkpoint();
  const text = opts.text;
  if (text && text.rows !== N) throw new RangeError(`detectLabelErrors: ${text.rows} rows of word counts for ${N} labelled rows`);
  if (choice !== 'auto' && choice !== 'ensemble' && readsWords(choice) && !text) throw new UserError(`The ${choice} detector needs a text column (it reads the words of the text columns); this file has none.`);
  const models: DetectorModel[] =
    choice === 'auto' ? autoModels(data, !!text) : choice === 'ensemble' ? ALL_MODELS.filter((m) => !TEXT_MODELS.includes(m) || text) : [choice];
  // No folds when no model needs them (logistic regression alone, from the scan's leave-one-out
  // probabilities): dealing a million rows into folds costs seconds.
  const reuseKnn = opts.knnNeighbours && opts.knnNeighbours.k === k && opts.knnNeighbours.folds.length === N ? opts.knnNeighbours : undefined;
  const needFolds = models.some((m) => (m === 'logistic' ? !opts.logistic : m === 'knn' ? !opts.knn && !reuseKnn : m !== 'forest'));
  const folds = needFolds ? stratifiedFolds(y, K, k, opts.seed ?? 0) : new Int32Array(0);
  let knnNeighbours: KnnNeighbours | undefined;
  const knn = async (): Promise<OutOfFold> => {
    if (opts.knn) return opts.knn;
    const r = reuseKnn ? knnProbabilities(reuseKnn, y, K) : await knnOutOfFold(data, folds, k, cp);
    knnNeighbours = r.neighbours;
    return reuseKnn ? { proba: r.proba, detail: `${r.detail}; folds and neighbours of the previous scan, the current labels` } : r;
  };

  let forestLeaves: ForestLeaves | undefined;
  const reuseForest = opts.forestLeaves && opts.forestLeaves.N === N && opts.forestLeaves.seed === (opts.seed ?? 0) ? opts.forestLeaves : undefined;
  const forest = async (): Promise<OutOfFold> => {
    if (opts.forest) return opts.forest;
    // The leaves (4 bytes x 100 trees per row: 80 MB at 200,000 rows) are kept for a quick re-score up
    // to the rows where auto runs the forest; an explicit --detector forest on millions of rows would
    // hold gigabytes of them.
    const keepLeaves = N <= FOREST_AUTO_MAX_ROWS;
    const r = reuseForest ? await forestFromLeaves(reuseForest, y, K, cp) : await forestOutOfBag(data, { seed: opts.seed ?? 0, checkpoint: cp, keepLeaves });
    forestLeaves = r.leaves;
    return reuseForest ? { proba: r.proba, detail: `${r.detail}; trees of the previous scan, leaf shares with the current labels` } : r;
  };

  // Each candidate's out-of-sample probabilities (text is present wherever a word model is in `models`).
  const outOfFold: Record<DetectorModel, () => Promise<OutOfFold>> = {
    logistic: async () => opts.logistic ?? (await logisticOutOfFold(data, folds, k, l2, cp)),
    knn,
    forest,
    naiveBayes: () => naiveBayesOutOfFold(text!, y, K, folds, k, cp),
    wordLogistic: () => wordLogisticOutOfFold(text!, y, K, folds, k, cp),
    mlp: () => mlpOutOfFold(data, folds, k, cp),
  };
  const oof: OutOfFold[] = [];
  const reports: ModelReport[] = [];
  for (const m of models) {
    const t0 = performance.now();
    cp.begin(`detect:${m}`, m === 'forest' ? 'Out-of-bag probabilities: random forest' : `Out-of-fold probabilities (${k} folds): ${MODEL_TITLES[m]}`);
    const r = await outOfFold[m]();
    oof.push(r);
    reports.push({ model: m, accuracy: accuracyOf(r.proba, y, N, K), logLoss: logLoss(r.proba, y, N, K), weight: 0, seconds: (performance.now() - t0) / 1000, detail: r.detail });
  }

  cp.begin('detect:rank', 'Combining the models and ranking rows');
  let proba: Float64Array;
  let chosen: string;
  let reason: string;
  if (models.length === 1) {
    proba = oof[0].proba;
    reports[0].weight = 1;
    chosen = models[0];
    reason =
      choice === 'auto'
        ? `auto: logistic regression alone (kNN is left out of auto above ${KNN_EXACT_MAX_ROWS} rows, the random forest above ${FOREST_AUTO_MAX_ROWS})`
        : 'requested';
  } else {
    const L = oof.map((r) => Float64Array.from({ length: N }, (_, i) => r.proba[i * K + y[i]]));
    const w = mixtureWeights(L, N);
    proba = new Float64Array(N * K);
    for (let m = 0; m < models.length; m++) {
      reports[m].weight = w[m];
      for (let j = 0; j < N * K; j++) proba[j] += w[m] * oof[m].proba[j];
    }
    const best = reports.reduce((a, b) => (b.logLoss < a.logLoss ? b : a));
    const main = reports.reduce((a, b) => (b.weight > a.weight ? b : a));
    chosen = main.weight > 0.99 ? main.model : 'ensemble';
    reason =
      `mixture weights that maximise the out-of-fold likelihood of the given labels (${reports.map((r) => `${r.model} ${r.weight.toFixed(2)}`).join(', ')}); ` +
      `best single model by out-of-fold log loss: ${best.model} (${best.logLoss.toFixed(3)})`;
  }
  // Confident learning's thresholds (mean p_j over the rows labelled j) for its joint, the noise
  // transition and the estimate; the ranking's calibration weighs each row by the noise posterior.
  const thresholds = perClassThresholds(proba, y, N, K);
  // The standard confident joint's raw counts, once: the noise transition and the mostly-wrong labels.
  const counts = confidentCounts(proba, y, thresholds, N, K, false);
  const transition = transitionFromCounts(counts, K);
  // The posterior is made twice, for the thresholds here and as the third score when its ranks are
  // taken: held from here through the ranking it raised the 1 GB scale file's peak from 1.77 to 1.84
  // GiB, and making it again costs one O(N K) pass.
  const rankThresholds = mostlyWrongFromCounts(proba, counts, posteriorThresholds(proba, y, noisePosterior(proba, y, transition, N, K), thresholds, N, K), N, K);
  // Each score is made when its ranks are taken (combinedRankKey), the calibrated "wrong" probability
  // at the end: at millions of rows, at most four N arrays besides proba at any time.
  const calibratedKey = (): Float64Array => {
    const key = new Float64Array(N);
    calibratedInto(proba, y, rankThresholds, N, K, key);
    return key;
  };
  // Where the models predict the labels no better than the most common label, the per-class thresholds
  // and the noise model are means and counts of probabilities that carry little besides the label
  // shares, and the calibration removes the one signal left, how rare a row's label is for rows like it:
  // rank by self-confidence alone (docs/detection.md, session 19: ticdata, 94% one label, 10% flips,
  // recall@10% 0.574 -> 0.681), each model's ranks weighted by how well it separates the labels
  // (session 20: 0.696 -> 0.731 over seeds 0-4).
  const accuracy = accuracyOf(proba, y, N, K);
  const weak = weakModel(accuracy, y, K);
  let weakReason = '';
  let rankKey: Float64Array;
  if (weak) {
    const r = await selfConfidenceRankKey(oof.map((o) => o.proba), y, N, K, cp);
    rankKey = r.key;
    if (models.length > 1) {
      reports.forEach((rep, m) => {
        rep.separation = r.separation[m];
        rep.rankWeight = r.weights[m];
      });
      weakReason =
        `; ranked by self-confidence (1 - the probability of the given label), each model's ranks weighted by how well it separates the given labels ` +
        `(mean one-vs-rest AUROC - 1/2; ${reports.map((rep) => `${rep.model} AUROC ${rep.separation!.toFixed(3)}, weight ${rep.rankWeight!.toFixed(2)}`).join('; ')}` +
        `${r.separation.some((a) => a > 0.5) ? '' : '; none separates them better than chance, so the weights are equal'}): ` +
        'the models predict the labels no better than always answering the most common one';
    } else weakReason = '; ranked by self-confidence alone (1 - the probability of the given label): the model predicts the labels no better than always answering the most common one';
  } else rankKey = combinedRankKey([calibratedKey, () => normalisedMargin(proba, y, N, K), () => noisePosterior(proba, y, transition, N, K)], N);
  const suggested = new Int32Array(N).fill(-1);
  const suggestedProbability = new Float64Array(N).fill(NaN);
  for (let i = 0; i < N; i++) {
    let b = -1;
    for (let c = 0; c < K; c++) if (c !== y[i] && (b < 0 || proba[i * K + c] > proba[i * K + b])) b = c;
    if (b >= 0 && proba[i * K + b] > proba[i * K + y[i]]) {
      suggested[i] = b;
      suggestedProbability[i] = proba[i * K + b];
    }
  }
  const cj = confidentJoint(proba, y, thresholds, N, K, true);
  const anchors = anchorEstimate(proba, y, N, K);
  const upper = Math.min(cj.errors, anchors.errors);
  // The consensus of the two candidates that predict the given labels best out of sample (lowest log
  // loss; ties by order): two models of different bias are what the consensus filter needs, and a
  // third, weaker one would veto the wrong labels it does not see (docs/detection.md, session 12).
  const voters = consensusVoters(reports);
  const consensusCounts = voters.length > 1 ? consensusJoint(voters.map((m) => oof[m].proba), y, N, K) : undefined;
  const consensus = consensusCounts?.errors;
  const unsure = unsureLabels(anchors.purity, y, K);
  const byLabel = estimateByLabel(cj, upper, consensusCounts, K, unsure);
  const uncounted = byLabel.uncounted.reduce((a, b) => a + b, 0);
  // Left as it was where every label is counted (the split adds up to it to rounding).
  const estimatedErrors = (consensus === undefined ? upper : (upper + consensus) / 2) - uncounted;
  const upperMethod =
    `the smaller of the calibrated confident joint of the out-of-fold probabilities (Northcutt et al. 2021; rows where another class is more probable), ${cj.errors.toFixed(0)}, ` +
    `and the anchor-row estimate (label changes among each class's most confident tenth), ${anchors.errors.toFixed(0)}`;
  const unsureWords = unsure.some((u) => u)
    ? `; not counted: ~${uncounted.toFixed(0)} more among the rows labelled ${choices(unsure.flatMap((u, j) => (u ? [`'${opts.classes?.[j] ?? j}' (surest rows ${(anchors.purity[j] * 100).toFixed(0)}%)`] : [])), 'and')}, ` +
      'labels the models are never sure of (their surest rows get them below 1/2 on average), where a wrong label cannot be told from a row between similar classes'
    : '';
  const calibratedWrong = new Float64Array(N);
  calibratedInto(proba, y, rankThresholds, N, K, undefined, calibratedWrong);
  await cp.tick(1);
  return {
    models: reports,
    choice: chosen,
    reason: reason + weakReason,
    rankedBy: weak ? 'selfConfidence' : 'combined',
    folds: k,
    accuracy,
    logLoss: logLoss(proba, y, N, K),
    proba,
    thresholds,
    rankThresholds,
    score: rankKey,
    rankKey,
    calibratedWrong,
    noiseTransition: transition,
    suggested,
    suggestedProbability,
    estimatedErrors,
    estimateMethod:
      (consensus === undefined
        ? upperMethod
        : `mean of an upper estimate, ${upper.toFixed(0)}, that counts the model's own confident confusions (${upperMethod}), ` +
          `and a lower one, ${consensus.toFixed(0)}, that misses errors a single model does not see (the consensus joint: rows that ${choices(voters.map((m) => models[m]), 'and')} each confidently put in the same other class)`) + unsureWords,
    estimateByLabel: byLabel,
    anchorPurity: anchors.purity,
    unsure,
    confidentJoint: cj.joint,
    knnNeighbours,
    forestLeaves,
  };
}
