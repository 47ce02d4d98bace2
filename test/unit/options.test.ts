/**
 * The one owner of scan/explain options (src/options/options.ts): package.json's settings agree with
 * it (enums, defaults, ranges, the documented defaults of the l2 and hidden-size settings), the
 * engine's checks name the allowed values, and the defaults that differ by method are the ones the
 * engine uses (turn-over dropout l2 from every client).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import test from 'node:test';
import * as opt from '../../src/options/options';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const config = pkg.contributes.configuration;
const props: Record<string, Record<string, unknown>> = Array.isArray(config) ? Object.assign({}, ...config.map((c: { properties: object }) => c.properties)) : config.properties;

test("package.json's settings agree with the options module (values, defaults, ranges)", () => {
  for (const [name, spec] of Object.entries(opt.SETTINGS)) {
    const p = props[`datasetDebugger.${name}`];
    assert.ok(p, `package.json has no setting datasetDebugger.${name}`);
    assert.deepEqual(p.default, spec.default, `default of ${name}`);
    if ('values' in spec) assert.deepEqual(p.enum, [...spec.values], `allowed values of ${name}`);
    if ('minimum' in spec) assert.equal(p.minimum, spec.minimum, `minimum of ${name}`);
    if ('maximum' in spec) assert.equal(p.maximum, spec.maximum, `maximum of ${name}`);
  }
  // The descriptions state the defaults that are not the setting's own default value.
  const l2 = String(props['datasetDebugger.l2'].markdownDescription);
  assert.ok(l2.includes(String(opt.DEFAULTS.l2)) && l2.includes(String(opt.DEFAULTS.turnOverDropoutL2)), l2);
  const hidden = String(props['datasetDebugger.hiddenSizes'].markdownDescription);
  assert.ok(hidden.includes(`default \`[${opt.DEFAULTS.mlpHidden.join(', ')}]\``), hidden);
  assert.ok(hidden.includes(`default \`[${opt.DEFAULTS.turnOverDropoutHidden.join(', ')}]\``), hidden);
});

test('defaults that depend on the method, and the engine check of scan and explain options', () => {
  assert.equal(opt.defaultL2({}), 1e-3);
  assert.equal(opt.defaultL2({ method: 'turnOverDropout' }), 1e-4);
  assert.deepEqual(opt.defaultHidden({ method: 'influence' }), [32]);
  assert.deepEqual(opt.defaultHidden({ method: 'turnOverDropout' }), [256]);
  assert.deepEqual(opt.resolveScanOptions({}), { l2: 1e-3, damping: 0, model: 'logistic', method: 'influence' });
  assert.deepEqual(opt.resolveScanOptions({ method: 'turnOverDropout' }), { l2: 1e-4, damping: 0, model: 'logistic', method: 'turnOverDropout' });
  assert.equal(opt.resolveScanOptions({ method: 'turnOverDropout', l2: 0.01 }).l2, 0.01);
  assert.throws(() => opt.resolveScanOptions({ l2: 0 }), /l2 must be a positive number \(got 0\)/);
  assert.throws(() => opt.resolveScanOptions({ damping: -1 }), /damping must be >= 0/);
  assert.throws(() => opt.resolveScanOptions({ model: 'svm' }), /Unknown model 'svm' \(logistic, mlp or layers\)/);
  assert.throws(() => opt.resolveScanOptions({ method: 'x' }), /Unknown method 'x' \(influence or turnOverDropout\)/);
  assert.deepEqual(opt.resolveExplainOptions({}), { mode: 'influence', objective: 'loss' });
  assert.throws(() => opt.resolveExplainOptions({ objective: 'odds' }), /Unknown objective 'odds' \(loss, probability or margin\)/);
  assert.throws(() => opt.resolveExplainOptions({ rankBy: 'x' }), /Unknown rankBy 'x' \(relatif or influence\)/);
});

test('settings with wrong values fall back instead of reaching the worker', () => {
  assert.equal(opt.oneOf('ekfac', opt.SOLVERS), 'ekfac');
  assert.equal(opt.oneOf('EKFAC', opt.SOLVERS), 'auto');
  assert.equal(opt.oneOf(undefined, opt.METHODS), 'influence');
  assert.deepEqual(opt.hiddenSizesOf([64, 0, -3, 2.5, '8', 5000, 32]), [64, 32]);
  assert.deepEqual(opt.hiddenSizesOf('64'), []);
  assert.equal(opt.hiddenSizesOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).length, 8);
  assert.equal(opt.intSetting(7.9, opt.SETTINGS.clusters), 7);
  assert.equal(opt.intSetting(500, opt.SETTINGS.clusters), 50);
  assert.equal(opt.intSetting('3', opt.SETTINGS.clusters), 3);
  assert.equal(opt.choices(['a', 'b', 'c']), 'a, b or c');
});
