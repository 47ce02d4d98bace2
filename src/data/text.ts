/**
 * Text columns as hashed TF-IDF of word unigrams and bigrams.
 *
 * Tokenisation (tokenize): Unicode NFKC, lower case, then maximal runs of letters and digits
 * (\p{L}\p{N}, combining marks kept with their letter), an apostrophe inside a word kept
 * ("don't", "it's" are one token). Everything else separates tokens, so "45 minutes.MAJOR"
 * gives "45", "minutes", "major". Terms: every token and every pair of adjacent tokens, written
 * "left right" (one space).
 *
 * Hashing: FNV-1a (32 bit) of the term's UTF-16 code units; bucket = hash mod dim. With `signed`
 * (default) bit 31 of a second hash (FNV-1a with another offset basis) gives the term's sign, so
 * colliding terms cancel on average instead of adding up (Weinberger et al. 2009).
 *
 * Weights, fitted on the training rows only:
 *   tf(t, d)  = count of t in d (or 1 + ln count with sublinearTf), signed sums per bucket;
 *   idf(b)    = ln((1 + N) / (1 + df(b))) + 1, df(b) = training documents with a nonzero in bucket b
 *               (the "smooth" idf: a bucket unseen in training gets ln(1 + N) + 1, never infinity);
 *   x(d)      = tf * idf per bucket, then scaled to unit Euclidean norm (an empty document stays 0).
 * A missing cell (null) is the empty document.
 *
 * Output is sparse CSR (100,000 rows x 4096 buckets with ~20 nonzeros a row is ~2 M entries, 24 MB,
 * where the dense block would be 3.3 GB); `denseInto` writes it into a row-major feature matrix.
 */

export interface HashedTfidfOptions {
  /** Buckets (default 4096 = 2^12). */
  dim?: number;
  /** Signed hashing (default true). */
  signed?: boolean;
  /** Largest n-gram (1 or 2; default 2). */
  ngram?: 1 | 2;
  /** 1 + ln(count) instead of count (default false). */
  sublinearTf?: boolean;
  /** Terms remembered per bucket to name features in explanations (default 3, by training frequency). */
  namesPerBucket?: number;
}

/** Compressed sparse rows: row r's entries are indices/values [indptr[r], indptr[r+1]), columns sorted. */
export interface CsrMatrix {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

export interface HashedTfidfState {
  dim: number;
  signed: boolean;
  ngram: 1 | 2;
  sublinearTf: boolean;
  /** Training documents. */
  documents: number;
  /** idf per bucket. */
  idf: number[];
  /** Up to namesPerBucket most frequent training terms per bucket (buckets without terms absent). */
  bucketTerms: Record<number, string[]>;
  /** Distinct terms seen in training. */
  vocabularySize: number;
}

const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:['\u2019][\p{L}\p{N}]+)*/gu;

/** The smooth idf of a term in `df` of `documents` texts: ln((1 + N) / (1 + df)) + 1 (see the module comment). */
export function smoothIdf(documents: number, df: number): number {
  return Math.log((1 + documents) / (1 + df)) + 1;
}

/** Lower-cased word tokens of a text (see the module comment). */
export function tokenize(text: string): string[] {
  // eslint-disable-next-line no-control-regex
  const t = (/[^\x00-\x7f]/.test(text) ? text.normalize('NFKC') : text).toLowerCase();
  const out: string[] = [];
  for (const m of t.matchAll(WORD)) out.push(m[0].replace(/\u2019/g, "'"));
  return out;
}

/** Unigrams, then bigrams "a b", of one text. */
export function terms(text: string, ngram: 1 | 2 = 2): string[] {
  const tok = tokenize(text);
  if (ngram === 1) return tok;
  const out = tok.slice();
  for (let k = 0; k + 1 < tok.length; k++) out.push(tok[k] + ' ' + tok[k + 1]);
  return out;
}

/** FNV-1a over UTF-16 code units, 32-bit unsigned. */
export function fnv1a(s: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Bucket and sign (+1/-1; always +1 unsigned) of a term. */
export function hashTerm(term: string, dim: number, signed: boolean): { bucket: number; sign: number } {
  const bucket = fnv1a(term) % dim;
  const sign = signed && fnv1a(term, 0x9747b28c) & 0x80000000 ? -1 : 1;
  return { bucket, sign };
}

export class HashedTfidf {
  private constructor(private readonly s: HashedTfidfState) {}

  get dim(): number {
    return this.s.dim;
  }

  get idf(): readonly number[] {
    return this.s.idf;
  }

  get vocabularySize(): number {
    return this.s.vocabularySize;
  }

  /** Fits the idf (and bucket names) on the training texts. */
  static fit(texts: readonly (string | null)[], opts: HashedTfidfOptions = {}): HashedTfidf {
    const dim = opts.dim ?? 4096;
    if (!(Number.isInteger(dim) && dim >= 2)) throw new RangeError(`HashedTfidf: dim must be an integer >= 2, got ${dim}`);
    const signed = opts.signed ?? true;
    const ngram = opts.ngram ?? 2;
    const keep = opts.namesPerBucket ?? 3;
    const df = new Int32Array(dim);
    const termCount = new Map<string, number>();
    const seen = new Int32Array(dim).fill(-1);
    texts.forEach((text, d) => {
      if (text == null) return;
      for (const t of terms(text, ngram)) {
        termCount.set(t, (termCount.get(t) ?? 0) + 1);
        const b = fnv1a(t) % dim;
        if (seen[b] !== d) {
          seen[b] = d;
          df[b]++;
        }
      }
    });
    const N = texts.length;
    const idf: number[] = new Array(dim);
    for (let b = 0; b < dim; b++) idf[b] = smoothIdf(N, df[b]);
    const perBucket = new Map<number, [string, number][]>();
    if (keep > 0) {
      for (const [t, c] of termCount) {
        const b = fnv1a(t) % dim;
        let list = perBucket.get(b);
        if (!list) perBucket.set(b, (list = []));
        list.push([t, c]);
      }
    }
    const bucketTerms: Record<number, string[]> = {};
    for (const [b, list] of perBucket) {
      list.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      bucketTerms[b] = list.slice(0, keep).map((e) => e[0]);
    }
    return new HashedTfidf({ dim, signed, ngram, sublinearTf: opts.sublinearTf ?? false, documents: N, idf, bucketTerms, vocabularySize: termCount.size });
  }

  static fromState(state: HashedTfidfState): HashedTfidf {
    return new HashedTfidf(state);
  }

  state(): HashedTfidfState {
    return this.s;
  }

  /** A readable name for bucket b: its most frequent training terms ("great|great phone"). */
  bucketName(b: number): string {
    const t = this.s.bucketTerms[b];
    return t && t.length > 0 ? t.join('|') : `#${b}`;
  }

  /** Feature names for all buckets, prefixed by the column: `text:great|love it`. */
  featureNames(column: string): string[] {
    return Array.from({ length: this.s.dim }, (_, b) => `${column}:${this.bucketName(b)}`);
  }

  /** The l2-normalised tf-idf vector of each text, as CSR. */
  transform(texts: readonly (string | null)[]): CsrMatrix {
    const { dim, signed, ngram, sublinearTf, idf } = this.s;
    const indptr = new Int32Array(texts.length + 1);
    let indices = new Int32Array(Math.max(16, texts.length * 16));
    let values = new Float64Array(indices.length);
    const acc = new Float64Array(dim);
    const stamp = new Int32Array(dim).fill(-1);
    const touched: number[] = [];
    let nnz = 0;
    for (let d = 0; d < texts.length; d++) {
      const text = texts[d];
      if (text != null) {
        const counts = new Map<string, number>();
        for (const t of terms(text, ngram)) counts.set(t, (counts.get(t) ?? 0) + 1);
        for (const [t, c] of counts) {
          const { bucket, sign } = hashTerm(t, dim, signed);
          if (stamp[bucket] !== d) {
            stamp[bucket] = d;
            touched.push(bucket);
          }
          acc[bucket] += sign * (sublinearTf ? 1 + Math.log(c) : c);
        }
      }
      touched.sort((a, b) => a - b);
      let ss = 0;
      for (const b of touched) {
        acc[b] *= idf[b];
        ss += acc[b] * acc[b];
      }
      const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      if (nnz + touched.length > indices.length) {
        const cap = Math.max(indices.length * 2, nnz + touched.length);
        const i2 = new Int32Array(cap);
        i2.set(indices.subarray(0, nnz));
        const v2 = new Float64Array(cap);
        v2.set(values.subarray(0, nnz));
        indices = i2;
        values = v2;
      }
      for (const b of touched) {
        const v = acc[b] * inv;
        acc[b] = 0;
        if (v === 0) continue; // signed terms that cancelled exactly
        indices[nnz] = b;
        values[nnz] = v;
        nnz++;
      }
      touched.length = 0;
      indptr[d + 1] = nnz;
    }
    return { rows: texts.length, cols: dim, indptr, indices: indices.slice(0, nnz), values: values.slice(0, nnz) };
  }
}

/** Writes the CSR block into columns [offset, offset + cols) of a row-major rows x D matrix. */
export function denseInto(m: CsrMatrix, out: Float64Array, D: number, offset: number): void {
  if (offset + m.cols > D) throw new RangeError(`denseInto: columns ${offset}..${offset + m.cols} exceed D = ${D}`);
  for (let r = 0; r < m.rows; r++) {
    const base = r * D + offset;
    for (let e = m.indptr[r]; e < m.indptr[r + 1]; e++) out[base + m.indices[e]] = m.values[e];
  }
}

/** The CSR matrix as a dense row-major Float64Array. */
export function toDense(m: CsrMatrix): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  denseInto(m, out, m.cols, 0);
  return out;
}
