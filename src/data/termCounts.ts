/**
 * Word counts of a table's text columns over their whole vocabulary, for the label-error detector's
 * word models (src/detect/naiveBayes.ts, src/detect/wordLogistic.ts).
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
  const indptr = new Int32Array(N + 1);
  const indices: number[] = [];
  const values: number[] = [];
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
        }
        inRow.set(id, (inRow.get(id) ?? 0) + 1);
      }
    });
    for (const id of Int32Array.from(inRow.keys()).sort()) {
      indices.push(id);
      values.push(inRow.get(id)!);
    }
    indptr[r + 1] = indices.length;
  }
  const counts: CsrMatrix = { rows: N, cols: ids.size, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
  return { counts: mostFrequentTerms(counts, maxTerms), vocabulary: ids.size, columns: texts.length };
}

/**
 * The columns (terms) of a sparse matrix that occur in the most rows, at most `maxTerms` of them (ties by
 * the lower column) and only those in at least `minRows` rows, renumbered in their order; the matrix
 * itself when that keeps every column.
 */
export function mostFrequentTerms(m: CsrMatrix, maxTerms: number, minRows = 1): CsrMatrix {
  const { rows: N, cols: V, indptr, indices, values } = m;
  const docFreq = new Float64Array(V);
  for (let e = 0; e < indptr[N]; e++) docFreq[indices[e]]++;
  const order = Array.from({ length: V }, (_, v) => v)
    .filter((v) => docFreq[v] >= minRows)
    .sort((a, b) => docFreq[b] - docFreq[a] || a - b);
  if (order.length === V && V <= maxTerms) return m;
  const column = new Int32Array(V).fill(-1);
  for (let k = 0; k < Math.min(maxTerms, order.length); k++) column[order[k]] = 0;
  let kept = 0;
  for (let v = 0; v < V; v++) if (column[v] === 0) column[v] = kept++;
  const outPtr = new Int32Array(N + 1);
  for (let r = 0; r < N; r++) {
    let n = 0;
    for (let e = indptr[r]; e < indptr[r + 1]; e++) if (column[indices[e]] >= 0) n++;
    outPtr[r + 1] = outPtr[r] + n;
  }
  const outIndices = new Int32Array(outPtr[N]);
  const outValues = new Float64Array(outPtr[N]);
  for (let r = 0, o = 0; r < N; r++)
    for (let e = indptr[r]; e < indptr[r + 1]; e++) {
      const col = column[indices[e]];
      if (col < 0) continue;
      outIndices[o] = col;
      outValues[o++] = values[e];
    }
  return { rows: N, cols: kept, indptr: outPtr, indices: outIndices, values: outValues };
}

/**
 * The cells of a table's text feature columns over the given records: `[c][r]` is text column c's cell
 * of records[r] (null = missing); an empty list when the schema has no text column.
 */
export function textColumnCells(table: Table, schema: Schema, records: readonly number[]): (string | null)[][] {
  return schema.features
    .filter((col) => col.kind === 'text')
    .map((col) => {
      const j = table.columns.indexOf(col.name);
      return records.map((r) => table.store.cell(r, j));
    });
}

/**
 * termCounts of a table's text feature columns over the given records (the labelled rows, in the
 * order of the labels); undefined when the schema has no text column.
 */
export function tableTermCounts(table: Table, schema: Schema, records: readonly number[], maxTerms = Infinity): TermCounts | undefined {
  const texts = textColumnCells(table, schema, records);
  return texts.length ? termCounts(texts, maxTerms) : undefined;
}
