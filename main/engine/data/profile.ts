import { DuckDBListValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type {
  AssociationMeasure,
  Associations,
  ColumnKind,
  ColumnProfile,
  DatasetProfile,
  HistogramBin,
  NumericSummary,
  ProfileWarning,
} from '../../../shared/api.js';
import type { JobContext } from '../jobs/jobs.js';
import type { DuckPool } from './duckdb.js';
import { quoteIdent, quoteLiteral, sqlList } from './sql.js';

/** Products of values beyond ±1e100 overflow DuckDB's correlation (an Out of Range Error): they are left out of it. */
function boundedDouble(ident: string): string {
  return `CASE WHEN abs(CAST(${ident} AS DOUBLE)) <= 1e100 THEN CAST(${ident} AS DOUBLE) END`;
}

/** Bump when the profile's shape or its statistics change, so cached profiles are recomputed. */
export const profileSchemaVersion = 1;

/** Above this many profiled rows, distinct counts and quantiles are estimated instead of exact. */
const exactRowLimit = 1_000_000;
/** Aggregates per SELECT stay in the low thousands: wide tables are profiled in chunks of columns. */
const statsChunk = 100;
/** Columns per UNPIVOT query (top values, contingency tables): each multiplies the rows DuckDB groups. */
const unpivotChunk = 25;
/** Tables up to this many cells are copied into DuckDB once before the passes. */
const materializeCellLimit = 20_000_000;
const correlationLimit = 60;
/** Rows sampled to judge whether text looks like dates, emails or phone numbers. */
const patternSampleRows = 20_000;
const correlationPairsChunk = 400;
const histogramBins = 24;
/** Integer columns with at most this many distinct whole values get one bin per value. */
const integerBinLimit = 30;
const topShown = 10;
/** Levels kept per column when measuring association; the rest become one "other" level. */
const associationLevels = 50;
/** Whole-number columns with at most this many distinct values are treated as categories. */
const categoricalIntegerLimit = 20;
const leakageThreshold = 0.95;
const quantileLevels = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;
const dateFormats = [
  '%m/%d/%Y',
  '%d/%m/%Y',
  '%d.%m.%Y',
  '%Y/%m/%d',
  '%d-%m-%Y',
  '%m-%d-%Y',
  '%b %d, %Y',
  '%d %b %Y',
  '%B %d, %Y',
  '%d %B %Y',
];
const emailPattern = '[A-Za-z0-9._%+\\-]+@[A-Za-z0-9.\\-]+\\.[A-Za-z]{2,}';
const phonePattern = '\\+?[0-9][0-9 ().\\-]{5,20}[0-9]';
/** Stand-ins for "missing" and "everything else" as category levels; real cells do not hold the unit-separator control character. */
const missingLevel = '\u001fmissing';
const otherLevel = '\u001fother';

const numericTypes =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|REAL|DOUBLE|DECIMAL.*)$/i;
const integerTypes = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/i;
const temporalTypes = /^(DATE|TIME.*|TIMESTAMP.*)$/i;

export interface ProfileRequest {
  parquetPath: string;
  datasetId: string;
  version: string;
  optionsHash: string;
  rowCount: number;
  columnCount: number;
  target: string | null;
  sample: number | null;
  job: Pick<JobContext, 'signal' | 'progress' | 'throwIfCancelled'>;
}

interface Column {
  index: number;
  name: string;
  type: string;
  kind: ColumnKind;
  integer: boolean;
  ident: string;
}

/** What the first pass learns about a column, beyond what goes into the profile. */
interface BaseStats {
  count: number;
  distinct: number;
  numeric: NumericSummary | null;
  range: { min: string; max: string } | null;
  /** Shares of the non-missing values in the pattern sample that look like an email, a phone number, a date. */
  emails: number;
  phones: number;
  dates: number;
}

const source = quoteIdent('kiln_profile_source');

export async function computeProfile(pool: DuckPool, request: ProfileRequest): Promise<DatasetProfile> {
  const started = Date.now();
  const { job } = request;
  return pool.with(job.signal, async (connection) => {
    job.progress({ stage: 'reading', fraction: 0, message: 'Reading the table' });
    const parquet = `read_parquet(${quoteLiteral(request.parquetPath)})`;
    if (request.sample !== null) {
      // A seeded reservoir sample, so the same options give the same profile.
      await connection.run(
        `CREATE TEMP TABLE ${source} AS SELECT * FROM ${parquet} USING SAMPLE reservoir(${request.sample} ROWS) REPEATABLE (42)`,
      );
    } else if (request.rowCount * request.columnCount <= materializeCellLimit) {
      // Each pass below is its own query; on a small table, re-reading the Parquet footer (thousands of columns) costs more than the data.
      await connection.run(`CREATE TEMP TABLE ${source} AS SELECT * FROM ${parquet}`);
    } else {
      // Large tables stay in Parquet: each pass reads only the columns it needs, and memory does not grow with the file.
      await connection.run(`CREATE TEMP VIEW ${source} AS SELECT * FROM ${parquet}`);
    }
    const described = await rows(connection, `DESCRIBE SELECT * FROM ${source}`);
    const columns: Column[] = described.map((row, index) => {
      const name = String(row[0]);
      const type = String(row[1]);
      return { index, name, type, kind: kindOf(type), integer: integerTypes.test(type), ident: quoteIdent(name) };
    });
    const profiledRows = toNumber((await rows(connection, `SELECT count(*) FROM ${source}`))[0]?.[0] ?? 0);
    const exact = profiledRows <= exactRowLimit;

    const base = await baseStatistics(connection, columns, exact, (done) =>
      job.progress({
        stage: 'statistics',
        fraction: 0.4 * done,
        message: `Column statistics: ${Math.round(done * columns.length)} of ${columns.length} columns`,
      }),
    );
    job.throwIfCancelled();

    job.progress({ stage: 'patterns', fraction: 0.4, message: 'Looking for dates, emails and phone numbers in text' });
    await patternShares(
      connection,
      columns.filter((column) => /^VARCHAR$/i.test(column.type)),
      profiledRows,
      base,
    );
    job.throwIfCancelled();

    const mayHaveTopValues = (column: Column) => column.kind !== 'numeric' || column.integer;
    const counting = exact ? columns : columns.filter(mayHaveTopValues);
    const counted = await valueCounts(connection, counting, associationLevels, (done) =>
      job.progress({
        stage: 'values',
        fraction: 0.4 + 0.3 * done,
        message: `Distinct and most frequent values: ${Math.round(done * counting.length)} of ${counting.length} columns`,
      }),
    );
    if (exact) for (const [index, { distinct }] of counted) (base.get(index) as BaseStats).distinct = distinct;
    const hasTopValues = (column: Column) => {
      const stats = base.get(column.index);
      if (!stats || stats.count === 0) return false;
      return column.kind !== 'numeric' || (column.integer && stats.distinct <= categoricalIntegerLimit);
    };
    const topLevels = new Map<number, Level[]>();
    for (const column of columns) {
      const levels = counted.get(column.index)?.levels;
      if (levels && hasTopValues(column)) topLevels.set(column.index, levels);
    }
    job.throwIfCancelled();

    job.progress({ stage: 'histograms', fraction: 0.7, message: 'Histograms' });
    const histograms = await computeHistograms(connection, columns, base);
    job.throwIfCancelled();

    job.progress({ stage: 'correlations', fraction: 0.75, message: 'Correlations between numeric columns' });
    const spread = columns.filter((column) => column.kind === 'numeric' && (base.get(column.index)?.numeric?.std ?? 0) > 0);
    const correlation = await computeCorrelation(connection, spread.slice(0, correlationLimit));
    job.throwIfCancelled();

    const columnProfiles: ColumnProfile[] = columns.map((column) => {
      const stats = base.get(column.index) as BaseStats;
      const levels = topLevels.get(column.index);
      const shown = levels?.slice(0, topShown) ?? null;
      const shownTotal = shown?.reduce((sum, level) => sum + level.count, 0) ?? 0;
      return {
        name: column.name,
        type: column.type,
        kind: column.kind,
        count: stats.count,
        missing: profiledRows - stats.count,
        missingShare: profiledRows === 0 ? 0 : (profiledRows - stats.count) / profiledRows,
        distinct: stats.distinct,
        numeric: stats.numeric,
        range: stats.range,
        histogram: histograms.get(column.index) ?? null,
        top: shown ? { values: shown, other: stats.count - shownTotal } : null,
      };
    });

    let associations: Associations | null = null;
    let purity = new Map<string, number>();
    let targetMajority = 1;
    if (request.target !== null) {
      job.progress({ stage: 'associations', fraction: 0.85, message: `Association with ${request.target}` });
      const target = columns.find((column) => column.name === request.target);
      if (target) {
        const result = await computeAssociations(connection, columns, target, base, topLevels);
        associations = result.associations;
        purity = result.purity;
        targetMajority = result.targetMajority;
      }
    }
    job.throwIfCancelled();

    const warnings = buildWarnings(columnProfiles, base, columns, associations, purity, targetMajority);
    job.progress({
      stage: 'done',
      fraction: 1,
      message: `Profiled ${columns.length} columns over ${profiledRows.toLocaleString('en-US')} rows`,
    });
    return {
      datasetId: request.datasetId,
      version: request.version,
      optionsHash: request.optionsHash,
      createdAt: new Date().toISOString(),
      computeMs: Date.now() - started,
      rowCount: request.rowCount,
      profiledRows,
      sample: request.sample,
      target: request.target,
      distinctMethod: exact ? 'exact' : 'approximate',
      quantileMethod: exact ? 'exact' : 'approximate',
      columns: columnProfiles,
      correlation: { method: 'pearson', ...correlation, omitted: Math.max(0, spread.length - correlationLimit) },
      associations,
      warnings,
    };
  });
}

export function kindOf(type: string): ColumnKind {
  if (numericTypes.test(type)) return 'numeric';
  if (/^BOOL(EAN)?$/i.test(type)) return 'boolean';
  if (temporalTypes.test(type)) return 'temporal';
  return 'categorical';
}

async function rows(connection: DuckDBConnection, sql: string): Promise<DuckDBValue[][]> {
  return (await connection.runAndReadAll(sql)).getRows();
}

function toNumber(value: DuckDBValue | undefined): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') return Number(value);
  return Number.NaN;
}

/** A finite number, or null for NULL, NaN and infinities (JSON has no place for them). */
function finiteOrNull(value: DuckDBValue | undefined): number | null {
  if (value === null || value === undefined) return null;
  const number = toNumber(value);
  return Number.isFinite(number) ? number : null;
}

/** A number as a SQL DOUBLE literal; only finite numbers computed here ever reach it. */
function doubleLiteral(value: number): string {
  return `CAST(${quoteLiteral(String(value))} AS DOUBLE)`;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

const alias = (prefix: string, index: number) => quoteIdent(`${prefix}${index}`);

/** One SELECT of many aggregates per chunk of columns: counts, distinct counts, moments, quantiles and text patterns. */
async function baseStatistics(
  connection: DuckDBConnection,
  columns: Column[],
  exact: boolean,
  onProgress: (done: number) => void,
): Promise<Map<number, BaseStats>> {
  const result = new Map<number, BaseStats>();
  let done = 0;
  for (const chunk of chunks(columns, statsChunk)) {
    const aggregates: string[] = [];
    for (const column of chunk) {
      const { ident, index } = column;
      aggregates.push(`count(${ident}) AS ${alias('n', index)}`);
      // Exact distinct counts come from the grouping in valueCounts: dozens of count(DISTINCT) in one SELECT are far slower.
      if (!exact) aggregates.push(`approx_count_distinct(${ident}) AS ${alias('d', index)}`);
      if (column.kind === 'numeric') {
        const value = `CAST(${ident} AS DOUBLE)`;
        const quantiles = exact
          ? `quantile_cont(${value}, [${quantileLevels.join(', ')}])`
          : `approx_quantile(${value}, [${quantileLevels.join(', ')}])`;
        aggregates.push(
          `min(${value}) AS ${alias('min', index)}`,
          `max(${value}) AS ${alias('max', index)}`,
          `avg(${value}) AS ${alias('mean', index)}`,
          // Squares of values near 1e308 overflow DuckDB's variance (an Out of Range Error): it runs on
          // values scaled by a power of two, which is exact. Cubes overflow or underflow at any one scale,
          // so the skewness (a warning only) leaves out values beyond ±1e100.
          `stddev_samp(${value} * ${2 ** -512}) * ${2 ** 512} AS ${alias('std', index)}`,
          `skewness(CASE WHEN abs(${value}) <= 1e100 THEN ${value} END) AS ${alias('skew', index)}`,
          `${quantiles} AS ${alias('q', index)}`,
          `count_if(${value} = 0) AS ${alias('zeros', index)}`,
        );
      } else if (column.kind === 'temporal') {
        aggregates.push(
          `CAST(min(${ident}) AS VARCHAR) AS ${alias('min', index)}`,
          `CAST(max(${ident}) AS VARCHAR) AS ${alias('max', index)}`,
        );
      }
    }
    const reader = await connection.runAndReadAll(`SELECT ${aggregates.join(', ')} FROM ${source}`);
    const names = reader.columnNames();
    const values = reader.getRows()[0] ?? [];
    const get = (prefix: string, index: number): DuckDBValue | undefined => values[names.indexOf(`${prefix}${index}`)];
    for (const column of chunk) {
      const { index } = column;
      const count = toNumber(get('n', index));
      let numeric: NumericSummary | null = null;
      if (column.kind === 'numeric' && count > 0) {
        const quantileValue = get('q', index);
        const q = quantileValue instanceof DuckDBListValue ? quantileValue.items.map((item) => toNumber(item)) : [];
        numeric = {
          min: toNumber(get('min', index)),
          max: toNumber(get('max', index)),
          mean: toNumber(get('mean', index)),
          std: finiteOrNull(get('std', index)),
          skewness: finiteOrNull(get('skew', index)),
          quantiles: {
            p01: q[0] ?? Number.NaN,
            p05: q[1] ?? Number.NaN,
            p25: q[2] ?? Number.NaN,
            p50: q[3] ?? Number.NaN,
            p75: q[4] ?? Number.NaN,
            p95: q[5] ?? Number.NaN,
            p99: q[6] ?? Number.NaN,
          },
          zeros: toNumber(get('zeros', index)),
        };
      }
      const min = get('min', index);
      const max = get('max', index);
      result.set(index, {
        count,
        distinct: exact ? 0 : Math.min(toNumber(get('d', index)), count),
        numeric,
        range: column.kind === 'temporal' && typeof min === 'string' && typeof max === 'string' ? { min, max } : null,
        emails: 0,
        phones: 0,
        dates: 0,
      });
    }
    done += chunk.length;
    onProgress(done / Math.max(1, columns.length));
  }
  return result;
}

/**
 * Which text columns look like dates, emails or phone numbers. These are hints
 * for warnings, and parsing every cell as a date in ten formats is slow, so
 * they are judged on a seeded sample of rows rather than the whole table.
 */
async function patternShares(
  connection: DuckDBConnection,
  columns: Column[],
  profiledRows: number,
  base: Map<number, BaseStats>,
): Promise<void> {
  if (columns.length === 0) return;
  let from = source;
  if (profiledRows > patternSampleRows) {
    const sampleTable = quoteIdent('kiln_profile_pattern_sample');
    const kept = columns.map((column) => column.ident).join(', ');
    await connection.run(
      `CREATE TEMP TABLE ${sampleTable} AS SELECT ${kept} FROM ${source} USING SAMPLE reservoir(${patternSampleRows} ROWS) REPEATABLE (42)`,
    );
    from = sampleTable;
  }
  for (const chunk of chunks(columns, statsChunk)) {
    const aggregates = chunk.flatMap(({ ident, index }) => [
      `count(${ident}) AS ${alias('n', index)}`,
      `count_if(regexp_full_match(${ident}, ${quoteLiteral(emailPattern)})) AS ${alias('email', index)}`,
      `count_if(regexp_full_match(${ident}, ${quoteLiteral(phonePattern)}) AND length(${ident}) - length(translate(${ident}, '0123456789', '')) BETWEEN 7 AND 15) AS ${alias('phone', index)}`,
      // Only text with a digit, of a date's length, is tried against the formats: parsing is the slow part.
      `count_if(CASE WHEN length(${ident}) BETWEEN 6 AND 40 AND regexp_matches(${ident}, '[0-9]') THEN try_strptime(${ident}, ${sqlList(dateFormats)}) IS NOT NULL OR TRY_CAST(${ident} AS TIMESTAMP) IS NOT NULL ELSE false END) AS ${alias('date', index)}`,
    ]);
    const reader = await connection.runAndReadAll(`SELECT ${aggregates.join(', ')} FROM ${from}`);
    const names = reader.columnNames();
    const values = reader.getRows()[0] ?? [];
    const get = (prefix: string, index: number) => toNumber(values[names.indexOf(`${prefix}${index}`)]);
    for (const { index } of chunk) {
      const stats = base.get(index);
      const n = get('n', index);
      if (!stats || n === 0) continue;
      stats.emails = get('email', index) / n;
      stats.phones = get('phone', index) / n;
      stats.dates = get('date', index) / n;
    }
  }
}

interface BinPlan {
  column: Column;
  /** SQL giving each value's bin index. */
  expression: string;
  bins: HistogramBin[];
}

/** Fixed-width bins between min and max, counted with DuckDB's histogram() aggregate in one pass per chunk. */
async function computeHistograms(
  connection: DuckDBConnection,
  columns: Column[],
  base: Map<number, BaseStats>,
): Promise<Map<number, HistogramBin[]>> {
  const result = new Map<number, HistogramBin[]>();
  const plans: BinPlan[] = [];
  for (const column of columns) {
    const stats = base.get(column.index);
    const numeric = stats?.numeric;
    if (column.kind !== 'numeric' || !stats || !numeric) continue;
    const { min, max } = numeric;
    const value = `CAST(${column.ident} AS DOUBLE)`;
    if (min === max) {
      result.set(column.index, [{ low: min, high: max, count: stats.count }]);
    } else if (column.integer && max - min + 1 <= integerBinLimit) {
      const bins = Array.from({ length: max - min + 1 }, (_, offset) => ({ low: min + offset, high: min + offset, count: 0 }));
      plans.push({ column, expression: `CAST(${value} - ${doubleLiteral(min)} AS INTEGER)`, bins });
    } else {
      const width = (max - min) / histogramBins;
      const bins = Array.from({ length: histogramBins }, (_, bin) => ({
        low: min + bin * width,
        high: bin === histogramBins - 1 ? max : min + (bin + 1) * width,
        count: 0,
      }));
      plans.push({
        column,
        expression: `least(CAST(floor((${value} - ${doubleLiteral(min)}) / ${doubleLiteral(width)}) AS INTEGER), ${histogramBins - 1})`,
        bins,
      });
    }
  }
  for (const chunk of chunks(plans, statsChunk)) {
    const select = chunk.map((plan) => `histogram(${plan.expression}) AS ${alias('h', plan.column.index)}`).join(', ');
    const reader = await connection.runAndReadAll(`SELECT ${select} FROM ${source}`);
    const values = reader.getRows()[0] ?? [];
    chunk.forEach((plan, position) => {
      const map = values[position];
      if (map && typeof map === 'object' && 'entries' in map) {
        for (const entry of map.entries as { key: DuckDBValue; value: DuckDBValue }[]) {
          const bin = plan.bins[toNumber(entry.key)];
          if (bin) bin.count += toNumber(entry.value);
        }
      }
      result.set(plan.column.index, plan.bins);
    });
  }
  return result;
}

interface Level {
  value: string;
  count: number;
}

/**
 * Each column's exact number of distinct values and its most frequent values
 * (missing cells left out), from one UNPIVOT and GROUP BY per chunk of columns.
 */
async function valueCounts(
  connection: DuckDBConnection,
  columns: Column[],
  limit: number,
  onProgress: (done: number) => void,
): Promise<Map<number, { distinct: number; levels: Level[] }>> {
  const result = new Map<number, { distinct: number; levels: Level[] }>();
  let done = 0;
  for (const chunk of chunks(columns, unpivotChunk)) {
    const select = chunk.map((column) => `CAST(${column.ident} AS VARCHAR) AS ${alias('', column.index)}`).join(', ');
    const sql = `
      SELECT column_key, level, n, distinct_levels FROM (
        SELECT column_key, level, count(*) AS n, count(*) OVER (PARTITION BY column_key) AS distinct_levels
        FROM (UNPIVOT (SELECT ${select} FROM ${source}) ON COLUMNS(*) INTO NAME column_key VALUE level)
        GROUP BY column_key, level
      )
      QUALIFY row_number() OVER (PARTITION BY column_key ORDER BY n DESC, level) <= ${limit}
      ORDER BY column_key, n DESC, level`;
    for (const [key, level, count, distinct] of await rows(connection, sql)) {
      const index = Number(key);
      const entry = result.get(index) ?? { distinct: toNumber(distinct), levels: [] };
      entry.levels.push({ value: String(level), count: toNumber(count) });
      result.set(index, entry);
    }
    done += chunk.length;
    onProgress(done / Math.max(1, columns.length));
  }
  return result;
}

async function computeCorrelation(
  connection: DuckDBConnection,
  columns: Column[],
): Promise<{ columns: string[]; matrix: (number | null)[][] }> {
  const matrix = columns.map((_, row) => columns.map((__, column) => (row === column ? 1 : (null as number | null))));
  const pairs: [number, number][] = [];
  for (let row = 0; row < columns.length; row += 1)
    for (let column = row + 1; column < columns.length; column += 1) pairs.push([row, column]);
  for (const chunk of chunks(pairs, correlationPairsChunk)) {
    const select = chunk
      .map(([row, column]) => {
        const a = columns[row] as Column;
        const b = columns[column] as Column;
        return `corr(${boundedDouble(a.ident)}, ${boundedDouble(b.ident)})`;
      })
      .join(', ');
    const values = (await rows(connection, `SELECT ${select} FROM ${source}`))[0] ?? [];
    chunk.forEach(([row, column], position) => {
      const value = finiteOrNull(values[position]);
      const clamped = value === null ? null : Math.max(-1, Math.min(1, value));
      (matrix[row] as (number | null)[])[column] = clamped;
      (matrix[column] as (number | null)[])[row] = clamped;
    });
  }
  return { columns: columns.map((column) => column.name), matrix };
}

/** A column as category levels: its values as text, the rarest folded into one "other" level, missing as its own level. */
function levelExpression(column: Column, levels: Level[] | undefined, distinct: number): string {
  const text = `CAST(${column.ident} AS VARCHAR)`;
  if (!levels || distinct <= levels.length) return `coalesce(${text}, ${quoteLiteral(missingLevel)})`;
  const kept = sqlList(levels.map((level) => level.value));
  return `CASE WHEN ${column.ident} IS NULL THEN ${quoteLiteral(missingLevel)} WHEN list_contains(${kept}, ${text}) THEN ${text} ELSE ${quoteLiteral(otherLevel)} END`;
}

interface AssociationResult {
  associations: Associations;
  /** Per categorical feature: the share of rows whose target is the most common one for the feature's level. */
  purity: Map<string, number>;
  targetMajority: number;
}

async function computeAssociations(
  connection: DuckDBConnection,
  columns: Column[],
  target: Column,
  base: Map<number, BaseStats>,
  topLevels: Map<number, Level[]>,
): Promise<AssociationResult> {
  const targetStats = base.get(target.index) as BaseStats;
  const isCategorical = (column: Column) => {
    const stats = base.get(column.index);
    return column.kind !== 'numeric' || (column.integer && (stats?.distinct ?? 0) <= categoricalIntegerLimit);
  };
  const targetCategorical = isCategorical(target);
  const features = columns.filter((column) => {
    const stats = base.get(column.index);
    return column.index !== target.index && stats !== undefined && stats.count > 0 && stats.distinct > 1;
  });
  const items: Associations['items'] = [];
  const purity = new Map<string, number>();
  let targetMajority = 1;
  const targetPresent = `${target.ident} IS NOT NULL`;

  if (targetCategorical) {
    const targetLevels = levelExpression(target, topLevels.get(target.index), targetStats.distinct);
    const targetTop = topLevels.get(target.index)?.[0]?.count ?? 0;
    targetMajority = targetStats.count === 0 ? 1 : targetTop / targetStats.count;
    const categorical = features.filter(isCategorical);
    for (const chunk of chunks(categorical, unpivotChunk)) {
      const select = chunk
        .map(
          (column) =>
            `${levelExpression(column, topLevels.get(column.index), base.get(column.index)?.distinct ?? 0)} AS ${alias('', column.index)}`,
        )
        .join(', ');
      const sql = `
        SELECT column_key, level, target_level, count(*) AS n
        FROM (UNPIVOT (SELECT ${targetLevels} AS target_level, ${select} FROM ${source} WHERE ${targetPresent})
              ON COLUMNS(* EXCLUDE (target_level)) INTO NAME column_key VALUE level)
        GROUP BY ALL`;
      const tables = new Map<number, { level: string; target: string; count: number }[]>();
      for (const [key, level, targetLevel, count] of await rows(connection, sql)) {
        const cells = tables.get(Number(key)) ?? [];
        cells.push({ level: String(level), target: String(targetLevel), count: toNumber(count) });
        tables.set(Number(key), cells);
      }
      for (const column of chunk) {
        const { v, purity: share } = cramersV(tables.get(column.index) ?? []);
        items.push({ column: column.name, measure: 'cramers_v', value: v });
        purity.set(column.name, share);
      }
    }
    const numeric = features.filter((column) => !isCategorical(column));
    for (const chunk of chunks(numeric, statsChunk)) {
      const perGroup = chunk.flatMap((column) => [
        `count(${column.ident}) AS ${alias('n', column.index)}`,
        `avg(CAST(${column.ident} AS DOUBLE)) AS ${alias('m', column.index)}`,
      ]);
      const overall = chunk.flatMap((column) => [
        `count(${column.ident}) AS ${alias('n', column.index)}`,
        `avg(CAST(${column.ident} AS DOUBLE)) AS ${alias('m', column.index)}`,
        `var_pop(CAST(${column.ident} AS DOUBLE)) AS ${alias('v', column.index)}`,
      ]);
      const groups = await connection.runAndReadAll(
        `SELECT ${perGroup.join(', ')} FROM ${source} WHERE ${targetPresent} GROUP BY ${targetLevels}`,
      );
      const totals = await connection.runAndReadAll(`SELECT ${overall.join(', ')} FROM ${source} WHERE ${targetPresent}`);
      const groupNames = groups.columnNames();
      const groupRows = groups.getRows();
      const totalNames = totals.columnNames();
      const totalRow = totals.getRows()[0] ?? [];
      for (const column of chunk) {
        const n = toNumber(totalRow[totalNames.indexOf(`n${column.index}`)]);
        const mean = toNumber(totalRow[totalNames.indexOf(`m${column.index}`)]);
        const variance = toNumber(totalRow[totalNames.indexOf(`v${column.index}`)]);
        let between = 0;
        for (const row of groupRows) {
          const groupN = toNumber(row[groupNames.indexOf(`n${column.index}`)]);
          const groupMean = toNumber(row[groupNames.indexOf(`m${column.index}`)]);
          if (groupN > 0 && Number.isFinite(groupMean)) between += groupN * (groupMean - mean) ** 2;
        }
        items.push({ column: column.name, measure: 'eta', value: eta(between, n * variance) });
      }
    }
  } else {
    const numeric = features.filter((column) => column.kind === 'numeric' && !isCategorical(column));
    for (const chunk of chunks(numeric, correlationPairsChunk)) {
      const select = chunk.map((column) => `corr(${boundedDouble(column.ident)}, ${boundedDouble(target.ident)})`).join(', ');
      const values = (await rows(connection, `SELECT ${select} FROM ${source}`))[0] ?? [];
      chunk.forEach((column, position) => {
        const r = finiteOrNull(values[position]);
        items.push({ column: column.name, measure: 'abs_pearson', value: r === null ? 0 : Math.min(1, Math.abs(r)) });
      });
    }
    const categorical = features.filter(isCategorical);
    const totals =
      (
        await rows(
          connection,
          `SELECT count(*), var_pop(CAST(${target.ident} AS DOUBLE)), avg(CAST(${target.ident} AS DOUBLE)) FROM ${source} WHERE ${targetPresent}`,
        )
      )[0] ?? [];
    const n = toNumber(totals[0]);
    const variance = toNumber(totals[1]);
    const mean = toNumber(totals[2]);
    for (const chunk of chunks(categorical, unpivotChunk)) {
      const select = chunk
        .map(
          (column) =>
            `${levelExpression(column, topLevels.get(column.index), base.get(column.index)?.distinct ?? 0)} AS ${alias('', column.index)}`,
        )
        .join(', ');
      const sql = `
        SELECT column_key, count(*) AS n, avg(target_value) AS m
        FROM (UNPIVOT (SELECT CAST(${target.ident} AS DOUBLE) AS target_value, ${select} FROM ${source} WHERE ${targetPresent})
              ON COLUMNS(* EXCLUDE (target_value)) INTO NAME column_key VALUE level)
        GROUP BY column_key, level`;
      const between = new Map<number, number>();
      for (const [key, groupN, groupMean] of await rows(connection, sql)) {
        const index = Number(key);
        between.set(index, (between.get(index) ?? 0) + toNumber(groupN) * (toNumber(groupMean) - mean) ** 2);
      }
      for (const column of chunk)
        items.push({ column: column.name, measure: 'eta', value: eta(between.get(column.index) ?? 0, n * variance) });
    }
  }

  items.sort((a, b) => b.value - a.value || a.column.localeCompare(b.column));
  const method = targetCategorical
    ? `The target is categorical. Categorical features: Cramér's V (uncorrected) on the contingency table, with missing cells as a level and levels beyond the ${associationLevels} most frequent folded into one. Numeric features: the correlation ratio η (eta) of the feature across target classes.`
    : `The target is numeric. Numeric features: |Pearson r| with the target. Categorical features: the correlation ratio η (eta) of the target across the feature's levels, with missing cells as a level and levels beyond the ${associationLevels} most frequent folded into one.`;
  return {
    associations: { target: target.name, targetKind: targetCategorical ? 'categorical' : 'numeric', method, items },
    purity,
    targetMajority,
  };
}

function eta(between: number, total: number): number {
  if (!(total > 0) || !Number.isFinite(between)) return 0;
  return Math.min(1, Math.sqrt(Math.max(0, between / total)));
}

/** Cramér's V of a contingency table, and how purely each feature level picks one target level. */
export function cramersV(cells: { level: string; target: string; count: number }[]): { v: number; purity: number } {
  const rowTotals = new Map<string, number>();
  const columnTotals = new Map<string, number>();
  const rowMax = new Map<string, number>();
  let n = 0;
  for (const cell of cells) {
    rowTotals.set(cell.level, (rowTotals.get(cell.level) ?? 0) + cell.count);
    columnTotals.set(cell.target, (columnTotals.get(cell.target) ?? 0) + cell.count);
    rowMax.set(cell.level, Math.max(rowMax.get(cell.level) ?? 0, cell.count));
    n += cell.count;
  }
  if (n === 0) return { v: 0, purity: 0 };
  let purity = 0;
  for (const max of rowMax.values()) purity += max;
  const k = Math.min(rowTotals.size, columnTotals.size);
  if (k < 2) return { v: 0, purity: purity / n };
  // chi² = n (Σ o² / (row total × column total) − 1); zero cells add nothing to the sum.
  let sum = 0;
  for (const cell of cells) sum += (cell.count * cell.count) / ((rowTotals.get(cell.level) ?? 1) * (columnTotals.get(cell.target) ?? 1));
  const phi2 = Math.max(0, sum - 1);
  return { v: Math.min(1, Math.sqrt(phi2 / (k - 1))), purity: purity / n };
}

const percent = (share: number) => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;

function buildWarnings(
  profiles: ColumnProfile[],
  base: Map<number, BaseStats>,
  columns: Column[],
  associations: Associations | null,
  purity: Map<string, number>,
  targetMajority: number,
): ProfileWarning[] {
  const warnings: ProfileWarning[] = [];
  profiles.forEach((profile, index) => {
    const column = columns[index] as Column;
    const stats = base.get(index) as BaseStats;
    const name = profile.name;
    if (profile.count === 0) {
      warnings.push({ column: name, kind: 'all_missing', message: `${name} is missing in every row; it carries no information.` });
      return;
    }
    if (profile.distinct === 1) {
      const only = profile.top?.values[0]?.value ?? (profile.numeric ? String(profile.numeric.min) : 'one value');
      warnings.push({
        column: name,
        kind: 'constant',
        message: `${name} holds a single value (${only}) in every non-missing row; it cannot help a model.`,
      });
    }
    if (profile.missingShare >= 0.5) {
      warnings.push({ column: name, kind: 'mostly_missing', message: `${name} is missing in ${percent(profile.missingShare)} of rows.` });
    }
    const wholeValued = column.kind === 'categorical' || column.integer;
    if (wholeValued && profile.count >= 20 && profile.distinct >= 0.95 * profile.count) {
      warnings.push({
        column: name,
        kind: 'id_like',
        message: `${name} has a different value in ${percent(profile.distinct / profile.count)} of rows: it looks like an identifier, not a feature.`,
      });
    }
    const skewness = profile.numeric?.skewness ?? null;
    if (skewness !== null && Math.abs(skewness) > 2) {
      warnings.push({
        column: name,
        kind: 'skewed',
        message: `${name} is highly skewed (skewness ${skewness.toFixed(1)}); a log transform or clipping may help linear models.`,
      });
    }
    if (stats.dates >= 0.9) {
      warnings.push({
        column: name,
        kind: 'date_like',
        message: `${name} is stored as text but ${percent(stats.dates)} of its values read as dates; parse it into date parts.`,
      });
    }
    if (stats.emails >= 0.8) {
      warnings.push({
        column: name,
        kind: 'email',
        message: `${name} looks like email addresses (${percent(stats.emails)} of values): personal data; mask or drop it.`,
      });
    }
    if (stats.phones >= 0.8) {
      warnings.push({
        column: name,
        kind: 'phone',
        message: `${name} looks like phone numbers (${percent(stats.phones)} of values): personal data; mask or drop it.`,
      });
    }
  });
  if (associations) {
    const idLike = new Set(warnings.filter((warning) => warning.kind === 'id_like').map((warning) => warning.column));
    for (const item of associations.items) {
      const share = purity.get(item.column);
      if (item.value >= leakageThreshold) {
        warnings.push({
          column: item.column,
          kind: 'leakage',
          message: `${item.column} almost determines ${associations.target} (${measureName(item.measure)} ${item.value.toFixed(2)}): it may leak the answer.`,
        });
      } else if (share !== undefined && share >= 0.99 && targetMajority < 0.95 && !idLike.has(item.column)) {
        warnings.push({
          column: item.column,
          kind: 'leakage',
          message: `Knowing ${item.column} fixes ${associations.target} in ${percent(share)} of rows: it may leak the answer.`,
        });
      }
    }
  }
  return warnings;
}

export function measureName(measure: AssociationMeasure): string {
  return measure === 'cramers_v' ? "Cramér's V" : measure === 'eta' ? 'η' : '|r|';
}
