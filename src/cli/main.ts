/**
 * The command line: `dataset-debugger scan` ranks the training rows of a data file by global
 * influence, label suspicion or loss; `dataset-debugger explain` lists the training rows behind one
 * prediction, by RelatIF (or, with --unsupervised, the rows behind a row's cluster membership);
 * `dataset-debugger trust` checks those estimates against retraining. The model, method, solver and
 * test objective are flags of scan and explain (the same ScanParams / ExplainParams as the worker).
 * Exit codes: 0 success, 1 a user error (bad data, a fit that did not converge), 2 a usage error.
 */
import { Session } from '../engine/session';
import * as opt from '../options/options';
import type { ClusterResult, ExampleRow, ExplainMode, ExplainObjective, ExplainResult, RankBy, RankingFilter, ScanSummary, TrustResult } from '../protocol/types';
import { estimateByLabelText } from '../protocol/wording';
import type { ScanParams } from '../protocol/worker';
import { UserError } from '../util/errors';
import type { ColumnKind } from '../data/types';
import { checkedNumberFlag, numberFlag, parseArgs, stringFlag, UsageError, type ParsedArgs } from './args';
import { fix } from './fix';
import { progressReporter } from './progress';
import { escapeControl, formatTable } from './table';

const USAGE = `Dataset Debugger: find mislabelled and outlier training rows with influence functions.

Usage:
  dataset-debugger scan FILE --label COL [--test FILE] [--l2 X] [--ignore COL,...]
                        [--rank-by ${opt.SCAN_RANKINGS.join('|')}] [--top K] [--class A,B]
                        [--detector ${opt.DETECTORS.join('|')}] [--folds K] [MODEL OPTIONS] [--json]
  dataset-debugger explain FILE --label COL [--test TESTFILE] --row N [--top K|all]
                        [--target ${opt.EXPLAIN_TARGETS.join('|')}] [--mode ${opt.EXPLAIN_MODES.join('|')}]
                        [--objective ${opt.EXPLAIN_OBJECTIVES.join('|')}] [--classes A,B] [--rank-by ${opt.EXPLAIN_RANKINGS.join('|')}]
                        [--l2 X] [--ignore COL,...] [MODEL OPTIONS] [--json]
  dataset-debugger scan FILE --unsupervised [--clusters K] [--top K] [--json]
  dataset-debugger explain FILE --unsupervised [--clusters K] --row N [--top K] [--json]
  dataset-debugger trust FILE --label COL [--test TESTFILE] --row N [--target ${opt.EXPLAIN_TARGETS.join('|')}]
                        [--rows N] [--subsets N] [--seed N] [--l2 X] [--ignore COL,...] [--json]
  dataset-debugger fix FILE --label COL --changes CHANGES.json|.csv --out CLEANED [--log LOG.json|.csv] [--json]
  dataset-debugger fix FILE --label COL --suggested [--top N] [--changes CHANGES] --out CLEANED [--log LOG] [--json]

MODEL OPTIONS (scan and explain):
  --model ${opt.MODELS.join('|')}   logistic regression (default), an MLP trained here, or your
                                tf.LayersModel (--model-path model.json; Dense layers on the encoded features)
  --hidden 64,32                hidden layer widths (mlp default ${opt.DEFAULTS.mlpHidden}; turn-over dropout ${opt.DEFAULTS.turnOverDropoutHidden})
  --scope ${opt.SCOPES.join('|')}        networks: influence over the last layer (default) or all parameters
  --solver ${opt.SOLVERS.join('|')}   auto picks exact or EK-FAC by size and says why
  --method ${opt.METHODS.join('|')}   influence functions (RelatIF ranks them) or turn-over dropout
  --text-dims N                 hash buckets per text column (default: 2x its distinct terms, 16..1024)
  --epochs N  --seed N          networks' training length and seed

DATA OPTIONS:
  --format FORMAT               csv, tsv, jsonl or parquet: the file's format when its extension does not tell it
  --quote ${opt.QUOTINGS.join('|')}     CSV/TSV quoting: auto (default) reads RFC 4180, except a TSV whose
                                quotes do not follow it is read without quoting (the summary says so)
  --kinds COL=KIND,...          a column's kind: numeric, categorical, text or embedding
  --max-classes K               most classes the label may have (default 100); also lets a numeric
                                label with many distinct values (a continuous target?) be classified

FILE is CSV, TSV, JSON Lines (UTF-8, or UTF-16 with a byte order mark) or Parquet, by extension or --format.
Every row of FILE with a label is a training row (labels are trimmed of surrounding whitespace).
scan     fits L2-regularised logistic regression, J = (1/N) sum CE + (l2/2)||W||^2 (l2 default ${opt.DEFAULTS.l2}; turn-over dropout ${opt.DEFAULTS.turnOverDropoutL2}),
         and lists training rows by label issue (default: the out-of-sample detector, how likely the
         label is wrong, with the class it should probably be where the detector believes another
         class more), by global influence (self-influence g^T H^-1 g, the outlier ranking), by label
         suspicion (leave-one-out, reweighted; logistic regression) or by training loss.
         --detector picks the detector's models: auto (default; logistic regression and k nearest
         neighbours, cross-fitted in --folds folds, default 5, and a random forest scored out of bag,
         combined by out-of-fold likelihood), ensemble (those three and an MLP), one of them, or off. The output says which models
         ran, their out-of-fold accuracy and log loss, the choice and the estimated number of wrong labels.
         --class A,B lists only the rows labelled A or B, in the same order (where the models predict
         the labels little better than the most common one, its wrong labels are found there), in the
         table and in --json (whose "filter" then names them).
explain  explains the model's loss on data row N (0-based) of TESTFILE, or of FILE itself when no
         --test is given, by the influence of every training row, ranked by RelatIF (|relatifL|).
         --mode newton adds each row's leave-one-out change of that loss by one exact Newton step
         (more faithful than first-order influence when parameters outnumber rows).
         --objective picks the explained quantity (cross-loss influence): the loss (default), the
         probability of the target class, or the logit margin z(A) - z(B) (--classes A,B; default the
         target and the most probable other class). The output says which method and objective ran.
         With --unsupervised (no label column needed): the rows that pull row N into its k-means
         cluster of autoencoder embeddings, and the rows that push it away (cross-loss influence).
trust    refits the model without --rows sampled rows (default 30: half the largest |influence| on
         row N, half random) and without --subsets random halves of the rows (default 20), and
         reports how well first-order and Newton-step estimates agree with retraining (Pearson,
         Spearman, slope; LDS). Takes dozens of refits.
fix      writes CLEANED: a copy of FILE with the labels of the rows in CHANGES changed. CHANGES is
         a change log as the extension's Export Cleaned Copy writes it, JSON
         ([{"row": N, "newLabel": "x", "oldLabel": "y", "line": L}, ...]) or CSV (header
         row,line,oldLabel,newLabel,score,scoreName,time; row and newLabel required); oldLabel and
         line, when given, must match FILE. Only the label cells change: quoting, delimiters, line
         endings, a BOM and JSON key order stay as they are. --log writes the change log of the
         applied changes (JSON or CSV by its extension; the extension's fields). --suggested runs
         the default scan and applies the suggested labels of the first --top N rows it lists
         (default 20) that have one; rows in CHANGES keep the log's label.
--json   prints exactly one JSON document on stdout. Progress goes to stderr.
Exit codes: 0 ok, 1 error in the data or the fit, 2 usage error.`;

const COMMON = {
  label: { value: true },
  model: { value: true },
  'model-path': { value: true },
  hidden: { value: true },
  scope: { value: true },
  solver: { value: true },
  method: { value: true },
  'text-dims': { value: true },
  epochs: { value: true },
  seed: { value: true },
  unsupervised: { value: false },
  clusters: { value: true },
  test: { value: true },
  l2: { value: true },
  ignore: { value: true },
  damping: { value: true },
  json: { value: false },
  top: { value: true },
  help: { value: false },
  format: { value: true },
  quote: { value: true },
  kinds: { value: true },
  'max-classes': { value: true },
};

// (duplicates: the option tables of the commands below share their shape with COMMON above.)
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    if (command === 'scan') return await scan(parseArgs(rest, { ...COMMON, 'rank-by': { value: true }, detector: { value: true }, folds: { value: true }, class: { value: true } }));
    if (command === 'explain') {
      return await explain(
        parseArgs(rest, {
          ...COMMON,
          row: { value: true },
          target: { value: true },
          mode: { value: true },
          objective: { value: true },
          classes: { value: true },
          'rank-by': { value: true },
        }),
      );
    }
    if (command === 'trust') {
      return await trust(parseArgs(rest, { ...COMMON, row: { value: true }, target: { value: true }, rows: { value: true }, subsets: { value: true } }));
    }
    if (command === 'fix') {
      return await fix(
        parseArgs(rest, {
          label: { value: true },
          changes: { value: true },
          suggested: { value: false },
          top: { value: true },
          out: { value: true },
          log: { value: true },
          json: { value: false },
          help: { value: false },
        }),
      );
    }
    throw new UsageError(`unknown command '${command}'`);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`dataset-debugger: ${escapeControl(err.message, true)}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof UserError) {
      process.stderr.write(`dataset-debugger: ${escapeControl(err.message, true)}\n`);
      return 1;
    }
    throw err;
  }
}

function scanParams(args: ParsedArgs): ScanParams {
  if (args.flags.has('help')) throw new UsageError('help requested');
  if (args.positionals.length !== 1) throw new UsageError('give exactly one data FILE');
  const unsupervised = args.flags.has('unsupervised');
  const label = stringFlag(args, 'label');
  if (!label && !unsupervised) throw new UsageError('--label COL is required (or --unsupervised for data without labels)');
  if (!unsupervised && args.flags.has('clusters')) throw new UsageError('--clusters needs --unsupervised');
  const list = (name: string) =>
    stringFlag(args, name)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const hidden = list('hidden')?.map((h) => {
    const n = Number(h);
    if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`--hidden takes whole widths separated by commas, like 64,32 (got '${stringFlag(args, 'hidden')}')`);
    return n;
  });
  const model = oneOf(args, 'model', opt.MODELS);
  const modelPath = stringFlag(args, 'model-path');
  if (model === 'layers' && !modelPath) throw new UsageError('--model layers needs --model-path model.json');
  if (modelPath && model !== 'layers') throw new UsageError('--model-path needs --model layers');
  const scope = stringFlag(args, 'scope');
  if (scope !== undefined && !['last-layer', ...opt.SCOPES].includes(scope)) throw new UsageError(`--scope must be ${opt.choices(opt.SCOPES)}`);
  const kinds = list('kinds')?.reduce<Record<string, ColumnKind>>((acc, item) => {
    const eq = item.lastIndexOf('=');
    const kind = item.slice(eq + 1).trim();
    if (eq <= 0 || !opt.isOneOf(kind, opt.COLUMN_KINDS)) {
      throw new UsageError(`--kinds takes COL=KIND pairs separated by commas, KIND ${opt.choices(opt.COLUMN_KINDS)} (got '${item}')`);
    }
    acc[item.slice(0, eq).trim()] = kind;
    return acc;
  }, {});
  const maxClasses = checkedNumberFlag(args, 'max-classes', 'a whole number >= 2', (n) => Number.isInteger(n) && n >= 2);
  return {
    file: args.positionals[0],
    label,
    test: stringFlag(args, 'test'),
    l2: checkedNumberFlag(args, 'l2', 'a positive number', (n) => n > 0),
    damping: checkedNumberFlag(args, 'damping', 'a number >= 0', (n) => n >= 0),
    ignore: list('ignore'),
    kinds,
    format: oneOf(args, 'format', opt.FORMATS),
    quoting: oneOf(args, 'quote', opt.QUOTINGS),
    maxClasses,
    firstPage: 0,
    // One explain at most per process: its RelatIF norms are computed then, not by every scan.
    relatifAtScan: false,
    model,
    modelPath,
    hidden,
    influenceScope: scope === undefined ? undefined : scope === 'full' ? 'full' : 'lastLayer',
    solver: oneOf(args, 'solver', opt.SOLVERS),
    method: oneOf(args, 'method', opt.METHODS),
    textDimensions: checkedNumberFlag(args, 'text-dims', 'a whole number >= 2', (n) => Number.isInteger(n) && n >= 2),
    epochs: wholeFlag(args, 'epochs'),
    seed: wholeFlag(args, 'seed'),
    unsupervised: unsupervised || undefined,
    clusters: checkedNumberFlag(args, 'clusters', 'a whole number >= 2', (n) => Number.isInteger(n) && n >= 2),
    detector: args.flags.has('detector') ? oneOf(args, 'detector', opt.DETECTORS) : undefined,
    folds: checkedNumberFlag(args, 'folds', 'a whole number >= 2', (n) => Number.isInteger(n) && n >= 2),
  };
}

function oneOf<T extends string>(args: ParsedArgs, name: string, values: readonly T[]): T | undefined {
  const v = stringFlag(args, name);
  if (v !== undefined && !values.includes(v as T)) throw new UsageError(`--${name} must be ${opt.choices(values)}`);
  return v as T | undefined;
}

async function scan(args: ParsedArgs): Promise<number> {
  const params = scanParams(args);
  const requested: RankBy | undefined = oneOf(args, 'rank-by', opt.SCAN_RANKINGS);
  const top = wholeFlag(args, 'top') ?? 20;
  // --class: the table or the JSON lists only the rows with these given labels (checked against the file's classes below).
  const only = stringFlag(args, 'class')
    ?.split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (only !== undefined && only.length === 0) throw new UsageError('--class needs one or more class names (--class A,B)');
  if (only && params.unsupervised) throw new UsageError('--class lists rows by their labels; --unsupervised has none');
  const session = new Session();
  const progress = progressReporter();
  let summary: ScanSummary;
  try {
    summary = (await session.scan(params, progress.checkpoint)).summary;
  } finally {
    progress.done();
  }
  const rankBy: RankBy = requested ?? (summary.detection ? 'labelIssue' : 'globalInfluence');
  const unknown = only?.filter((c) => !summary.dataset.classes.includes(c)) ?? [];
  if (unknown.length > 0) {
    throw new UsageError(`--class: ${opt.choices(unknown.map((c) => `'${c}'`), 'and')} ${unknown.length === 1 ? 'is not a class' : 'are not classes'} of ${summary.dataset.file}'s label (classes: ${summary.dataset.classes.join(', ')})`);
  }
  const filter: RankingFilter | undefined = only ? { labels: only } : undefined;
  if (args.flags.has('json')) {
    await writeScanJson(session, summary, rankBy, filter);
    return 0;
  }
  // The table shows the top rows only: no example objects for the other rows.
  const page = session.page({ rankBy, offset: 0, limit: Math.max(0, top), filter });
  printScan(summary, page.rows.map(({ rank: _rank, ...e }) => e), page.total, rankBy, top, only);
  return 0;
}

/** Rows per page of examples written by writeScanJson. */
const JSON_PAGE = 10_000;

/**
 * Writes scan --json's one document incrementally: the summary, then the examples a page at a
 * time, so a scan of millions of rows never holds its whole output (or one object per row) in memory.
 * The text is the same as JSON.stringify(document, null, 1). With `filter` (scan --class) the examples
 * are the rows it keeps, in the ranking's order, and the head says so (`filter`).
 */
async function writeScanJson(session: Session, summary: ScanSummary, rankBy: RankBy, filter?: RankingFilter): Promise<void> {
  const { dataset, model, analysis, detection } = summary;
  const head = {
    dataset: { file: dataset.file, rows: dataset.rows, classes: dataset.classes, features: dataset.features, read: dataset.read, columnNotes: dataset.columnNotes },
    model,
    analysis,
    detection,
    rankBy,
    ...(filter ? { filter } : {}),
  };
  // A reader that goes away (`| head`: EPIPE) ends the output quietly: index.ts exits on the stream's
  // error; here nothing waits for a 'drain' that will never come, and no more is written.
  const out = process.stdout;
  const gone = () => out.destroyed || out.writableEnded;
  const write = async (text: string | Uint8Array) => {
    if (gone() || out.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        out.off('error', done);
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
      out.on('error', done);
    });
  };
  /**
   * Writes bytes that are reused afterwards: resolves once the stream is done with them (its write
   * callback; at once when the reader has gone).
   */
  const writeThrough = (bytes: Uint8Array) =>
    new Promise<void>((resolve) => {
      if (gone()) resolve();
      else out.write(bytes, () => resolve());
    });
  const headText = JSON.stringify(head, null, 1);
  await write(headText.slice(0, -2) + ',\n "examples": [');
  let first = true;
  // One buffer for every page's bytes (examplesJson's scratch): written through before it is reused.
  let scratch: Buffer | undefined;
  for (let offset = 0; ; offset += JSON_PAGE) {
    // The fast writer takes the whole ranking; one label's rows go through page()'s filter (a pass over
    // the ranking per page of 10,000 rows).
    const fast = filter ? undefined : session.examplesJson(rankBy, offset, JSON_PAGE, scratch);
    if (fast) {
      await write(first ? '\n  ' : ',\n  ');
      await writeThrough(fast.bytes);
      scratch = fast.scratch;
      first = false;
      if (gone()) return;
      if (offset + JSON_PAGE >= fast.total) break;
      continue;
    }
    const page = session.page({ rankBy, offset, limit: JSON_PAGE, filter });
    let chunk = '';
    for (const e of page.rows) {
      chunk += (first ? '\n  ' : ',\n  ') + exampleJson(e as unknown as Record<string, unknown>);
      first = false;
    }
    if (chunk) await write(chunk);
    if (gone()) return;
    if (offset + JSON_PAGE >= page.total) break;
  }
  await write(first ? ']\n}\n' : '\n ]\n}\n');
}

/**
 * JSON.stringify(e without its rank, null, 1) indented by two spaces (an element of the examples
 * array), written directly for a flat object of numbers, strings and booleans: the same text, without
 * a copy of the object and a second pass of replace per row (a million-row scan writes a million).
 * Anything else takes the general path.
 */
/** JSON text of keys and of repeated string values (class names), made once. */
const jsonTextCache = new Map<string, string>();
function jsonText(v: string): string {
  let t = jsonTextCache.get(v);
  if (t === undefined) {
    t = JSON.stringify(v);
    if (jsonTextCache.size < 10_000) jsonTextCache.set(v, t);
  }
  return t;
}

function exampleJson(e: Record<string, unknown>): string {
  let s = '{';
  let any = false;
  for (const k of Object.keys(e)) {
    if (k === 'rank') continue;
    const v = e[k];
    let t: string;
    switch (typeof v) {
      case 'number':
        t = Number.isFinite(v) ? String(v) : 'null';
        break;
      case 'string':
        t = jsonText(v);
        break;
      case 'boolean':
        t = v ? 'true' : 'false';
        break;
      case 'undefined':
        continue;
      default: {
        const { rank: _rank, ...rest } = e;
        return JSON.stringify(rest, null, 1).replace(/\n/g, '\n  ');
      }
    }
    s += (any ? ',\n   ' : '\n   ') + jsonText(k) + ': ' + t;
    any = true;
  }
  return any ? s + '\n  }' : '{}';
}

/** `only`: the given labels the table is limited to (scan --class); `total` then counts their rows. */
function printScan(s: ScanSummary, examples: ExampleRow[], total: number, rankBy: RankBy, top: number, only?: readonly string[]): void {
  const m = s.model;
  const out: string[] = [];
  out.push(
    `${s.dataset.file}: ${s.dataset.rows} training rows, ${s.dataset.classes.length} classes, ${s.dataset.features} features (bias included)`,
  );
  if (s.dataset.skippedRows.length) out.push(`  skipped ${s.dataset.skippedRows.length} rows with a missing label`);
  if (s.dataset.droppedConstant.length) out.push(`  dropped constant columns: ${s.dataset.droppedConstant.join(', ')}`);
  const missing = Object.entries(s.dataset.missing).filter(([, n]) => n > 0);
  if (missing.length) out.push(`  imputed missing values: ${missing.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  if (s.dataset.skippedText.length) out.push(`  text columns not used by this model: ${s.dataset.skippedText.join(', ')}`);
  const r = s.dataset.read;
  if (r) {
    const dialect =
      r.format === 'parquet'
        ? `${r.rowGroups !== undefined ? `, ${r.rowGroups} row group${r.rowGroups === 1 ? '' : 's'}` : ''} (strings ${r.encoding.toUpperCase()})`
        : `, ${r.encoding.toUpperCase()}${r.format === 'jsonl' ? '' : r.quoting === 'none' ? ', no quoting' : ', RFC 4180 quoting'}`;
    const size = `${s.dataset.rows + s.dataset.skippedRows.length} rows x ${s.dataset.columns.length} columns`;
    out.push(`  read as ${r.format.toUpperCase()}${dialect}, ${size}${r.note ? ` (${r.note})` : ''}`);
  }
  for (const n of s.dataset.columnNotes ?? []) out.push(`  ${n}`);
  const a = s.analysis;
  const kind = { 'logistic-regression': 'logistic regression', mlp: 'MLP', 'layers-model': 'your LayersModel', 'turn-over-dropout-mlp': 'MLP with turn-over dropout', autoencoder: 'autoencoder' }[m.kind];
  out.push(
    `model: ${kind}${m.hidden ? ` (hidden ${m.hidden.join('-')})` : ''}, ${m.parameters} parameters, l2 ${m.l2}` +
      (Number.isFinite(m.gradNorm) ? `, gradient norm ${m.gradNorm.toExponential(2)}` : '') +
      (m.backend ? `, tfjs backend ${m.backend}` : '') +
      (Number.isFinite(m.trainAccuracy) ? `, train accuracy ${(m.trainAccuracy * 100).toFixed(1)}%` : '') +
      (m.testAccuracy !== undefined ? `, test accuracy ${(m.testAccuracy * 100).toFixed(1)}%` : '') +
      (m.clusters !== undefined ? `, ${m.clusters} clusters, reconstruction error ${m.reconstruction?.toPrecision(3)}` : ''),
  );
  out.push(`method: ${a.method}, solver ${a.solver} (${a.solverReason}); ${a.description}`);
  for (const n of a.notes) out.push(`  note: ${n}`);
  const d = s.detection;
  if (d) {
    out.push(`label-error detector (out-of-sample probabilities: ${d.folds}-fold${d.models.some((m) => m.model === 'forest') ? ', the forest out of bag' : ''}):`);
    for (const m of d.models) {
      const ranks = m.rankWeight === undefined ? '' : `, separates the labels with AUROC ${m.separation?.toFixed(3)}, rank weight ${m.rankWeight.toFixed(2)}`;
      out.push(`  ${m.model}: accuracy ${(m.accuracy * 100).toFixed(1)}%, log loss ${m.logLoss.toFixed(3)}, weight ${m.weight.toFixed(2)}${ranks}, ${m.seconds.toFixed(1)} s (${m.detail})`);
    }
    out.push(`  ranked by: ${d.choice} (out-of-fold accuracy ${(d.accuracy * 100).toFixed(1)}%, log loss ${d.logLoss.toFixed(3)}); ${d.reason}`);
    out.push(`  estimated wrong labels: ${Math.round(d.estimatedErrors)} of ${s.dataset.rows} (${d.estimateMethod}); ${d.suggestions} rows with a suggested label`);
    const byLabel = estimateByLabelText(d.estimatedByLabel);
    if (byLabel) out.push(`  by given label: ${byLabel}`);
    out.push(`  explanations: influence of ${d.explainedBy}`);
  }
  out.push('');
  const by =
    rankBy === 'loss'
      ? `training loss (${a.lossScore})`
      : rankBy === 'labelSuspicion'
        ? 'label suspicion'
        : rankBy === 'labelIssue'
          ? `label issue (out-of-sample detector: ${d?.choice})`
          : `global influence (${a.globalScore})`;
  const labelled = only ? ` labelled ${opt.choices(only.map((c) => `'${c}'`), 'or')}` : '';
  out.push(`Top ${Math.min(top, total)} of ${total} training rows${labelled} by ${by}:`);
  out.push(
    formatTable(
      ['rank', 'row', 'line', 'label', 'predicted', 'label issue', 'global influence', 'suspicion', 'suggested', 'loss'],
      examples.slice(0, top).map((e, r) => [
        String(r + 1),
        String(e.row),
        String(e.line),
        e.label,
        e.predicted === e.label ? e.predicted : `${e.predicted} *`,
        e.labelIssueScore !== undefined ? e.labelIssueScore.toFixed(3) : '',
        e.globalInfluence.toPrecision(4),
        e.labelSuspicion !== undefined ? e.labelSuspicion.toPrecision(3) : '',
        e.suggestedLabel !== undefined ? `${e.suggestedLabel}${e.suggestedProbability !== undefined ? ` (${e.suggestedProbability.toFixed(2)})` : ''}` : '',
        e.loss.toPrecision(3),
      ]),
      [true, true, true, false, false, true, true, true, false, true],
    ),
  );
  out.push('(* = the model predicts another class than the label)');
  process.stdout.write(escapeControl(out.join('\n'), true) + '\n');
}

async function explain(args: ParsedArgs): Promise<number> {
  const params = scanParams(args);
  const row = numberFlag(args, 'row');
  if (row === undefined || !Number.isInteger(row) || row < 0) throw new UsageError('--row N (a 0-based data row) is required');
  const topFlag = stringFlag(args, 'top');
  let top: number | 'all' = 20;
  if (topFlag === 'all') top = 'all';
  else if (topFlag !== undefined) {
    top = Number(topFlag);
    if (!Number.isInteger(top) || top < 0) throw new UsageError(`--top must be a whole number or 'all' (got '${topFlag}')`);
  }
  const target = targetFlag(args);
  const mode: ExplainMode = oneOf(args, 'mode', opt.EXPLAIN_MODES) ?? 'influence';
  const objective: ExplainObjective | undefined = oneOf(args, 'objective', opt.EXPLAIN_OBJECTIVES);
  const classes = stringFlag(args, 'classes')?.split(',').map((c) => c.trim());
  if (classes && (classes.length !== 2 || objective !== 'margin')) throw new UsageError('--classes A,B (two class names) goes with --objective margin');
  const rankBy = oneOf(args, 'rank-by', opt.EXPLAIN_RANKINGS);
  if (params.unsupervised && params.test) throw new UsageError('--unsupervised explains training rows: leave out --test');
  if (params.unsupervised && top === 'all') throw new UsageError('--unsupervised takes --top K (rows per side)');
  const session = new Session();
  const progress = progressReporter();
  if (params.unsupervised) {
    let cluster: ClusterResult;
    try {
      await session.scan(params, progress.checkpoint);
      cluster = await session.explainCluster({ row, top: top === 'all' ? undefined : top }, progress.checkpoint);
    } finally {
      progress.done();
    }
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(cluster, null, 1) + '\n');
    else printCluster(params.file, cluster);
    return 0;
  }
  let result: ExplainResult;
  try {
    await session.scan({ ...params, labelSuspicion: false, detector: 'off' }, progress.checkpoint);
    result = await session.explainAsync(
      { source: params.test ? 'test' : 'train', row, top, target, mode, objective, marginClasses: classes as [string, string] | undefined, rankBy },
      progress.checkpoint,
    );
  } finally {
    progress.done();
  }
  if (args.flags.has('json')) {
    const { test } = result;
    process.stdout.write(
      JSON.stringify(
        {
          test: {
            row: test.row,
            line: test.line,
            label: test.label ?? null,
            predicted: test.predicted,
            probabilities: test.probabilities,
            target: test.target,
            testLoss: test.testLoss,
          },
          mode: result.mode,
          method: result.method,
          objective: result.objective,
          rankBy: result.rankBy,
          solve: result.solve,
          notes: result.notes,
          influence: result.influence,
        },
        null,
        1,
      ) + '\n',
    );
    return 0;
  }
  printExplain(result);
  return 0;
}

function printExplain(r: ExplainResult): void {
  const t = r.test;
  const probs = Object.entries(t.probabilities)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([c, p]) => `${c} ${(p * 100).toFixed(1)}%`)
    .join(', ');
  const newton = r.mode === 'newton';
  const relatif = r.rankBy === 'relatif';
  const loss = r.objective.kind === 'loss';
  const method = r.method === 'turnOverDropout' ? 'turn-over dropout' : relatif ? 'influence function, ranked by RelatIF (l-relative)' : 'influence function';
  const out = [
    `${t.file} row ${t.row} (line ${t.line}): label ${t.label ?? '(none)'}, predicted ${t.predicted} (${probs})`,
    `${loss ? 'Loss' : 'Objective'} explained: ${r.objective.description} = ${r.objective.value.toPrecision(4)}`,
    `Method: ${method}` + (r.solve ? `; solve: ${r.solve.method}, ${r.solve.iterations} iterations` + (r.solve.relativeResidual !== undefined ? `, residual ${r.solve.relativeResidual.toExponential(1)}` : '') : ''),
    ...(r.notes ?? []).map((n) => `  note: ${n}`),
    '',
    `Training rows with the largest ${relatif ? 'RelatIF' : '|influence|'} of ${r.total}; influence > 0 means the row pushes ${loss ? 'the loss' : 'the objective'} up` +
      (loss ? ` (opposes ${t.target}), < 0 means it supports it` : '') +
      (newton ? `; LOO change = change of the loss when the row is removed (one Newton step):` : ':'),
    formatTable(
      ['row', 'line', 'label', ...(loss ? ['effect'] : []), ...(relatif ? ['RelatIF'] : []), 'influence', 'removal change', ...(newton ? ['LOO change'] : [])],
      r.influence.map((e) => [
        String(e.row),
        String(e.line),
        e.label,
        ...(loss ? [e.influence < 0 ? 'supports' : 'opposes'] : []),
        ...(relatif ? [e.relatifL.toPrecision(4)] : []),
        e.influence.toPrecision(4),
        e.removalChange !== undefined ? e.removalChange.toPrecision(4) : '',
        ...(newton ? [e.looChange!.toPrecision(4)] : []),
      ]),
      [true, true, false, ...(loss ? [false] : []), ...(relatif ? [true] : []), true, true, true],
    ),
  ];
  process.stdout.write(escapeControl(out.join('\n'), true) + '\n');
}

function printCluster(file: string, r: ClusterResult): void {
  const rows = (list: ClusterResult['pulling']) =>
    formatTable(
      ['row', 'line', 'cluster', 'removal change', 'influence'],
      list.map((e) => [String(e.row), String(e.line), String(e.cluster), e.removalChange.toPrecision(4), e.influence.toPrecision(4)]),
      [true, true, true, true, true],
    );
  const out = [
    `${file} row ${r.row} (line ${r.line}): cluster ${r.cluster}, squared distance to its centre ${r.distance.toPrecision(4)}`,
    `Method: cross-loss influence of the autoencoder's reconstruction loss on that distance; solve: ${r.solve.method}, ${r.solve.iterations} iterations, damping ${r.solve.damping}, residual ${r.solve.relativeResidual?.toExponential(1)}`,
    '',
    `Rows that pull it into its cluster (removing one would move it away; removal change > 0), of ${r.total}:`,
    rows(r.pulling),
    '',
    'Rows that push it away (removing one would bring it closer):',
    rows(r.pushing),
  ];
  process.stdout.write(escapeControl(out.join('\n'), true) + '\n');
}

function targetFlag(args: ParsedArgs): 'label' | 'predicted' | undefined {
  return oneOf(args, 'target', opt.EXPLAIN_TARGETS);
}

function wholeFlag(args: ParsedArgs, name: string): number | undefined {
  const v = numberFlag(args, name);
  if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new UsageError(`--${name} must be a whole number >= 0`);
  return v;
}

async function trust(args: ParsedArgs): Promise<number> {
  const params = scanParams(args);
  const row = numberFlag(args, 'row');
  if (row === undefined || !Number.isInteger(row) || row < 0) throw new UsageError('--row N (a 0-based data row) is required');
  const target = targetFlag(args);
  const rows = wholeFlag(args, 'rows');
  const subsets = wholeFlag(args, 'subsets');
  const seed = wholeFlag(args, 'seed');
  const session = new Session();
  const progress = progressReporter();
  let result: TrustResult;
  try {
    await session.scan({ ...params, labelSuspicion: false, detector: 'off' }, progress.checkpoint);
    result = await session.trust({ source: params.test ? 'test' : 'train', row, target, rows, subsets, seed }, progress.checkpoint);
  } finally {
    progress.done();
  }
  if (args.flags.has('json')) {
    process.stdout.write(JSON.stringify(result, null, 1) + '\n');
    return 0;
  }
  printTrust(result);
  return 0;
}

function printTrust(r: TrustResult): void {
  const t = r.test;
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');
  const { firstOrder: fo, newton: nw } = r.leaveOneOut;
  const out = [
    `${t.file} row ${t.row} (line ${t.line}): cross-entropy at class ${t.target} = ${t.testLoss.toPrecision(4)}`,
    '',
    `Leave-one-out: ${r.leaveOneOut.rows.length} rows refitted one at a time (${r.leaveOneOut.rows.filter((x) => x.picked === 'top').length} with the largest |influence|, the rest random, seed ${r.seed}), ${r.leaveOneOut.seconds.toFixed(1)} s:`,
    formatTable(
      ['estimate', 'Pearson', 'Spearman', 'slope'],
      [
        ['first-order influence', f(fo.pearson), f(fo.spearman), f(fo.slope)],
        ['Newton step', f(nw.pearson), f(nw.spearman), f(nw.slope)],
      ],
      [false, true, true, true],
    ),
    '(slope: least squares of actual on predicted through 0; 1 = the estimates have the right size)',
  ];
  if (r.lds) {
    out.push(
      '',
      `Linear datamodeling score over ${r.lds.subsets} refits, each without a random ${(r.lds.fraction * 100).toFixed(0)}% of the rows: ` +
        `Spearman ${f(r.lds.spearman)} (Pearson ${f(r.lds.pearson)}), ${r.lds.seconds.toFixed(1)} s`,
    );
  }
  process.stdout.write(escapeControl(out.join('\n'), true) + '\n');
}
