import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, DatasetProfile, ProfileJobResult } from '../../../shared/api.js';
import type { Engine } from '../../../main/engine/engine.js';
import { adultCsv, createTestEngine, waitForJob } from '../../helpers/engine.js';

let engine: Engine;
let cleanup: () => Promise<void>;
let dataset: Dataset;
let profile: DatasetProfile;
let firstResult: ProfileJobResult;

async function computeAndGet(options: {
  target?: string;
  sample?: number;
}): Promise<{ result: ProfileJobResult; profile: DatasetProfile }> {
  const { jobId } = await engine.call('profile.compute', { datasetId: dataset.id, ...options });
  const job = await waitForJob(engine, jobId);
  expect(job.error).toBeNull();
  expect(job.state).toBe('succeeded');
  const stored = await engine.call('profile.get', { datasetId: dataset.id, ...options });
  if (!stored) throw new Error('profile.get returned nothing after profile.compute succeeded');
  return { result: job.result as ProfileJobResult, profile: stored };
}

const column = (name: string) => {
  const found = profile.columns.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no column ${name} in the profile`);
  return found;
};

const profileRows = () => (engine.workspace.db.prepare('SELECT count(*) AS n FROM profiles').get() as { n: number }).n;

beforeAll(async () => {
  ({ engine, cleanup } = await createTestEngine());
  const project = await engine.call('projects.create', { name: 'Adult profile' });
  const { jobId } = await engine.call('datasets.import', { projectId: project.id, path: adultCsv });
  const job = await waitForJob(engine, jobId);
  expect(job.error).toBeNull();
  expect(job.state).toBe('succeeded');
  dataset = job.result as Dataset;
  expect(await engine.call('profile.get', { datasetId: dataset.id, target: 'Y' })).toBeNull();
  ({ result: firstResult, profile } = await computeAndGet({ target: 'Y' }));
});

afterAll(async () => {
  await cleanup();
});

describe('profile of adult.csv over the whole table', () => {
  it('covers every row and column', () => {
    expect(firstResult.fromCache).toBe(false);
    expect(profile.rowCount).toBe(32_561);
    expect(profile.profiledRows).toBe(32_561);
    expect(profile.sample).toBeNull();
    expect(profile.columns).toHaveLength(15);
    expect(profile.distinctMethod).toBe('exact');
  });

  it('counts the ? cells as missing', () => {
    expect(column('workclass').missing).toBe(1_836);
    expect(column('occupation').missing).toBe(1_843);
    expect(column('native-country').missing).toBe(583);
    expect(column('age').missing).toBe(0);
    expect(column('workclass').missingShare).toBeCloseTo(1_836 / 32_561, 10);
  });

  it('summarises numbers', () => {
    const age = column('age');
    expect(age.kind).toBe('numeric');
    expect(age.numeric?.min).toBe(17);
    expect(age.numeric?.max).toBe(90);
    expect(age.numeric?.mean).toBeCloseTo(38.58, 2);
    expect(age.numeric?.std).toBeCloseTo(13.64, 1);
    const q = age.numeric?.quantiles;
    expect(q?.p50).toBe(37);
    expect(q && q.p01 <= q.p05 && q.p05 <= q.p25 && q.p25 <= q.p50 && q.p50 <= q.p75 && q.p75 <= q.p95 && q.p95 <= q.p99).toBe(true);
    expect(column('education-num').distinct).toBe(16);
  });

  it('bins every non-missing value into the histogram', () => {
    const bins = column('fnlwgt').histogram ?? [];
    expect(bins.length).toBeGreaterThanOrEqual(20);
    expect(bins.reduce((sum, bin) => sum + bin.count, 0)).toBe(32_561);
    expect(bins[0]?.low).toBe(column('fnlwgt').numeric?.min);
    expect(bins.at(-1)?.high).toBe(column('fnlwgt').numeric?.max);
    // education-num has 16 whole values: one bin each.
    const education = column('education-num').histogram ?? [];
    expect(education).toHaveLength(16);
    expect(education.every((bin) => bin.low === bin.high)).toBe(true);
  });

  it('lists the top values of categories with the remainder', () => {
    const sex = column('sex');
    expect(sex.kind).toBe('categorical');
    expect(sex.top?.values[0]).toEqual({ value: 'Male', count: 21_790 });
    expect(sex.top?.values[1]).toEqual({ value: 'Female', count: 10_771 });
    expect(sex.top?.other).toBe(0);
    const country = column('native-country');
    expect(country.top?.values).toHaveLength(10);
    const shown = (country.top?.values ?? []).reduce((sum, entry) => sum + entry.count, 0);
    expect(shown + (country.top?.other ?? 0)).toBe(32_561 - 583);
    expect(country.top?.other).toBeGreaterThan(0);
  });

  it('has a symmetric correlation matrix with ones on the diagonal', () => {
    const { columns, matrix } = profile.correlation;
    expect(columns).toEqual(['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week']);
    columns.forEach((_, row) => {
      expect(matrix[row]?.[row]).toBe(1);
      columns.forEach((__, other) => {
        const value = matrix[row]?.[other];
        expect(value).toBe(matrix[other]?.[row]);
        expect(Math.abs(value ?? 0)).toBeLessThanOrEqual(1);
      });
    });
    expect(profile.correlation.omitted).toBe(0);
  });

  it('ranks relationship and marital-status high in association with Y', () => {
    const associations = profile.associations;
    expect(associations?.target).toBe('Y');
    expect(associations?.targetKind).toBe('categorical');
    const items = associations?.items ?? [];
    expect(items).toHaveLength(14);
    expect(items.some((item) => item.column === 'Y')).toBe(false);
    const top3 = items.slice(0, 3).map((item) => item.column);
    expect(top3).toContain('relationship');
    expect(top3).toContain('marital-status');
    expect(items.find((item) => item.column === 'relationship')?.measure).toBe('cramers_v');
    expect(items.find((item) => item.column === 'age')?.measure).toBe('eta');
    for (const item of items) expect(item.value).toBeGreaterThanOrEqual(0);
    for (let index = 1; index < items.length; index += 1) expect(items[index - 1]!.value).toBeGreaterThanOrEqual(items[index]!.value);
    // Nothing in adult leaks the label.
    expect(profile.warnings.filter((warning) => warning.kind === 'leakage')).toEqual([]);
  });

  it('warns about the skewed capital columns', () => {
    const skewed = profile.warnings.filter((warning) => warning.kind === 'skewed').map((warning) => warning.column);
    expect(skewed).toEqual(expect.arrayContaining(['capital-gain', 'capital-loss']));
    expect(skewed).not.toContain('age');
  });

  it('reuses the cached profile for the same version and options', async () => {
    const before = profileRows();
    expect(before).toBe(1);
    const again = await computeAndGet({ target: 'Y' });
    expect(again.result.fromCache).toBe(true);
    expect(profileRows()).toBe(before);
    expect(again.profile.createdAt).toBe(profile.createdAt);
  });

  it('computes a seeded sample when asked', async () => {
    const sampled = await computeAndGet({ sample: 1_000 });
    expect(sampled.result.fromCache).toBe(false);
    expect(sampled.profile.profiledRows).toBe(1_000);
    expect(sampled.profile.sample).toBe(1_000);
    expect(sampled.profile.associations).toBeNull();
    expect(profileRows()).toBe(2);
  });

  it('stores nothing when cancelled', async () => {
    const before = profileRows();
    const { jobId } = await engine.call('profile.compute', { datasetId: dataset.id, target: 'sex' });
    await engine.call('jobs.cancel', { jobId });
    const job = await waitForJob(engine, jobId);
    expect(job.state).toBe('cancelled');
    expect(profileRows()).toBe(before);
    expect(await engine.call('profile.get', { datasetId: dataset.id, target: 'sex' })).toBeNull();
  });

  it('refuses a target that is not a column', async () => {
    await expect(engine.call('profile.compute', { datasetId: dataset.id, target: 'income' })).rejects.toMatchObject({
      code: 'bad_input',
      field: 'target',
    });
  });
});
