/**
 * The data that crosses process boundaries: worker -> extension host -> webview, and the CLI's
 * JSON output. Defined once here; everything is plain JSON (no typed arrays, no class instances).
 */
import type { ColumnKind } from '../data/types';
import type { DetectorModelName, ExplainModeOption, ExplainObjectiveOption, ScanCapabilities, ScanRanking } from '../options/options';

export type { ScanCapabilities };

/** Which order a ranking of training rows is in. */
export type RankBy = ScanRanking;

/** One training row in a ranking. */
export interface ExampleRow {
  /** 0-based data row of the training file. */
  row: number;
  /** 1-based line of the training file where the record starts. */
  line: number;
  label: string;
  predicted: string;
  /** Self-influence g^T H^-1 g (Koh & Liang); large = outlier or mislabelled. */
  globalInfluence: number;
  /** Training cross-entropy at the fitted model. */
  loss: number;
  /**
   * How likely the label is wrong: -log p'(label), p' the row's leave-one-out probabilities under
   * the model refitted with every row weighted by its leave-one-out probability of its own label
   * (docs/label-suspicion.md). >= 0; large = suspicious. Absent when the scan did not compute it.
   */
  labelSuspicion?: number;
  /**
   * Out-of-sample label-error detection (docs/detection.md): the mean of the row's percentile ranks by
   * three scores of the detector's out-of-fold probabilities (per-class calibrated self-confidence,
   * normalised margin, and the posterior probability that the label is wrong under the estimated noise
   * transitions); in (0, 1], large = the label is probably wrong.
   * Absent when the scan ran no detector.
   */
  labelIssueScore?: number;
  /**
   * The class the label should probably be. With a detector: the most probable class out of fold, only
   * where it is more probable than the given label (absent otherwise). Without one: the most probable
   * other class under label suspicion's p'.
   */
  suggestedLabel?: string;
  /** The detector's out-of-fold probability of suggestedLabel. */
  suggestedProbability?: number;
  /** Rank (0 = first) in the ranking the row was listed by. */
  rank?: number;
  /** Unsupervised scans: the k-means cluster of the row (label and predicted then both read "cluster k"). */
  cluster?: number;
  /**
   * The detector's out-of-fold probability of the given label (uncalibrated: the chosen model(s)' own
   * probability, from a model that did not see the row). Absent without a detector.
   */
  labelProbability?: number;
  /**
   * The row's nearest neighbours among the other training rows, by Euclidean distance on the
   * standardised features (the detector's kNN space; ties by row order): how many there are, how many
   * carry the row's own label, and the most common other label with its count. Absent when the data
   * set is too large for a pass over it per listed row (N x features > 4e6) or in unsupervised scans.
   */
  neighbours?: { k: number; sameLabel: number; otherLabel?: string; otherCount: number };
}

export interface DatasetSummary {
  file: string;
  /** Training rows used (rows with a label). */
  rows: number;
  classes: string[];
  /** Model features, bias included. */
  features: number;
  columns: { name: string; kind: ColumnKind | 'label' | 'ignored' }[];
  /** Rows skipped because their label is missing. */
  skippedRows: { row: number; line: number }[];
  droppedConstant: string[];
  missing: Record<string, number>;
  skippedText: string[];
  test?: { file: string; rows: number };
  /** How the file was read: format, encoding, CSV/TSV quoting, and why when not the default (a TSV read without quoting). */
  read?: { format: 'csv' | 'tsv' | 'jsonl' | 'parquet'; encoding: 'utf-8' | 'utf-16le' | 'utf-16be'; quoting?: 'rfc4180' | 'none'; note?: string; rowGroups?: number };
  /** What the scan did with columns that would inflate the model: identifiers left out, text hashed (and into how many buckets). */
  columnNotes?: string[];
}

/** Which model the scan trained ('layers-model' = the user's tf.LayersModel, fine-tuned nowhere: only loaded). */
export type ModelKind = 'logistic-regression' | 'mlp' | 'layers-model' | 'turn-over-dropout-mlp' | 'autoencoder';

export interface ModelSummary {
  kind: ModelKind;
  parameters: number;
  l2: number;
  /** ||grad J|| at the returned parameters (the training's stopping point). */
  gradNorm: number;
  objective: number;
  /** Optimiser iterations (logistic: Newton/L-BFGS iterations; MLP: L-BFGS iterations after Adam; turn-over dropout / autoencoder: Adam steps). */
  iterations: number;
  /** Logistic regression only: Newton steps among the iterations (0 otherwise). */
  newtonSteps: number;
  /** Fraction of training rows whose label is the predicted class; NaN (null in JSON) for unsupervised scans. */
  trainAccuracy: number;
  testAccuracy?: number;
  /** Hidden layer widths of a network. */
  hidden?: number[];
  /** tfjs backend that ran a network ('tensorflow', 'wasm' or 'cpu'); absent for logistic regression (float64 JavaScript). */
  backend?: string;
  /** Unsupervised: number of clusters, the embedding size and the mean reconstruction error. */
  clusters?: number;
  embedding?: number;
  reconstruction?: number;
}

/** The analysis a scan ran: model x method x solver. */
export type AnalysisMethod = 'influence' | 'turnOverDropout' | 'unsupervised';

/** Which linear solver / estimator produced influence numbers. */
export type SolverName = 'exact' | 'ekfac' | 'cg' | 'lissa' | 'forward-passes';

/** How an iterative solve stopped (absent for direct solvers). */
export interface SolveInfo {
  /** 'cholesky', 'ekfac', 'pcg', 'cg', 'lissa'. */
  method: string;
  iterations: number;
  /** ||(H + d I) x - b|| / ||b||, measured with the full operator where the solver reports it. */
  relativeResidual?: number;
  /** 'converged', 'max-iterations', 'negative-curvature', 'diverged', ... */
  stopReason?: string;
  /** Damping actually used (it may have been raised on negative curvature). */
  damping?: number;
  hvps?: number;
}

export interface AnalysisSummary {
  /** 'logistic' | 'mlp' | 'layers' (ScanParams.model). */
  model: 'logistic' | 'mlp' | 'layers';
  method: AnalysisMethod;
  /** The solver that ran (with 'auto' the engine's choice, see solverReason). */
  solver: SolverName;
  /** Why this solver: the size rule of 'auto' (chooseSolver) or "requested". */
  solverReason: string;
  /** Networks: influence over the last layer or all parameters. */
  influenceScope?: 'lastLayer' | 'full';
  /** Human-readable description of the influence computation. */
  description: string;
  /** What ExampleRow.globalInfluence holds in this scan (self-influence, turn-over-dropout self-influence, distance to the cluster centre). */
  globalScore: string;
  /** What ExampleRow.loss holds (training cross-entropy, or the reconstruction error). */
  lossScore: string;
  /** Stopping report of the solve done during the scan, when one was iterative. */
  solve?: SolveInfo;
  /** Caveats, e.g. "theory approximate for non-convex models". */
  notes: string[];
  /** Text columns encoded as hashed TF-IDF: buckets and vocabulary seen. */
  text?: Record<string, { dimensions: number; vocabulary: number }>;
  /** Embedding columns and their dimensions. */
  embedding?: Record<string, number>;
}

export interface ScanSummary {
  /** Identifies this scan's results (content hash of the inputs and settings). */
  key: string;
  dataset: DatasetSummary;
  model: ModelSummary;
  /** Which solver produced the influence numbers ('exact-cholesky', 'ekfac', 'nn-last-layer', 'nn-full', 'turn-over-dropout', 'cross-loss-autoencoder'). */
  influence: { method: string; damping: number };
  /** Model, method, solver (and why), backend, stopping report and notes of this scan. */
  analysis: AnalysisSummary;
  /**
   * How the label suspicion was computed ('reweighted-loo', docs/label-suspicion.md) and the
   * reweighted refit's iterations; absent when the scan did not compute it.
   */
  labelSuspicion?: { method: 'reweighted-loo'; refitIterations: number; refitNewtonSteps: number };
  /** Out-of-sample label-error detection (the 'labelIssue' ranking); absent when the scan ran none. */
  detection?: DetectionSummary;
  /**
   * What this scan can serve (explain objectives and modes, rankings, trust, relabel): stated by the
   * engine so clients need not guess it. Absent only in summaries cached by older versions.
   */
  capabilities?: ScanCapabilities;
  /** Seconds per stage. */
  timings: Record<string, number>;
  /**
   * A scan asked to warm-start (ScanParams.warmStart): whether it did, what it reused, and why not
   * when it fell back to a full scan. `approximate` lists what a quick re-score approximated (label
   * suspicion's exact blocks of 1e7 multiply-adds or more: label suspicion with the curvature of the last full scan; a kNN search of 1e8
   * distance terms or more: the detector with its folds); absent when the result is a full scan's. `changedSinceFull`: labels changed since the full
   * scan whose curvature and folds were kept.
   */
  rescore?: { warm: boolean; reused: string[]; reason?: string; changedLabels?: number; approximate?: string[]; changedSinceFull?: number };
  /** Histogram of log10 global influence over all training rows (for the panel). */
  histogram: { edges: number[]; counts: number[] };
}

export interface DetectionSummary {
  /**
   * Every candidate model that ran: out-of-fold accuracy and log loss against the given labels, mixture
   * weight; where the ranking is by self-confidence with several models, `separation` (mean one-vs-rest
   * AUROC of the given labels) and `rankWeight` (the weight of the model's ranks).
   */
  models: { model: DetectorModelName; accuracy: number; logLoss: number; weight: number; seconds: number; detail: string; separation?: number; rankWeight?: number }[];
  /** What ranked: 'ensemble' or the one model. */
  choice: string;
  /** Why. */
  reason: string;
  /**
   * Which ranking the label-issue score is: 'combined' (the mean percentile rank of three scores) or
   * 'selfConfidence' (the percentile rank of 1 - the given label's probability, each model's ranks
   * weighted by how well it separates the given labels, where the models predict the labels no better
   * than the most common label). Absent in results of earlier versions.
   */
  rankedBy?: 'combined' | 'selfConfidence';
  folds: number;
  /** Out-of-fold accuracy and log loss of what ranked. */
  accuracy: number;
  logLoss: number;
  /** Estimated number of wrong labels in the file, and how it was estimated. */
  estimatedErrors: number;
  estimateMethod: string;
  /**
   * The estimate split by given label, in the scan's class order: how many of the rows labelled `label`
   * are estimated wrong, and the class most of them are estimated to truly be (absent where none). The
   * errors add up to estimatedErrors. Absent in results saved by earlier versions. A label whose wrong
   * rows the estimate cannot tell from rows between similar classes (the mean probability of its class
   * over the rows the models are surest of, `surest`, is below 1/2) is not counted: its `errors` is 0
   * and `uncounted` holds what confident learning would have counted.
   */
  estimatedByLabel?: { label: string; errors: number; likelyClass?: string; uncounted?: number; surest?: number }[];
  /** Rows whose suggested label differs from the given one (the model believes another class more). */
  suggestions: number;
  /** The model whose predictions explanations explain (influence-based). */
  explainedBy: string;
}

export interface RankingPage {
  rankBy: RankBy;
  /** Rows that pass the filter. */
  total: number;
  offset: number;
  rows: ExampleRow[];
}

export interface RankingFilter {
  /** Keep rows whose given label is one of these. */
  labels?: string[];
  /** Keep rows whose label or predicted label differs (true) / agrees (false). */
  disagreeing?: boolean;
  /** Case-insensitive substring of any cell of the row. */
  text?: string;
}

/** Cells of one data row, by column name (raw text, never interpreted as markup). */
export type RowCells = Record<string, string | null>;

export interface InfluenceRow {
  row: number;
  line: number;
  label: string;
  /** I(i,t) = -g_t^T H^-1 g_i: positive = up-weighting row i raises the test loss (harmful). */
  influence: number;
  /** RelatIF, theta-relative: influence / ||H^-1 g_i||. */
  relatifTheta: number;
  /** RelatIF, l-relative: influence / sqrt(g_i^T H^-1 g_i). */
  relatifL: number;
  /**
   * In explain mode 'newton': the predicted change of the explained point's loss when this row is
   * removed and the model refitted, by one exact Newton step without the row (positive = removing
   * the row raises the loss). First order it would be -influence / N.
   */
  looChange?: number;
  /**
   * Estimated change of the explained objective when this row is left out of training: -influence / N
   * for influence functions, a difference of two sub-network losses for turn-over dropout.
   */
  removalChange?: number;
  cells?: RowCells;
}

export interface ExplainedPoint {
  /** 'test' (a row of the test file) or 'train' (a row of the training file). */
  source: 'test' | 'train';
  file: string;
  row: number;
  line: number;
  /** The row's own label, when its file has one. */
  label?: string;
  predicted: string;
  probabilities: Record<string, number>;
  /** The class whose loss is explained. */
  target: string;
  testLoss: number;
  cells?: RowCells;
}

export interface ExplainResult {
  test: ExplainedPoint;
  /** Sorted by |relatifL|, largest first; the first `top` rows (or all). */
  influence: InfluenceRow[];
  /** Training rows in all (influence may list fewer). */
  total: number;
  /** With ExplainParams.perSide: rows with influence < 0 (they lower the loss: support the target), strongest first. */
  supporting?: InfluenceRow[];
  /** With ExplainParams.perSide: rows with influence > 0 (they raise the loss: oppose the target), strongest first. */
  opposing?: InfluenceRow[];
  /** What `supporting` / `opposing` are ranked by. */
  orderBy?: 'relatifL' | 'influence';
  /**
   * Which estimate produced the numbers: 'influence' (first order; rows carry influence and
   * RelatIF) or 'newton' (rows also carry looChange, the Newton-step leave-one-out change).
   */
  mode?: ExplainMode;
  /** Which method produced the numbers: Koh & Liang's influence function (RelatIF is its ranking) or turn-over dropout. */
  method: 'influence' | 'turnOverDropout';
  /** The explained test objective and its value at the explained point (ExplainedPoint.testLoss holds the same value). */
  objective: ExplainObjectiveInfo;
  /** What `influence` is sorted by: |relatifL| ('relatif') or |influence|. Turn-over dropout has no RelatIF: always 'influence'. */
  rankBy: 'relatif' | 'influence';
  /** How the test solve went (iterative solvers only). */
  solve?: SolveInfo;
  /** Caveats of this explanation (e.g. approximate theory for a non-convex network). */
  notes?: string[];
}

/** The test objective f whose influence explain computes (cross-loss influence for 'probability' and 'margin'). */
export type ExplainObjective = ExplainObjectiveOption;

export interface ExplainObjectiveInfo {
  kind: ExplainObjective;
  /** Readable form, e.g. "cross-entropy at malignant", "p(malignant)", "z(3) - z(8)". */
  description: string;
  /** 'loss' and 'probability': the class; 'margin': [a, b] for z_a - z_b. */
  classes: string[];
  value: number;
}

/** One training row in a cluster explanation. */
export interface ClusterRow {
  row: number;
  line: number;
  cluster: number;
  /** I(i, t) = -grad f^T (H + d I)^-1 grad L_i, f the squared distance of t's embedding to its (fixed) centre. */
  influence: number;
  /** -influence / N: first-order change of that distance if row i is left out. > 0: row i pulls t into its cluster. */
  removalChange: number;
  cells?: RowCells;
}

/** Why an unlabelled row sits in its cluster (worker method explainCluster). */
export interface ClusterResult {
  row: number;
  line: number;
  cluster: number;
  /** Squared distance of the row's embedding to its cluster's centre. */
  distance: number;
  /** Rows whose removal would move the row away from its centre the most (removalChange > 0), strongest first. */
  pulling: ClusterRow[];
  /** Rows whose removal would move it closer (removalChange < 0), strongest first. */
  pushing: ClusterRow[];
  /** Training rows in all. */
  total: number;
  method: 'crossLoss';
  solve: SolveInfo;
  cells?: RowCells;
}

/** How explain estimates the effect of removing a training row. */
export type ExplainMode = ExplainModeOption;

/** How well estimates agree with actual retraining (over a sample of rows or of subsets). */
export interface TrustAgreement {
  pearson: number;
  spearman: number;
  /** Least-squares slope of actual on predicted through the origin (1 = the right size). */
  slope: number;
}

/** One training row the trust check refitted without. */
export interface TrustRow {
  row: number;
  line: number;
  label: string;
  /** 'top': among the largest |influence| on the point; 'random': drawn at random (seeded). */
  picked: 'top' | 'random';
  /** Predicted change of the point's loss when the row is removed, first order (-influence / N). */
  firstOrder: number;
  /** The same by one Newton step without the row. */
  newton: number;
  /** The change after actually refitting without the row. */
  actual: number;
}

/** The trust check of one explained point: estimates against actual retraining, on this data and model. */
export interface TrustResult {
  test: ExplainedPoint;
  /** Leave-one-out refits of `rows`: agreement of each estimate with them. */
  leaveOneOut: { rows: TrustRow[]; firstOrder: TrustAgreement; newton: TrustAgreement; seconds: number };
  /**
   * Linear datamodeling score: Spearman between the predicted change of the point's loss (sum of the
   * removed rows' first-order effects) and the actual change after refitting, over random subsets
   * that each remove `fraction` of the rows (kept rows keep weight 1/N).
   */
  lds?: { subsets: number; fraction: number; spearman: number; pearson: number; predicted: number[]; actual: number[]; seconds: number };
  seed: number;
}

/** An error as it crosses the process boundary. */
export interface ErrorPayload {
  name: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  stack?: string;
}
