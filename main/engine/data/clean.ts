/**
 * Cleaning steps compiled to DuckDB SQL: a chain of CTEs over the stored
 * Parquet file, one per enabled step. Steps that learn from the data (means,
 * medians, percentiles) are fitted by querying the chain as that step sees it,
 * and the fitted values go into the SQL as literals, so the compiled query is
 * plain, repeatable and can be recorded with the derived table.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { StepFitted, type ColumnInfo, type FittedBounds, type JsonCell } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import { cleanStepTitles, type CleanStep, type CleanStepOf, type FilterCondition } from '../../../shared/recipe.js';
import { quoteIdent, quoteLiteral } from './sql.js';
import { toJsonCell } from './values.js';

/** The original row number rides along every step, so row order and "first of duplicates" are stable. */
export const rowColumn = '__kiln_row';

/** What a step learnt, by column, in the contract's form: the preview shows it and the derived table records it. */
export type Fitted = StepFitted;

const numericType =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|REAL|DOUBLE|DECIMAL(\(\d+,\s*\d+\))?)$/;
const integerType = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const temporalType = /^(DATE|TIMESTAMP.*)$/;
const safeTypeName = /^[A-Z][A-Z0-9_]*(\(\d+(,\s*\d+)?\))?( WITH TIME ZONE)?$/;

export function isNumericType(type: string): boolean {
  return numericType.test(type);
}

/** Type names come from DuckDB's own DESCRIBE; this guard keeps anything odd out of the SQL text all the same. */
function typeSql(type: string): string {
  if (!safeTypeName.test(type)) throw new KilnError('internal', `Unexpected column type ${JSON.stringify(type)}.`);
  return type;
}

/** A fitted or user value as SQL of the column's type. */
export function typedLiteral(value: JsonCell, type: string): string {
  if (value === null) return `CAST(NULL AS ${typeSql(type)})`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `CAST(NULL AS ${typeSql(type)})`;
    return `CAST(${integerType.test(type) ? Math.round(value) : value} AS ${typeSql(type)})`;
  }
  if (typeof value === 'boolean') return `CAST(${value ? 'true' : 'false'} AS ${typeSql(type)})`;
  return `CAST(${quoteLiteral(value)} AS ${typeSql(type)})`;
}

/** Where a problem with a step lies, for messages and the `field` of errors. */
export interface StepLocation {
  index: number;
  field: string;
}

function stepError(step: CleanStep, location: StepLocation, problem: string, field?: string): KilnError {
  return new KilnError(
    'bad_input',
    `Step ${location.index + 1} (${cleanStepTitles[step.type]}): ${problem}`,
    field ? `${location.field}.${field}` : location.field,
  );
}

function columnOf(step: CleanStep, location: StepLocation, columns: ColumnInfo[], name: string, field: string): ColumnInfo {
  const found = columns.find((column) => column.name === name);
  if (!found) throw stepError(step, location, `there is no column ${JSON.stringify(name)} at this point.`, field);
  return found;
}

function columnsOf(step: CleanStep, location: StepLocation, columns: ColumnInfo[], names: string[], field = 'columns'): ColumnInfo[] {
  return names.map((name, index) => columnOf(step, location, columns, name, `${field}.${index}`));
}

function requireNumeric(step: CleanStep, location: StepLocation, column: ColumnInfo): void {
  if (!isNumericType(column.type)) {
    throw stepError(step, location, `${JSON.stringify(column.name)} is ${column.type.toLowerCase()}, not a number.`, 'columns');
  }
}

/**
 * A SELECT whose single row holds the values the step must learn from `from`,
 * one column per value (`f0`, `f1`, …), or null when the step learns nothing.
 */
export function fitQuery(step: CleanStep, from: string, columns: ColumnInfo[], location: StepLocation): string | null {
  if (step.type === 'impute') {
    const targets = columnsOf(step, location, columns, step.columns);
    const parts = targets.map((column, index) => {
      const id = quoteIdent(column.name);
      switch (step.method) {
        case 'mean':
          requireNumeric(step, location, column);
          return `(SELECT avg(${id}) FROM ${from}) AS "f${index}"`;
        case 'median':
          requireNumeric(step, location, column);
          return `(SELECT quantile_cont(${id}, 0.5) FROM ${from}) AS "f${index}"`;
        case 'mostFrequent':
          // Ties go to the smallest value, so the choice does not depend on scan order.
          return `(SELECT value FROM (SELECT ${id} AS value, count(*) AS n FROM ${from} WHERE ${id} IS NOT NULL GROUP BY 1) ORDER BY n DESC, value LIMIT 1) AS "f${index}"`;
        case 'constant':
          return `TRY_CAST(${quoteLiteral(step.value ?? '')} AS ${typeSql(column.type)}) AS "f${index}"`;
      }
    });
    return `SELECT ${parts.join(', ')}`;
  }
  if (step.type === 'clipOutliers') {
    const targets = columnsOf(step, location, columns, step.columns);
    const parts = targets.flatMap((column, index) => {
      requireNumeric(step, location, column);
      const id = quoteIdent(column.name);
      const [low, high] = step.method === 'percentile' ? [step.low, step.high] : [0.25, 0.75];
      return [
        `(SELECT quantile_cont(${id}, ${low}) FROM ${from}) AS "f${index}_low"`,
        `(SELECT quantile_cont(${id}, ${high}) FROM ${from}) AS "f${index}_high"`,
      ];
    });
    return `SELECT ${parts.join(', ')}`;
  }
  return null;
}

/** A bound that is not a finite number (a column holding infinities) clips nothing on its side. */
function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** Turns the row of `fitQuery` into named fitted values (per column). */
export function readFitted(step: CleanStep, row: Record<string, JsonCell>, location: StepLocation): Fitted | null {
  if (step.type === 'impute') {
    const fitted: Fitted = {};
    step.columns.forEach((name, index) => {
      const value = row[`f${index}`] ?? null;
      if (value === null) {
        const why =
          step.method === 'constant'
            ? `${JSON.stringify(step.value)} cannot be stored in column ${JSON.stringify(name)}.`
            : `column ${JSON.stringify(name)} has no values to learn a fill value from.`;
        throw stepError(step, location, why, step.method === 'constant' ? 'value' : `columns.${index}`);
      }
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw stepError(
          step,
          location,
          `column ${JSON.stringify(name)} holds infinite values, so its fill value is not a number.`,
          `columns.${index}`,
        );
      }
      fitted[name] = value;
    });
    return checkFitted(step, location, fitted);
  }
  if (step.type === 'clipOutliers') {
    const fitted: Fitted = {};
    step.columns.forEach((name, index) => {
      const q1 = row[`f${index}_low`] ?? null;
      const q3 = row[`f${index}_high`] ?? null;
      if (typeof q1 !== 'number' || typeof q3 !== 'number') {
        fitted[name] = [null, null];
        return;
      }
      let bounds: FittedBounds;
      if (step.method === 'percentile') {
        bounds = [finiteOrNull(q1), finiteOrNull(q3)];
      } else {
        const spread = q3 - q1;
        bounds = [finiteOrNull(q1 - step.k * spread), finiteOrNull(q3 + step.k * spread)];
      }
      fitted[name] = bounds;
    });
    return checkFitted(step, location, fitted);
  }
  return null;
}

/**
 * Checked against the contract where it is made: the preview sends it and the
 * derived table records it, so a value outside the schema is a bug to stop here.
 */
function checkFitted(step: CleanStep, location: StepLocation, fitted: Fitted): Fitted {
  const checked = StepFitted.safeParse(fitted);
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0];
  throw new KilnError(
    'internal',
    `Step ${location.index + 1} (${cleanStepTitles[step.type]}) learnt a value Kiln cannot record${issue ? ` (${issue.path.join('.')}: ${issue.message})` : ''}.`,
    location.field,
  );
}

function userColumns(columns: ColumnInfo[]): ColumnInfo[] {
  return columns.filter((column) => column.name !== rowColumn);
}

function replaceSelect(from: string, replacements: string[]): string {
  return replacements.length === 0 ? `SELECT * FROM ${from}` : `SELECT * REPLACE (${replacements.join(', ')}) FROM ${from}`;
}

function conditionSql(step: CleanStepOf<'filterRows'>, condition: FilterCondition, column: ColumnInfo, location: StepLocation): string {
  const id = quoteIdent(column.name);
  const typed = (value: string, field: string): string => {
    if (isNumericType(column.type) && (value.trim() === '' || !Number.isFinite(Number(value)))) {
      throw stepError(step, location, `${JSON.stringify(value)} is not a number, but ${JSON.stringify(column.name)} holds numbers.`, field);
    }
    return `TRY_CAST(${quoteLiteral(value)} AS ${typeSql(column.type)})`;
  };
  const text = `CAST(${id} AS VARCHAR)`;
  const value = condition.value ?? '';
  switch (condition.operator) {
    case 'isMissing':
      return `${id} IS NULL`;
    case 'notMissing':
      return `${id} IS NOT NULL`;
    case 'contains':
      return `contains(${text}, ${quoteLiteral(value)})`;
    case 'startsWith':
      return `starts_with(${text}, ${quoteLiteral(value)})`;
    case 'in':
      return `${id} IN (${(condition.values ?? []).map((item, index) => typed(item, `condition.values.${index}`)).join(', ')})`;
    default:
      return `${id} ${condition.operator} ${typed(value, 'condition.value')}`;
  }
}

function dateExpression(column: ColumnInfo, format: string | undefined): string {
  const id = quoteIdent(column.name);
  if (temporalType.test(column.type)) return id;
  if (format) return `try_strptime(CAST(${id} AS VARCHAR), ${quoteLiteral(format)})`;
  return `TRY_CAST(CAST(${id} AS VARCHAR) AS TIMESTAMP)`;
}

const datePartSql: Record<CleanStepOf<'parseDate'>['parts'][number], (expression: string) => string> = {
  year: (expression) => `year(${expression})`,
  month: (expression) => `month(${expression})`,
  day: (expression) => `day(${expression})`,
  // ISO numbering: Monday is 1, Sunday is 7.
  weekday: (expression) => `isodow(${expression})`,
  hour: (expression) => `hour(${expression})`,
};

/** The SELECT that applies one step to the relation `from`, given the columns it sees and what it learnt. */
export function compileStep(step: CleanStep, from: string, columns: ColumnInfo[], fitted: Fitted | null, location: StepLocation): string {
  switch (step.type) {
    case 'dropColumns': {
      const dropped = columnsOf(step, location, columns, step.columns);
      if (userColumns(columns).length <= new Set(dropped.map((column) => column.name)).size) {
        throw stepError(step, location, 'this would drop every column.', 'columns');
      }
      return `SELECT * EXCLUDE (${dropped.map((column) => quoteIdent(column.name)).join(', ')}) FROM ${from}`;
    }
    case 'dropMissingRows': {
      const targets = step.columns.length > 0 ? columnsOf(step, location, columns, step.columns) : userColumns(columns);
      const joiner = step.how === 'any' ? ' OR ' : ' AND ';
      return `SELECT * FROM ${from} WHERE NOT (${targets.map((column) => `${quoteIdent(column.name)} IS NULL`).join(joiner)})`;
    }
    case 'impute': {
      const targets = columnsOf(step, location, columns, step.columns);
      return replaceSelect(
        from,
        targets.map((column) => {
          const value = fitted?.[column.name];
          if (value === undefined || Array.isArray(value)) throw new KilnError('internal', `No fitted value for ${column.name}.`);
          return `coalesce(${quoteIdent(column.name)}, ${typedLiteral(value, column.type)}) AS ${quoteIdent(column.name)}`;
        }),
      );
    }
    case 'castType': {
      const targets = columnsOf(step, location, columns, step.columns);
      return replaceSelect(
        from,
        targets.map((column) => `TRY_CAST(${quoteIdent(column.name)} AS ${typeSql(step.to)}) AS ${quoteIdent(column.name)}`),
      );
    }
    case 'text': {
      const targets = columnsOf(step, location, columns, step.columns);
      const find = quoteLiteral(step.find ?? '');
      return replaceSelect(
        from,
        targets.map((column, index) => {
          if (column.type !== 'VARCHAR') {
            throw stepError(
              step,
              location,
              `${JSON.stringify(column.name)} is ${column.type.toLowerCase()}, not text; change its type to text first.`,
              `columns.${index}`,
            );
          }
          const id = quoteIdent(column.name);
          const expression = {
            trim: () => `trim(${id})`,
            lowercase: () => `lower(${id})`,
            uppercase: () => `upper(${id})`,
            replace: () => `replace(${id}, ${find}, ${quoteLiteral(step.replacement)})`,
            removeTrailing: () => `CASE WHEN ends_with(${id}, ${find}) THEN left(${id}, length(${id}) - length(${find})) ELSE ${id} END`,
            removeLeading: () => `CASE WHEN starts_with(${id}, ${find}) THEN substr(${id}, length(${find}) + 1) ELSE ${id} END`,
          }[step.operation]();
          return `${expression} AS ${id}`;
        }),
      );
    }
    case 'filterRows': {
      const column = columnOf(step, location, columns, step.condition.column, 'condition.column');
      const condition = `coalesce(${conditionSql(step, step.condition, column, location)}, false)`;
      return `SELECT * FROM ${from} WHERE ${step.keep === 'matching' ? condition : `NOT ${condition}`}`;
    }
    case 'removeDuplicates': {
      const keys = step.columns.length > 0 ? columnsOf(step, location, columns, step.columns) : userColumns(columns);
      const partition = keys.map((column) => quoteIdent(column.name)).join(', ');
      return `SELECT * FROM ${from} QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY ${quoteIdent(rowColumn)}) = 1`;
    }
    case 'clipOutliers': {
      const targets = columnsOf(step, location, columns, step.columns);
      return replaceSelect(
        from,
        targets.map((column) => {
          const bounds = fitted?.[column.name];
          const id = quoteIdent(column.name);
          if (!Array.isArray(bounds) || (bounds[0] === null && bounds[1] === null)) return `${id} AS ${id}`;
          // A missing bound clips nothing on its side. CASE rather than least/greatest: those skip NULLs, which would fill missing values with a bound.
          const sides = [
            bounds[0] === null ? null : `WHEN ${id} < ${typedLiteral(bounds[0], 'DOUBLE')} THEN ${typedLiteral(bounds[0], 'DOUBLE')}`,
            bounds[1] === null ? null : `WHEN ${id} > ${typedLiteral(bounds[1], 'DOUBLE')} THEN ${typedLiteral(bounds[1], 'DOUBLE')}`,
          ].filter((side) => side !== null);
          const clipped = `CASE ${sides.join(' ')} ELSE ${id} END`;
          const rounded = integerType.test(column.type) ? `round(${clipped})` : clipped;
          return `CAST(${rounded} AS ${typeSql(column.type)}) AS ${id}`;
        }),
      );
    }
    case 'parseDate': {
      const column = columnOf(step, location, columns, step.column, 'column');
      const expression = dateExpression(column, step.format);
      const added = step.parts.map((part) => {
        const name = `${column.name}_${part}`;
        if (columns.some((existing) => existing.name === name)) {
          throw stepError(step, location, `a column called ${JSON.stringify(name)} already exists.`, 'parts');
        }
        return `${datePartSql[part](expression)} AS ${quoteIdent(name)}`;
      });
      const keep = step.dropOriginal ? `* EXCLUDE (${quoteIdent(column.name)})` : '*';
      return `SELECT ${keep}, ${added.join(', ')} FROM ${from}`;
    }
    case 'maskPersonal': {
      const targets = columnsOf(step, location, columns, step.columns);
      return replaceSelect(
        from,
        targets.map((column) => {
          const id = quoteIdent(column.name);
          const text = `CAST(${id} AS VARCHAR)`;
          const expression =
            step.method === 'sha256'
              ? `CASE WHEN ${id} IS NULL THEN NULL ELSE sha256(${text}) END`
              : `CASE WHEN length(${text}) <= ${step.keepLast} THEN ${text} ELSE repeat('*', length(${text}) - ${step.keepLast}) || right(${text}, ${step.keepLast}) END`;
          return `${expression} AS ${id}`;
        }),
      );
    }
  }
}

/** A growing `WITH` chain; each added SELECT becomes a named CTE the next one reads. */
export class CteChain {
  private readonly ctes: string[] = [];
  private current: string;

  constructor(sourceSelect: string) {
    this.current = 'kiln_source';
    this.ctes.push(`${this.current} AS (${sourceSelect})`);
  }

  get last(): string {
    return this.current;
  }

  add(select: string): string {
    this.current = `kiln_step_${this.ctes.length}`;
    this.ctes.push(`${this.current} AS (${select})`);
    return this.current;
  }

  /** A full query: the chain so far, then `select`, which reads the CTEs by name. */
  query(select: string): string {
    return `WITH ${this.ctes.join(',\n')}\n${select}`;
  }

  /** The table after the last step, in the original row order, without the row-number column. */
  resultQuery(limit?: number): string {
    return this.query(
      `SELECT * EXCLUDE (${quoteIdent(rowColumn)}) FROM ${this.current} ORDER BY ${quoteIdent(rowColumn)}${limit === undefined ? '' : ` LIMIT ${limit}`}`,
    );
  }
}

export async function describeQuery(connection: DuckDBConnection, query: string): Promise<ColumnInfo[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE ${query}`);
  return reader.getRowObjectsJson().map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
}

/** The stored table with its original row number attached. */
export async function numberedSource(connection: DuckDBConnection, path: string): Promise<string> {
  const file = `read_parquet(${quoteLiteral(path)})`;
  const columns = await describeQuery(connection, `SELECT * FROM ${file}`);
  if (columns.some((column) => column.name === rowColumn)) {
    throw new KilnError('bad_input', `The column name ${rowColumn} is reserved by Kiln; rename that column and import again.`);
  }
  // DuckDB refuses file_row_number when a column already has that name; then the scan order stands in for it.
  if (columns.some((column) => column.name === 'file_row_number')) {
    return `SELECT *, row_number() OVER () - 1 AS ${quoteIdent(rowColumn)} FROM ${file}`;
  }
  return `SELECT * EXCLUDE (file_row_number), file_row_number AS ${quoteIdent(rowColumn)} FROM read_parquet(${quoteLiteral(path)}, file_row_number = true)`;
}

export interface CompiledStep {
  step: CleanStep;
  /** The CTE holding the table before this step and after it (the same for a disabled step). */
  before: string;
  after: string;
  fitted: Fitted | null;
}

export interface CompiledClean {
  chain: CteChain;
  steps: CompiledStep[];
  /** Columns of the result, without the row-number column. */
  columns: ColumnInfo[];
}

/**
 * Compiles `steps` over the Parquet file at `path`. With `fitPath`, values are
 * learnt from that table instead (a separate test file is cleaned with what was
 * learnt from the training data, so nothing about the test rows leaks in).
 */
export async function compileClean(
  connection: DuckDBConnection,
  options: { path: string; steps: CleanStep[]; fitPath?: string; fieldPrefix?: string; onStep?: (index: number) => void },
): Promise<CompiledClean> {
  const chain = new CteChain(await numberedSource(connection, options.path));
  const fitChain = options.fitPath ? new CteChain(await numberedSource(connection, options.fitPath)) : chain;
  const compiled: CompiledStep[] = [];
  let columns = await describeQuery(connection, chain.query(`SELECT * FROM ${chain.last}`));
  let fitColumns = fitChain === chain ? columns : await describeQuery(connection, fitChain.query(`SELECT * FROM ${fitChain.last}`));
  for (const [index, step] of options.steps.entries()) {
    options.onStep?.(index);
    const before = chain.last;
    if (!step.enabled) {
      compiled.push({ step, before, after: before, fitted: null });
      continue;
    }
    const location = { index, field: `${options.fieldPrefix ?? 'steps'}.${index}` };
    const fit = fitQuery(step, fitChain.last, fitColumns, location);
    let fitted: Fitted | null = null;
    if (fit) {
      const reader = await connection.runAndReadAll(fitChain.query(fit));
      const names = reader.columnNames();
      const values = reader.getRows()[0] ?? [];
      const row: Record<string, JsonCell> = {};
      names.forEach((name, position) => {
        row[name] = toJsonCell(values[position] ?? null);
      });
      fitted = readFitted(step, row, location);
    }
    const after = chain.add(compileStep(step, before, columns, fitted, location));
    if (fitChain !== chain) fitChain.add(compileStep(step, fitChain.last, fitColumns, fitted, location));
    try {
      columns = await describeQuery(connection, chain.query(`SELECT * FROM ${after}`));
      if (fitChain !== chain) fitColumns = await describeQuery(connection, fitChain.query(`SELECT * FROM ${fitChain.last}`));
    } catch (error) {
      throw new KilnError('bad_input', `Step ${index + 1} (${cleanStepTitles[step.type]}) cannot run: ${firstLine(error)}`, location.field);
    }
    compiled.push({ step, before, after, fitted });
  }
  return { chain, steps: compiled, columns: userColumns(columns) };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** Row count and missing cells per column of one CTE of the chain. */
export async function tableStats(
  connection: DuckDBConnection,
  chain: CteChain,
  relation: string,
): Promise<{ rows: number; missing: Map<string, number> }> {
  const columns = userColumns(await describeQuery(connection, chain.query(`SELECT * FROM ${relation}`)));
  const parts = ['count(*) AS "rows"', ...columns.map((column, index) => `count(*) - count(${quoteIdent(column.name)}) AS "m${index}"`)];
  const reader = await connection.runAndReadAll(chain.query(`SELECT ${parts.join(', ')} FROM ${relation}`));
  const row = reader.getRows()[0] ?? [];
  const missing = new Map<string, number>();
  columns.forEach((column, index) => missing.set(column.name, Number(row[index + 1] ?? 0)));
  return { rows: Number(row[0] ?? 0), missing };
}
