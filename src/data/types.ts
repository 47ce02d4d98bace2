/**
 * What a data file becomes after parsing: records of raw cells, each with its data row index and
 * the exact line of the file where the record starts (quoted newlines included), because the
 * extension jumps there.
 */
import type { Cell, ColumnStore } from './columns';

export type DataFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

/** How quotes in CSV/TSV are read: RFC 4180 quoted fields, or `"` as an ordinary character. */
export type Quoting = 'rfc4180' | 'none';

/** How a file was read (the summary states it). */
export interface ReadInfo {
  /** UTF-8 (with or without BOM), or UTF-16 told by its BOM. */
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be';
  /** CSV/TSV: the quoting dialect used. */
  quoting?: Quoting;
  /** Why the dialect differs from the default (a TSV read without quoting). */
  note?: string;
  /** Parquet: the file's row groups (its strings are UTF-8 by the format's definition). */
  rowGroups?: number;
}

/** A raw cell: the field's text, or null when the field is missing (defined beside the column store). */
export type { Cell } from './columns';

export interface DataRecord {
  /** 0-based data row index (the header is not a row; blank lines are not rows). */
  row: number;
  /** 1-based line of the file where this record starts. */
  line: number;
  /** One cell per column of `Table.columns`. */
  cells: Cell[];
}

export interface Table {
  /** Path as given by the caller (used in messages). */
  file: string;
  format: DataFormat;
  columns: string[];
  /** The cells, column by column, and each record's start line (src/data/columns.ts); row i is data row i. */
  store: ColumnStore;
  /**
   * The same cells as one object per record, made on first use: for small tables, tests and error
   * paths; the engine reads `store`.
   */
  readonly records: DataRecord[];
  /** 1-based line of the header (CSV/TSV; 1 unless blank lines precede it). Absent for JSONL. */
  headerLine?: number;
  /** Encoding and dialect the file was read with (absent for tables built in memory). */
  read?: ReadInfo;
}

/**
 * How a column is turned into features: numeric (z-scored), categorical (one-hot), text (hashed TF-IDF
 * of word unigrams and bigrams), embedding (a JSON array of numbers in one cell, used as a dense block).
 */
export type ColumnKind = 'numeric' | 'categorical' | 'text' | 'embedding';
