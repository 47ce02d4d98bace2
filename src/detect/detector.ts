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
 * 3. Ranking (rankingKeys.ts): three label-quality scores of the out-of-fold probabilities, combined by
 *    their ranks: the per-class calibrated self-confidence, with confident learning's thresholds t_j
 *    corrected so that the wrong rows a label received do not hide themselves (posteriorThresholds,
 *    mostlyWrongThresholds in confidentJoint.ts); the normalised margin; and the noise posterior under
 *    the noise transition matrix estimated from the calibrated confident joint (confidentJoint.ts).
 *    The ranking key is the mean of the row's three percentile ranks, in (0, 1]; 1 = the most
 *    suspected row by all three scores. Where the models predict the labels no better than the most
 *    common label (weakModel), self-confidence alone, each model's ranks weighted by how well it
 *    separates the given labels. `score` is that key.
 * 4. Suggested label: the most probable other class under the out-of-fold probabilities, only where it
 *    is more probable than the given label; with its probability.
 * 5. Estimated number of wrong labels (errorEstimate.ts): the mean of an upper estimate that counts the
 *    models' own confident confusions and the consensus of the two best candidates, which misses the
 *    errors one of them does not see; labels the models are never sure of are left out.
 */
import { Checkpoint } from '../util/cancel';
import type { LogisticData } from '../model/logistic';
import { UserError } from '../util/errors';
import { DETECTORS, type DetectorModelName } from '../options/options';
import { accuracyOf, KNN_EXACT_MAX_ROWS, knnOutOfFold, knnProbabilities, logisticOutOfFold, logLoss, stratifiedFolds, type KnnNeighbours, type OutOfFold } from './crossFit';
import { mlpOutOfFold } from './mlpFold';
import { forestFromLeaves, forestOutOfBag, type ForestLeaves } from './forest';
import { naiveBayesOutOfFold } from './naiveBayes';
import { wordLogisticOutOfFold } from './wordLogistic';
import { confidentCounts, mostlyWrongFromCounts, noisePosterior, perClassThresholds, posteriorThresholds, transitionFromCounts } from './confidentJoint';
import { calibratedInto, combinedRankKey, normalisedMargin, selfConfidenceRankKey } from './rankingKeys';
import { consensusVoters, estimateWrongLabels, type WrongLabelEstimate } from './errorEstimate';
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

/** What the detector found; the error-count estimate's fields are errorEstimate.ts's (WrongLabelEstimate). */
export interface DetectionResult extends WrongLabelEstimate {
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
 * self-confidence alone there (session 19). Within that label the order still finds them (session 21: on
 * the imbalanced review sentences the first 10% of the rows labelled negative held 7-16 of the 20-25
 * truly positive ones, where the whole ranking's top 10% held 0-1), so the note says where to look.
 * Undefined otherwise.
 */
export function weakModelNote(accuracy: number, y: Int32Array, classes: readonly string[]): string | undefined {
  const weak = weakModel(accuracy, y, classes.length);
  if (!weak) return undefined;
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const top = classes[weak.top];
  return (
    `The detector's models predict the labels little better than always answering '${top}' (out-of-fold accuracy ${pct(accuracy)}; ${pct(weak.share)} of the rows are labelled '${top}'): ` +
    `wrong labels among the rows labelled '${top}' look like right ones to them, so the ranking and the estimate lean to the other labels. ` +
    'The rows are ranked by how little the models believe their labels alone: per-class calibration and the noise model have too little to go on. ' +
    `Among the rows labelled '${top}' that order still puts such errors first: review those rows on their own (the sidebar's Filter by Class or the panel's class menu; on the command line, scan --class '${top}').`
  );
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
  // The consensus of the two candidates that predict the given labels best out of sample (lowest log
  // loss; ties by order): two models of different bias are what the consensus filter needs, and a
  // third, weaker one would veto the wrong labels it does not see (docs/detection.md, session 12).
  const voters = consensusVoters(reports).map((m) => ({ model: models[m], proba: oof[m].proba }));
  const estimate = estimateWrongLabels(proba, y, N, K, thresholds, voters, opts.classes);
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
    ...estimate,
    knnNeighbours,
    forestLeaves,
  };
}
