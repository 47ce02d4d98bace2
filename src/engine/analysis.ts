/**
 * The model-specific half of a scan, behind one small interface so that the Session only deals with
 * files, rows, rankings and the protocol. One implementation per model / method:
 *
 *   LogisticAnalysis         L2 logistic regression; exact Cholesky or EK-FAC (chooseSolver when 'auto');
 *                            cross-loss objectives; the exact path also serves label suspicion, Newton-step
 *                            explain and the trust check (Session reads `exact`).
 *   NetworkAnalysis          an MLP trained here, or the user's tf.LayersModel; last-layer or full influence.
 *   TurnOverDropoutAnalysis  an MLP trained with turn-over dropout; influence from forward passes.
 *   UnsupervisedAnalysis     autoencoder + k-means; cluster membership explained by cross-loss influence.
 *
 * Every build takes a Checkpoint and reports its stages ('fit', 'influence', ...) through it.
 */
import type { RelabelModel } from '../influence/relabel';
import { IterativeInfluence, type EkfacFeatureBasis } from '../influence/ekfac';
import { chooseSolver } from '../influence/solverChoice';
import { ExactInfluence } from '../influence/exact';
import { crossLossExplain, evaluateObjective, objectiveGradient, type TestObjective } from '../influence/crossLoss';
import { fitLogistic, logits, predictProba as logisticProba, type FitReport, type LogisticData } from '../model/logistic';
// The network models and TensorFlow.js are imported where a network analysis is built (await
// import()): a logistic scan never loads them (~0.25 s of CPU at every start of the CLI otherwise).
import type { NnInfluence } from '../nn/influence';
import type { Mlp } from '../nn/mlp';
import type { TurnOverDropoutModel } from '../tod/turnOverDropout';
import type { UnsupervisedExplainer, ClusterExplanation } from '../unsupervised/explainer';
import type { AnalysisSummary, ModelSummary, SolveInfo, SolverName } from '../protocol/types';
import type { ScanParams } from '../protocol/worker';
import { choices, DEFAULTS, isOneOf, SOLVERS } from '../options/options';
import { Checkpoint } from '../util/cancel';
import { ConvergenceError, UserError } from '../util/errors';

/** One explained point's numbers for every training row. */
export interface PointExplanation {
  /** The objective's value at the point (the test loss for objective 'loss'). */
  value: number;
  influence: Float64Array;
  /** NaN where the method has no RelatIF (turn-over dropout). */
  relatifTheta: Float64Array;
  relatifL: Float64Array;
  /** Estimated change of the objective when the row is left out. */
  removalChange: Float64Array;
  solve?: SolveInfo;
  notes?: string[];
}

/** What every analysis reports for the scan summary (the Session adds accuracies and the data side). */
export interface AnalysisInfo {
  model: Omit<ModelSummary, 'trainAccuracy' | 'testAccuracy'>;
  analysis: Omit<AnalysisSummary, 'text' | 'embedding'>;
  /** ScanSummary.influence */
  influence: { method: string; damping: number };
}

export interface Analysis {
  readonly info: AnalysisInfo;
  /** The global score per training row (what ExampleRow.globalInfluence holds; info.analysis.globalScore says what it is). */
  readonly selfInfluence: Float64Array;
  /** Per-row training loss (ExampleRow.loss). */
  readonly loss: Float64Array;
  /** Whether explain() carries RelatIF (else rank by |influence|). */
  readonly hasRelatif: boolean;
  /** Whether explain() returns synchronously (Session.explain) or needs Session.explainAsync. */
  readonly synchronous: boolean;
  /** Which objectives explain() supports. */
  readonly objectives: readonly TestObjective['kind'][];
  /** The exact logistic influence, when the analysis has one (label suspicion, Newton-step explain, trust, relabel). */
  readonly exact?: ExactInfluence;
  /**
   * The optimum a re-score after label fixes starts its fit from (logistic regression: W; the
   * objective is strictly convex, so the optimum is the same as from zero). Analyses without one
   * are never re-scored warm.
   */
  readonly warmStart?: Float64Array;
  /** EK-FAC: the feature side of its factors (Q_S, Z = X Q_S), which depends on the features only (a re-score reuses it). */
  readonly ekfacBasis?: EkfacFeatureBasis;
  /** Logistic regression on any solver: what a label change's predicted effect and Verify need (src/influence/relabel.ts). */
  readonly relabelModel?: RelabelModel;
  /** Whether data.y holds labels (false: cluster assignments, which have no label neighbours). */
  readonly supervised: boolean;
  /** Unsupervised analyses: why row `t` sits in its cluster (cross-loss influence); others have none. */
  explainRow?(t: number, cp: Checkpoint): Promise<ClusterExplanation>;
  /** n x K class probabilities of n rows in the engine's feature space (bias column last). */
  predict(X: Float64Array, n: number): Promise<Float64Array>;
  explain(x: Float64Array, objective: TestObjective, cp: Checkpoint): PointExplanation | Promise<PointExplanation>;
  dispose(): void;
}

export interface BuildContext {
  params: ScanParams;
  l2: number;
  damping: number;
  cp: Checkpoint;
  /** Records the seconds since the last lap under `stage` (ScanSummary.timings). */
  lap(stage: string): void;
  /**
   * Logistic regression: start the fit here (a re-score after label fixes passes the previous
   * optimum; the objective is strictly convex, so the optimum is the same as from zero).
   */
  init?: Float64Array;
  /** Logistic regression, exact solver: compute the RelatIF norms now (default) or at the first explain. */
  relatif?: boolean;
  /**
   * Logistic regression: an earlier fit's H^-1 (its Cholesky solve) that preconditions Newton-CG
   * steps from `init` (fitLogistic's preconditioner); the optimum is the same.
   */
  preconditioner?: (g: Float64Array) => Float64Array;
  /**
   * Logistic regression: an earlier fit's H^-1 as L-BFGS's initial inverse Hessian for the fit from
   * `init` (fitLogistic's initialInverseHessian; a re-score after few label changes); the stopping
   * test, hence the optimum to the tolerance, is a cold fit's.
   */
  initialInverseHessian?: (g: Float64Array) => Float64Array;
  /** Logistic regression on EK-FAC: an earlier build's feature side on the same X (IterativeInfluenceOptions.featureBasis). */
  ekfacBasis?: EkfacFeatureBasis;
}

function minusOverN(influence: Float64Array): Float64Array {
  const N = influence.length;
  return influence.map((v) => -v / N);
}

function requestedSolver(params: ScanParams): NonNullable<ScanParams['solver']> {
  const s = params.solver ?? SOLVERS[0];
  if (!isOneOf(s, SOLVERS)) throw new UserError(`Unknown solver '${s}' (${choices(SOLVERS)}).`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Logistic regression

export class LogisticAnalysis implements Analysis {
  readonly supervised = true;
  readonly hasRelatif = true;
  readonly synchronous = true;
  readonly objectives = ['loss', 'probability', 'margin'] as const;
  readonly selfInfluence: Float64Array;
  readonly loss: Float64Array;

  private constructor(
    readonly data: LogisticData,
    readonly fit: FitReport,
    /** The exact path (label suspicion, Newton-step explain and trust need it). */
    readonly exact: ExactInfluence | undefined,
    readonly iterative: IterativeInfluence | undefined,
    readonly info: AnalysisInfo,
  ) {
    const inf = (exact ?? iterative)!;
    this.selfInfluence = inf.selfInfluence;
    this.loss = inf.loss;
  }

  get W(): Float64Array {
    return this.fit.W;
  }

  get warmStart(): Float64Array {
    return this.fit.W;
  }

  get relabelModel(): RelabelModel {
    return (this.exact ?? this.iterative)!;
  }

  get ekfacBasis(): EkfacFeatureBasis | undefined {
    return this.iterative?.featureBasis;
  }

  static async build(data: LogisticData, ctx: BuildContext): Promise<LogisticAnalysis> {
    const { l2, damping, cp } = ctx;
    const { N, D, K } = data;
    const P = K * D;
    const requested = requestedSolver(ctx.params);
    if (requested === 'lissa') throw new UserError("Solver 'lissa' is for networks with influenceScope 'full'; logistic regression uses exact, ekfac or cg.");
    cp.begin('fit', `Fitting logistic regression: ${N} rows, ${K} classes, ${P} parameters`);
    const warm = ctx.init && ctx.init.length === P;
    const fit = await fitLogistic(data, { l2, checkpoint: cp, init: warm ? ctx.init : undefined, preconditioner: warm ? ctx.preconditioner : undefined, initialInverseHessian: warm ? ctx.initialInverseHessian : undefined });
    if (!fit.converged) {
      throw new ConvergenceError(
        `The model fit did not converge (gradient norm ${fit.gradNorm.toExponential(2)} after ${fit.iterations} iterations), ` +
          `so influence would not be meaningful. Try a larger l2 (for example ${(l2 * 10).toExponential(0)}), ` +
          `or ignore columns that duplicate others or leak the label.`,
      );
    }
    ctx.lap('fit');
    // Costed as a full scan (label suspicion's inverses included) whether or not this run computes label
    // suspicion: `explain` skips it, and must pick the same solver, hence the same numbers, as the scan
    // the panel shows.
    const choice = chooseSolver(P, N, { labelSuspicion: true });
    const solver: 'exact' | 'ekfac' = requested === 'auto' ? choice.solver : requested === 'exact' ? 'exact' : 'ekfac';
    const solverReason = requested === 'auto' ? `auto: ${choice.reason}` : `requested (${requested}); the size rule would pick ${choice.solver}: ${choice.reason}`;
    const model: AnalysisInfo['model'] = {
      kind: 'logistic-regression',
      parameters: P,
      l2,
      gradNorm: fit.gradNorm,
      objective: fit.objective,
      iterations: fit.iterations,
      newtonSteps: fit.newtonSteps,
    };
    if (solver === 'exact') {
      cp.begin('influence', `Hessian (${P} x ${P}), Cholesky and self-influence of ${N} rows`);
      // relatif: the RelatIF norms ||H^-1 g_i|| share the self-influence's forward substitution.
      const relatif = ctx.relatif !== false;
      const exact = await ExactInfluence.build(data, fit.W, { l2, damping, relatif, checkpoint: cp });
      ctx.lap('influence');
      if (relatif) {
        // RelatIF's theta-relative norms ||H^-1 g_i|| once, so that every explain is a cheap query.
        cp.begin('relatif', `RelatIF norms of ${N} rows`);
        await exact.prepareRelatif(cp);
        ctx.lap('relatif');
      }
      return new LogisticAnalysis(data, fit, exact, undefined, {
        model,
        influence: { method: 'exact-cholesky', damping },
        analysis: {
          model: 'logistic',
          method: 'influence',
          solver: 'exact',
          solverReason,
          description: `exact influence: float64 Hessian (${P} x ${P}) and its Cholesky factor`,
          globalScore: 'self-influence g_i^T H^-1 g_i (Koh & Liang)',
          lossScore: 'training cross-entropy',
          notes: [],
        },
      });
    }
    cp.begin('influence', `EK-FAC factors and self-influence of ${N} rows (${P} parameters)`);
    const it = await IterativeInfluence.build(data, fit.W, { l2, damping, checkpoint: cp, refineIterations: requested === 'cg' ? 50 : undefined, featureBasis: ctx.ekfacBasis });
    ctx.lap('influence');
    return new LogisticAnalysis(data, fit, undefined, it, {
      model,
      influence: { method: 'ekfac', damping },
      analysis: {
        model: 'logistic',
        method: 'influence',
        solver: requested === 'cg' ? 'cg' : 'ekfac',
        solverReason,
        description: it.method,
        globalScore: 'self-influence g_i^T H^-1 g_i with the EK-FAC approximation of H',
        lossScore: 'training cross-entropy',
        solve: { method: 'ekfac', iterations: 0 },
        notes: [
          ...it.notes,
          'EK-FAC approximates the Hessian; label suspicion, explain mode newton and the trust check need the exact solver.',
        ],
      },
    });
  }

  async predict(X: Float64Array, n: number): Promise<Float64Array> {
    // The training rows' probabilities at W are the exact influence's (the same logits and softmax):
    // shared, not a second N x K array.
    if (this.exact && X === this.data.X && n === this.data.N && this.exact.W === this.fit.W) return this.exact.probabilities;
    return logisticProba(this.fit.W, X, n, this.data.D, this.data.K);
  }

  explain(x: Float64Array, o: TestObjective): PointExplanation {
    const { N, D, K } = this.data;
    if (this.exact) {
      if (o.kind === 'loss') {
        const e = this.exact.explain(x, o.target);
        return { value: e.testLoss, influence: e.influence, relatifTheta: e.relatifTheta, relatifL: e.relatifL, removalChange: minusOverN(e.influence) };
      }
      const e = crossLossExplain(this.exact, x, o);
      return { value: e.value, influence: e.influence, relatifTheta: e.relatifTheta, relatifL: e.relatifL, removalChange: e.removalChange };
    }
    const it = this.iterative!;
    let value: number;
    let influence: Float64Array;
    let relatifTheta: Float64Array;
    let relatifL: Float64Array;
    if (o.kind === 'loss') {
      const e = it.explain(x, o.target);
      ({ influence, relatifTheta, relatifL } = e);
      value = e.testLoss;
    } else {
      // Cross-loss influence with the EK-FAC (or PCG-refined) solve: -grad f^T H^-1 g_i.
      const f = evaluateObjective(logits(this.fit.W, x, 1, D, K), K, o);
      influence = it.dotGradients(it.solve(objectiveGradient(f.dz, x, K, D)));
      relatifTheta = new Float64Array(N);
      relatifL = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        influence[i] = -influence[i];
        relatifTheta[i] = it.thetaNorm[i] > 0 ? influence[i] / it.thetaNorm[i] : 0;
        relatifL[i] = it.selfInfluence[i] > 0 ? influence[i] / Math.sqrt(it.selfInfluence[i]) : 0;
      }
      value = f.value;
    }
    const ls = it.lastSolve;
    return {
      value,
      influence,
      relatifTheta,
      relatifL,
      removalChange: minusOverN(influence),
      solve: { method: ls.method, iterations: ls.iterations, relativeResidual: ls.relativeResidual },
    };
  }

  dispose(): void {
    this.iterative?.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Neural networks (an MLP trained here, or the user's LayersModel)


export class NetworkAnalysis implements Analysis {
  readonly supervised = true;
  readonly hasRelatif = true;
  readonly synchronous = false;
  readonly objectives = ['loss'] as const;
  readonly selfInfluence: Float64Array;
  readonly loss: Float64Array;

  private constructor(
    private readonly mlp: Mlp,
    private readonly inf: NnInfluence,
    /** The network takes the features without the engine's bias column (the last one). */
    private readonly dropBias: boolean,
    private readonly D: number,
    readonly info: AnalysisInfo,
  ) {
    this.selfInfluence = inf.selfInfluence;
    this.loss = inf.loss;
  }

  static async build(data: LogisticData, ctx: BuildContext): Promise<NetworkAnalysis> {
    const { params, l2, cp } = ctx;
    const { X, N, D, K, y } = data;
    const requested = requestedSolver(params);
    const scope = params.influenceScope ?? 'lastLayer';
    if (scope !== 'lastLayer' && scope !== 'full') throw new UserError(`influenceScope must be lastLayer or full (got '${scope}').`);
    if (scope === 'lastLayer' && (requested === 'cg' || requested === 'lissa')) {
      throw new UserError(`Solver '${requested}' applies to influenceScope 'full'; the last layer is solved exactly or by EK-FAC.`);
    }
    cp.begin('fit', params.model === 'layers' ? `Loading ${params.modelPath}` : `Training an MLP: ${N} rows, hidden ${(params.hidden ?? DEFAULTS.mlpHidden).join('-')}`);
    const [{ initBackend }, { loadLayersModelFromFile }, { mlpFromLayersModel, predictProba: mlpProba, trainMlp }, { NnInfluence }] = await Promise.all([
      import('../nn/backend'),
      import('../nn/io'),
      import('../nn/mlp'),
      import('../nn/influence'),
    ]);
    const backend = await initBackend();
    let mlp: Mlp;
    let dropBias = false;
    let model: AnalysisInfo['model'];
    const notes: string[] = [];
    if (params.model === 'layers') {
      if (!params.modelPath) throw new UserError("model 'layers' needs modelPath: the model.json of a tf.LayersModel.");
      const lm = await loadLayersModelFromFile(params.modelPath);
      const m = mlpFromLayersModel(lm);
      lm.dispose();
      if (typeof m === 'string') throw new UserError(`${params.modelPath}: ${m}.`);
      if (m.inputDim === D - 1) dropBias = true;
      else if (m.inputDim !== D) {
        throw new UserError(
          `${params.modelPath}: the model takes ${m.inputDim} inputs, but this data set encodes to ${D - 1} features (plus a bias column). ` +
            'The model must take the engine\'s encoded features (standardised numbers, one-hot categories, hashed text).',
        );
      }
      if (m.classes !== K) throw new UserError(`${params.modelPath}: the model has ${m.classes} outputs, the label column has ${K} classes.`);
      mlp = m;
      const Xm = dropBias ? withoutLastColumn(X, N, D) : X;
      const p = await mlpProba(mlp, Xm, N);
      let loss = 0;
      for (let i = 0; i < N; i++) loss -= Math.log(Math.max(p[i * K + y[i]], 1e-300)) / N;
      model = {
        kind: 'layers-model',
        parameters: mlp.theta.length,
        l2,
        gradNorm: NaN,
        objective: loss,
        iterations: 0,
        newtonSteps: 0,
        hidden: mlp.layers.slice(0, -1).map((l) => l.outDim),
        backend: backend.name,
      };
      notes.push('The loaded model is used as trained; influence assumes it minimises mean cross-entropy + (l2/2)||theta||^2 on these rows with the given l2.');
    } else {
      const hidden = params.hidden ?? [...DEFAULTS.mlpHidden];
      const { mlp: m, report } = await trainMlp(X, y, N, D, K, { hidden, l2, seed: params.seed ?? 0, epochs: params.epochs, checkpoint: cp });
      mlp = m;
      model = {
        kind: 'mlp',
        parameters: report.parameters,
        l2,
        gradNorm: report.gradNorm,
        objective: report.objective,
        iterations: report.lbfgsIterations,
        newtonSteps: 0,
        hidden,
        backend: report.backend,
      };
      if (!report.converged) notes.push(`The MLP's full-batch steps stopped at ||grad J|| = ${report.gradNorm.toExponential(2)} (target 1e-4): influence assumes a minimum.`);
    }
    ctx.lap('fit');
    cp.begin('influence', `${scope === 'full' ? 'Full-parameter' : 'Last-layer'} influence of ${N} rows`);
    const Xm = dropBias ? withoutLastColumn(X, N, D) : X;
    const inf = await NnInfluence.build(mlp, Xm, y, N, {
      scope: scope === 'full' ? 'full' : 'last-layer',
      l2,
      damping: scope === 'full' && ctx.damping > 0 ? ctx.damping : undefined,
      solver: requested === 'lissa' ? 'lissa' : 'cg',
      explicitMaxParams: scope === 'full' ? (requested === 'exact' ? Number.MAX_SAFE_INTEGER : requested === 'cg' || requested === 'lissa' ? 0 : undefined) : undefined,
      checkpoint: cp,
    });
    ctx.lap('influence');
    const P = mlp.theta.length;
    let solver: SolverName;
    let solverReason: string;
    if (scope === 'lastLayer') {
      const Hd = mlp.layers[mlp.layers.length - 1].inDim;
      const c = chooseSolver(K * (Hd + 1), N);
      solver = c.solver;
      solverReason = `last layer: ${c.reason}` + (requested !== 'auto' && requested !== c.solver ? ` (requested ${requested}: the last layer always follows the size rule)` : '');
    } else if (inf.method.includes('explicit Hessian')) {
      solver = 'exact';
      solverReason = requested === 'exact' ? 'requested' : `auto: P = ${P} <= 2000, explicit damped Hessian`;
    } else {
      solver = requested === 'lissa' ? 'lissa' : 'cg';
      solverReason = requested === 'auto' ? `auto: P = ${P} > 2000, explain solves on Hessian-vector products` : 'requested';
    }
    return new NetworkAnalysis(mlp, inf, dropBias, D, {
      model,
      influence: { method: scope === 'full' ? 'nn-full' : 'nn-last-layer', damping: inf.damping },
      analysis: {
        model: params.model === 'layers' ? 'layers' : 'mlp',
        method: 'influence',
        solver,
        solverReason,
        influenceScope: scope,
        description: inf.method,
        globalScore: scope === 'full' && solver === 'exact' ? 'self-influence over all parameters (damped Hessian)' : 'self-influence of the last layer (logistic regression on the penultimate activations)',
        lossScore: 'training cross-entropy of the network',
        notes: [
          ...notes,
          ...inf.notes,
          ...(scope === 'lastLayer' ? ['Theory approximate for non-convex models: the layers below the last are treated as fixed features.'] : []),
        ],
      },
    });
  }

  private input(X: Float64Array, n: number): Float64Array {
    return this.dropBias ? withoutLastColumn(X, n, this.D) : X;
  }

  async predict(X: Float64Array, n: number): Promise<Float64Array> {
    const { predictProba } = await import('../nn/mlp');
    return predictProba(this.mlp, this.input(X, n), n);
  }

  async explain(x: Float64Array, o: TestObjective): Promise<PointExplanation> {
    if (o.kind !== 'loss') throw new UserError(`Objective '${o.kind}' needs the logistic model; networks explain the loss.`);
    const e = await this.inf.explain(this.input(x, 1), o.target);
    const s = this.inf.lastSolve;
    return {
      value: e.testLoss,
      influence: e.influence,
      relatifTheta: e.relatifTheta,
      relatifL: e.relatifL,
      removalChange: minusOverN(e.influence),
      solve: s && { method: s.method, iterations: s.iterations, relativeResidual: s.relativeResidual, stopReason: s.stopReason, damping: s.damping, hvps: s.hvps },
    };
  }

  dispose(): void {
    this.inf.dispose();
  }
}

function withoutLastColumn(X: Float64Array, n: number, D: number): Float64Array {
  const out = new Float64Array(n * (D - 1));
  for (let i = 0; i < n; i++) out.set(X.subarray(i * D, i * D + D - 1), i * (D - 1));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Turn-over dropout


// (duplicates: every Analysis declares the same capability fields, as NetworkAnalysis does above;
// the values differ per implementation.)
export class TurnOverDropoutAnalysis implements Analysis {
  readonly supervised = true;
  readonly hasRelatif = false;
  readonly synchronous = true;
  readonly objectives = ['loss'] as const;
  readonly selfInfluence: Float64Array;
  readonly loss: Float64Array;

  private constructor(
    private readonly model: TurnOverDropoutModel,
    readonly info: AnalysisInfo,
  ) {
    this.selfInfluence = model.selfInfluence();
    this.loss = model.trainingLoss();
  }

  static async build(data: LogisticData, ctx: BuildContext): Promise<TurnOverDropoutAnalysis> {
    const { params, cp } = ctx;
    if (params.model === 'layers') throw new UserError("Turn-over dropout trains its own network: it cannot use model 'layers'.");
    if (params.solver && params.solver !== 'auto') throw new UserError('Turn-over dropout needs no solver: its influence comes from forward passes.');
    const hidden = params.hidden ?? [...DEFAULTS.turnOverDropoutHidden];
    cp.begin('fit', `Training an MLP with turn-over dropout: ${data.N} rows, hidden ${hidden.join('-')}`);
    const { TurnOverDropoutModel } = await import('../tod/turnOverDropout');
    const model = await TurnOverDropoutModel.train(data, { hidden, seed: params.seed ?? 0, epochs: params.epochs, l2: ctx.l2, checkpoint: cp });
    ctx.lap('fit');
    cp.begin('influence', `Turn-over dropout self-influence of ${data.N} rows`);
    const r = model.report;
    const a = new TurnOverDropoutAnalysis(model, {
      model: {
        kind: 'turn-over-dropout-mlp',
        parameters: r.params,
        l2: ctx.l2,
        gradNorm: NaN,
        objective: r.ownLoss,
        iterations: r.steps,
        newtonSteps: 0,
        hidden,
        backend: r.backend,
      },
      influence: { method: 'turn-over-dropout', damping: 0 },
      analysis: {
        model: 'mlp',
        method: 'turnOverDropout',
        solver: 'forward-passes',
        solverReason: 'turn-over dropout: no Hessian; each row\'s influence is the loss of the sub-network that never saw it minus the loss of its own',
        description: `turn-over dropout (Kobayashi et al. 2020): ${r.hiddenUnits} hidden units, one fixed mask per row`,
        globalScore: 'turn-over dropout self-influence: loss of the row under the flipped sub-network minus under its own',
        lossScore: 'training cross-entropy of the full network',
        notes: [
          'Turn-over dropout has no RelatIF: explanations are ranked by |influence|.',
          'Its global ranking finds label errors well; its per-prediction estimate is noisy on networks of this size (docs/methods.md).',
        ],
      },
    });
    ctx.lap('influence');
    return a;
  }

  async predict(X: Float64Array, n: number): Promise<Float64Array> {
    return this.model.predictProba(X, n);
  }

  explain(x: Float64Array, o: TestObjective): PointExplanation {
    if (o.kind !== 'loss') throw new UserError(`Objective '${o.kind}' needs the influence method on the logistic model; turn-over dropout explains the loss.`);
    const e = this.model.explain(x, o.target);
    return { value: e.testLoss, influence: e.influence, relatifTheta: e.relatifTheta, relatifL: e.relatifL, removalChange: e.removalChange };
  }

  dispose(): void {
    this.model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Unsupervised: autoencoder + k-means


export class UnsupervisedAnalysis implements Analysis {
  readonly supervised = false;
  readonly hasRelatif = false;
  readonly synchronous = false;
  readonly objectives = [] as const;
  readonly selfInfluence: Float64Array;
  readonly loss: Float64Array;

  private constructor(
    readonly explainer: UnsupervisedExplainer,
    readonly info: AnalysisInfo,
    /** Every row's reconstruction error (made by build, where TensorFlow.js is loaded). */
    loss: Float64Array,
  ) {
    this.selfInfluence = explainer.distances();
    this.loss = loss;
  }

  /** k-means cluster of every training row. */
  get assignment(): Int32Array {
    return Int32Array.from(this.explainer.clustering.assignment);
  }

  static async build(X: Float64Array, N: number, D: number, ctx: BuildContext): Promise<UnsupervisedAnalysis> {
    const { params, cp } = ctx;
    const k = params.clusters ?? DEFAULTS.clusters;
    if (!(Number.isInteger(k) && k >= 1)) throw new UserError(`clusters must be a whole number >= 1 (got ${params.clusters}).`);
    if (params.model && params.model !== 'logistic') throw new UserError('The unsupervised mode trains its own autoencoder: --model does not apply.');
    cp.begin('fit', `Training an autoencoder on ${N} rows and clustering the embeddings (k = ${k})`);
    const [tf, { reconstructionRows }, { UnsupervisedExplainer }] = await Promise.all([
      import('@tensorflow/tfjs'),
      import('../unsupervised/autoencoder'),
      import('../unsupervised/explainer'),
    ]);
    const explainer = await UnsupervisedExplainer.fit({ X, N, D }, { clusters: k, seed: params.seed ?? 0, steps: params.epochs, l2: ctx.l2, checkpoint: cp });
    ctx.lap('fit');
    const ae = explainer.autoencoder;
    const r = ae.report;
    const rec = tf.tidy(() => reconstructionRows(ae.params.vars, ae.X));
    const loss = Float64Array.from(rec.dataSync());
    rec.dispose();
    return new UnsupervisedAnalysis(explainer, {
      model: {
        kind: 'autoencoder',
        parameters: r.params,
        l2: ae.l2,
        gradNorm: r.gradNorm,
        objective: r.objective,
        iterations: r.steps,
        newtonSteps: 0,
        hidden: [ae.shape.hidden, ae.shape.embedding, ae.shape.hidden],
        backend: r.backend,
        clusters: k,
        embedding: ae.shape.embedding,
        reconstruction: r.reconstruction,
      },
      influence: { method: 'cross-loss-autoencoder', damping: 0 },
      analysis: {
        model: 'mlp',
        method: 'unsupervised',
        solver: 'cg',
        solverReason: 'cluster membership: damped CG on exact Hessian-vector products of the autoencoder objective (damping raised on negative curvature)',
        description: `autoencoder ${ae.shape.inputs}-${ae.shape.hidden}-${ae.shape.embedding}-${ae.shape.hidden}-${ae.shape.inputs} + k-means++ (k = ${k}); cross-loss influence (Silva et al.) of the squared distance to the cluster centre`,
        globalScore: 'squared distance of the row\'s embedding to its cluster\'s centre (large = atypical for its cluster)',
        lossScore: 'reconstruction error (mean squared, standardised features)',
        notes: ['Theory approximate for non-convex models: the autoencoder is damped where its Hessian has negative curvature.'],
      },
    }, loss);
  }

  async predict(): Promise<Float64Array> {
    throw new UserError('An unsupervised scan has no classes to predict.');
  }

  explain(): PointExplanation {
    throw new UserError('This is an unsupervised scan: explain a row\'s cluster membership (explainCluster) instead.');
  }

  explainRow(t: number, cp: Checkpoint): Promise<ClusterExplanation> {
    return this.explainer.explainRow(t, { checkpoint: cp });
  }

  dispose(): void {
    this.explainer.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// The choice

/**
 * The analysis a scan asks for, built: unsupervised (no labels: the autoencoder and k-means, whose
 * clusters become the classes and y), turn-over dropout, logistic regression, or a network. Returns
 * the analysis with the classes and per-row classes it explains.
 */
export async function buildAnalysis(
  X: Float64Array,
  N: number,
  D: number,
  labels: { y: Int32Array; classes: string[] } | undefined,
  choice: { model: string; method: string },
  ctx: BuildContext,
): Promise<{ analysis: Analysis; y: Int32Array; classes: string[] }> {
  if (!labels) {
    const u = await UnsupervisedAnalysis.build(X, N, D, ctx);
    return { analysis: u, y: u.assignment, classes: Array.from({ length: u.info.model.clusters ?? 0 }, (_, k) => `cluster ${k}`) };
  }
  const data: LogisticData = { X, N, D, K: labels.classes.length, y: labels.y };
  const analysis =
    choice.method === 'turnOverDropout'
      ? await TurnOverDropoutAnalysis.build(data, ctx)
      : choice.model === 'logistic'
        ? await LogisticAnalysis.build(data, ctx)
        : await NetworkAnalysis.build(data, ctx);
  return { analysis, y: labels.y, classes: labels.classes };
}
