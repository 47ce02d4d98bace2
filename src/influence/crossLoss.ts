/**
 * Cross-loss influence (Silva, Chaudhuri & Sundararajan, "Cross-Loss Influence Functions to Explain
 * Deep Network Representations", 2022): the influence of a training row on a test OBJECTIVE that is
 * chosen independently of the training loss,
 *     I_f(i, t) = -grad f(z_t)^T H_train^-1 grad L_train(z_i),
 * with H_train the Hessian of the training objective. Removing row i (its weight 1/N set to 0)
 * changes f by about -I_f(i, t) / N, first order: `removalChange`. With f = the test row's
 * cross-entropy at a class this is ordinary influence (src/influence/exact.ts, same numbers).
 *
 * For multinomial logistic regression every objective below depends on W only through the logits
 * z = W x, so grad f = (df/dz) kron x and the solve and the per-row dot products of ExactInfluence
 * are reused as they are (one Cholesky solve per query, one pass over the rows).
 *
 * Objectives (z the K logits, p = softmax(z)):
 *   loss        CE at class `target`: LSE(z) - z_target      df/dz = p - e_target
 *   probability p_cls                                       df/dz = p_cls (e_cls - p)
 *   margin      z_a - z_b (logit margin between two classes) df/dz = e_a - e_b
 * Signs as in exact.ts: positive influence means up-weighting the row RAISES f. For the loss that
 * is "harmful"; for a probability or a margin it means the row pushes towards class cls / a.
 */
import type { ExactInfluence, Explanation } from './exact';
import { logits, softmaxInto } from '../model/logistic';

export type TestObjective =
  | { kind: 'loss'; target: number }
  | { kind: 'probability'; cls: number }
  | { kind: 'margin'; a: number; b: number };

export interface ObjectiveValue {
  value: number;
  /** df/dz, K entries. */
  dz: Float64Array;
  probabilities: Float64Array;
}

export interface CrossLossExplanation extends Explanation {
  objective: TestObjective;
  /** f at the fitted model (also in testLoss, so that the shape matches Explanation). */
  value: number;
  /** -I_f(i, t) / N: first-order change of f when row i is left out. */
  removalChange: Float64Array;
}

/** Describes an objective for messages and tables, e.g. "p(class 3)". */
export function objectiveLabel(o: TestObjective, classes?: readonly string[]): string {
  const c = (k: number): string => (classes ? classes[k] : String(k));
  switch (o.kind) {
    case 'loss':
      return `CE at ${c(o.target)}`;
    case 'probability':
      return `p(${c(o.cls)})`;
    case 'margin':
      return `z(${c(o.a)}) - z(${c(o.b)})`;
  }
}

function checkClass(k: number, K: number, what: string): void {
  if (!(Number.isInteger(k) && k >= 0 && k < K)) throw new RangeError(`${what}: class ${k} is not in 0..${K - 1}`);
}

/** f and df/dz at the logits z[zo..zo+K). */
export function evaluateObjective(z: Float64Array, K: number, o: TestObjective, zo = 0): ObjectiveValue {
  const p = new Float64Array(K);
  const lse = softmaxInto(z, zo, K, p, 0);
  const dz = new Float64Array(K);
  switch (o.kind) {
    case 'loss': {
      checkClass(o.target, K, 'loss objective');
      dz.set(p);
      dz[o.target] -= 1;
      return { value: lse - z[zo + o.target], dz, probabilities: p };
    }
    case 'probability': {
      checkClass(o.cls, K, 'probability objective');
      const pc = p[o.cls];
      for (let k = 0; k < K; k++) dz[k] = -pc * p[k];
      dz[o.cls] += pc;
      return { value: pc, dz, probabilities: p };
    }
    case 'margin': {
      checkClass(o.a, K, 'margin objective');
      checkClass(o.b, K, 'margin objective');
      if (o.a === o.b) throw new RangeError('margin objective: the two classes must differ');
      dz[o.a] = 1;
      dz[o.b] = -1;
      return { value: z[zo + o.a] - z[zo + o.b], dz, probabilities: p };
    }
  }
}

/** f at parameters W (K x D) for test point x (D features, bias last). */
export function objectiveAt(W: Float64Array, x: Float64Array, D: number, K: number, o: TestObjective): number {
  return evaluateObjective(logits(W, x, 1, D, K), K, o).value;
}

/** grad_W f = (df/dz) kron x, K x D row-major. */
export function objectiveGradient(dz: Float64Array, x: Float64Array, K: number, D: number): Float64Array {
  const g = new Float64Array(K * D);
  for (let k = 0; k < K; k++) for (let a = 0; a < D; a++) g[k * D + a] = dz[k] * x[a];
  return g;
}

/** -g^T H^-1 g_i for every training row, for an arbitrary parameter-space test gradient g (K x D). */
export function influenceOfGradient(inf: ExactInfluence, g: Float64Array): Float64Array {
  if (g.length !== inf.P) throw new RangeError(`influenceOfGradient: gradient has ${g.length} entries, the model ${inf.P}`);
  const out = inf.dotGradients(inf.solve(g));
  for (let i = 0; i < out.length; i++) out[i] = -out[i];
  return out;
}

/**
 * Cross-loss influence of every training row on objective `o` of test point x (D features, bias
 * last), with RelatIF's normalisations of the training side (as in ExactInfluence.explain).
 */
export function crossLossExplain(inf: ExactInfluence, x: Float64Array, o: TestObjective): CrossLossExplanation {
  const { D, K, N } = inf;
  if (x.length !== D) throw new RangeError(`crossLossExplain: the test point has ${x.length} features, the model ${D} (bias included)`);
  const f = evaluateObjective(logits(inf.W, x, 1, D, K), K, o);
  const influence = influenceOfGradient(inf, objectiveGradient(f.dz, x, K, D));
  const theta = inf.thetaNorms();
  const s = inf.selfInfluence;
  const relatifTheta = new Float64Array(N);
  const relatifL = new Float64Array(N);
  const removalChange = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    relatifTheta[i] = theta[i] > 0 ? influence[i] / theta[i] : 0;
    relatifL[i] = s[i] > 0 ? influence[i] / Math.sqrt(s[i]) : 0;
    removalChange[i] = -influence[i] / N;
  }
  return { objective: o, value: f.value, testLoss: f.value, probabilities: f.probabilities, influence, relatifTheta, relatifL, removalChange };
}
