/**
 * Reads the Parquet splits through DuckDB into typed arrays, column by column.
 * Rows are never turned into JS objects: each chunk's vectors are copied
 * straight into Float64Arrays (numbers) or string arrays (categories), so a
 * large split costs its arrays and little more.
 */
import type { DuckDBConnection, DuckDBVector } from '@duckdb/node-api';
import type { FeatureSettings, Task } from '../../../../shared/api/train.js';
import { KilnError } from '../../../../shared/errors.js';
import type { DuckPool } from '../../data/duckdb.js';
import { quoteIdent, quoteLiteral } from '../../data/sql.js';
import type { RawColumns } from '../types.js';

/** Classifiers are limited to this many classes; more usually means the wrong column or a number stored as text. */
export const maxClasses = 100;

export type SplitName = 'train' | 'valid' | 'test';

const splitWords: Record<SplitName, string> = { train: 'training', valid: 'validation', test: 'test' };

const numericTypes =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|REAL|DOUBLE|DECIMAL.*)$/i;
const booleanTypes = /^BOOL(EAN)?$/i;
const temporalTypes = /^(DATE|TIMESTAMP.*)$/i;

export function isNumericColumnType(type: string): boolean {
  return numericTypes.test(type);
}

export function parquetSource(path: string): string {
  return `read_parquet(${quoteLiteral(path)})`;
}

/** Column name → DuckDB type of a Parquet file. */
export async function describeParquet(connection: DuckDBConnection, path: string): Promise<Map<string, string>> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${parquetSource(path)}`);
  return new Map(reader.getRows().map((row) => [String(row[0]), String(row[1])]));
}

/**
 * The distinct non-missing values of the target as text, in the column's own
 * order (numbers numerically, text by code point), so class 0 is always the
 * same class for the same data. At most `limit` are read.
 */
export async function readClassNames(
  connection: DuckDBConnection,
  source: string,
  target: string,
  limit = maxClasses + 1,
): Promise<string[]> {
  const column = quoteIdent(target);
  const reader = await connection.runAndReadAll(
    `SELECT CAST(kiln_value AS VARCHAR) FROM (SELECT DISTINCT ${column} AS kiln_value FROM ${source} WHERE ${column} IS NOT NULL) ORDER BY kiln_value LIMIT ${limit}`,
  );
  return reader.getRows().map((row) => String(row[0]));
}

/** Binary targets put the positive class last, so label 1 means "positive" to every trainer and metric. */
export function orderClasses(names: string[], task: Task, positiveClass: string | undefined, target: string): string[] {
  if (task === 'regression') return [];
  if (task === 'binary' && positiveClass !== undefined) {
    if (!names.includes(positiveClass)) {
      throw new KilnError(
        'bad_input',
        `The positive class ${JSON.stringify(positiveClass)} does not occur in ${target} in the training split; its classes are ${names.map((name) => JSON.stringify(name)).join(', ')}.`,
        'features.positiveClass',
      );
    }
    return [...names.filter((name) => name !== positiveClass), positiveClass];
  }
  return names;
}

/**
 * How a feature column is read, for training and for the export alike (the
 * export's parity rows and training profile must see the values training
 * saw): numbers, booleans and dates as DOUBLE, categories as text. Undefined
 * when the column's type cannot be read as a number; each caller says why in
 * its own words.
 */
export function featureExpression(name: string, type: string, kind: 'numeric' | 'categorical'): string | undefined {
  const column = quoteIdent(name);
  if (kind === 'categorical') return `CAST(${column} AS VARCHAR)`;
  if (numericTypes.test(type) || booleanTypes.test(type)) return `CAST(${column} AS DOUBLE)`;
  if (temporalTypes.test(type)) return `CAST(epoch(CAST(${column} AS TIMESTAMP)) AS DOUBLE)`;
  return undefined;
}

/** A value read by featureExpression as a number feature: Infinity cannot be standardised or binned, so it is missing, like NaN. */
export function featureNumber(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : Number.NaN;
}

export interface LoadRequest {
  path: string;
  part: SplitName;
  features: FeatureSettings;
  /** Classification: the class names in label order (from the training split). Regression: empty. */
  classes: string[];
}

export interface LoadedSplit {
  columns: RawColumns;
  /** Rows left out because their target is missing: they cannot be learnt from or scored. */
  missingTargetRows: number;
}

/** Reads one split's included features and target into typed arrays. */
export async function loadSplit(connection: DuckDBConnection, request: LoadRequest): Promise<LoadedSplit> {
  const { features, part } = request;
  const types = await describeParquet(connection, request.path);
  const target = features.target;
  const targetType = types.get(target);
  if (targetType === undefined) {
    throw new KilnError(
      'bad_input',
      `The ${splitWords[part]} split has no column ${JSON.stringify(target)} to use as the target.`,
      'features.target',
    );
  }
  const included = features.features.filter((feature) => feature.include && feature.name !== target);
  for (const feature of included) {
    if (!types.has(feature.name)) {
      throw new KilnError('bad_input', `The ${splitWords[part]} split has no column ${JSON.stringify(feature.name)}.`, 'features.features');
    }
  }
  const source = parquetSource(request.path);
  const targetColumn = quoteIdent(target);
  const regression = features.task === 'regression';
  if (regression && !numericTypes.test(targetType)) {
    const example = await textExample(connection, source, target);
    if (example !== null) {
      throw new KilnError(
        'bad_input',
        `${target} holds text (for example ${JSON.stringify(example)}), so it cannot be a regression target; choose a classification task or convert it in the Clean step.`,
        'features.task',
      );
    }
  }
  const counts = await connection.runAndReadAll(`SELECT count(*), count(${targetColumn}) FROM ${source}`);
  const [allRows, presentRows] = (counts.getRows()[0] ?? [0, 0]).map(Number) as [number, number];
  const rows = presentRows;

  const targetExpression = regression ? `CAST(${targetColumn} AS DOUBLE)` : `CAST(${targetColumn} AS VARCHAR)`;
  const select = [
    targetExpression,
    ...included.map((feature) => {
      const type = types.get(feature.name) ?? '';
      const expression = featureExpression(feature.name, type, feature.encoding.kind);
      if (expression === undefined) {
        throw new KilnError(
          'bad_input',
          `${feature.name} holds text (${type}), so it cannot be encoded as a number; encode it as categorical or convert it in the Clean step.`,
          'features.features',
        );
      }
      return expression;
    }),
  ];
  const numeric = new Map<string, Float64Array>();
  const categorical = new Map<string, (string | null)[]>();
  const sinks: ((vector: DuckDBVector, count: number, offset: number) => void)[] = [];
  for (const feature of included) {
    if (feature.encoding.kind === 'numeric') {
      const values = new Float64Array(rows);
      numeric.set(feature.name, values);
      sinks.push((vector, count, offset) => {
        for (let index = 0; index < count; index++) {
          values[offset + index] = featureNumber(vector.getItem(index));
        }
      });
    } else {
      const values = new Array<string | null>(rows).fill(null);
      categorical.set(feature.name, values);
      sinks.push((vector, count, offset) => {
        for (let index = 0; index < count; index++) {
          const value = vector.getItem(index);
          values[offset + index] = typeof value === 'string' ? value : null;
        }
      });
    }
  }

  const y = new Float64Array(rows);
  const classIndex = new Map(request.classes.map((name, index) => [name, index]));
  const result = await connection.stream(`SELECT ${select.join(', ')} FROM ${source} WHERE ${targetColumn} IS NOT NULL`);
  let offset = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const count = chunk.rowCount;
    if (offset + count > rows) throw new Error(`${request.path} returned more rows than it counted (${offset + count} > ${rows}).`);
    const targetVector = chunk.getColumnVector(0);
    for (let index = 0; index < count; index++) {
      const value = targetVector.getItem(index);
      if (regression) {
        y[offset + index] = Number(value);
        continue;
      }
      const label = classIndex.get(String(value));
      if (label === undefined) {
        throw new KilnError(
          'bad_input',
          `The ${splitWords[part]} split has a class of ${target} that the training split does not: ${JSON.stringify(String(value))}. Split again with stratification, or drop those rows.`,
          'features.target',
        );
      }
      y[offset + index] = label;
    }
    sinks.forEach((sink, position) => sink(chunk.getColumnVector(position + 1), count, offset));
    offset += count;
  }
  if (offset !== rows) throw new Error(`${request.path} returned ${offset} rows but counted ${rows}.`);
  return { columns: { rows, numeric, categorical, y }, missingTargetRows: allRows - presentRows };
}

/** A non-missing target value that does not read as a number, or null when every value does. */
export async function textExample(connection: DuckDBConnection, source: string, target: string): Promise<string | null> {
  const column = quoteIdent(target);
  const reader = await connection.runAndReadAll(
    `SELECT CAST(${column} AS VARCHAR) FROM ${source} WHERE ${column} IS NOT NULL AND TRY_CAST(CAST(${column} AS VARCHAR) AS DOUBLE) IS NULL LIMIT 1`,
  );
  const row = reader.getRows()[0];
  return row ? String(row[0]) : null;
}

export interface SplitPaths {
  train: { path: string };
  valid: { path: string } | null;
  test: { path: string } | null;
}

export interface LoadedSplits {
  /** Classification: class names in label order, from the training split. */
  classes: string[];
  train: RawColumns;
  valid: RawColumns | null;
  test: RawColumns | null;
  missingTargetRows: Record<SplitName, number>;
}

/** Loads every split of a dataset; the classes come from the training split only. */
export async function loadSplits(
  duck: DuckPool,
  signal: AbortSignal | undefined,
  split: SplitPaths,
  features: FeatureSettings,
): Promise<LoadedSplits> {
  return duck.with(signal, async (connection) => {
    let classes: string[] = [];
    if (features.task !== 'regression') {
      const names = await readClassNames(connection, parquetSource(split.train.path), features.target);
      if (names.length > maxClasses) {
        throw new KilnError(
          'bad_input',
          `${features.target} has more than ${maxClasses} classes in the training split; Kiln trains classifiers with at most ${maxClasses}. Choose another target, or regression if it is a number.`,
          'features.target',
        );
      }
      if (names.length < 2) {
        throw new KilnError(
          'bad_input',
          names.length === 0
            ? `${features.target} is missing in every row of the training split: there is nothing to learn.`
            : `${features.target} has a single class (${JSON.stringify(names[0])}) in the training split: there is nothing to predict.`,
          'features.target',
        );
      }
      if (features.task === 'binary' && names.length !== 2) {
        throw new KilnError(
          'bad_input',
          `A binary task needs exactly 2 classes, but ${features.target} has ${names.length} in the training split; choose multiclass.`,
          'features.task',
        );
      }
      classes = orderClasses(names, features.task, features.positiveClass, features.target);
    }
    const load = async (path: string, part: SplitName) => loadSplit(connection, { path, part, features, classes });
    const train = await load(split.train.path, 'train');
    if (train.columns.rows === 0) {
      throw new KilnError(
        'bad_input',
        `${features.target} is missing in every row of the training split: there is nothing to learn.`,
        'features.target',
      );
    }
    const valid = split.valid ? await load(split.valid.path, 'valid') : null;
    const test = split.test ? await load(split.test.path, 'test') : null;
    return {
      classes,
      train: train.columns,
      valid: valid?.columns ?? null,
      test: test?.columns ?? null,
      missingTargetRows: { train: train.missingTargetRows, valid: valid?.missingTargetRows ?? 0, test: test?.missingTargetRows ?? 0 },
    };
  });
}
