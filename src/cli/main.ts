/**
 * The command line: `dataset-debugger scan` ranks the training rows of a data file by global
 * influence, label suspicion or loss; `dataset-debugger explain` lists the training rows behind one
 * prediction, by RelatIF; `dataset-debugger trust` checks those estimates against retraining.
 * Exit codes: 0 success, 1 a user error (bad data, a fit that did not converge), 2 a usage error.
 */
import { Session, DEFAULT_L2 } from '../engine/session';
import type { ExampleRow, ExplainMode, ExplainResult, RankBy, ScanSummary, TrustResult } from '../protocol/types';
import type { ScanParams } from '../protocol/worker';
import { Checkpoint } from '../util/cancel';
import { UserError } from '../util/errors';
import { numberFlag, parseArgs, stringFlag, UsageError, type ParsedArgs } from './args';
import { formatTable } from './table';

const USAGE = `Dataset Debugger: find mislabelled and outlier training rows with influence functions.

Usage:
  dataset-debugger scan FILE --label COL [--test FILE] [--l2 X] [--ignore COL,...]
                        [--rank-by globalInfluence|labelSuspicion|loss] [--top K] [--json]
  dataset-debugger explain FILE --label COL [--test TESTFILE] --row N [--top K|all]
                        [--target label|predicted] [--mode influence|newton] [--l2 X] [--ignore COL,...] [--json]
  dataset-debugger trust FILE --label COL [--test TESTFILE] --row N [--target label|predicted]
                        [--rows N] [--subsets N] [--seed N] [--l2 X] [--ignore COL,...] [--json]

FILE is CSV, TSV or JSON Lines (by extension). Every row of FILE with a label is a training row.
scan     fits L2-regularised logistic regression, J = (1/N) sum CE + (l2/2)||W||^2 (l2 default ${DEFAULT_L2}),
         and lists training rows by global influence (self-influence g^T H^-1 g), largest first, or
         by label suspicion (how likely the label is wrong; with the class it should probably be),
         or by training loss.
explain  explains the model's loss on data row N (0-based) of TESTFILE, or of FILE itself when no
         --test is given, by the influence of every training row, ranked by RelatIF (|relatifL|).
         --mode newton adds each row's leave-one-out change of that loss by one exact Newton step
         (more faithful than first-order influence when parameters outnumber rows).
trust    refits the model without --rows sampled rows (default 30: half the largest |influence| on
         row N, half random) and without --subsets random halves of the rows (default 20), and
         reports how well first-order and Newton-step estimates agree with retraining (Pearson,
         Spearman, slope; LDS). Takes dozens of refits.
--json   prints exactly one JSON document on stdout. Progress goes to stderr.
Exit codes: 0 ok, 1 error in the data or the fit, 2 usage error.`;

const COMMON = {
  label: { value: true },
  test: { value: true },
  l2: { value: true },
  ignore: { value: true },
  damping: { value: true },
  json: { value: false },
  top: { value: true },
  help: { value: false },
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    if (command === 'scan') return await scan(parseArgs(rest, { ...COMMON, 'rank-by': { value: true } }));
    if (command === 'explain') {
      return await explain(parseArgs(rest, { ...COMMON, row: { value: true }, target: { value: true }, mode: { value: true } }));
    }
    if (command === 'trust') {
      return await trust(
        parseArgs(rest, { ...COMMON, row: { value: true }, target: { value: true }, rows: { value: true }, subsets: { value: true }, seed: { value: true } }),
      );
    }
    throw new UsageError(`unknown command '${command}'`);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`dataset-debugger: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof UserError) {
      process.stderr.write(`dataset-debugger: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

function scanParams(args: ParsedArgs): ScanParams {
  if (args.flags.has('help')) throw new UsageError('help requested');
  if (args.positionals.length !== 1) throw new UsageError('give exactly one data FILE');
  const label = stringFlag(args, 'label');
  if (!label) throw new UsageError('--label COL is required');
  const ignore = stringFlag(args, 'ignore')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    file: args.positionals[0],
    label,
    test: stringFlag(args, 'test'),
    l2: numberFlag(args, 'l2'),
    damping: numberFlag(args, 'damping'),
    ignore,
    firstPage: 0,
  };
}

/** Prints progress on stderr once a run has taken more than a second. */
function progressReporter(): { checkpoint: Checkpoint; done(): void } {
  const started = Date.now();
  let last = '';
  let shown = '';
  const show = () => {
    if (last && last !== shown) {
      process.stderr.write(`${last}\n`);
      shown = last;
    }
  };
  const timer = setInterval(() => Date.now() - started > 1000 && show(), 250);
  const checkpoint = new Checkpoint(undefined, (stage, _f, message) => {
    if (message) last = `[${((Date.now() - started) / 1000).toFixed(1)}s] ${stage}: ${message}`;
    if (Date.now() - started > 1000) show();
  });
  return { checkpoint, done: () => clearInterval(timer) };
}

async function scan(args: ParsedArgs): Promise<number> {
  const params = scanParams(args);
  const rankBy = (stringFlag(args, 'rank-by') ?? 'globalInfluence') as RankBy;
  if (rankBy !== 'globalInfluence' && rankBy !== 'loss' && rankBy !== 'labelSuspicion') {
    throw new UsageError(`--rank-by must be globalInfluence, labelSuspicion or loss`);
  }
  const top = numberFlag(args, 'top') ?? 20;
  const session = new Session();
  const progress = progressReporter();
  let summary: ScanSummary;
  try {
    summary = (await session.scan(params, progress.checkpoint)).summary;
  } finally {
    progress.done();
  }
  const examples = session.allExamples(rankBy).map(({ rank: _rank, ...e }) => e);
  if (args.flags.has('json')) {
    const { dataset, model } = summary;
    process.stdout.write(
      JSON.stringify(
        {
          dataset: { file: dataset.file, rows: dataset.rows, classes: dataset.classes, features: dataset.features },
          model,
          examples,
        },
        null,
        1,
      ) + '\n',
    );
    return 0;
  }
  printScan(summary, examples, rankBy, top);
  return 0;
}

function printScan(s: ScanSummary, examples: ExampleRow[], rankBy: RankBy, top: number): void {
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
  out.push(
    `model: logistic regression, ${m.parameters} parameters, l2 ${m.l2}, gradient norm ${m.gradNorm.toExponential(2)}, ` +
      `train accuracy ${(m.trainAccuracy * 100).toFixed(1)}%` +
      (m.testAccuracy !== undefined ? `, test accuracy ${(m.testAccuracy * 100).toFixed(1)}%` : ''),
  );
  out.push('');
  const by = rankBy === 'loss' ? 'training loss' : rankBy === 'labelSuspicion' ? 'label suspicion' : 'global influence';
  out.push(`Top ${Math.min(top, examples.length)} of ${examples.length} training rows by ${by}:`);
  out.push(
    formatTable(
      ['rank', 'row', 'line', 'label', 'predicted', 'global influence', 'suspicion', 'suggested', 'loss'],
      examples.slice(0, top).map((e, r) => [
        String(r + 1),
        String(e.row),
        String(e.line),
        e.label,
        e.predicted === e.label ? e.predicted : `${e.predicted} *`,
        e.globalInfluence.toPrecision(4),
        e.labelSuspicion !== undefined ? e.labelSuspicion.toPrecision(3) : '',
        e.suggestedLabel ?? '',
        e.loss.toPrecision(3),
      ]),
      [true, true, true, false, false, true, true, false, true],
    ),
  );
  out.push('(* = the model predicts another class than the label)');
  process.stdout.write(out.join('\n') + '\n');
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
  const mode = (stringFlag(args, 'mode') ?? 'influence') as ExplainMode;
  if (mode !== 'influence' && mode !== 'newton') throw new UsageError('--mode must be influence or newton');
  const session = new Session();
  const progress = progressReporter();
  try {
    await session.scan({ ...params, labelSuspicion: false }, progress.checkpoint);
  } finally {
    progress.done();
  }
  const result = session.explain({ source: params.test ? 'test' : 'train', row, top, target, mode });
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
  const out = [
    `${t.file} row ${t.row} (line ${t.line}): label ${t.label ?? '(none)'}, predicted ${t.predicted} (${probs})`,
    `Loss explained: cross-entropy at class ${t.target} = ${t.testLoss.toPrecision(4)}`,
    '',
    `Training rows with the largest RelatIF (l-relative) of ${r.total}; influence > 0 means the row pushes the loss up (opposes ${t.target}), < 0 means it supports it` +
      (newton ? `; LOO change = change of the loss when the row is removed (one Newton step):` : ':'),
    formatTable(
      ['row', 'line', 'label', 'effect', 'RelatIF', 'influence', ...(newton ? ['LOO change'] : [])],
      r.influence.map((e) => [
        String(e.row),
        String(e.line),
        e.label,
        e.influence < 0 ? 'supports' : 'opposes',
        e.relatifL.toPrecision(4),
        e.influence.toPrecision(4),
        ...(newton ? [e.looChange!.toPrecision(4)] : []),
      ]),
      [true, true, false, false, true, true, true],
    ),
  ];
  process.stdout.write(out.join('\n') + '\n');
}

function targetFlag(args: ParsedArgs): 'label' | 'predicted' | undefined {
  const target = stringFlag(args, 'target');
  if (target !== undefined && target !== 'label' && target !== 'predicted') throw new UsageError('--target must be label or predicted');
  return target;
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
    await session.scan({ ...params, labelSuspicion: false }, progress.checkpoint);
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
  process.stdout.write(out.join('\n') + '\n');
}
