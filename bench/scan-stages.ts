/**
 * One benchmark run of the exact scan on one data file, in its own process so that peak memory is
 * this run's: `node --import tsx bench/scan-stages.ts FILE LABEL REPEAT` prints one JSON line with the
 * median seconds per stage over REPEAT runs and the process's peak resident memory. bench/run.ts
 * also bundles it (esbuild) and runs it with REPEAT 1 to time the whole process, as the product
 * runs: parse, fit, Hessian, Cholesky, self-influence and RelatIF norms (no label suspicion).
 */
import { encodeLabels, FeatureEncoder } from '../src/data/features';
import { inferSchema } from '../src/data/schema';
import { readTable } from '../src/data/table';
import { ExactInfluence, selfInfluenceRoute } from '../src/influence/exact';
import { fitLogistic } from '../src/model/logistic';

const [file, label, repeatArg, mode] = process.argv.slice(2);
const repeat = Number(repeatArg ?? 3);
/** 'whole': the scan only (no explain queries), for the whole-process timing. */
const whole = mode === 'whole';

async function once() {
  const t: Record<string, number> = {};
  let last = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    t[name] = (now - last) / 1000;
    last = now;
  };
  const table = await readTable(file);
  const schema = inferSchema(table, { label });
  const labels = encodeLabels(table, schema);
  const enc = FeatureEncoder.fit(table, schema, labels.records);
  const X = enc.transform(table, labels.records);
  lap('parse');
  const data = { X, N: labels.records.length, D: enc.dim, K: labels.classes.length, y: labels.y };
  const fit = await fitLogistic(data, { l2: 1e-3 });
  if (!fit.converged) throw new Error(`fit did not converge: ${fit.gradNorm}`);
  lap('fit');
  const inf = await ExactInfluence.build(data, fit.W, { l2: 1e-3, relatif: true });
  lap('influence');
  Object.assign(t, inf.timings);
  await inf.prepareRelatif(); // already done by build (relatif: true): its back substitutions are in timings.relatifNorms
  t.relatifNorms += (performance.now() - last) / 1000;
  last = performance.now();
  t.scan = t.parse + t.fit + t.influence;
  // Explain queries after the scan: median of 21 different training rows used as queries.
  const D = data.D;
  const q: number[] = [];
  for (let r = 0; r < (whole ? 0 : 21); r++) {
    const i = (r * 7919) % data.N;
    const s = performance.now();
    inf.explain(X.subarray(i * D, (i + 1) * D), data.y[i]);
    q.push((performance.now() - s) / 1000);
  }
  t.explain = whole ? NaN : median(q);
  return { t, N: data.N, P: data.K * data.D, K: data.K, D: data.D, route: selfInfluenceRoute(data.N, data.K, data.D), iterations: fit.iterations, newtonSteps: fit.newtonSteps, gradNorm: fit.gradNorm };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const runs = [];
  for (let r = 0; r < repeat; r++) runs.push(await once());
  const timings: Record<string, number> = {};
  for (const k of Object.keys(runs[0].t)) timings[k] = median(runs.map((r) => r.t[k]));
  const { t: _t, ...info } = runs[runs.length - 1];
  console.log(JSON.stringify({ ...info, timings, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
