/**
 * The data that crosses process boundaries: worker -> extension host -> webview, and the CLI's
 * JSON output. Defined once here; everything is plain JSON (no typed arrays, no class instances).
 */
import type { ColumnKind } from '../data/types';

/** Which order a ranking of training rows is in. */
export type RankBy = 'globalInfluence' | 'loss' | 'labelSuspicion';

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
  /** The class the label should probably be: the most probable other class under p'. */
  suggestedLabel?: string;
  /** Rank (0 = first) in the ranking the row was listed by. */
  rank?: number;
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
}

export interface ModelSummary {
  kind: 'logistic-regression';
  parameters: number;
  l2: number;
  gradNorm: number;
  objective: number;
  iterations: number;
  newtonSteps: number;
  trainAccuracy: number;
  testAccuracy?: number;
}

export interface ScanSummary {
  /** Identifies this scan's results (content hash of the inputs and settings). */
  key: string;
  dataset: DatasetSummary;
  model: ModelSummary;
  /** Which solver produced the influence numbers. */
  influence: { method: 'exact-cholesky'; damping: number };
  /**
   * How the label suspicion was computed ('reweighted-loo', docs/label-suspicion.md) and the
   * reweighted refit's iterations; absent when the scan did not compute it.
   */
  labelSuspicion?: { method: 'reweighted-loo'; refitIterations: number; refitNewtonSteps: number };
  /** Seconds per stage. */
  timings: Record<string, number>;
  /** Histogram of log10 global influence over all training rows (for the panel). */
  histogram: { edges: number[]; counts: number[] };
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
}

/** How explain estimates the effect of removing a training row. */
export type ExplainMode = 'influence' | 'newton';

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
