/**
 * The messages between the extension host and the influence panel (webview). Both sides import this
 * file, so the two unions below are the whole protocol:
 * - WebviewToHost: what the panel asks for. The panel runs untrusted-ish content (cells of data
 *   files), so the host checks every message with `parseWebviewMessage` before using it: unknown
 *   types, wrong field types, out-of-range numbers and oversized strings are rejected, and the
 *   returned object holds only the known fields.
 * - HostToWebview: what the host tells the panel (results, pages, explanations, state changes).
 *   The host posts nothing before the panel says `ready` (and again after each reload of a hidden panel).
 * Files are never named by the panel: it says 'train' or 'test' and the host resolves the path.
 */
import type { ClusterResult, ExplainMode, ExplainObjective, ExplainResult, RankBy, RankingFilter, RankingPage, ScanSummary, TrustResult } from './types';
import type { ExplainOrder } from './worker';

export type { ExplainOrder };

/** How the panel asks for an explanation: the order of each side, the estimate and the test objective. */
export interface ExplainOptions {
  orderBy: ExplainOrder;
  /** 'influence' (first order) or 'newton' (Newton-step leave-one-out per listed row). */
  mode: ExplainMode;
  /** The explained objective; for 'margin' the host asks which two classes with a quick pick. */
  objective: ExplainObjective;
}

/** The rankings the panel offers: global influence, and label suspicion when the scan computed it. */
export type PanelRanking = Extract<RankBy, 'globalInfluence' | 'labelSuspicion' | 'labelIssue'>;

export type DataSource = 'train' | 'test';
export type ImageShape = 'none' | '8x8' | '28x28';

/** Largest page the panel may ask for. */
export const MAX_PAGE_LIMIT = 1000;
/** Longest filter text accepted. */
export const MAX_FILTER_TEXT = 500;
/** Most labels a class filter may name. */
export const MAX_FILTER_LABELS = 10_000;
const MAX_LABEL_LENGTH = 1000;
const MAX_INDEX = 2 ** 31 - 1;

/** What the panel needs to show a scan. */
export interface PanelResults {
  summary: ScanSummary;
  /** Display names of the files (workspace-relative). */
  trainName: string;
  testName?: string;
  imageShape: ImageShape;
  /** True when the data file or settings changed since the scan. */
  stale: boolean;
  staleReason?: string;
  /** Training rows marked as reviewed. */
  reviewed: number[];
  /** Training rows listed per side of an explanation. */
  perSide: number;
  /** Can the host run a scan (false in an untrusted workspace)? */
  canScan: boolean;
}

export type HostToWebview =
  /** New or updated results. The panel resets its ranking when summary.key changed. */
  | { type: 'results'; results: PanelResults }
  /** Nothing scanned (yet). */
  | { type: 'noResults'; message: string; canScan: boolean }
  | { type: 'page'; requestId: number; page: RankingPage }
  | { type: 'pageError'; requestId: number; message: string }
  /** The host started explaining a row (from a command or the panel). */
  | { type: 'explaining'; source: DataSource; row: number }
  | { type: 'explanation'; result: ExplainResult }
  | { type: 'explainError'; source: DataSource; row: number; message: string }
  | { type: 'reviewed'; rows: number[] }
  /** The trust check of the explained row started / finished / failed or was cancelled. */
  | { type: 'trusting'; source: DataSource; row: number }
  | { type: 'trust'; result: TrustResult }
  | { type: 'trustError'; source: DataSource; row: number; message: string }
  /** Unsupervised scans: why a row sits in its cluster. */
  | { type: 'explainingCluster'; row: number }
  | { type: 'cluster'; result: ClusterResult }
  | { type: 'clusterError'; row: number; message: string }
  /** A scan is running (message) or finished (undefined). */
  | { type: 'busy'; message?: string }
  /** Review progress over the listed rows (the status bar's "37 of 300 reviewed"); total 0 hides it. */
  | { type: 'progress'; done: number; total: number }
  /**
   * The predicted effect of giving training row `row` the label `label` (one exact Newton step, no
   * refit), in words (`text`), or why there is none (`message`).
   */
  | { type: 'effect'; row: number; label: string; text?: string; message?: string };

export type WebviewToHost =
  /** The panel's script is listening; the host may post. */
  | { type: 'ready' }
  | { type: 'page'; requestId: number; offset: number; limit: number; filter: RankingFilter; rankBy: PanelRanking }
  | ({ type: 'explain'; source: DataSource; row: number } & ExplainOptions)
  /** Check the explained row's estimates against actual retraining (worker method trust). */
  | { type: 'trust'; source: DataSource; row: number }
  /** Unsupervised scans: explain why training row `row` is in its cluster. */
  | { type: 'explainCluster'; row: number }
  /** Open the file at a 1-based line. */
  | { type: 'open'; source: DataSource; line: number }
  | { type: 'setReviewed'; row: number; reviewed: boolean }
  /** Fix a training row's label: 'accept' its suggested label, 'change' (the host asks which class), or mark it 'correct'. */
  | { type: 'fix'; row: number; action: FixAction }
  /** The predicted effect of relabelling training row `row` to `label` (the host answers with 'effect'). */
  | { type: 'effect'; row: number; label: string }
  | { type: 'scan' };

export type FixAction = 'accept' | 'change' | 'correct';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_INDEX;
const isSource = (v: unknown): v is DataSource => v === 'train' || v === 'test';

function parseFilter(v: unknown): RankingFilter | undefined {
  if (v === undefined) return {};
  if (!isObject(v)) return undefined;
  const out: RankingFilter = {};
  if (v.labels !== undefined) {
    if (!Array.isArray(v.labels) || v.labels.length > MAX_FILTER_LABELS) return undefined;
    if (!v.labels.every((l) => typeof l === 'string' && l.length <= MAX_LABEL_LENGTH)) return undefined;
    out.labels = [...(v.labels as string[])];
  }
  if (v.text !== undefined) {
    if (typeof v.text !== 'string' || v.text.length > MAX_FILTER_TEXT) return undefined;
    out.text = v.text;
  }
  if (v.disagreeing !== undefined) {
    if (typeof v.disagreeing !== 'boolean') return undefined;
    out.disagreeing = v.disagreeing;
  }
  return out;
}

/**
 * Checks a message from the panel. Returns a fresh object with only the known fields, or undefined
 * when anything is off (the host then ignores the message and logs it).
 */
export function parseWebviewMessage(raw: unknown): WebviewToHost | undefined {
  if (!isObject(raw) || typeof raw.type !== 'string') return undefined;
  switch (raw.type) {
    case 'ready':
      return { type: 'ready' };
    case 'scan':
      return { type: 'scan' };
    case 'page': {
      if (!isIndex(raw.requestId) || !isIndex(raw.offset) || !isIndex(raw.limit, 1) || raw.limit > MAX_PAGE_LIMIT) return undefined;
      const filter = parseFilter(raw.filter);
      if (!filter) return undefined;
      const rankBy = raw.rankBy === undefined ? 'globalInfluence' : raw.rankBy;
      if (rankBy !== 'globalInfluence' && rankBy !== 'labelSuspicion' && rankBy !== 'labelIssue') return undefined;
      return { type: 'page', requestId: raw.requestId, offset: raw.offset, limit: raw.limit, filter, rankBy };
    }
    case 'explain': {
      if (!isSource(raw.source) || !isIndex(raw.row)) return undefined;
      const orderBy = raw.orderBy === undefined ? 'relatifL' : raw.orderBy;
      if (orderBy !== 'relatifL' && orderBy !== 'influence') return undefined;
      const mode = raw.mode === undefined ? 'influence' : raw.mode;
      if (mode !== 'influence' && mode !== 'newton') return undefined;
      const objective = raw.objective === undefined ? 'loss' : raw.objective;
      if (objective !== 'loss' && objective !== 'probability' && objective !== 'margin') return undefined;
      return { type: 'explain', source: raw.source, row: raw.row, orderBy, mode, objective };
    }
    case 'trust':
      if (!isSource(raw.source) || !isIndex(raw.row)) return undefined;
      return { type: 'trust', source: raw.source, row: raw.row };
    case 'explainCluster':
      if (!isIndex(raw.row)) return undefined;
      return { type: 'explainCluster', row: raw.row };
    case 'open':
      if (!isSource(raw.source) || !isIndex(raw.line, 1)) return undefined;
      return { type: 'open', source: raw.source, line: raw.line };
    case 'fix':
      if (!isIndex(raw.row) || (raw.action !== 'accept' && raw.action !== 'change' && raw.action !== 'correct')) return undefined;
      return { type: 'fix', row: raw.row, action: raw.action };
    case 'effect':
      if (!isIndex(raw.row) || typeof raw.label !== 'string' || raw.label.length > MAX_LABEL_LENGTH) return undefined;
      return { type: 'effect', row: raw.row, label: raw.label };
    case 'setReviewed':
      if (!isIndex(raw.row) || typeof raw.reviewed !== 'boolean') return undefined;
      return { type: 'setReviewed', row: raw.row, reviewed: raw.reviewed };
    default:
      return undefined;
  }
}
