/**
 * readTable: reads a CSV, TSV or JSON Lines file into a Table (see README.md for the accepted formats).
 * locateCell / cellError: point a message at one cell of a table's file.
 */
import { extname } from 'node:path';
import type { Checkpoint } from '../util/cancel';
import { DataFileError, UserError } from '../util/errors';
import { locateDelimitedCell, readDelimited, type QuotingOption } from './csv';
import { locateJsonlCell, readJsonl } from './jsonl';
import { readParquet } from './parquet';
import type { DataFormat, DataRecord, Table } from './types';

export interface ReadOptions {
  /** Default: from the extension (.csv, .tsv/.tab, .jsonl/.ndjson, .parquet). */
  format?: DataFormat;
  checkpoint?: Checkpoint;
  /** Bytes per read from the file (default 64 KiB; tests use tiny values to exercise chunk boundaries). */
  highWaterMark?: number;
  /** CSV/TSV quoting dialect (default 'auto': RFC 4180; a TSV whose quotes do not follow it is read without quoting). */
  quoting?: QuotingOption;
  /** Longest record (CSV/TSV) or line (JSONL) in characters. */
  maxRecordChars?: number;
}

const EXTENSIONS: Record<string, DataFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
};

/** The format implied by a file name, or undefined. */
export function formatOf(file: string): DataFormat | undefined {
  return EXTENSIONS[extname(file).toLowerCase()];
}

export async function readTable(file: string, opts: ReadOptions = {}): Promise<Table> {
  const format = opts.format ?? formatOf(file);
  if (format === undefined) {
    throw new DataFileError(
      file,
      1,
      1,
      `unknown data format "${extname(file)}": name the file .csv, .tsv/.tab, .jsonl/.ndjson or .parquet, or give the format (--format csv|tsv|jsonl|parquet)`,
    );
  }
  if (!['csv', 'tsv', 'jsonl', 'parquet'].includes(format)) throw new UserError(`unknown data format '${format}' (csv, tsv, jsonl or parquet)`);
  const quoting = opts.quoting ?? 'auto';
  if (!['auto', 'rfc4180', 'none'].includes(quoting)) throw new UserError(`unknown quoting '${quoting}' (auto, rfc4180 or none)`);
  const o = { checkpoint: opts.checkpoint, highWaterMark: opts.highWaterMark, maxRecordChars: opts.maxRecordChars };
  if (format === 'jsonl') return readJsonl(file, o);
  if (format === 'parquet') return readParquet(file, { checkpoint: opts.checkpoint });
  return readDelimited(file, format === 'tsv' ? '\t' : ',', { ...o, format, quoting });
}

/**
 * The 1-based line and column where a cell of `record` starts in the table's file (a quoted CSV field
 * at its opening quote; a JSONL value at its first character). Re-reads the file, so use it for error
 * messages only. Falls back to the record's line, column 1, when the file does not hold the record
 * (changed since, or a table built in memory).
 */
export function locateCell(table: Table, record: DataRecord, column: number): { line: number; column: number } {
  // Parquet has no lines: the record's 1-based row number and the column's 1-based position.
  if (table.format === 'parquet') return { line: record.line, column: column + 1 };
  const at =
    table.format === 'jsonl'
      ? locateJsonlCell(table.file, record.line, table.columns[column], table.read)
      : locateDelimitedCell(table.file, table.format === 'tsv' ? '\t' : ',', record.line, column, table.read);
  return at ?? { line: record.line, column: 1 };
}

/** A DataFileError pointing at one cell. */
export function cellError(table: Table, record: DataRecord, column: number, detail: string): DataFileError {
  const at = locateCell(table, record, column);
  const where = table.format === 'parquet' ? `row ${record.line} (1-based), column "${table.columns[column]}": ` : '';
  return new DataFileError(table.file, at.line, at.column, where + detail);
}

/** A DataFileError about the header (or, for JSONL, the file as a whole): line of the header, column 1. */
export function headerError(table: Table, detail: string): DataFileError {
  return new DataFileError(table.file, table.headerLine ?? 1, 1, detail);
}

/** Column names for messages: "a", "b", "c" (at most 30, then a count). */
export function listColumns(columns: readonly string[]): string {
  const shown = columns.slice(0, 30).map((c) => JSON.stringify(c));
  if (columns.length > 30) shown.push(`... (${columns.length} columns)`);
  return shown.join(', ');
}
