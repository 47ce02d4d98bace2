/**
 * Development experiment for the detector's per-class balance and error-count estimate (docs/detection.md):
 * from the cached out-of-sample probabilities (bench/research/cache-oof.ts DIR), the default detector's
 * mixture and a few rankings / estimates of it, with the report's metrics (recall@10%, worst per-class gap,
 * estimate / true), and the cells more than 0.01 below the best of the four baselines.
 *   node --import tsx bench/research/rank-variants.ts DIR   (SEEDS=5,6 picks the seeds, default 0-4; BYSET=1 adds the worst per-class gap by data set;
 *   ONLY=regex runs only the variants and estimates whose names match: the whole list takes minutes)
 * Measured variants and results: docs/detection.md ("Per-class balance and the error count: what was tried",
 * and the session sections after it).
 */
import { cacheFile, readCached } from './oofCache';
import { SETS, NOISES, loadSet, makeNoise, rankingMetrics, type TaskResult } from '../label-errors';
import { perClassGap, perClassGapFloor } from '../label-errors-report';
import * as det from './detectParts';
import { averageRanks as averageRanksOf } from '../../src/eval/metrics';


/** The current task's candidate probabilities (logistic, kNN, forest), for variants that need them. */
let MODELS: Float64Array[] = [];
/** The detector on the temperature-calibrated candidates (TEMP=1), for the session-18 variant. */
let TEMPERED: Awaited<ReturnType<typeof det.detectLabelErrors>> | undefined;
type Variant = (d: Awaited<ReturnType<typeof det.detectLabelErrors>>, y: Int32Array, N: number, K: number) => ArrayLike<number>;
/** `models`: the two candidates' own out-of-sample probabilities (logistic, kNN). */
type Estimate = (d: Awaited<ReturnType<typeof det.detectLabelErrors>>, y: Int32Array, N: number, K: number, models: Float64Array[]) => number;

async function main(dir: string, allVariants: Record<string, Variant>, allEstimates: Record<string, Estimate>) {
  // ONLY=regex keeps the variants and estimates whose names match (a shorter run).
  const only = process.env.ONLY ? new RegExp(process.env.ONLY) : undefined;
  const keep = <T,>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).filter(([n]) => !only || only.test(n)));
  const variants = keep(allVariants);
  const estimates = keep(allEstimates);
  const rows: { key: string; noise: string; v: Record<string, TaskResult>; est: Record<string, number>; flips: number }[] = [];
  for (const s of SETS) {
    const clean = await loadSet(s.name);
    for (const nz of NOISES) {
      for (const seed of (process.env.SEEDS ?? '0,1,2,3,4').split(",").map(Number)) {
        // The default's three candidates (the forest since session 12; cache-oof.ts writes it).
        const [lr, knn, rf] = (['lr', 'knn', 'rf'] as const).map((c) => readCached(dir, s.name, nz.name, seed, c));
        if (!knn) continue;
        if (!lr || !rf) throw new Error(`${cacheFile(dir, s.name, nz.name, seed, lr ? 'rf' : 'lr')}: missing beside the task's kNN file`);
        const fl = makeNoise(clean, nz, seed);
        const data = { ...clean, y: fl.noisy };
        const d = await det.detectLabelErrors(data, { logistic: { proba: lr, detail: '' }, knn: { proba: knn, detail: '' }, forest: { proba: rf, detail: '' } });
        MODELS = [lr, knn, rf];
        // Session 18 (TEMP=1): the detector again on each candidate's temperature-calibrated probabilities.
        TEMPERED = process.env.TEMP
          ? await det.detectLabelErrors(data, { logistic: { proba: temperature(lr, fl.noisy, data.N, data.K), detail: '' }, knn: { proba: temperature(knn, fl.noisy, data.N, data.K), detail: '' }, forest: { proba: temperature(rf, fl.noisy, data.N, data.K), detail: '' } })
          : undefined;
        if (TEMPERED && process.env.SHOWW) console.error(`${s.name}/${nz.name}/${seed}: weights ${d.models.map((m) => m.weight.toFixed(2)).join('/')} -> tempered ${TEMPERED.models.map((m) => m.weight.toFixed(2)).join('/')}`);
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
    if (process.env.BYSET) console.log('   recall@10% by set (u05/u10/u20/c10/c20): ' + setsG.map((s) => `${s} ` + ['u05', 'u10', 'u20', 'c10', 'c20'].map((n) => mean(rows.filter((r) => r.key.startsWith(`${s}/${n}/`)).map((r) => r.v[name].r10)).toFixed(3)).join('/')).join(', '));
    if (process.env.BYSET) console.log('   gap by set (u10/c10/c20): ' + setsG.map((s) => `${s} ` + ['u10', 'c10', 'c20'].map((n) => mean(rows.filter((r) => r.key.startsWith(`${s}/${n}/`)).map((r) => perClassGap(r.v[name]))).toFixed(2)).join('/')).join(', '));
  }
  const sets = [...new Set(rows.map((r) => r.key.split('/')[0]))];
  const err = (name: string, keep: (r: (typeof rows)[number]) => boolean) => mean(rows.filter(keep).map((r) => Math.abs(r.est[name] - 1)));
  for (const name of Object.keys(estimates)) {
    const by = (n?: string) => rows.filter((r) => !n || r.noise === n);
    console.log(`estimate ${name}: ` + ['u05', 'u10', 'u20', 'c10', 'c20', undefined].map((n) => `${n ?? 'all'} ${mean(by(n).map((r) => r.est[name])).toFixed(2)}/${mean(by(n).map((r) => Math.abs(r.est[name] - 1))).toFixed(2)}`).join('; '));
    console.log('   by set (mean estimate / true, mean |estimate / true - 1|): ' + sets.map((s) => `${s} ${mean(rows.filter((r) => r.key.startsWith(s + '/')).map((r) => r.est[name])).toFixed(2)}/${err(name, (r) => r.key.startsWith(s + '/')).toFixed(2)}`).join(', '));
  }
  // Leave one set out: which estimate has the smallest mean |estimate / true - 1| on the other eight sets.
  for (const s of Object.keys(estimates).length ? sets : []) {
    const rest = (r: (typeof rows)[number]) => !r.key.startsWith(s + '/');
    const best = Object.keys(estimates).reduce((a, b) => (err(b, rest) < err(a, rest) ? b : a));
    const first = Object.keys(estimates)[0];
    console.log(`without ${s}: best ${best} (${err(best, rest).toFixed(4)} on the rest, ${err(best, (r) => !rest(r)).toFixed(3)} on ${s}; ${first}: ${err(first, rest).toFixed(4)} on the rest)`);
  }
}

type D = Awaited<ReturnType<typeof det.detectLabelErrors>>;
/**
 * The clean-class prior of the noise model (backward correction, Patrini et al. 2017): the noisy
 * posterior is p~ = T^T p*, so p* = (T^T)^-1 p~, negative parts cut to 0 and renormalised (p~ where
 * the inverse does not exist or cuts everything).
 */
function cleanPrior(P: Float64Array, T: Float64Array, N: number, K: number): Float64Array {
  // A = T^T (A[i][j] = T[j -> i]); invert by Gauss-Jordan with partial pivoting.
  const A = Array.from({ length: K }, (_, i) => Array.from({ length: 2 * K }, (_, j) => (j < K ? T[j * K + i] : j - K === i ? 1 : 0)));
  for (let c = 0; c < K; c++) {
    let piv = c;
    for (let r = c + 1; r < K; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    if (Math.abs(A[piv][c]) < 1e-12) return P;
    [A[c], A[piv]] = [A[piv], A[c]];
    const d = A[c][c];
    for (let j = 0; j < 2 * K; j++) A[c][j] /= d;
    for (let r = 0; r < K; r++) if (r !== c && A[r][c] !== 0) { const f = A[r][c]; for (let j = 0; j < 2 * K; j++) A[r][j] -= f * A[c][j]; }
  }
  const out = new Float64Array(N * K);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < K; j++) {
      let v = 0;
      for (let a = 0; a < K; a++) v += A[j][K + a] * P[i * K + a];
      out[i * K + j] = Math.max(0, v);
      s += out[i * K + j];
    }
    for (let j = 0; j < K; j++) out[i * K + j] = s > 0 ? out[i * K + j] / s : P[i * K + j];
  }
  return out;
}
/**
 * Per-cell error counts of the default estimate: the mean of the restricted confident joint (scaled to
 * the upper estimate, the smaller of it and the anchor rows) and the consensus joint, off the diagonal.
 */
function estimateJoint(d: D, y: Int32Array, N: number, K: number): Float64Array {
  const cj = det.confidentJoint(d.proba, y, d.thresholds, N, K, true);
  const upper = Math.min(cj.errors, det.anchorEstimate(d.proba, y, N, K).errors);
  const cons = det.consensusJoint(MODELS, y, N, K).joint;
  const s = cj.errors > 0 ? upper / cj.errors : 0;
  return Float64Array.from(cj.joint, (v, k) => (Math.floor(k / K) === k % K ? 0 : (v * s + cons[k]) / 2));
}
/**
 * Temperature calibration of out-of-sample probabilities to the given labels: p_c^(1/T) renormalised,
 * with T minimising the mean log loss of the given labels (golden-section search on log T in [-3, 3]).
 */
function temperature(P: Float64Array, y: Int32Array, N: number, K: number): Float64Array {
  const apply = (T: number) => {
    const out = new Float64Array(N * K);
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let c = 0; c < K; c++) s += out[i * K + c] = Math.pow(Math.max(1e-12, P[i * K + c]), 1 / T);
      for (let c = 0; c < K; c++) out[i * K + c] /= s;
    }
    return out;
  };
  const loss = (lt: number) => { const Q = apply(Math.exp(lt)); let l = 0; for (let i = 0; i < N; i++) l -= Math.log(Q[i * K + y[i]]); return l / N; };
  let a = -3, b = 3;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 40; it++) {
    const c = b - g * (b - a), d = a + g * (b - a);
    if (loss(c) < loss(d)) b = d; else a = c;
  }
  return apply(Math.exp((a + b) / 2));
}
function upperOf(P: Float64Array, y: Int32Array, N: number, K: number): number {
  const t = det.perClassThresholds(P, y, N, K);
  return Math.min(det.confidentJoint(P, y, t, N, K, true).errors, det.anchorEstimate(P, y, N, K).errors);
}
/** The upper estimate taken per estimated true class: sum_j min(column j of the restricted joint off the diagonal, anchor rate_j x rows labelled j). */
function upperPerClass(P: Float64Array, y: Int32Array, N: number, K: number): number {
  const t = det.perClassThresholds(P, y, N, K);
  const J = det.confidentJoint(P, y, t, N, K, true).joint;
  const a = det.anchorEstimate(P, y, N, K).rates;
  const labelled = new Float64Array(K);
  for (let i = 0; i < N; i++) labelled[y[i]]++;
  let e = 0;
  for (let j = 0; j < K; j++) {
    let col = 0;
    for (let g = 0; g < K; g++) if (g !== j) col += J[g * K + j];
    e += Math.min(col, a[j] * labelled[j]);
  }
  return e;
}
/** Percentile ranks within each given label (rank among the rows with the same label / their number). */
function withinLabelRanks(v: ArrayLike<number>, y: Int32Array, N: number, K: number): Float64Array {
  const out = new Float64Array(N);
  for (let c = 0; c < K; c++) {
    const rows: number[] = [];
    for (let i = 0; i < N; i++) if (y[i] === c) rows.push(i);
    const r = averageRanksOf(rows.map((i) => v[i]));
    rows.forEach((i, u) => (out[i] = r[u] / rows.length));
  }
  return out;
}
/**
 * Consensus among the confident models only: a row labelled g counts for j != g where every model that
 * is confident about some class (confident-joint class, restricted) puts it in j and at least one is; for
 * g where any model puts it in g; rows where confident models name different other classes count for g.
 * Rescaled per given label as the confident joint. A model that is confident about nothing abstains.
 */
function abstainConsensus(models: Float64Array[], y: Int32Array, N: number, K: number): number {
  const ts = models.map((P) => det.perClassThresholds(P, y, N, K));
  const C = new Float64Array(K * K), labelled = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const g = y[i];
    labelled[g]++;
    let agreed = -2;
    for (let m = 0; m < models.length; m++) {
      const P = models[m], t = ts[m];
      let best = -1, top = 0;
      for (let c = 0; c < K; c++) { if (P[i * K + c] >= t[c] && (best < 0 || P[i * K + c] > P[i * K + best])) best = c; if (P[i * K + c] > P[i * K + top]) top = c; }
      const c = best >= 0 && best !== g && top === g ? g : best;
      if (c < 0) continue;
      agreed = agreed === -2 || agreed === c ? c : -1;
    }
    if (agreed >= 0 && agreed !== g) C[g * K + agreed]++;
    else if (agreed !== -2) C[g * K + g]++;
  }
  let e = 0;
  for (let a = 0; a < K; a++) { let s = 0; for (let b = 0; b < K; b++) s += C[a * K + b]; for (let b = 0; b < K; b++) if (a !== b && s > 0) e += (C[a * K + b] / s) * labelled[a]; }
  return e;
}
/**
 * EM on the class-conditional noise model with the out-of-sample probabilities as the prior of the true
 * class: start from the calibrated joint's T (noiseTransition), then alternately the posterior of the true
 * class per row (p_j T[j -> y]) and T[j -> y] = posterior mass of j among rows labelled y / all posterior mass of j
 * (+1 per cell, Laplace). `clean`: the prior is the backward-corrected p (cleanPrior) under the current T.
 */
function emTransition(d: D, y: Int32Array, N: number, K: number, rounds: number, clean: boolean): Float64Array {
  let T = d.noiseTransition;
  for (let r = 0; r < rounds; r++) {
    const P = clean ? cleanPrior(d.proba, T, N, K) : d.proba;
    const M = new Float64Array(K * K).fill(1);
    for (let i = 0; i < N; i++) {
      const g = y[i];
      let s = 0;
      for (let j = 0; j < K; j++) s += P[i * K + j] * T[j * K + g];
      if (s > 0) for (let j = 0; j < K; j++) M[j * K + g] += (P[i * K + j] * T[j * K + g]) / s;
    }
    const Tn = new Float64Array(K * K);
    for (let j = 0; j < K; j++) { let c = 0; for (let a = 0; a < K; a++) c += M[j * K + a]; for (let a = 0; a < K; a++) Tn[j * K + a] = M[j * K + a] / c; }
    T = Tn;
  }
  return T;
}
const cleanPosterior = (d: D, y: Int32Array, N: number, K: number) => det.noisePosterior(cleanPrior(d.proba, d.noiseTransition, N, K), y, d.noiseTransition, N, K);
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
/** T[j * K + a] = P(given a | true j) from a K x K joint Q (rows given, columns true), +1 per entry. */
function transitionFromJoint(Q: Float64Array, K: number): Float64Array {
  const T = new Float64Array(K * K);
  for (let j = 0; j < K; j++) {
    let col = 0;
    for (let a = 0; a < K; a++) col += Q[a * K + j] + 1;
    for (let a = 0; a < K; a++) T[j * K + a] = (Q[a * K + j] + 1) / col;
  }
  return T;
}

/**
 * The key that maximises the expected mean over true classes of recall (macro recall) of the top rows:
 * pi_ij = posterior that row i's true class is j != y_i (the noise posterior's terms p_ij T[j -> y_i]),
 * E_j = sum_i pi_ij the expected number of wrong labels whose true class is j, and the row's key
 * sum_j pi_ij / (E_j + prior). Greedy on it is optimal for that objective when the posterior is right.
 */
function macroPosterior(P: Float64Array, y: Int32Array, T: Float64Array, N: number, K: number, prior = 1): Float64Array {
  const pi = new Float64Array(N * K);
  const E = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    const g = y[i];
    let z = 0;
    for (let j = 0; j < K; j++) z += P[i * K + j] * T[j * K + g];
    if (!(z > 0)) continue;
    for (let j = 0; j < K; j++) if (j !== g) { const v = (P[i * K + j] * T[j * K + g]) / z; pi[i * K + j] = v; E[j] += v; }
  }
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) { let s = 0; for (let j = 0; j < K; j++) s += pi[i * K + j] / (E[j] + prior); out[i] = s; }
  return out;
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
const robustT = (d: D, y: Int32Array, N: number, K: number, none?: number) => {
  const t = new Float64Array(K), n = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    let b = 0;
    for (let c = 1; c < K; c++) if (d.proba[i * K + c] > d.proba[i * K + b]) b = c;
    if (b === y[i]) { t[b] += d.proba[i * K + b]; n[b]++; }
  }
  const all = d.thresholds;
  return Float64Array.from(t, (v, c) => (n[c] > 0 ? v / n[c] : none ?? all[c]));
};
const selfConf = (d: D, y: Int32Array, N: number, K: number) => Float64Array.from({ length: N }, (_, i) => -Math.log(Math.max(1e-300, d.proba[i * K + y[i]])));
/** t_j = mean p_j over the rows whose most probable class is j, whatever their label (`none` where no row is). */
const predictedT = (d: D, N: number, K: number, none: number | 'max' = 1) => {
  const t = new Float64Array(K), n = new Float64Array(K), top = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < K; c++) top[c] = Math.max(top[c], d.proba[i * K + c]);
    let b = 0;
    for (let c = 1; c < K; c++) if (d.proba[i * K + c] > d.proba[i * K + b]) b = c;
    t[b] += d.proba[i * K + b];
    n[b]++;
  }
  return Float64Array.from(t, (v, c) => (n[c] > 0 ? v / n[c] : none === 'max' ? top[c] : none));
};
/** t_j = mean p_j over the rows labelled j, each weighted by its posterior probability that the label is right (1 - noise posterior). */
const posteriorT = (d: D, y: Int32Array, N: number, K: number, rounds = 1) => {
  let T = d.noiseTransition;
  let out = d.thresholds;
  for (let r = 0; r < rounds; r++) {
    out = det.posteriorThresholds(d.proba, y, det.noisePosterior(d.proba, y, T, N, K), d.thresholds, N, K);
    T = det.noiseTransition(d.proba, y, out, N, K);
  }
  return out;
};
/**
 * Session 18: the posterior-weighted t_j, except for a label fewer than half of whose rows the model
 * predicts as j: there t_j is the mean p_j over the rows predicted j (any label), if any row is.
 */
const mostlyWrongT = (d: D, y: Int32Array, N: number, K: number) => {
  const post = posteriorT(d, y, N, K), pred = predictedT(d, N, K, NaN);
  const own = new Float64Array(K), n = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    let b = 0;
    for (let c = 1; c < K; c++) if (d.proba[i * K + c] > d.proba[i * K + b]) b = c;
    n[y[i]]++;
    if (b === y[i]) own[b]++;
  }
  const out = Float64Array.from(post, (v, c) => (n[c] > 0 && own[c] < n[c] / 2 && !Number.isNaN(pred[c]) ? Math.max(v, pred[c]) : v));
  if (process.env.SHOWT) for (let c = 0; c < K; c++) if (out[c] !== post[c]) console.error(`label ${c}: ${own[c]}/${n[c]} predicted own; t ${post[c].toFixed(3)} -> ${out[c].toFixed(3)}`);
  return out;
};
const calScRobust = (d: D, y: Int32Array, N: number, K: number) => det.calibratedScores(d.proba, y, robustT(d, y, N, K), N, K).rankKey;


/** One model's restricted confident-joint flags: 1 where a class above its threshold, other than the label, is also the most probable. */
function confidentFlags(P: Float64Array, y: Int32Array, N: number, K: number): Uint8Array {
  const t = det.perClassThresholds(P, y, N, K);
  const off = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    let best = -1, top = 0;
    for (let c = 0; c < K; c++) {
      if (P[i * K + c] >= t[c] && (best < 0 || P[i * K + c] > P[i * K + best])) best = c;
      if (P[i * K + c] > P[i * K + top]) top = c;
    }
    off[i] = best >= 0 && best !== y[i] && top === best ? 1 : 0;
  }
  return off;
}
/** 2 x 2 table of two flag vectors: [only a, only b, both, neither]. */
function table2(a: Uint8Array, b: Uint8Array): [number, number, number, number] {
  const r: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < a.length; i++) r[a[i] && b[i] ? 2 : a[i] ? 0 : b[i] ? 1 : 3]++;
  return r;
}
const argmaxFlags = (P: Float64Array, y: Int32Array, N: number, K: number) => Uint8Array.from({ length: N }, (_, i) => {
  let b = 0;
  for (let c = 1; c < K; c++) if (P[i * K + c] > P[i * K + b]) b = c;
  return b !== y[i] ? 1 : 0;
});
/**
 * Anchor rows with the region chosen per class as in BBE (Garg et al. 2021): rows sorted by p_j
 * descending; the top m with the smallest upper bound share(m) + sqrt(ln(1/delta) / 2m) (Hoeffding,
 * delta = 0.1); the share labelled otherwise there times the rows labelled j.
 */
function bbeAnchors(P: Float64Array, y: Int32Array, N: number, K: number, delta = 0.1): number {
  let errors = 0;
  const labelled = new Float64Array(K);
  for (let i = 0; i < N; i++) labelled[y[i]]++;
  for (let j = 0; j < K; j++) {
    const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => P[b * K + j] - P[a * K + j] || a - b);
    let other = 0, bestCrit = Infinity, bestShare = 0;
    order.forEach((i, r) => {
      if (y[i] !== j) other++;
      const m = r + 1, crit = other / m + Math.sqrt(Math.log(1 / delta) / (2 * m));
      if (crit < bestCrit) { bestCrit = crit; bestShare = other / m; }
    });
    errors += bestShare * labelled[j];
  }
  return errors;
}
/** Anchor rows where both models' most probable class is j, the tenth (>= 10) with the highest min(p_j of each model). */
function agreedAnchors(A: Float64Array, B: Float64Array, y: Int32Array, N: number, K: number): number {
  const top = (P: Float64Array, i: number) => { let b = 0; for (let c = 1; c < K; c++) if (P[i * K + c] > P[i * K + b]) b = c; return b; };
  const labelled = new Float64Array(K);
  for (let i = 0; i < N; i++) labelled[y[i]]++;
  let errors = 0;
  for (let j = 0; j < K; j++) {
    const rows = [];
    for (let i = 0; i < N; i++) if (top(A, i) === j && top(B, i) === j) rows.push(i);
    const m = Math.min(rows.length, Math.max(10, Math.ceil(rows.length / 10)));
    if (m === 0) continue;
    const key = (i: number) => Math.min(A[i * K + j], B[i * K + j]);
    const chosen = rows.sort((a, b) => key(b) - key(a) || a - b).slice(0, m);
    errors += (chosen.filter((i) => y[i] !== j).length / m) * labelled[j];
  }
  return errors;
}

/**
 * Anchor rows that the model believes more than all other classes together (p_j > 1/2) among the
 * tenth (>= 10) of the rows predicted j; a class with none gets the pooled rate of the others.
 */
function anchorsAboveHalf(P: Float64Array, y: Int32Array, N: number, K: number): number {
  const labelled = new Float64Array(K), rates = new Float64Array(K).fill(NaN);
  for (let i = 0; i < N; i++) labelled[y[i]]++;
  let other = 0, total = 0;
  for (let j = 0; j < K; j++) {
    const rows: number[] = [];
    for (let i = 0; i < N; i++) {
      let b = 0;
      for (let c = 1; c < K; c++) if (P[i * K + c] > P[i * K + b]) b = c;
      if (b === j && P[i * K + j] > 0.5) rows.push(i);
    }
    const m = Math.min(rows.length, Math.max(10, Math.ceil(rows.length / 10)));
    if (m === 0) continue;
    const chosen = rows.sort((a, b) => P[b * K + j] - P[a * K + j] || a - b).slice(0, m);
    const o = chosen.filter((i) => y[i] !== j).length;
    rates[j] = o / m;
    other += o;
    total += m;
  }
  let errors = 0;
  for (let j = 0; j < K; j++) errors += (Number.isNaN(rates[j]) ? other / Math.max(1, total) : rates[j]) * labelled[j];
  return errors;
}

/** Session 21: the default's three keys exactly as the detector makes them (its ranking thresholds). */
const defaultKeys = (d: D, y: Int32Array, N: number, K: number) => [det.calibratedScores(d.proba, y, d.rankThresholds, N, K).rankKey, det.normalisedMargin(d.proba, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)];
/** Session 21: the three keys' percentile ranks combined row by row by `how` (median, max, min, mean of probits). */
function aggregateRanks(keys: Float64Array[], N: number, how: 'median' | 'max' | 'min' | 'probit'): Float64Array {
  const ranks = keys.map((k) => averageRanksOf(k));
  const probit = (u: number) => { // inverse normal CDF (Acklam's rational approximation is overkill here: bisection on erf)
    let lo = -10, hi = 10;
    for (let it = 0; it < 60; it++) { const mid = (lo + hi) / 2; if (0.5 * (1 + erf(mid / Math.SQRT2)) < u) lo = mid; else hi = mid; }
    return (lo + hi) / 2;
  };
  return Float64Array.from({ length: N }, (_, i) => {
    const r = ranks.map((a) => a[i] / N).sort((a, b) => a - b);
    if (how === 'median') return r[1] + 1e-9 * (r[0] + r[2]);
    if (how === 'max') return r[2] + 1e-9 * (r[0] + r[1]);
    if (how === 'min') return r[0] + 1e-9 * (r[1] + r[2]);
    return r.reduce((a, u) => a + probit(u - 0.5 / N), 0);
  });
}
function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const v = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-x * x);
  return x >= 0 ? v : -v;
}

void main(process.argv[2], {
  'session 21: default keys, mean of ranks (must equal the default)': (d, y, N, K) => det.combinedRankKey(defaultKeys(d, y, N, K), N),
  'session 21: the calibrated key alone (the ranking thresholds)': (d, y, N, K) => defaultKeys(d, y, N, K)[0],
  'session 21: the noise posterior alone': (d, y, N, K) => defaultKeys(d, y, N, K)[2],
  'session 21: the mixture\'s self-confidence 1 - p_y alone': (d, y, N, K) => Float64Array.from({ length: N }, (_, i) => 1 - d.proba[i * K + y[i]]),
  'session 21: median of the three ranks': (d, y, N, K) => aggregateRanks(defaultKeys(d, y, N, K), N, 'median'),
  'session 21: max of the three ranks': (d, y, N, K) => aggregateRanks(defaultKeys(d, y, N, K), N, 'max'),
  'session 21: min of the three ranks': (d, y, N, K) => aggregateRanks(defaultKeys(d, y, N, K), N, 'min'),
  'session 21: mean of the probits of the three ranks': (d, y, N, K) => aggregateRanks(defaultKeys(d, y, N, K), N, 'probit'),
  'default with the noise posterior on the clean prior (backward-corrected p)': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), cleanPosterior(d, y, N, K)], N),
  'noise posterior on the clean prior, alone': cleanPosterior,
  'own threshold minus given-label probability, t_y - p_y, alone': (d, y, N, K) => Float64Array.from({ length: N }, (_, i) => d.thresholds[y[i]] - d.proba[i * K + y[i]]),
  'given-label probability under its own threshold, -p_y / t_y, alone': (d, y, N, K) => Float64Array.from({ length: N }, (_, i) => -d.proba[i * K + y[i]] / d.thresholds[y[i]]),
  'default with t_y - p_y in place of the calibrated self-confidence': (d, y, N, K) => det.combinedRankKey([Float64Array.from({ length: N }, (_, i) => d.thresholds[y[i]] - d.proba[i * K + y[i]]), margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'default with -p_y / t_y in place of the calibrated self-confidence': (d, y, N, K) => det.combinedRankKey([Float64Array.from({ length: N }, (_, i) => -d.proba[i * K + y[i]] / d.thresholds[y[i]]), margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'default with the noise posterior on the per-class calibrated q (p_c / t_c renormalised) as the prior': (d, y, N, K) => {
    const Q = new Float64Array(N * K);
    for (let i = 0; i < N; i++) { let s = 0; for (let c = 0; c < K; c++) s += Q[i * K + c] = d.proba[i * K + c] / d.thresholds[c]; for (let c = 0; c < K; c++) Q[i * K + c] /= s; }
    return det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), det.noisePosterior(Q, y, d.noiseTransition, N, K)], N);
  },
  'default with T of the noise posterior after 5 EM rounds': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), det.noisePosterior(d.proba, y, emTransition(d, y, N, K, 5, false), N, K)], N),
  'default with T of the noise posterior from the restricted confident joint (+1)': (d, y, N, K) => {
    const Q = det.confidentJoint(d.proba, y, d.thresholds, N, K, true).joint;
    return det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), det.noisePosterior(d.proba, y, transitionFromJoint(Q, K), N, K)], N);
  },
  'default keys ranked within each given label, then averaged': (d, y, N, K) => {
    const keys = [calSc(d, y, N, K), margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)].map((k) => withinLabelRanks(k, y, N, K));
    return Float64Array.from({ length: N }, (_, i) => keys[0][i] + keys[1][i] + keys[2][i] + 1e-9 * d.rankKey[i]);
  },
  'default + budget per suspected true class from the default estimate\'s joint (4 ranks)': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K), budgetTrue(d, y, N, K, estimateJoint(d, y, N, K), d.rankKey)], N),
  'budget per suspected true class from the default estimate\'s joint, by the default key': (d, y, N, K) => budgetTrue(d, y, N, K, estimateJoint(d, y, N, K), d.rankKey),
  'budget per given label from the default estimate\'s joint, by the default key': (d, y, N, K) => det.budgetKey(d.rankKey, y, estimateJoint(d, y, N, K), N, K),
  'prune by noise rate with the default estimate\'s joint': (d, y, N, K) => pbnr(d, y, N, K, estimateJoint(d, y, N, K)),
  'calibrated self-confidence with t_j over rows predicted j, alone': calScRobust,
  'that + normalised margin': (d, y, N, K) => det.combinedRankKey([calScRobust(d, y, N, K), margin(d, y, N, K)], N),
  'default (calibrated self-confidence + margin + noise posterior)': (d) => d.rankKey,
  // Session 17: labels that are mostly wrong (uniform flips into rare classes, shuttle) drag t_y down.
  'session 17: default with uncalibrated self-confidence -log p_y': (d, y, N, K) => det.combinedRankKey([selfConf(d, y, N, K), margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 17: default with t_j over rows labelled and predicted j': (d, y, N, K) => det.combinedRankKey([calScRobust(d, y, N, K), margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 17: default with t_j over rows labelled and predicted j, 1 where none': (d, y, N, K) => det.combinedRankKey([det.calibratedScores(d.proba, y, robustT(d, y, N, K, 1), N, K).rankKey, margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 17: default with t_j over rows predicted j (any label), 1 where none': (d, y, N, K) => det.combinedRankKey([det.calibratedScores(d.proba, y, predictedT(d, N, K), N, K).rankKey, margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 17: four keys, calibrated and uncalibrated self-confidence + margin + noise posterior': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), selfConf(d, y, N, K), margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 17: default with t_j over rows predicted j (any label), max p_j where none': (d, y, N, K) => det.combinedRankKey([det.calibratedScores(d.proba, y, predictedT(d, N, K, 'max'), N, K).rankKey, margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 17: default with t_j over rows labelled j weighted by 1 - noise posterior': (d, y, N, K) => det.combinedRankKey([det.calibratedScores(d.proba, y, posteriorT(d, y, N, K), N, K).rankKey, margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 17: default with posterior-weighted t_j, two rounds': (d, y, N, K) => det.combinedRankKey([det.calibratedScores(d.proba, y, posteriorT(d, y, N, K, 2), N, K).rankKey, margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 17: default with posterior-weighted t_j, five rounds': (d, y, N, K) => det.combinedRankKey([det.calibratedScores(d.proba, y, posteriorT(d, y, N, K, 5), N, K).rankKey, margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 17: margin + noise posterior': (d, y, N, K) => det.combinedRankKey([margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 17: uncalibrated self-confidence alone': (d, y, N, K) => selfConf(d, y, N, K),
  // Session 18: keep the posterior-weighted t_j where a label is mostly right, raise it where the rows the models predict j are more sure of j than the rows labelled j.
  'session 18: default with t_j = max(posterior-weighted t_j, t_j over rows predicted j)': (d, y, N, K) => { const a = posteriorT(d, y, N, K), b = predictedT(d, N, K, 'max'); return det.combinedRankKey([det.calibratedScores(d.proba, y, Float64Array.from(a, (v, c) => Math.max(v, b[c])), N, K).rankKey, margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N); },
  'session 18: default with t_j over rows predicted j for labels whose rows are mostly predicted otherwise': (d, y, N, K) => det.combinedRankKey([det.calibratedScores(d.proba, y, mostlyWrongT(d, y, N, K), N, K).rankKey, margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 18: posterior-weighted t_j, rows-predicted t_j for labels the confident joint counts mostly wrong (the default since session 18)': (d, y, N, K) => det.combinedRankKey([det.calibratedScores(d.proba, y, det.mostlyWrongThresholds(d.proba, y, d.thresholds, posteriorT(d, y, N, K), N, K), N, K).rankKey, margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'session 18: default with t_j = geometric mean of posterior-weighted t_j and t_j over rows predicted j': (d, y, N, K) => { const a = posteriorT(d, y, N, K), b = predictedT(d, N, K, 'max'); return det.combinedRankKey([det.calibratedScores(d.proba, y, Float64Array.from(a, (v, c) => Math.sqrt(v * b[c])), N, K).rankKey, margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K)], N); },
  'session 18: logistic alone, -log p_y': (_d, y, N, K) => Float64Array.from({ length: N }, (_, i) => -Math.log(Math.max(1e-300, MODELS[0][i * K + y[i]]))),
  'session 18: kNN alone, -log p_y': (_d, y, N, K) => Float64Array.from({ length: N }, (_, i) => -Math.log(Math.max(1e-300, MODELS[1][i * K + y[i]]))),
  'session 18: forest alone, -log p_y': (_d, y, N, K) => Float64Array.from({ length: N }, (_, i) => -Math.log(Math.max(1e-300, MODELS[2][i * K + y[i]]))),
  'session 18: the detector on temperature-calibrated candidates (TEMP=1)': (d) => TEMPERED?.rankKey ?? d.rankKey,
  'macro-recall posterior alone': (d, y, N, K) => macroPosterior(d.proba, y, d.noiseTransition, N, K),
  'default with the macro-recall posterior in place of the noise posterior': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), macroPosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'default + macro-recall posterior (4 ranks)': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), det.noisePosterior(d.proba, y, d.noiseTransition, N, K), macroPosterior(d.proba, y, d.noiseTransition, N, K)], N),
  'before the noise posterior: calibrated self-confidence + margin': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K)], N),
  'noise posterior alone': (d, y, N, K) => det.noisePosterior(d.proba, y, d.noiseTransition, N, K),
  'default with T of the noise posterior from the consensus joint (+1 per entry)': (d, y, N, K) => {
    const Q = det.consensusJoint(MODELS, y, N, K).joint;
    return det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), det.noisePosterior(d.proba, y, transitionFromJoint(Q, K), N, K)], N);
  },
  'calibrated self-confidence alone': calSc,
  'normalised margin alone': margin,
  'calibrated margin (p_c / t_c)': calMargin,
  'calibrated self-confidence + margin of q': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), qMargin(d, y, N, K)], N),
  'all three keys on the per-class calibrated q: calibrated self-confidence + margin of q + noise posterior on q': (d, y, N, K) => {
    const Q = new Float64Array(N * K);
    for (let i = 0; i < N; i++) { let s = 0; for (let c = 0; c < K; c++) s += Q[i * K + c] = d.proba[i * K + c] / d.thresholds[c]; for (let c = 0; c < K; c++) Q[i * K + c] /= s; }
    return det.combinedRankKey([calSc(d, y, N, K), qMargin(d, y, N, K), det.noisePosterior(Q, y, d.noiseTransition, N, K)], N);
  },
  'prune by noise rate (cells y -> j, budget C[y][j], by p_j - p_y)': (d, y, N, K) => pbnr(d, y, N, K, d.confidentJoint),
  'budget per given label (row sums), by the default key': (d, y, N, K) => det.budgetKey(d.rankKey, y, d.confidentJoint, N, K),
  'budget per suspected true class (column sums), by the default key': (d, y, N, K) => budgetTrue(d, y, N, K, d.confidentJoint, d.rankKey),
  'default + budget per suspected true class (3 ranks)': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), budgetTrue(d, y, N, K, d.confidentJoint, d.rankKey)], N),
  'default + prune by noise rate (3 ranks)': (d, y, N, K) => det.combinedRankKey([calSc(d, y, N, K), margin(d, y, N, K), pbnr(d, y, N, K, d.confidentJoint)], N),
}, {
  'default: mean of the upper estimate (smaller of restricted joint and anchors) and the consensus joint': (d) => d.estimatedErrors,
  'the same, but the upper alone where one model has mixture weight > 0.99 (no vote for a rejected model)': (d, y, N, K, models) => {
    const upper = Math.min(det.confidentJoint(d.proba, y, d.thresholds, N, K, true).errors, det.anchorEstimate(d.proba, y, N, K).errors);
    return d.choice !== 'ensemble' ? upper : (upper + det.consensusJoint(models, y, N, K).errors) / 2;
  },
  'sum of the noise posterior on the clean prior (backward-corrected p)': (d, y, N, K) => cleanPosterior(d, y, N, K).reduce((a, b) => a + b, 0),
  'default estimate on temperature-calibrated probabilities (each model and the mixture)': (d, y, N, K, models) => {
    const cal = models.map((P) => temperature(P, y, N, K));
    return (upperOf(temperature(d.proba, y, N, K), y, N, K) + det.consensusJoint(cal, y, N, K).errors) / 2;
  },
  'upper estimate on the temperature-calibrated mixture': (d, y, N, K) => upperOf(temperature(d.proba, y, N, K), y, N, K),
  'consensus joint of the temperature-calibrated models': (_d, y, N, K, models) => det.consensusJoint(models.map((P) => temperature(P, y, N, K)), y, N, K).errors,
  'mean of the upper estimate taken per estimated true class (smaller of the restricted joint\'s column and the anchors) and the consensus joint': (d, y, N, K, models) => (upperPerClass(d.proba, y, N, K) + det.consensusJoint(models, y, N, K).errors) / 2,
  'upper estimate taken per estimated true class': (d, y, N, K) => upperPerClass(d.proba, y, N, K),
  'consensus of the confident models (a model confident about no class abstains)': (_d, y, N, K, models) => abstainConsensus(models, y, N, K),
  'mean of the upper estimate and the consensus of the confident models': (d, y, N, K, models) => (upperOf(d.proba, y, N, K) + abstainConsensus(models, y, N, K)) / 2,
  'sum of the noise posterior after 5 EM rounds on T': (d, y, N, K) => det.noisePosterior(d.proba, y, emTransition(d, y, N, K, 5, false), N, K).reduce((a, b) => a + b, 0),
  'sum of the noise posterior on the clean prior after 5 EM rounds (clean prior each round)': (d, y, N, K) => { const T = emTransition(d, y, N, K, 5, true); return det.noisePosterior(cleanPrior(d.proba, T, N, K), y, T, N, K).reduce((a, b) => a + b, 0); },
  'sum of the noise posterior on the clean prior after 20 EM rounds (clean prior each round)': (d, y, N, K) => { const T = emTransition(d, y, N, K, 20, true); return det.noisePosterior(cleanPrior(d.proba, T, N, K), y, T, N, K).reduce((a, b) => a + b, 0); },
  'sum of the noise posterior on the clean prior after 1 EM round (clean prior each round)': (d, y, N, K) => { const T = emTransition(d, y, N, K, 1, true); return det.noisePosterior(cleanPrior(d.proba, T, N, K), y, T, N, K).reduce((a, b) => a + b, 0); },
  'the same, 5 rounds, on the temperature-calibrated mixture': (d, y, N, K) => { const dd = { ...d, proba: temperature(d.proba, y, N, K) }; const T = emTransition(dd, y, N, K, 5, true); return det.noisePosterior(cleanPrior(dd.proba, T, N, K), y, T, N, K).reduce((a, b) => a + b, 0); },
  'upper: smaller of restricted joint and anchors (the default before)': (d, y, N, K) => Math.min(det.confidentJoint(d.proba, y, d.thresholds, N, K, true).errors, det.anchorEstimate(d.proba, y, N, K).errors),
  'consensus joint (logistic, kNN)': (_d, y, N, K, models) => det.consensusJoint(models, y, N, K).errors,
  'geometric mean of the upper estimate and the consensus joint': (d, y, N, K, models) => Math.sqrt(Math.min(det.confidentJoint(d.proba, y, d.thresholds, N, K, true).errors, det.anchorEstimate(d.proba, y, N, K).errors) * det.consensusJoint(models, y, N, K).errors),
  'mean of the restricted joint and the consensus joint': (d, y, N, K, models) => (det.confidentJoint(d.proba, y, d.thresholds, N, K, true).errors + det.consensusJoint(models, y, N, K).errors) / 2,
  'consensus of confident flags, not rescaled: rows both models\' restricted joints put off the diagonal': (_d, y, N, K, models) => table2(confidentFlags(models[0], y, N, K), confidentFlags(models[1], y, N, K))[2],
  'consensus of confident flags minus chance coincidences, both - onlyA x onlyB / neither': (_d, y, N, K, models) => {
    const [a, b, both, neither] = table2(confidentFlags(models[0], y, N, K), confidentFlags(models[1], y, N, K));
    return both - (a * b) / Math.max(1, neither);
  },
  'the same with misclassification flags (argmax != label)': (_d, y, N, K, models) => {
    const [a, b, both, neither] = table2(argmaxFlags(models[0], y, N, K), argmaxFlags(models[1], y, N, K));
    return both - (a * b) / Math.max(1, neither);
  },
  'capture-recapture (Lincoln-Petersen) on the two models\' confident flags': (_d, y, N, K, models) => {
    const [a, b, both] = table2(confidentFlags(models[0], y, N, K), confidentFlags(models[1], y, N, K));
    return ((a + both) * (b + both)) / Math.max(1, both);
  },
  'consensus joint / its catch rate on the anchor rows labelled otherwise': (d, y, N, K, models) => {
    const cons = det.consensusJoint(models, y, N, K).errors;
    const fa = confidentFlags(models[0], y, N, K), fb = confidentFlags(models[1], y, N, K);
    // anchor rows (as anchorEstimate) whose label differs from their anchor class
    let caught = 0, total = 0;
    for (let j = 0; j < K; j++) {
      const rows = [];
      for (let i = 0; i < N; i++) { let b = 0; for (let c = 1; c < K; c++) if (d.proba[i * K + c] > d.proba[i * K + b]) b = c; if (b === j) rows.push(i); }
      const m = Math.min(rows.length, Math.max(10, Math.ceil(rows.length / 10)));
      for (const i of rows.sort((a, b) => d.proba[b * K + j] - d.proba[a * K + j] || a - b).slice(0, m)) if (y[i] !== j) { total++; if (fa[i] && fb[i]) caught++; }
    }
    return total && caught ? cons / (caught / total) : cons;
  },
  'anchor rows, region per class by the smallest Hoeffding upper bound (BBE-style, delta 0.1)': (d, y, N, K) => bbeAnchors(d.proba, y, N, K),
  'anchor rows where both models agree (top tenth by the smaller of their p_j)': (_d, y, N, K, models) => agreedAnchors(models[0], models[1], y, N, K),
  'mean of the consensus joint and the smaller of the restricted joint and anchors above 1/2': (d, y, N, K, models) => (Math.min(det.confidentJoint(d.proba, y, d.thresholds, N, K, true).errors, anchorsAboveHalf(d.proba, y, N, K)) + det.consensusJoint(models, y, N, K).errors) / 2,
  'smallest of the restricted joint, the anchors and the agreed anchors': (d, y, N, K, models) => Math.min(det.confidentJoint(d.proba, y, d.thresholds, N, K, true).errors, det.anchorEstimate(d.proba, y, N, K).errors, agreedAnchors(models[0], models[1], y, N, K)),
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
