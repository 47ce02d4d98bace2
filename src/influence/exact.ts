import { RangeCheckpoint, type Checkpoint } from '../util/cancel';
import { UserError } from '../util/errors';
import { logits, HessianAccumulator, softmaxInto, type LogisticData } from '../model/logistic';
import { Cholesky } from '../linalg/cholesky';
import { dot } from '../linalg/dense';
import { ExactKronQuadForms, kronQuadFormsOfGradients } from '../linalg/kron';

/**
 * Exact influence functions (Koh & Liang 2017) and RelatIF (Barshan et al. 2020) for L2-regularised
 * multinomial logistic regression, with the conventions of shared/reference/ref_influence.py:
 *   g_i = r_i kron x_i with r_i = p_i - onehot(y_i) (gradient of CE_i alone, no 1/N);
 *   H   = (1/N) sum_i (diag(p_i) - p_i p_i^T) kron x_i x_i^T + l2 I (+ damping I when asked);
 *   s_i = g_i^T H^-1 g_i (self-influence); I(i, t) = -g_t^T H^-1 g_i (positive: upweighting i raises
 *   the test loss, i.e. i is harmful to t); removing i changes CE_t by about -I(i, t) / N;
 *   RelatIF: theta-relative I / ||H^-1 g_i||, l-relative I / sqrt(s_i) (0 where g_i = 0).
 * H is factored once (Cholesky); every query reuses the factor.
 *
 * Costs (P = K D parameters, N rows): Hessian N K(K-1)/2 D(D+1)/2 multiply-adds (off-diagonal
 * blocks only, see HessianAccumulator); Cholesky P^3/6; self-influence s_i = ||L^-1 g_i||^2 by
 * forward substitution, P^2/2 per row; RelatIF norms by the back substitution of the same vectors,
 * another P^2/2 per row (with `relatif`, or P^2 per row later); explain: one solve (P^2) and one
 * pass over the rows (N K D), I(i, t) = -sum_k r_ik (u_k . x_i) with u = H^-1 g_t. The Hessian,
 * the factorisation and the solves run blocked on the gemmNT kernel (src/linalg/kernels.ts).
 * The self-influence takes one of two routes (selfInfluenceRoute): the forward substitutions
 * above, or, where it needs clearly fewer multiply-adds (many rows, few parameters), H^-1 from the
 * factor on the kernel (P^3 / 3) and s_i = r_i^T M_i r_i with M_i[k, l] = x_i^T (H^-1)_kl x_i, all
 * rows at once as one kernel product of packed symmetric outer products (kronQuadFormsOfGradients,
 * N K(K+1)/2 D(D+1)/2). (Earlier, with M_i in plain JavaScript loops, that route was 3x slower.)
 * The M_i blocks themselves are kept only for the Newton-step leave-one-out (rowBlocks).
 */
export interface ExactInfluenceOptions {
  l2: number;
  /** Added to the Hessian's diagonal only when the user asks for it. */
  damping?: number;
  checkpoint?: Checkpoint;
  /**
   * Also compute the RelatIF norms ||H^-1 g_i|| during build, reusing each row's forward
   * substitution (P^2 multiply-adds per row for both, instead of P^2 / 2 now and P^2 at the
   * first explain). Default false: a scan that never explains does not pay for them.
   */
  relatif?: boolean;
  /** The self-influence route (default: selfInfluenceRoute's choice); for tests and benchmarks. */
  route?: 'solve' | 'kron';
}

export interface Explanation {
  probabilities: Float64Array;
  /** CE of the test point at `target`. */
  testLoss: number;
  /** I(i,t) = -g_t^T H^-1 g_i for every training row i. */
  influence: Float64Array;
  /** I(i,t) / ||H^-1 g_i|| (0 where g_i = 0). */
  relatifTheta: Float64Array;
  /** I(i,t) / sqrt(g_i^T H^-1 g_i) (0 where g_i = 0). */
  relatifL: Float64Array;
}

/** A test point's pieces: probabilities, logits, CE at target, residual r_t, gradient g_t = r_t kron x. */
export interface TestGradient {
  probabilities: Float64Array;
  logits: Float64Array;
  testLoss: number;
  residual: Float64Array;
  gradient: Float64Array;
}

/** Rows per chunk of the per-row solves (a checkpoint tick between chunks): the factor's buffer. */
const SOLVE_CHUNK = Cholesky.RHS_CHUNK;

/**
 * How build computes the self-influence of N rows with K classes and D features (P = K D):
 * 'solve', the forward substitution of every gradient (s_i = ||L^-1 g_i||^2, N P^2 / 2
 * multiply-adds, plus ~10% for the inverted diagonal blocks), or 'kron', H^-1 from the factor
 * (P^3 / 3) and the packed quadratic forms of kronQuadFormsOfGradients (N K(K+1)/2 D(D+1)/2).
 * 'kron' also writes P^2 + K(K+1)/2 D(D+1)/2 fresh doubles, and first-touched memory is costly
 * (~5 ms of CPU per MB on the development machine); measured in fresh processes (CPU time, 5
 * alternating runs each), 'kron' won on satellite (P = 222, N = 6435: 31 ms against 37, with 0.63x
 * the multiply-adds) and lost on digits (P = 620, N = 1797: 68 ms against 56, at 0.79x). So 'kron'
 * is taken below 0.7x the multiply-adds of the solves.
 */
export function selfInfluenceRoute(N: number, K: number, D: number): 'solve' | 'kron' {
  const P = K * D;
  const kron = (N * (K * (K + 1)) * (D * (D + 1))) / 4 + P ** 3 / 3;
  return kron < 0.7 * ((N * P * P) / 2) ? 'kron' : 'solve';
}

export class ExactInfluence {
  /** s_i = g_i^T H^-1 g_i, the global (self-)influence of every training row. */
  readonly selfInfluence!: Float64Array;
  /** Training cross-entropy of every row at the fitted W. */
  readonly loss!: Float64Array;
  /** N x K probabilities p_i at W. */
  readonly probabilities!: Float64Array;
  /** The Cholesky factor of H (damping included). */
  readonly factor!: Cholesky;
  readonly data!: LogisticData;
  readonly W!: Float64Array;
  readonly l2!: number;
  readonly damping!: number;
  /**
   * Seconds spent by build() in each stage (wall clock, checkpoint yields included); relatifNorms:
   * the back substitutions for the RelatIF norms (with `relatif`), not part of selfInfluence.
   */
  readonly timings!: { hessian: number; factor: number; selfInfluence: number; relatifNorms: number };

  private thetaNormCache?: Float64Array;
  private inverseCache?: Float64Array;
  private blockCache?: Float64Array;

  private constructor(fields: Partial<ExactInfluence>) {
    Object.assign(this, fields);
  }

  get N(): number {
    return this.data.N;
  }
  get D(): number {
    return this.data.D;
  }
  get K(): number {
    return this.data.K;
  }
  get P(): number {
    return this.data.K * this.data.D;
  }

  /**
   * Probabilities, residuals and losses at W; the Hessian (symmetric blocks only, mirrored); its
   * Cholesky factor; the self-influence of every row by blocked forward substitution
   * (s_i = ||L^-1 g_i||^2, four rows per pass over L). Ticks the checkpoint between chunks.
   */
  static async build(data: LogisticData, W: Float64Array, opts: ExactInfluenceOptions): Promise<ExactInfluence> {
    const { X, N, D, K, y } = data;
    const P = K * D;
    if (W.length !== P) throw new RangeError(`ExactInfluence.build: W has ${W.length} entries, K*D = ${P}`);
    if (N === 0) throw new UserError('Influence needs at least one training row.');
    const cp = opts.checkpoint;
    const damping = opts.damping ?? 0;

    // Probabilities and training losses (the residuals r_i = p_i - onehot(y_i) are made from them a
    // chunk of rows at a time where needed, residualRows: an N x K array less).
    const probabilities = logits(W, X, N, D, K);
    const loss = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const zy = probabilities[i * K + y[i]];
      const lse = softmaxInto(probabilities, i * K, K, probabilities, i * K);
      loss[i] = lse - zy;
    }

    // Hessian: 40% of the progress, Cholesky 20%, self-influence 40% (roughly their costs).
    let last = performance.now();
    const lap = (): number => {
      const now = performance.now();
      const s = (now - last) / 1000;
      last = now;
      return s;
    };
    const acc = new HessianAccumulator(data, probabilities);
    for (let r = 0; r < N; r += HessianAccumulator.CHUNK) {
      acc.addRows(r, Math.min(N, r + HessianAccumulator.CHUNK));
      await cp?.tick((0.4 * r) / N);
    }
    acc.finish(opts.l2);
    const hessianSeconds = lap();

    // Factored where the Hessian was accumulated (no copy, no fresh memory).
    const cholOpts = { damping, what: 'Hessian of the training objective' };
    const factor = await acc.factorAsync(cholOpts, async (f) => cp?.tick(Math.min(0.6, 0.4 + 0.2 * f)));
    const factorSeconds = lap();

    const inf = new ExactInfluence({ data, W, l2: opts.l2, damping, probabilities, loss, factor });
    // s_i = g_i^T H^-1 g_i by whichever route needs fewer multiply-adds (see selfInfluenceRoute).
    let selfInfluence: Float64Array;
    let theta: Float64Array | undefined;
    let thetaSeconds = 0, selfSeconds: number;
    if ((opts.route ?? selfInfluenceRoute(N, K, D)) === 'kron') {
      selfInfluence = kronQuadFormsOfGradients(factor.inverseUpperBlocks(), K, D, X, inf.residualRows, N);
      selfSeconds = lap();
      await cp?.tick(0.8);
      if (opts.relatif) await inf.prepareRelatif(cp ? new RangeCheckpoint(cp, 0.8, 1) : undefined);
      thetaSeconds = lap();
    } else {
      // The gradients are written straight into the factor's right-hand-side buffer and solved
      // there; with `relatif` the same forward substitutions continue into the back substitution.
      selfInfluence = new Float64Array(N);
      theta = opts.relatif ? new Float64Array(N) : undefined;
      const G = factor.rhsBuffer();
      for (let i0 = 0; i0 < N; i0 += SOLVE_CHUNK) {
        const m = Math.min(SOLVE_CHUNK, N - i0);
        inf.fillGradients(i0, m, G);
        factor.forwardBuffer(m); // rows: L^-1 g_i
        for (let r = 0; r < m; r++) selfInfluence[i0 + r] = dot(G, r * P, G, r * P, P);
        if (theta) {
          const t0 = performance.now();
          factor.backBuffer(m); // rows: L^-T L^-1 g_i = H^-1 g_i
          for (let r = 0; r < m; r++) theta[i0 + r] = Math.sqrt(dot(G, r * P, G, r * P, P));
          thetaSeconds += (performance.now() - t0) / 1000;
        }
        await cp?.tick(0.6 + (0.4 * i0) / N);
      }
      inf.thetaNormCache = theta;
      selfSeconds = lap() - thetaSeconds;
    }
    Object.assign(inf, { selfInfluence, timings: { hessian: hessianSeconds, factor: factorSeconds, selfInfluence: selfSeconds, relatifNorms: thetaSeconds } });
    return inf;
  }

  /**
   * Rows [i0, i0 + m) of the residuals r_i = p_i - onehot(y_i) into out (m x K, from its start;
   * returned). No N x K residual array is kept: g_i = r_i kron x_i is made from these rows where needed.
   */
  readonly residualRows = (i0: number, m: number, out: Float64Array = new Float64Array(m * this.K)): Float64Array => {
    const { K, y } = this.data;
    const p = this.probabilities;
    out.set(p.subarray(i0 * K, (i0 + m) * K));
    for (let r = 0; r < m; r++) out[r * K + y[i0 + r]] -= 1;
    return out;
  };

  /** Row i's residual r_i[k] = p_i[k] - [k = y_i]. */
  residual(i: number, k: number): number {
    const p = this.probabilities[i * this.K + k];
    return k === this.data.y[i] ? p - 1 : p;
  }

  /** Rows [i0, i0 + m) of the per-example gradients g_i = r_i kron x_i into G (m x P). */
  fillGradients(i0: number, m: number, G: Float64Array): void {
    const { X, D, K, y } = this.data;
    const P = K * D;
    const prob = this.probabilities;
    for (let r = 0; r < m; r++) {
      const i = i0 + r;
      for (let k = 0; k < K; k++) {
        const rk = k === y[i] ? prob[i * K + k] - 1 : prob[i * K + k];
        const o = r * P + k * D;
        for (let a = 0; a < D; a++) G[o + a] = rk * X[i * D + a];
      }
    }
  }

  /** H^-1 v (new array). */
  solve(v: Float64Array): Float64Array {
    return this.factor.solve(v);
  }

  /** Probabilities, CE at `target`, residual and gradient of a test point x (D features, bias last). */
  testGradient(x: Float64Array, target: number): TestGradient {
    const { D, K } = this.data;
    if (x.length !== D) throw new RangeError(`explain: the test point has ${x.length} features, the model ${D} (bias included)`);
    if (!(Number.isInteger(target) && target >= 0 && target < K)) throw new RangeError(`explain: target class ${target} is not in 0..${K - 1}`);
    const z = logits(this.W, x, 1, D, K);
    const probabilities = new Float64Array(K);
    const lse = softmaxInto(z, 0, K, probabilities, 0);
    const testLoss = lse - z[target];
    const residual = Float64Array.from(probabilities);
    residual[target] -= 1;
    const gradient = new Float64Array(K * D);
    for (let k = 0; k < K; k++) for (let a = 0; a < D; a++) gradient[k * D + a] = residual[k] * x[a];
    return { probabilities, logits: z, testLoss, residual, gradient };
  }

  /**
   * v . g_i for every training row, for a parameter-space vector v (K x D): with the Kronecker
   * structure, sum_k r_ik (v_k . x_i), one pass of N K D multiply-adds.
   */
  dotGradients(v: Float64Array): Float64Array {
    const { X, N, D, K, y } = this.data;
    const Z = logits(v, X, N, D, K);
    const prob = this.probabilities;
    const out = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (k === y[i] ? prob[i * K + k] - 1 : prob[i * K + k]) * Z[i * K + k];
      out[i] = s;
    }
    return out;
  }

  /**
   * Influence of every training row on the CE of test point x (D features, bias last) at class
   * `target`: u = H^-1 g_t (one solve), then I(i, t) = -sum_k r_ik (u_k . x_i).
   * The first call computes the RelatIF norms ||H^-1 g_i|| (see prepareRelatif).
   */
  explain(x: Float64Array, target: number): Explanation {
    const t = this.testGradient(x, target);
    const influence = this.dotGradients(this.solve(t.gradient));
    for (let i = 0; i < influence.length; i++) influence[i] = -influence[i];
    const theta = this.thetaNorms();
    const s = this.selfInfluence;
    const relatifTheta = new Float64Array(influence.length);
    const relatifL = new Float64Array(influence.length);
    for (let i = 0; i < influence.length; i++) {
      relatifTheta[i] = theta[i] > 0 ? influence[i] / theta[i] : 0;
      relatifL[i] = s[i] > 0 ? influence[i] / Math.sqrt(s[i]) : 0;
    }
    return { probabilities: t.probabilities, testLoss: t.testLoss, influence, relatifTheta, relatifL };
  }

  /** ||H^-1 g_i|| for every row (computed once, by forward and back substitution in row chunks). */
  thetaNorms(): Float64Array {
    if (!this.thetaNormCache) {
      const out = new Float64Array(this.N);
      for (let i0 = 0; i0 < this.N; i0 += SOLVE_CHUNK) this.thetaChunk(i0, out);
      this.thetaNormCache = out;
    }
    return this.thetaNormCache;
  }

  /** Computes the RelatIF norms ahead of the first explain, ticking the checkpoint between chunks. */
  async prepareRelatif(cp?: Checkpoint): Promise<void> {
    if (this.thetaNormCache) return;
    const out = new Float64Array(this.N);
    for (let i0 = 0; i0 < this.N; i0 += SOLVE_CHUNK) {
      this.thetaChunk(i0, out);
      await cp?.tick(i0 / this.N);
    }
    this.thetaNormCache = out;
  }

  /** Rows [i0, i0 + SOLVE_CHUNK) of the RelatIF norms, solved in the factor's own buffer (no copies). */
  private thetaChunk(i0: number, out: Float64Array): void {
    const P = this.P;
    const m = Math.min(SOLVE_CHUNK, this.N - i0);
    const G = this.factor.rhsBuffer();
    this.fillGradients(i0, m, G);
    this.factor.forwardBuffer(m); // rows: L^-1 g_i
    this.factor.backBuffer(m); // rows: L^-T L^-1 g_i = H^-1 g_i
    for (let r = 0; r < m; r++) out[i0 + r] = Math.sqrt(dot(G, r * P, G, r * P, P));
  }

  /** H^-1 (P x P, full), computed once from the factor (blocked solves of the identity). */
  inverseHessian(): Float64Array {
    if (!this.inverseCache) this.inverseCache = this.factor.inverse();
    return this.inverseCache;
  }

  /**
   * M_i = (I kron x_i)^T H^-1 (I kron x_i) for every training row (N x K x K, computed once): the
   * K x K blocks behind s_i = r_i^T M_i r_i and the Newton-step leave-one-out.
   */
  rowBlocks(): Float64Array {
    if (!this.blockCache) this.blockCache = new ExactKronQuadForms(this.inverseHessian(), this.K, this.D).fill(this.data.X, this.N);
    return this.blockCache;
  }
}
