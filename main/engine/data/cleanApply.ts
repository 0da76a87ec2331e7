/** Writes the result of cleaning steps as an immutable Parquet table named by its version. */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CleanStep } from '../../../shared/recipe.js';
import { pendingFile } from '../workspace/files.js';
import { compileClean, type CompiledClean, type Fitted } from './clean.js';
import type { DatasetVersion } from '../workspace/repositories.js';
import { quoteLiteral } from './sql.js';

/** Bumped when the compiled SQL of an existing step changes meaning, so old versions are not reused by mistake. */
const cleanCompilerVersion = 1;

/** What decides the result: ids, notes and disabled steps change nothing, so they are left out. */
export function effectiveSteps(steps: CleanStep[]): unknown[] {
  return steps
    .filter((step) => step.enabled)
    .map((step) => {
      const { id: _id, note: _note, enabled: _enabled, ...settings } = step;
      return settings;
    });
}

/** The version of a derived table: a hash of its parent's version and of the steps. */
export function cleanVersion(parentVersion: string, steps: CleanStep[]): string {
  return createHash('sha256')
    .update(JSON.stringify({ kind: 'clean', compiler: cleanCompilerVersion, parent: parentVersion, steps: effectiveSteps(steps) }))
    .digest('hex')
    .slice(0, 32);
}

export interface CleanDerivation {
  kind: 'clean';
  steps: CleanStep[];
  /** What each fitted step learnt, by step id: the export needs these to rebuild the same preprocessing. */
  fitted: Record<string, Fitted>;
}

export function derivationOf(compiled: CompiledClean): CleanDerivation {
  const fitted: Record<string, Fitted> = {};
  for (const entry of compiled.steps) if (entry.fitted) fitted[entry.step.id] = entry.fitted;
  return { kind: 'clean', steps: compiled.steps.map((entry) => entry.step), fitted };
}

/** COPYs a query to Parquet through a pending file, so a failed or cancelled write leaves nothing. */
export async function writeParquet(connection: DuckDBConnection, query: string, finalPath: string): Promise<number> {
  const pending = await pendingFile(finalPath);
  try {
    await connection.run(`COPY (${query}) TO ${quoteLiteral(pending.tempPath)} (FORMAT parquet, COMPRESSION zstd)`);
    const reader = await connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${quoteLiteral(pending.tempPath)})`);
    const rows = Number(reader.getRows()[0]?.[0] ?? 0);
    await pending.commit();
    return rows;
  } catch (error) {
    await pending.abort();
    throw error;
  }
}

/**
 * Cleans the table at `parent.storagePath` with `steps` into `dataDir`. When the
 * version already exists it is returned as is, without compiling anything.
 */
export async function writeCleanTable(
  connection: DuckDBConnection,
  options: {
    parent: Pick<DatasetVersion, 'version' | 'storagePath'>;
    steps: CleanStep[];
    dataDir: string;
    findVersion: (version: string) => DatasetVersion | undefined;
    fitPath?: string;
    /** Extra input to the version hash, e.g. the table the values were learnt from. */
    versionSalt?: string;
    onStep?: (index: number) => void;
  },
): Promise<{ table: DatasetVersion; reused: boolean }> {
  const version = cleanVersion(options.parent.version + (options.versionSalt ?? ''), options.steps);
  const existing = options.findVersion(version);
  if (existing) {
    return {
      table: { ...existing, parentVersion: existing.parentVersion ?? options.parent.version, derivation: existing.derivation },
      reused: true,
    };
  }
  const compiled = await compileClean(connection, {
    path: options.parent.storagePath,
    steps: options.steps,
    ...(options.fitPath ? { fitPath: options.fitPath } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
  });
  const storagePath = join(options.dataDir, `${version}.parquet`);
  const rowCount = await writeParquet(connection, compiled.chain.resultQuery(), storagePath);
  return {
    table: {
      version,
      storagePath,
      rowCount,
      columns: compiled.columns,
      parentVersion: options.parent.version,
      derivation: derivationOf(compiled),
    },
    reused: false,
  };
}
