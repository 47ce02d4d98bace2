/**
 * Influence functions for a TensorFlow.js MLP (trained by the engine, or the user's LayersModel when
 * it is a stack of Dense layers), over the last layer or over all parameters.
 *
 * scope 'last-layer' (default): the network below the last layer is frozen, so the model is a
 *   multinomial logistic regression on the penultimate activations phi(x) (plus a bias 1), with the
 *   MLP's L2 coefficient. Its weights are re-fitted in float64 from the trained ones (the MLP's
 *   optimiser stops at a float32 gradient; the polish moves them by ~1e-4 and is reported), then
 *   the exact float64 path (ExactInfluence) or EK-FAC (IterativeInfluence) is used as
 *   chooseSolver(P, N) says. The objective is convex in these weights: the theory holds exactly for
 *   the last-layer model.
 * scope 'full': all parameters, with Hessian-vector products from tfjs double backprop (float32).
 *   The network is not convex: H can have negative eigenvalues, and Koh & Liang's derivation only
 *   holds near a strict local minimum. Damping (H + d I) is added; the output says so.
 *   - P <= explicitMaxParams (default 2000): H is built from P HVPs, symmetrised, factored (float64
 *     Cholesky, damping doubled until it is positive definite) and per-example gradients G (N x P,
 *     from a manual backward pass) give s_i, ||H^-1 g_i|| and explain() exactly for the damped H.
 *   - larger P: explain() solves (H + d I) u = g_t by CG (or LiSSA) on HVPs and dots u with every
 *     per-example gradient; the global ranking and the RelatIF norms come from the last-layer model
 *     (said in `notes`), because N full solves are out of reach.
 */
import * as tf from '@tensorflow/tfjs';
import { Cholesky } from '../linalg/cholesky';
import { fitLogistic, type LogisticData } from '../model/logistic';
import { IterativeInfluence } from '../influence/ekfac';
import { chooseSolver } from '../influence/solverChoice';
import { ExactInfluence, type Explanation } from '../influence/exact';
import { conjugateGradient, lissa, type SolveReport } from '../influence/iterative';
import type { Checkpoint } from '../util/cancel';
import { NotPositiveDefiniteError, UserError } from '../util/errors';
import { forwardAll, layout, MlpObjective, oneHot, penultimate, toF64, type Mlp } from './mlp';

export type InfluenceScope = 'last-layer' | 'full';

export interface NnInfluenceOptions {
  scope?: InfluenceScope;
  /** The L2 coefficient the MLP was trained with (J's). */
  l2: number;
  /** Full scope: damping added to H (default 1e-3; doubled if H + d I is not positive definite). */
  damping?: number;
  /** Full scope: largest P for the explicit Hessian (default 2000). */
  explicitMaxParams?: number;
  /** Full scope with large P: 'cg' (default) or 'lissa'. */
  solver?: 'cg' | 'lissa';
  /** CG tolerance (default 1e-5: float32 HVPs bottom out around 1e-6). */
  tol?: number;
  maxIterations?: number;
  /** Last-layer scope: re-fit the last layer in float64 (default true). */
  polishLastLayer?: boolean;
  checkpoint?: Checkpoint;
}

interface Inner {
  selfInfluence: Float64Array;
  loss: Float64Array;
  explain(x: Float64Array, target: number): Explanation;
  method?: string;
  notes?: string[];
}

/** Per-example gradients g_i of CE_i (N x P, theta's layout) by a manual backward pass, in float32. */
export function perExampleGradients(mlp: Mlp, X: Float64Array | Float32Array, y: Int32Array, rows: number[] | Int32Array): Float32Array {
  const n = rows.length;
  const P = mlp.theta.length;
  const out = new Float32Array(n * P);
  const d = mlp.inputDim;
  const lay = layout(mlp.layers);
  const CH = Math.max(1, Math.min(n, Math.floor(4e6 / P)));
  for (let r0 = 0; r0 < n; r0 += CH) {
    const m = Math.min(CH, n - r0);
    const xb = new Float32Array(m * d);
    const yb = new Int32Array(m);
    for (let r = 0; r < m; r++) {
      const i = rows[r0 + r];
      xb.set(X.subarray(i * d, i * d + d), r * d);
      yb[r] = y[i];
    }
    const G = tf.tidy(() => {
      const theta = tf.tensor1d(mlp.theta);
      const acts = forwardAll(mlp.layers, theta, tf.tensor2d(xb, [m, d]));
      const L = mlp.layers.length;
      let delta: tf.Tensor2D = tf.sub(tf.softmax(acts[L]), oneHot(yb, mlp.classes));
      const parts: tf.Tensor2D[] = new Array(2 * L);
      for (let l = L - 1; l >= 0; l--) {
        const a = acts[l];
        const { inDim, outDim } = mlp.layers[l];
        parts[2 * l] = tf.reshape(tf.mul(tf.expandDims(a, 2), tf.expandDims(delta, 1)), [m, inDim * outDim]);
        parts[2 * l + 1] = delta;
        if (l > 0) {
          const W = tf.reshape(tf.slice(theta, lay[l].w, inDim * outDim), [inDim, outDim]) as tf.Tensor2D;
          const back = tf.matMul(delta, W, false, true);
          const act = mlp.layers[l - 1].activation;
          const deriv = act === 'tanh' ? tf.sub(1, tf.square(a)) : act === 'relu' ? tf.step(a) : tf.onesLike(a);
          delta = tf.mul(back, deriv) as tf.Tensor2D;
        }
      }
      return tf.concat(parts, 1);
    });
    out.set(G.dataSync() as Float32Array, r0 * P);
    G.dispose();
  }
  return out;
}

export class NnInfluence {
  readonly method: string;
  readonly notes: string[] = [];
  readonly scope: InfluenceScope;
  readonly selfInfluence: Float64Array;
  readonly loss: Float64Array;
  /** Damping actually used (full scope). */
  readonly damping: number;
  /** Last-layer re-fit: max |change| of a weight and the float64 gradient norm reached. */
  readonly polish?: { maxChange: number; gradNorm: number };
  /** The last explain()'s iterative solve (full scope, large P). */
  lastSolve?: SolveReport;

  private constructor(
    private readonly mlp: Mlp,
    scope: InfluenceScope,
    fields: { selfInfluence: Float64Array; loss: Float64Array; method: string; damping: number; polish?: { maxChange: number; gradNorm: number } },
    private readonly lastLayer: Inner | undefined,
    private readonly full:
      | { kind: 'explicit'; chol: Cholesky; G: Float32Array; thetaNorm: Float64Array }
      | { kind: 'iterative'; obj: MlpObjective; G: Float32Array; solver: 'cg' | 'lissa'; tol: number; maxIterations?: number; N: number }
      | undefined,
  ) {
    this.scope = scope;
    this.selfInfluence = fields.selfInfluence;
    this.loss = fields.loss;
    this.method = fields.method;
    this.damping = fields.damping;
    this.polish = fields.polish;
  }

  /** Builds the influence state for the training rows X (N x inputDim) with labels y. */
  static async build(mlp: Mlp, X: Float64Array | Float32Array, y: Int32Array, N: number, opts: NnInfluenceOptions): Promise<NnInfluence> {
    const scope = opts.scope ?? 'last-layer';
    const cp = opts.checkpoint;
    const K = mlp.classes;
    const notes: string[] = [];

    // Last-layer model (always built: it is the global ranking for 'full' with large P too).
    const lastLayer = async (): Promise<{ inner: Inner; polish?: { maxChange: number; gradNorm: number }; method: string }> => {
      const Hd = mlp.layers[mlp.layers.length - 1].inDim;
      const D = Hd + 1;
      const phi = await penultimate(mlp, X, N);
      const F = new Float64Array(N * D);
      for (let i = 0; i < N; i++) {
        F.set(phi.subarray(i * Hd, i * Hd + Hd), i * D);
        F[i * D + Hd] = 1;
      }
      const lay = layout(mlp.layers)[mlp.layers.length - 1];
      const W0 = new Float64Array(K * D);
      for (let k = 0; k < K; k++) {
        for (let a = 0; a < Hd; a++) W0[k * D + a] = mlp.theta[lay.w + a * K + k];
        W0[k * D + Hd] = mlp.theta[lay.b + k];
      }
      const data: LogisticData = { X: F, N, D, K, y };
      let W: Float64Array = W0;
      let polish: { maxChange: number; gradNorm: number } | undefined;
      if (opts.polishLastLayer ?? true) {
        const fit = await fitLogistic(data, { l2: opts.l2, init: W0, checkpoint: cp });
        let maxChange = 0;
        for (let p = 0; p < W0.length; p++) maxChange = Math.max(maxChange, Math.abs(fit.W[p] - W0[p]));
        W = fit.W;
        polish = { maxChange, gradNorm: fit.gradNorm };
      }
      const choice = chooseSolver(K * D, N);
      const inner: Inner =
        choice.solver === 'exact'
          ? await ExactInfluence.build(data, W, { l2: opts.l2, checkpoint: cp })
          : await IterativeInfluence.build(data, W, { l2: opts.l2, checkpoint: cp });
      return { inner, polish, method: `last layer (${K} x ${D} logistic on the penultimate activations), ${choice.solver === 'exact' ? 'exact float64' : 'EK-FAC'}` };
    };

    if (scope === 'last-layer') {
      const ll = await lastLayer();
      notes.push(
        'Influence over the last layer only: the layers below are frozen, and the last layer is an L2-regularised logistic regression on their activations, where the influence approximation is exact to first order.',
      );
      if (ll.polish) notes.push(`The last layer was re-fitted in float64 from the trained weights (largest change ${ll.polish.maxChange.toExponential(2)}, ||grad|| ${ll.polish.gradNorm.toExponential(2)}).`);
      if (ll.inner.notes) notes.push(...ll.inner.notes);
      const r = new NnInfluence(mlp, scope, { selfInfluence: ll.inner.selfInfluence, loss: ll.inner.loss, method: ll.method, damping: 0, polish: ll.polish }, ll.inner, undefined);
      r.notes.push(...notes);
      return r;
    }

    // Full scope.
    const P = mlp.theta.length;
    const obj = new MlpObjective(mlp.layers, X, y, N, opts.l2);
    const rows = Int32Array.from({ length: N }, (_, i) => i);
    const G = perExampleGradients(mlp, X, y, rows);
    const loss = await rowLosses(mlp, X, y, N);
    let damping = opts.damping ?? 1e-3;
    notes.push(
      `Influence over all ${P} parameters of a non-convex network: Koh & Liang's approximation assumes a strict local minimum with a positive definite Hessian, so it is approximate here; the Hessian is damped (H + ${'d'} I).`,
    );
    const explicitMax = opts.explicitMaxParams ?? 2000;
    if (P <= explicitMax) {
      const H = new Float64Array(P * P);
      const e = new Float64Array(P);
      for (let j = 0; j < P; j++) {
        e.fill(0);
        e[j] = 1;
        const col = await obj.hvp(mlp.theta, e);
        for (let i = 0; i < P; i++) H[i * P + j] = col[i];
        await cp?.tick((0.5 * j) / P);
      }
      for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) H[i * P + j] = H[j * P + i] = 0.5 * (H[i * P + j] + H[j * P + i]);
      let chol: Cholesky | undefined;
      for (let attempt = 0; attempt < 40 && !chol; attempt++) {
        try {
          chol = Cholesky.factor(H, P, { damping, what: 'Hessian of the network' });
        } catch (err) {
          if (!(err instanceof NotPositiveDefiniteError)) throw err;
          damping *= 2;
        }
      }
      if (!chol) throw new UserError('The network Hessian stays indefinite even with large damping; use scope "last-layer".');
      if (damping !== (opts.damping ?? 1e-3)) notes.push(`H + ${opts.damping ?? 1e-3} I was not positive definite (negative curvature): the damping was raised to ${damping.toPrecision(3)}.`);
      notes[0] = notes[0].replace('(H + d I)', `(H + ${damping.toPrecision(3)} I)`);
      const selfInfluence = new Float64Array(N);
      const thetaNorm = new Float64Array(N);
      const buf = new Float64Array(P);
      for (let i = 0; i < N; i++) {
        for (let p = 0; p < P; p++) buf[p] = G[i * P + p];
        chol.forwardRows(buf, 1);
        let s = 0;
        for (let p = 0; p < P; p++) s += buf[p] * buf[p];
        selfInfluence[i] = s;
        chol.backRows(buf, 1);
        let t = 0;
        for (let p = 0; p < P; p++) t += buf[p] * buf[p];
        thetaNorm[i] = Math.sqrt(t);
        if (i % 256 === 255) await cp?.tick(0.5 + (0.5 * i) / N);
      }
      obj.dispose();
      const r = new NnInfluence(
        mlp,
        'full',
        { selfInfluence, loss, method: `all ${P} parameters, explicit Hessian from ${P} double-backprop HVPs (float32), damped Cholesky (float64)`, damping },
        undefined,
        { kind: 'explicit', chol, G, thetaNorm },
      );
      r.notes.push(...notes);
      return r;
    }

    const ll = await lastLayer();
    notes[0] = notes[0].replace('(H + d I)', `(H + ${damping.toPrecision(3)} I)`);
    notes.push(
      `explain() solves (H + d I) u = g_t with ${opts.solver ?? 'cg'} on Hessian-vector products (its residual is in lastSolve); the global ranking and the RelatIF norms come from the last-layer model (${ll.method}), because one solve per training row is out of reach at P = ${P}.`,
    );
    const r = new NnInfluence(
      mlp,
      'full',
      { selfInfluence: ll.inner.selfInfluence, loss, method: `all ${P} parameters for explain (${opts.solver ?? 'cg'} on double-backprop HVPs); global ranking from the ${ll.method}`, damping },
      ll.inner,
      { kind: 'iterative', obj, G, solver: opts.solver ?? 'cg', tol: opts.tol ?? 1e-5, maxIterations: opts.maxIterations, N },
    );
    r.notes.push(...notes);
    return r;
  }

  /** Releases tensors held for the iterative full-scope path. */
  dispose(): void {
    if (this.full?.kind === 'iterative') this.full.obj.dispose();
  }

  /** Influence of every training row on the test point x (inputDim features) at class `target`. */
  async explain(x: Float64Array, target: number): Promise<Explanation> {
    const mlp = this.mlp;
    if (x.length !== mlp.inputDim) throw new RangeError(`explain: x has ${x.length} features, the model takes ${mlp.inputDim}`);
    if (this.scope === 'last-layer' || !this.full) {
      const Hd = mlp.layers[mlp.layers.length - 1].inDim;
      const phi = await penultimate(mlp, x, 1);
      const f = new Float64Array(Hd + 1);
      f.set(phi);
      f[Hd] = 1;
      return (this.lastLayer as Inner).explain(f, target);
    }
    const P = mlp.theta.length;
    const gt = Float64Array.from(perExampleGradients(mlp, x, Int32Array.of(target), [0]));
    const probabilities = await rowProba(mlp, x);
    const testLoss = -Math.log(probabilities[target]);
    const full = this.full;
    let u: Float64Array;
    let thetaNorm: Float64Array | undefined;
    if (full.kind === 'explicit') {
      u = full.chol.solve(gt);
      thetaNorm = full.thetaNorm;
    } else {
      const hvp = full.obj.hvpAt(mlp.theta);
      const res =
        full.solver === 'lissa'
          ? await lissa((v, batch) => batchHvp(full.obj, mlp, v, batch), hvp, gt, { rows: full.N, damping: this.damping })
          : await conjugateGradient(hvp, gt, { damping: this.damping, tol: full.tol, maxIterations: full.maxIterations });
      u = res.x;
      this.lastSolve = res.report;
    }
    const G = full.G;
    const N = G.length / P;
    const influence = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      let s = 0;
      const o = i * P;
      for (let p = 0; p < P; p++) s += u[p] * G[o + p];
      influence[i] = -s;
    }
    const relatifTheta = new Float64Array(N), relatifL = new Float64Array(N);
    if (thetaNorm) {
      for (let i = 0; i < N; i++) {
        relatifTheta[i] = thetaNorm[i] > 0 ? influence[i] / thetaNorm[i] : 0;
        relatifL[i] = this.selfInfluence[i] > 0 ? influence[i] / Math.sqrt(this.selfInfluence[i]) : 0;
      }
    } else {
      // RelatIF norms from the last-layer model (see notes).
      const ll = this.lastLayer as Inner & { thetaNorm?: Float64Array; thetaNorms?: () => Float64Array };
      const tn = ll.thetaNorm ?? ll.thetaNorms?.() ?? new Float64Array(N);
      for (let i = 0; i < N; i++) {
        relatifTheta[i] = tn[i] > 0 ? influence[i] / tn[i] : 0;
        relatifL[i] = this.selfInfluence[i] > 0 ? influence[i] / Math.sqrt(this.selfInfluence[i]) : 0;
      }
    }
    return { probabilities, testLoss, influence, relatifTheta, relatifL };
  }
}

async function rowProba(mlp: Mlp, x: Float64Array): Promise<Float64Array> {
  const t = tf.tidy(() => tf.softmax(forwardAll(mlp.layers, tf.tensor1d(mlp.theta), tf.tensor2d(Float32Array.from(x), [1, mlp.inputDim]))[mlp.layers.length]));
  const p = await toF64(t);
  t.dispose();
  return p;
}

/** Per-row cross-entropy at the MLP's parameters. */
export async function rowLosses(mlp: Mlp, X: Float64Array | Float32Array, y: Int32Array, N: number): Promise<Float64Array> {
  const t = tf.tidy(() => {
    const logits = forwardAll(mlp.layers, tf.tensor1d(mlp.theta), tf.tensor2d(Float32Array.from(X.subarray(0, N * mlp.inputDim)), [N, mlp.inputDim]))[mlp.layers.length];
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.sum(tf.mul(logp, oneHot(y.subarray(0, N), mlp.classes)), 1));
  });
  const r = await toF64(t);
  t.dispose();
  return r;
}

/** Minibatch Hessian-vector product for LiSSA: the Hessian of the objective on rows `batch` only. */
const hostData = new WeakMap<MlpObjective, { xs: Float32Array; ys: Int32Array }>();

async function batchHvp(obj: MlpObjective, mlp: Mlp, v: Float64Array, batch: Int32Array): Promise<Float64Array> {
  let host = hostData.get(obj);
  if (!host) {
    const am = tf.argMax(obj.Y, 1);
    host = { xs: (await obj.X.data()) as Float32Array, ys: (await am.data()) as Int32Array };
    am.dispose();
    hostData.set(obj, host);
  }
  const { xs, ys } = host;
  const d = mlp.inputDim;
  const xb = new Float32Array(batch.length * d);
  const yb = new Int32Array(batch.length);
  batch.forEach((i, r) => {
    xb.set(xs.subarray(i * d, i * d + d), r * d);
    yb[r] = ys[i];
  });
  const sub = new MlpObjective(mlp.layers, xb, yb, batch.length, obj.l2);
  const hv = await sub.hvp(mlp.theta, v);
  sub.dispose();
  return hv;
}
