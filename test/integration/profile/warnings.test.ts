import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, DatasetProfile, WarningKind } from '../../../shared/api.js';
import type { Engine } from '../../../main/engine/engine.js';
import { quoteIdent, quoteLiteral } from '../../../main/engine/data/sql.js';
import { createTestEngine, tempDir, waitForJob } from '../../helpers/engine.js';

let engine: Engine;
let cleanup: () => Promise<void>;
let projectId: string;
let folder: string;

/** A small deterministic pseudo-random stream, so the files are the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

async function importRows(name: string, header: string[], rows: string[][]): Promise<Dataset> {
  const path = join(folder, name);
  await writeFile(path, [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n');
  const { jobId } = await engine.call('datasets.import', { projectId, path });
  const job = await waitForJob(engine, jobId);
  expect(job.error).toBeNull();
  return job.result as Dataset;
}

async function profileOf(dataset: Dataset, target?: string): Promise<DatasetProfile> {
  const { jobId } = await engine.call('profile.compute', { datasetId: dataset.id, ...(target ? { target } : {}) });
  const job = await waitForJob(engine, jobId);
  expect(job.error).toBeNull();
  const profile = await engine.call('profile.get', { datasetId: dataset.id, ...(target ? { target } : {}) });
  if (!profile) throw new Error('no profile after a successful compute');
  return profile;
}

const kindsOf = (profile: DatasetProfile, column: string): WarningKind[] =>
  profile.warnings.filter((warning) => warning.column === column).map((warning) => warning.kind);

beforeAll(async () => {
  ({ engine, cleanup } = await createTestEngine());
  projectId = (await engine.call('projects.create', { name: 'Profile warnings' })).id;
  folder = await tempDir();
});

afterAll(async () => {
  await cleanup();
});

describe('profile warnings on generated files', () => {
  const quoted = 'weird "name" here';
  let profile: DatasetProfile;

  beforeAll(async () => {
    const next = random(7);
    const header = ['customer_id', 'country', 'email', 'phone', 'signup', 'spend', 'noise', quoted, 'größe €', 'label', 'label_copy'];
    const rows = Array.from({ length: 240 }, (_, index) => {
      const label = next() < 0.4 ? 'yes' : 'no';
      const day = String((index % 28) + 1).padStart(2, '0');
      return [
        String(1000 + index),
        'Iceland',
        `person.${index}@example.com`,
        `+1 555-01${String(index % 100).padStart(2, '0')}-${String(1000 + index).slice(-4)}`,
        `03/${day}/2021`,
        // Mostly small amounts and a few huge ones: strongly right-skewed.
        String(index % 40 === 0 ? 50_000 + index : Math.round(next() * 20)),
        (next() * 100).toFixed(3),
        String(Math.round(next() * 10)),
        (next() * 3).toFixed(2),
        label,
        label === 'yes' ? 'Y' : 'N',
      ];
    });
    profile = await profileOf(await importRows('warnings.csv', header, rows), 'label');
  });

  it('flags a constant column', () => {
    expect(kindsOf(profile, 'country')).toContain('constant');
    expect(profile.warnings.find((warning) => warning.kind === 'constant')?.message).toMatch(/Iceland/);
  });

  it('flags an id column', () => {
    expect(kindsOf(profile, 'customer_id')).toContain('id_like');
    expect(kindsOf(profile, 'noise')).not.toContain('id_like');
  });

  it('flags personal data', () => {
    expect(kindsOf(profile, 'email')).toContain('email');
    expect(kindsOf(profile, 'phone')).toContain('phone');
    expect(kindsOf(profile, 'label')).toEqual([]);
  });

  it('flags a column that copies the target as leakage', () => {
    expect(kindsOf(profile, 'label_copy')).toContain('leakage');
    const copy = profile.associations?.items.find((item) => item.column === 'label_copy');
    expect(copy?.value).toBeCloseTo(1, 6);
    expect(kindsOf(profile, 'noise')).not.toContain('leakage');
  });

  it('flags a skewed column', () => {
    const spend = profile.columns.find((column) => column.name === 'spend');
    expect(spend?.numeric?.skewness).toBeGreaterThan(2);
    expect(kindsOf(profile, 'spend')).toContain('skewed');
    expect(kindsOf(profile, 'noise')).not.toContain('skewed');
  });

  it('flags text that reads as dates', () => {
    expect(profile.columns.find((column) => column.name === 'signup')?.type).toBe('VARCHAR');
    expect(kindsOf(profile, 'signup')).toContain('date_like');
    expect(kindsOf(profile, 'email')).not.toContain('date_like');
  });

  it('profiles columns whose names hold quotes, spaces and unicode', () => {
    const weird = profile.columns.find((column) => column.name === quoted);
    expect(weird?.kind).toBe('numeric');
    expect(weird?.count).toBe(240);
    expect(weird?.histogram?.reduce((sum, bin) => sum + bin.count, 0)).toBe(240);
    const unicode = profile.columns.find((column) => column.name === 'größe €');
    expect(unicode?.numeric?.max).toBeLessThanOrEqual(3);
    expect(profile.correlation.columns).toContain(quoted);
    expect(profile.associations?.items.map((item) => item.column)).toContain(quoted);
  });

  it('accepts a quoted column as the target', async () => {
    const dataset = (await engine.call('datasets.list', { projectId }))[0] as Dataset;
    const byQuoted = await profileOf(dataset, quoted);
    expect(byQuoted.target).toBe(quoted);
    // Ten other columns, less the constant one, which cannot be associated with anything.
    expect(byQuoted.associations?.items.length).toBe(9);
  });
});

describe('numeric targets', () => {
  it('uses |r| and eta, and flags a rescaled copy of the target', async () => {
    const next = random(11);
    const rows = Array.from({ length: 300 }, () => {
      const price = next() * 1000;
      return [price.toFixed(2), (price * 2.5 + 3).toFixed(2), (next() * 10).toFixed(2), next() < 0.5 ? 'red' : 'blue'];
    });
    const profile = await profileOf(await importRows('prices.csv', ['price', 'price_in_other_money', 'noise', 'colour'], rows), 'price');
    expect(profile.associations?.targetKind).toBe('numeric');
    const items = profile.associations?.items ?? [];
    expect(items[0]).toMatchObject({ column: 'price_in_other_money', measure: 'abs_pearson' });
    expect(items[0]?.value).toBeCloseTo(1, 4);
    expect(items.find((item) => item.column === 'colour')?.measure).toBe('eta');
    expect(kindsOf(profile, 'price_in_other_money')).toContain('leakage');
    expect(kindsOf(profile, 'noise')).not.toContain('leakage');
  });
});

describe('wide tables', () => {
  // The table is written straight to Parquet and recorded, so this measures profiling, not CSV import.
  it('profiles 5,000 columns in chunks', async () => {
    const width = 5_000;
    const storagePath = join(engine.workspace.dataDir, 'wide-profile-test.parquet');
    const columns = Array.from(
      { length: width },
      (_, index) => `CAST((range * 7 + ${index}) % 13 AS BIGINT) AS ${quoteIdent(`c ${index}`)}`,
    );
    await engine.context.duck.with(undefined, (connection) =>
      connection.run(`COPY (SELECT ${columns.join(', ')} FROM range(30)) TO ${quoteLiteral(storagePath)} (FORMAT parquet)`),
    );
    const dataset = engine.context.datasets.record({
      projectId,
      name: 'wide',
      table: {
        version: 'wide-profile-test',
        storagePath,
        rowCount: 30,
        columns: Array.from({ length: width }, (_, index) => ({ name: `c ${index}`, type: 'BIGINT' })),
      },
      sourcePath: null,
      sourceBytes: null,
    });
    const profile = await profileOf(dataset, 'c 0');
    expect(profile.columns).toHaveLength(width);
    expect(profile.columns[4_999]?.numeric?.max).toBe(12);
    expect(profile.columns.every((column) => column.missing === 0 && column.count === 30 && column.distinct === 13)).toBe(true);
    expect(profile.correlation.columns).toHaveLength(60);
    expect(profile.correlation.omitted).toBe(width - 60);
    expect(profile.associations?.items).toHaveLength(width - 1);
  }, 180_000);
});
