/**
 * The label-error benchmark's tables (docs/detection.md) from the cached per-task results:
 * bench/research/engine-label-errors.json (bench/label-errors.ts) and bench/research/baselines.json
 * (bench/research/baselines.py). Only tasks present in both are compared.
 *   node --import tsx bench/label-errors-report.ts   (DD_ENGINE_JSON=DIR/engine-label-errors.json: another folder)
 * DD_MORE_RESULTS=DIR1:DIR2 merges the results in those folders too (more seeds of the same cells:
 * bench/research/held-out-seeds/, docs/detection.md "Session 15").
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL, type TaskResult } from './label-errors';
import { seededRandom } from '../src/util/random';

const root = path.resolve(__dirname, '..');
/** DD_ENGINE_JSON points the report at another folder of results (research runs; its baselines*.json are read beside it). */
export const ENGINE_JSON = process.env.DD_ENGINE_JSON ?? path.join(root, 'bench/research/engine-label-errors.json');
export const PYTHON_JSON = path.join(root, 'bench/research/baselines.json');
/** Folders whose results are merged with ENGINE_JSON's (a task in two folders counts once: the later folder's row). */
const MORE_RESULTS = (process.env.DD_MORE_RESULTS ?? '').split(path.delimiter).filter((d) => d !== '');

/** The heading of the report's table of the default by noise setting (reportHeadlines finds it). */
const DEFAULT_BY_NOISE = 'The default by noise setting (every task the engine ran)';

/** One cached task's result (the engine's runner and the Python baselines write the same shape). */
type Row = TaskResult;

/** The engine's default ranking in a scan (logistic candidate = label suspicion's reweighted leave-one-out p', as the session does). */
export const DEFAULT = DEFAULT_MODEL;
const ENGINE_METHODS: [string, string][] = [
  [DEFAULT, 'default (detector)'],
  ['detector', 'detector, 5-fold logistic'],
  ['label suspicion', 'label suspicion'],
  ['training loss', 'training loss'],
  ['self-influence', 'self-influence'],
];
const PY: [string, string][] = [
  ['logreg', 'CL logreg'],
  ['hgb', 'CL HGB'],
  ['mlp', 'CL MLP'],
  ['knn', 'CL kNN'],
];

/** Baselines on the raw text of sets with text columns (baselines.py: every word, not the engine's hashed features). */
const PY_TEXT: [string, string][] = [
  ['nb_text', 'CL NB word counts'],
  ['tfidf_logreg', 'CL TF-IDF logreg'],
];

const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');

/** Largest |recall of a true class - overall recall| in the top 10%, over classes with >= 5 flipped rows. */
export function perClassGap(r: Row): number {
  let found = 0;
  let total = 0;
  for (const [f, n] of Object.values(r.perClass)) {
    found += f;
    total += n;
  }
  const overall = found / total;
  let gap = 0;
  for (const [f, n] of Object.values(r.perClass)) if (n >= 5) gap = Math.max(gap, Math.abs(f / n - overall));
  return gap;
}

/**
 * The worst per-class gap to expect from sampling alone: the mean of perClassGap when the found flipped
 * rows are a uniformly random subset, of the same size, of the task's flipped rows (as if the ranking
 * found each flipped row with the same chance whatever its class; multivariate hypergeometric counts),
 * over `draws` seeded draws. Small classes make it large: 9 flips in a class at overall recall 0.9 miss
 * 0.1 with a spread of about 0.1 per class.
 */
export function perClassGapFloor(r: Row, draws = 200): number {
  const classes = Object.entries(r.perClass).map(([c, [, n]]) => [Number(c), n] as const);
  const pool: number[] = classes.flatMap(([c, n]) => Array<number>(n).fill(c));
  const found = Object.values(r.perClass).reduce((a, [f]) => a + f, 0);
  const rand = seededRandom(12345);
  let sum = 0;
  for (let d = 0; d < draws; d++) {
    // Partial Fisher-Yates: the first `found` entries are a uniform random subset.
    for (let i = 0; i < found; i++) {
      const j = i + Math.floor(rand() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    const perClass: Record<number, [number, number]> = {};
    for (const [c, n] of classes) perClass[c] = [0, n];
    for (let i = 0; i < found; i++) perClass[pool[i]][0]++;
    sum += perClassGap({ ...r, perClass });
  }
  return sum / draws;
}

/** The flipped rows of several tasks pooled per true class: [found in the top 10%, flipped] summed over the tasks. */
function poolPerClass(rows: Row[]): Record<number, [number, number]> {
  const pooled: Record<number, [number, number]> = {};
  for (const r of rows)
    for (const [c, [f, n]] of Object.entries(r.perClass)) {
      pooled[Number(c)] ??= [0, 0];
      pooled[Number(c)][0] += f;
      pooled[Number(c)][1] += n;
    }
  return pooled;
}

/**
 * The worst per-class gap of one (data set, noise) cell with the seeds pooled: the flipped rows of all
 * its tasks are pooled per true class before recall within each class and overall are computed (classes
 * with >= 5 pooled flipped rows). Pooling 5 seeds gives every class about 5x the flipped rows of one
 * task, so sampling noise shrinks and what is left is closer to a real difference between classes.
 */
export function pooledPerClassGap(rows: Row[]): number {
  return perClassGap({ ...rows[0], perClass: poolPerClass(rows) });
}

/**
 * The chance level of pooledPerClassGap: the same pooled computation when each task's found flipped
 * rows are a uniformly random subset, of the same size, of that task's flipped rows (a ranking that
 * finds every flipped row with the same chance whatever its class, at the task's own recall); mean over
 * `draws` seeded draws.
 */
export function pooledPerClassGapFloor(rows: Row[], draws = 200): number {
  const rand = seededRandom(12345);
  const tasks = rows.map((r) => {
    const pool = Object.entries(r.perClass).flatMap(([c, [, n]]) => Array<number>(n).fill(Number(c)));
    return { pool, found: Object.values(r.perClass).reduce((a, [f]) => a + f, 0), classes: Object.entries(r.perClass).map(([c, [, n]]) => [Number(c), n] as const) };
  });
  let sum = 0;
  for (let d = 0; d < draws; d++) {
    const pooled: Record<number, [number, number]> = {};
    for (const { pool, found, classes } of tasks) {
      for (const [c, n] of classes) {
        pooled[c] ??= [0, 0];
        pooled[c][1] += n;
      }
      for (let i = 0; i < found; i++) {
        const j = i + Math.floor(rand() * (pool.length - i));
        [pool[i], pool[j]] = [pool[j], pool[i]];
        pooled[pool[i]][0]++;
      }
    }
    sum += perClassGap({ ...rows[0], perClass: pooled });
  }
  return sum / draws;
}

/** Rows grouped by (data set, noise): the cells that pooledPerClassGap pools over the seeds. */
function cellsOf(rows: Row[]): Row[][] {
  const by = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.set}/${r.noise}`;
    if (!by.has(k)) by.set(k, []);
    by.get(k)!.push(r);
  }
  return [...by.values()];
}

/** Standard error of the mean of paired differences (sample standard deviation / sqrt(n); 0 for one value). */
export function pairedStandardError(d: number[]): number {
  if (d.length < 2) return 0;
  const m = mean(d);
  return Math.sqrt(d.reduce((a, v) => a + (v - m) ** 2, 0) / (d.length - 1) / d.length);
}

/**
 * The report over every engine-label-errors*.json and baselines*.json in `dirs` (runs split by noise or
 * seed are merged; a task in two folders counts once, the later folder's row).
 */
export function labelErrorReport(dirs: string[] = [path.dirname(ENGINE_JSON), ...MORE_RESULTS]): string[] {
  if (!dirs.some((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('engine-label-errors') && f.endsWith('.json'))))
    return ['(no engine results: run `node --import tsx bench/label-errors.ts`)'];
  const load = (prefix: string): Row[] =>
    dirs.flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
        .flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Row[]),
    );
  const eng = load('engine-label-errors');
  const py = load('baselines');
  const key = (r: Row) => `${r.set}/${r.noise}/${r.seed}`;
  const pyBy = new Map<string, Map<string, Row>>();
  for (const r of py) {
    if (!pyBy.has(key(r))) pyBy.set(key(r), new Map());
    pyBy.get(key(r))!.set(r.model, r);
  }
  const engBy = new Map<string, Map<string, Row>>();
  for (const r of eng) {
    if (!engBy.has(key(r))) engBy.set(key(r), new Map());
    engBy.get(key(r))!.set(r.model, r);
  }
  const engTasks = [...engBy.keys()].filter((k) => engBy.get(k)!.has(DEFAULT));
  const noiseOrder = ['u05', 'u10', 'u20', 'c10', 'c20'];
  const out: string[] = [];
  // Coverage: which tasks ran.
  const seedsOf = (keys: string[], noise: string) => [...new Set(keys.filter((k) => k.split('/')[1] === noise).map((k) => Number(k.split('/')[2])))].sort();
  const cover = (keys: string[]) => noiseOrder.map((n) => `${n}: ${keys.filter((k) => k.split('/')[1] === n).length} tasks (seeds ${seedsOf(keys, n).join(', ') || 'none'})`).join('; ');
  out.push('## Tasks run', '');
  out.push(`- engine, default ranking: ${engTasks.length} tasks; ${cover(engTasks)}`);
  const infTasks = engTasks.filter((k) => engBy.get(k)!.has('label suspicion'));
  out.push(`- engine, label suspicion / training loss / self-influence: ${infTasks.length} of them; ${cover(infTasks)}`);
  for (const [m, n] of PY) {
    const ks = engTasks.filter((k) => pyBy.get(k)?.has(m));
    out.push(`- ${n}: ${ks.length} of them; ${cover(ks)}`);
  }
  out.push('', 'A task is one (data set, noise, seed); u = uniform flips, c = class-conditional flips (each class to its nearest class by centroid), 05/10/20 = % of rows flipped. Comparisons below use only tasks that both sides ran.', '');

  const metric = (rows: Row[], f: (r: Row) => number) => f3(mean(rows.map(f)));
  const line = (name: string, rows: Row[]) =>
    `| ${name} | ${rows.length} | ${metric(rows, (r) => r.r5)} | ${metric(rows, (r) => r.r10)} | ${metric(rows, (r) => r.r20)} | ${metric(rows, (r) => r.auc)} | ${metric(rows, perClassGap)} | ${metric(rows, (r) => perClassGapFloor(r))} | ` +
    `${f3(mean(cellsOf(rows).map(pooledPerClassGap)))} | ${f3(mean(cellsOf(rows).map((c) => pooledPerClassGapFloor(c))))} | ` +
    `${rows.some((r) => r.estimate !== undefined) ? metric(rows.filter((r) => r.estimate !== undefined), (r) => r.estimate! / r.flips) : '—'} | ` +
    `${rows.some((r) => r.estimate !== undefined) ? metric(rows.filter((r) => r.estimate !== undefined), (r) => Math.abs(r.estimate! / r.flips - 1)) : '—'} | ` +
    `${rows.some((r) => typeof r.suggestAcc === 'number') ? metric(rows.filter((r) => typeof r.suggestAcc === 'number'), (r) => r.suggestAcc!) : '—'} |`;
  const header = ['| ranking | tasks | recall@5% | recall@10% | recall@20% | AUROC | worst per-class gap | class-blind gap | pooled gap | pooled class-blind gap | estimate / true | abs(estimate / true - 1) | suggestion accuracy |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];

  // Per-cell table against the given baselines over the tasks where all of them ran.
  const cellTable = (title: string, py: [string, string][]) => {
    const tasks = engTasks.filter((k) => py.every(([m]) => pyBy.get(k)?.has(m)));
    const groups = new Map<string, string[]>();
    for (const k of tasks) {
      const [set, noise] = k.split('/');
      const g = `${set}/${noise}`;
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push(k);
    }
    const engCols = ENGINE_METHODS.filter(([m]) => tasks.some((k) => engBy.get(k)!.has(m)));
    out.push(`## ${title}`, '', `recall@10% (share of the flipped rows in the top 10% of the ranking), mean over the seeds; ${tasks.length} tasks.`, '');
    out.push(`| data set | noise | seeds | ${engCols.map(([, n]) => n).join(' | ')} | ${py.map(([, n]) => n).join(' | ')} | best baseline | default - best |`, `| --- | --- | ---: |${' ---: |'.repeat(engCols.length + py.length + 2)}`);
    const below: string[] = [];
    const defaults: number[] = [];
    const bests: number[] = [];
    const cells = [...groups.entries()].sort(([a], [b]) => {
      const [sa, na] = a.split('/');
      const [sb, nb] = b.split('/');
      return noiseOrder.indexOf(na) - noiseOrder.indexOf(nb) || sa.localeCompare(sb);
    });
    for (const [g, ks] of cells) {
      const [set, noise] = g.split('/');
      const e = engCols.map(([m]) => mean(ks.map((k) => engBy.get(k)!.get(m)?.r10 ?? NaN)));
      const p = py.map(([m]) => mean(ks.map((k) => pyBy.get(k)!.get(m)!.r10)));
      const best = Math.max(...p);
      const d = e[0] - best;
      // Standard error of that difference from its per-seed values (paired: the same flips on both sides).
      const bestModel = py[p.indexOf(best)][0];
      const se = pairedStandardError(ks.map((k) => engBy.get(k)!.get(DEFAULT)!.r10 - pyBy.get(k)!.get(bestModel)!.r10));
      defaults.push(e[0]);
      bests.push(best);
      if (d < -0.01) below.push(`${set} ${noise} (${f3(d)} ± ${f3(se)})`);
      out.push(`| ${set} | ${noise} | ${ks.length} | ${e.map(f3).join(' | ')} | ${p.map(f3).join(' | ')} | ${f3(best)} | ${d >= 0 ? '+' : ''}${f3(d)} ± ${f3(se)} |`);
    }
    out.push(
      '',
      `Mean recall@10% over the ${groups.size} (data set, noise) cells: default ${f3(mean(defaults))}, per-cell best baseline ${f3(mean(bests))}; ` +
        `cells where the default is more than 0.01 below the best baseline: ${below.length ? below.join(', ') : 'none'}. ` +
        '± = the standard error of the difference from its per-seed values (the default and the best baseline on the same flips); the best of four noisy baselines is itself biased upwards.',
      '',
    );
    out.push(...header);
    for (const [m, n] of engCols) out.push(line(n, tasks.map((k) => engBy.get(k)!.get(m)!).filter(Boolean)));
    for (const [m, n] of py) out.push(line(n, tasks.map((k) => pyBy.get(k)!.get(m)!)));
    out.push('');
  };
  cellTable('Against all four baselines (tasks where HGB and the MLP ran too)', PY);
  cellTable('Against the logistic-regression and kNN baselines (every task)', PY.filter(([m]) => m === 'logreg' || m === 'knn'));
  // Sets with text: what a user would run on the raw text (all words), beside the engine-feature baselines.
  if (engTasks.some((k) => PY_TEXT.every(([m]) => pyBy.get(k)?.has(m))))
    cellTable('Text data: against baselines on the raw text (tasks where they ran)', [...PY.filter(([m]) => m === 'logreg' || m === 'knn'), ...PY_TEXT]);

  // The summary that README and docs/detection.md quote: per noise setting, each baseline on its tasks.
  out.push(
    '## Summary by noise setting (the table in README and docs/detection.md)',
    '',
    'Mean recall@10% of the default against each baseline on the same tasks (HGB and MLP columns, and the default in parentheses, over the tasks where HGB and the MLP ran); the default\'s worst per-class gap, its class-blind gap, its pooled gap (seeds pooled per cell) with its chance level and its estimate / true count over all its tasks:',
    '',
    '| noise | tasks (with HGB and MLP) | default | CL logreg | CL kNN | CL HGB | CL MLP | default, worst per-class gap | class-blind gap | default, pooled gap | pooled class-blind gap | default, estimate / true | default, abs(estimate / true - 1) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const n of noiseOrder) {
    const ks = engTasks.filter((k) => k.split('/')[1] === n);
    if (!ks.length) continue;
    const d = ks.map((k) => engBy.get(k)!.get(DEFAULT)!);
    const withAll = ks.filter((k) => pyBy.get(k)?.has('hgb') && pyBy.get(k)?.has('mlp'));
    const py = (m: string, tasks: string[]) => mean(tasks.filter((k) => pyBy.get(k)?.has(m)).map((k) => pyBy.get(k)!.get(m)!.r10));
    const ratios = d.filter((r) => r.estimate !== undefined).map((r) => r.estimate! / r.flips);
    out.push(
      `| ${n} | ${ks.length} (${withAll.length}) | ${f3(mean(d.map((r) => r.r10)))} (${f3(mean(withAll.map((k) => engBy.get(k)!.get(DEFAULT)!.r10)))}) | ` +
        `${f3(py('logreg', ks))} | ${f3(py('knn', ks))} | (${f3(py('hgb', withAll))}) | (${f3(py('mlp', withAll))}) | ` +
        `${f3(mean(d.map(perClassGap)))} | ${f3(mean(d.map((r) => perClassGapFloor(r))))} | ${f3(mean(cellsOf(d).map(pooledPerClassGap)))} | ${f3(mean(cellsOf(d).map((c) => pooledPerClassGapFloor(c))))} | ${mean(ratios).toFixed(2)} | ${mean(ratios.map((v) => Math.abs(v - 1))).toFixed(2)} |`,
    );
  }
  out.push('');

  out.push(`## ${DEFAULT_BY_NOISE}`, '', ...header.map((h, i) => (i === 0 ? h.replace('| ranking |', '| noise |') : h)));
  for (const n of noiseOrder) {
    const rows = engTasks.filter((k) => k.split('/')[1] === n).map((k) => engBy.get(k)!.get(DEFAULT)!);
    if (rows.length) out.push(line(n, rows));
  }
  out.push(line('all', engTasks.map((k) => engBy.get(k)!.get(DEFAULT)!)));
  out.push(
    '',
    'Worst per-class gap = the largest |recall@10% within one true class - overall recall@10%| over the classes with at least 5 flipped rows, averaged over tasks. ' +
      'Class-blind gap = the same for a ranking that finds each flipped row with the same chance whatever its class, at the task\'s own recall (the gap sampling alone gives). ' +
      'Pooled gap = the worst per-class gap of each (data set, noise) cell with the flipped rows of its seeds pooled per true class (about 5x the flipped rows per class, so less sampling noise), averaged over the cells; pooled class-blind gap = its chance level, the same pooled computation on class-blind draws of each task\'s found rows (mean of 200 draws). A gap well above its class-blind level is a real difference between classes. ' +
      "Estimate / true = the method's estimated number of wrong labels over the number flipped (baselines: cleanlab's confident-joint count). " +
      'Suggestion accuracy = share of the flipped rows with a suggested label whose suggestion is their true class. At 20% flips recall@10% is at most 0.5.',
  );
  return out;
}

/**
 * The headline lines of a report: its per-cell sentences ("Mean recall@10% over ...") and the default's
 * table by noise setting. For results on other seeds, shown under the main report.
 */
export function reportHeadlines(report: string[]): string[] {
  const at = report.indexOf(`## ${DEFAULT_BY_NOISE}`);
  // The table follows the heading and a blank line, up to the first line that is not a table row.
  const after = at < 0 ? [] : report.slice(at + 2);
  const end = after.findIndex((l) => !l.startsWith('|'));
  const table = end < 0 ? after : after.slice(0, end);
  const sentences: string[] = [];
  let heading = '';
  for (const l of report) {
    if (l.startsWith('## ')) heading = l.slice(3);
    else if (l.startsWith('Mean recall@10% over')) sentences.push(`${heading}: ${l}`, '');
  }
  return [...sentences, ...(table.length ? ['The default by noise setting:', '', ...table] : [])];
}

if (require.main === module) console.log(labelErrorReport().join('\n'));
