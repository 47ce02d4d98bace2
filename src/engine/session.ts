/**
 * One warm analysis of one data set: parse -> schema -> features -> fit -> exact influence, then
 * cheap queries (ranking pages, explanations, row cells) against the kept state. The worker keeps
 * one Session per workspace; the CLI makes one per run.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { encodeLabels, FeatureEncoder } from '../data/features';
import { inferSchema, type Schema } from '../data/schema';
import { cellError, readTable } from '../data/table';
import type { Table } from '../data/types';
import { ExactInfluence } from '../influence/exact';
import { labelSuspicion } from '../influence/labelSuspicion';
import { newtonLooChange } from '../influence/loo';
import { trustCheck } from '../influence/trust';
import { fitLogistic, predictProba, type FitReport, type LogisticData } from '../model/logistic';
import type {
  ColumnsParams,
  ColumnsResult,
  ExplainParams,
  LinesParams,
  LinesResult,
  PageParams,
  RowsParams,
  ScanParams,
  ScanReply,
  TrustParams,
} from '../protocol/worker';
import type {
  ExampleRow,
  ExplainResult,
  InfluenceRow,
  RankBy,
  RankingPage,
  RowCells,
  ScanSummary,
  TrustResult,
} from '../protocol/types';
import { Checkpoint, NO_CHECKPOINT } from '../util/cancel';
import { ConvergenceError, UserError } from '../util/errors';
import { argmaxRow, histogram, sortedOrder } from './ranking';

export const DEFAULT_L2 = 1e-3;

interface TestSet {
  table: Table;
  X: Float64Array;
  /** Class index per test record, -1 where the label is missing or the file has no label column. */
  y: Int32Array;
}

interface ScanState {
  params: ScanParams;
  summary: ScanSummary;
  table: Table;
  schema: Schema;
  /** Training record index (into table.records) per model row. */
  records: number[];
  classes: string[];
  data: LogisticData;
  fit: FitReport;
  influence: ExactInfluence;
  /** Label suspicion per row, its suggested class, and the M_i blocks it computed (reused by the Newton-step explain). */
  suspicion?: { score: Float64Array; suggested: Int32Array; blocks: Float64Array };
  predicted: Int32Array;
  orders: Partial<Record<RankBy, Int32Array>>;
  test?: TestSet;
}

export class Session {
  private state?: ScanState;

  get scanned(): boolean {
    return this.state !== undefined;
  }

  get summary(): ScanSummary | undefined {
    return this.state?.summary;
  }

  async scan(params: ScanParams, cp: Checkpoint = NO_CHECKPOINT): Promise<ScanReply> {
    const l2 = params.l2 ?? DEFAULT_L2;
    if (!(l2 > 0) || !Number.isFinite(l2)) throw new UserError(`l2 must be a positive number (got ${params.l2}).`);
    const damping = params.damping ?? 0;
    if (!(damping >= 0) || !Number.isFinite(damping)) throw new UserError(`damping must be >= 0 (got ${params.damping}).`);
    const timings: Record<string, number> = {};
    let t = performance.now();
    const lap = (stage: string) => {
      const now = performance.now();
      timings[stage] = (now - t) / 1000;
      t = now;
    };

    cp.begin('parse', `Reading ${params.file}`);
    const [table, contentHash] = await Promise.all([readTable(params.file, { checkpoint: cp }), hashFile(params.file)]);
    const schema = inferSchema(table, { label: params.label, ignore: params.ignore, kinds: params.kinds });
    const labels = encodeLabels(table, schema);
    const encoder = FeatureEncoder.fit(table, schema, labels.records);
    const X = encoder.transform(table, labels.records);
    const N = labels.records.length;
    const D = encoder.dim;
    const K = labels.classes.length;
    const data: LogisticData = { X, N, D, K, y: labels.y };
    let test: TestSet | undefined;
    let testHash = '';
    if (params.test) {
      const [testTable, h] = await Promise.all([readTable(params.test, { checkpoint: cp }), hashFile(params.test)]);
      testHash = h;
      test = encodeTestSet(testTable, schema, encoder, labels.classes);
    }
    lap('parse');

    cp.begin('fit', `Fitting logistic regression: ${N} rows, ${K} classes, ${K * D} parameters`);
    const fit = await fitLogistic(data, { l2, checkpoint: cp });
    if (!fit.converged) {
      throw new ConvergenceError(
        `The model fit did not converge (gradient norm ${fit.gradNorm.toExponential(2)} after ${fit.iterations} iterations), ` +
          `so influence would not be meaningful. Try a larger l2 (for example ${(l2 * 10).toExponential(0)}), ` +
          `or ignore columns that duplicate others or leak the label.`,
      );
    }
    lap('fit');

    cp.begin('influence', `Hessian (${K * D} x ${K * D}), Cholesky and self-influence of ${N} rows`);
    const influence = await ExactInfluence.build(data, fit.W, { l2, damping, checkpoint: cp });
    lap('influence');
    // RelatIF's theta-relative norms ||H^-1 g_i|| once, so that every explain is a cheap query.
    cp.begin('relatif', `RelatIF norms of ${N} rows`);
    await influence.prepareRelatif(cp);
    lap('relatif');
    // Label suspicion (docs/label-suspicion.md): leave-one-out, reweighted refit, leave-one-out again.
    let suspicion: ScanState['suspicion'];
    let suspicionInfo: ScanSummary['labelSuspicion'];
    if (params.labelSuspicion !== false) {
      cp.begin('labelSuspicion', `Label suspicion of ${N} rows: leave-one-out, reweighted refit, leave-one-out again`);
      const ls = await labelSuspicion(influence, { checkpoint: cp });
      suspicion = { score: ls.suspicion, suggested: ls.suggested, blocks: ls.blocks };
      suspicionInfo = { method: 'reweighted-loo', refitIterations: ls.refit.iterations, refitNewtonSteps: ls.refit.newtonSteps };
      lap('labelSuspicion');
    }

    const P = predictProba(fit.W, X, N, D, K);
    const predicted = argmaxRow(P, N, K);
    let correct = 0;
    for (let i = 0; i < N; i++) if (predicted[i] === labels.y[i]) correct++;
    let testAccuracy: number | undefined;
    if (test) {
      const n = test.y.length;
      const Pt = predictProba(fit.W, test.X, n, D, K);
      const pt = argmaxRow(Pt, n, K);
      let labelled = 0;
      let ok = 0;
      for (let i = 0; i < n; i++) {
        if (test.y[i] < 0) continue;
        labelled++;
        if (pt[i] === test.y[i]) ok++;
      }
      testAccuracy = labelled > 0 ? ok / labelled : undefined;
    }
    const orders: ScanState['orders'] = {
      globalInfluence: sortedOrder(influence.selfInfluence),
      loss: sortedOrder(influence.loss),
      labelSuspicion: suspicion && sortedOrder(suspicion.score),
    };
    lap('rank');

    const key = createHash('sha256')
      .update(JSON.stringify({ contentHash, testHash, params: { ...params, firstPage: undefined, rankBy: undefined }, l2, damping }))
      .digest('hex')
      .slice(0, 16);
    const summary: ScanSummary = {
      key,
      dataset: {
        file: params.file,
        rows: N,
        classes: labels.classes,
        features: D,
        columns: table.columns.map((name) => {
          if (name === schema.label.name) return { name, kind: 'label' as const };
          const f = schema.features.find((c) => c.name === name);
          return { name, kind: f ? f.kind : ('ignored' as const) };
        }),
        skippedRows: labels.skipped,
        droppedConstant: encoder.report.droppedConstant,
        missing: encoder.report.missing,
        skippedText: encoder.report.skippedText,
        test: test && params.test ? { file: params.test, rows: test.y.length } : undefined,
      },
      model: {
        kind: 'logistic-regression',
        parameters: K * D,
        l2,
        gradNorm: fit.gradNorm,
        objective: fit.objective,
        iterations: fit.iterations,
        newtonSteps: fit.newtonSteps,
        trainAccuracy: correct / N,
        testAccuracy,
      },
      influence: { method: 'exact-cholesky', damping },
      labelSuspicion: suspicionInfo,
      timings,
      histogram: histogram(influence.selfInfluence, 30),
    };
    this.state = { params, summary, table, schema, records: labels.records, classes: labels.classes, data, fit, influence, suspicion, predicted, orders, test };
    const first = this.page({ rankBy: params.rankBy ?? 'globalInfluence', offset: 0, limit: params.firstPage ?? 200 });
    return { summary, first };
  }

  private get current(): ScanState {
    if (!this.state) throw new UserError('No scan yet: scan a data file first.');
    return this.state;
  }

  /** Every training row as a ranked list (the CLI's --json output). */
  allExamples(rankBy: RankBy = 'globalInfluence'): ExampleRow[] {
    return this.page({ rankBy, offset: 0, limit: Number.MAX_SAFE_INTEGER }).rows;
  }

  page(params: PageParams): RankingPage {
    const s = this.current;
    const order = s.orders[params.rankBy];
    if (!order) {
      throw new UserError(
        params.rankBy === 'labelSuspicion' ? 'This scan did not compute label suspicion (scan with labelSuspicion on).' : `Unknown ranking '${params.rankBy}'.`,
      );
    }
    const f = params.filter;
    const labelSet = f?.labels && f.labels.length > 0 ? new Set(f.labels) : undefined;
    const needle = f?.text?.trim().toLowerCase() || undefined;
    const offset = Math.max(0, Math.floor(params.offset));
    const limit = Math.max(0, Math.floor(params.limit));
    const rows: ExampleRow[] = [];
    let total = 0;
    for (let rank = 0; rank < order.length; rank++) {
      const i = order[rank];
      if (labelSet && !labelSet.has(s.classes[s.data.y[i]])) continue;
      if (f?.disagreeing !== undefined && (s.predicted[i] !== s.data.y[i]) !== f.disagreeing) continue;
      if (needle && !recordMatches(s.table.records[s.records[i]].cells, needle)) continue;
      if (total >= offset && rows.length < limit) rows.push({ ...this.example(i), rank });
      total++;
    }
    return { rankBy: params.rankBy, total, offset, rows };
  }

  private example(i: number): ExampleRow {
    const s = this.current;
    const rec = s.table.records[s.records[i]];
    return {
      row: rec.row,
      line: rec.line,
      label: s.classes[s.data.y[i]],
      predicted: s.classes[s.predicted[i]],
      globalInfluence: s.influence.selfInfluence[i],
      loss: s.influence.loss[i],
      labelSuspicion: s.suspicion?.score[i],
      suggestedLabel: s.suspicion ? s.classes[s.suspicion.suggested[i]] : undefined,
    };
  }

  /** Model row index of a training data row (rows with a missing label are not in the model). */
  private modelIndexOfRow(row: number): number {
    const s = this.current;
    // records are in file order, so binary search on the data row.
    let lo = 0;
    let hi = s.records.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = s.table.records[s.records[mid]].row;
      if (r === row) return mid;
      if (r < row) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new UserError(`Training row ${row} is not in the model (it has no label, or is out of range 0..${s.table.records.length - 1}).`);
  }

  /** The features, label and explained class of a test or training row (explain and trust). */
  private point(params: { source: 'test' | 'train'; row: number; target?: 'label' | 'predicted' }) {
    const s = this.current;
    const { D, K } = s.data;
    let x: Float64Array;
    let labelIdx: number;
    let file: string;
    let table: Table;
    let recIdx: number;
    if (params.source === 'test') {
      if (!s.test) throw new UserError('No test file in this scan: add one to explain test rows, or explain a training row.');
      const n = s.test.y.length;
      if (!Number.isInteger(params.row) || params.row < 0 || params.row >= n) {
        throw new UserError(`Test row ${params.row} is out of range (0..${n - 1}).`);
      }
      recIdx = params.row;
      x = s.test.X.subarray(params.row * D, (params.row + 1) * D);
      labelIdx = s.test.y[params.row];
      file = s.params.test!;
      table = s.test.table;
    } else {
      const i = this.modelIndexOfRow(params.row);
      recIdx = s.records[i];
      x = s.data.X.subarray(i * D, (i + 1) * D);
      labelIdx = s.data.y[i];
      file = s.params.file;
      table = s.table;
    }
    const p = predictProba(s.fit.W, x, 1, D, K);
    const pred = argmaxRow(p, 1, K)[0];
    const target = params.target === 'predicted' || labelIdx < 0 ? pred : labelIdx;
    return { x, labelIdx, file, table, recIdx, pred, target };
  }

  /** The explained point as the protocol shows it. */
  private explainedPoint(
    source: 'test' | 'train',
    pt: ReturnType<Session['point']>,
    probabilities: Float64Array,
    testLoss: number,
    withCells?: boolean,
  ): ExplainResult['test'] {
    const s = this.current;
    const rec = pt.table.records[pt.recIdx];
    const probs: Record<string, number> = {};
    s.classes.forEach((c, k) => (probs[c] = probabilities[k]));
    return {
      source,
      file: pt.file,
      row: rec.row,
      line: rec.line,
      label: pt.labelIdx >= 0 ? s.classes[pt.labelIdx] : undefined,
      predicted: s.classes[pt.pred],
      probabilities: probs,
      target: s.classes[pt.target],
      testLoss,
      cells: withCells ? cellsOf(pt.table, pt.recIdx) : undefined,
    };
  }

  explain(params: ExplainParams): ExplainResult {
    const s = this.current;
    const mode = params.mode ?? 'influence';
    if (mode !== 'influence' && mode !== 'newton') throw new UserError(`Unknown explain mode '${mode}' (influence or newton).`);
    const pt = this.point(params);
    const { x, target } = pt;
    const e = s.influence.explain(x, target);
    const looChange = mode === 'newton' ? newtonLooChange(s.influence, x, target, s.suspicion?.blocks) : undefined;
    const order = sortedOrder(e.relatifL, true);
    const top = params.top === 'all' ? order.length : Math.max(0, Math.min(order.length, params.top ?? 20));
    const influence: InfluenceRow[] = [];
    for (let r = 0; r < top; r++) {
      const i = order[r];
      const rec = s.table.records[s.records[i]];
      influence.push({
        row: rec.row,
        line: rec.line,
        label: s.classes[s.data.y[i]],
        influence: e.influence[i],
        relatifTheta: e.relatifTheta[i],
        relatifL: e.relatifL[i],
        looChange: looChange?.[i],
        cells: params.withCells ? cellsOf(s.table, s.records[i]) : undefined,
      });
    }
    const sides = params.perSide !== undefined ? this.sides({ ...e, looChange }, params, Math.max(0, Math.floor(params.perSide))) : undefined;
    return {
      test: this.explainedPoint(params.source, pt, e.probabilities, e.testLoss, params.withCells),
      influence,
      total: order.length,
      ...sides,
      mode,
    };
  }

  /** The `perSide` strongest supporting (influence < 0) and opposing (influence > 0) rows, by `orderBy`. */
  private sides(
    e: { influence: Float64Array; relatifTheta: Float64Array; relatifL: Float64Array; looChange?: Float64Array },
    params: ExplainParams,
    perSide: number,
  ): Pick<ExplainResult, 'supporting' | 'opposing' | 'orderBy'> {
    const s = this.current;
    const orderBy = params.orderBy === 'influence' ? 'influence' : 'relatifL';
    const key = orderBy === 'influence' ? e.influence : e.relatifL;
    const order = sortedOrder(key); // largest (most opposing) first
    const toRow = (i: number): InfluenceRow => {
      const rec = s.table.records[s.records[i]];
      return {
        row: rec.row,
        line: rec.line,
        label: s.classes[s.data.y[i]],
        influence: e.influence[i],
        relatifTheta: e.relatifTheta[i],
        relatifL: e.relatifL[i],
        looChange: e.looChange?.[i],
        cells: params.withCells ? cellsOf(s.table, s.records[i]) : undefined,
      };
    };
    const opposing: InfluenceRow[] = [];
    for (let r = 0; r < order.length && opposing.length < perSide && e.influence[order[r]] > 0; r++) opposing.push(toRow(order[r]));
    const supporting: InfluenceRow[] = [];
    for (let r = order.length - 1; r >= 0 && supporting.length < perSide && e.influence[order[r]] < 0; r--) supporting.push(toRow(order[r]));
    return { supporting, opposing, orderBy };
  }

  /**
   * The trust check of one explained point (src/influence/trust.ts): refits without a seeded sample
   * of rows and without random half subsets, and reports how well first-order and Newton-step
   * estimates agree with them. Long (dozens of refits); ticks and honours the checkpoint.
   */
  async trust(params: TrustParams, cp: Checkpoint = NO_CHECKPOINT): Promise<TrustResult> {
    const s = this.current;
    const pt = this.point(params);
    const seed = params.seed ?? 0;
    for (const [name, v] of [['rows', params.rows], ['subsets', params.subsets], ['seed', params.seed]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new UserError(`trust: ${name} must be a whole number >= 0 (got ${v}).`);
    }
    const rows = params.rows ?? 30;
    const subsets = params.subsets ?? 20;
    cp.begin('trust', `Trust check: ${Math.min(rows, s.data.N)} leave-one-out refits and ${subsets} refits on half the rows`);
    const tc = await trustCheck(s.influence, pt.x, pt.target, { rows, subsets, seed, blocks: s.suspicion?.blocks, checkpoint: cp });
    const probabilities = predictProba(s.fit.W, pt.x, 1, s.data.D, s.data.K);
    return {
      test: this.explainedPoint(params.source, pt, probabilities, tc.testLoss),
      leaveOneOut: {
        rows: tc.rows.map((r) => {
          const rec = s.table.records[s.records[r.index]];
          return { row: rec.row, line: rec.line, label: s.classes[s.data.y[r.index]], picked: r.picked, firstOrder: r.firstOrder, newton: r.newton, actual: r.actual };
        }),
        firstOrder: tc.firstOrder,
        newton: tc.newton,
        seconds: tc.timings.leaveOneOut,
      },
      lds: tc.lds && {
        subsets: tc.lds.subsets,
        fraction: tc.lds.fraction,
        spearman: tc.lds.spearman,
        pearson: tc.lds.pearson,
        predicted: tc.lds.predicted,
        actual: tc.lds.actual,
        seconds: tc.timings.subsets,
      },
      seed,
    };
  }

  /** Start line, data row and label cell of every record of the scanned training or test file. */
  lines(params: LinesParams): LinesResult {
    const s = this.current;
    const table = params.source === 'test' ? s.test?.table : s.table;
    if (!table) throw new UserError('No test file in this scan.');
    const j = table.columns.indexOf(s.schema.label.name);
    return {
      rows: table.records.map((r) => r.row),
      lines: table.records.map((r) => r.line),
      labels: table.records.map((r) => (j >= 0 ? r.cells[j] ?? null : null)),
    };
  }

  /** Reads a data file's columns (no scan needed; does not change the session). */
  static async columns(params: ColumnsParams, cp: Checkpoint = NO_CHECKPOINT): Promise<ColumnsResult> {
    cp.begin('parse', `Reading ${params.file}`);
    const table = await readTable(params.file, { checkpoint: cp });
    const distinct: Record<string, number> = {};
    table.columns.forEach((name, j) => {
      const seen = new Set<string>();
      for (const r of table.records) {
        const v = r.cells[j];
        if (v !== null) seen.add(v);
        if (seen.size > 50) break;
      }
      distinct[name] = seen.size;
    });
    return { file: params.file, format: table.format, columns: table.columns, rows: table.records.length, distinct };
  }

  rows(params: RowsParams): { rows: { row: number; line: number; cells: RowCells }[] } {
    const s = this.current;
    const table = params.source === 'test' ? s.test?.table : s.table;
    if (!table) throw new UserError('No test file in this scan.');
    return {
      rows: params.rows.map((row) => {
        const idx = table.records[row]?.row === row ? row : table.records.findIndex((r) => r.row === row);
        if (idx < 0) throw new UserError(`Row ${row} is out of range (0..${table.records.length - 1}).`);
        return { row, line: table.records[idx].line, cells: cellsOf(table, idx) };
      }),
    };
  }
}

function encodeTestSet(table: Table, schema: Schema, encoder: FeatureEncoder, classes: string[]): TestSet {
  const all = table.records.map((_, i) => i);
  const X = encoder.transform(table, all);
  const y = new Int32Array(all.length).fill(-1);
  const j = table.columns.indexOf(schema.label.name);
  if (j >= 0) {
    const index = new Map(classes.map((c, k) => [c, k]));
    for (let i = 0; i < all.length; i++) {
      const v = table.records[i].cells[j];
      if (v === null) continue;
      const k = index.get(v);
      if (k === undefined) {
        throw cellError(table, table.records[i], j, `label '${v}' is not one of the training classes (${classes.join(', ')})`);
      }
      y[i] = k;
    }
  }
  return { table, X, y };
}

function cellsOf(table: Table, recIdx: number): RowCells {
  const out: RowCells = {};
  const cells = table.records[recIdx].cells;
  table.columns.forEach((c, j) => (out[c] = cells[j] ?? null));
  return out;
}

function recordMatches(cells: (string | null)[], needle: string): boolean {
  for (const c of cells) if (c !== null && c.toLowerCase().includes(needle)) return true;
  return false;
}

function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}
