/**
 * Session 19's measurement of the labels the error-count estimate leaves out (docs/detection.md,
 * "Session 19"): from the cached out-of-sample probabilities (bench/research/cache-oof.ts DIR), per data
 * set the mean over its tasks of each class's anchor purity (mean p_j over the rows the models are
 * surest are j), and mean |estimate / true - 1| for the estimate with every label counted, with the
 * unsure given labels left out (the default), with half of them counted, and with the cells whose
 * estimated true class is unsure left out.
 *   node --import tsx bench/research/estimate-unsure.ts DIR   (DD_SETS=FILE.json for other sets; SEEDS=0,1 picks seeds)
 */
import { cachedDetections } from './cachedTasks';
import * as det from './detectParts';

/** One task of cachedDetections. */
type CachedTask = Extract<Awaited<ReturnType<ReturnType<typeof cachedDetections>['next']>>, { done?: false }>['value'];

const VARIANTS = ['every label counted', 'unsure given labels left out (default)', 'half of them counted', 'unsure true classes left out', 'labels whose anchors are mostly labelled otherwise left out'] as const;

/** Per task, |estimate / true - 1| of each variant, from the default's split of the estimate by cell. */
function variantErrors(t: CachedTask, unsure: boolean[], mostlyOther: boolean[]): number[] {
  const { data, flips, detection: d } = t;
  const { N, K, y } = data;
  const cj = det.confidentJoint(d.proba, y, d.thresholds, N, K, true);
  const upper = Math.min(cj.errors, det.anchorEstimate(d.proba, y, N, K).errors);
  const voters = det.consensusVoters(d.models);
  // The voters index the detector's models (auto leaves kNN out of large files).
  const candidates: Record<string, Float64Array> = { logistic: t.lr, knn: t.knn, forest: t.rf };
  const cons = voters.length > 1 ? det.consensusJoint(voters.map((m) => candidates[d.models[m].model]), y, N, K) : undefined;
  const scale = cj.errors > 0 ? upper / cj.errors : 0;
  const sums = [0, 0, 0, 0, 0];
  for (let a = 0; a < K; a++) {
    for (let b = 0; b < K; b++) {
      if (a === b) continue;
      const u = cj.joint[a * K + b] * scale;
      const e = cons ? (u + cons.joint[a * K + b]) / 2 : u;
      sums[0] += e;
      sums[1] += unsure[a] ? 0 : e;
      sums[2] += unsure[a] ? e / 2 : e;
      sums[3] += unsure[b] ? 0 : e;
      sums[4] += mostlyOther[a] ? 0 : e;
    }
  }
  if (Math.abs(sums[1] - d.estimatedErrors) > 1e-6 * Math.max(1, d.estimatedErrors)) throw new Error(`${t.set}/${t.noise}/${t.seed}: ${sums[1]} vs the detector's ${d.estimatedErrors}`);
  return sums.map((v) => Math.abs(v / flips.flipped.length - 1));
}

async function main(dir: string) {
  const seeds = (process.env.SEEDS ?? '0,1,2,3,4').split(',').map(Number);
  const bySet = new Map<string, { errs: number[][]; purity: number[][]; rates: number[][] }>();
  for await (const t of cachedDetections(dir, { seeds })) {
    const unsure = t.detection.unsure;
    const labelled = new Float64Array(t.data.K);
    for (const c of t.data.y) labelled[c]++;
    const rates = det.anchorEstimate(t.detection.proba, t.data.y, t.data.N, t.data.K).rates;
    const mostlyOther = Array.from(rates, (r, j) => labelled[j] > 0 && r > 0.5);
    const row = bySet.get(t.set) ?? { errs: [], purity: [], rates: [] };
    row.errs.push(variantErrors(t, unsure, mostlyOther));
    row.rates.push(Array.from(rates));
    row.purity.push(Array.from(t.detection.anchorPurity));
    bySet.set(t.set, row);
  }
  const all: number[][] = [];
  const mean = (rows: number[][], k: number) => rows.reduce((a, e) => a + (Number.isNaN(e[k]) ? 0 : e[k]), 0) / rows.length;
  for (const [set, { errs, purity, rates }] of bySet) {
    all.push(...errs);
    const classes = purity[0].map((_, j) => mean(purity, j).toFixed(2)).join(' ');
    const other = rates[0].map((_, j) => mean(rates, j).toFixed(2)).join(' ');
    console.log(`${set}: anchor purity by class ${classes}; anchors labelled otherwise ${other}; mean |estimate / true - 1|: ${VARIANTS.map((v, k) => `${v} ${mean(errs, k).toFixed(3)}`).join(', ')}`);
  }
  console.log(`all ${all.length} tasks: ${VARIANTS.map((v, k) => `${v} ${mean(all, k).toFixed(3)}`).join(', ')}`);
}

void main(process.argv[2]);
