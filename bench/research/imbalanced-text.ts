/**
 * The issue's one-sided case, rebuilt on the review sentences (issue 10: on an SMS file with 256
 * ham -> spam and 44 spam -> ham flips the top 300 held 251 of the first kind and none of the second):
 * 1300 negative and 200 positive sentences of ../shared/data/reviews.jsonl (87% / 13%, as ham / spam),
 * each label flipped with probability 10%, seeds 0-2. Per direction, how many flipped rows the top 10%
 * holds, for the default ranking and for the calibrated self-confidence alone, and the estimate by
 * given label against the truth; and (session 21) the rows labelled negative on their own, as the sidebar
 * filtered by that class lists them: the truly positive rows among the first 10% of them.
 *   node --import tsx bench/research/imbalanced-text.ts
 * Results: docs/detection.md, "Session 13".
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLabelled } from '../detection';
import { detectLabelErrors } from '../../src/detect/detector';
import { calibratedScores } from '../../src/detect/rankingKeys';
import { SeededRandom } from '../../src/util/random';

const REVIEWS = path.resolve(__dirname, '../../../shared/data/reviews.jsonl');

async function main() {
  const all = readFileSync(REVIEWS, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { text: string; label: string });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dd-imbalanced-'));
  try {
    for (const seed of [0, 1, 2]) {
      const rng = new SeededRandom(seed);
      // n rows of a label, drawn without replacement (in random order), then the two mixed in random order.
      const pick = (label: string, n: number) => {
        const of = all.filter((r) => r.label === label);
        return rng.sample(of.length, n).map((i) => of[i]);
      };
      const both = [...pick('negative', 1300), ...pick('positive', 200)];
      const rows = rng.sample(both.length, both.length).map((i) => both[i]);
      const flipped = rows.map(() => rng.nextFloat() < 0.1);
      const file = path.join(dir, `imbalanced-${seed}.jsonl`);
      writeFileSync(file, rows.map((r, i) => JSON.stringify({ text: r.text, label: flipped[i] ? (r.label === 'negative' ? 'positive' : 'negative') : r.label })).join('\n') + '\n');
      const data = await loadLabelled(file, 'label');
      const d = await detectLabelErrors(data, { text: data.text });
      const { N, K, y } = data;
      const found = (key: ArrayLike<number>) => {
        const top = Array.from({ length: N }, (_, i) => i).sort((a, b) => key[b] - key[a] || a - b).slice(0, Math.round(N / 10));
        const n = { negative: 0, positive: 0 };
        for (const i of top) if (flipped[i]) n[rows[i].label as 'negative' | 'positive']++;
        return `${n.negative} truly negative, ${n.positive} truly positive`;
      };
      // Session 21: the rows labelled negative on their own (the sidebar filtered by that class), in the
      // default's order: how many of the truly positive rows among them the first 10% of them holds.
      const withinNegative = (key: ArrayLike<number>) => {
        const labelled = Array.from({ length: N }, (_, i) => i).filter((i) => (flipped[i] ? rows[i].label !== 'negative' : rows[i].label === 'negative'));
        const top = labelled.sort((a, b) => key[b] - key[a] || a - b).slice(0, Math.round(labelled.length / 10));
        return `${top.filter((i) => flipped[i]).length} of ${labelled.filter((i) => flipped[i]).length} truly positive rows in the first ${top.length} of the ${labelled.length} labelled negative`;
      };
      const truth = { negative: 0, positive: 0 };
      rows.forEach((r, i) => flipped[i] && truth[r.label as 'negative' | 'positive']++);
      // Classes in order of first appearance; the estimate by given label against the flips each label holds.
      const classOf = (c: number) => (rows.find((_, i) => y[i] === c && !flipped[i])?.label ?? '?');
      const est = Array.from(d.estimateByLabel.errors, (e, c) => `labelled ${classOf(c)}: ~${e.toFixed(1)} (truth ${classOf(c) === 'negative' ? truth.positive : truth.negative})`).join(', ');
      console.log(
        `seed ${seed}: flipped ${truth.negative} truly negative, ${truth.positive} truly positive; models ${d.models.map((m) => `${m.model} ${(m.accuracy * 100).toFixed(0)}%`).join(', ')}\n` +
          `  top 10%, default: ${found(d.rankKey)}\n` +
          `  top 10%, calibrated self-confidence alone: ${found(calibratedScores(d.proba, y, d.thresholds, N, K).rankKey)}\n` +
          `  estimate by given label: ${est}\n` +
          `  the rows labelled negative alone, default order: ${withinNegative(d.rankKey)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
void main();
