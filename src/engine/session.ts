/**
 * One warm analysis of one data set: parse -> schema -> features -> model + influence (an Analysis,
 * src/engine/analysis.ts, chosen by ScanParams.model / method / unsupervised), then cheap queries
 * (ranking pages, explanations, row cells) against the kept state. The worker keeps one Session per
 * workspace; the CLI makes one per run.
 */
import { createHash } from 'node:crypto';
import { encodeLabels, FeatureEncoder } from '../data/features';
import { inferSchema } from '../data/schema';
import { readTable } from '../data/table';
import type { Table } from '../data/types';
import type { TestObjective } from '../influence/crossLoss';
import type { ExactInfluence } from '../influence/exact';
import { labelSuspicion, type LabelSuspicionOptions, type SuspicionCurvature } from '../influence/labelSuspicion';
import type { ForestLeaves } from '../detect/forest';
import { naiveBayesMaxTerms } from '../detect/naiveBayes';
import { tableTermCounts } from '../data/termCounts';
import { detectLabelErrors, readsWords, weakModelNote, type DetectorOptions } from '../detect/detector';
import { unsureLabelsNote } from '../detect/errorEstimate';
import { KNN_EXACT_MAX_ROWS, KNN_REFERENCE_ROWS, type KnnNeighbours } from '../detect/crossFit';
import { newtonLooChange } from '../influence/loo';
import { predictRelabel, verifyRelabel, type Relabel } from '../influence/relabel';
import { trustCheck } from '../influence/trust';
import type { LogisticData } from '../model/logistic';
import type {
  ColumnsParams,
  ColumnsResult,
  ExplainClusterParams,
  ExplainParams,
  LinesParams,
  LinesResult,
  PageParams,
  RelabelParams,
  RelabelResult,
  RowsParams,
  ScanParams,
  ScanReply,
  TrustParams,
} from '../protocol/worker';
import type {
  ClusterResult,
  ClusterRow,
  ExampleRow,
  ExplainObjectiveInfo,
  ExplainResult,
  InfluenceRow,
  RankBy,
  RankingPage,
  RowCells,
  ScanSummary,
  TrustResult,
} from '../protocol/types';
import { Checkpoint, NO_CHECKPOINT } from '../util/cancel';
import { UserError } from '../util/errors';
import { stageTimer } from '../util/timer';
import { DEFAULTS, resolveExplainOptions, resolveScanOptions, SCAN_RANKINGS } from '../options/options';
import { buildAnalysis, type BuildContext, type PointExplanation } from './analysis';
import { LabelNeighbours } from './neighbours';
import { readScanFile } from './labelReread';
import { keepsSuspicionCurvature, knnSearchTerms, LBFGS_WARM_MAX_CHANGED, QUICK_KNN_MIN_TERMS, sameScanParams, warmMismatch } from './rescore';
import { lazyOrders, type ScanState } from './state';
import { argmaxRow, histogram, sortedOrder } from './ranking';
import { cellsOf, recordMatches, recordRef } from './records';
import { allRows, columnNotes, encodeTestSet, hashFile, unlabelledSchema, type TestSet } from './scanInputs';

/** Whether a full scan keeps kNN's folds and neighbours for quick re-scores: its search cost QUICK_KNN_MIN_TERMS or more. */
function keepKnn(nb: KnnNeighbours | undefined, N: number): boolean {
  return nb !== undefined && knnSearchTerms(N, nb.d, KNN_EXACT_MAX_ROWS, KNN_REFERENCE_ROWS) >= QUICK_KNN_MIN_TERMS;
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
    const { l2, damping, model, method } = resolveScanOptions(params);
    const { timings, lap } = stageTimer();

    cp.begin('parse', `Reading ${params.file}`);
    const readOpts = { checkpoint: cp, format: params.format, quoting: params.quoting };
    // A re-score with the same parameters compares the file's bytes with the last scan's, and reads
    // only the changed label cells when nothing else changed (labelReread.ts).
    const last = params.warmStart && this.state?.source && this.state.schema.label.index >= 0 && sameScanParams(this.state.params, params) ? this.state : undefined;
    const read = await readScanFile(
      params.file,
      () => readTable(params.file, readOpts),
      () => hashFile(params.file),
      last && { table: last.table, source: last.source, label: last.schema.label.index },
    );
    const { table, hash: contentHash } = read;
    const unsupervised = params.unsupervised === true || params.label === undefined;
    if (unsupervised && params.method === 'turnOverDropout') throw new UserError('Turn-over dropout needs a label column; the unsupervised mode explains cluster membership.');
    const schema = unsupervised
      ? unlabelledSchema(table, params)
      : inferSchema(table, { label: params.label as string, ignore: params.ignore, kinds: params.kinds, maxClasses: params.maxClasses });
    const labels = unsupervised ? allRows(table) : encodeLabels(table, schema);
    // A re-score after label fixes (params.warmStart) reuses what labels do not change.
    let rescore: ScanSummary['rescore'];
    let warm: ScanState | undefined;
    let testHash = '';
    if (params.warmStart) {
      if (params.test) testHash = await hashFile(params.test);
      const prev = this.state;
      const why = prev ? warmMismatch(prev, params, table, schema, labels, testHash) : 'no earlier scan in this session';
      if (typeof why === 'string') rescore = { warm: false, reused: [], reason: why };
      else {
        warm = prev;
        rescore = { warm: true, reused: [...(read.labelCells !== undefined ? [`the file's cells outside the label column (bytes compared; ${read.labelCells} label cells read again)`] : []), 'schema', 'encoded features', ...(prev!.test ? ['test set'] : []), prev!.refitW ? 'warm start of the fit and of the reweighted refit' : 'warm start of the fit'], changedLabels: why.changed };
      }
    }
    const encoder = warm?.encoder ?? FeatureEncoder.fit(table, schema, labels.records, { textDimensions: params.textDimensions });
    const X = warm ? warm.data.X : encoder.transform(table, labels.records);
    // The decimal numeric columns' cells now read back from X (exactly): their mantissas are freed.
    encoder.releaseNumericColumns(table, labels.records, X);
    const N = labels.records.length;
    const D = encoder.dim;
    let test: TestSet | undefined = warm?.test;
    if (params.test && !warm) {
      if (unsupervised) throw new UserError('An unsupervised scan has no test file: explain the cluster membership of training rows.');
      const [testTable, h] = await Promise.all([readTable(params.test, readOpts), hashFile(params.test)]);
      testHash = h;
      test = encodeTestSet(testTable, schema, encoder, labels.classes);
    }
    lap('parse');

    // A quick re-score keeps the last full scan's label-suspicion curvature where that scan kept it
    // (keepsSuspicionCurvature: blocks of 1e7 multiply-adds or more, any number of classes: P x P
    // inverses above two classes, the closed form's D x D systems over all rows for two); smaller
    // files are re-scored exactly.
    // kNN's search (all pairs of rows) is kept by a full scan only where it costs more than
    // QUICK_KNN_MIN_TERMS distance terms (rescore.ts); then a re-score of any number of classes reuses
    // its folds and neighbours.
    const curvatureRef = warm && params.labelSuspicion !== false ? warm.reference?.curvature : undefined;
    const knnRef = warm ? warm.reference?.knn : undefined;
    const forestRef = warm ? warm.reference?.forest : undefined;
    const reference = curvatureRef || knnRef || forestRef ? warm!.reference : undefined;
    if (rescore && reference) {
      let since = 0;
      for (let i = 0; i < N; i++) if (labels.y[i] !== reference.y[i]) since++;
      rescore.reused.push(
        ...(curvatureRef ? ["label suspicion's leave-one-out curvature of the last full scan"] : []),
        ...(knnRef ? ["the detector's folds and kNN neighbours"] : []),
        ...(forestRef ? ["the random forest's trees (leaf shares recomputed with the current labels)"] : []),
      );
      rescore.changedSinceFull = since;
      rescore.approximate = [
        ...(curvatureRef ? ['label suspicion: its fits are exact, the curvature of the other rows (H without the row, both stages) is that of the last full scan'] : []),
        ...(knnRef ? ["label issue: kNN's folds are the last full scan's (a full scan deals new folds for the new labels)"] : []),
        ...(forestRef ? ["label issue: the forest's splits were chosen for the last full scan's labels (a full scan grows new trees)"] : []),
        ...(curvatureRef ? ["label issue: its logistic regression probabilities are label suspicion's"] : []),
      ];
    }
    // The old Hessian's factor shapes the main fit's steps from the old optimum: L-BFGS's initial
    // inverse Hessian after few changes, Newton-CG's preconditioner after many (LBFGS_WARM_MAX_CHANGED).
    // Either stops at a cold fit's gradient tolerance.
    let fitShape: Pick<BuildContext, 'preconditioner' | 'initialInverseHessian'> = {};
    if (warm?.influence && rescore?.changedLabels !== undefined) {
      const solve = (g: Float64Array) => warm!.influence!.solve(g);
      const lbfgs = rescore.changedLabels <= LBFGS_WARM_MAX_CHANGED * N;
      fitShape = lbfgs ? { initialInverseHessian: solve } : { preconditioner: solve };
      rescore.reused.push(`the last fit's Hessian factor, as the fit's ${lbfgs ? "L-BFGS initial inverse Hessian" : 'Newton-CG preconditioner'}`);
    }
    const ctx: BuildContext = {
      params,
      l2,
      damping,
      cp,
      lap,
      init: warm?.analysis.warmStart,
      ...fitShape,
      ekfacBasis: warm?.analysis.ekfacBasis,
      // RelatIF's norms are computed at the first explain instead (ExactInfluence.thetaNorms).
      relatif: !reference && params.relatifAtScan !== false,
    };
    const { analysis, y, classes } = await buildAnalysis(X, N, D, unsupervised ? undefined : labels, { model, method }, ctx);
    if (rescore && ctx.ekfacBasis && analysis.ekfacBasis?.Z === ctx.ekfacBasis.Z) rescore.reused.push("EK-FAC's feature factor, its eigenbasis and the projected features (they depend on the features only)");
    const K = classes.length;
    const data: LogisticData = { X, N, D, K, y };
    const exact = analysis.exact;
    // Label suspicion (docs/label-suspicion.md): leave-one-out, reweighted refit, leave-one-out again.
    let suspicion: ScanState['suspicion'];
    let suspicionInfo: ScanSummary['labelSuspicion'];
    let looProbabilities: Float64Array | undefined;
    let refitW: Float64Array | undefined;
    let curvature: SuspicionCurvature | undefined;
    if (params.labelSuspicion !== false && exact) {
      cp.begin('labelSuspicion', `Label suspicion of ${N} rows: leave-one-out, reweighted refit, leave-one-out again`);
      const keepCurvature = !reference && keepsSuspicionCurvature(N, K, D);
      ({ suspicion, curvature, refitW, looProbabilities, suspicionInfo } = await keptSuspicion(exact, { checkpoint: cp, refitInit: warm?.refitW, reuse: curvatureRef, keepCurvature }));
      lap('labelSuspicion');
    }
    // Out-of-sample label-error detection (docs/detection.md): cross-fitted candidate models.
    let detection: ScanState['detection'];
    let detectionInfo: ScanSummary['detection'];
    /** The scan's note on labels the estimate leaves out (unsureLabelsNote). */
    let unsureNote: string | undefined;
    let detectionProba: Float64Array | undefined;
    let knnNeighbours: KnnNeighbours | undefined;
    let forestLeaves: ForestLeaves | undefined;
    const detector = params.detector ?? 'auto';
    const detectorFolds = params.folds ?? 5;
    const tooSmall = !unsupervised && detector !== 'off' && N < 2 * detectorFolds;
    if (!unsupervised && detector !== 'off' && !tooSmall) {
      // With the exact logistic path, label suspicion already holds every row's reweighted leave-one-out
      // probabilities p' (one exact Newton step without the row, from the fit that weights every row by
      // its leave-one-out probability of its own label): the detector's logistic candidate uses them
      // instead of K fold fits (no row judged by a model fitted on it, N - 1 rows per prediction, no
      // extra fits; measured better than 5-fold and than plain leave-one-out, docs/detection.md).
      const logistic = looProbabilities && {
        proba: looProbabilities,
        detail: `L2 = ${l2}, reweighted leave-one-out: one exact Newton step without each row (label suspicion's p')`,
      };
      // The detector's own logistic regression takes the given l2, else logistic regression's default
      // (not turn-over dropout's lighter one: the detector's models do not depend on the scan's method).
      const detectorL2 = params.l2 ?? DEFAULTS.l2;
      // Word counts of the text columns for the word models (every word, not hashed buckets), when the
      // chosen detector can run one; counted again on a re-score (no label enters them; a pass over the
      // words, cheap next to the models).
      const text = readsWords(detector) ? tableTermCounts(table, schema, labels.records, naiveBayesMaxTerms(data.K))?.counts : undefined;
      const d = await keptDetection(data, { detector, classes, folds: params.folds, seed: params.seed ?? 0, l2: detectorL2, checkpoint: cp, logistic, knnNeighbours: knnRef, forestLeaves: forestRef, text });
      detection = d.detection;
      knnNeighbours = d.knnNeighbours;
      forestLeaves = d.forestLeaves;
      detectionProba = d.proba;
      let suggestions = 0;
      for (let i = 0; i < N; i++) if (d.detection.suggested[i] >= 0) suggestions++;
      const m = analysis.info.model;
      const { errors, likelyClass, uncounted } = d.estimateByLabel;
      unsureNote = unsureLabelsNote(d.unsure, uncounted, d.anchorPurity, data.y, classes);
      detectionInfo = {
        ...d.info,
        estimatedByLabel: classes.map((label, c) => ({
          label,
          errors: errors[c],
          ...(likelyClass[c] >= 0 ? { likelyClass: classes[likelyClass[c]] } : {}),
          ...(d.unsure[c] ? { uncounted: uncounted[c], surest: d.anchorPurity[c] } : {}),
        })),
        suggestions,
        explainedBy:
          m.kind === 'logistic-regression'
            ? `logistic regression (${analysis.info.analysis.solver === 'exact' ? 'exact influence' : analysis.info.analysis.solver + ' influence'})`
            : `${m.kind} (${analysis.info.analysis.description})`,
      };
      lap('detect');
    }

    let trainProba: Float64Array;
    let predicted: Int32Array;
    let trainAccuracy = NaN;
    if (unsupervised) {
      trainProba = new Float64Array(N * K);
      for (let i = 0; i < N; i++) trainProba[i * K + y[i]] = 1;
      predicted = y;
    } else {
      trainProba = await analysis.predict(X, N);
      predicted = argmaxRow(trainProba, N, K);
      let correct = 0;
      for (let i = 0; i < N; i++) if (predicted[i] === y[i]) correct++;
      trainAccuracy = correct / N;
    }
    let testAccuracy: number | undefined;
    let testProba: Float64Array | undefined;
    if (test) {
      const n = test.y.length;
      testProba = await analysis.predict(test.X, n);
      const pt = argmaxRow(testProba, n, K);
      let labelled = 0;
      let ok = 0;
      for (let i = 0; i < n; i++) {
        if (test.y[i] < 0) continue;
        labelled++;
        if (pt[i] === test.y[i]) ok++;
      }
      testAccuracy = labelled > 0 ? ok / labelled : undefined;
    }
    // Sorted when first read (the first page below sorts its ranking).
    const orders = lazyOrders({ globalInfluence: analysis.selfInfluence, loss: analysis.loss, labelSuspicion: suspicion?.score, labelIssue: detection?.score });
    lap('rank');

    const key = createHash('sha256')
      .update(JSON.stringify({ contentHash, testHash, params: { ...params, firstPage: undefined, rankBy: undefined, warmStart: undefined, relatifAtScan: undefined }, l2, damping }))
      .digest('hex')
      .slice(0, 16);
    const info = analysis.info;
    const summary: ScanSummary = {
      key,
      dataset: {
        file: params.file,
        rows: N,
        classes,
        features: D,
        columns: table.columns.map((name) => {
          if (!unsupervised && name === schema.label.name) return { name, kind: 'label' as const };
          const f = schema.features.find((c) => c.name === name);
          return { name, kind: f ? f.kind : ('ignored' as const) };
        }),
        skippedRows: labels.skipped,
        droppedConstant: encoder.report.droppedConstant,
        missing: encoder.report.missing,
        skippedText: encoder.report.skippedText,
        test: test && params.test ? { file: params.test, rows: test.y.length } : undefined,
        read: table.read && { format: table.format, ...table.read },
        columnNotes: columnNotes(schema, encoder, N),
      },
      model: { ...info.model, trainAccuracy, testAccuracy },
      influence: info.influence,
      analysis: { ...info.analysis, text: encoder.report.text, embedding: encoder.report.embedding },
      labelSuspicion: suspicionInfo,
      detection: detectionInfo,
      capabilities: {
        objectives: [...analysis.objectives],
        modes: exact ? ['influence', 'newton'] : ['influence'],
        rankings: SCAN_RANKINGS.filter((r) => r in orders),
        trust: exact !== undefined,
        relabel: analysis.relabelModel !== undefined,
        clusters: unsupervised,
      },
      timings,
      rescore,
      histogram: histogram(analysis.selfInfluence, 30),
    };
    if (tooSmall) summary.analysis.notes.push(`No label-issue ranking: the detector's ${detectorFolds}-fold cross-fitting needs at least ${2 * detectorFolds} labelled rows.`);
    const weak = detectionInfo && y && weakModelNote(detectionInfo.accuracy, y, classes);
    if (weak) summary.analysis.notes.push(weak);
    if (unsureNote) summary.analysis.notes.push(unsureNote);
    if (params.labelSuspicion === true && !suspicion) {
      summary.analysis.notes.push('Label suspicion needs logistic regression with the exact solver; this scan has none.');
    }
    this.state?.analysis.dispose();
    this.state = {
      params,
      summary,
      table,
      schema,
      records: labels.records,
      classes,
      data,
      analysis,
      influence: exact,
      trainProba,
      testProba,
      suspicion,
      detection,
      predicted,
      orders,
      test,
      encoder,
      testHash,
      refitW,
      detectionProba,
      source: read.source,
      // A full scan's curvature, folds and trees are the reference of the next quick re-scores; a quick
      // re-score keeps its own reference (its blocks are that reference's).
      reference: reference ?? (curvature || keepKnn(knnNeighbours, N) ? { curvature, knn: knnNeighbours, forest: forestLeaves, y: Int32Array.from(y) } : undefined),
      // The panel's label neighbours depend on the features, which a warm re-score keeps: the rows
      // searched so far keep their neighbours, whose labels are counted anew.
      neighbours: warm && warm.neighbours !== undefined ? warm.neighbours && warm.neighbours.relabelled(data, classes) : undefined,
    };
    // An empty first page (the CLI's: it reads the ranking it writes afterwards) sorts nothing.
    const rankBy = params.rankBy ?? 'globalInfluence';
    const first: RankingPage =
      params.firstPage === 0 && rankBy in orders ? { rankBy, total: N, offset: 0, rows: [] } : this.page({ rankBy, offset: 0, limit: params.firstPage ?? 200 });
    // The first page's label neighbours of a warm re-score: rows the last scan searched keep their
    // nearest rows (the features are the same), only rows new to the page are searched.
    const kept = warm?.neighbours && this.state.neighbours ? this.state.neighbours.searches.kept : 0;
    if (rescore && kept > 0) rescore.reused.push(`the label neighbours' nearest-row searches of ${kept} of the first page's ${first.rows.length} rows (their labels read anew)`);
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
        params.rankBy === 'labelSuspicion'
          ? 'This scan did not compute label suspicion: it needs logistic regression with the exact solver (rank by labelIssue, the out-of-sample detector, instead).'
          : params.rankBy === 'labelIssue'
            ? 'This scan ran no label-error detector (scan with detector auto, or another detector than off).'
            : `Unknown ranking '${params.rankBy}'.`,
      );
    }
    const f = params.filter;
    const labelSet = f?.labels && f.labels.length > 0 ? new Set(f.labels) : undefined;
    const needle = f?.text?.trim().toLowerCase() || undefined;
    const offset = Math.max(0, Math.floor(params.offset));
    const limit = Math.max(0, Math.floor(params.limit));
    const rows: ExampleRow[] = [];
    if (!labelSet && f?.disagreeing === undefined && !needle) {
      // No filter: the page is a slice of the order (no pass over every row per page).
      for (let rank = offset; rank < Math.min(order.length, offset + limit); rank++) rows.push({ ...this.example(order[rank]), rank });
      this.attachNeighbours(rows);
      return { rankBy: params.rankBy, total: order.length, offset, rows };
    }
    let total = 0;
    for (let rank = 0; rank < order.length; rank++) {
      const i = order[rank];
      if (labelSet && !labelSet.has(s.classes[s.data.y[i]])) continue;
      if (f?.disagreeing !== undefined && (s.predicted[i] !== s.data.y[i]) !== f.disagreeing) continue;
      if (needle && !recordMatches(s.table, s.records[i], needle)) continue;
      if (total >= offset && rows.length < limit) rows.push({ ...this.example(i), rank });
      total++;
    }
    this.attachNeighbours(rows);
    return { rankBy: params.rankBy, total, offset, rows };
  }

  /**
   * ExampleRow.neighbours for the rows of a page the UI shows (at most 500 rows; not for the CLI's
   * whole ranking): the NEIGHBOURS nearest other training rows on the standardised features, the
   * page's rows searched together (LabelNeighbours.ofRows; cached), when rows x features <= NEIGHBOUR_BUDGET.
   */
  private attachNeighbours(rows: ExampleRow[]): void {
    const s = this.current;
    if (rows.length > 500 || !s.analysis.supervised) return;
    if (s.neighbours === undefined) s.neighbours = LabelNeighbours.create(s.data, s.classes) ?? null;
    if (!s.neighbours) return;
    const found = s.neighbours.ofRows(rows.map((e) => this.modelIndexOfRow(e.row)));
    rows.forEach((e, r) => (e.neighbours = found[r]));
  }

  /** Model row i's data row, line and label: the head of an ExampleRow and of an InfluenceRow. */
  private rowHead(i: number): { row: number; line: number; label: string } {
    const s = this.current;
    const rec = recordRef(s.table, s.records[i]);
    return { row: rec.row, line: rec.line, label: s.classes[s.data.y[i]] };
  }

  private example(i: number): ExampleRow {
    const s = this.current;
    return {
      ...this.rowHead(i),
      predicted: s.classes[s.predicted[i]],
      globalInfluence: s.analysis.selfInfluence[i],
      loss: s.analysis.loss[i],
      labelSuspicion: s.suspicion?.score[i],
      labelIssueScore: s.detection?.score[i],
      suggestedLabel: s.detection
        ? s.detection.suggested[i] >= 0
          ? s.classes[s.detection.suggested[i]]
          : undefined
        : s.suspicion && s.suspicion.suggested[i] >= 0
          ? s.classes[s.suspicion.suggested[i]]
          : undefined,
      suggestedProbability: s.detection && s.detection.suggested[i] >= 0 ? s.detectionProba![i * s.data.K + s.detection.suggested[i]] : undefined,
      labelProbability: s.detectionProba ? s.detectionProba[i * s.data.K + s.data.y[i]] : undefined,
      cluster: s.summary.capabilities?.clusters ? s.data.y[i] : undefined,
    };
  }

  /**
   * The JSON text of page({ rankBy, offset, limit })'s rows without an object per row (the CLI's
   * scan --json writes a million-row ranking): each row as exampleJson in src/cli/main.ts writes it
   * (JSON.stringify(example, null, 1) indented by two spaces, undefined fields left out, non-finite
   * numbers null), rows joined by ',\n  '. Undefined for fewer than 501 rows (page() may attach
   * neighbours to those): the caller then takes page().
   * `scratch`, when given, is written into (bytes is then a view of it, or of a larger buffer when it
   * was too small; `scratch` in the result is the buffer to pass next time, once the caller is done
   * with bytes): a fresh buffer of megabytes per page costs its page faults (~1 s of CPU for the
   * 200 MB scan's 117 pages on this project's test machine).
   */
  examplesJson(rankBy: RankBy, offset: number, limit: number, scratch?: Buffer): { bytes: Buffer; rows: number; total: number; scratch: Buffer } | undefined {
    const s = this.current;
    const order = s.orders[rankBy];
    if (!order) return undefined;
    const from = Math.max(0, Math.floor(offset));
    const to = Math.min(order.length, from + Math.max(0, Math.floor(limit)));
    if (to - from <= 500) return undefined;
    const { classes, records, predicted, suspicion, detection, detectionProba } = s;
    const { y, K } = s.data;
    const { selfInfluence, loss } = s.analysis;
    const store = s.table.store;
    const clusters = !!s.summary.capabilities?.clusters;
    const out = new ByteText(((to - from) * 320) | 0, scratch);
    // The numbers of a block of rows go through one JSON.stringify of a plain array (V8 writes a number
    // there as String(v) does, a non-finite one as null) instead of a string per number: per row, in
    // field order, row, line, globalInfluence, loss and those of the optional numeric fields the scan
    // has (a row without a suggestion holds a 0 in suggestedProbability's place, not written).
    const hasSuspicion = suspicion !== undefined;
    const nums: number[] = [];
    const numText = new NumberText();
    // The class names' JSON text by class, and each block row's label, prediction and suggestion
    // (-1: none) gathered with its numbers, so that the writing loop reads nothing by row index.
    const classText = classes.map((c) => utf8(JSON.stringify(c)));
    const blockLabel = new Int32Array(JSON_BLOCK_ROWS);
    const blockPred = new Int32Array(JSON_BLOCK_ROWS);
    const blockSug = new Int32Array(JSON_BLOCK_ROWS);
    const classBytes = (k: number): Uint8Array | undefined => (k >= 0 ? classText[k] : undefined);
    for (let block = from; block < to; block += JSON_BLOCK_ROWS) {
      const end = Math.min(to, block + JSON_BLOCK_ROWS);
      nums.length = 0;
      for (let rank = block; rank < end; rank++) {
        const i = order[rank];
        const rec = records[i];
        const b = rank - block;
        blockLabel[b] = y[i];
        blockPred[b] = predicted[i];
        nums.push(rec, store.line(rec), selfInfluence[i], loss[i]);
        if (hasSuspicion) nums.push(suspicion.score[i]);
        if (detection) {
          const sug = detection.suggested[i];
          blockSug[b] = sug;
          nums.push(detection.score[i], sug >= 0 ? detectionProba![i * K + sug] : 0);
        } else blockSug[b] = hasSuspicion ? suspicion.suggested[i] : -1;
        if (detectionProba) nums.push(detectionProba[i * K + y[i]]);
        if (clusters) nums.push(y[i]);
      }
      numText.set(JSON.stringify(nums));
      for (let rank = block; rank < end; rank++) {
        const b = rank - block;
        // Each piece of fixed text is the field separator and the key together.
        out.bytes(rank > from ? NEXT_ROW_KEY : FIRST_ROW_KEY);
        numText.next(out);
        out.bytes(FIELD.line);
        numText.next(out);
        const label = classBytes(blockLabel[b]);
        if (label !== undefined) {
          out.bytes(FIELD.label);
          out.bytes(label);
        }
        const pred = classBytes(blockPred[b]);
        if (pred !== undefined) {
          out.bytes(FIELD.predicted);
          out.bytes(pred);
        }
        out.bytes(FIELD.globalInfluence);
        numText.next(out);
        out.bytes(FIELD.loss);
        numText.next(out);
        if (hasSuspicion) {
          out.bytes(FIELD.labelSuspicion);
          numText.next(out);
        }
        if (detection) {
          out.bytes(FIELD.labelIssueScore);
          numText.next(out);
        }
        const suggested = classBytes(blockSug[b]);
        if (suggested !== undefined) {
          out.bytes(FIELD.suggestedLabel);
          out.bytes(suggested);
        }
        if (detection) {
          if (blockSug[b] >= 0) {
            out.bytes(FIELD.suggestedProbability);
            numText.next(out);
          } else numText.skip();
        }
        if (detectionProba) {
          out.bytes(FIELD.labelProbability);
          numText.next(out);
        }
        if (clusters) {
          out.bytes(FIELD.cluster);
          numText.next(out);
        }
        out.bytes(CLOSE);
      }
    }
    return { bytes: out.done(), rows: to - from, total: order.length, scratch: out.buffer };
  }

  /** Model row index of a training data row (rows with a missing label are not in the model). */
  private modelIndexOfRow(row: number): number {
    const s = this.current;
    // records are in file order, so binary search on the data row.
    let lo = 0;
    let hi = s.records.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = s.records[mid]; // the data row is the record index
      if (r === row) return mid;
      if (r < row) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new UserError(`Training row ${row} is not in the model (it has no label, or is out of range 0..${s.table.store.rows - 1}).`);
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
    let p: Float64Array;
    if (params.source === 'test') {
      if (!s.test) throw new UserError('No test file in this scan: add one to explain test rows, or explain a training row.');
      const n = s.test.y.length;
      if (!Number.isInteger(params.row) || params.row < 0 || params.row >= n) {
        throw new UserError(`Test row ${params.row} is out of range (0..${n - 1}).`);
      }
      recIdx = params.row;
      x = s.test.X.subarray(params.row * D, (params.row + 1) * D);
      labelIdx = s.test.y[params.row];
      p = s.testProba!.subarray(params.row * K, (params.row + 1) * K);
      file = s.params.test!;
      table = s.test.table;
    } else {
      const i = this.modelIndexOfRow(params.row);
      recIdx = s.records[i];
      x = s.data.X.subarray(i * D, (i + 1) * D);
      labelIdx = s.data.y[i];
      p = s.trainProba.subarray(i * K, (i + 1) * K);
      file = s.params.file;
      table = s.table;
    }
    const pred = argmaxRow(p, 1, K)[0];
    const target = params.target === 'predicted' || labelIdx < 0 ? pred : labelIdx;
    return { x, labelIdx, file, table, recIdx, pred, target, probabilities: p };
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
    const rec = recordRef(pt.table, pt.recIdx);
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

  /**
   * Explains one prediction (see ExplainParams). Synchronous for the closed-form analyses (logistic
   * regression, turn-over dropout); networks need explainAsync, which serves every analysis.
   */
  explain(params: ExplainParams): ExplainResult {
    const s = this.current;
    if (!s.analysis.synchronous) throw new UserError('This model explains asynchronously: use explainAsync.');
    const q = this.explainQuery(params);
    return this.explainResult(params, q, s.analysis.explain(q.pt.x, q.objective, NO_CHECKPOINT) as PointExplanation);
  }

  /** Explains one prediction with any analysis (the worker's and the CLI's path). */
  async explainAsync(params: ExplainParams, cp: Checkpoint = NO_CHECKPOINT): Promise<ExplainResult> {
    const s = this.current;
    const q = this.explainQuery(params);
    cp.begin('explain', `Influence of ${s.data.N} training rows on ${q.info.description}`);
    return this.explainResult(params, q, await s.analysis.explain(q.pt.x, q.objective, cp));
  }

  /** Validates ExplainParams and resolves the explained point and its objective. */
  private explainQuery(params: ExplainParams) {
    const s = this.current;
    const { mode, objective: kind } = resolveExplainOptions(params);
    if (s.summary.capabilities?.clusters) throw new UserError('This is an unsupervised scan: explain a row\'s cluster membership (explainCluster) instead.');
    if (!s.analysis.objectives.includes(kind)) {
      throw new UserError(`Objective '${kind}' needs logistic regression with the influence method (this scan: ${s.summary.analysis.description}).`);
    }
    const exact = s.analysis.exact;
    if (mode === 'newton' && !exact) throw new UserError("Explain mode 'newton' needs logistic regression with the exact solver.");
    if (mode === 'newton' && kind !== 'loss') throw new UserError("Explain mode 'newton' explains the loss: use objective 'loss'.");
    const pt = this.point(params);
    const cls = (name: string) => {
      const k = s.classes.indexOf(name);
      if (k < 0) throw new UserError(`'${name}' is not a class (${s.classes.join(', ')}).`);
      return k;
    };
    let objective: TestObjective;
    let info: Omit<ExplainObjectiveInfo, 'value'>;
    if (kind === 'loss') {
      objective = { kind, target: pt.target };
      info = { kind, description: `cross-entropy at ${s.classes[pt.target]}`, classes: [s.classes[pt.target]] };
    } else if (kind === 'probability') {
      objective = { kind, cls: pt.target };
      info = { kind, description: `p(${s.classes[pt.target]})`, classes: [s.classes[pt.target]] };
    } else {
      let a = pt.target;
      let b = -1;
      if (params.marginClasses) {
        if (params.marginClasses.length !== 2) throw new UserError('marginClasses needs exactly two classes.');
        a = cls(params.marginClasses[0]);
        b = cls(params.marginClasses[1]);
        if (a === b) throw new UserError('The two margin classes must differ.');
      } else {
        for (let k = 0; k < s.classes.length; k++) if (k !== a && (b < 0 || pt.probabilities[k] > pt.probabilities[b])) b = k;
      }
      objective = { kind, a, b };
      info = { kind, description: `logit margin z(${s.classes[a]}) - z(${s.classes[b]})`, classes: [s.classes[a], s.classes[b]] };
    }
    return { mode, pt, objective, info, exact };
  }

  private explainResult(params: ExplainParams, q: ReturnType<Session['explainQuery']>, e: PointExplanation): ExplainResult {
    const s = this.current;
    const { mode, pt } = q;
    const looChange = mode === 'newton' ? newtonLooChange(q.exact!, pt.x, pt.target) : undefined;
    const rankBy = params.rankBy === 'influence' || !s.analysis.hasRelatif ? 'influence' : 'relatif';
    const order = sortedOrder(rankBy === 'relatif' ? e.relatifL : e.influence, true);
    const top = params.top === 'all' ? order.length : Math.max(0, Math.min(order.length, params.top ?? 20));
    const row = (i: number) => this.influenceRow(i, e, looChange, params.withCells);
    const influence: InfluenceRow[] = [];
    for (let r = 0; r < top; r++) influence.push(row(order[r]));
    const sides =
      params.perSide !== undefined
        ? this.sides(e, row, params.orderBy === 'influence' || !s.analysis.hasRelatif ? 'influence' : 'relatifL', Math.max(0, Math.floor(params.perSide)))
        : undefined;
    const notes = [...(e.notes ?? []), ...s.summary.analysis.notes];
    return {
      test: this.explainedPoint(params.source, pt, pt.probabilities, e.value, params.withCells),
      influence,
      total: order.length,
      ...sides,
      mode,
      method: s.analysis.info.analysis.method === 'turnOverDropout' ? 'turnOverDropout' : 'influence',
      objective: { ...q.info, value: e.value },
      rankBy,
      solve: e.solve,
      notes: notes.length ? notes : undefined,
    };
  }

  private influenceRow(i: number, e: PointExplanation, looChange: Float64Array | undefined, withCells?: boolean): InfluenceRow {
    const s = this.current;
    return {
      ...this.rowHead(i),
      influence: e.influence[i],
      relatifTheta: e.relatifTheta[i],
      relatifL: e.relatifL[i],
      looChange: looChange?.[i],
      removalChange: e.removalChange[i],
      cells: withCells ? cellsOf(s.table, s.records[i]) : undefined,
    };
  }

  /** The `perSide` strongest supporting (influence < 0) and opposing (influence > 0) rows, by `orderBy`. */
  private sides(
    e: PointExplanation,
    toRow: (i: number) => InfluenceRow,
    orderBy: 'relatifL' | 'influence',
    perSide: number,
  ): Pick<ExplainResult, 'supporting' | 'opposing' | 'orderBy'> {
    const order = sortedOrder(orderBy === 'influence' ? e.influence : e.relatifL); // largest (most opposing) first
    const opposing: InfluenceRow[] = [];
    for (let r = 0; r < order.length && opposing.length < perSide && e.influence[order[r]] > 0; r++) opposing.push(toRow(order[r]));
    const supporting: InfluenceRow[] = [];
    for (let r = order.length - 1; r >= 0 && supporting.length < perSide && e.influence[order[r]] < 0; r--) supporting.push(toRow(order[r]));
    return { supporting, opposing, orderBy };
  }

  /**
   * Unsupervised scans: the training rows that pull row `row` into its cluster (their removal would
   * move it away from the centre) and those that push it out, by cross-loss influence.
   */
  async explainCluster(params: ExplainClusterParams, cp: Checkpoint = NO_CHECKPOINT): Promise<ClusterResult> {
    const s = this.current;
    const explainRow = s.analysis.explainRow?.bind(s.analysis);
    if (!explainRow) throw new UserError('explainCluster needs an unsupervised scan (no label column, or unsupervised: true).');
    const top = params.top ?? 10;
    if (!(Number.isInteger(top) && top >= 0)) throw new UserError(`top must be a whole number >= 0 (got ${params.top}).`);
    const i = this.modelIndexOfRow(params.row);
    cp.begin('explain', `Cross-loss influence of ${s.data.N} rows on row ${params.row}'s distance to its cluster centre`);
    const e = await explainRow(i, cp);
    const order = sortedOrder(e.removalChange); // largest (pulls most) first
    const toRow = (j: number): ClusterRow => {
      const rec = recordRef(s.table, s.records[j]);
      return {
        row: rec.row,
        line: rec.line,
        cluster: s.data.y[j],
        influence: e.influence[j],
        removalChange: e.removalChange[j],
        cells: params.withCells ? cellsOf(s.table, s.records[j]) : undefined,
      };
    };
    const pulling: ClusterRow[] = [];
    for (let r = 0; r < order.length && pulling.length < top && e.removalChange[order[r]] > 0; r++) pulling.push(toRow(order[r]));
    const pushing: ClusterRow[] = [];
    for (let r = order.length - 1; r >= 0 && pushing.length < top && e.removalChange[order[r]] < 0; r--) pushing.push(toRow(order[r]));
    const rec = recordRef(s.table, s.records[i]);
    return {
      row: rec.row,
      line: rec.line,
      cluster: e.cluster,
      distance: e.distance,
      pulling,
      pushing,
      total: s.data.N,
      method: 'crossLoss',
      solve: {
        method: e.solve.method,
        iterations: e.solve.iterations,
        relativeResidual: e.solve.relativeResidual,
        stopReason: e.solve.stopReason,
        damping: e.solve.damping,
        hvps: e.hvps,
      },
      cells: params.withCells ? cellsOf(s.table, s.records[i]) : undefined,
    };
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
    const exact = s.analysis.exact;
    if (!exact) throw new UserError('The trust check refits logistic regression: it needs the logistic model with the exact solver.');
    const rows = params.rows ?? 30;
    const subsets = params.subsets ?? 20;
    cp.begin('trust', `Trust check: ${Math.min(rows, s.data.N)} leave-one-out refits and ${subsets} refits on half the rows`);
    const tc = await trustCheck(exact, pt.x, pt.target, { rows, subsets, seed, checkpoint: cp });
    return {
      test: this.explainedPoint(params.source, pt, pt.probabilities, tc.testLoss),
      leaveOneOut: {
        rows: tc.rows.map((r) => {
          const rec = recordRef(s.table, s.records[r.index]);
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
  /**
   * The effect of relabelling training rows (src/influence/relabel.ts): predicted by one Newton step
   * with the scan's H^-1 (exact, or EK-FAC's approximation), and with `verify` measured by a
   * warm-started refit. Logistic regression only.
   */
  async relabel(params: RelabelParams, cp: Checkpoint = NO_CHECKPOINT): Promise<RelabelResult> {
    const s = this.current;
    const model = s.analysis.relabelModel;
    if (!model) {
      throw new UserError('The predicted effect of a label change needs logistic regression (this scan fitted another model).');
    }
    if (!Array.isArray(params.changes) || params.changes.length === 0) throw new UserError('relabel: no changes given.');
    const modelRow = new Map<number, number>();
    s.records.forEach((rec, i) => modelRow.set(s.table.records[rec].row, i));
    const changes: Relabel[] = params.changes.map((c) => {
      const row = modelRow.get(c.row);
      if (row === undefined) throw new UserError(`relabel: data row ${c.row} is not a training row of this scan.`);
      const to = s.classes.indexOf(c.label);
      if (to < 0) throw new UserError(`relabel: '${c.label}' is not one of the classes (${s.classes.join(', ')}).`);
      return { row, to };
    });
    const test = s.test ? { X: s.test.X, y: s.test.y, n: s.test.y.length } : undefined;
    const strip = (m: { loss: number; accuracy: number; rows: number }) => ({ loss: m.loss, accuracy: m.accuracy, rows: m.rows });
    const solve = () => (model === s.influence || !model.lastSolve ? {} : { solve: { ...model.lastSolve } });
    if (!params.verify) {
      const p = predictRelabel(model, changes, test);
      return { on: p.on, before: strip(p.before), predicted: strip(p.predicted), ...solve() };
    }
    const v = await verifyRelabel(model, changes, test, cp);
    return {
      ...solve(),
      on: v.predicted.on,
      before: strip(v.predicted.before),
      predicted: strip(v.predicted.predicted),
      actual: strip(v.actual),
      refit: { iterations: v.refit.iterations, newtonSteps: v.refit.newtonSteps, seconds: v.refit.seconds },
      stepError: v.stepError,
    };
  }

  lines(params: LinesParams): LinesResult {
    const s = this.current;
    const table = params.source === 'test' ? s.test?.table : s.table;
    if (!table) throw new UserError('No test file in this scan.');
    const j = table.columns.indexOf(s.schema.label.name);
    const n = table.store.rows;
    return {
      rows: Array.from({ length: n }, (_, i) => i),
      lines: Array.from(table.store.lines),
      labels: Array.from({ length: n }, (_, i) => (j >= 0 ? table.store.cell(i, j) : null)),
    };
  }

  /** Reads a data file's columns (no scan needed; does not change the session). */
  static async columns(params: ColumnsParams, cp: Checkpoint = NO_CHECKPOINT): Promise<ColumnsResult> {
    cp.begin('parse', `Reading ${params.file}`);
    const table = await readTable(params.file, { checkpoint: cp, format: params.format, quoting: params.quoting });
    const distinct: Record<string, number> = {};
    table.columns.forEach((name, j) => {
      // Distinct non-missing values, counted up to 51 (the store counts them while reading).
      distinct[name] = Math.min(51, table.store.columns[j].distinct);
    });
    return { file: params.file, format: table.format, columns: table.columns, rows: table.store.rows, distinct };
  }

  rows(params: RowsParams): { rows: { row: number; line: number; cells: RowCells }[] } {
    const s = this.current;
    const table = params.source === 'test' ? s.test?.table : s.table;
    if (!table) throw new UserError('No test file in this scan.');
    return {
      rows: params.rows.map((row) => {
        if (!(Number.isInteger(row) && row >= 0 && row < table.store.rows)) throw new UserError(`Row ${row} is out of range (0..${table.store.rows - 1}).`);
        return { row, line: table.store.line(row), cells: cellsOf(table, row) };
      }),
    };
  }
}

/** examplesJson stringifies the numbers of this many rows at a time. */
const JSON_BLOCK_ROWS = 1024;

/**
 * The numbers of a JSON array's text (JSON.stringify of an array of numbers: no strings, so a comma
 * or the closing bracket ends each number) copied out one at a time as bytes.
 */
class NumberText {
  private text = '';
  private at = 0;
  set(json: string): void {
    this.text = json;
    this.at = 1; // after the opening [
  }
  /** Writes the next number's text to out. */
  next(out: ByteText): void {
    this.at = out.number(this.text, this.at);
  }
  /** Passes over the next number. */
  skip(): void {
    const t = this.text;
    let j = this.at;
    for (let c = t.charCodeAt(j); c !== COMMA && c !== CLOSE_BRACKET; c = t.charCodeAt(++j));
    this.at = j + 1;
  }
}
const COMMA = 0x2c;
/** Longest text of a number (String(-1.2345678901234567e-300) has 24 characters). */
const NUMBER_TEXT_MAX = 32;
const CLOSE_BRACKET = 0x5d;

/** examplesJson's pieces of text as bytes. */
const utf8 = (t: string) => new Uint8Array(Buffer.from(t, 'utf8'));
const CLOSE = utf8('\n  }');
/** Each key of a row after the first, with the separator before it. */
const FIELD = Object.fromEntries(
  (
    [
      'row',
      'line',
      'label',
      'predicted',
      'globalInfluence',
      'loss',
      'labelSuspicion',
      'labelIssueScore',
      'suggestedLabel',
      'suggestedProbability',
      'labelProbability',
      'cluster',
    ] as const satisfies readonly (keyof ExampleRow)[]
  ).map((k) => [k, utf8(`,\n   ${JSON.stringify(k)}: `)]),
) as Record<keyof ExampleRow, Uint8Array>;
/** The start of the first row up to its row number, and of every later row (after the previous one). */
const FIRST_ROW_KEY = utf8('{\n   "row": ');
const NEXT_ROW_KEY = utf8(',\n  {\n   "row": ');

/**
 * A growing byte buffer for text written piece by piece: no string concatenation (ropes to flatten,
 * garbage) for the megabytes of scan --json's rows.
 */
class ByteText {
  private buf: Buffer;
  private n = 0;
  /** Writes into `reuse` when it is given (growing into a new buffer when it is too small). */
  constructor(capacity: number, reuse?: Buffer) {
    this.buf = reuse ?? Buffer.allocUnsafe(Math.max(1024, capacity));
  }
  /** The buffer written into (done() is a view of it). */
  get buffer(): Buffer {
    return this.buf;
  }
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.n + k));
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    const buf = this.buf;
    let n = this.n;
    for (let j = 0; j < b.length; j++) buf[n++] = b[j];
    this.n = n;
  }
  /**
   * The characters of `text` (ASCII: a JSON array of numbers) from `at` up to the next comma or closing
   * bracket; returns the place after that delimiter.
   */
  number(text: string, at: number): number {
    this.room(NUMBER_TEXT_MAX);
    const buf = this.buf;
    let n = this.n;
    let j = at;
    for (let c = text.charCodeAt(j); c !== COMMA && c !== CLOSE_BRACKET; c = text.charCodeAt(++j)) buf[n++] = c;
    this.n = n;
    return j + 1;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}

/**
 * Label suspicion of a scan, as much of it as the scan keeps: the rest of its result (stage 1's
 * losses, the weights and the log-odds, 3 N numbers: 140 MB at 5.8 M rows) is garbage once this
 * returns, instead of living in the scan's frame through the detector and the JSON rows.
 */
async function keptSuspicion(exact: ExactInfluence, opts: LabelSuspicionOptions) {
  const ls = await labelSuspicion(exact, opts);
  // A suggestion only where the reweighted leave-one-out model prefers another class (log-odds < 0),
  // as the detector suggests only where another class is more probable: with two classes the other
  // class is always the argmax over k != y, and a suggestion on every row says nothing.
  for (let i = 0; i < ls.suggested.length; i++) if (!(ls.logOdds[i] < 0)) ls.suggested[i] = -1;
  return {
    suspicion: { score: ls.suspicion, suggested: ls.suggested } as NonNullable<ScanState['suspicion']>,
    curvature: ls.curvature,
    refitW: ls.refit.W,
    looProbabilities: ls.reweightedProbabilities,
    suspicionInfo: { method: 'reweighted-loo', refitIterations: ls.refit.iterations, refitNewtonSteps: ls.refit.newtonSteps } as ScanSummary['labelSuspicion'],
  };
}

/**
 * The detector's result as far as a scan keeps it (see keptSuspicion): its score (= its ranking key),
 * suggestions, probabilities, kNN's neighbours and the summary's numbers.
 */
async function keptDetection(data: LogisticData, opts: DetectorOptions) {
  const d = await detectLabelErrors(data, opts);
  return {
    detection: { score: d.score, suggested: d.suggested } as NonNullable<ScanState['detection']>,
    knnNeighbours: d.knnNeighbours,
    forestLeaves: d.forestLeaves,
    proba: d.proba,
    info: { models: d.models, choice: d.choice, reason: d.reason, rankedBy: d.rankedBy, folds: d.folds, accuracy: d.accuracy, logLoss: d.logLoss, estimatedErrors: d.estimatedErrors, estimateMethod: d.estimateMethod },
    estimateByLabel: d.estimateByLabel,
    anchorPurity: d.anchorPurity,
    unsure: d.unsure,
  };
}
