/**
 * The label-error benchmark's tables (docs/detection.md) from the cached per-task results:
 * bench/research/engine-label-errors.json (bench/label-errors.ts) and bench/research/baselines.json
 * (bench/research/baselines.py). Only tasks present in both are compared.
 *   node --import tsx bench/label-errors-report.ts
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskResult } from './label-errors';

const root = path.resolve(__dirname, '..');
export const ENGINE_JSON = path.join(root, 'bench/research/engine-label-errors.json');
export const PYTHON_JSON = path.join(root, 'bench/research/baselines.json');

/** One cached task's result (the engine's runner and the Python baselines write the same shape). */
type Row = TaskResult;

/** The engine's default ranking in a scan (logistic candidate = label suspicion's reweighted leave-one-out p', as the session does). */
export const DEFAULT = 'detector, logistic = reweighted loo';
const ENGINE_METHODS: [string, string][] = [
  [DEFAULT, 'default (detector)'],
  ['detector, logistic = loo', 'detector, plain LOO logistic'],
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

export function labelErrorReport(): string[] {
  if (!existsSync(ENGINE_JSON)) return ['(no engine results: run `node --import tsx bench/label-errors.ts`)'];
  // Every bench/research/engine-label-errors*.json and baselines*.json (runs split by noise are merged).
  const dir = path.dirname(ENGINE_JSON);
  const load = (prefix: string): Row[] =>
    readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
      .flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Row[]);
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
  // Tasks with the engine's results and all four baselines.
  const tasks = [...engBy.keys()].filter((k) => PY.every(([m]) => pyBy.get(k)?.has(m)));
  const out: string[] = [];
  const groups = new Map<string, string[]>();
  for (const k of tasks) {
    const [set, noise] = k.split('/');
    const g = `${set}/${noise}`;
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(k);
  }
  out.push(
    `recall@10% (share of the flipped rows in the top 10% of the ranking), mean over the seeds run; ${tasks.length} tasks (data set x noise x seed) with every baseline.`,
    '',
    `| data set | noise | seeds | ${ENGINE_METHODS.map(([, n]) => n).join(' | ')} | ${PY.map(([, n]) => n).join(' | ')} | best baseline | default - best |`,
    `| --- | --- | ---: |${' ---: |'.repeat(ENGINE_METHODS.length + PY.length + 2)}`,
  );
  const diffs: number[] = [];
  const wins: string[] = [];
  const defaults: number[] = [];
  const bests: number[] = [];
  for (const [g, ks] of [...groups.entries()].sort()) {
    const [set, noise] = g.split('/');
    const e = ENGINE_METHODS.map(([m]) => mean(ks.map((k) => engBy.get(k)!.get(m)?.r10 ?? NaN)));
    const p = PY.map(([m]) => mean(ks.map((k) => pyBy.get(k)!.get(m)!.r10)));
    const best = Math.max(...p);
    const d = e[0] - best;
    diffs.push(d);
    defaults.push(e[0]);
    bests.push(best);
    if (d < -0.01) wins.push(`${set} ${noise} (${f3(d)})`);
    out.push(`| ${set} | ${noise} | ${ks.length} | ${e.map(f3).join(' | ')} | ${p.map(f3).join(' | ')} | ${f3(best)} | ${d >= 0 ? '+' : ''}${f3(d)} |`);
  }
  out.push(
    '',
    `Mean recall@10% over the ${groups.size} (data set, noise) cells: default ${f3(mean(defaults))}, per-cell best baseline ${f3(mean(bests))}; ` +
      `cells where the default is more than 0.01 below the best baseline: ${wins.length ? wins.join(', ') : 'none'}.`,
    '',
  );
  // Other metrics of the default.
  const allDefault = tasks.map((k) => engBy.get(k)!.get(DEFAULT)!).filter(Boolean);
  const detRows = tasks.map((k) => engBy.get(k)!.get('detector')!).filter(Boolean);
  const metric = (rows: Row[], f: (r: Row) => number) => f3(mean(rows.map(f)));
  out.push('| ranking | recall@5% | recall@10% | recall@20% | AUROC | worst per-class gap (top 10%) | estimate / true count | suggestion accuracy on flipped rows |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const line = (name: string, rows: Row[]) =>
    out.push(
      `| ${name} | ${metric(rows, (r) => r.r5)} | ${metric(rows, (r) => r.r10)} | ${metric(rows, (r) => r.r20)} | ${metric(rows, (r) => r.auc)} | ${metric(rows, perClassGap)} | ` +
        `${rows.some((r) => r.estimate !== undefined) ? metric(rows.filter((r) => r.estimate !== undefined), (r) => r.estimate! / r.flips) : '—'} | ` +
        `${rows.some((r) => typeof r.suggestAcc === 'number') ? metric(rows.filter((r) => typeof r.suggestAcc === 'number'), (r) => r.suggestAcc!) : '—'} |`,
    );
  line('default (detector: reweighted leave-one-out logistic + kNN)', allDefault);
  line('detector with 5-fold logistic', detRows);
  for (const m of ['label suspicion', 'training loss', 'self-influence']) line(m, tasks.map((k) => engBy.get(k)!.get(m)!).filter(Boolean));
  for (const [m, n] of PY) line(n, tasks.map((k) => pyBy.get(k)!.get(m)!));
  // The engine's own methods over every task the engine ran (more seeds than the baselines finished).
  const engTasks = [...engBy.keys()].filter((k) => engBy.get(k)!.has(DEFAULT));
  out.push('', `The engine's rankings over all ${engTasks.length} tasks it ran (${[...new Set(engTasks.map((k) => k.split('/')[1]))].join(', ')}; seeds per cell as run):`, '');
  out.push('| ranking | recall@5% | recall@10% | recall@20% | AUROC | worst per-class gap (top 10%) | estimate / true count | suggestion accuracy on flipped rows |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [m, n] of ENGINE_METHODS) line(n, engTasks.map((k) => engBy.get(k)!.get(m)!).filter(Boolean));
  const errs = detRows.filter((r) => r.estimate !== undefined).map((r) => Math.abs(r.estimate! / r.flips - 1));
  out.push(
    '',
    `Error-count estimate (detector's calibrated confident joint, 5-fold variant): mean |estimate / true - 1| = ${f3(mean(errs))} over ${errs.length} tasks.`,
    "Suggestion accuracy = share of the flipped rows with a suggested label whose suggestion is their true class (the runner records it for the 5-fold variant only; the default's suggestions come from the same kind of mixture). The worst per-class gap is the largest |recall@10% within one true class - overall recall@10%| over the classes with at least 5 flipped rows, averaged over tasks.",
  );
  return out;
}

if (require.main === module) console.log(labelErrorReport().join('\n'));
