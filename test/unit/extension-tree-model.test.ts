/** The Suspicious Rows tree: ranked and grouped views, class filter, limit and reviewed flags. */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { ExampleRow } from '../../src/protocol/types';
import { buildTree, classFilterEstimate, classNodeDescription, classNodeTooltip, formatScore, rowsWithClassTops, reviewProgress, rowNodeDescription, rowNodeLabel, scoreInWords, suggestedLabelText, whySuspicious, type ClassNode, type RowNode } from '../../extension/treeModel';

// A ranking as the worker returns it: rank order, labels and predictions mixed.
const labels = ['3', '8', '3', '1', '8', '3', '1', '1', '8', '3'];
const ranking: ExampleRow[] = labels.map((label, rank) => ({
  row: 100 - 7 * rank,
  line: 102 - 7 * rank,
  label,
  predicted: rank % 3 === 0 ? label : '9',
  globalInfluence: 2 / (rank + 1),
  loss: 1 / (rank + 1),
  rank,
}));

test('ranked: the first `limit` rows in rank order, with their reviewed flags', () => {
  const nodes = buildTree(ranking, { mode: 'ranked', limit: 4, reviewed: new Set([ranking[1].row]) }) as RowNode[];
  assert.deepEqual(nodes.map((n) => n.rank), [0, 1, 2, 3]);
  assert.deepEqual(nodes.map((n) => n.reviewed), [false, true, false, false]);
  assert.equal(rowNodeLabel(nodes[1]), `row ${ranking[1].row}`);
  assert.match(rowNodeDescription(nodes[1]), /label 8 · predicted 9 · 1 · reviewed$/);
});

test('a class filter keeps the rows of those classes, still limited and in rank order', () => {
  const nodes = buildTree(ranking, { mode: 'ranked', limit: 3, classes: ['3'], reviewed: new Set() }) as RowNode[];
  assert.deepEqual(nodes.map((n) => n.rank), [0, 2, 5]);
  assert.ok(nodes.every((n) => n.example.label === '3'));
  const all = buildTree(ranking, { mode: 'ranked', limit: 100, classes: [], reviewed: new Set() });
  assert.equal(all.length, ranking.length, 'an empty filter means every class');
  assert.equal(buildTree(ranking, { mode: 'ranked', limit: 100, classes: ['7'], reviewed: new Set() }).length, 0);
});

test('byClass: groups of the top rows, in the scan\'s class order, each in rank order with a reviewed count', () => {
  const reviewed = new Set([ranking[3].row, ranking[6].row]);
  const groups = buildTree(ranking, { mode: 'byClass', limit: 8, reviewed, classOrder: ['1', '3', '8'] }) as ClassNode[];
  assert.deepEqual(groups.map((g) => g.label), ['1', '3', '8']);
  assert.deepEqual(groups.map((g) => g.rows.map((r) => r.rank)), [[3, 6, 7], [0, 2, 5], [1, 4]]);
  assert.deepEqual(groups.map((g) => g.reviewedCount), [2, 0, 0]);
  assert.equal(classNodeDescription(groups[0]), '3 rows, 2 reviewed');
  assert.equal(classNodeDescription(groups[2]), '2 rows');
  // With the scan's estimate of wrong labels among all rows labelled so (not only those shown).
  assert.equal(classNodeDescription(groups[0], { errors: 17.4 }), '3 rows, 2 reviewed · est. ~17 wrong');
  assert.equal(classNodeDescription(groups[2], { errors: NaN }), '2 rows');
  // A label the estimate leaves out (the models are never sure of it) says so instead of "~0 wrong".
  assert.equal(classNodeDescription(groups[2], { errors: 0, uncounted: 41.2 }), '2 rows · no estimate');
  assert.equal(
    classNodeTooltip('8', { errors: 0, likelyClass: '3', uncounted: 41.2, surest: 0.43 }),
    'The scan does not estimate how many rows labelled 8 are wrong: even the rows the models are surest are 8 get it below 1/2 (43% on average), so a wrong label cannot be told from a row between similar classes. Confident learning would count about 41. The rows are still ranked.',
  );
  assert.equal(classNodeTooltip('1', { errors: 17.4, likelyClass: '7' }), 'The scan estimates that about 17 of the rows labelled 1 have a wrong label, most of them truly 7 (all rows with this label, not only those listed).');
  assert.equal(classNodeTooltip('8', { errors: 0.2, likelyClass: '3' }), 'The scan estimates that about 0 of the rows labelled 8 have a wrong label (all rows with this label, not only those listed).');
  assert.equal(classNodeTooltip('8'), undefined);
  // The sidebar message when filtered by class: the estimate over all rows with the filtered labels.
  const byLabel = [{ label: '1', errors: 17.4 }, { label: '3', errors: 0.6 }, { label: '8', errors: 2.2 }];
  assert.equal(classFilterEstimate(['1'], byLabel), ' Est. ~17 wrong labels among all rows labelled 1.');
  assert.equal(classFilterEstimate(['3', '8'], byLabel), ' Est. ~3 wrong labels among all rows labelled 3 or 8.');
  assert.equal(classFilterEstimate(['3'], [{ label: '3', errors: 1.2 }]), ' Est. ~1 wrong label among all rows labelled 3.');
  assert.equal(classFilterEstimate([], byLabel), '');
  assert.equal(classFilterEstimate(['1'], undefined), '', 'no estimate (an older scan, or no detector): no sentence');
  assert.equal(classFilterEstimate(['1', '9'], byLabel), '', 'a filtered label without an estimate: no partial sum');
  // Labels the estimate leaves out: the sum over the counted ones, and which are not estimated.
  const unsure = [...byLabel, { label: '9', errors: 0, uncounted: 30 }, { label: '6', errors: 0, uncounted: 12 }];
  assert.equal(classFilterEstimate(['1', '9'], unsure), ' Est. ~17 wrong labels among all rows labelled 1. No estimate for 9: the models are never sure a row has that label.');
  assert.equal(classFilterEstimate(['9', '6'], unsure), ' No estimate for 9 or 6: the models are never sure a row has those labels.');
  const total = groups.reduce((n, g) => n + g.rows.length, 0);
  assert.equal(total, 8, 'the limit applies to rows, not groups');
});

test('byClass without a class order sorts labels by name; rows without rank get their position', () => {
  const unranked = ranking.slice(0, 4).map(({ rank: _r, ...e }) => e);
  const groups = buildTree(unranked, { mode: 'byClass', limit: 10, reviewed: new Set() }) as ClassNode[];
  assert.deepEqual(groups.map((g) => g.label), ['1', '3', '8']);
  assert.deepEqual(groups[1].rows.map((r) => r.rank), [0, 2]);
});

test('formatScore: 3 significant digits, exponents for tiny and huge values', () => {
  assert.equal(formatScore(0.123456), '0.123');
  assert.equal(formatScore(12.345), '12.3');
  assert.equal(formatScore(0.0001234), '1.23e-4');
  assert.equal(formatScore(123456), '1.23e+5');
  assert.equal(formatScore(0), '0');
});

test('hidden rows (fixed or marked correct) leave the list and the next rows move up to fill the limit', () => {
  const hidden = new Set([ranking[0].row, ranking[2].row]);
  const nodes = buildTree(ranking, { mode: 'ranked', limit: 4, reviewed: new Set(), hidden }) as RowNode[];
  assert.deepEqual(nodes.map((n) => n.rank), [1, 3, 4, 5]);
  assert.ok(nodes.every((n) => !hidden.has(n.example.row)));
});

test('scores in words: label suspicion as the out-of-sample probability of the label', () => {
  const e: ExampleRow = { row: 3, line: 5, label: 'spam', predicted: 'ham', globalInfluence: 0.25, loss: 3, labelSuspicion: 4.59, suggestedLabel: 'ham' };
  const s = scoreInWords(e, { dataset: { rows: 3000 } });
  assert.match(s, /Label suspicion 4\.59: .* gives its label 'spam' a probability of 1\.0% /);
  assert.match(s, /believes 'ham' more/);
  assert.match(s, /Global influence 0\.25: .* over 3000 rows/);
  assert.match(s, /predicts 'ham', not its label 'spam'/);
  const agree = scoreInWords({ ...e, predicted: 'spam', labelSuspicion: Math.LN2, suggestedLabel: undefined });
  assert.match(agree, /probability of 50%/);
  assert.doesNotMatch(agree, /believes|predicts|Label issue/);
  // The detector's score, first: what the number the list is ranked by is.
  assert.match(scoreInWords({ ...e, labelIssueScore: 0.9987 }), /^Label issue 0\.999: the out-of-sample detector's ranking score, the mean of the row's percentile ranks by three scores .*; 1 = first by all three\. Label suspicion 4\.59/);
  // Where the scan ranked by self-confidence alone (models no better than the most common label).
  assert.match(scoreInWords({ ...e, labelIssueScore: 0.9987 }, { dataset: { rows: 3000 }, detection: { rankedBy: 'selfConfidence', models: [{}, {}, {}] } }), /^Label issue 0\.999: the out-of-sample detector's ranking score, the row's percentile rank by how little the models' out-of-fold probabilities believe the label, each model weighted by how well it separates the labels .*; 1 = the least believed label\. Label suspicion 4\.59/);
  // One model (logistic regression alone on a large file): no weights to speak of.
  assert.match(scoreInWords({ ...e, labelIssueScore: 0.9987 }, { dataset: { rows: 3000 }, detection: { rankedBy: 'selfConfidence', models: [{}] } }), /^Label issue 0\.999: the out-of-sample detector's ranking score, the row's percentile rank by how little its out-of-fold probabilities believe the label \(the models predict/);
});

test('review progress counts the listed rows that are decided', () => {
  assert.deepEqual(reviewProgress([5, 9, 2, 7], new Set([9, 7, 100])), { done: 2, total: 4 });
  assert.deepEqual(reviewProgress([], new Set([1])), { done: 0, total: 0 });
});

test('whySuspicious: the out-of-sample probability of the given label and the neighbours, in one sentence', () => {
  const e: ExampleRow = { row: 4, line: 6, label: 'ham', predicted: 'spam', globalInfluence: 3, loss: 2 };
  assert.equal(whySuspicious(e), undefined);
  assert.equal(
    whySuspicious({ ...e, labelProbability: 0.0213, neighbours: { k: 10, sameLabel: 2, otherLabel: 'spam', otherCount: 8 } }),
    "The model gives its label 'ham' 2.1% out of sample (the detector's out-of-fold probability, from models fitted without this row); " +
      "8 of its 10 nearest neighbours (standardised features) carry another label ('spam').",
  );
  // Several other labels: the most common one is named with its count.
  assert.match(whySuspicious({ ...e, labelProbability: 0.4, neighbours: { k: 10, sameLabel: 3, otherLabel: '8', otherCount: 4 } })!, /40% out of sample.*7 of its 10 nearest neighbours .* carry another label \(most often '8': 4\)\.$/);
  // Without a detector: label suspicion's probability, said as what it is.
  assert.equal(whySuspicious({ ...e, labelSuspicion: Math.log(2) }), "The model refitted without this row gives its label 'ham' 50%.");
  assert.match(whySuspicious({ ...e, neighbours: { k: 10, sameLabel: 10, otherCount: 0 } })!, /^All 10 of its nearest neighbours/);
  assert.equal(whySuspicious({ ...e, cluster: 2, labelProbability: 0.1 }), undefined);
  // With the detector's suggestion: its out-of-fold probability after the label's.
  assert.equal(
    whySuspicious({ ...e, labelProbability: 0.0213, suggestedLabel: 'spam', suggestedProbability: 0.894 }),
    "The model gives its label 'ham' 2.1% out of sample (the detector's out-of-fold probability, from models fitted without this row) and 'spam' 89%.",
  );
});

test('suggestedLabelText: the suggested label with its out-of-fold probability, where the scan has one', () => {
  const e: ExampleRow = { row: 4, line: 6, label: 'ham', predicted: 'spam', globalInfluence: 3, loss: 2 };
  assert.equal(suggestedLabelText(e), undefined);
  assert.equal(suggestedLabelText({ ...e, suggestedLabel: 'ham', suggestedProbability: 0.9 }), undefined, 'the label itself is no suggestion');
  assert.equal(suggestedLabelText({ ...e, suggestedLabel: 'spam', suggestedProbability: 0.894 }), 'spam (89%)');
  assert.equal(suggestedLabelText({ ...e, suggestedLabel: 'spam', suggestedProbability: 0.0512 }), 'spam (5.1%)');
  // Label suspicion's suggestion (no detector) has no probability: the label alone.
  assert.equal(suggestedLabelText({ ...e, suggestedLabel: 'spam' }), 'spam');
  assert.equal(suggestedLabelText({ ...e, suggestedLabel: 'spam', suggestedProbability: NaN }), 'spam');
  const node: RowNode = { kind: 'row', example: { ...e, suggestedLabel: 'spam', suggestedProbability: 0.894, labelIssueScore: 0.9987 }, rank: 0, reviewed: false };
  // The change first ("label ham → spam"), the explaining model's prediction only where it differs.
  assert.equal(rowNodeDescription(node, 'labelIssue'), 'label ham → spam (89%) · 0.999');
  assert.equal(rowNodeDescription({ ...node, example: { ...node.example, predicted: 'ham' } }, 'labelIssue'), 'label ham → spam (89%) · predicted ham · 0.999');
  assert.equal(rowNodeDescription({ ...node, example: { ...node.example, suggestedLabel: undefined } }, 'labelIssue'), 'label ham · predicted spam · 0.999');
});

test('a class filter also lists the class\'s top rows below the first page (Results.classTops)', () => {
  // Class 7 has no row on the first page (ranks 0-9); the scan kept its top rows at ranks 14 and 31,
  // and a row of class 3 at rank 12. A row given in both (rank 9) is taken once.
  const extra: ExampleRow[] = [
    { row: 5, line: 7, label: '7', predicted: '1', globalInfluence: 0.1, loss: 0.1, rank: 31 },
    { row: 6, line: 8, label: '7', predicted: '1', globalInfluence: 0.2, loss: 0.2, rank: 14 },
    { row: 7, line: 9, label: '3', predicted: '3', globalInfluence: 0.2, loss: 0.2, rank: 12 },
    ranking[9],
  ];
  const rows = rowsWithClassTops(ranking, extra);
  assert.deepEqual(rows.map((e) => e.rank), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 31]);
  const sevens = buildTree(rows, { mode: 'ranked', limit: 5, classes: ['7'], reviewed: new Set() }) as RowNode[];
  assert.deepEqual(sevens.map((n) => [n.example.row, n.rank]), [[6, 14], [5, 31]]);
  assert.equal(buildTree(ranking, { mode: 'ranked', limit: 5, classes: ['7'], reviewed: new Set() }).length, 0, 'the first page alone has none');
  const threes = buildTree(rows, { mode: 'ranked', limit: 10, classes: ['3'], reviewed: new Set() }) as RowNode[];
  assert.deepEqual(threes.map((n) => n.rank), [0, 2, 5, 9, 12]);
  assert.equal(rowsWithClassTops(ranking, undefined), ranking, 'no class tops (earlier versions, unsupervised): the first page');
});
