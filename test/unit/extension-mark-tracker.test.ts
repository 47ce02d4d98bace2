/**
 * Marks of suspicious rows follow edits of the data file: the expected lines are found by applying the
 * same edits to the text and looking for each marked record's text.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { applyEdits, moveMark, type TextEdit } from '../../extension/markTracker';

const edit = (sl: number, sc: number, el: number, ec: number, text: string): TextEdit => ({
  range: { start: { line: sl, character: sc }, end: { line: el, character: ec } },
  text,
});

/** Applies edits (all in the coordinates of the original text, non-overlapping) to a text. */
function applyToText(lines: string[], edits: TextEdit[]): string[] {
  let text = lines.join('\n');
  const offset = (l: number, c: number) => lines.slice(0, l).reduce((n, s) => n + s.length + 1, 0) + c;
  const sorted = [...edits].sort((a, b) => offset(b.range.start.line, b.range.start.character) - offset(a.range.start.line, a.range.start.character));
  for (const e of sorted) {
    const s = offset(e.range.start.line, e.range.start.character);
    const t = offset(e.range.end.line, e.range.end.character);
    text = text.slice(0, s) + e.text + text.slice(t);
  }
  return text.split('\n');
}

const file = ['id,label', 'r0,a', 'r1,b', 'r2,a', 'r3,b', 'r4,a', 'r5,b', 'r6,a'];
// Marks on the records r1, r3, r5 (1-based lines 3, 5, 7).
const marks = new Map([
  ['r1', 3],
  ['r3', 5],
  ['r5', 7],
]);

function check(edits: TextEdit[], expectRemoved: string[]) {
  const after = applyToText(file, edits);
  const moved = applyEdits(marks, edits);
  for (const [key] of marks) {
    if (expectRemoved.includes(key)) {
      assert.equal(moved.has(key), false, `${key} is removed`);
      continue;
    }
    const line = moved.get(key);
    assert.ok(line !== undefined, `${key} kept`);
    assert.ok(after[line - 1].startsWith(`${key},`), `${key} at line ${line}: ${JSON.stringify(after[line - 1])}`);
  }
}

test('inserting whole lines above shifts marks below; marks above stay', () => {
  check([edit(3, 0, 3, 0, 'n1,a\nn2,b\n')], []);
  check([edit(0, 0, 0, 0, 'comment\n')], []);
});

test('deleting whole lines shifts marks; deleting a marked line removes its mark', () => {
  check([edit(1, 0, 2, 0, '')], []); // deletes r0
  check([edit(2, 0, 3, 0, '')], ['r1']); // deletes r1
  check([edit(3, 0, 5, 0, '')], ['r3']); // deletes r2 and r3
});

test('editing inside a marked line removes that mark only', () => {
  check([edit(4, 3, 4, 4, 'a')], ['r3']); // relabels r3
  check([edit(4, 0, 4, 0, 'x')], ['r3']); // types at the start of r3
  check([edit(3, 3, 3, 4, 'b')], []); // relabels r2: nothing marked there
});

test('a line break typed inside a line above moves the marks below', () => {
  check([edit(1, 2, 1, 2, '\n')], []); // splits r0 (turns it into two lines)
  // Joining r2 with the line before (delete the line break at the end of r1) changes r1's line.
  check([edit(2, 4, 3, 0, '')], ['r1']);
});

test('several edits in one change event (multi-cursor), in any order', () => {
  const edits = [edit(6, 0, 6, 0, 'y'), edit(1, 0, 1, 0, 'top\n'), edit(4, 0, 5, 0, '')];
  check(edits, ['r5', 'r3']);
  check([...edits].reverse(), ['r5', 'r3']);
});

test('moveMark handles CRLF and lone CR in inserted text', () => {
  assert.equal(moveMark(5, edit(1, 0, 1, 0, 'a\r\nb\r\n')), 7);
  assert.equal(moveMark(5, edit(1, 0, 1, 0, 'a\rb\r')), 7);
  assert.equal(moveMark(5, edit(6, 0, 6, 0, 'after\n')), 5);
});
