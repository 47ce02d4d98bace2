/**
 * Development experiment for the detector's per-class balance and error-count estimate (docs/detection.md):
 * from the cached out-of-sample probabilities (bench/research/cache-oof.ts DIR), the default detector's
 * mixture and a few rankings / estimates of it, with the report's metrics (recall@10%, worst per-class gap,
 * estimate / true), and the cells more than 0.01 below the best of the four baselines.
 *   node --import tsx bench/research/rank-variants.ts DIR   (BYSET=1 adds the worst per-class gap by data set)
 * Measured variants and results: docs/detection.md ("Per-class balance and the error count: what was tried").
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SETS, NOISES, loadSet, makeNoise, rankingMetrics, type TaskResult } from '../label-errors';
import { perClassGap, perClassGapFloor } from '../label-errors-report';
import * as det from '../../src/detect/detector';

const readF64 = (f: string) => {
  const b = readFileSync(f);
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

type Variant = (d: Awaited<ReturnType<typeof det.detectLabelErrors>>, y: Int32Array, N: number, K: number) => ArrayLike<number>;
/** `models`: the two candidates' own out-of-sample probabilities (logistic, kNN). */
type Estimate = (d: Awaited<ReturnType<typeof det.detectLabelErrors>>, y: Int32Array, N: number, K: number, models: Float64Array[]) => number;

async function main(dir: string, variants: Record<string, Variant>, estimates: Record<string, Estimate>) {
  const rows: { key: string; noise: string; v: Record<string, TaskResult>; est: Record<string, number>; flips: number }[] = [];
  for (const s of SETS) {
    const clean = await loadSet(s.name);
    for (const nz of NOISES) {
      for (let seed = 0; seed < 5; seed++) {
        const f = path.join(dir, `${s.name}-${nz.name}-${seed}`);
        if (!existsSync(f + '.knn.f64')) continue;
        const fl = makeNoise(clean, nz, seed);
        const data = { ...clean, y: fl.noisy };
        const lr = readF64(f + '.lr.f64');
        const knn = readF64(f + '.knn.f64');
        const d = await det.detectLabelErrors(data, { logistic: { proba: lr, detail: '' }, knn: { proba: knn, detail: '' } });
        const v: Record<string, TaskResult> = {};
        for (const [name, fn] of Object.entries(variants)) v[name] = { ...rankingMetrics(fn(d, fl.noisy, data.N, data.K), fl.flipped, fl.original, data.N), flips: fl.flipped.length } as TaskResult;
        const est: Record<string, number> = {};
        for (const [name, fn] of Object.entries(estimates)) est[name] = fn(d, fl.noisy, data.N, data.K, [lr, knn]) / fl.flipped.length;
        rows.push({ key: `${s.name}/${nz.name}/${seed}`, noise: nz.name, v, est, flips: fl.flipped.length });
      }
    }
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  console.log(`${rows.length} tasks`);
  for (const name of Object.keys(variants)) {
    const by = (n?: string) => rows.filter((r) => !n || r.noise === n);
    const parts = ['u05', 'u10', 'u20', 'c10', 'c20', undefined].map((n) => `${n ?? 'all'} r10 ${mean(by(n).map((r) => r.v[name].r10)).toFixed(3)} gap ${mean(by(n).map((r) => perClassGap(r.v[name]))).toFixed(3)} (floor ${mean(by(n).map((r) => perClassGapFloor(r.v[name]))).toFixed(3)})`);
    console.log(`${name}: ${parts.join('; ')}`);
    const setsG = [...new Set(rows.map((r) => r.key.split('/')[0]))];
    if (process.env.BYSET) console.log('   gap by set (u10/c10/c20): ' + setsG.map((s) => `${s} ` + ['u10', 'c10', 'c20'].map((n) => mean(rows.filter((r) => r.key.startsWith(`${s}/${n}/`)).map((r) => perClassGap(r.v[name]))).toFixed(2)).join('/')).join(', '));
  }
  for (const name of Object.keys(estimates)) {
    const by = (n?: string) => rows.filter((r) => !n || r.noise === n);
    console.log(`estimate ${name}: ` + ['u05', 'u10', 'u20', 'c10', 'c20', undefined].map((n) => `${n ?? 'all'} ${mean(by(n).map((r) => r.est[name])).toFixed(2)}/${mean(by(n).map((r) => Math.abs(r.est[name] - 1))).toFixed(2)}`).join('; '));
    const sets = [...new Set(rows.map((r) => r.key.split('/')[0]))];
    console.log('   by set: ' + sets.map((s) => `${s} ${mean(rows.filter((r) => r.key.startsWith(s + '/')).map((r) => r.est[name])).toFixed(2)}`).join(', '));
  }
}

type D = Awaited<ReturnType<typeof det.detectLabelErrors>>;
/** Prune-by-noise-rate order: cell (y, j) gets budget e_yj; within it rows labelled y by p_j - p_y. */
function pbnr(d: D, y: Int32Array, N: number, K: number, joint: Float64Array, within?: ArrayLike<number>) {
  const P = d.proba;
  const out = new Float64Array(N).fill(-Infinity);
  const byLabel: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < N; i++) byLabel[y[i]].push(i);
  for (let a = 0; a < K; a++) {
    for (let b = 0; b < K; b++) {
      if (a === b) continue;
      const e = Math.max(0.5, joint[a * K + b]);
      const key = (i: number) => (within ? within[i] : P[i * K + b] - P[i * K + a]);
      const rows = byLabel[a].slice().sort((u, v) => key(v) - key(u) || u - v);
      rows.forEach((i, r) => (out[i] = Math.max(out[i], -((r + 0.5) / e))));
    }
  }
  return out;
}
/** Budget per suspected true class (the most probable other class): e_j = column sum of the joint's off-diagonal. */
function budgetTrue(d: D, y: Int32Array, N: number, K: number, joint: Float64Array, within: ArrayLike<number>) {
  const P = d.proba;
  const e = new Float64Array(K);
  for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) if (a !== b) e[b] += joint[a * K + b];
  const cells: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < N; i++) {
    let b = -1;
    for (let c = 0; c < K; c++) if (c !== y[i] && (b < 0 || P[i * K + c] > P[i * K + b])) b = c;
    cells[b].push(i);
  }
  const out = new Float64Array(N);
  cells.forEach((rows, j) => rows.sort((u, v) => within[v] - within[u] || u - v).forEach((i, r) => (out[i] = -((r + 0.5) / Math.max(0.5, e[j])) + 1e-9 * within[i])));
  return out;
}
function calMargin(d: D, y: Int32Array, N: number, K: number) {
  const P = d.proba, t = d.thresholds;
  const m = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let best = -Infinity;
    for (let c = 0; c < K; c++) if (c !== y[i]) best = Math.max(best, P[i * K + c] / t[c]);
    m[i] = best - P[i * K + y[i]] / t[y[i]];
  }
  return m;
}
const margin = (d: D, y: Int32Array, N: number, K: number) => det.normalisedMargin(d.proba, y, N, K);
const calSc = (d: D, y: Int32Array, N: number, K: number) => det.calibratedScores(d.proba, y, d.thresholds, N, K).rankKey;

const qMargin = (d: D, y: Int32Array, N: number, K: number) => {
  const P = d.proba, t = d.thresholds;
  const m = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0, best = -Infinity;
    for (let c = 0; c < K; c++) s += P[i * K + c] / t[c];
    for (let c = 0; c < K; c++) if (c !== y[i]) best = Math.max(best, P[i * K + c] / t[c] / s);
    m[i] = best - P[i * K + y[i]] / t[y[i]] / s;
  }
  return m;
};

/** t_j over the rows labelled j whose most probable class is j (the received errors left out of the mean). */
const robustT = (d: D, y: Int32Array, N: number, K: number) => {
  const t = new Float64Array(K), n = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    let b = 0;
    for (let c = 1; c < K; c++) if (d.proba[i * K + c] > d.proba[i * K + b]) b = c;
    if (b === y[i]) { t[b] += d.proba[i * K + b]; n[b]++; }
  }
  const all = d.thresholds;
  return Float64Array.from(t, (v, c) => (n[c] > 0 ? v / n[c] : all[c]));
};
const calScRobust = (d: D, y: Int32Array, N: number, K: number) => det.calibratedScores(d.proba, y, robustT(d, y, N, K), N, K).rankKey;

void main(process.argv[2], {
  'calibrated self-confidence with t_j over rows predicted j, alone': calScRobust,
  'that + normalised margin': (d, y, N, K) => det.combinedRankKey([calScRobust(d, y, N, K), margin(d, y, N, K)], N),
  'default (calibrated self-confidence + margin + noise posterior)': (d) => d.rankKey,
  'before the noise posterior: calibrated self-confidence + margin': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K)], N),
  'noise posterior alone': (d, y, N, K) => det.noisePosterior(d.proba, y, d.noiseTransition, N, K),
  'calibrated self-confidence alone': calSc,
  'normalised margin alone': margin,
  'calibrated margin (p_c / t_c)': calMargin,
  'calibrated self-confidence + margin of q': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), qMargin(d, y, N, K)], N),
  'prune by noise rate (cells y -> j, budget C[y][j], by p_j - p_y)': (d, y, N, K) => pbnr(d, y, N, K, d.confidentJoint),
  'budget per given label (row sums), by the default key': (d, y, N, K) => det.budgetKey(d.rankKey, y, d.confidentJoint, N, K),
  'budget per suspected true class (column sums), by the default key': (d, y, N, K) => budgetTrue(d, y, N, K, d.confidentJoint, d.rankKey),
  'default + budget per suspected true class (3 ranks)': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), budgetTrue(d, y, N, K, d.confidentJoint, d.rankKey)], N),
  'default + prune by noise rate (3 ranks)': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), pbnr(d, y, N, K, d.confidentJoint)], N),
}, {
  'default (smaller of restricted joint and anchors)': (d) => d.estimatedErrors,
  'confident joint, rows where another class is more probable': (d, y, N, K) => det.confidentJoint(d.proba, y, d.thresholds, N, K, true).errors,
  'calibrated confident joint (Northcutt et al.)': (d, y, N, K) => det.confidentJoint(d.proba, y, d.thresholds, N, K, false).errors,
  'anchor rows': (d, y, N, K) => det.anchorEstimate(d.proba, y, N, K).errors,
  'sum of 1 - p_given': (d, y, N, K) => { let s = 0; for (let i = 0; i < N; i++) s += 1 - d.proba[i * K + y[i]]; return s; },
  'sum of 1 - q_given (per-class calibrated)': (d) => d.calibratedWrong.reduce((a, b) => a + b, 0),
  'consensus filter (Brodley & Friedl 1999): rows every candidate model misclassifies': (_d, y, N, K, models) => {
    const argmax = (P: Float64Array, i: number) => { let b = 0; for (let c = 1; c < K; c++) if (P[i * K + c] > P[i * K + b]) b = c; return b; };
    let n = 0;
    for (let i = 0; i < N; i++) if (models.every((P) => argmax(P, i) !== y[i])) n++;
    return n;
  },
  'rows with a suggested label': (d) => d.suggested.reduce((a, b) => a + (b >= 0 ? 1 : 0), 0),
  'sum of the noise posterior (T from the calibrated joint, +1 per count)': (d, y, N, K) => det.noisePosterior(d.proba, y, d.noiseTransition, N, K).reduce((a, b) => a + b, 0),
});
