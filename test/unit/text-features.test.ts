/** Hashed TF-IDF text features on reviews.jsonl, and embedding columns with exact error positions. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { embeddingFromArrayColumn, embeddingFromColumns, findPrefixGroups } from '../../src/data/embedding';
import { readTable } from '../../src/data/table';
import { denseInto, fnv1a, hashTerm, HashedTfidf, terms, tokenize, toDense } from '../../src/data/text';
import type { Table } from '../../src/data/types';
import { DataFileError } from '../../src/util/errors';
import { DATA_DIR } from '../fixtures/nn/data';

let texts: string[];
before(async () => {
  const t = await readTable(path.join(DATA_DIR, 'reviews.jsonl'));
  const j = t.columns.indexOf('text');
  texts = t.records.map((r) => r.cells[j] as string);
});

test('tokenisation: lower case, words and numbers, inner apostrophes, bigrams', () => {
  assert.deepEqual(tokenize('Tied to charger for conversations lasting more than 45 minutes.MAJOR PROBLEMS!!'), [
    'tied', 'to', 'charger', 'for', 'conversations', 'lasting', 'more', 'than', '45', 'minutes', 'major', 'problems',
  ]);
  assert.deepEqual(tokenize("Don’t buy it, it's NAÏVE."), ["don't", 'buy', 'it', "it's", 'naïve']);
  assert.deepEqual(terms('Good case, Excellent value.'), ['good', 'case', 'excellent', 'value', 'good case', 'case excellent', 'excellent value']);
  assert.deepEqual(terms('a b', 1), ['a', 'b']);
});

test('FNV-1a matches its published test vectors', () => {
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.equal(fnv1a('a'), 0xe40c292c);
  assert.equal(fnv1a('foobar'), 0xbf9cf968);
});

test('reviews.jsonl: vocabulary, idf from training rows, a known sentence, unit rows', () => {
  const train = texts.slice(0, 2500);
  const v = HashedTfidf.fit(train, { dim: 4096 });
  // Vocabulary: distinct unigrams + bigrams, counted independently here.
  const vocab = new Set<string>();
  for (const t of train) for (const w of terms(t)) vocab.add(w);
  assert.equal(v.vocabularySize, vocab.size);
  assert.ok(vocab.size > 15000, `${vocab.size}`);

  // idf of the bucket of "great": every training document with a term in that bucket counts once.
  const { bucket } = hashTerm('great', 4096, true);
  const df = train.filter((t) => terms(t).some((w) => fnv1a(w) % 4096 === bucket)).length;
  const docsWithGreat = train.filter((t) => /\bgreat\b/i.test(t)).length;
  assert.ok(df >= docsWithGreat && docsWithGreat > 100, `df ${df}, documents with "great" ${docsWithGreat}`);
  assert.ok(Math.abs(v.idf[bucket] - (Math.log((1 + 2500) / (1 + df)) + 1)) < 1e-12);
  assert.match(v.bucketName(bucket), /(^|\|)great(\||$)/);

  // "Good case, Excellent value." is row 1: its 7 terms, hashed with their signs, tf 1, idf, l2 norm.
  const m = v.transform([texts[1]]);
  const expected = new Map<number, number>();
  for (const w of terms(texts[1])) {
    const h = hashTerm(w, 4096, true);
    expected.set(h.bucket, (expected.get(h.bucket) ?? 0) + h.sign);
  }
  for (const [b, c] of expected) expected.set(b, c * v.idf[b]);
  const norm = Math.hypot(...expected.values());
  const got = new Map<number, number>();
  for (let e = m.indptr[0]; e < m.indptr[1]; e++) got.set(m.indices[e], m.values[e]);
  assert.equal(got.size, [...expected.values()].filter((x) => x !== 0).length);
  assert.equal(got.size, 7, 'no collisions among these 7 terms in 4096 buckets');
  for (const [b, x] of expected) assert.ok(Math.abs((got.get(b) ?? 0) - x / norm) < 1e-12);

  // Whole held-out block: sorted columns, unit l2 norm per nonempty row, dense copy agrees.
  const test500 = v.transform(texts.slice(2500));
  assert.equal(test500.rows, 500);
  for (let r = 0; r < test500.rows; r++) {
    let ss = 0;
    for (let e = test500.indptr[r]; e < test500.indptr[r + 1]; e++) {
      ss += test500.values[e] ** 2;
      if (e > test500.indptr[r]) assert.ok(test500.indices[e] > test500.indices[e - 1]);
    }
    assert.ok(Math.abs(ss - 1) < 1e-12, `row ${r} norm^2 ${ss}`);
  }
  const dense = toDense(test500);
  const wide = new Float64Array(500 * 4100);
  denseInto(test500, wide, 4100, 3);
  for (let r = 0; r < 500; r += 37) for (let b = 0; b < 4096; b++) assert.equal(wide[r * 4100 + 3 + b], dense[r * 4096 + b]);
});

test('empty and missing texts give zero rows; unseen terms get the largest idf; state round-trips', () => {
  const v = HashedTfidf.fit(['good phone', 'bad phone', null], { dim: 64, signed: false });
  const m = v.transform(['', null, '!!!', 'zzzz qqqq']);
  assert.deepEqual(Array.from(m.indptr.slice(0, 4)), [0, 0, 0, 0]);
  assert.ok(m.indptr[4] > 0);
  const unseen = hashTerm('zzzz', 64, false).bucket;
  if (![...terms('good phone'), ...terms('bad phone')].some((w) => fnv1a(w) % 64 === unseen)) {
    assert.equal(v.idf[unseen], Math.log(4 / 1) + 1);
  }
  const again = HashedTfidf.fromState(JSON.parse(JSON.stringify(v.state())));
  assert.deepEqual(again.transform(['good bad phone']), v.transform(['good bad phone']));
});

function tmpFile(name: string, body: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'emb-'));
  const f = path.join(dir, name);
  writeFileSync(f, body);
  return f;
}

const all = (t: Table) => t.records.map((_, i) => i);

test('embedding as a JSON array per cell (JSONL and quoted CSV)', async () => {
  const f = tmpFile('e.jsonl', '{"emb": [1, 2.5, -3], "y": "a"}\n\n{"emb": [0, 0, 1e-3], "y": "b"}\n');
  const t = await readTable(f);
  const b = embeddingFromArrayColumn(t, 'emb', all(t));
  assert.equal(b.dim, 3);
  assert.deepEqual(Array.from(b.X), [1, 2.5, -3, 0, 0, 0.001]);
  const c = tmpFile('e.csv', 'y,emb\na,"[1,2]"\nb,"[3, 4]"\n');
  const tc = await readTable(c);
  assert.deepEqual(Array.from(embeddingFromArrayColumn(tc, 'emb', all(tc)).X), [1, 2, 3, 4]);
});

test('embedding errors name file, line and column', async () => {
  const f = tmpFile('bad.jsonl', '{"y": "a", "emb": [1, 2, 3]}\n{"y": "b", "emb": [1, 2]}\n');
  const t = await readTable(f);
  assert.throws(() => embeddingFromArrayColumn(t, 'emb', all(t)), (e: unknown) => {
    assert.ok(e instanceof DataFileError);
    assert.equal(e.file, f);
    assert.equal(e.line, 2);
    assert.equal(e.column, 19); // where [1, 2] starts
    assert.match(e.detail, /has 2 values here but 3 in the first record \(line 1\)/);
    return true;
  });
  const g = tmpFile('bad.csv', 'y,emb\na,"[1,2]"\nb,"[1,oops]"\n');
  const tg = await readTable(g);
  assert.throws(() => embeddingFromArrayColumn(tg, 'emb', all(tg)), (e: unknown) => {
    assert.ok(e instanceof DataFileError);
    assert.deepEqual([e.line, e.column], [3, 3]);
    assert.match(e.detail, /malformed JSON array/);
    return true;
  });
  const h = tmpFile('nan.jsonl', '{"emb": [1, "x"]}\n');
  const th = await readTable(h);
  assert.throws(() => embeddingFromArrayColumn(th, 'emb', all(th)), /nan\.jsonl:1:9: .*element 1 of the array is "x"/);
  assert.throws(() => embeddingFromArrayColumn(t, "emb", all(t), { dim: 4 }), /bad\.jsonl:1:19: .*has 3 values here but 4 in the expected dimension/);
});

test('embedding as a prefix group of numeric columns, emb_0..emb_9', async () => {
  const header = ['id', ...Array.from({ length: 10 }, (_, k) => `emb_${k}`), 'emb_x', 'label'];
  assert.deepEqual(findPrefixGroups(header).map((g) => [g.prefix, g.columns.length]), [['emb_', 10]]);
  assert.deepEqual(findPrefixGroups(['f1', 'f2', 'f3']), [], 'no group without index 0 / too small');
  const rows = [header.join(','), ['r0', ...Array.from({ length: 10 }, (_, k) => k / 10), 'q', 'a'].join(','), ['r1', ...Array.from({ length: 10 }, (_, k) => (k === 4 ? 'bad' : -k)), 'q', 'b'].join(',')];
  const f = tmpFile('g.csv', rows.join('\n') + '\n');
  const t = await readTable(f);
  const [g] = findPrefixGroups(t.columns);
  const ok = embeddingFromColumns(t, g, [0]);
  assert.deepEqual(Array.from(ok.X), Array.from({ length: 10 }, (_, k) => k / 10));
  assert.throws(() => embeddingFromColumns(t, g, [0, 1]), (e: unknown) => {
    assert.ok(e instanceof DataFileError);
    assert.deepEqual([e.line, e.column], [3, rows[2].indexOf('bad') + 1]);
    return true;
  });
});
