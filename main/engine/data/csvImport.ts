import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnInfo } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import type { JobContext } from '../jobs/jobs.js';
import { pendingFile } from '../workspace/files.js';
import type { DuckPool } from './duckdb.js';
import { quoteIdent, quoteLiteral, sqlList } from './sql.js';

/** Cells that mean "missing" in real files. Compared after trimming spaces. */
export const defaultMissingMarkers = ['', '?', 'NA', 'N/A', 'null', 'NULL'];

export interface StoredTable {
  version: string;
  storagePath: string;
  rowCount: number;
  columns: ColumnInfo[];
  reused: boolean;
}

/** Rejects what is plainly not a CSV before DuckDB sees it, with a message a person can act on. */
export async function checkCsvFile(path: string): Promise<{ bytes: number }> {
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
    if (looksBinary(head)) {
      throw new KilnError(
        'bad_input',
        `${basename(path)} is not a CSV file: it contains binary data. Export it as CSV (comma, semicolon or tab separated text) and try again.`,
        'path',
      );
    }
  } finally {
    await handle.close();
  }
  return { bytes: info.size };
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

/** The dataset version: a hash of the file's bytes and of the settings that shape the table. */
export async function hashFile(path: string, bytes: number, settings: unknown, context?: JobContext): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(settings));
  let seen = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    context?.throwIfCancelled();
    hash.update(chunk as Buffer);
    seen += (chunk as Buffer).length;
    context?.progress({
      stage: 'hashing',
      fraction: (seen / bytes) * 0.2,
      message: `Reading ${formatBytes(seen)} of ${formatBytes(bytes)}`,
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

interface SniffedColumn {
  name: string;
  type: string;
}

async function describe(connection: DuckDBConnection, relation: string): Promise<SniffedColumn[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
  return reader.getRowObjectsJson().map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
}

/**
 * Reads a CSV with DuckDB's sniffer and writes it as an immutable Parquet file
 * named by its version. Text cells are trimmed and the missing markers become NULL;
 * columns are then re-typed, so a number column with `?` cells is still a number.
 */
export async function importCsv(options: {
  pool: DuckPool;
  path: string;
  dataDir: string;
  context: JobContext;
  findVersion: (version: string) => StoredTable | undefined;
}): Promise<StoredTable> {
  const { pool, path, dataDir, context } = options;
  const { bytes } = await checkCsvFile(path);
  const settings = { reader: 'duckdb-read_csv', trim: true, missing: defaultMissingMarkers, schema: 1 };
  const version = await hashFile(path, bytes, settings, context);
  const existing = options.findVersion(version);
  if (existing) return { ...existing, reused: true };

  const storagePath = join(dataDir, `${version}.parquet`);
  const pending = await pendingFile(storagePath);
  try {
    const result = await pool.with(context.signal, async (connection) => {
      context.progress({ stage: 'sniffing', fraction: 0.2, message: 'Detecting separator, header and types' });
      const source = `read_csv(${quoteLiteral(path)}, all_varchar = true, sample_size = 20480)`;
      let raw: SniffedColumn[];
      try {
        raw = await describe(connection, source);
      } catch (error) {
        throw new KilnError('bad_input', `Kiln could not read ${basename(path)} as CSV: ${firstLine(error)}`, 'path');
      }
      const cleaned = raw
        .map(({ name }) => {
          const trimmed = `trim(${quoteIdent(name)})`;
          return `CASE WHEN ${trimmed} IN (SELECT unnest(${sqlList(defaultMissingMarkers)})) THEN NULL ELSE ${trimmed} END AS ${quoteIdent(name)}`;
        })
        .join(', ');
      await connection.run(`CREATE TEMP TABLE staged AS SELECT ${cleaned} FROM ${source}`);
      context.throwIfCancelled();
      context.progress({ stage: 'typing', fraction: 0.7, message: 'Choosing column types' });
      const typed = await inferTypes(
        connection,
        raw.map((column) => column.name),
      );
      const rowCount = Number((await connection.runAndReadAll('SELECT count(*) AS n FROM staged')).getRowsJson()[0]?.[0] ?? 0);
      if (rowCount === 0) {
        throw new KilnError('bad_input', `${basename(path)} has a header but no rows of data.`, 'path');
      }
      context.progress({ stage: 'writing', fraction: 0.8, message: `Writing ${rowCount.toLocaleString('en-US')} rows to Parquet` });
      const select = typed
        .map((column) => `TRY_CAST(${quoteIdent(column.name)} AS ${column.type}) AS ${quoteIdent(column.name)}`)
        .join(', ');
      await connection.run(`COPY (SELECT ${select} FROM staged) TO ${quoteLiteral(pending.tempPath)} (FORMAT parquet, COMPRESSION zstd)`);
      await connection.run('DROP TABLE staged');
      return { rowCount, columns: typed };
    });
    context.throwIfCancelled();
    await pending.commit();
    return { version, storagePath, rowCount: result.rowCount, columns: result.columns, reused: false };
  } catch (error) {
    await pending.abort();
    if (context.signal.aborted) throw new KilnError('cancelled', 'Import cancelled.');
    throw error;
  }
}

/** For each text column, the narrowest type that every non-missing value converts to. */
async function inferTypes(connection: DuckDBConnection, names: string[]): Promise<ColumnInfo[]> {
  const candidates = ['BIGINT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP'];
  const checks = names.flatMap((name, index) =>
    candidates.map(
      (type) => `bool_and(TRY_CAST(${quoteIdent(name)} AS ${type}) IS NOT NULL OR ${quoteIdent(name)} IS NULL) AS "c${index}_${type}"`,
    ),
  );
  const nonNull = names.map((name, index) => `count(${quoteIdent(name)}) AS "n${index}"`);
  const row = (await connection.runAndReadAll(`SELECT ${[...checks, ...nonNull].join(', ')} FROM staged`)).getRowObjectsJson()[0] ?? {};
  return names.map((name, index) => {
    if (Number(row[`n${index}`] ?? 0) === 0) return { name, type: 'VARCHAR' };
    const type = candidates.find((candidate) => row[`c${index}_${candidate}`] === true) ?? 'VARCHAR';
    return { name, type };
  });
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
