/**
 * Tables over a column store (columns.ts): the Table a reader returns, a Table from in-memory rows,
 * and one row read back as a record. Kept apart from the store so that columns.ts depends on no other
 * data module (types.ts names the store's type).
 */
import { ColumnStore, type Cell } from './columns';
import type { DataFormat, DataRecord, Table } from './types';

/**
 * A Table around a store. `records` materialises per-row objects on first use (for small tables,
 * tests and error paths only: the engine reads cells through `store`).
 */
export function tableOf(file: string, format: DataFormat, columns: string[], store: ColumnStore, headerLine?: number): Table {
  let records: DataRecord[] | undefined;
  let version = store.version;
  const t: Table = {
    file,
    format,
    columns,
    store,
    headerLine,
    get records(): DataRecord[] {
      if (!records || version !== store.version) {
        version = store.version;
        records = new Array(store.rows);
        for (let i = 0; i < store.rows; i++) {
          const cells: Cell[] = new Array(columns.length);
          for (let j = 0; j < columns.length; j++) cells[j] = store.cell(i, j);
          records[i] = { row: i, line: store.line(i), cells };
        }
      }
      return records;
    },
  };
  if (headerLine === undefined) delete t.headerLine;
  return t;
}

/** A Table from in-memory rows (tests, and tables built by code rather than read from a file). */
export function tableFromRows(file: string, format: DataFormat, columns: string[], rows: readonly (readonly Cell[])[], lines?: readonly number[], headerLine?: number): Table {
  const store = new ColumnStore(columns.length, { reserveRows: rows.length });
  rows.forEach((cells, i) => store.addRow(cells, lines ? lines[i] : i + 2));
  return tableOf(file, format, columns, store, headerLine);
}

/** Row i of a table as a DataRecord (for error messages: cellError needs its line). */
export function recordAt(table: Table, i: number): DataRecord {
  const cells: Cell[] = new Array(table.columns.length);
  for (let j = 0; j < cells.length; j++) cells[j] = table.store.cell(i, j);
  return { row: i, line: table.store.line(i), cells };
}
