/** Writes a stored table out as Parquet or CSV, atomically: the file appears only when complete. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { KilnError } from '../../../shared/errors.js';
import { pendingFile } from '../workspace/files.js';
import { quoteLiteral } from './sql.js';

export type TableFormat = 'parquet' | 'csv';

/** The format a file name asks for, or undefined when its extension says nothing. */
export function formatFromPath(path: string): TableFormat | undefined {
  if (/\.parquet$/i.test(path)) return 'parquet';
  if (/\.csv$/i.test(path)) return 'csv';
  return undefined;
}

export async function exportTable(
  connection: DuckDBConnection,
  options: { storagePath: string; format: TableFormat; path: string },
): Promise<{ path: string; rows: number; bytes: number }> {
  const target = resolve(options.path);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new KilnError('bad_input', `${target} is a folder; give a file name to write to.`, 'path');
  const pending = await pendingFile(target).catch((error: unknown) => {
    throw new KilnError('bad_input', `Cannot write to ${target}: ${error instanceof Error ? error.message : String(error)}`, 'path');
  });
  try {
    const copyOptions = options.format === 'csv' ? '(FORMAT csv, HEADER true)' : '(FORMAT parquet, COMPRESSION zstd)';
    await connection.run(
      `COPY (SELECT * FROM read_parquet(${quoteLiteral(options.storagePath)})) TO ${quoteLiteral(pending.tempPath)} ${copyOptions}`,
    );
    const rows = Number(
      (await connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${quoteLiteral(options.storagePath)})`)).getRows()[0]?.[0] ?? 0,
    );
    const { size } = await stat(pending.tempPath);
    await pending.commit();
    return { path: target, rows, bytes: size };
  } catch (error) {
    await pending.abort();
    if (error instanceof KilnError) throw error;
    throw new KilnError(
      'bad_input',
      `Cannot write ${target}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      'path',
    );
  }
}
