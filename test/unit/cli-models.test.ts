/**
 * The CLI's model, solver, method, objective and unsupervised flags (issues 5 and 6), on subsets of the
 * real fixtures so that every run takes seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureHead } from '../fixtures/head';
import { pearson, spearman } from '../../src/eval/metrics';

const root = path.resolve(__dirname, '../..');
const fixtures = path.join(root, 'test/fixtures/data');
const dir = mkdtempSync(path.join(tmpdir(), 'dd-cli-models-'));

const head = (file: string, rows: number, name: string): string => fixtureHead(file, rows, dir, name);

const cancer = head('breast_cancer.csv', 200, 'cancer200.csv');
const digits = head('digits.csv', 500, 'digits500.csv');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28, cwd: root, timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(...args: string[]) {
  const r = cli(...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

type Row = { row: number; globalInfluence: number; loss: number; label: string; cluster?: number };

function assertSorted(values: number[], what: string): void {
  for (let i = 1; i < values.length; i++) assert.ok(values[i - 1] >= values[i], `${what} not sorted at ${i}`);
}

test('scan --model mlp: a network with last-layer influence, the summary names model, solver, backend and notes', () => {
  const out = json('scan', cancer, '--label', 'diagnosis', '--model', 'mlp', '--hidden', '8', '--epochs', '40', '--rank-by', 'globalInfluence');
  assert.deepEqual(Object.keys(out), ['dataset', 'model', 'analysis', 'detection', 'rankBy', 'examples']);
  // The label-issue detector runs whatever the explained model (here 5-fold logistic regression and kNN);
  // the network's influence explains.
  assert.deepEqual(out.detection.models.map((m: { model: string }) => m.model), ['logistic', 'knn', 'forest']);
  assert.match(out.detection.explainedBy, /^mlp \(/);
  assert.ok(out.examples.every((e: { labelIssueScore?: number }) => typeof e.labelIssueScore === 'number'));
  assert.equal(out.model.kind, 'mlp');
  assert.deepEqual(out.model.hidden, [8]);
  assert.equal(out.model.parameters, 31 * 8 + 8 + 8 * 2 + 2, 'the inputs are the 30 features and the bias column');
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(out.model.backend));
  assert.ok(out.model.trainAccuracy > 0.9);
  assert.equal(out.analysis.model, 'mlp');
  assert.equal(out.analysis.method, 'influence');
  assert.equal(out.analysis.influenceScope, 'lastLayer');
  assert.equal(out.analysis.solver, 'exact', 'a 2 x 9 last layer is far below the exact budget');
  assert.match(out.analysis.solverReason, /exact/);
  assert.ok(out.analysis.notes.some((n: string) => /approximate for non-convex/.test(n)));
  assert.equal(out.examples.length, 200);
  assertSorted(out.examples.map((e: Row) => e.globalInfluence), 'globalInfluence');
  assert.ok(out.examples.every((e: Row) => e.globalInfluence > 0 && e.loss > 0));
});

test('explain --method turnOverDropout: ranked by |influence|, removal change = -influence, the method is stated', () => {
  const out = json('explain', cancer, '--label', 'diagnosis', '--method', 'turnOverDropout', '--hidden', '64', '--epochs', '8', '--row', '5', '--top', 'all');
  assert.equal(out.method, 'turnOverDropout');
  assert.equal(out.rankBy, 'influence');
  assert.equal(out.objective.kind, 'loss');
  assert.equal(out.objective.value, out.test.testLoss);
  assert.equal(out.influence.length, 200);
  assertSorted(out.influence.map((r: { influence: number }) => Math.abs(r.influence)), '|influence|');
  for (const r of out.influence) {
    assert.equal(r.removalChange, -r.influence);
    assert.equal(r.relatifL, null, 'no RelatIF for turn-over dropout (NaN in the engine, null in JSON)');
  }
  assert.ok(out.notes.some((n: string) => /no RelatIF/.test(n)));
  const table = cli('explain', cancer, '--label', 'diagnosis', '--method', 'turnOverDropout', '--hidden', '64', '--epochs', '8', '--row', '5', '--top', '3');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /Method: turn-over dropout/);
  assert.match(table.stdout, /largest \|influence\| of 200/);
});

test('explain --objective margin --classes: cross-loss influence of the logit margin, stated in the output', () => {
  const out = json('explain', cancer, '--label', 'diagnosis', '--row', '5', '--top', 'all', '--objective', 'margin', '--classes', 'benign,malignant');
  assert.equal(out.method, 'influence');
  assert.equal(out.rankBy, 'relatif');
  assert.deepEqual(out.objective.classes, ['benign', 'malignant']);
  assert.equal(out.objective.kind, 'margin');
  // z_a - z_b = log(p_a / p_b) at the fitted model.
  const p = out.test.probabilities;
  assert.ok(Math.abs(out.objective.value - Math.log(p.benign / p.malignant)) < 1e-9, `${out.objective.value}`);
  assertSorted(out.influence.map((r: { relatifL: number }) => Math.abs(r.relatifL)), '|relatifL|');
  // The margin of the opposite order is the same influence with the opposite sign.
  const flipped = json('explain', cancer, '--label', 'diagnosis', '--row', '5', '--top', 'all', '--objective', 'margin', '--classes', 'malignant,benign', '--rank-by', 'influence');
  assert.equal(flipped.rankBy, 'influence');
  assertSorted(flipped.influence.map((r: { influence: number }) => Math.abs(r.influence)), '|influence|');
  const byRow = new Map<number, number>(flipped.influence.map((r: { row: number; influence: number }) => [r.row, r.influence]));
  for (const r of out.influence) assert.ok(Math.abs(r.influence + byRow.get(r.row)!) <= 1e-9 * Math.max(1, Math.abs(r.influence)));
  // The loss objective of the same row differs from the margin's.
  const loss = json('explain', cancer, '--label', 'diagnosis', '--row', '5', '--top', '5');
  assert.equal(loss.objective.kind, 'loss');
  assert.match(loss.objective.description, /cross-entropy at malignant/);
  // Objectives other than the loss need logistic regression.
  const tod = cli('explain', cancer, '--label', 'diagnosis', '--row', '5', '--objective', 'probability', '--method', 'turnOverDropout', '--epochs', '1', '--hidden', '8');
  assert.equal(tod.code, 1);
  assert.match(tod.stderr, /logistic/);
});

test('--unsupervised: scan ranks rows by distance to their cluster centre; explain lists pulling and pushing rows', () => {
  const scan = json('scan', cancer, '--unsupervised', '--ignore', 'diagnosis', '--clusters', '3', '--epochs', '300');
  assert.equal(scan.model.kind, 'autoencoder');
  assert.equal(scan.model.clusters, 3);
  assert.equal(scan.analysis.method, 'unsupervised');
  assert.match(scan.analysis.globalScore, /distance/);
  assert.deepEqual(scan.dataset.classes, ['cluster 0', 'cluster 1', 'cluster 2']);
  assert.equal(scan.examples.length, 200);
  assertSorted(scan.examples.map((e: Row) => e.globalInfluence), 'distance');
  assert.ok(scan.examples.every((e: Row) => e.label === `cluster ${e.cluster}` && e.cluster! >= 0 && e.cluster! < 3));
  assert.equal(new Set(scan.examples.map((e: Row) => e.cluster)).size, 3);

  const ex = json('explain', cancer, '--unsupervised', '--ignore', 'diagnosis', '--clusters', '3', '--epochs', '300', '--row', '4', '--top', '5');
  assert.equal(ex.method, 'crossLoss');
  assert.equal(ex.row, 4);
  assert.equal(ex.cluster, scan.examples.find((e: Row) => e.row === 4).cluster, 'the same seeded training gives the same clusters');
  assert.ok(Math.abs(ex.distance - scan.examples.find((e: Row) => e.row === 4).globalInfluence) < 1e-3 * ex.distance);
  assert.equal(ex.pulling.length, 5);
  assert.equal(ex.pushing.length, 5);
  assert.ok(ex.pulling.every((r: { removalChange: number }) => r.removalChange > 0));
  assert.ok(ex.pushing.every((r: { removalChange: number }) => r.removalChange < 0));
  assertSorted(ex.pulling.map((r: { removalChange: number }) => r.removalChange), 'pulling');
  assertSorted(ex.pushing.map((r: { removalChange: number }) => -r.removalChange), 'pushing');
  for (const r of [...ex.pulling, ...ex.pushing]) assert.ok(Math.abs(r.removalChange + r.influence / 200) < 1e-9 * Math.abs(r.influence));
  assert.ok(ex.solve.iterations > 0 && ex.solve.relativeResidual < 1e-3);
  assert.equal(cli('explain', cancer, '--unsupervised', '--row', '4', '--top', 'all').code, 2);
});

test('--solver ekfac agrees with --solver exact on 500 digits (self-influence ranking; explain refined to the exact column)', () => {
  const exact = json('scan', digits, '--label', 'label', '--solver', 'exact');
  const ekfac = json('scan', digits, '--label', 'label', '--solver', 'ekfac');
  assert.equal(exact.analysis.solver, 'exact');
  assert.equal(ekfac.analysis.solver, 'ekfac');
  assert.match(ekfac.analysis.solverReason, /requested \(ekfac\); the size rule would pick exact/);
  const byRow = (xs: Row[]) => xs.slice().sort((a, b) => a.row - b.row).map((e) => e.globalInfluence);
  const rho = spearman(byRow(exact.examples), byRow(ekfac.examples));
  assert.ok(rho > 0.99, `Spearman ${rho}`);
  assert.equal(ekfac.examples[0].labelSuspicion, undefined, 'label suspicion needs the exact path');
  const auto = json('scan', digits, '--label', 'label', '--solver', 'auto');
  assert.equal(auto.analysis.solver, 'exact');
  assert.match(auto.analysis.solverReason, /^auto: exact/);

  const ex = json('explain', digits, '--label', 'label', '--row', '11', '--top', 'all', '--solver', 'exact');
  const ek = json('explain', digits, '--label', 'label', '--row', '11', '--top', 'all', '--solver', 'ekfac');
  assert.equal(ek.solve.method.length > 0, true);
  const col = (o: { influence: { row: number; influence: number }[] }) => o.influence.slice().sort((a, b) => a.row - b.row).map((r) => r.influence);
  const r = pearson(col(ex), col(ek));
  assert.ok(r > 0.9999, `Pearson ${r}`);
});

test('model flags: usage errors exit 2; a LayersModel whose inputs do not match the data is an error naming both sizes', () => {
  assert.equal(cli('scan', cancer, '--label', 'diagnosis', '--model', 'layers').code, 2, '--model layers needs --model-path');
  assert.equal(cli('scan', cancer, '--label', 'diagnosis', '--model', 'forest').code, 2);
  assert.equal(cli('scan', cancer, '--label', 'diagnosis', '--hidden', '8,x').code, 2);
  assert.equal(cli('scan', cancer, '--label', 'diagnosis', '--solver', 'newton').code, 2);
  assert.equal(cli('explain', cancer, '--label', 'diagnosis', '--row', '1', '--classes', 'benign,malignant').code, 2, '--classes goes with --objective margin');
  assert.equal(cli('scan', cancer, '--label', 'diagnosis', '--clusters', '3').code, 2, '--clusters needs --unsupervised');
  const tiny = path.join(root, 'test/fixtures/nn/tiny-model/model.json');
  const r = cli('scan', cancer, '--label', 'diagnosis', '--model', 'layers', '--model-path', tiny);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /takes 4 inputs.*30 features/);
});

test('--model layers: the user\'s Dense model on 4 satellite bands and 3 classes', () => {
  const lines = readFileSync(path.join(fixtures, 'satellite.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const y = header.length - 1;
  const classes = [...new Set(lines.slice(1).map((l) => l.split(',')[y]))].slice(0, 3);
  assert.equal(classes.length, 3);
  const rows = lines
    .slice(1)
    .map((l) => l.split(','))
    .filter((c) => classes.includes(c[y]))
    .slice(0, 150)
    .map((c) => [c[0], c[1], c[2], c[3], c[y]].join(','));
  const file = path.join(dir, 'satellite4.csv');
  writeFileSync(file, ['band_1,band_2,band_3,band_4,class', ...rows].join('\n') + '\n');
  const out = json('scan', file, '--label', 'class', '--model', 'layers', '--model-path', path.join(root, 'test/fixtures/nn/tiny-model'), '--rank-by', 'globalInfluence');
  assert.equal(out.model.kind, 'layers-model');
  assert.equal(out.model.parameters, 4 * 8 + 8 + 8 * 3 + 3);
  assert.equal(out.analysis.model, 'layers');
  assert.equal(out.examples.length, 150);
  assertSorted(out.examples.map((e: Row) => e.globalInfluence), 'globalInfluence');
  assert.ok(out.analysis.notes.some((n: string) => /as trained/.test(n)));
});
