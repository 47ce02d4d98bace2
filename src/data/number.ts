/** Parsing one cell as a number: a leaf module (no imports), shared by the schema, the features and the embedding columns. */

/**
 * A cell as a number: surrounding whitespace trimmed, then a decimal number in the syntax of JS
 * `Number()` (`12`, `-3.5`, `.5`, `5.`, `1e-3`, `+2`), which is also what Python's float() reads.
 * Empty text, hex/octal/binary literals, Infinity and values that overflow to Infinity give NaN.
 * (A hand-written check of /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, then Number().)
 */
export function parseNumber(cell: string): number {
  let s = cell;
  let n = s.length;
  if (n === 0) return NaN;
  if (s.charCodeAt(0) <= 32 || s.charCodeAt(n - 1) <= 32) {
    s = s.trim();
    n = s.length;
    if (n === 0) return NaN;
  }
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) i++; // + -
  let digits = 0;
  while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
    i++;
    digits++;
  }
  if (i < n && c === 46) {
    // .
    i++;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return NaN;
  if (i < n && (c === 101 || c === 69)) {
    // e E
    i++;
    if (i < n && ((c = s.charCodeAt(i)) === 43 || c === 45)) i++;
    const e0 = i;
    while (i < n && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
    if (i === e0) return NaN;
  }
  if (i !== n) return NaN;
  const x = +s;
  return x - x === 0 ? x : NaN; // finite
}
