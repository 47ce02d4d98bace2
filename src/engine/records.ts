/**
 * The view of a table's records the queries return: a record's data row and start line, its cells,
 * and the text filter's match. (A record index is the 0-based data row.)
 */
import type { Table } from '../data/types';
import type { RowCells } from '../protocol/types';

export function cellsOf(table: Table, recIdx: number): RowCells {
  const out: RowCells = {};
  table.columns.forEach((c, j) => (out[c] = table.store.cell(recIdx, j)));
  return out;
}

/** Data row and start line of a table's record (the data row is the record index). */
export function recordRef(table: Table, recIdx: number): { row: number; line: number } {
  return { row: recIdx, line: table.store.line(recIdx) };
}

export function recordMatches(table: Table, recIdx: number, needle: string): boolean {
  for (let j = 0; j < table.columns.length; j++) {
    const c = table.store.cell(recIdx, j);
    if (c !== null && c.toLowerCase().includes(needle)) return true;
  }
  return false;
}
