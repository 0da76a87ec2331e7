/**
 * How one raw cell (a JSON value, or the text of a CSV cell) is read for an
 * input column, by the column's type. The model server and `kiln predict`
 * read every cell through these, and the exporter's parity check reads its
 * rows through them too, so the three cannot disagree on what a cell means.
 *
 * Text is trimmed and a missing marker is missing, as the import did to the
 * training data. A number column takes numbers and numeric text; a missing
 * number is NaN (what the graph's Imputer replaces). A text column takes text,
 * numbers and booleans (as DuckDB casts them to VARCHAR: 13 → "13"); a missing
 * category is the empty string, since string tensors have no null.
 */

export type InputType = 'number' | 'string';

/** The graph's value for a missing category. */
export const MISSING_TEXT = '';

/** A cell of a number column: the number, NaN when missing, or undefined when it does not read as a finite number. */
export function readNumberCell(value: unknown, markers: ReadonlySet<string>): number | undefined {
  // JSON has no infinity, but `1e999` parses to one: refused like the text "Infinity", since no model was fitted on it.
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || markers.has(trimmed)) return Number.NaN;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A cell of a text column: the trimmed text, MISSING_TEXT when missing, or undefined for a value that is not text (an object, an array). */
export function readTextCell(value: unknown, markers: ReadonlySet<string>): string | undefined {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return markers.has(trimmed) ? MISSING_TEXT : trimmed;
  }
  if (value === null || value === undefined) return MISSING_TEXT;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A cell as a message shows it: short, and quoted when it is text. */
export function describeCell(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

/** What a column expects, for the message that refuses a cell. */
export function expectedCell(type: InputType): string {
  return type === 'number' ? 'a number' : 'text';
}

/** A column of one input being filled cell by cell; `read` stores a cell and returns false when it cannot be read for the column's type. */
export type CellColumn =
  | { type: 'number'; values: Float64Array; read: (row: number, value: unknown) => boolean }
  | { type: 'string'; values: string[]; read: (row: number, value: unknown) => boolean };

export function cellColumn(type: InputType, rowCount: number, markers: ReadonlySet<string>): CellColumn {
  if (type === 'number') {
    const values = new Float64Array(rowCount);
    return {
      type,
      values,
      read: (row, value) => {
        const number = readNumberCell(value, markers);
        if (number === undefined) return false;
        values[row] = number;
        return true;
      },
    };
  }
  const values = new Array<string>(rowCount).fill(MISSING_TEXT);
  return {
    type,
    values,
    read: (row, value) => {
      const text = readTextCell(value, markers);
      if (text === undefined) return false;
      values[row] = text;
      return true;
    },
  };
}
