/**
 * Influence at scale for models whose Hessian has the multinomial-logistic Kronecker structure
 * (logistic regression, and the last layer of a neural network on its penultimate activations):
 *   H = (1/N) sum_i A_i kron x_i x_i^T + (l2 + damping) I,   A_i = diag(p_i) - p_i p_i^T,
 *   g_i = r_i kron x_i.
 * The exact path (src/influence/exact.ts) costs ~N K^2 D^2 / 2 for H, P^3 / 3 for the Cholesky
 * factor and N P^2 for the per-row solves (P = K D). At 100,000 rows x 257 features x 10 classes
 * that is ~1.5e12 flops: minutes in float64 JavaScript, and ~6 minutes even through tfjs-wasm GEMM
 * (measured 4 GFLOP/s on this machine), and N separate CG solves are worse. Instead:
 *
 * EK-FAC (George et al. 2018; Grosse et al. 2023 used it for influence):
 *   1. Kronecker factors: S = (1/N) sum_i x_i x_i^T (D x D) and A = (1/N) sum_i A_i (K x K);
 *   2. their eigenbases Q_S, Q_A (Jacobi rotations; a basis that nearly diagonalises is enough);
 *   3. in the basis Q = Q_A kron Q_S, the TRUE Hessian's diagonal is refitted ("eigenvalue
 *      correction"): lambda[k, a] = (1/N) sum_i (q_k^T A_i q_k) (z_ia)^2 + l2 + damping with
 *      z_i = Q_S^T x_i. H ~ Q diag(lambda) Q^T is exact when the factors commute with the data (and
 *      is exact in the directions where H is l2 I);
 *   4. then every quantity is closed form in O(N K D) after the O(N D^2) projection Z = X Q_S:
 *      s_i = sum_{k,a} rho_ik^2 z_ia^2 / lambda[k,a], rho_i = Q_A^T r_i,
 *      ||H^-1 g_i||^2 = sum rho_ik^2 z_ia^2 / lambda[k,a]^2,
 *      I(i, t) = -sum_k rho_ik (Z_i . u_k) with u[k,a] = rho_tk z_ta / lambda[k,a].
 * Optionally the test solve H^-1 g_t of explain() is refined to the exact one by preconditioned CG on
 * exact Hessian-vector products with EK-FAC as the preconditioner (cheap when N K D is moderate).
 *
 * Agreement with the exact path is measured, not assumed (test/unit/iterative-influence.test.ts,
 * bench/nn.ts): Spearman correlation of s_i and overlap of the top 10%.
 */
import type { Checkpoint } from '../util/cancel';
import { UserError } from '../util/errors';
import { hessianVectorProduct, logits, softmaxInto, type LogisticData } from '../model/logistic';
import type { Explanation } from './exact';
import { dot } from '../linalg/dense';
import { jacobiEigen } from '../linalg/eigen';
import type { GemmProvider } from '../linalg/gemm';
import { stageTimer } from '../util/timer';

export interface IterativeInfluenceOptions {
  gemm?: GemmProvider;
  l2: number;
  damping?: number;
  checkpoint?: Checkpoint;
  /**
   * Refine explain()'s test solve with preconditioned CG on exact HVPs (tolerance 1e-6 relative,
   * at most this many iterations; 0 = off). Default: 50 when N K D <= 2e7 (each HVP then costs
   * ~4 N K D flops, ~30 ms), else 0 (EK-FAC solve only, so explain stays within ~100-200 ms).
   */
  refineIterations?: number;
  /** Jacobi sweeps for the eigenbases (default 6). */
  sweeps?: number;
  /**
   * Largest D for which S's eigenbasis is computed (Jacobi costs ~4 D^3 per sweep: D = 600 is ~5e9
   * per sweep). Above it the feature basis is the identity ("diagonal EK-FAC": the K x K class
   * basis is still exact, and the refitted diagonal is the true Hessian's diagonal in that basis),
   * which suits sparse, nearly orthogonal features such as hashed tf-idf. Default 600.
   */
  maxEigenDim?: number;
  /**
   * The feature side of an earlier build on the same X (the same array): S = X^T X / N, its eigenbasis
   * Q_S and Z = X Q_S depend on the features only, not on the labels or W, so a re-score after label
   * fixes reuses them (the same numbers); the class factor A, Q_A, the refitted eigenvalues and
   * everything per row are made from this W. Ignored for another X, the diagonal basis or with gemm.
   */
  featureBasis?: EkfacFeatureBasis;
}

/** What IterativeInfluence.featureBasis keeps: X (to check identity), Q_S (D x D) and Z = X Q_S (N x D). */
export interface EkfacFeatureBasis {
  X: Float64Array;
  QS: Float64Array;
  Z: Float64Array;
}

/**
 * The EK-FAC influence state: same queries as ExactInfluence (selfInfluence, loss, explain with both
 * RelatIF normalisations), plus `method` and `notes` for the output.
 */
export class IterativeInfluence {
  readonly method: string;
  readonly notes: string[] = [];
  readonly selfInfluence: Float64Array;
  readonly loss: Float64Array;
  /** N x K probabilities at W. */
  readonly probabilities: Float64Array;
  /** ||H^-1 g_i|| under the same approximation. */
  readonly thetaNorm: Float64Array;
  /** Seconds per stage of build(). */
  readonly timings: Record<string, number>;
  /** Z kept resident in the GEMM provider, for explain(). */
  boundZ?: { timesTransposed(B: Float64Array, p: number): Float64Array; dispose(): void };

  /** Releases what the GEMM provider holds. */
  dispose(): void {
    this.boundZ?.dispose();
    this.boundZ = undefined;
  }

  /** The last explain()'s test solve: 'ekfac' or a CG report. */
  lastSolve: { method: string; iterations: number; relativeResidual?: number } = { method: 'ekfac', iterations: 0 };

  private constructor(
    readonly data: LogisticData,
    readonly W: Float64Array,
    private readonly lambda: Float64Array, // K x D
    private readonly QS: Float64Array, // D x D, column a = eigenvector a
    private readonly QA: Float64Array, // K x K
    private readonly Z: Float64Array, // N x D, Z = X Q_S
    private readonly rho: Float64Array, // N x K, rho_i = Q_A^T r_i
    readonly l2: number,
    private readonly damping: number,
    private readonly refineIterations: number,
    fields: { selfInfluence: Float64Array; loss: Float64Array; probabilities: Float64Array; thetaNorm: Float64Array; timings: Record<string, number> },
    readonly diagonalBasis = false,
  ) {
    this.selfInfluence = fields.selfInfluence;
    this.loss = fields.loss;
    this.probabilities = fields.probabilities;
    this.thetaNorm = fields.thetaNorm;
    this.timings = fields.timings;
    this.method =
      (diagonalBasis ? `diagonal EK-FAC (class eigenbasis x identity feature basis, D = ${data.D})` : `EK-FAC (eigenvalue-corrected Kronecker-factored Hessian, ${data.K} x ${data.D} factors)`) + (refineIterations > 0 ? '; explain refined by preconditioned CG on exact HVPs' : '');
  }

  get N(): number {
    return this.data.N;
  }

  /** The feature side (Q_S, Z) for a later build on the same X (IterativeInfluenceOptions.featureBasis); none for the diagonal basis or GEMM. */
  get featureBasis(): EkfacFeatureBasis | undefined {
    return this.diagonalBasis || this.boundZ ? undefined : { X: this.data.X, QS: this.QS, Z: this.Z };
  }

  /** (duplicates: its argument checks match ExactInfluence.build's, on purpose.) */
  static async build(data: LogisticData, W: Float64Array, opts: IterativeInfluenceOptions): Promise<IterativeInfluence> {
    const { X, N, D, K, y } = data;
    const P = K * D;
    if (W.length !== P) throw new RangeError(`IterativeInfluence.build: W has ${W.length} entries, K*D = ${P}`);
    if (N === 0) throw new UserError('Influence needs at least one training row.');
    const cp = opts.checkpoint;
    const damping = opts.damping ?? 0;
    const { timings, lap } = stageTimer();

    // Probabilities, residuals, losses.
    const probabilities = logits(W, X, N, D, K);
    const R = new Float64Array(N * K);
    const loss = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const zy = probabilities[i * K + y[i]];
      loss[i] = softmaxInto(probabilities, i * K, K, probabilities, i * K) - zy;
      for (let k = 0; k < K; k++) R[i * K + k] = probabilities[i * K + k];
      R[i * K + y[i]] -= 1;
      if (i % 4096 === 4095) await cp?.tick(0.05 * (i / N));
    }
    lap('probabilities');

    // Kronecker factors. S = X^T X / N accumulated row by row on the upper triangle.
    const S = new Float64Array(D * D);
    const A = new Float64Array(K * K);
    const diagonalBasis = D > (opts.maxEigenDim ?? 600);
    const gemm = opts.gemm;
    const fb = opts.featureBasis;
    const reuse = fb && !diagonalBasis && !gemm && fb.X === X && fb.QS.length === D * D && fb.Z.length === N * D ? fb : undefined;
    if (gemm && !diagonalBasis) S.set(gemm.gram(X, N, D));
    for (let i = 0; i < N; i++) {
      const xi = i * D;
      for (let a = 0; a < D && !diagonalBasis && !gemm && !reuse; a++) {
        const xa = X[xi + a];
        if (xa === 0) continue;
        const ra = a * D;
        for (let b = a; b < D; b++) S[ra + b] += xa * X[xi + b];
      }
      const pi = i * K;
      for (let k = 0; k < K; k++) {
        const pk = probabilities[pi + k];
        A[k * K + k] += pk;
        for (let l = 0; l < K; l++) A[k * K + l] -= pk * probabilities[pi + l];
      }
      if (i % 1024 === 1023) await cp?.tick(0.05 + 0.25 * (i / N));
    }
    for (let a = 0; a < D && !reuse; a++) {
      for (let b = a; b < D; b++) {
        S[a * D + b] /= N;
        S[b * D + a] = S[a * D + b];
      }
    }
    await cp?.tick(0.3);
    for (let k = 0; k < K * K; k++) A[k] /= N;
    lap('factors');

    const sweeps = opts.sweeps ?? 6;
    let QS: Float64Array;
    if (diagonalBasis) QS = new Float64Array(0); // identity, never materialised
    else QS = reuse ? reuse.QS : jacobiEigen(S, D, sweeps).V;
    const QA = jacobiEigen(A, K, 30).V;
    await cp?.tick(0.4);
    lap('eigenbases');

    // Z = X Q_S (N x D), rho = R Q_A (N x K), and the refitted eigenvalues.
    const project = !diagonalBasis && !gemm && !reuse;
    const QSt = new Float64Array(project ? D * D : 0); // row a = eigenvector a
    if (project) for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) QSt[a * D + b] = QS[b * D + a];
    const Z = diagonalBasis ? X : reuse ? reuse.Z : gemm ? gemm.matmul(X, N, D, QS, D) : new Float64Array(N * D);
    const rho = new Float64Array(N * K);
    const lambda = new Float64Array(K * D);
    const qa = new Float64Array(K); // q_k^T A_i q_k for the current row
    for (let i = 0; i < N; i++) {
      const xi = i * D;
      if (project) for (let a = 0; a < D; a++) Z[xi + a] = dot(QSt, a * D, X, xi, D);
      const pi = i * K;
      for (let k = 0; k < K; k++) {
        let r = 0, pq = 0, pq2 = 0;
        for (let j = 0; j < K; j++) {
          const q = QA[j * K + k];
          r += R[pi + j] * q;
          pq += probabilities[pi + j] * q;
          pq2 += probabilities[pi + j] * q * q;
        }
        rho[pi + k] = r;
        qa[k] = pq2 - pq * pq;
      }
      for (let k = 0; k < K; k++) {
        const w = qa[k];
        if (w === 0) continue;
        const lk = k * D;
        for (let a = 0; a < D; a++) {
          const z = Z[xi + a];
          lambda[lk + a] += w * z * z;
        }
      }
      if (i % 1024 === 1023) await cp?.tick(0.4 + 0.5 * (i / N));
    }
    const shift = opts.l2 + damping;
    for (let p = 0; p < P; p++) lambda[p] = lambda[p] / N + shift;
    lap('projection');

    // Self-influence and theta-norms: sum_k rho_ik^2 sum_a z_ia^2 / lambda[k,a] (^2).
    const inv = new Float64Array(P), inv2 = new Float64Array(P);
    for (let p = 0; p < P; p++) {
      inv[p] = 1 / lambda[p];
      inv2[p] = inv[p] * inv[p];
    }
    const selfInfluence = new Float64Array(N);
    const thetaNorm = new Float64Array(N);
    const z2 = new Float64Array(D);
    for (let i = 0; i < N; i++) {
      const xi = i * D;
      for (let a = 0; a < D; a++) z2[a] = Z[xi + a] * Z[xi + a];
      let s = 0, th = 0;
      for (let k = 0; k < K; k++) {
        const r2 = rho[i * K + k] ** 2;
        if (r2 === 0) continue;
        s += r2 * dot(z2, 0, inv, k * D, D);
        th += r2 * dot(z2, 0, inv2, k * D, D);
      }
      selfInfluence[i] = s;
      thetaNorm[i] = Math.sqrt(th);
    }
    await cp?.tick(1);
    lap('selfInfluence');

    const refine = opts.refineIterations ?? (N * K * D <= 2e7 ? 50 : 0);
    const inf = new IterativeInfluence(data, W, lambda, QS, QA, Z, rho, opts.l2, damping, refine, { selfInfluence, loss, probabilities, thetaNorm, timings }, diagonalBasis);
    if (gemm) {
      inf.boundZ = gemm.bind(Z, N, D);
      (inf as { method: string }).method += ` (dense products on ${gemm.name})`;
    }
    inf.notes.push(
      'Global influence (self-influence) uses the EK-FAC approximation of the Hessian: its agreement with the exact float64 path was measured on digits and satellite (docs/models.md).',
      refine > 0
        ? `explain(): the test solve H^-1 g_t is exact (preconditioned CG, up to ${refine} iterations); the RelatIF norms use EK-FAC.`
        : 'explain(): the test solve H^-1 g_t uses EK-FAC (no refinement at this size, to keep explain fast); the RelatIF norms use EK-FAC.',
    );
    return inf;
  }

  /** H^-1 v under EK-FAC: Q diag(1/lambda) Q^T v, in O(K^2 D + K D^2). */
  applyInverse(v: Float64Array, power = 1): Float64Array {
    const { D, K } = this.data;
    const { QS, QA, lambda } = this;
    // v as K x D matrix M: Q^T v = Q_A^T M Q_S, scale, then back Q_A (.) Q_S^T.
    const T = new Float64Array(K * D); // Q_A^T M
    for (let k = 0; k < K; k++) for (let j = 0; j < K; j++) {
      const q = QA[j * K + k];
      if (q === 0) continue;
      for (let a = 0; a < D; a++) T[k * D + a] += q * v[j * D + a];
    }
    const U = this.diagonalBasis ? T : this.rightMultiply(T); // (Q_A^T M) Q_S
    for (let p = 0; p < K * D; p++) U[p] /= power === 1 ? lambda[p] : lambda[p] ** power;
    let B = U; // U Q_S^T
    if (!this.diagonalBasis) {
      B = new Float64Array(K * D);
      for (let k = 0; k < K; k++) for (let b = 0; b < D; b++) B[k * D + b] = dot(U, k * D, QS, b * D, D);
    }
    const out = new Float64Array(K * D); // Q_A B
    for (let j = 0; j < K; j++) for (let k = 0; k < K; k++) {
      const q = QA[j * K + k];
      if (q === 0) continue;
      for (let a = 0; a < D; a++) out[j * D + a] += q * B[k * D + a];
    }
    return out;
  }

  /** M Q_S for a K x D matrix M. (duplicates: the transpose-side twin of the product above.) */
  private rightMultiply(M: Float64Array): Float64Array {
    const { D, K } = this.data;
    const QS = this.QS;
    const out = new Float64Array(K * D);
    for (let k = 0; k < K; k++) for (let b = 0; b < D; b++) {
      const t = M[k * D + b];
      if (t === 0) continue;
      for (let a = 0; a < D; a++) out[k * D + a] += t * QS[b * D + a];
    }
    return out;
  }

  private exactHvp(v: Float64Array): Float64Array {
    const hv = hessianVectorProduct(this.data, this.probabilities, this.l2, v);
    if (this.damping) for (let p = 0; p < hv.length; p++) hv[p] += this.damping * v[p];
    return hv;
  }

  /** H^-1 g: EK-FAC, refined by preconditioned CG on exact HVPs when enabled. */
  solve(g: Float64Array): Float64Array {
    const x0 = this.applyInverse(g);
    if (this.refineIterations <= 0) {
      this.lastSolve = { method: 'ekfac', iterations: 0 };
      return x0;
    }
    const n = g.length;
    const x = x0;
    const Ax = this.exactHvp(x);
    const r = new Float64Array(n);
    for (let k = 0; k < n; k++) r[k] = g[k] - Ax[k];
    const nb = Math.sqrt(dot(g, 0, g, 0, n));
    let z = this.applyInverse(r);
    const p = Float64Array.from(z);
    let rz = dot(r, 0, z, 0, n);
    let it = 0;
    let rn = Math.sqrt(dot(r, 0, r, 0, n));
    for (; it < this.refineIterations && rn > 1e-6 * nb; it++) {
      const Ap = this.exactHvp(p);
      const alpha = rz / dot(p, 0, Ap, 0, n);
      for (let k = 0; k < n; k++) {
        x[k] += alpha * p[k];
        r[k] -= alpha * Ap[k];
      }
      rn = Math.sqrt(dot(r, 0, r, 0, n));
      z = this.applyInverse(r);
      const rz2 = dot(r, 0, z, 0, n);
      const beta = rz2 / rz;
      rz = rz2;
      for (let k = 0; k < n; k++) p[k] = z[k] + beta * p[k];
    }
    this.lastSolve = { method: 'pcg', iterations: it, relativeResidual: nb > 0 ? rn / nb : 0 };
    return x;
  }

  /** The test point's probabilities, CE at target and gradient g_t = r_t kron x. */
  testGradient(x: Float64Array, target: number): { probabilities: Float64Array; testLoss: number; gradient: Float64Array } {
    const { D, K } = this.data;
    if (x.length !== D) throw new RangeError(`explain: x has ${x.length} features, the model has D = ${D}`);
    if (!(target >= 0 && target < K)) throw new RangeError(`explain: target ${target} is not a class index < ${K}`);
    const z = logits(this.W, x, 1, D, K);
    const zy = z[target];
    const probabilities = new Float64Array(K);
    const lse = softmaxInto(z, 0, K, probabilities, 0);
    const gradient = new Float64Array(K * D);
    for (let k = 0; k < K; k++) {
      const r = probabilities[k] - (k === target ? 1 : 0);
      for (let a = 0; a < D; a++) gradient[k * D + a] = r * x[a];
    }
    return { probabilities, testLoss: lse - zy, gradient };
  }

  /** v . g_i for every training row, through the projected data: sum_k rho_ik (z_i . (Q_S^T-projected v)_k). */
  dotGradients(v: Float64Array): Float64Array {
    const { N, D, K } = this.data;
    const { QA } = this;
    // v in the eigenbasis: V' = Q_A^T V Q_S (K x D), then v . g_i = sum_k rho_ik (V'_k . z_i).
    const T = new Float64Array(K * D);
    for (let k = 0; k < K; k++) for (let j = 0; j < K; j++) {
      const q = QA[j * K + k];
      for (let a = 0; a < D; a++) T[k * D + a] += q * v[j * D + a];
    }
    const Vp = this.diagonalBasis ? T : this.rightMultiply(T);
    const out = new Float64Array(N);
    const Z = this.Z, rho = this.rho;
    if (this.boundZ) {
      const ZV = this.boundZ.timesTransposed(Vp, K); // N x K: z_i . V'_k
      for (let i = 0; i < N; i++) out[i] = dot(rho, i * K, ZV, i * K, K);
      return out;
    }
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const r = rho[i * K + k];
        if (r !== 0) s += r * dot(Vp, k * D, Z, i * D, D);
      }
      out[i] = s;
    }
    return out;
  }

  explain(x: Float64Array, target: number): Explanation {
    const t = this.testGradient(x, target);
    const u = this.solve(t.gradient);
    const influence = this.dotGradients(u);
    const N = influence.length;
    const relatifTheta = new Float64Array(N);
    const relatifL = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      influence[i] = -influence[i];
      relatifTheta[i] = this.thetaNorm[i] > 0 ? influence[i] / this.thetaNorm[i] : 0;
      relatifL[i] = this.selfInfluence[i] > 0 ? influence[i] / Math.sqrt(this.selfInfluence[i]) : 0;
    }
    return { probabilities: t.probabilities, testLoss: t.testLoss, influence, relatifTheta, relatifL };
  }
}
