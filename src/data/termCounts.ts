/**
 * Word counts of a table's text columns over their whole vocabulary, for the label-error detector's
 * multinomial naive Bayes candidate (src/detect/naiveBayes.ts).
 *
 * The scan's own text features are hashed TF-IDF (text.ts): a fixed number of buckets keeps the
 * explained model's parameters and its exact Hessian small, but many words then share a bucket
 * (reviews: 25,768 distinct terms in 1,024 buckets), which costs a classifier of short texts much of
 * its accuracy. Counting every word apart costs only sparse entries, so the detector can have a
 * model that sees each word.
 *
 * Terms are the word tokens of text.ts's `tokenize` (unigrams; naive Bayes multiplies one factor per
 * occurrence, and overlapping bigrams would count the same evidence twice). Each text column has its
 * own vocabulary: the same word in two columns is two terms. No label is read, so building the
 * vocabulary on every row lets no row's label reach another row's probabilities.
 */
import { tokenize, type CsrMatrix } from './text';
import type { Schema } from './schema';
import type { Table } from './types';

export interface TermCounts {
  /** Rows x kept terms, counts as values, columns sorted within each row. */
  counts: CsrMatrix;
  /** Distinct terms before any cut. */
  vocabulary: number;
  /** Text columns counted. */
  columns: number;
}

/**
 * Counts every row's terms. `texts[c][r]` is column c's cell of row r (null = missing, no words).
 * Where the vocabulary exceeds `maxTerms`, the terms in the most rows are kept (ties by first
 * appearance); the others are dropped from every row.
 */
export function termCounts(texts: readonly (readonly (string | null)[])[], maxTerms = Infinity): TermCounts {
  const N = texts.length ? texts[0].length : 0;
  const ids = new Map<string, number>();
  const docFreq: number[] = [];
  const rowTerms: Int32Array[] = [];
  const rowCounts: Float64Array[] = [];
  const inRow = new Map<number, number>();
  for (let r = 0; r < N; r++) {
    inRow.clear();
    texts.forEach((column, c) => {
      const text = column[r];
      if (!text) return;
      for (const token of tokenize(text)) {
        const key = c === 0 ? token : `${c}\u0000${token}`;
        let id = ids.get(key);
        if (id === undefined) {
          id = ids.size;
          ids.set(key, id);
          docFreq.push(0);
        }
        inRow.set(id, (inRow.get(id) ?? 0) + 1);
      }
    });
    const terms = Int32Array.from(inRow.keys()).sort();
    const counts = new Float64Array(terms.length);
    terms.forEach((id, e) => {
      counts[e] = inRow.get(id)!;
      docFreq[id]++;
    });
    rowTerms.push(terms);
    rowCounts.push(counts);
  }
  const vocabulary = ids.size;
  // Column of each kept term (-1: dropped), in order of first appearance.
  const column = new Int32Array(vocabulary).fill(-1);
  let kept = 0;
  if (vocabulary <= maxTerms) {
    for (let v = 0; v < vocabulary; v++) column[v] = kept++;
  } else {
    const order = Array.from({ length: vocabulary }, (_, v) => v).sort((a, b) => docFreq[b] - docFreq[a] || a - b);
    const keep = new Uint8Array(vocabulary);
    for (let k = 0; k < maxTerms; k++) keep[order[k]] = 1;
    for (let v = 0; v < vocabulary; v++) if (keep[v]) column[v] = kept++;
  }
  const indptr = new Int32Array(N + 1);
  for (let r = 0; r < N; r++) {
    let n = 0;
    for (const v of rowTerms[r]) if (column[v] >= 0) n++;
    indptr[r + 1] = indptr[r] + n;
  }
  const indices = new Int32Array(indptr[N]);
  const values = new Float64Array(indptr[N]);
  for (let r = 0; r < N; r++) {
    let e = indptr[r];
    const terms = rowTerms[r];
    for (let k = 0; k < terms.length; k++) {
      const col = column[terms[k]];
      if (col < 0) continue;
      indices[e] = col;
      values[e++] = rowCounts[r][k];
    }
  }
  return { counts: { rows: N, cols: kept, indptr, indices, values }, vocabulary, columns: texts.length };
}

/**
 * termCounts of a table's text feature columns over the given records (the labelled rows, in the
 * order of the labels); undefined when the schema has no text column.
 */
export function tableTermCounts(table: Table, schema: Schema, records: readonly number[], maxTerms = Infinity): TermCounts | undefined {
  const texts = schema.features
    .filter((col) => col.kind === 'text')
    .map((col) => {
      const j = table.columns.indexOf(col.name);
      return records.map((r) => table.store.cell(r, j));
    });
  return texts.length ? termCounts(texts, maxTerms) : undefined;
}
