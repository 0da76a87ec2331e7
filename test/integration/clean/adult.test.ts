import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CleanResult, Dataset, DatasetSplit } from '../../../shared/api.js';
import type { CleanStepInput } from '../../../shared/recipe.js';
import type { Engine } from '../../../main/engine/engine.js';
import { adultCsv, adultTestCsv, createTestEngine, waitForJob } from '../../helpers/engine.js';
import { importFile } from './helpers.js';

let engine: Engine;
let cleanup: () => Promise<void>;
let projectId: string;
let adult: Dataset;

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function apply(datasetId: string, steps: CleanStepInput[]): Promise<CleanResult> {
  const { jobId } = await engine.call('clean.apply', { datasetId, steps });
  const job = await waitForJob(engine, jobId);
  expect(job.state, job.error ?? '').toBe('succeeded');
  return job.result as CleanResult;
}

const imputeOccupation: CleanStepInput = {
  type: 'impute',
  id: 'fill-occupation',
  enabled: true,
  columns: ['occupation'],
  method: 'mostFrequent',
};

beforeAll(async () => {
  ({ engine, cleanup } = await createTestEngine());
  projectId = (await engine.call('projects.create', { name: 'Adult cleaning' })).id;
  adult = await importFile(engine, projectId, adultCsv);
});

afterAll(async () => cleanup());

describe('cleaning adult.csv', () => {
  it('previews an impute of occupation: 1,843 missing before, none after, filled with Prof-specialty', async () => {
    const preview = await engine.call('clean.preview', { datasetId: adult.id, steps: [imputeOccupation] });
    const [effect] = preview.effects;
    expect(effect?.rowsBefore).toBe(32_561);
    expect(effect?.rowsAfter).toBe(32_561);
    expect(effect?.columns).toEqual([{ column: 'occupation', before: 1843, after: 0 }]);
    expect((effect?.missingBefore ?? 0) - (effect?.missingAfter ?? 0)).toBe(1843);
    expect(effect?.fitted).toEqual({ occupation: 'Prof-specialty' });
    expect(preview.result.totalRows).toBe(32_561);
    expect(preview.result.rows.length).toBe(100);
  });

  it('applies the impute as a new version whose occupation has no missing values, and reuses it the second time', async () => {
    const first = await apply(adult.id, [imputeOccupation]);
    expect(first.reused).toBe(false);
    expect(first.dataset.version).not.toBe(adult.version);
    expect(first.dataset.name).toBe('adult.csv · cleaned');
    expect(first.dataset.rowCount).toBe(32_561);
    const path = engine.context.datasets.storagePath(first.dataset.id);
    const [counts] = await query(
      `SELECT count(*) FILTER (WHERE occupation IS NULL) AS missing, count(*) FILTER (WHERE occupation = 'Prof-specialty') AS prof FROM read_parquet('${path}')`,
    );
    const [original] = await query(
      `SELECT count(*) FILTER (WHERE occupation = 'Prof-specialty') AS prof FROM read_parquet('${engine.context.datasets.storagePath(adult.id)}')`,
    );
    expect(Number(counts?.missing)).toBe(0);
    expect(Number(counts?.prof) - Number(original?.prof)).toBe(1843);

    const row = engine.workspace.db
      .prepare('SELECT parent_version, derivation_json FROM dataset_versions WHERE version = ?')
      .get(first.dataset.version) as { parent_version: string; derivation_json: string };
    expect(row.parent_version).toBe(adult.version);
    expect(JSON.parse(row.derivation_json)).toMatchObject({
      kind: 'clean',
      fitted: { 'fill-occupation': { occupation: 'Prof-specialty' } },
    });

    // Another id and a disabled extra step change nothing, so the version is the same.
    const second = await apply(adult.id, [
      { ...imputeOccupation, id: 'other-id' },
      { type: 'dropColumns', id: 'off', enabled: false, columns: ['age'] },
    ]);
    expect(second.reused).toBe(true);
    expect(second.dataset.version).toBe(first.dataset.version);
    expect(second.dataset.id).toBe(first.dataset.id);
    const datasets = await engine.call('datasets.list', { projectId });
    expect(datasets.filter((dataset) => dataset.version === first.dataset.version)).toHaveLength(1);
  });

  it("strips the trailing dot from adult.test.csv's labels", async () => {
    const test = await importFile(engine, projectId, adultTestCsv);
    const result = await apply(test.id, [
      { type: 'text', id: 'dot', enabled: true, columns: ['Y'], operation: 'removeTrailing', find: '.' },
    ]);
    const labels = await query(
      `SELECT Y, count(*) AS n FROM read_parquet('${engine.context.datasets.storagePath(result.dataset.id)}') GROUP BY Y ORDER BY Y`,
    );
    expect(labels.map((row) => row.Y)).toEqual(['<=50K', '>50K']);
    expect(labels.reduce((sum, row) => sum + Number(row.n), 0)).toBe(16_281);
  });

  it('splits deterministically with the requested proportions and class shares', async () => {
    const split = async (seed: number) => {
      const { jobId } = await engine.call('split.create', {
        datasetId: adult.id,
        target: 'Y',
        train: 0.7,
        valid: 0.15,
        test: 0.15,
        seed,
        stratify: true,
      });
      const job = await waitForJob(engine, jobId);
      expect(job.state, job.error ?? '').toBe('succeeded');
      return job.result as DatasetSplit;
    };
    const first = await split(7);
    const again = await split(7);
    const other = await split(8);
    expect(again.train.version).toBe(first.train.version);
    expect(other.train.version).not.toBe(first.train.version);
    const total = 32_561;
    const parts = [first.train, first.valid!, first.test!];
    expect(parts.reduce((sum, part) => sum + part.rows, 0)).toBe(total);
    expect(Math.abs(first.train.rows / total - 0.7)).toBeLessThan(0.01);
    expect(Math.abs(first.valid!.rows / total - 0.15)).toBeLessThan(0.01);
    expect(Math.abs(first.test!.rows / total - 0.15)).toBeLessThan(0.01);

    const share = async (path: string) =>
      Number((await query(`SELECT avg(CASE WHEN Y = '>50K' THEN 1 ELSE 0 END) AS share FROM read_parquet('${path}')`))[0]?.share);
    const overall = await share(engine.context.datasets.storagePath(adult.id));
    for (const part of parts) expect(Math.abs((await share(part.path)) - overall)).toBeLessThan(0.01);

    // Same seed, same rows: compare the content, not only the recorded hash.
    const [same] = await query(
      `SELECT count(*) AS n FROM (SELECT * FROM read_parquet('${first.test!.path}') EXCEPT ALL SELECT * FROM read_parquet('${again.test!.path}'))`,
    );
    expect(Number(same?.n)).toBe(0);
    const listed = await engine.call('split.list', { datasetId: adult.id });
    expect(listed.length).toBeGreaterThanOrEqual(3);
  });

  it('runs a separate test file through the same steps, learning from the training data', async () => {
    const cleaned = await apply(adult.id, [
      imputeOccupation,
      { type: 'text', id: 'dot', enabled: true, columns: ['Y'], operation: 'removeTrailing', find: '.' },
    ]);
    const { jobId } = await engine.call('split.create', {
      datasetId: cleaned.dataset.id,
      target: 'Y',
      train: 0.8,
      valid: 0.2,
      test: 0,
      seed: 1,
      stratify: true,
      testFile: adultTestCsv,
    });
    const job = await waitForJob(engine, jobId);
    expect(job.state, job.error ?? '').toBe('succeeded');
    const split = job.result as DatasetSplit;
    expect(split.train.rows + split.valid!.rows).toBe(32_561);
    expect(split.test!.rows).toBe(16_281);
    const [test] = await query(
      `SELECT count(*) FILTER (WHERE occupation IS NULL) AS missing, count(DISTINCT Y) AS labels, bool_and(Y IN ('<=50K', '>50K')) AS clean FROM read_parquet('${split.test!.path}')`,
    );
    expect(Number(test?.missing)).toBe(0);
    expect(test?.clean).toBe(true);
  });

  it('exports a cleaned table to CSV and Parquet with every row', async () => {
    const { tempDir } = await import('../../helpers/engine.js');
    const dir = await tempDir();
    const cleaned = await apply(adult.id, [imputeOccupation]);
    const csv = await engine.call('datasets.exportTable', { datasetId: cleaned.dataset.id, format: 'csv', path: `${dir}/adult clean.csv` });
    expect(csv.rows).toBe(32_561);
    const [fromCsv] = await query(
      `SELECT count(*) AS n, count(*) FILTER (WHERE occupation IS NULL) AS missing FROM read_csv('${csv.path}')`,
    );
    expect(Number(fromCsv?.n)).toBe(32_561);
    expect(Number(fromCsv?.missing)).toBe(0);
    const parquet = await engine.call('datasets.exportTable', {
      datasetId: cleaned.dataset.id,
      format: 'parquet',
      path: `${dir}/adult.parquet`,
    });
    const [fromParquet] = await query(`SELECT count(*) AS n FROM read_parquet('${parquet.path}')`);
    expect(Number(fromParquet?.n)).toBe(32_561);
    await expect(engine.call('datasets.exportTable', { datasetId: cleaned.dataset.id, format: 'csv', path: dir })).rejects.toThrow(
      /folder/,
    );
  });
});
