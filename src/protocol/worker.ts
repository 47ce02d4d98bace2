/**
 * The protocol between the extension host (or any client) and the engine worker process.
 * Requests carry ids; the worker answers each with exactly one `result` or `error`, and may send
 * `progress` events for it before that. `cancel` aborts a running request; the worker stays usable.
 */
import type { ColumnKind } from '../data/types';
import type { DetectorOption, FormatOption, MethodOption, ModelOption, QuotingOption, ScopeOption, SolverOption } from '../options/options';
import type {
  ClusterResult,
  ErrorPayload,
  ExplainMode,
  ExplainObjective,
  ExplainResult,
  RankBy,
  RankingFilter,
  RankingPage,
  RowCells,
  ScanSummary,
  TrustResult,
} from './types';

export interface ScanParams {
  /** Training data file (CSV, TSV or JSONL). */
  file: string;
  /**
   * The label column. Omit it (or set `unsupervised`) for unlabelled data: the scan then trains an
   * autoencoder + k-means and ranks rows by their distance to their cluster's centre.
   */
  label?: string;
  /** Optional held-out file with the same columns. */
  test?: string;
  /** L2 strength in J = (1/N) sum CE + (l2/2)||W||^2. Default 1e-3, turn-over dropout 1e-4 (options.defaultL2). */
  l2?: number;
  ignore?: string[];
  kinds?: Record<string, ColumnKind>;
  /** Added to the Hessian diagonal; 0 (default) means the exact Hessian. */
  damping?: number;
  /** Rows in the first page of the ranking returned with the summary. */
  firstPage?: number;
  /**
   * Compute the RelatIF norms ||H^-1 g_i|| of every row during the scan (default true), so that the
   * panel's first explain is a cheap query. false: at the first explain instead, the same numbers (the
   * CLI, which explains at most once per process: N doubles and a back substitution per row fewer).
   */
  relatifAtScan?: boolean;
  rankBy?: RankBy;
  /**
   * Compute label suspicion during the scan (default true; its own progress stage, about half of a
   * scan's time on the test fixtures). Without it, the 'labelSuspicion' ranking is unavailable.
   */
  labelSuspicion?: boolean;
  /**
   * Out-of-sample label-error detection (src/detect, docs/detection.md): 'auto' (default: logistic
   * regression, k nearest neighbours and a random forest; for files with text columns naive Bayes and
   * logistic regression on the words in place of kNN, combined by out-of-fold likelihood), 'ensemble' (every candidate, the MLP
   * too), one model alone, or 'off'. Gives the 'labelIssue' ranking.
   */
  detector?: DetectorOption;
  /** Folds of the detector's cross-fitting (default 5). */
  folds?: number;
  /**
   * The model: 'logistic' (default: L2-regularised multinomial logistic regression), 'mlp' (a tanh
   * MLP trained by the engine, `hidden` widths), 'layers' (the user's tf.LayersModel at `modelPath`;
   * a stack of Dense layers that takes the engine's encoded features, bias column optional).
   */
  model?: ModelOption;
  /** model.json of a tf.LayersModel (model 'layers'). */
  modelPath?: string;
  /** Hidden layer widths for 'mlp' (default [32]) and turn-over dropout (default [256]): options.DEFAULTS. */
  hidden?: number[];
  /** Networks: influence over the last layer only (default, exact theory for that layer) or all parameters (damped, approximate). */
  influenceScope?: ScopeOption;
  /**
   * How H^-1 is applied. 'auto' (default): exact Cholesky while N P^2 + P^3/3 <= 4e10 flops and
   * P <= 4000, else EK-FAC (the summary says which and why). 'exact', 'ekfac': forced. 'cg', 'lissa':
   * networks with influenceScope 'full' (explain solves on Hessian-vector products); for logistic
   * regression 'cg' is EK-FAC refined by preconditioned CG at explain time.
   */
  solver?: SolverOption;
  /**
   * Hash buckets per text column (hashed TF-IDF). Default: scaled to the data, the smallest power of
   * two >= 2x the column's distinct training terms, between 16 and 1024.
   */
  textDimensions?: number;
  /** File format when the extension does not tell it (.csv, .tsv/.tab, .jsonl/.ndjson, .parquet). */
  format?: FormatOption;
  /**
   * CSV/TSV quoting: 'auto' (default: RFC 4180, except a TSV whose quotes do not follow it is read
   * without quoting), 'rfc4180' or 'none' (`"` is an ordinary character).
   */
  quoting?: QuotingOption;
  /**
   * Most classes the label may have (default 100). Given explicitly, it also lets a numeric label with
   * many distinct values (which is refused by default as "looks like a continuous target") through.
   */
  maxClasses?: number;
  /**
   * 'influence' (default): influence functions (RelatIF is their ranking, ExplainParams.rankBy).
   * 'turnOverDropout': an MLP trained with per-row fixed dropout masks; influence from forward passes.
   */
  method?: MethodOption;
  /** Unlabelled data: autoencoder + k-means; `label` (if given) is then left out of the features. */
  unsupervised?: boolean;
  /** Unsupervised: k of k-means (default 3). */
  clusters?: number;
  /** Seed of the networks' initialisation and batches (default 0). */
  seed?: number;
  /** Networks: Adam epochs (MLP default 100, turn-over dropout 60); unsupervised: full-batch Adam steps (default 1500). */
  epochs?: number;
  /**
   * Re-score after label fixes: when the session holds a scan of the same file with the same
   * parameters and only label cells changed since, reuse what labels do not change (schema, encoded
   * features, test set) and warm-start the fits at the previous optimum. Small files (label
   * suspicion's exact blocks under 1e7 multiply-adds) and a cheap kNN search: the result equals a full
   * scan's. Larger files of any number of classes (quick re-score): label suspicion keeps the last full
   * scan's leave-one-out curvature; a kNN search of 1e8 distance terms or more
   * (any number of classes) keeps its folds and neighbours; those rankings are then approximate
   * (ScanSummary.rescore.approximate says what); the fit, loss, self-influence, accuracies, explain
   * and relabel/Verify are exact. Logistic regression on the exact or the EK-FAC solver; anything else
   * changed (or another model): a full scan, and ScanSummary.rescore says why.
   */
  warmStart?: boolean;
}

export interface ScanReply {
  summary: ScanSummary;
  first: RankingPage;
}

export interface PageParams {
  rankBy: RankBy;
  offset: number;
  limit: number;
  filter?: RankingFilter;
}

export interface ExplainParams {
  source: 'test' | 'train';
  row: number;
  /** How many training rows to return, by |relatifL|; default 20; 'all' for every row. */
  top?: number | 'all';
  /** Explain the loss at the row's label ('label', default when it has one) or at the predicted class. */
  target?: 'label' | 'predicted';
  /** Attach each listed training row's cells. */
  withCells?: boolean;
  /**
   * Also list up to this many supporting (influence < 0) and opposing (influence > 0) training rows,
   * each side ranked by `orderBy` (strongest first), in ExplainResult.supporting / .opposing.
   */
  perSide?: number;
  /** Ranks `supporting` / `opposing` by RelatIF (l-relative, default) or by raw influence. */
  orderBy?: ExplainOrder;
  /**
   * 'influence' (default): first-order influence and RelatIF. 'newton': every listed row also
   * carries looChange, the change of the loss when the row is removed by one exact Newton step
   * without it (more faithful than first order when parameters outnumber rows or a row has high
   * leverage); ExplainResult.mode says which.
   */
  mode?: ExplainMode;
  /**
   * The explained test objective f (cross-loss influence, Silva et al.): 'loss' (default,
   * cross-entropy at the target class), 'probability' (p of the target class) or 'margin' (logit
   * margin z_a - z_b, classes from `marginClasses`, default [target, the most probable other class]).
   * 'probability' and 'margin' need the logistic model; ExplainResult.objective says which ran.
   */
  objective?: ExplainObjective;
  /** For objective 'margin': the two classes [a, b] of z_a - z_b (class names). */
  marginClasses?: [string, string];
  /** How `influence` is sorted: by |RelatIF| (default; l-relative) or by |influence|. */
  rankBy?: 'relatif' | 'influence';
}

/** Unsupervised scans: why training row `row` sits in its cluster (cross-loss influence). */
export interface ExplainClusterParams {
  row: number;
  /** Rows per side (pulling, pushing); default 10. */
  top?: number;
  withCells?: boolean;
}

/**
 * The trust check of one explained point: the engine refits without a sample of rows and without
 * random half subsets, and reports how well its estimates agree (TrustResult). Cancellable; long.
 */
export interface TrustParams {
  source: 'test' | 'train';
  row: number;
  target?: 'label' | 'predicted';
  /** Rows refitted one at a time: half the largest |influence| on the point, half random (default 30). */
  rows?: number;
  /** Random half subsets for the LDS (default 20; 0 skips it). */
  subsets?: number;
  /** Seed of the random rows and subsets (default 0). */
  seed?: number;
}

/** What ranks the training rows behind a prediction. */
export type ExplainOrder = 'relatifL' | 'influence';

export interface LinesParams {
  source: 'test' | 'train';
}

/** Every record of a scanned file, in file order: the line map for cursor -> row. */
export interface LinesResult {
  /** 0-based data row of each record. */
  rows: number[];
  /** 1-based line where each record starts (ascending). */
  lines: number[];
  /** The label column's cell of each record (null when missing or when the file has no label column). */
  labels: (string | null)[];
}

export interface ColumnsParams {
  file: string;
  format?: ScanParams['format'];
  quoting?: ScanParams['quoting'];
}

/** The columns of a data file, for choosing the label column before the first scan. */
export interface ColumnsResult {
  file: string;
  format: 'csv' | 'tsv' | 'jsonl' | 'parquet';
  columns: string[];
  rows: number;
  /** Distinct non-missing values per column, counted up to 51 (enough to tell a label-like column). */
  distinct: Record<string, number>;
}

export interface RowsParams {
  source: 'test' | 'train';
  rows: number[];
}

/** Relabel training rows (0-based data rows) hypothetically: the predicted effect, and with verify the refit's. */
export interface RelabelParams {
  changes: { row: number; label: string }[];
  verify?: boolean;
}

export interface RelabelMetrics {
  /** Mean cross-entropy over the evaluated rows. */
  loss: number;
  accuracy: number;
  rows: number;
}

export interface RelabelResult {
  /** 'test': the test file's rows; 'train': the training rows not relabelled (no test file). */
  on: 'test' | 'train';
  before: RelabelMetrics;
  /** At the fitted model moved by one Newton step for the relabelled data (exact, or with `solve`'s H^-1). */
  predicted: RelabelMetrics;
  /** With verify: the model refitted on the relabelled data (warm start at the fitted model). */
  actual?: RelabelMetrics;
  refit?: { iterations: number; newtonSteps: number; seconds: number };
  /** With verify: ||W_refit - W_predicted|| / ||W_refit - W||. */
  stepError?: number;
  /**
   * How H^-1 was applied for the predicted step when the scan's solver is not exact: 'ekfac' (EK-FAC's
   * approximate inverse) or 'pcg' (refined by preconditioned CG on exact Hessian-vector products to
   * the relative residual given). Absent: the exact Cholesky solve.
   */
  solve?: { method: string; iterations: number; relativeResidual?: number };
}

/** Method name -> params and result. */
export interface WorkerMethods {
  scan: { params: ScanParams; result: ScanReply };
  page: { params: PageParams; result: RankingPage };
  explain: { params: ExplainParams; result: ExplainResult };
  explainCluster: { params: ExplainClusterParams; result: ClusterResult };
  trust: { params: TrustParams; result: TrustResult };
  rows: { params: RowsParams; result: { rows: { row: number; line: number; cells: RowCells }[] } };
  lines: { params: LinesParams; result: LinesResult };
  columns: { params: ColumnsParams; result: ColumnsResult };
  relabel: { params: RelabelParams; result: RelabelResult };
}

export type MethodName = keyof WorkerMethods;

export type RequestMessage = {
  [M in MethodName]: { type: 'request'; id: number; method: M; params: WorkerMethods[M]['params'] };
}[MethodName];

export type ClientMessage = RequestMessage | { type: 'cancel'; id: number };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: ErrorPayload }
  | { type: 'progress'; id: number; stage: string; fraction?: number; message?: string }
  | { type: 'log'; level: LogLevel; message: string };

const METHODS: ReadonlySet<string> = new Set<MethodName>(['scan', 'page', 'explain', 'explainCluster', 'trust', 'rows', 'lines', 'columns', 'relabel']);

/** Validates an incoming client message's shape (the worker trusts nothing it did not check). */
export function parseClientMessage(raw: unknown): ClientMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (typeof m.id !== 'number' || !Number.isInteger(m.id)) return undefined;
  if (m.type === 'cancel') return { type: 'cancel', id: m.id };
  if (m.type !== 'request' || typeof m.method !== 'string' || !METHODS.has(m.method)) return undefined;
  if (typeof m.params !== 'object' || m.params === null) return undefined;
  return m as unknown as RequestMessage;
}
