/** How a CSV is read: sniffed settings, the user's overrides, the preview before import and the report after it. */
import { z } from 'zod';
import { DEFAULT_MISSING_MARKERS } from '../serving/markers.js';
import { Id, method } from './method.js';

/** A table cell as JSON (the same shape as core's JsonCell, kept here so core can import this file). */
const PreviewCell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const Delimiter = z.enum([',', ';', '\t', '|']);
export type Delimiter = z.infer<typeof Delimiter>;

/** UTF-16 is recognised by its byte order mark and read through a UTF-8 copy; it cannot be chosen for a file without one. */
export const Encoding = z.enum(['utf-8', 'latin-1', 'utf-16le', 'utf-16be']);
export type Encoding = z.infer<typeof Encoding>;

export const ColumnRole = z.enum(['feature', 'target', 'ignore', 'id']);
export type ColumnRole = z.infer<typeof ColumnRole>;

/** The types an imported column can have. */
export const ColumnType = z.enum(['VARCHAR', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP']);
export type ColumnType = z.infer<typeof ColumnType>;

export const BadRowsMode = z.enum(['skip', 'stop']);
export type BadRowsMode = z.infer<typeof BadRowsMode>;

/** Cells that mean "missing" unless the user edits the list: the serving rules' list (shared/serving/markers.ts), which bundles carry. */
export const defaultMissingMarkers: readonly string[] = DEFAULT_MISSING_MARKERS;

export const ImportOptions = z.object({
  delimiter: Delimiter.optional(),
  header: z.boolean().optional(),
  encoding: Encoding.optional(),
  missing: z.array(z.string().max(64, 'Keep missing markers under 64 characters.')).max(100).optional(),
  /** Per column, by its name after renaming: a type override and the column's role. */
  columns: z.record(z.string(), z.object({ type: ColumnType.optional(), role: ColumnRole.optional() })).optional(),
  /** Rows with the wrong number of fields: leave them out and report them, or fail. */
  badRows: BadRowsMode.optional(),
  /** The longest line the reader accepts, in bytes (DuckDB's default is 2 MB). */
  maxLineBytes: z
    .number()
    .int()
    .min(1024, 'Set the maximum line size to at least 1 KB.')
    .max(1024 * 1024 * 1024, 'Keep the maximum line size under 1 GB.')
    .optional(),
});
export type ImportOptions = z.infer<typeof ImportOptions>;

export const Dialect = z.object({
  delimiter: z.string(),
  quote: z.string(),
  header: z.boolean(),
  encoding: Encoding,
  skip: z.number().int(),
});
export type Dialect = z.infer<typeof Dialect>;

export const Rename = z.object({ position: z.number().int(), from: z.string(), to: z.string() });
export type Rename = z.infer<typeof Rename>;

export const ColumnNote = z.object({ column: z.string(), message: z.string() });
export type ColumnNote = z.infer<typeof ColumnNote>;

export const SniffedColumn = z.object({ name: z.string(), type: ColumnType, role: ColumnRole });
export type SniffedColumn = z.infer<typeof SniffedColumn>;

export const SniffResult = z.object({
  path: z.string(),
  bytes: z.number().int(),
  dialect: Dialect,
  missing: z.array(z.string()),
  columns: z.array(SniffedColumn),
  renamed: z.array(Rename),
  notes: z.array(ColumnNote),
  /** The first rows, trimmed, with missing markers as null; types are inferred from these rows only. */
  rows: z.array(z.array(PreviewCell)),
});
export type SniffResult = z.infer<typeof SniffResult>;

export const BadRow = z.object({ line: z.number().int(), error: z.string(), text: z.string() });
export type BadRow = z.infer<typeof BadRow>;

export const ImportedColumn = z.object({
  name: z.string(),
  type: z.string(),
  role: ColumnRole,
  missing: z.number().int(),
  distinct: z.number().int(),
});
export type ImportedColumn = z.infer<typeof ImportedColumn>;

/** What an import read and decided; stored in `datasets.import_json`. */
export const ImportReport = z.object({
  dialect: Dialect,
  missing: z.array(z.string()),
  badRows: z.object({ mode: BadRowsMode, count: z.number().int(), lines: z.array(BadRow) }),
  renamed: z.array(Rename),
  notes: z.array(ColumnNote),
  columns: z.array(ImportedColumn),
  /** True when an identical file with identical settings was imported before and its table was reused. */
  reused: z.boolean(),
  seconds: z.number(),
});
export type ImportReport = z.infer<typeof ImportReport>;

export const importingMethods = {
  'datasets.sniff': method(
    z.object({ path: z.string().min(1, 'Give the path of a CSV file.'), options: ImportOptions.optional() }),
    SniffResult,
    'Detect the separator, header, encoding and column types of a CSV and return its first rows, before importing it.',
  ),
  'datasets.sniffSample': method(
    z.object({ sampleId: z.string().min(1), options: ImportOptions.optional() }),
    SniffResult,
    'The same as datasets.sniff, for a bundled sample.',
  ),
  'datasets.importReport': method(
    z.object({ datasetId: Id }),
    ImportReport.nullable(),
    'How a dataset was imported: settings, bad rows, renamed columns and notes (null for tables not imported from a file).',
  ),
} as const;
