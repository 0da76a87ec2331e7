import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnType } from '../../../shared/api.js';
import { quoteIdent, quoteLiteral } from './sql.js';

export interface InferredColumn {
  name: string;
  type: ColumnType;
  /** Numbers written with thousands separators (`1,234,567`, `1 234`): parsed after removing them. */
  thousands: boolean;
  /** Values that are not missing (after trimming and the missing markers). */
  present: number;
  /** Present values that read as numbers: above zero in a text column, its values are mixed. */
  numbers: number;
  notes: string[];
}

/** Narrow tables are aggregated in batches of columns side by side. */
const batchColumns = 150;
/** Above this many columns, per-column aggregates are computed in long form (one query). */
const wideColumns = 150;
const thousandsPattern = '^[+-]?[0-9]{1,3}(,[0-9]{3})+([.][0-9]+)?$|^[+-]?[0-9]{1,3}([ \u00a0\u202f][0-9]{3})+([.][0-9]+)?$';
const thousandsSeparators = '[, \u00a0\u202f]';

/** The SQL that turns a trimmed text column into its inferred type. */
export function castExpression(column: { name: string; type: ColumnType; thousands: boolean }): string {
  const name = quoteIdent(column.name);
  if (column.type === 'VARCHAR') return name;
  const value = column.thousands ? `regexp_replace(${name}, ${quoteLiteral(thousandsSeparators)}, '', 'g')` : name;
  return `TRY_CAST(${value} AS ${column.type})`;
}

function batches<T>(items: T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += batchColumns) result.push(items.slice(start, start + batchColumns));
  return result;
}

async function aggregate(connection: DuckDBConnection, relation: string, expressions: string[]): Promise<Record<string, unknown>> {
  const reader = await connection.runAndReadAll(`SELECT ${expressions.join(', ')} FROM ${relation}`);
  return reader.getRowObjectsJson()[0] ?? {};
}

/**
 * Aggregates per column: `template(column)` gives named SQL expressions over one
 * column. Narrow tables get them side by side in batches; wide ones are unpivoted
 * and grouped by column name, because DuckDB plans thousands of expressions in
 * one SELECT very slowly (minutes for 5,000 columns). In the long form a column
 * with only NULLs has no group and gets an empty record.
 */
export async function perColumn(
  connection: DuckDBConnection,
  relation: string,
  names: string[],
  /** `index` is the column's position, or -1 in the long form, where one template serves every column. */
  template: (column: string, index: number) => Record<string, string>,
): Promise<Record<string, unknown>[]> {
  if (names.length <= wideColumns) {
    const result: Record<string, unknown>[] = [];
    for (const batch of batches(names.map((name, index) => ({ name, index })))) {
      const templates = batch.map(({ name, index }) => template(quoteIdent(name), index));
      const expressions = batch.flatMap(({ index }, offset) =>
        Object.entries(templates[offset] ?? {}).map(([key, sql]) => `${sql} AS ${quoteIdent(`${key}${index}`)}`),
      );
      const row = expressions.length > 0 ? await aggregate(connection, relation, expressions) : {};
      batch.forEach(({ index }, offset) => {
        result[index] = Object.fromEntries(Object.keys(templates[offset] ?? {}).map((key) => [key, row[`${key}${index}`]]));
      });
    }
    return result;
  }
  const expressions = Object.entries(template('"kiln_value"', -1)).map(([key, sql]) => `${sql} AS ${quoteIdent(key)}`);
  const reader = await connection.runAndReadAll(
    `SELECT "kiln_column", ${expressions.join(', ')}
     FROM (UNPIVOT (SELECT COLUMNS(*)::VARCHAR FROM ${relation}) ON COLUMNS(*) INTO NAME "kiln_column" VALUE "kiln_value")
     GROUP BY "kiln_column"`,
  );
  const byName = new Map(reader.getRowObjectsJson().map((row) => [String(row.kiln_column), row as Record<string, unknown>]));
  return names.map((name) => byName.get(name) ?? {});
}

/**
 * For each text column, the narrowest type that every present value converts to,
 * over all rows of `relation`. Columns with thousands separators become numbers;
 * columns that mix numbers and text stay text with a note.
 */
export async function inferColumnTypes(connection: DuckDBConnection, relation: string, names: string[]): Promise<InferredColumn[]> {
  // A failed cast to a date costs DuckDB about 1.5 µs, ten times a failed cast to a number, so cells
  // that cannot be dates are not cast: a date or timestamp starts with a digit, a sign, or is a
  // special value (epoch, infinity).
  const dateLike = (column: string) => `(ascii(${column}) BETWEEN 48 AND 57 OR ascii(${column}) IN (43, 45, 69, 73, 101, 105))`;
  const checks: Record<string, (column: string) => string> = {
    n: (column) => `count(${column})`,
    // DuckDB rounds '2.5' to a BIGINT, so a whole-number column has no decimal point.
    i: (column) => `count(CASE WHEN NOT contains(${column}, '.') THEN TRY_CAST(${column} AS BIGINT) END)`,
    d: (column) => `count(TRY_CAST(${column} AS DOUBLE))`,
    b: (column) => `count(TRY_CAST(${column} AS BOOLEAN))`,
    // A timestamp also casts to a date (its time dropped), so a date column has no time part.
    t: (column) => `count(CASE WHEN length(${column}) <= 10 AND ${dateLike(column)} THEN TRY_CAST(${column} AS DATE) END)`,
    s: (column) => `count(CASE WHEN ${dateLike(column)} THEN TRY_CAST(${column} AS TIMESTAMP) END)`,
    x: (column) => `any_value(${column}) FILTER (WHERE TRY_CAST(${column} AS DOUBLE) IS NULL)`,
  };
  const all = (column: string) => Object.fromEntries(Object.entries(checks).map(([key, check]) => [key, check(column)]));
  // Every cast over every row is slow on large files (16 s for 1.6 M rows × 15 columns), so a
  // sample first rules out the types that cannot fit; the full pass then checks only the rest.
  // A type the sample rules out is ruled out for the whole file, so the result is still exact.
  // The sample checks dates only where no number or boolean type already holds every value,
  // since the first type in BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP that fits is the one chosen.
  const sampleRelation = `(SELECT * FROM ${relation} LIMIT 20000)`;
  const cheap = (column: string) => Object.fromEntries(['n', 'i', 'd', 'b', 'x'].map((key) => [key, checks[key]?.(column) ?? 'NULL']));
  const sample = names.length <= wideColumns ? await perColumn(connection, sampleRelation, names, cheap) : [];
  const needDates = sample.map((seen) => {
    const present = Number(seen.n ?? 0);
    return present > 0 && !['i', 'd', 'b'].some((key) => Number(seen[key] ?? 0) === present);
  });
  if (needDates.some(Boolean)) {
    const dates = await perColumn(connection, sampleRelation, names, (column, index): Record<string, string> =>
      needDates[index] ? { t: checks.t?.(column) ?? 'NULL', s: checks.s?.(column) ?? 'NULL' } : {},
    );
    dates.forEach((found, index) => Object.assign(sample[index] ?? {}, found));
  }
  const rows = await perColumn(connection, relation, names, (column, index) => {
    const seen = sample[index];
    if (index < 0 || !seen) return all(column);
    const present = Number(seen.n ?? 0);
    const fits = (key: string) => present === 0 || Number(seen[key] ?? 0) === present;
    const keys = ['n', ...['i', 'd', 'b', 't', 's'].filter(fits)];
    if (Number(seen.d ?? 0) > 0 && !fits('d')) keys.push('d', 'x');
    return Object.fromEntries(keys.map((key) => [key, checks[key]?.(column) ?? 'NULL']));
  });
  const typed = names.map((name, index) => {
    const row = rows[index] ?? {};
    const present = Number(row.n ?? 0);
    const counts = {
      BIGINT: Number(row.i ?? 0),
      DOUBLE: Number(row.d ?? 0),
      BOOLEAN: Number(row.b ?? 0),
      DATE: Number(row.t ?? 0),
      TIMESTAMP: Number(row.s ?? 0),
    };
    const notes: string[] = [];
    let type: ColumnType = 'VARCHAR';
    if (present === 0) notes.push('Every value is missing; kept as text.');
    else type = (Object.keys(counts) as (keyof typeof counts)[]).find((candidate) => counts[candidate] === present) ?? 'VARCHAR';
    return {
      column: { name, type, thousands: false, present, numbers: counts.DOUBLE, notes } as InferredColumn,
      numbers: counts.DOUBLE,
      example: row.x === null || row.x === undefined ? '' : String(row.x),
    };
  });

  // Thousands separators: checked only for text columns, first on a sample, then over every row.
  const text = typed.filter((entry) => entry.column.type === 'VARCHAR' && entry.column.present > 0).map((entry) => entry.column.name);
  const grouped = new Map<string, { all: boolean; integers: boolean }>();
  if (text.length > 0) {
    const projection = (columns: string[]) => columns.map(quoteIdent).join(', ');
    const thousandsSample = await perColumn(connection, `(SELECT ${projection(text)} FROM ${relation} LIMIT 10000)`, text, (column) => ({
      g: `count(CASE WHEN regexp_full_match(${column}, ${quoteLiteral(thousandsPattern)}) THEN 1 END)`,
    }));
    const candidates = text.filter((_, index) => Number(thousandsSample[index]?.g ?? 0) > 0);
    if (candidates.length > 0) {
      const full = await perColumn(connection, `(SELECT ${projection(candidates)} FROM ${relation})`, candidates, (column) => {
        const stripped = `regexp_replace(${column}, ${quoteLiteral(thousandsSeparators)}, '', 'g')`;
        return {
          p: `count(CASE WHEN regexp_full_match(${column}, ${quoteLiteral(thousandsPattern)}) OR TRY_CAST(${column} AS DOUBLE) IS NOT NULL THEN 1 END)`,
          q: `count(CASE WHEN NOT contains(${column}, '.') THEN TRY_CAST(${stripped} AS BIGINT) END)`,
        };
      });
      candidates.forEach((name, index) => {
        const present = typed.find((entry) => entry.column.name === name)?.column.present ?? -1;
        grouped.set(name, { all: Number(full[index]?.p ?? 0) === present, integers: Number(full[index]?.q ?? 0) === present });
      });
    }
  }

  return typed.map((entry) => {
    const thousands = grouped.get(entry.column.name);
    if (thousands?.all) {
      entry.column.type = thousands.integers ? 'BIGINT' : 'DOUBLE';
      entry.column.thousands = true;
      entry.column.notes.push('Numbers with thousands separators: read as numbers.');
    } else if (entry.column.type === 'VARCHAR' && entry.numbers > 0 && entry.numbers < entry.column.present) {
      entry.column.notes.push(
        `Mixed values: ${entry.numbers.toLocaleString('en-US')} of ${entry.column.present.toLocaleString('en-US')} are numbers and the rest text${entry.example ? ` (such as "${entry.example.slice(0, 40)}")` : ''}; kept as text.`,
      );
    }
    return entry.column;
  });
}
