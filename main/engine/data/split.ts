/**
 * Train/validation/test splits. Rows are ordered by a hash of their row number
 * and the seed (not random()), so the same seed always gives the same split;
 * with stratification the cut is made within each target class, so every
 * split keeps the class shares of the whole table.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnInfo } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import type { SplitSettings } from '../../../shared/recipe.js';
import { describeQuery, isNumericType, numberedSource, rowColumn } from './clean.js';
import type { DatasetVersion } from '../workspace/repositories.js';
import { writeParquet } from './cleanApply.js';
import { quoteIdent } from './sql.js';

export type SplitPartName = 'train' | 'valid' | 'test';

const keyColumn = '__kiln_split_key';
const rankColumn = '__kiln_split_rank';
const countColumn = '__kiln_split_count';
const partColumn = '__kiln_split_part';

/** Classification when the target holds text or booleans, or few distinct numbers. */
export async function inferTask(
  connection: DuckDBConnection,
  source: string,
  target: ColumnInfo,
): Promise<'classification' | 'regression'> {
  if (!isNumericType(target.type)) return 'classification';
  const reader = await connection.runAndReadAll(`WITH s AS (${source}) SELECT count(DISTINCT ${quoteIdent(target.name)}) FROM s`);
  return Number(reader.getRows()[0]?.[0] ?? 0) <= 20 ? 'classification' : 'regression';
}

export function splitVersion(sourceVersion: string, settings: SplitSettings, part: SplitPartName, extra = ''): string {
  return createHash('sha256')
    .update(JSON.stringify({ kind: 'split', source: sourceVersion, settings, part, extra }))
    .digest('hex')
    .slice(0, 32);
}

/** The SELECT that labels every row of `source` with its part. */
export function assignmentQuery(
  source: string,
  fractions: { train: number; valid: number },
  seed: number,
  stratifyBy: string | null,
): string {
  const partition = stratifyBy === null ? '' : `PARTITION BY ${quoteIdent(stratifyBy)} `;
  const row = quoteIdent(rowColumn);
  return `WITH kiln_source AS (${source}),
kiln_keyed AS (SELECT *, hash(${row}, ${seed}) AS ${quoteIdent(keyColumn)} FROM kiln_source),
kiln_ranked AS (
  SELECT *,
    row_number() OVER (${partition}ORDER BY ${quoteIdent(keyColumn)}, ${row}) AS ${quoteIdent(rankColumn)},
    count(*) OVER (${partition.trim()}) AS ${quoteIdent(countColumn)}
  FROM kiln_keyed
)
SELECT *, CASE
  WHEN ${quoteIdent(rankColumn)} <= round(${quoteIdent(countColumn)} * ${fractions.train}) THEN 'train'
  WHEN ${quoteIdent(rankColumn)} <= round(${quoteIdent(countColumn)} * ${fractions.train + fractions.valid}) THEN 'valid'
  ELSE 'test' END AS ${quoteIdent(partColumn)}
FROM kiln_ranked`;
}

export interface WrittenSplit {
  settings: SplitSettings;
  train: DatasetVersion;
  valid: DatasetVersion | null;
  test: DatasetVersion | null;
}

/**
 * Splits the table at `source.storagePath`. With `testTable` (an already
 * cleaned separate test file) the table is cut into train and valid only.
 */
export async function writeSplit(
  connection: DuckDBConnection,
  options: {
    source: Pick<DatasetVersion, 'version' | 'storagePath' | 'columns'>;
    settings: SplitSettings;
    dataDir: string;
    findVersion: (version: string) => DatasetVersion | undefined;
    testTable?: DatasetVersion;
    onPart?: (part: SplitPartName) => void;
  },
): Promise<WrittenSplit> {
  const numbered = await numberedSource(connection, options.source.storagePath);
  let settings = options.settings;
  let stratifyBy: string | null = null;
  if (settings.target !== undefined) {
    const target = options.source.columns.find((column) => column.name === settings.target);
    if (!target) throw new KilnError('bad_input', `There is no column ${JSON.stringify(settings.target)} to use as the target.`, 'target');
    const task = settings.task ?? (await inferTask(connection, numbered, target));
    settings = { ...settings, task };
    if (settings.stratify && task === 'classification') stratifyBy = target.name;
  } else if (settings.stratify && settings.task === 'classification') {
    throw new KilnError('bad_input', 'Choose the target column to stratify by.', 'target');
  }

  const withTestFile = options.testTable !== undefined;
  const kept = withTestFile ? settings.train + settings.valid : 1;
  const fractions = { train: settings.train / kept, valid: withTestFile ? settings.valid / kept : settings.valid };
  const assigned = assignmentQuery(numbered, fractions, settings.seed, stratifyBy);
  const internal = [rowColumn, keyColumn, rankColumn, countColumn, partColumn].map(quoteIdent).join(', ');
  const extra = options.testTable?.version ?? '';

  const writePart = async (part: SplitPartName): Promise<DatasetVersion> => {
    options.onPart?.(part);
    const version = splitVersion(options.source.version, settings, part, extra);
    const existing = options.findVersion(version);
    if (existing) return { ...existing, parentVersion: options.source.version };
    const storagePath = join(options.dataDir, `${version}.parquet`);
    const query = `SELECT * EXCLUDE (${internal}) FROM (${assigned}) WHERE ${quoteIdent(partColumn)} = '${part}' ORDER BY ${quoteIdent(rowColumn)}`;
    const rowCount = await writeParquet(connection, query, storagePath);
    const columns = await describeQuery(connection, `SELECT * EXCLUDE (${internal}) FROM (${assigned})`);
    return {
      version,
      storagePath,
      rowCount,
      columns,
      parentVersion: options.source.version,
      derivation: { kind: 'split', part, settings },
    };
  };

  const train = await writePart('train');
  const valid = settings.valid > 0 ? await writePart('valid') : null;
  const test = options.testTable ?? (settings.test > 0 ? await writePart('test') : null);
  if (train.rowCount === 0) throw new KilnError('bad_input', 'The training split came out empty; the table has too few rows.', 'train');
  return { settings, train, valid, test };
}
