/**
 * Every scan and explain option in one place: the allowed values (each list written once), the
 * defaults, and the rules that check and complete them. The CLI (src/cli/main.ts), the extension's
 * settings (extension/config.ts; package.json's contributes.configuration must agree, which
 * test/unit/options.test.ts checks) and the engine (src/engine/session.ts) all read them from here.
 * The protocol (src/protocol/worker.ts) takes its option types from here; this module imports only util/errors.
 */
import { UserError } from '../util/errors';

export const MODELS = ['logistic', 'mlp', 'layers'] as const;
export const METHODS = ['influence', 'turnOverDropout'] as const;
export const SOLVERS = ['auto', 'exact', 'ekfac', 'cg', 'lissa'] as const;
export const SCOPES = ['lastLayer', 'full'] as const;
export const DETECTORS = ['auto', 'ensemble', 'logistic', 'knn', 'forest', 'naiveBayes', 'wordLogistic', 'mlp', 'off'] as const;
/** The detector's candidate models (DETECTORS without the choices that name several or none). */
export type DetectorModelName = Exclude<(typeof DETECTORS)[number], 'auto' | 'ensemble' | 'off'>;
export const FORMATS = ['csv', 'tsv', 'jsonl', 'parquet'] as const;
export const QUOTINGS = ['auto', 'rfc4180', 'none'] as const;
export const COLUMN_KINDS = ['numeric', 'categorical', 'text', 'embedding'] as const;
/** Rankings of a scan's rows (RankBy). */
export const SCAN_RANKINGS = ['labelIssue', 'globalInfluence', 'labelSuspicion', 'loss'] as const;
export const EXPLAIN_MODES = ['influence', 'newton'] as const;
export const EXPLAIN_OBJECTIVES = ['loss', 'probability', 'margin'] as const;
export const EXPLAIN_TARGETS = ['label', 'predicted'] as const;
/** How an explanation's list is sorted (ExplainParams.rankBy). */
export const EXPLAIN_RANKINGS = ['relatif', 'influence'] as const;

export type ModelOption = (typeof MODELS)[number];
export type MethodOption = (typeof METHODS)[number];
export type SolverOption = (typeof SOLVERS)[number];
export type ScopeOption = (typeof SCOPES)[number];
export type DetectorOption = (typeof DETECTORS)[number];
export type FormatOption = (typeof FORMATS)[number];
export type QuotingOption = (typeof QUOTINGS)[number];
export type ScanRanking = (typeof SCAN_RANKINGS)[number];
export type ExplainModeOption = (typeof EXPLAIN_MODES)[number];
export type ExplainObjectiveOption = (typeof EXPLAIN_OBJECTIVES)[number];

/**
 * Defaults of the options (each first list entry above is its option's default too). `l2` depends on
 * the method: see defaultL2.
 */
export const DEFAULTS = {
  /** L2 of logistic regression, the MLP, a LayersModel and the autoencoder. */
  l2: 1e-3,
  /** L2 of turn-over dropout's network (wider, trained with per-row masks: a lighter penalty). */
  turnOverDropoutL2: 1e-4,
  damping: 0,
  /** Hidden widths of the engine's MLP (model 'mlp'). */
  mlpHidden: [32] as readonly number[],
  /** Hidden widths of turn-over dropout's network. */
  turnOverDropoutHidden: [256] as readonly number[],
  clusters: 3,
  folds: 5,
  /** Most classes of a label (without an explicit maxClasses). */
  maxClasses: 100,
  /** Largest number of hash buckets a text column gets by default (the engine scales it to the data, 16..1024). */
  textDimensions: 1024,
  seed: 0,
  /** Training rows an explanation lists (ExplainParams.top). */
  explainTop: 20,
} as const;

/** The L2 strength a scan uses when none is given. */
export function defaultL2(p: { method?: MethodOption }): number {
  return p.method === 'turnOverDropout' ? DEFAULTS.turnOverDropoutL2 : DEFAULTS.l2;
}

/** The hidden widths a network uses when none are given. */
export function defaultHidden(p: { method?: MethodOption }): readonly number[] {
  return p.method === 'turnOverDropout' ? DEFAULTS.turnOverDropoutHidden : DEFAULTS.mlpHidden;
}

export function isOneOf<T extends string>(v: unknown, allowed: readonly T[]): v is T {
  return typeof v === 'string' && (allowed as readonly string[]).includes(v);
}

/** `v` when it is one of `allowed`, else the default (the first): for settings, which must never fail. */
export function oneOf<T extends string>(v: unknown, allowed: readonly T[]): T {
  return isOneOf(v, allowed) ? v : allowed[0];
}

/** "a, b or c" (or, with conjunction 'and', "a, b and c"). */
export function choices(values: readonly string[], conjunction: 'or' | 'and' = 'or'): string {
  return values.length === 1 ? values[0] : `${values.slice(0, -1).join(', ')} ${conjunction} ${values[values.length - 1]}`;
}

/** Hidden layer widths from a setting: positive integers up to 4096, at most 8 layers; others dropped. */
export function hiddenSizesOf(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 4096).slice(0, 8);
}

/** The scan options the engine checks and completes (a subset of ScanParams). */
export interface ScanOptionsIn {
  l2?: number;
  damping?: number;
  model?: string;
  method?: string;
}

export interface ResolvedScanOptions {
  l2: number;
  damping: number;
  model: ModelOption;
  method: MethodOption;
}

/** The engine's check of a scan's options (any caller: worker, CLI, tests), with the defaults filled in. */
export function resolveScanOptions(p: ScanOptionsIn): ResolvedScanOptions {
  const method = p.method ?? METHODS[0];
  if (!isOneOf(method, METHODS)) throw new UserError(`Unknown method '${method}' (${choices(METHODS)}).`);
  const model = p.model ?? MODELS[0];
  if (!isOneOf(model, MODELS)) throw new UserError(`Unknown model '${model}' (${choices(MODELS)}).`);
  const l2 = p.l2 ?? defaultL2({ method });
  if (!(l2 > 0) || !Number.isFinite(l2)) throw new UserError(`l2 must be a positive number (got ${p.l2}).`);
  const damping = p.damping ?? DEFAULTS.damping;
  if (!(damping >= 0) || !Number.isFinite(damping)) throw new UserError(`damping must be >= 0 (got ${p.damping}).`);
  return { l2, damping, model, method };
}

/** The explain options the engine checks and completes. */
export function resolveExplainOptions(p: { mode?: string; rankBy?: string; objective?: string }): { mode: ExplainModeOption; objective: ExplainObjectiveOption } {
  const mode = p.mode ?? EXPLAIN_MODES[0];
  if (!isOneOf(mode, EXPLAIN_MODES)) throw new UserError(`Unknown explain mode '${mode}' (${choices(EXPLAIN_MODES)}).`);
  if (p.rankBy !== undefined && !isOneOf(p.rankBy, EXPLAIN_RANKINGS)) throw new UserError(`Unknown rankBy '${p.rankBy}' (${choices(EXPLAIN_RANKINGS)}).`);
  const objective = p.objective ?? EXPLAIN_OBJECTIVES[0];
  if (!isOneOf(objective, EXPLAIN_OBJECTIVES)) throw new UserError(`Unknown objective '${objective}' (${choices(EXPLAIN_OBJECTIVES)}).`);
  return { mode, objective };
}

/**
 * What a scan can serve (ScanSummary.capabilities): the engine states it, the extension and the
 * panel offer exactly that.
 */
export interface ScanCapabilities {
  /** Explained objectives ('loss' always, 'probability' and 'margin' with logistic regression and influence functions). */
  objectives: ExplainObjectiveOption[];
  /** Explain modes ('newton' needs logistic regression with the exact solver). */
  modes: ExplainModeOption[];
  /** Rankings of the rows this scan computed. */
  rankings: ScanRanking[];
  /** The trust check (refits): exact logistic regression only. */
  trust: boolean;
  /** The predicted effect of relabelling and Verify: logistic regression on any solver (EK-FAC's H^-1 is approximate, RelabelResult.solve). */
  relabel: boolean;
  /** An unsupervised scan explains cluster membership (explainCluster) instead of predictions. */
  clusters: boolean;
}

/**
 * The extension settings (package.json contributes.configuration, section datasetDebugger) that are
 * scan or explain options: their allowed values, default and range. extension/config.ts reads them
 * through this table; test/unit/options.test.ts checks package.json against it.
 */
export const SETTINGS = {
  model: { values: MODELS, default: MODELS[0] },
  method: { values: METHODS, default: METHODS[0] },
  solver: { values: SOLVERS, default: SOLVERS[0] },
  influenceScope: { values: SCOPES, default: SCOPES[0] },
  detector: { values: DETECTORS, default: DETECTORS[0] },
  quoting: { values: QUOTINGS, default: QUOTINGS[0] },
  explainObjective: { values: EXPLAIN_OBJECTIVES, default: EXPLAIN_OBJECTIVES[0] },
  /** null: the method's default (defaultL2). */
  l2: { default: null },
  damping: { default: DEFAULTS.damping, minimum: 0 },
  clusters: { default: DEFAULTS.clusters, minimum: 2, maximum: 50 },
  /** The largest default; the setting's default value means "the engine's default" (scaled to the data). */
  textDimensions: { default: DEFAULTS.textDimensions, minimum: 16, maximum: 1 << 20 },
  /** 0: the engine's default rules (at most DEFAULTS.maxClasses classes). */
  maxClasses: { default: 0, minimum: 0, maximum: 100_000 },
  /** []: the method's default widths (defaultHidden). */
  hiddenSizes: { default: [] as number[] },
  unsupervised: { default: false },
} as const;

/** A whole-number setting clamped to its range; its default when unset or not a number. */
export function intSetting(v: unknown, s: { default: number; minimum: number; maximum?: number }): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(s.maximum ?? Infinity, Math.max(s.minimum, Math.floor(v))) : s.default;
}
