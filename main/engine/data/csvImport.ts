import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  defaultMissingMarkers as sharedMissingMarkers,
  type BadRow,
  type ColumnInfo,
  type ColumnNote,
  type ColumnType,
  type ImportOptions,
  type ImportReport,
} from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import type { JobContext } from '../jobs/jobs.js';
import type { DatasetVersion } from '../workspace/repositories.js';
import type { DuckPool } from './duckdb.js';
import { castExpression, inferColumnTypes, perColumn, type InferredColumn } from './importTypes.js';
import {
  cleanedSelect,
  columnGroups,
  columnsPerGroup,
  compressionOf,
  csvSource,
  describeCsvError,
  nullstrOption,
  releaseReadSettings,
  resolveReadSettings,
  type ReadSettings,
} from './sniff.js';
import { quoteIdent, quoteLiteral } from './sql.js';

/** Cells that mean "missing" in real files. Compared after trimming spaces. */
export const defaultMissingMarkers = sharedMissingMarkers;

/** Bad rows kept with their line number and text; the rest are only counted. */
const badRowsKept = 100;

export interface StoredTable {
  version: string;
  storagePath: string;
  rowCount: number;
  columns: ColumnInfo[];
  reused: boolean;
}

export interface ImportedTable extends StoredTable {
  report: ImportReport;
}

/** Rejects what is plainly not a CSV before DuckDB sees it, with a message a person can act on. */
export async function checkCsvFile(path: string): Promise<{ bytes: number; mtimeMs: number }> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new KilnError('bad_input', `The file ${path} does not exist.`, 'path');
  }
  if (!info.isFile()) throw new KilnError('bad_input', `${path} is a folder, not a CSV file.`, 'path');
  if (info.size === 0) throw new KilnError('bad_input', `${basename(path)} is empty: there is nothing to import.`, 'path');
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(info.size, 64 * 1024));
    await handle.read(head, 0, head.length, 0);
    // A gzip or zstd file is binary by nature; DuckDB decompresses it while reading.
    if (compressionOf(head) === 'none' && looksBinary(head)) {
      throw new KilnError(
        'bad_input',
        `${basename(path)} is not a CSV file: it contains binary data. Export it as CSV (comma, semicolon or tab separated text) and try again.`,
        'path',
      );
    }
    if (compressionOf(head) === 'none' && head.toString('latin1').trim() === '') {
      throw new KilnError('bad_input', `${basename(path)} holds only blank space: there is nothing to import.`, 'path');
    }
  } finally {
    await handle.close();
  }
  return { bytes: info.size, mtimeMs: info.mtimeMs };
}

function looksBinary(head: Buffer): boolean {
  const bom16 = head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff));
  if (bom16) return false;
  let control = 0;
  for (const byte of head) {
    if (byte === 0) return true;
    if (byte < 9 || (byte > 13 && byte < 32)) control += 1;
  }
  return control > head.length * 0.01;
}

/** Fails when the file is not the one that was there when the import began. */
async function assertUnchanged(path: string, before: { bytes: number; mtimeMs: number }): Promise<void> {
  const now = await stat(path).catch(() => undefined);
  if (!now || now.size !== before.bytes || now.mtimeMs !== before.mtimeMs) {
    const size = now ? `${formatBytes(before.bytes)} → ${formatBytes(now.size)}` : 'it was removed';
    throw new KilnError(
      'bad_input',
      `${basename(path)} changed while Kiln was reading it (${size}). Wait until it is completely written, then import it again.`,
      'path',
    );
  }
}

/** The dataset version: a hash of the file's bytes and of the settings that shape the table. */
export async function hashFile(
  path: string,
  bytes: number,
  settings: unknown,
  context?: JobContext,
  reportProgress = true,
): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(settings));
  let seen = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    context?.throwIfCancelled();
    hash.update(chunk as Buffer);
    seen += (chunk as Buffer).length;
    if (!reportProgress) continue;
    context?.progress({
      stage: 'hashing',
      fraction: (seen / bytes) * 0.1,
      message: `Checking ${formatBytes(seen)} of ${formatBytes(bytes)}`,
    });
  }
  return hash.digest('hex').slice(0, 32);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** Per-column counts DuckDB wrote into a Parquet footer, where they are exact for the whole file. */
async function footerCounts(
  connection: DuckDBConnection,
  parquetPath: string,
  width: number,
): Promise<{ missing: (number | undefined)[]; distinct: (number | undefined)[] }> {
  const reader = await connection.runAndReadAll(
    `SELECT row_group_id, column_id, type, stats_null_count, stats_distinct_count FROM parquet_metadata(${quoteLiteral(parquetPath)})`,
  );
  const missing: (number | undefined)[] = Array.from({ length: width }, () => 0);
  const distinct: (number | undefined)[] = Array.from({ length: width }, () => undefined);
  const rowGroups = new Set<number>();
  for (const [rowGroup, columnId, type, nulls, distinctCount] of reader.getRows()) {
    const index = Number(columnId);
    if (!(index >= 0 && index < width)) continue;
    rowGroups.add(Number(rowGroup));
    const known = missing[index];
    missing[index] = nulls === null || known === undefined ? undefined : known + Number(nulls);
    // A dictionary's size is the distinct count of its row group only. Floating-point dictionaries
    // tell 0 from -0, which count(DISTINCT) does not, so those are counted by the query.
    distinct[index] = distinctCount === null || type === 'DOUBLE' || type === 'FLOAT' ? undefined : Number(distinctCount);
  }
  if (rowGroups.size !== 1) distinct.fill(undefined);
  return { missing, distinct };
}

/**
 * Missing and distinct counts per column. The Parquet footer already holds the null counts and,
 * for dictionary-encoded columns of a one-row-group file, the distinct counts: on a 20,000-column
 * file the query that counts the rest is the slow part, so it only counts what the footer lacks.
 */
export async function columnStats(
  connection: DuckDBConnection,
  parquetPath: string,
  names: string[],
  /** Columns to check for missing markers left after trimming (markers with unusual padding), and the markers. */
  markerCheck?: { columns: ReadonlySet<string>; missing: readonly string[] },
): Promise<{ rows: number; missing: number[]; distinct: number[]; markersLeft: string[] }> {
  const relation = `read_parquet(${quoteLiteral(parquetPath)})`;
  // Parquet keeps the row count in its footer: this reads no data.
  const rows = Number((await connection.runAndReadAll(`SELECT count(*) FROM ${relation}`)).getRows()[0]?.[0] ?? 0);
  const footer = await footerCounts(connection, parquetPath, names.length);
  const markers = markerCheck && markerCheck.missing.length > 0 ? markerCheck.missing.map(quoteLiteral).join(', ') : '';
  const checksMarkers = (index: number) => markers !== '' && markerCheck?.columns.has(names[index] ?? '') === true;
  const queried = names
    .map((name, index) => ({ name, index }))
    .filter(({ index }) => footer.missing[index] === undefined || footer.distinct[index] === undefined || checksMarkers(index));
  // Exact distinct counts: on 4.5 M rows DuckDB's count(DISTINCT) took 0.6 s where approx_count_distinct
  // took 1.4 s and was off by one on columns with 8 values, so there is nothing to gain from estimating.
  const counts =
    queried.length === 0
      ? []
      : queried.length === names.length
        ? await perColumn(connection, relation, names, (column, index) => ({
            m: `count(*) - count(${column})`,
            d: `count(DISTINCT ${column})`,
            ...(index >= 0 && checksMarkers(index) ? { k: `count(*) FILTER (WHERE ${column} IN (${markers}))` } : {}),
          }))
        : await perColumn(
            connection,
            `(SELECT ${queried.map(({ name }) => quoteIdent(name)).join(', ')} FROM ${relation})`,
            queried.map(({ name }) => name),
            (column, position) => ({
              m: `count(*) - count(${column})`,
              d: `count(DISTINCT ${column})`,
              ...(position >= 0 && checksMarkers(queried[position]?.index ?? -1)
                ? { k: `count(*) FILTER (WHERE ${column} IN (${markers}))` }
                : {}),
            }),
          );
  const byIndex = new Map(queried.map(({ index }, position) => [index, counts[position] ?? {}]));
  // In the long form a column with no values has no group: all of its cells are missing.
  const missing = names.map((_, index) => {
    const row = byIndex.get(index);
    if (!row) return footer.missing[index] ?? rows;
    return row.m === undefined ? rows : Number(row.m);
  });
  const distinct = names.map((_, index) => {
    const row = byIndex.get(index);
    if (!row) return footer.distinct[index] ?? 0;
    return Number(row.d ?? 0);
  });
  const markersLeft = names.filter((_, index) => Number(byIndex.get(index)?.k ?? 0) > 0);
  return { rows, missing, distinct, markersLeft };
}

/** Runs `sql` while reporting DuckDB's own progress through the file as bytes and (estimated) rows. */
async function runWithProgress(connection: DuckDBConnection, sql: string, report: (percent: number) => void): Promise<number> {
  await connection.run('SET enable_progress_bar = true; SET enable_progress_bar_print = false');
  const timer = setInterval(() => {
    const percent = connection.progress.percentage;
    if (percent >= 0) report(percent);
  }, 200);
  try {
    const result = await connection.run(sql);
    return Number(result.rowsChanged);
  } finally {
    clearInterval(timer);
  }
}

async function readBadRows(connection: DuckDBConnection, table: string): Promise<{ count: number; lines: BadRow[] }> {
  const count = Number((await connection.runAndReadAll(`SELECT count(DISTINCT line) FROM ${quoteIdent(table)}`)).getRows()[0]?.[0] ?? 0);
  if (count === 0) return { count, lines: [] };
  const reader = await connection.runAndReadAll(
    `SELECT line, first(error_message ORDER BY column_idx) AS error, first(csv_line) AS text FROM ${quoteIdent(table)}
     GROUP BY line ORDER BY line LIMIT ${badRowsKept}`,
  );
  const lines = reader.getRowObjectsJson().map((row) => ({
    line: Number(row.line),
    error: String(row.error ?? '').split('\n')[0] ?? '',
    text: String(row.text ?? '').slice(0, 500),
  }));
  return { count, lines };
}

function describeBadRow(row: BadRow): string {
  const found = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(row.error);
  const what = found ? `has ${found[2]} fields where ${found[1]} were expected` : `could not be read (${row.error})`;
  return `line ${row.line} ${what}: ${row.text.slice(0, 120)}`;
}

/** The parts of the options that change what the table holds; roles do not, so they are left out. */
function tableShape(settings: ReadSettings, options: ImportOptions) {
  const types = Object.fromEntries(
    Object.entries(options.columns ?? {})
      .filter(([, column]) => column.type !== undefined)
      .map(([name, column]) => [name, column.type]),
  );
  return {
    reader: 'kiln-csv',
    // 3: non-finite numbers are read as missing, so tables written before are not reused.
    schema: 3,
    dialect: settings.dialect,
    names: settings.names,
    missing: settings.missing,
    types,
    badRows: options.badRows ?? 'skip',
  };
}

/** Files at least this large are hashed while DuckDB reads them; smaller ones first, so a re-import reads nothing else. */
const overlapHashBytes = 200 * 1024 * 1024;
/** Rows read as text to choose each column's type before the one full read. */
const sampleRows = 10_000;
/**
 * Parquet format 2 pages (delta and byte-stream-split encodings) wrote the adult
 * benchmark in 2.0 s where format 1 took 3.3 s; every reader of these files is DuckDB.
 */
const parquetOptions = '(FORMAT parquet, COMPRESSION snappy, PARQUET_VERSION V2)';

interface TableColumn extends InferredColumn {
  overridden: boolean;
}

interface WrittenTable {
  rows: number;
  columns: TableColumn[];
  badRows: { count: number; lines: BadRow[] };
  /** Where the finished table is, in the data folder under a temporary name. */
  path: string;
  stats: { rows: number; missing: number[]; distinct: number[] };
}

interface WriteRequest {
  connection: DuckDBConnection;
  settings: ReadSettings;
  importOptions: ImportOptions;
  context: JobContext;
  bytes: number;
  rejects: string;
  /** A new temporary file name in the data folder; every name given is removed unless it is committed. */
  scratch: () => string;
  /** A new temporary file name in the tmp folder, removed at the end of the import. */
  staging: () => string;
}

/**
 * How one column is read in the single pass over the CSV. Numbers the sample
 * settles are converted while reading; every other column is read as trimmed
 * text, and typed again over all rows of the written table when the sample
 * cannot settle its type (no values, dates, booleans, thousands separators,
 * mixed values, or an override).
 */
interface ColumnPlan {
  name: string;
  source: string;
  mode: 'bigint' | 'double' | 'text';
  retype: boolean;
  sample: InferredColumn;
  override: ColumnType | undefined;
}

function planColumns(settings: ReadSettings, sampled: InferredColumn[], importOptions: ImportOptions): ColumnPlan[] {
  return settings.names.map((name, index) => {
    const sample = sampled[index] ?? { name, type: 'VARCHAR', thousands: false, present: 0, numbers: 0, notes: [] };
    const override = importOptions.columns?.[name]?.type;
    const numeric = sample.type === 'BIGINT' || sample.type === 'DOUBLE';
    const direct = numeric && sample.present > 0 && !sample.thousands && (override === undefined || override === sample.type);
    const mode = direct ? (sample.type === 'BIGINT' ? 'bigint' : 'double') : 'text';
    const retype =
      !direct &&
      (sample.type !== 'VARCHAR' || sample.present === 0 || sample.numbers > 0 || (override !== undefined && override !== 'VARCHAR'));
    return { name, source: settings.sourceNames[index] ?? name, mode, retype, sample, override };
  });
}

/**
 * The expression that reads one raw cell. DuckDB's CSV reader and its casts
 * round `2.5` to an integer, so a whole-number column fails loudly on a decimal
 * point, and the import reads the file again with that column as text.
 */
function readExpression(plan: ColumnPlan): string {
  const source = quoteIdent(plan.source);
  if (plan.mode === 'bigint') {
    return `CASE WHEN contains(${source}, '.') THEN error(${quoteLiteral(`kiln: ${plan.name} is not a whole-number column`)}) ELSE CAST(${source} AS BIGINT) END`;
  }
  if (plan.mode === 'double') return `CAST(${source} AS DOUBLE)`;
  return `trim(${source})`;
}

function markerNull(column: string, missing: readonly string[]): string {
  if (missing.length === 0) return quoteIdent(column);
  return `CASE WHEN ${quoteIdent(column)} IN (${missing.map(quoteLiteral).join(', ')}) THEN NULL ELSE ${quoteIdent(column)} END`;
}

async function dropRejects(connection: DuckDBConnection, rejects: string): Promise<void> {
  await connection.run(`DROP TABLE IF EXISTS ${quoteIdent(rejects)}; DROP TABLE IF EXISTS ${quoteIdent(`${rejects}_scan`)}`);
}

/** Bad rows from the rejects table; fails when the user chose to stop at them or when no row was readable. */
async function takeBadRows(request: WriteRequest, rows: number): Promise<{ count: number; lines: BadRow[] }> {
  const { connection, rejects, settings, importOptions } = request;
  const name = settings.fileName;
  const badRows = await readBadRows(connection, rejects);
  await dropRejects(connection, rejects);
  const firstBad = badRows.lines[0];
  if ((importOptions.badRows ?? 'skip') === 'stop' && firstBad) {
    throw new KilnError(
      'bad_input',
      `${name} has ${badRows.count.toLocaleString('en-US')} bad row${badRows.count === 1 ? '' : 's'}: ${describeBadRow(firstBad)}. Fix the file, or choose to skip bad rows.`,
      'badRows',
    );
  }
  if (rows === 0) {
    throw new KilnError(
      'bad_input',
      badRows.count > 0
        ? `${name} has no readable rows: all ${badRows.count.toLocaleString('en-US')} rows have the wrong number of fields (${describeBadRow(firstBad ?? { line: 0, error: '', text: '' })}).`
        : `${name} has a header but no rows of data.`,
      'path',
    );
  }
  return badRows;
}

function readingProgress(request: WriteRequest, started: number, label = '') {
  const { bytes, settings, context } = request;
  return (percent: number, overall = percent / 100) => {
    const done = (bytes * Math.min(100, Math.max(0, percent))) / 100;
    const seconds = (performance.now() - started) / 1000;
    // Compressed files have no row estimate: their bytes say little about their rows.
    const rows = settings.bytesPerRow === undefined ? undefined : Math.round(done / settings.bytesPerRow);
    const rate = rows !== undefined && seconds > 1 && !label ? ` · ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s` : '';
    context.progress({
      stage: 'reading',
      fraction: 0.1 + overall * 0.7,
      message: `Read ${formatBytes(done)} of ${formatBytes(bytes)}${settings.compression === 'none' ? '' : ' (compressed)'}${rows === undefined ? '' : ` · about ${rows.toLocaleString('en-US')} rows`}${rate}${label}`,
    });
  };
}

/**
 * The job's progress, never moving backwards: DuckDB's percentage can dip
 * between queries, and the stages of the narrow and wide paths end at different points.
 */
function forwardOnly(context: JobContext): JobContext {
  let highest = 0;
  return {
    jobId: context.jobId,
    signal: context.signal,
    throwIfCancelled: () => context.throwIfCancelled(),
    progress: (update) => {
      highest = Math.max(highest, update.fraction ?? highest);
      context.progress({ ...update, fraction: highest });
    },
  };
}

/** The types of the first rows, by the same rules the import applies to every row. */
async function sampleTypes(connection: DuckDBConnection, settings: ReadSettings, jobId: string): Promise<InferredColumn[]> {
  const table = `kiln_sample_${jobId.replace(/\W/g, '_')}`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} AS SELECT ${cleanedSelect(settings)} FROM ${csvSource(settings, 'ignore_errors = true')} LIMIT ${sampleRows}`,
  );
  try {
    return await inferColumnTypes(connection, quoteIdent(table), settings.names);
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
  }
}

/**
 * Narrow files (up to `columnsPerGroup` columns) in one streaming pass over the
 * CSV: DuckDB's reader turns the missing markers into NULL, text is trimmed, and
 * the numbers a sample of the first rows settles are converted on the way to
 * Parquet. Only the columns the sample cannot settle are typed again, from the
 * columnar copy, which is much cheaper than a second parse of the CSV.
 */
async function writeNarrow(request: WriteRequest): Promise<WrittenTable> {
  const { connection, settings, importOptions, context, rejects } = request;
  context.progress({
    stage: 'sampling',
    fraction: 0.1,
    message: `Choosing types from the first ${sampleRows.toLocaleString('en-US')} rows`,
  });
  let plans = planColumns(settings, await sampleTypes(connection, settings, context.jobId), importOptions);
  context.throwIfCancelled();

  const errors = `${nullstrOption(settings.missing)}, store_rejects = true, rejects_table = ${quoteLiteral(rejects)}, rejects_scan = ${quoteLiteral(`${rejects}_scan`)}`;
  const started = performance.now();
  const cannotRead = (error: unknown) => {
    if (context.signal.aborted) return new KilnError('cancelled', 'Import cancelled.');
    return describeCsvError(settings, error);
  };
  const readOnce = async (label: string): Promise<{ path: string; rows: number }> => {
    const path = request.scratch();
    const select = plans.map((plan) => `${readExpression(plan)} AS ${quoteIdent(plan.name)}`).join(', ');
    const rows = await runWithProgress(
      connection,
      `COPY (SELECT ${select} FROM ${csvSource(settings, errors)}) TO ${quoteLiteral(path)} ${parquetOptions}`,
      readingProgress(request, started, label),
    );
    return { path, rows };
  };
  let first: { path: string; rows: number } | undefined;
  try {
    first = await readOnce('');
  } catch (error) {
    if (context.signal.aborted || plans.every((plan) => plan.mode === 'text')) throw cannotRead(error);
    // A value further down did not fit the type the first rows suggested: read every number column
    // as text this time, and type it over all rows below.
    await dropRejects(connection, rejects);
    plans = plans.map((plan) => (plan.mode === 'text' ? plan : { ...plan, mode: 'text', retype: true }));
  }
  let read = first;
  if (!read) {
    try {
      read = await readOnce(' · again, with numbers read as text');
    } catch (error) {
      throw cannotRead(error);
    }
  }
  const { path, rows } = read;
  context.throwIfCancelled();
  const badRows = await takeBadRows(request, rows);

  const textColumns = new Set(plans.filter((plan) => plan.mode === 'text' && !plan.retype).map((plan) => plan.name));
  const names = plans.map((plan) => plan.name);
  const retyped = plans.filter((plan) => plan.retype);
  context.progress({ stage: 'counting', fraction: 0.8, message: 'Counting missing and distinct values' });
  // A marker with unusual padding (`?  `) is text until trimmed: the stats pass looks for them.
  let stats = await columnStats(connection, path, names, { columns: textColumns, missing: settings.missing });
  const markersLeft = new Set(stats.markersLeft);
  context.throwIfCancelled();

  const settled = (plan: ColumnPlan): TableColumn => ({
    name: plan.name,
    type: plan.mode === 'bigint' ? 'BIGINT' : plan.mode === 'double' ? 'DOUBLE' : 'VARCHAR',
    thousands: false,
    present: -1,
    numbers: 0,
    notes: [],
    overridden: false,
  });
  if (retyped.length === 0 && markersLeft.size === 0) {
    return { rows, columns: plans.map(settled), badRows, path, stats };
  }

  // The columns the sample could not settle, typed over every row of the columnar copy and rewritten.
  context.progress({
    stage: 'typing',
    fraction: 0.82,
    message: `Choosing types for ${retyped.length.toLocaleString('en-US')} column${retyped.length === 1 ? '' : 's'} over all ${rows.toLocaleString('en-US')} rows`,
  });
  const cleaned = plans
    .map((plan) =>
      plan.retype || markersLeft.has(plan.name)
        ? `${markerNull(plan.name, settings.missing)} AS ${quoteIdent(plan.name)}`
        : quoteIdent(plan.name),
    )
    .join(', ');
  const relation = `(SELECT ${cleaned} FROM read_parquet(${quoteLiteral(path)}))`;
  const inferred = new Map(
    (
      await inferColumnTypes(
        connection,
        relation,
        retyped.map((plan) => plan.name),
      )
    ).map((column) => [column.name, column]),
  );
  context.throwIfCancelled();
  const columns = plans.map((plan): TableColumn => {
    const column = inferred.get(plan.name);
    if (!column) return settled(plan);
    if (!plan.override || plan.override === column.type) return { ...column, overridden: false };
    return { ...column, type: plan.override, thousands: column.thousands && plan.override !== 'VARCHAR', overridden: true };
  });
  const typedPath = request.scratch();
  const select = columns.map((column) => `${castExpression(column)} AS ${quoteIdent(column.name)}`).join(', ');
  await connection.run(`COPY (SELECT ${select} FROM ${relation}) TO ${quoteLiteral(typedPath)} ${parquetOptions}`);
  await rm(path, { force: true });
  context.throwIfCancelled();
  stats = await columnStats(connection, typedPath, names);
  return { rows, columns, badRows, path: typedPath, stats };
}

/**
 * Wide files in groups of columns: DuckDB plans thousands of expressions in one
 * SELECT very slowly. Each group is parsed to a trimmed text copy, types are
 * chosen over every row of those copies, and the typed table is written from them.
 */
async function writeWide(request: WriteRequest): Promise<WrittenTable> {
  const { connection, settings, importOptions, context, rejects } = request;
  const groups = columnGroups(settings);
  const stagedPaths: string[] = [];
  const raw = `kiln_raw_${context.jobId.replace(/\W/g, '_')}`;
  const started = performance.now();
  // The CSV is parsed once, as text, into a temporary table (which spills to the tmp folder when
  // large): parsing it again for every group of columns cost 40 parses of every column.
  try {
    await runWithProgress(
      connection,
      `CREATE OR REPLACE TEMP TABLE ${quoteIdent(raw)} AS SELECT * FROM ${csvSource(settings, `store_rejects = true, rejects_table = ${quoteLiteral(rejects)}, rejects_scan = ${quoteLiteral(`${rejects}_scan`)}`)}`,
      (percent) => readingProgress(request, started)(percent, (percent / 100) * 0.6),
    );
  } catch (error) {
    if (context.signal.aborted) throw new KilnError('cancelled', 'Import cancelled.');
    throw describeCsvError(settings, error);
  }
  context.throwIfCancelled();
  let staged: number;
  try {
    staged = Number((await connection.runAndReadAll(`SELECT count(*) FROM ${quoteIdent(raw)}`)).getRows()[0]?.[0] ?? 0);
    for (const [groupIndex, group] of groups.entries()) {
      const stagedPath = request.staging();
      stagedPaths.push(stagedPath);
      context.progress({
        stage: 'reading',
        fraction: 0.1 + (0.6 + ((groupIndex + 1) / groups.length) * 0.25) * 0.7,
        message: `Trimming columns ${(group[0] ?? 0) + 1}–${(group.at(-1) ?? 0) + 1} of ${settings.names.length.toLocaleString('en-US')}`,
      });
      await connection.run(
        `COPY (SELECT ${cleanedSelect(settings, group)} FROM ${quoteIdent(raw)}) TO ${quoteLiteral(stagedPath)} (FORMAT parquet, COMPRESSION snappy)`,
      );
      context.throwIfCancelled();
    }
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${quoteIdent(raw)}`);
  }
  const badRows = await takeBadRows(request, staged);

  context.progress({
    stage: 'typing',
    fraction: 0.72,
    message: `Choosing column types for ${settings.names.length.toLocaleString('en-US')} columns`,
  });
  const inferred: InferredColumn[] = [];
  for (const [groupIndex, group] of groups.entries()) {
    inferred.push(
      ...(await inferColumnTypes(
        connection,
        `read_parquet(${quoteLiteral(stagedPaths[groupIndex] ?? '')})`,
        group.map((index) => settings.names[index] ?? ''),
      )),
    );
    context.throwIfCancelled();
  }
  // The groups' rows line up, so they are joined by position.
  const stagedRelation = `(SELECT * FROM ${stagedPaths.map((path) => `read_parquet(${quoteLiteral(path)})`).join(' POSITIONAL JOIN ')})`;
  const columns: TableColumn[] = inferred.map((column) => {
    const override: ColumnType | undefined = importOptions.columns?.[column.name]?.type;
    if (!override || override === column.type) return { ...column, overridden: false };
    return { ...column, type: override, thousands: column.thousands && override !== 'VARCHAR', overridden: true };
  });
  context.progress({ stage: 'writing', fraction: 0.8, message: `Writing ${staged.toLocaleString('en-US')} rows to Parquet` });
  const path = request.scratch();
  const select = columns.map((column) => `${castExpression(column)} AS ${quoteIdent(column.name)}`).join(', ');
  await connection.run(`COPY (SELECT ${select} FROM ${stagedRelation}) TO ${quoteLiteral(path)} ${parquetOptions}`);
  context.throwIfCancelled();
  context.progress({ stage: 'counting', fraction: 0.86, message: 'Counting missing and distinct values' });
  const stats = await columnStats(
    connection,
    path,
    columns.map((column) => column.name),
  );
  return { rows: staged, columns, badRows, path, stats };
}

/**
 * `inf`, `-inf`, `nan`, `Infinity` and numbers beyond the double range (`1e999`) read as
 * non-finite doubles, which no statistic or model can use: they become missing, with a
 * note per column, as the missing markers do. `1e308` is a finite number and is kept.
 */
async function dropNonFinite(request: WriteRequest, written: WrittenTable): Promise<{ written: WrittenTable; notes: ColumnNote[] }> {
  const { connection } = request;
  const doubles = written.columns.filter((column) => column.type === 'DOUBLE').map((column) => column.name);
  if (doubles.length === 0) return { written, notes: [] };
  const relation = `(SELECT ${doubles.map(quoteIdent).join(', ')} FROM read_parquet(${quoteLiteral(written.path)}))`;
  // TRY_CAST keeps one template for both forms: the long form reads every value as text.
  const counts = await perColumn(connection, relation, doubles, (column) => ({
    f: `count(*) FILTER (WHERE NOT isfinite(TRY_CAST(${column} AS DOUBLE)))`,
  }));
  const found = new Map(
    doubles.map((name, index) => [name, Number(counts[index]?.f ?? 0)]).filter(([, count]) => Number(count) > 0) as [string, number][],
  );
  if (found.size === 0) return { written, notes: [] };
  request.context.throwIfCancelled();
  const path = request.scratch();
  const select = written.columns
    .map((column) =>
      found.has(column.name)
        ? `CASE WHEN isfinite(${quoteIdent(column.name)}) THEN ${quoteIdent(column.name)} END AS ${quoteIdent(column.name)}`
        : quoteIdent(column.name),
    )
    .join(', ');
  await connection.run(
    `COPY (SELECT ${select} FROM read_parquet(${quoteLiteral(written.path)})) TO ${quoteLiteral(path)} ${parquetOptions}`,
  );
  await rm(written.path, { force: true });
  const stats = await columnStats(
    connection,
    path,
    written.columns.map((column) => column.name),
  );
  const notes = [...found].map(([column, count]) => ({
    column,
    message: `${count.toLocaleString('en-US')} value${count === 1 ? ' was not a finite number' : 's were not finite numbers'} (inf, -inf or nan) in ${column} and ${count === 1 ? 'is' : 'are'} read as missing.`,
  }));
  return { written: { ...written, path, stats }, notes };
}

/**
 * Reads a CSV with DuckDB and writes it as an immutable Parquet file named by its version.
 *
 * Parsing streams, so memory does not grow with the file. Bad rows are counted
 * through DuckDB's rejects table. The version (a hash of the bytes) is taken
 * first for small files, so a re-import reads nothing else; large files are
 * hashed while DuckDB reads them, and the new copy is dropped if the version exists.
 */
export async function importCsv(options: {
  pool: DuckPool;
  path: string;
  dataDir: string;
  tmpDir: string;
  context: JobContext;
  options?: ImportOptions;
  findVersion: (version: string) => DatasetVersion | undefined;
}): Promise<ImportedTable> {
  const { pool, path, dataDir, tmpDir } = options;
  const context = forwardOnly(options.context);
  const importOptions = options.options ?? {};
  const started = performance.now();
  const before = await checkCsvFile(path);
  const { bytes } = before;
  // Every temporary file this import names; whatever is left of them is removed at the end.
  const temporary: string[] = [];
  const tempName = (dir: string, suffix: string) => {
    const name = join(dir, `.${context.jobId}.${randomBytes(6).toString('hex')}.${suffix}`);
    temporary.push(name);
    return name;
  };
  let hashing: Promise<string> | undefined;
  let readSettings: ReadSettings | undefined;

  try {
    return await pool.with(context.signal, async (connection) => {
      context.progress({ stage: 'sniffing', fraction: 0, message: 'Detecting separator, header and encoding' });
      const settings = await resolveReadSettings(connection, path, importOptions, tmpDir);
      readSettings = settings;
      const shape = tableShape(settings, importOptions);
      const roleOf = (name: string) => importOptions.columns?.[name]?.role ?? 'feature';
      const badMode = importOptions.badRows ?? 'skip';

      const reuse = async (existing: DatasetVersion): Promise<ImportedTable> => {
        const stats = await columnStats(
          connection,
          existing.storagePath,
          existing.columns.map((column) => column.name),
        );
        return {
          version: existing.version,
          storagePath: existing.storagePath,
          rowCount: existing.rowCount,
          columns: existing.columns,
          reused: true,
          report: {
            dialect: settings.dialect,
            missing: settings.missing,
            badRows: { mode: badMode, count: 0, lines: [] },
            renamed: settings.renamed,
            notes: [],
            columns: existing.columns.map((column, index) => ({
              name: column.name,
              type: column.type,
              role: roleOf(column.name),
              missing: stats.missing[index] ?? 0,
              distinct: stats.distinct[index] ?? 0,
            })),
            reused: true,
            seconds: (performance.now() - started) / 1000,
          },
        };
      };

      let version: string | undefined;
      if (bytes < overlapHashBytes) {
        version = await hashFile(path, bytes, shape, context);
        await assertUnchanged(path, before);
        const existing = options.findVersion(version);
        if (existing) return reuse(existing);
      } else {
        hashing = hashFile(path, bytes, shape, context, false);
        // It is awaited after the read; until then this keeps a failure (a cancel) from going unhandled.
        hashing.catch(() => undefined);
      }

      const request: WriteRequest = {
        connection,
        settings,
        importOptions,
        context,
        bytes,
        rejects: `kiln_rejects_${context.jobId.replace(/\W/g, '_')}`,
        scratch: () => tempName(dataDir, 'parquet.tmp'),
        staging: () => tempName(tmpDir, 'staged.parquet'),
      };
      const { written, notes: nonFiniteNotes } = await dropNonFinite(
        request,
        settings.names.length > columnsPerGroup ? await writeWide(request) : await writeNarrow(request),
      );
      context.throwIfCancelled();

      if (version === undefined) {
        context.progress({ stage: 'hashing', fraction: 0.9, message: 'Finishing the version hash' });
        version = hashing ? await hashing : await hashFile(path, bytes, shape, context);
        const existing = options.findVersion(version);
        if (existing) {
          await assertUnchanged(path, before);
          return reuse(existing);
        }
      }
      const finalVersion = version;

      const { stats } = written;
      const notes: ColumnNote[] = [];
      written.columns.forEach((column, index) => {
        for (const message of column.notes) notes.push({ column: column.name, message });
        const lost = column.present - (stats.rows - (stats.missing[index] ?? 0));
        if (column.overridden && lost > 0) {
          notes.push({
            column: column.name,
            message: `${lost.toLocaleString('en-US')} values could not be read as ${column.type} and are now missing.`,
          });
        }
      });
      notes.push(...nonFiniteNotes);
      await assertUnchanged(path, before);
      context.throwIfCancelled();
      const storagePath = join(dataDir, `${finalVersion}.parquet`);
      await rename(written.path, storagePath);
      const columns = written.columns.map(({ name, type }) => ({ name, type }));
      return {
        version: finalVersion,
        storagePath,
        rowCount: stats.rows,
        columns,
        reused: false,
        report: {
          dialect: settings.dialect,
          missing: settings.missing,
          badRows: { mode: badMode, count: written.badRows.count, lines: written.badRows.lines },
          renamed: settings.renamed,
          notes,
          columns: columns.map((column, index) => ({
            ...column,
            role: roleOf(column.name),
            missing: stats.missing[index] ?? 0,
            distinct: stats.distinct[index] ?? 0,
          })),
          reused: false,
          seconds: (performance.now() - started) / 1000,
        },
      };
    });
  } catch (error) {
    if (context.signal.aborted) throw new KilnError('cancelled', 'Import cancelled.');
    throw error;
  } finally {
    // The hash may still be reading when the import failed; wait so no read outlives the job.
    await hashing?.catch(() => undefined);
    await releaseReadSettings(readSettings);
    await Promise.all(temporary.map((name) => rm(name, { force: true })));
  }
}
