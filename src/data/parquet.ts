/**
 * Parquet reader on hyparquet (pure JavaScript, no native build): row group by row group into the
 * ColumnStore, so a large file is never held as row objects.
 *
 * Columns are the schema's top-level fields. Cells: strings as they are; numbers, bigints and
 * booleans as their JS text; NaN and null are missing; dates as ISO 8601 text; byte arrays without a
 * string annotation decoded as UTF-8; lists and structs as JSON text (a list of numbers is then an
 * embedding column). A Parquet file has no lines: a record's `line` is its 1-based row number, and
 * messages about a cell name the row (and the column's 1-based position as the column).
 */
import type { Checkpoint } from '../util/cancel';
import { DataFileError, UserError } from '../util/errors';
import { ColumnStore } from './columns';
import { tableOf } from './tableStore';
import { regularFileSize } from './textStream';
import type { Cell, Table } from './types';

export interface ParquetReadOptions {
  checkpoint?: Checkpoint;
}

const utf8 = new TextDecoder('utf-8');

/** A Parquet value as a cell (see the module comment). */
export function cellFromParquet(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return v !== v ? null : String(v);
    case 'bigint':
    case 'boolean':
      return String(v);
    default:
      break;
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return utf8.decode(v);
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
}

export async function readParquet(file: string, opts: ParquetReadOptions = {}): Promise<Table> {
  regularFileSize(file); // a directory, device or FIFO is refused with a message naming the file
  const hp = await import('hyparquet');
  let buffer: Awaited<ReturnType<typeof hp.asyncBufferFromFile>>;
  try {
    buffer = await hp.asyncBufferFromFile(file);
  } catch (e) {
    throw new UserError(`Cannot read ${file}: ${(e as Error).message}`);
  }
  let metadata: Awaited<ReturnType<typeof hp.parquetMetadataAsync>>;
  try {
    metadata = await hp.parquetMetadataAsync(buffer);
  } catch (e) {
    throw new DataFileError(file, 1, 1, `not a readable Parquet file: ${(e as Error).message}`);
  }
  const columns = hp.parquetSchema(metadata).children.map((c) => c.element.name);
  const total = Number(metadata.num_rows);
  if (columns.length === 0 || total === 0) throw new DataFileError(file, 1, 1, 'no data rows: the Parquet file has no rows');
  const store = new ColumnStore(columns.length, { reserveRows: total + 1 });
  const cells: Cell[] = new Array(columns.length);
  let rowStart = 0;
  // One row group at a time: only that group's decoded values are in memory at once.
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    try {
      await hp.parquetRead({
        file: buffer,
        metadata,
        rowStart,
        rowEnd,
        onComplete: (rows: unknown[][]) => {
          for (const row of rows) {
            for (let j = 0; j < cells.length; j++) cells[j] = cellFromParquet(row[j]);
            store.addRow(cells, store.rows + 1);
          }
        },
      });
    } catch (e) {
      if ((e as Error).name === 'CancelledError' || e instanceof UserError) throw e;
      throw new DataFileError(file, rowStart + 1, 1, `cannot decode row group of rows ${rowStart + 1}..${rowEnd}: ${(e as Error).message}`);
    }
    rowStart = rowEnd;
    if (opts.checkpoint) await opts.checkpoint.tick(total > 0 ? rowStart / total : undefined);
  }
  const table = tableOf(file, 'parquet', columns, store);
  table.read = { encoding: 'utf-8', rowGroups: metadata.row_groups.length };
  return table;
}
