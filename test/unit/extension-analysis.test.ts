/**
 * The extension's model/method logic (extension/analysis.ts): settings -> scan parameters, the
 * sidebar's ranking, the descriptions the panel shows, the margin quick pick's pairs and the trust
 * check in words. The descriptions are checked on a real scan of breast_cancer.csv.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import test from 'node:test';
import { analysisParams, marginPairs, preferredRanking, type AnalysisSettings } from '../../extension/analysis';
import { describeAnalysis, describeExplanation, estimateByLabelText, explainCapabilities, formatAgreement, panelNotes, rankingName, supportedOptions, trustVerdict } from '../../src/protocol/wording';
import { rankedScore, rowNodeDescription } from '../../extension/treeModel';
import { Session } from '../../src/engine/session';
import type { ExplainObjective, ScanSummary } from '../../src/protocol/types';

const root = path.resolve(__dirname, '../..');
const breastCancer = path.join(root, 'test/fixtures/data/breast_cancer.csv');

const defaults: AnalysisSettings = {
  labelColumn: 'diagnosis',
  unsupervised: false,
  clusters: 3,
  model: 'logistic',
  hiddenSizes: [],
  influenceScope: 'lastLayer',
  solver: 'auto',
  textDimensions: 1024,
  method: 'influence',
};

test('settings at their defaults ask for logistic regression and nothing else', () => {
  assert.deepEqual(analysisParams(defaults), { label: 'diagnosis' });
});

test('settings that do not apply to the chosen model or method stay out of the scan parameters', () => {
  // Logistic regression has no hidden layers and no influence scope.
  assert.deepEqual(analysisParams({ ...defaults, hiddenSizes: [32], influenceScope: 'full' }), { label: 'diagnosis' });
  // Turn-over dropout: hidden sizes apply, the solver, model and scope do not.
  assert.deepEqual(analysisParams({ ...defaults, method: 'turnOverDropout', hiddenSizes: [128], solver: 'ekfac', model: 'mlp', influenceScope: 'full' }), {
    label: 'diagnosis',
    method: 'turnOverDropout',
    hidden: [128],
  });
  assert.deepEqual(analysisParams({ ...defaults, model: 'mlp', hiddenSizes: [64, 32], influenceScope: 'full', solver: 'cg', textDimensions: 256 }), {
    label: 'diagnosis',
    model: 'mlp',
    hidden: [64, 32],
    influenceScope: 'full',
    solver: 'cg',
    textDimensions: 256,
  });
  assert.deepEqual(analysisParams({ ...defaults, model: 'layers', modelPath: '/m/model.json', hiddenSizes: [9] }), {
    label: 'diagnosis',
    model: 'layers',
    modelPath: '/m/model.json',
  });
  // No label: clusters; the label column (if any) is only left out of the features.
  assert.deepEqual(analysisParams({ ...defaults, labelColumn: undefined, unsupervised: true, clusters: 4, method: 'turnOverDropout' }), {
    unsupervised: true,
    clusters: 4,
  });
});

test('a real logistic scan: the sidebar ranks by the label-issue detector and the summary says what ran', async () => {
  const s = new Session();
  const { summary } = await s.scan({ file: breastCancer, ...analysisParams(defaults), firstPage: 20 });
  assert.equal(preferredRanking(summary), 'labelIssue');
  assert.equal(rankingName(preferredRanking(summary), summary), 'label issue');
  assert.equal(preferredRanking({ labelSuspicion: summary.labelSuspicion }), 'labelSuspicion');
  const text = describeAnalysis(summary);
  assert.match(text, /^model: logistic regression · method: influence functions · solver: (exact|ekfac) \(/);
  assert.match(text, /backend: float64 JavaScript · label issues ranked by: (ensemble \((logistic|knn|forest) \d\.\d\d(, (knn|forest) \d\.\d\d)+\)|logistic|knn|forest), 5-fold out of sample, ~\d+ wrong labels estimated \(by given label: (benign|malignant) ~\d+( \(mostly (benign|malignant)\))?, (benign|malignant) ~\d+( \(mostly (benign|malignant)\))?\) · explained by: logistic regression \(exact influence\)$/);
  assert.doesNotMatch(describeAnalysis({ model: summary.model, analysis: summary.analysis }), /label issues/);
  const issues = s.page({ rankBy: 'labelIssue', offset: 0, limit: 20 }).rows;
  for (let k = 1; k < issues.length; k++) assert.ok(rankedScore(issues[k - 1], 'labelIssue') >= rankedScore(issues[k], 'labelIssue') - 1e-12);
  // The engine states what the scan can serve; the extension reads it rather than guessing.
  const exact = summary.analysis.solver === 'exact';
  assert.deepEqual(summary.capabilities, {
    objectives: ['loss', 'probability', 'margin'],
    modes: exact ? ['influence', 'newton'] : ['influence'],
    rankings: exact ? ['labelIssue', 'globalInfluence', 'labelSuspicion', 'loss'] : ['labelIssue', 'globalInfluence', 'loss'],
    trust: exact,
    relabel: exact,
    clusters: false,
  });
  assert.deepEqual(explainCapabilities(summary), { newton: exact, trust: exact, objectives: true });

  // Rows ranked by label suspicion: the description shows the score the list is ranked by and the
  // suggested label when it differs from the row's label.
  const rows = s.page({ rankBy: 'labelSuspicion', offset: 0, limit: 50 }).rows;
  for (let k = 1; k < rows.length; k++) assert.ok(rankedScore(rows[k - 1], 'labelSuspicion') >= rankedScore(rows[k], 'labelSuspicion'));
  const other = rows.find((e) => e.suggestedLabel !== undefined && e.suggestedLabel !== e.label);
  assert.ok(other, 'some of the 50 most suspicious rows have another suggested label');
  const d = rowNodeDescription({ kind: 'row', example: other, rank: 0, reviewed: false }, 'labelSuspicion');
  // With the detector's out-of-fold probability of the suggestion where the scan has one.
  const p = other.suggestedProbability;
  const withP = p !== undefined ? ` \\(${(p * 100 < 10 ? Number((p * 100).toPrecision(2)) : (p * 100).toFixed(0))}%\\)` : '';
  // "label malignant → benign (100%) · 8.78": the change first, the prediction only where it differs.
  const predicted = other.predicted === other.suggestedLabel ? '' : ` · predicted ${other.predicted}`;
  assert.match(d, new RegExp(`^label ${other.label} → ${other.suggestedLabel}${withP}${predicted} · `), d);
  assert.ok(d.endsWith(String(Number(other.labelSuspicion!.toPrecision(3)))), d);

  // The explanation says which method, estimate and objective produced the numbers.
  const n = await s.explain({ source: 'train', row: other.row, perSide: 3, mode: 'newton' });
  assert.equal(
    describeExplanation(n),
    `Method: influence function (Koh & Liang), Newton-step leave-one-out per row; explains ${n.objective.description}; ranked by RelatIF.`,
  );
  assert.match(n.objective.description, /cross-entropy/);
  const e = await s.explain({ source: 'train', row: other.row, perSide: 3, objective: 'probability', orderBy: 'influence', rankBy: 'influence' });
  assert.equal(describeExplanation(e), `Method: influence function (Koh & Liang), first order; explains ${e.objective.description}; ranked by raw influence.`);
  // The margin pairs put the predicted class first and the strongest competitor first.
  assert.deepEqual(marginPairs(e.test.predicted, e.test.probabilities), [[e.test.predicted, classesOther(e.test.predicted)]]);
});

const classesOther = (c: string) => (c === 'benign' ? 'malignant' : 'benign');

test('margin pairs: every other class once, most probable first, ties by name', () => {
  assert.deepEqual(marginPairs('3', { '1': 0.05, '3': 0.6, '8': 0.3, '5': 0.05 }), [
    ['3', '8'],
    ['3', '1'],
    ['3', '5'],
  ]);
});

test('trust numbers in words', () => {
  const agree = (spearman: number) => ({ pearson: 0.9, spearman, slope: 1.1 });
  assert.equal(formatAgreement({ pearson: 0.937, spearman: 0.9641, slope: 1.143 }), 'Pearson 0.94 · Spearman 0.96 · slope 1.14');
  assert.equal(formatAgreement({ pearson: Number.NaN, spearman: 0.5, slope: 1 }), 'Pearson n/a · Spearman 0.50 · slope 1.00');
  assert.equal(trustVerdict({ leaveOneOut: { rows: [], firstOrder: agree(0.6), newton: agree(0.85), seconds: 1 } }), 'good');
  assert.equal(trustVerdict({ leaveOneOut: { rows: [], firstOrder: agree(0.6), newton: agree(0.55), seconds: 1 } }), 'fair');
  assert.equal(trustVerdict({ leaveOneOut: { rows: [], firstOrder: agree(Number.NaN), newton: agree(0.1), seconds: 1 } }), 'poor');
});

test('options a scan cannot do fall back to what it can (e.g. after switching to turn-over dropout)', () => {
  // What the engine states for a turn-over dropout scan, an EK-FAC logistic scan and an exact one.
  const stated = (objectives: ExplainObjective[], newton: boolean): Pick<ScanSummary, 'capabilities'> => ({
    capabilities: { objectives, modes: newton ? ['influence', 'newton'] : ['influence'], rankings: ['globalInfluence', 'loss'], trust: newton, relabel: newton, clusters: false },
  });
  const tod = explainCapabilities(stated(['loss'], false));
  assert.deepEqual(tod, { newton: false, trust: false, objectives: false });
  const ekfac = explainCapabilities(stated(['loss', 'probability', 'margin'], false));
  assert.deepEqual(ekfac, { newton: false, trust: false, objectives: true });
  const exact = explainCapabilities(stated(['loss', 'probability', 'margin'], true));
  // A summary cached before the engine stated its capabilities offers only what every scan can do.
  assert.deepEqual(explainCapabilities({}), { newton: false, trust: false, objectives: false });
  const newtonMargin = { orderBy: 'relatifL', mode: 'newton', objective: 'margin' } as const;
  assert.deepEqual(supportedOptions(newtonMargin, tod), { orderBy: 'relatifL', mode: 'influence', objective: 'loss' });
  assert.deepEqual(supportedOptions(newtonMargin, ekfac), { orderBy: 'relatifL', mode: 'influence', objective: 'margin' });
  // The Newton step explains the loss only.
  assert.deepEqual(supportedOptions(newtonMargin, exact), { orderBy: 'relatifL', mode: 'influence', objective: 'margin' });
  assert.deepEqual(supportedOptions({ ...newtonMargin, objective: 'loss' }, exact), { orderBy: 'relatifL', mode: 'newton', objective: 'loss' });
});

test('the panel lists the scan\'s column notes (identifier left out, text hashed) before the analysis notes', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dd-panel-notes-')), 'notes.csv');
  const words = ['red', 'green', 'blue', 'small', 'large', 'round'];
  const rows = Array.from({ length: 40 }, (_, i) => `id${1000 + i},${(i * 7) % 11},${words[i % 6]} ${words[(i * 5) % 6]} thing ${words[(i * 11) % 6]}${i},${i % 3 === 0 ? 'a' : 'b'}`);
  writeFileSync(file, 'key,x,note,y\n' + rows.join('\n') + '\n');
  const s = new Session();
  const { summary } = await s.scan({ file, ...analysisParams({ ...defaults, labelColumn: 'y' }), firstPage: 5 });
  const notes = panelNotes(summary);
  assert.ok(summary.dataset.columnNotes && summary.dataset.columnNotes.length >= 2, JSON.stringify(summary.dataset.columnNotes));
  assert.deepEqual(notes.slice(0, summary.dataset.columnNotes.length), summary.dataset.columnNotes);
  assert.match(notes[0], /column "key" left out: it looks like an identifier/);
  assert.ok(notes.some((n) => /column "note" is text: hashed TF-IDF/.test(n)), notes.join('\n'));
  assert.deepEqual(notes.slice(summary.dataset.columnNotes.length), summary.analysis.notes);
  // A TSV read without quoting says why; a summary cached without notes gives none.
  assert.deepEqual(panelNotes({ dataset: { read: { format: 'tsv', encoding: 'utf-8', quoting: 'none', note: 'x' } } }), ['Read as TSV: x']);
  assert.deepEqual(panelNotes({ dataset: {} }), []);
});

test('estimateByLabelText: most first, both sides of two classes, the rest counted beyond max', () => {
  assert.equal(estimateByLabelText(undefined), undefined, 'results of earlier versions have no split');
  assert.equal(estimateByLabelText([{ label: 'a', errors: 0.2 }, { label: 'b', errors: 0.1 }]), undefined, 'under half a row in all: nothing to say');
  // Two classes: both listed, the side with none too; a likely class only where errors are counted.
  assert.equal(estimateByLabelText([{ label: 'ham', errors: 0.3, likelyClass: 'spam' }, { label: 'spam', errors: 41.6, likelyClass: 'ham' }]), 'spam ~42 (mostly ham), ham ~0');
  const many = ['a', 'b', 'c', 'd', 'e'].map((label, i) => ({ label, errors: [3, 0.2, 9, 5, 1][i], likelyClass: 'z' }));
  assert.equal(estimateByLabelText(many, 3), 'c ~9 (mostly z), d ~5 (mostly z), a ~3 (mostly z), and 2 more labels');
  assert.equal(estimateByLabelText(many, 4), 'c ~9 (mostly z), d ~5 (mostly z), a ~3 (mostly z), e ~1 (mostly z), and 1 more label');
  assert.equal(estimateByLabelText(many), 'c ~9 (mostly z), d ~5 (mostly z), a ~3 (mostly z), e ~1 (mostly z), b ~0');
  // Labels the estimate leaves out are named after the counted ones, never as "~0".
  const unsure = [...many, { label: 'f', errors: 0, likelyClass: 'z', uncounted: 40, surest: 0.4 }, { label: 'g', errors: 0, uncounted: 2, surest: 0.3 }];
  assert.equal(estimateByLabelText(unsure, 3), 'c ~9 (mostly z), d ~5 (mostly z), a ~3 (mostly z), and 2 more labels; not estimated for f, g (the models are never sure a row has these labels)');
  assert.equal(estimateByLabelText(unsure, 1), 'c ~9 (mostly z), and 4 more labels; not estimated for f and 1 more (the models are never sure a row has these labels)');
  assert.equal(estimateByLabelText([{ label: 'a', errors: 0.2 }, { label: 'b', errors: 0, uncounted: 9 }]), 'not estimated for b (the models are never sure a row has this label)');
});
