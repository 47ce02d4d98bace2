import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tableFromRows } from '../../src/data/tableStore';
import { readTable } from '../../src/data/table';
import { compareCodePoints, inferKind, inferSchema, parseNumber } from '../../src/data/schema';
import type { Cell, Table } from '../../src/data/types';
import { DataFileError } from '../../src/util/errors';

const P = join(__dirname, '../fixtures/parser');

function memTable(columns: string[], cells: Cell[][]): Table {
  return tableFromRows('mem.csv', 'csv', columns, cells);
}

test('parseNumber: decimal numbers with Number() semantics; empty, hex, Infinity and overflow rejected', () => {
  const ok: [string, number][] = [
    ['12', 12],
    [' -3.5 ', -3.5],
    ['.5', 0.5],
    ['5.', 5],
    ['+2', 2],
    ['1e3', 1000],
    ['1E-3', 0.001],
    ['-0', -0],
    ['0.1', 0.1],
  ];
  for (const [s, x] of ok) assert.equal(parseNumber(s), x, s);
  for (const s of ['', ' ', '0x10', '0b1', '0o7', 'Infinity', '-Infinity', '1e999', '1_000', 'NaN', '1,5', '.', 'e5', '1e']) {
    assert.ok(Number.isNaN(parseNumber(s)), s);
  }
});

test('parseNumber agrees with its regular-expression definition on every short string over a number alphabet', () => {
  const re = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
  const spec = (s: string): number => {
    const t = s.trim();
    if (!re.test(t)) return NaN;
    const x = Number(t);
    return Number.isFinite(x) ? x : NaN;
  };
  const alphabet = ['0', '7', '+', '-', '.', 'e', 'E', ' ', 'x'];
  let level = [''];
  for (let len = 1; len <= 5; len++) {
    level = level.flatMap((p) => alphabet.map((a) => p + a)); // all 9^len strings of this length
    for (const s of level) assert.ok(Object.is(parseNumber(s), spec(s)), JSON.stringify(s));
  }
  assert.ok(Number.isNaN(parseNumber('1e400')));
});

test('compareCodePoints sorts like Python sorted() (code points), unlike UTF-16 order above U+FFFF', () => {
  const xs = ['b', '😀', 'a', '\uffff', 'B', 'é', 'ab', ''];
  assert.deepEqual(xs.slice().sort(compareCodePoints), ['', 'B', 'a', 'ab', 'b', 'é', '\uffff', '😀']);
  assert.deepEqual(['red soil', 'grey soil', 'damp grey soil'].sort(compareCodePoints), ['damp grey soil', 'grey soil', 'red soil']);
});

test('inferKind: numeric beats categorical; few short distinct values are categorical, else text', () => {
  const col = (values: Cell[]) => memTable(['x'], values.map((v) => [v]));
  const n100 = (f: (k: number) => Cell) => col(Array.from({ length: 100 }, (_, k) => f(k)));
  const km = (t: Table) => {
    const r = inferKind(t, 0);
    return { kind: r.kind, missing: r.missing };
  };
  assert.deepEqual(km(n100((k) => String(k % 3))), { kind: 'numeric', missing: 0 });
  assert.deepEqual(km(n100((k) => (k % 10 === 0 ? null : `${k}.5`))), { kind: 'numeric', missing: 10 });
  assert.deepEqual(inferKind(n100((k) => `level ${k % 20}`), 0).kind, 'categorical'); // 20 <= 0.2 * 100
  assert.deepEqual(inferKind(n100((k) => `level ${k % 21}`), 0).kind, 'text'); // 21 > 20
  assert.deepEqual(inferKind(n100((k) => (k % 2 ? 'x'.repeat(65) : 'y')), 0).kind, 'text'); // too long
  assert.deepEqual(inferKind(n100((k) => (k % 2 ? '0x10' : '1')), 0).kind, 'categorical'); // hex is not a number
  assert.deepEqual(km(col([null, null])), { kind: 'numeric', missing: 2 });
  assert.deepEqual(inferKind(col(['a', 'b', null]), 0).kind, 'categorical'); // at least 2 levels allowed
});

test('inferSchema: label is never a feature; kinds override; ignore leaves columns out; missing counted', async () => {
  const t = await readTable(join(P, 'quoted.csv'));
  const s = inferSchema(t, { label: 'label' });
  assert.deepEqual(s.label, { name: 'label', index: 4, kind: 'categorical', missing: 1 });
  assert.deepEqual(
    s.features.map((c) => [c.name, c.index, c.kind, c.missing]),
    [
      ['id', 0, 'numeric', 0],
      ['name', 1, 'text', 2],
      ['comment', 2, 'text', 2],
      ['score', 3, 'numeric', 3],
    ],
  );
  const s2 = inferSchema(t, { label: 'label', ignore: ['id'], kinds: { name: 'categorical', score: 'text' } });
  assert.deepEqual(s2.ignored, ['id']);
  assert.deepEqual(
    s2.features.map((c) => [c.name, c.kind]),
    [
      ['name', 'categorical'],
      ['comment', 'text'],
      ['score', 'text'],
    ],
  );
});

test('inferSchema: unknown label / ignored column and a non-numeric column declared numeric are located errors', async () => {
  const file = join(P, 'quoted.csv');
  const t = await readTable(file);
  const at = (fn: () => unknown, line: number, column: number, message: RegExp) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof DataFileError);
      assert.deepEqual([e.file, e.line, e.column], [file, line, column], e.message);
      assert.match(e.detail, message);
      return true;
    });
  at(() => inferSchema(t, { label: 'class' }), 1, 1, /label column "class" .* columns: "id", "name", "comment", "score", "label"/);
  at(() => inferSchema(t, { label: 'label', ignore: ['ID'] }), 1, 1, /ignored column "ID"/);
  at(() => inferSchema(t, { label: 'label', kinds: { comment: 'numeric' } }), 2, 17, /declared numeric but "said \\"hi\\"" is not a number/);
});
