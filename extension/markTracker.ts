/**
 * Keeps the lines of marked rows in step with edits of the data file, without `vscode` (unit-tested).
 *
 * A mark sits at the 1-based line where its record starts. An edit before it moves it by the number of
 * lines the edit adds or removes; an edit that changes the mark's own line removes the mark (the
 * scores no longer describe that row); edits after it leave it alone. Inserting or deleting whole lines
 * right before a mark moves it without removing it.
 */

/** A 0-based position, as in a VS Code content change. */
export interface Pos {
  line: number;
  character: number;
}

/** One content change: `range` of the document before the change is replaced by `text`. */
export interface TextEdit {
  range: { start: Pos; end: Pos };
  text: string;
}

function countLineBreaks(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13) {
      n++;
      if (text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return n;
}

const endsWithLineBreak = (text: string) => text.endsWith('\n') || text.endsWith('\r');

/**
 * Where the mark at 1-based `line` is after `edit`, or undefined when the edit changed that line.
 */
export function moveMark(line: number, edit: TextEdit): number | undefined {
  const m = line - 1; // 0-based line of the record's start
  const { start: s, end: e } = edit.range;
  const delta = countLineBreaks(edit.text) - (e.line - s.line);
  if (e.line < m) return line + delta;
  if (s.line > m) return line;
  if (e.line === m && e.character === 0) {
    // The edit ends exactly where the record starts: the line survives when whole lines were
    // inserted or removed in front of it.
    const wholeLines = s.character === 0 && (edit.text === '' || endsWithLineBreak(edit.text));
    return wholeLines ? line + delta : undefined;
  }
  return undefined;
}

/**
 * Applies one change event (several non-overlapping edits, all in the coordinates of the document
 * before the event) to every mark. Returns the new line per key; removed marks are absent.
 */
export function applyEdits<K>(marks: ReadonlyMap<K, number>, edits: readonly TextEdit[]): Map<K, number> {
  // Last edit first: an edit never moves text before it, so earlier edits' coordinates stay valid.
  const ordered = [...edits].sort(
    (a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character,
  );
  const out = new Map<K, number>();
  for (const [key, line] of marks) {
    let at: number | undefined = line;
    for (const edit of ordered) {
      at = moveMark(at, edit);
      if (at === undefined) break;
    }
    if (at !== undefined) out.set(key, at);
  }
  return out;
}
