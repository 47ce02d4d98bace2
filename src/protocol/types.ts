/**
 * The data that crosses process boundaries: worker -> extension host -> webview, and the CLI's
 * JSON output. Defined once here; everything is plain JSON (no typed arrays, no class instances).
 */
import type { ColumnKind } from '../data/types';

/** Which order a ranking of training rows is in. */
export type RankBy = 'globalInfluence' | 'loss';

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
