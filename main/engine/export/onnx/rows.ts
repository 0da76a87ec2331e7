/**
 * Raw rows (objects keyed by column name, values as a CSV or JSON gives them)
 * turned into what the ONNX graph takes and what the app's encoders take.
 * Cells are read by the serving rules (shared/serving/cells.ts), the rules the
 * model server reads requests by, so parity checks the reading the server does.
 * The rows come from DuckDB with the import's missing markers already applied,
 * so no marker list is needed here. A missing number is NaN; a missing
 * category is the empty string for the graph and null for the app.
 */
import { describeCell, MISSING_TEXT, readNumberCell, readTextCell } from '../../../../shared/serving/cells.js';
import { KilnError } from '../../../../shared/errors.js';
import type { PreprocessingSpec, RawColumns } from '../../train/types.js';

export type RawCell = string | number | boolean | null | undefined;
export type RawRow = Readonly<Record<string, RawCell>>;

/** The graph's marker for a missing category: string tensors have no null. */
export const MISSING_CATEGORY = MISSING_TEXT;

const NO_MARKERS: ReadonlySet<string> = new Set();

export function numericCell(value: RawCell, column: string, row: number): number {
  const number = readNumberCell(value, NO_MARKERS);
  if (number === undefined) {
    throw new KilnError('bad_input', `Row ${row + 1}: ${column} should be a number but holds ${describeCell(value)}.`, column);
  }
  return number;
}

export function categoricalCell(value: RawCell): string | null {
  const text = readTextCell(value, NO_MARKERS);
  return text === undefined || text === MISSING_TEXT ? null : text;
}

function requireColumn(rows: readonly RawRow[], name: string): void {
  // One row without the column is enough to say which column is absent; later rows may leave a cell out as missing.
  if (rows.length > 0 && !rows.some((row) => Object.prototype.hasOwnProperty.call(row, name))) {
    throw new KilnError('bad_input', `The rows have no column ${JSON.stringify(name)}, which the model takes.`, name);
  }
}

/** The spec's features as the app's RawColumns (no target: `y` is empty). */
export function rowsToRawColumns(spec: PreprocessingSpec, rows: readonly RawRow[]): RawColumns {
  const numeric = new Map<string, Float64Array>();
  const categorical = new Map<string, (string | null)[]>();
  for (const { name } of spec.numeric) {
    requireColumn(rows, name);
    numeric.set(
      name,
      Float64Array.from(rows, (row, index) => numericCell(row[name], name, index)),
    );
  }
  for (const { name } of spec.categorical) {
    requireColumn(rows, name);
    categorical.set(
      name,
      rows.map((row) => categoricalCell(row[name])),
    );
  }
  return { rows: rows.length, numeric, categorical, y: new Float64Array(0) };
}

export type FeedColumn = { type: 'float64'; data: Float64Array } | { type: 'string'; data: string[] };

/** One [N, 1] column per graph input, keyed by the column's name. */
export function rowsToFeedColumns(spec: PreprocessingSpec, rows: readonly RawRow[]): Map<string, FeedColumn> {
  const raw = rowsToRawColumns(spec, rows);
  const feeds = new Map<string, FeedColumn>();
  for (const [name, values] of raw.numeric) feeds.set(name, { type: 'float64', data: values });
  for (const [name, values] of raw.categorical) feeds.set(name, { type: 'string', data: values.map((value) => value ?? MISSING_CATEGORY) });
  return feeds;
}
