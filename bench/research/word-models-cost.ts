/**
 * Cost of the detector's word models (naive Bayes and logistic regression on the words) on a large
 * text file: the time to count the words and to run each model's 5 folds, and the process's peak
 * resident memory (docs/detection.md, "Session 16").
 *   node --import tsx bench/research/word-models-cost.ts FILE LABEL
 */
import { readTable } from '../../src/data/table';
import { inferSchema } from '../../src/data/schema';
import { encodeLabels } from '../../src/data/features';
import { tableTermCounts } from '../../src/data/termCounts';
import { naiveBayesMaxTerms, naiveBayesOutOfFold } from '../../src/detect/naiveBayes';
import { wordLogisticOutOfFold } from '../../src/detect/wordLogistic';
import { accuracyOf, stratifiedFolds } from '../../src/detect/crossFit';

async function main() {
  const [file, label] = process.argv.slice(2);
  const table = await readTable(file);
  const schema = inferSchema(table, { label });
  const labels = encodeLabels(table, schema);
  const K = labels.classes.length;
  const { y } = labels;
  const N = y.length;
  let t = performance.now();
  const text = tableTermCounts(table, schema, labels.records, naiveBayesMaxTerms(K))!;
  const countSeconds = (performance.now() - t) / 1000;
  const folds = stratifiedFolds(y, K, 5, 0);
  t = performance.now();
  const nb = await naiveBayesOutOfFold(text.counts, y, K, folds, 5);
  const nbSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const wl = await wordLogisticOutOfFold(text.counts, y, K, folds, 5);
  const wlSeconds = (performance.now() - t) / 1000;
  const mb = (process.resourceUsage().maxRSS / 1024).toFixed(0);
  console.log(
    JSON.stringify({
      file,
      rows: N,
      classes: K,
      vocabulary: text.vocabulary,
      words: text.counts.indptr[N],
      countSeconds: +countSeconds.toFixed(2),
      naiveBayes: { seconds: +nbSeconds.toFixed(2), accuracy: +accuracyOf(nb.proba, y, N, K).toFixed(3) },
      wordLogistic: { seconds: +wlSeconds.toFixed(2), accuracy: +accuracyOf(wl.proba, y, N, K).toFixed(3), detail: wl.detail },
      peakRssMB: +mb,
    }),
  );
}
void main();
