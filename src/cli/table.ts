/**
 * Terminal-safe text: C0 and C1 control characters (ESC, CR, BEL, tab, ...) and DEL become visible
 * escapes (`\x1b`), so that data cannot move the cursor, recolour or retitle the terminal. Line
 * breaks are kept when `keepNewlines` (whole messages); a cell never keeps them.
 */
export function escapeControl(s: string, keepNewlines = false): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(keepNewlines ? /[\x00-\x09\x0b-\x1f\x7f-\x9f]/g : /[\x00-\x1f\x7f-\x9f]/g, (c) => {
    const code = c.charCodeAt(0);
    return code === 10 ? '\\n' : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** Plain-text table for terminal output (cells escaped by escapeControl). */
export function formatTable(header: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const safe = rows.map((r) => r.map((c) => escapeControl(c)));
  const widths = header.map((h, j) => Math.max(h.length, ...safe.map((r) => r[j].length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (rightAlign[j] ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...safe.map(line)].join('\n');
}
