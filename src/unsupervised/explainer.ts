/**
 * Unsupervised mode: explain why a row sits where it does in a clustering of learned embeddings.
 *
 *  1. An autoencoder (src/unsupervised/autoencoder.ts) learns embeddings of the standardised rows.
 *  2. k-means++ (seeded) clusters the embeddings into k clusters.
 *  3. A row's membership is measured by f(theta) = ||encode(x_t; theta) - c||^2, the squared distance
 *     of its embedding to its cluster's centre c, the centre HELD FIXED. Cross-loss influence
 *     (src/influence/crossLoss.ts) relates it to the training rows through the reconstruction loss:
 *         I(i, t) = -grad f(theta)^T (H + damping I)^-1 grad L_i(theta),
 *     H the Hessian of the training objective J (reconstruction + L2) by double backpropagation,
 *     the solve by conjugate gradients (src/unsupervised/crossLossTf.ts).
 *     removalChange_i = -I(i, t) / N is the first-order change of the squared distance when row i is
 *     left out of training: POSITIVE means row i PULLS t towards its centre (without it t would
 *     drift away), negative means it pushes t away.
 *
 * Damping: J is not convex, so H may have negative eigenvalues at the fitted parameters; conjugate
 * gradients then meet negative curvature. The solve starts at `damping` (default 1e-3, on top of the
 * L2 term already in H) and multiplies it by 10 until CG runs without negative curvature; the damping
 * used is reported. The latent space can be rotated without changing J (W2 -> W2 Q, W3 -> Q^T W3):
 * those directions are flat in H, but every per-row gradient is orthogonal to them (L_i does not
 * change under the rotation), so they do not enter I(i, t).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors';
import type { SolveReport } from '../influence/iterative';
import { crossLossInfluenceTf, type TfSolveOptions } from './crossLossTf';
import { Autoencoder, encodeT, type AutoencoderOptions } from './autoencoder';
import { kmeans, nearestCentre, type KMeansResult } from './kmeans';
import type { ScalarFn } from './paramSpace';

export interface UnlabeledData {
  /** N x D row-major (the engine's standardised features; a bias column is ignored). */
  X: Float64Array;
  N: number;
  D: number;
}

export interface UnsupervisedOptions extends AutoencoderOptions {
  /** Number of clusters k (default 3). */
  clusters?: number;
  /** k-means++ restarts (default 5). */
  kmeansRestarts?: number;
}

export type ExplainOptions = TfSolveOptions;

export interface ClusterExplanation {
  /** The training row explained (undefined for an outside point). */
  row?: number;
  cluster: number;
  /** f = squared distance of the embedding to the (fixed) centre. */
  distance: number;
  /** I(i, t) = -grad f^T (H + damping)^-1 grad L_i, every training row. */
  influence: Float64Array;
  /** -I(i, t) / N: first-order change of f if row i is left out (> 0: row i pulls t in). */
  removalChange: Float64Array;
  /** How the final solve went (damping used, iterations, residual). */
  solve: SolveReport;
  /** Hessian-vector products spent over all damping attempts (each costs about two gradients). */
  hvps: number;
  /** Dampings tried before the one used (CG met negative curvature with each). */
  rejectedDampings: number[];
}

export class UnsupervisedExplainer {
  private constructor(
    readonly data: UnlabeledData,
    readonly autoencoder: Autoencoder,
    /** N x embedding of the training rows. */
    readonly embeddings: Float64Array,
    readonly clustering: KMeansResult,
  ) {}

  get embeddingDim(): number {
    return this.autoencoder.shape.embedding;
  }

  static async fit(data: UnlabeledData, opts: UnsupervisedOptions = {}): Promise<UnsupervisedExplainer> {
    const k = opts.clusters ?? 3;
    if (!(Number.isInteger(k) && k >= 1)) throw new UserError(`The number of clusters must be a positive integer (got ${opts.clusters}).`);
    if (k > data.N) throw new UserError(`${k} clusters need at least ${k} rows; the data has ${data.N}.`);
    const ae = await Autoencoder.train(data.X, data.N, data.D, opts);
    const E = ae.embedTraining();
    const clustering = kmeans(E, data.N, ae.shape.embedding, k, { seed: opts.seed ?? 0, restarts: opts.kmeansRestarts });
    return new UnsupervisedExplainer(data, ae, E, clustering);
  }

  /** Squared distance of every training row's embedding to its cluster's centre. */
  distances(): Float64Array {
    const e = this.embeddingDim;
    const { centres, assignment } = this.clustering;
    const out = new Float64Array(this.data.N);
    for (let i = 0; i < this.data.N; i++) {
      let s = 0;
      for (let j = 0; j < e; j++) s += (this.embeddings[i * e + j] - centres[assignment[i] * e + j]) ** 2;
      out[i] = s;
    }
    return out;
  }

  /** f(theta) for point x (D features) and a fixed centre, as a function of the parameters. */
  distanceObjective(x: ArrayLike<number>, centre: ArrayLike<number>): { f: ScalarFn; dispose: () => void } {
    const xt = this.autoencoder.inputTensor(x, this.data.D);
    const c = tf.tensor2d(Float32Array.from(centre), [1, this.embeddingDim]);
    return {
      f: (p) => tf.sum(tf.square(tf.sub(encodeT(p, xt), c))) as tf.Scalar,
      dispose: () => tf.dispose([xt, c]),
    };
  }

  /** Explains training row t's distance to the centre of its own cluster. */
  async explainRow(t: number, opts: ExplainOptions = {}): Promise<ClusterExplanation> {
    if (!(Number.isInteger(t) && t >= 0 && t < this.data.N)) throw new RangeError(`explainRow: row ${t} is not in 0..${this.data.N - 1}`);
    const { D } = this.data;
    const cluster = this.clustering.assignment[t];
    return { row: t, ...(await this.explain(this.data.X.subarray(t * D, (t + 1) * D), cluster, opts)) };
  }

  /** Explains an outside point's (D features) distance to its nearest centre. */
  async explainPoint(x: ArrayLike<number>, opts: ExplainOptions = {}): Promise<ClusterExplanation> {
    const e = this.autoencoder.embed(x, 1, this.data.D);
    const { cluster } = nearestCentre(this.clustering.centres, this.clustering.k, this.embeddingDim, e);
    return this.explain(x, cluster, opts);
  }

  private async explain(x: ArrayLike<number>, cluster: number, opts: ExplainOptions): Promise<ClusterExplanation> {
    const e = this.embeddingDim;
    const centre = this.clustering.centres.subarray(cluster * e, (cluster + 1) * e);
    const obj = this.distanceObjective(x, centre);
    const ae = this.autoencoder;
    try {
      const r = await crossLossInfluenceTf({ params: ae.params.vars, objective: ae.objective(), rowLosses: ae.rowLosses(), N: this.data.N }, obj.f, opts);
      return { cluster, distance: r.value, influence: r.influence, removalChange: r.removalChange, solve: r.solve, hvps: r.hvps, rejectedDampings: r.rejectedDampings };
    } finally {
      obj.dispose();
    }
  }

  dispose(): void {
    this.autoencoder.dispose();
  }
}

/** Rows sorted by how strongly they pull t towards its centre (largest removalChange first). */
export function pullingRows(e: ClusterExplanation, count: number): number[] {
  return [...e.removalChange.keys()].sort((a, b) => e.removalChange[b] - e.removalChange[a] || a - b).slice(0, count);
}

/** Rows sorted by how strongly they push t away from its centre (most negative removalChange first). */
export function pushingRows(e: ClusterExplanation, count: number): number[] {
  return [...e.removalChange.keys()].sort((a, b) => e.removalChange[a] - e.removalChange[b] || a - b).slice(0, count);
}
