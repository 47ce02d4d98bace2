/**
 * The influence panel: the full ranking of training rows by global influence (virtualised, filtered
 * by class and text), a histogram of global influence, and the explanation of the selected
 * prediction. It renders what the host sends and asks the host for everything else (protocol in
 * src/protocol/webview.ts); its UI state survives hiding and reloads through getState/setState.
 */
import { describeAnalysis, explainCapabilities, panelNotes, rankingName, whySuspicious } from '../src/protocol/wording';
import type { ClusterResult, ExampleRow, ExplainResult, RankingFilter } from '../src/protocol/types';
import { PendingRequests } from '../src/protocol/requests';
import type { DataSource, ExplainOptions, ExplainOrder, HostToWebview, PanelRanking, PanelResults } from '../src/protocol/webview';
import { h } from './dom';
import { ExplanationView, type TrustState } from './explanationView';
import { Histogram } from './histogram';
import { RankingList, ROW_HEIGHT } from './rankingList';
import type { ContentContext } from './rowContent';
import { button, checkbox, registerComponents, select, setDisabled, spinner, textInput } from './toolkit';
import { loadState, postToHost, saveState } from './vscodeApi';

interface PanelState {
  key?: string;
  label: string;
  text: string;
  disagreeing: boolean;
  selected: number;
  scrollTop: number;
  orderBy: ExplainOrder;
  mode: ExplainOptions['mode'];
  objective: ExplainOptions['objective'];
  /** The ranking the list shows (label suspicion when the scan has it, unless the user chose otherwise). */
  rankBy?: PanelRanking;
  target?: { source: DataSource; row: number };
  explanation?: ExplainResult;
  /** The trust check of the explained row (kept with it). */
  trust?: TrustState;
  /** Unsupervised scans: the cluster explanation shown. */
  cluster?: ClusterResult;
}

registerComponents();

const saved = loadState<PanelState>();
const state: PanelState = {
  key: saved.key,
  label: typeof saved.label === 'string' ? saved.label : '',
  text: typeof saved.text === 'string' ? saved.text : '',
  disagreeing: saved.disagreeing === true,
  selected: typeof saved.selected === 'number' ? saved.selected : 0,
  scrollTop: typeof saved.scrollTop === 'number' ? saved.scrollTop : 0,
  orderBy: saved.orderBy === 'influence' ? 'influence' : 'relatifL',
  mode: saved.mode === 'newton' ? 'newton' : 'influence',
  objective: saved.objective === 'probability' || saved.objective === 'margin' ? saved.objective : 'loss',
  rankBy: saved.rankBy === 'labelSuspicion' || saved.rankBy === 'globalInfluence' || saved.rankBy === 'labelIssue' ? saved.rankBy : undefined,
  target: saved.target,
  explanation: saved.explanation,
  trust: saved.trust?.status === 'done' ? saved.trust : undefined,
  cluster: saved.cluster,
};
const explainOptions = (): ExplainOptions => ({ orderBy: state.orderBy, mode: state.mode, objective: state.objective });
const persist = () => saveState(state);

let results: PanelResults | undefined;
/** Page requests in flight: a reply fills the rows at its request's offset, unless the filter changed since. */
const pages = new PendingRequests<{ offset: number }>();
/** Selection and scroll to restore once the first page tells the list its length. */
let restoreView: { selected: number; scrollTop: number } | undefined;

// ---- layout -------------------------------------------------------------------------------------
const title = h('h1', { text: 'Influence' });
const subtitle = h('p', { class: 'subtitle muted' });
const busy = h('div', { class: 'busy', attrs: { hidden: true, role: 'status' } });
const staleText = h('span');
const rescan = button('Re-scan', () => postToHost({ type: 'scan' }), { appearance: 'primary' });
const staleBanner = h('div', { class: 'stale', attrs: { hidden: true, role: 'alert' } }, [staleText, rescan]);
const analysisLine = h('p', { class: 'analysis small' });
const notesBox = h('ul', { class: 'notes small' });
const header = h('header', { class: 'top' }, [h('div', { class: 'titles' }, [title, subtitle, analysisLine, notesBox]), busy]);

const rankSelect = select('Rank rows by');
rankSelect.element.classList.add('rank-select');
const classSelect = select('Filter by class');
const textFilter = textInput('Filter rows by text…', 'Filter rows by any cell text');
const disagreeBox = checkbox('label ≠ predicted', state.disagreeing);
const histogram = new Histogram();
const foot = h('div', { class: 'list-foot muted', attrs: { role: 'status' } });
// The selected row: why it is suspicious, and the predicted effect of its suggested label (asked of
// the host; every value is set as text, never as HTML). Focusable, read out when it changes.
const rowWhy = h('p', { class: 'row-why' });
const rowEffect = h('p', { class: 'row-effect' });
const rowInfo = h('section', { class: 'row-info small', attrs: { 'aria-label': 'Selected row', 'aria-live': 'polite', tabindex: 0, hidden: true } }, [rowWhy, rowEffect]);
const progressLine = h('p', { class: 'review-progress small', attrs: { role: 'status', hidden: true } });
let effectTimer: ReturnType<typeof setTimeout> | undefined;
let effectFor: { row: number; label: string } | undefined;

function showRowInfo(row: ExampleRow | undefined): void {
  clearTimeout(effectTimer);
  effectFor = undefined;
  if (!row || row.cluster !== undefined) {
    rowInfo.hidden = true;
    return;
  }
  rowInfo.hidden = false;
  const why = whySuspicious(row);
  rowWhy.textContent = `Row ${row.row}: ${why ?? `label '${row.label}', predicted '${row.predicted}'.`}`;
  const suggested = row.suggestedLabel !== undefined && row.suggestedLabel !== row.label ? row.suggestedLabel : undefined;
  if (suggested === undefined) {
    rowEffect.textContent = 'No suggested label (L changes the label to any class, C marks it correct).';
    return;
  }
  rowEffect.textContent = `Predicted effect of '${suggested}' (A accepts): computing…`;
  effectFor = { row: row.row, label: suggested };
  // Ask once the selection rests (arrow keys move it quickly).
  effectTimer = setTimeout(() => postToHost({ type: 'effect', row: row.row, label: suggested }), 150);
}

const list = new RankingList({
  requestPage(offset, limit) {
    const requestId = pages.send({ offset });
    postToHost({ type: 'page', requestId, offset, limit, filter: currentFilter(), rankBy: state.rankBy ?? 'globalInfluence' });
  },
  select(index, row) {
    state.selected = index;
    histogram.mark(row?.globalInfluence);
    showRowInfo(row);
    persist();
  },
  fix(row, action) {
    if (results?.summary.analysis?.method === 'unsupervised') return;
    postToHost({ type: 'fix', row: row.row, action });
  },
  activate(row: ExampleRow, how) {
    if (how === 'open') postToHost({ type: 'open', source: 'train', line: row.line });
    else if (results?.summary.analysis?.method === 'unsupervised') postToHost({ type: 'explainCluster', row: row.row });
    else postToHost({ type: 'explain', source: 'train', row: row.row, ...explainOptions() });
  },
});
list.element.addEventListener('scroll', () => {
  state.scrollTop = list.scrollTop;
  persistSoon();
});

const explanation = new ExplanationView({
  open: (source, line) => postToHost({ type: 'open', source, line }),
  change: (opts) => {
    state.orderBy = opts.orderBy;
    state.mode = opts.mode;
    state.objective = opts.objective;
    persist();
    if (state.target) postToHost({ type: 'explain', source: state.target.source, row: state.target.row, ...opts });
  },
  trust: (source, row) => postToHost({ type: 'trust', source, row }),
});

const listHead = h('div', { class: 'list-head', attrs: { 'aria-hidden': 'true' } }, [
  h('span', { class: 'c-rank', text: '#' }),
  h('span', { class: 'c-row', text: 'row' }),
  h('span', { class: 'c-label', text: 'label' }),
  h('span', { class: 'c-arrow', text: '' }),
  h('span', { class: 'c-pred', text: 'pred.' }),
  h('span', { class: 'c-score score-head', text: 'global infl.' }),
  h('span', { class: 'c-flag', text: '' }),
]);
const rankingPane = h('section', { class: 'ranking-pane', attrs: { 'aria-label': 'Ranking' } }, [
  h('div', { class: 'filters' }, [rankSelect.element, classSelect.element, textFilter.element, disagreeBox.element]),
  progressLine,
  rowInfo,
  histogram.element,
  listHead,
  list.element,
  foot,
  h('p', { class: 'hint muted small', text: '↑/↓ select · Enter explain · Shift+Enter open the line · double-click opens · A accept the suggested label · L change the label · C mark it correct' }),
]);
const layout = h('main', { class: 'layout' }, [rankingPane, explanation.element]);
const empty = h('div', { class: 'empty', attrs: { hidden: true } });

const app = document.getElementById('app')!;
app.replaceChildren(header, staleBanner, layout, empty);

// ---- filters ------------------------------------------------------------------------------------
function currentFilter(): RankingFilter {
  const f: RankingFilter = {};
  if (state.label) f.labels = [state.label];
  if (state.text.trim()) f.text = state.text.trim();
  if (state.disagreeing) f.disagreeing = true;
  return f;
}

function refilter(): void {
  pages.dropAll();
  persist();
  foot.textContent = 'Loading…';
  list.reset();
}

/** The list's score column follows the ranking. */
function applyRanking(): void {
  const by = state.rankBy ?? 'globalInfluence';
  const name = rankingName(by, results?.summary);
  list.setScore(name, by === 'labelSuspicion' ? (r) => r.labelSuspicion ?? NaN : by === 'labelIssue' ? (r) => r.labelIssueScore ?? NaN : (r) => r.globalInfluence);
  const head = listHead.querySelector('.score-head');
  if (head) head.textContent = by === 'labelSuspicion' ? 'suspicion' : by === 'labelIssue' ? 'label issue' : results?.summary.analysis?.method === 'unsupervised' ? 'distance' : 'global infl.';
}
rankSelect.onChange((v) => {
  if (v !== 'labelSuspicion' && v !== 'globalInfluence' && v !== 'labelIssue') return;
  if (v === state.rankBy) return;
  state.rankBy = v;
  applyRanking();
  refilter();
});
classSelect.onChange((v) => {
  state.label = v;
  refilter();
});
let textTimer: ReturnType<typeof setTimeout> | undefined;
textFilter.value = state.text;
textFilter.onInput((v) => {
  clearTimeout(textTimer);
  textTimer = setTimeout(() => {
    if (v === state.text) return;
    state.text = v;
    refilter();
  }, 250);
});
disagreeBox.onChange((v) => {
  state.disagreeing = v;
  refilter();
});
let persistTimer: ReturnType<typeof setTimeout> | undefined;
function persistSoon(): void {
  clearTimeout(persistTimer);
  persistTimer = setTimeout(persist, 200);
}

// ---- messages from the host ----------------------------------------------------------------------
function contentContext(): ContentContext {
  return { columns: results?.summary.dataset.columns ?? [], imageShape: results?.imageShape ?? 'none' };
}

/** The explanation without the scan's own notes (the header shows those already). */
const withOwnNotes = (e: ExplainResult): ExplainResult => {
  const scanNotes = new Set(results?.summary.analysis?.notes ?? []);
  return e.notes ? { ...e, notes: e.notes.filter((n) => !scanNotes.has(n)) } : e;
};
const capabilities = () => explainCapabilities(results?.summary ?? {});
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

let rankingOptions: { value: PanelRanking; label: string }[] = [];

// A click on a histogram bar shows that bar's rows: the ranking by global influence, scrolled to the
// bar's first row (selected).
histogram.onPick = (_bin, firstIndex, count) => {
  if (!results) return;
  if (state.label || state.text.trim() || state.disagreeing) {
    foot.textContent = 'Clear the filters to jump to a histogram bar’s rows.';
    return;
  }
  if (state.rankBy !== 'globalInfluence') {
    state.rankBy = 'globalInfluence';
    rankSelect.setOptions(rankingOptions, 'globalInfluence');
    applyRanking();
  }
  // Kept in the state too: a results message before the page arrives restores the view from the state.
  state.selected = firstIndex;
  state.scrollTop = Math.max(0, firstIndex * ROW_HEIGHT - 2 * ROW_HEIGHT);
  restoreView = { selected: state.selected, scrollTop: state.scrollTop };
  refilter();
  foot.textContent = `Showing the ${count} row${count === 1 ? '' : 's'} of the histogram bar from rank ${firstIndex + 1}`;
};

function showResults(r: PanelResults): void {
  const fresh = r.summary.key !== state.key;
  results = r;
  empty.hidden = true;
  layout.hidden = false;
  header.hidden = false;
  const d = r.summary.dataset;
  const m = r.summary.model;
  title.textContent = `Influence: ${r.trainName}`;
  subtitle.textContent =
    // NaN crosses postMessage as null (unsupervised accuracy, networks' gradient norm).
    `${d.rows} rows · ${r.summary.analysis?.method === 'unsupervised' ? `${m.clusters ?? '?'} clusters` : `${d.classes.length} classes`} · ${m.parameters} parameters` +
    (isNum(m.trainAccuracy) ? ` · train accuracy ${(m.trainAccuracy * 100).toFixed(1)}%` : '') +
    (isNum(m.testAccuracy) && r.testName ? ` · test accuracy ${(m.testAccuracy * 100).toFixed(1)}% (${r.testName})` : '') +
    (isNum(m.gradNorm) ? ` · gradient norm ${m.gradNorm.toExponential(1)}` : '');
  analysisLine.textContent = describeAnalysis(r.summary);
  // Column notes (identifiers left out, hashed text, ...) first, then the analysis's notes.
  notesBox.replaceChildren(...panelNotes(r.summary).map((n) => h('li', { text: n })));
  staleBanner.hidden = !r.stale;
  staleText.textContent = r.stale ? `Out of date: ${r.staleReason ?? 'the data changed since the scan'}. ` : '';
  setDisabled(rescan, !r.canScan);
  histogram.set(r.summary.histogram, d.rows);
  const longest = Math.max(4, ...d.classes.map((c) => c.length));
  document.documentElement.style.setProperty('--label-w', `${Math.min(longest, 16) + 1}ch`);
  if (!d.classes.includes(state.label)) state.label = '';
  classSelect.setOptions([{ value: '', label: 'All classes' }, ...d.classes.map((c) => ({ value: c, label: `class ${c}` }))], state.label);
  list.setReviewed(r.reviewed);
  // Both rankings when the scan computed label suspicion (it comes first then), else global influence.
  const rankings: { value: PanelRanking; label: string }[] = [
    ...(r.summary.detection ? [{ value: 'labelIssue' as const, label: `Rank by label issue (${r.summary.detection.rankedBy === 'selfConfidence' ? 'self-confidence' : r.summary.detection.choice})` }] : []),
    ...(r.summary.labelSuspicion ? [{ value: 'labelSuspicion' as const, label: 'Rank by label suspicion' }] : []),
    { value: 'globalInfluence', label: `Rank by ${rankingName('globalInfluence', r.summary)}` },
  ];
  rankingOptions = rankings;
  if (fresh || !rankings.some((o) => o.value === state.rankBy)) state.rankBy = rankings[0].value;
  rankSelect.setOptions(rankings, state.rankBy!);
  applyRanking();

  if (fresh) {
    state.key = r.summary.key;
    state.selected = 0;
    state.scrollTop = 0;
    state.explanation = undefined;
    state.trust = undefined;
    state.cluster = undefined;
    state.target = undefined;
    explanation.showEmpty('Select a row in the ranking (Enter), or run “Dataset Debugger: Explain Prediction” on a row of the test file.');
    restoreView = undefined;
  } else {
    restoreView = { selected: state.selected, scrollTop: state.scrollTop };
    if (state.cluster) explanation.showCluster(state.cluster, contentContext());
    else if (state.explanation) explanation.show(withOwnNotes(state.explanation), contentContext(), explainOptions(), state.trust, capabilities());
  }
  refilter();
}

function showNoResults(message: string, canScan: boolean): void {
  results = undefined;
  layout.hidden = true;
  staleBanner.hidden = true;
  empty.hidden = false;
  empty.replaceChildren(
    h('p', { text: message }),
    canScan ? button('Scan for Suspicious Labels', () => postToHost({ type: 'scan' }), { appearance: 'primary' }) : h('p', { class: 'muted', text: 'Scanning needs a trusted workspace.' }),
  );
}

function onMessage(msg: HostToWebview): void {
  switch (msg.type) {
    case 'results':
      showResults(msg.results);
      return;
    case 'noResults':
      showNoResults(msg.message, msg.canScan);
      return;
    case 'page': {
      const p = pages.settle(msg.requestId);
      if (!p) return;
      list.setPage(p.offset, msg.page.rows, msg.page.total);
      const filtered = state.label || state.text.trim() || state.disagreeing;
      foot.textContent = `${msg.page.total} ${filtered ? 'matching ' : ''}row${msg.page.total === 1 ? '' : 's'}` + (results ? ` of ${results.summary.dataset.rows}` : '');
      if (restoreView) {
        const v = restoreView;
        restoreView = undefined;
        list.restore(Math.min(v.selected, Math.max(0, msg.page.total - 1)), v.scrollTop);
        list.select(list.selectedIndex, false);
      }
      return;
    }
    case 'pageError': {
      const p = pages.settle(msg.requestId);
      if (!p) return;
      list.pageFailed(p.offset);
      foot.textContent = msg.message;
      return;
    }
    case 'explaining':
      state.target = { source: msg.source, row: msg.row };
      persist();
      explanation.showLoading(msg.source, msg.row);
      return;
    case 'explanation': {
      const sameRow = state.explanation?.test.source === msg.result.test.source && state.explanation?.test.row === msg.result.test.row;
      state.target = { source: msg.result.test.source, row: msg.result.test.row };
      state.explanation = msg.result;
      state.cluster = undefined;
      if (!sameRow) state.trust = undefined;
      if (msg.result.orderBy) state.orderBy = msg.result.orderBy;
      if (msg.result.mode) state.mode = msg.result.mode;
      if (msg.result.objective) state.objective = msg.result.objective.kind;
      persist();
      explanation.show(withOwnNotes(msg.result), contentContext(), explainOptions(), state.trust, capabilities());
      return;
    }
    case 'trusting':
    case 'trust':
    case 'trustError': {
      const at = msg.type === 'trust' ? { source: msg.result.test.source, row: msg.result.test.row } : { source: msg.source, row: msg.row };
      const e = state.explanation;
      if (!e || e.test.source !== at.source || e.test.row !== at.row || state.cluster) return;
      state.trust =
        msg.type === 'trusting' ? { status: 'running' } : msg.type === 'trust' ? { status: 'done', result: msg.result } : { status: 'error', message: msg.message };
      persist();
      explanation.show(withOwnNotes(e), contentContext(), explainOptions(), state.trust, capabilities());
      return;
    }
    case 'explainingCluster':
      state.target = { source: 'train', row: msg.row };
      persist();
      explanation.showLoading('train', msg.row);
      return;
    case 'cluster':
      state.target = { source: 'train', row: msg.result.row };
      state.cluster = msg.result;
      state.explanation = undefined;
      state.trust = undefined;
      persist();
      explanation.showCluster(msg.result, contentContext());
      return;
    case 'clusterError':
      if (state.target && (state.target.source !== 'train' || state.target.row !== msg.row)) return;
      explanation.showError('train', msg.row, msg.message);
      return;
    case 'explainError':
      if (state.target && (state.target.source !== msg.source || state.target.row !== msg.row)) return;
      explanation.showError(msg.source, msg.row, msg.message);
      return;
    case 'reviewed':
      if (results) results.reviewed = msg.rows;
      list.setReviewed(msg.rows);
      return;
    case 'progress':
      progressLine.hidden = msg.total === 0;
      progressLine.textContent = `Review: ${msg.done} of ${msg.total} listed rows reviewed (fixed, marked correct or marked reviewed)`;
      return;
    case 'effect':
      if (!effectFor || effectFor.row !== msg.row || effectFor.label !== msg.label) return;
      rowEffect.textContent = `Predicted effect of '${msg.label}' (A accepts): ${msg.text ?? msg.message ?? ''}`;
      return;
    case 'busy':
      busy.hidden = msg.message === undefined;
      busy.replaceChildren(...(msg.message ? [spinner('Scanning'), h('span', { text: msg.message.replace(/^Dataset Debugger: /, '') })] : []));
      return;
  }
}

window.addEventListener('message', (e: MessageEvent) => {
  const msg = e.data as HostToWebview;
  if (msg && typeof msg === 'object' && typeof msg.type === 'string') onMessage(msg);
});

postToHost({ type: 'ready' });
