/**
 * Property-based fuzzing of the data readers (issue 13), shared by the unit test
 * (test/unit/data-fuzz.test.ts, a few hundred inputs) and the benchmark (bench/fuzz.ts, 10^5 inputs).
 *
 * An input is a well-formed CSV, TSV or JSONL file of random cells (numbers, words, quotes,
 * delimiters, line breaks, non-ASCII, control characters) with 0-4 byte-level mutations (insertions
 * of quotes, delimiters, CR/LF, NUL, invalid UTF-8, BOMs, Infinity, ...; deletions; duplications),
 * read at a random chunk size and, sometimes, a tiny record limit. The property: reading (and, when
 * that works, the schema, labels and features) either succeeds with every record's line inside the
 * file, or throws a DataFileError whose line and column are inside the file, or a UserError; never
 * anything else (a crash), never a hang (fast-check's per-run timeout).
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { encodeLabels, FeatureEncoder } from '../../src/data/features';
import { inferSchema } from '../../src/data/schema';
import { readTable } from '../../src/data/table';
import { sniffEncoding } from '../../src/data/textStream';
import type { DataFormat } from '../../src/data/types';
import { DataFileError, UserError } from '../../src/util/errors';

export interface FuzzInput {
  format: DataFormat;
  bytes: Uint8Array;
  highWaterMark?: number;
  maxRecordChars?: number;
}

const cell = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((x) => x.toPrecision(6)),
  fc.constantFrom('cat', 'dog', 'a b', '', 'NA', '?', ' x ', 'café', '😀', 'Infinity', '1e309', '-', 'null', 'true'),
  fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '\t', '"', '\n', '\r', '{', '[', '\\', 'é', '\x1b', '1', '.') , maxLength: 8 }),
);

function csvField(s: string, delim: string): string {
  return /["\r\n]/.test(s) || s.includes(delim) ? `"${s.replace(/"/g, '""')}"` : s;
}

function serialise(format: DataFormat, columns: string[], rows: string[][], crlf: boolean): string {
  const nl = crlf ? '\r\n' : '\n';
  if (format === 'jsonl') {
    return rows.map((r) => JSON.stringify(Object.fromEntries(columns.map((c, j) => [c, /^-?\d+(\.\d+)?$/.test(r[j]) ? Number(r[j]) : r[j]])))).join(nl) + nl;
  }
  const d = format === 'tsv' ? '\t' : ',';
  return [columns, ...rows].map((r) => r.map((f) => csvField(f, d)).join(d)).join(nl) + nl;
}

const INSERTS = [',', '\t', '"', '""', '\n', '\r', '\r\n', '{', '}', '[', ']', ':', '\\', ' ', 'Infinity', '1e309', 'é', '😀'].map((s) => Buffer.from(s));
const RAW_INSERTS = [[0], [0xff], [0xc3], [0xe2, 0x82], [0xef, 0xbb, 0xbf], [0xff, 0xfe], [0xfe, 0xff], [0xed, 0xa0, 0x80]].map((b) => Buffer.from(b));

const mutation = fc.record({
  kind: fc.constantFrom('insert', 'insert', 'raw', 'delete', 'duplicate'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  len: fc.integer({ min: 1, max: 12 }),
  what: fc.nat(),
});

function mutate(b: Buffer, m: { kind: string; at: number; len: number; what: number }): Buffer {
  const i = Math.min(b.length, Math.floor(m.at * (b.length + 1)));
  switch (m.kind) {
    case 'insert':
      return Buffer.concat([b.subarray(0, i), INSERTS[m.what % INSERTS.length], b.subarray(i)]);
    case 'raw':
      return Buffer.concat([b.subarray(0, i), RAW_INSERTS[m.what % RAW_INSERTS.length], b.subarray(i)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + m.len))]);
    default:
      return Buffer.concat([b.subarray(0, i), b.subarray(i, i + m.len), b.subarray(i)]);
  }
}

export const fuzzInput: fc.Arbitrary<FuzzInput> = fc
  .record({
    format: fc.constantFrom<DataFormat>('csv', 'tsv', 'jsonl'),
    width: fc.integer({ min: 1, max: 4 }),
    rows: fc.array(fc.array(cell, { minLength: 4, maxLength: 4 }), { minLength: 0, maxLength: 10 }),
    crlf: fc.boolean(),
    mutations: fc.array(mutation, { maxLength: 4 }),
    highWaterMark: fc.constantFrom(undefined, 1, 2, 3, 7, 64),
    maxRecordChars: fc.constantFrom(undefined, undefined, undefined, 40),
  })
  .map(({ format, width, rows, crlf, mutations, highWaterMark, maxRecordChars }) => {
    const columns = Array.from({ length: width }, (_, j) => (j === width - 1 ? 'y' : `c${j}`));
    const text = serialise(format, columns, rows.map((r) => r.slice(0, width)), crlf);
    let bytes: Buffer = Buffer.from(text);
    for (const m of mutations) bytes = mutate(bytes, m);
    return { format, bytes, highWaterMark, maxRecordChars };
  });

/** The lines of a file as the editor shows them (CRLF, LF, CR), decoded without failing. */
function linesOf(bytes: Uint8Array): string[] {
  const { encoding, bom } = sniffEncoding(bytes);
  const text = new TextDecoder(encoding, { ignoreBOM: true }).decode(bytes.subarray(bom));
  return text.split(/\r\n|\r|\n/);
}

/** scanned: read and featurised; read: read, then refused by the schema or labels (located); dataError: refused by the reader (located). */
export type FuzzOutcome = 'read' | 'scanned' | 'dataError' | 'userError';

/** Checks one input (written to `file`); throws when the property is violated. */
export async function checkInput(input: FuzzInput, file: string): Promise<{ outcome: FuzzOutcome; detail?: string }> {
  writeFileSync(file, input.bytes);
  const lines = linesOf(input.bytes);
  const inside = (e: DataFileError) => {
    if (!(e.line >= 1 && e.line <= lines.length && e.column >= 1 && e.column <= lines[e.line - 1].length + 1)) {
      throw new Error(`error position ${e.line}:${e.column} outside the file (${lines.length} lines): ${e.message}`);
    }
  };
  const classify = (e: unknown): { outcome: FuzzOutcome; detail: string } => {
    if (e instanceof DataFileError) {
      inside(e);
      return { outcome: 'dataError', detail: e.detail.replace(/"[^"]*"|\d+/g, '…').slice(0, 60) };
    }
    if (e instanceof UserError) return { outcome: 'userError', detail: e.message.slice(0, 60) };
    throw e; // a crash: not a data or user error
  };
  let table;
  try {
    table = await readTable(file, { format: input.format, highWaterMark: input.highWaterMark, maxRecordChars: input.maxRecordChars });
  } catch (e) {
    return classify(e);
  }
  for (const r of table.records) {
    if (!(r.line >= 1 && r.line <= lines.length)) throw new Error(`record ${r.row} at line ${r.line}, outside the file (${lines.length} lines)`);
  }
  const label = table.columns[table.columns.length - 1];
  try {
    const schema = inferSchema(table, { label });
    const labels = encodeLabels(table, schema);
    const enc = FeatureEncoder.fit(table, schema, labels.records);
    const X = enc.transform(table, labels.records);
    for (let k = 0; k < X.length; k++) if (!Number.isFinite(X[k])) throw new Error(`feature ${k} is ${X[k]}`);
  } catch (e) {
    const c = classify(e);
    return { outcome: c.outcome === 'dataError' ? 'read' : c.outcome, detail: c.detail };
  }
  return { outcome: 'scanned' };
}
