import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../../shared/api.js';
import { FeatureEncoding, type FeatureSettings } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import type { Engine } from '../../../main/engine/engine.js';
import { loadSplits } from '../../../main/engine/train/data/load.js';
import { quoteLiteral } from '../../../main/engine/data/sql.js';
import { suggestFeatures, validateTrainingInput } from '../../../main/engine/train/features.js';
import { createTestEngine, tempDir } from '../../helpers/engine.js';
import { importFile, writeCsv } from '../clean/helpers.js';

let engine: Engine;
let cleanup: () => Promise<void>;
let projectId: string;
let dir: string;

beforeAll(async () => {
  ({ engine, cleanup } = await createTestEngine());
  projectId = (await engine.call('projects.create', { name: 'Bad input' })).id;
  dir = await tempDir();
});

afterAll(async () => {
  await cleanup();
});

const range = (count: number) => Array.from({ length: count }, (_, index) => index);

async function dataset(name: string, header: string, rows: string[]): Promise<Dataset> {
  return importFile(engine, projectId, await writeCsv(dir, name, [header, ...rows]));
}

/** The error validateTrainingInput throws for these settings; fails the test when it throws none. */
async function refusal(data: Dataset, settings: Pick<FeatureSettings, 'target' | 'task' | 'features'>): Promise<KilnError> {
  try {
    await validateTrainingInput(engine.context, data.id, settings);
  } catch (error) {
    expect(error).toBeInstanceOf(KilnError);
    return error as KilnError;
  }
  throw new Error('validateTrainingInput accepted input it should refuse');
}

const numericFeature = (name: string) => ({ name, include: true, encoding: FeatureEncoding.parse({ kind: 'numeric' }) });

describe('bad input is refused before training, with a clear message', () => {
  it('a target with one class', async () => {
    const data = await dataset(
      'one-class.csv',
      'x,y',
      range(30).map((index) => `${index % 7},spam`),
    );
    const suggestion = await suggestFeatures(engine.context, data.id);
    expect(suggestion.settings.target).toBe('y');
    expect(suggestion.problems).toEqual([
      'y has a single class ("spam") in every row, so there is nothing to predict; choose another target.',
    ]);
    const error = await refusal(data, suggestion.settings);
    expect(error.code).toBe('bad_input');
    expect(error.message).toBe(suggestion.problems[0]);
    expect(error.field).toBe('features.target');
  });

  it('a target missing in every row', async () => {
    const data = await dataset(
      'no-target.csv',
      'x,label',
      range(30).map((index) => `${index % 7},`),
    );
    const suggestion = await suggestFeatures(engine.context, data.id);
    expect(suggestion.settings.target).toBe('label');
    expect(suggestion.problems).toEqual(['label is missing in every row, so there is nothing to learn; choose a target that has values.']);
    const error = await refusal(data, { target: 'label', task: 'binary', features: [numericFeature('x')] });
    expect(error.message).toMatch(/label is missing in every row/);
  });

  it('a regression target with text in it', async () => {
    const data = await dataset(
      'text-target.csv',
      'x,price',
      range(40).map((index) => `${index % 9},${index === 17 ? 'about 12' : String(index * 3)}`),
    );
    const suggestion = await suggestFeatures(engine.context, data.id, 'price');
    expect(suggestion.settings.task).toBe('multiclass');
    const error = await refusal(data, { target: 'price', task: 'regression', features: [numericFeature('x')] });
    expect(error.message).toBe(
      'price holds text (for example "about 12"), so it cannot be a regression target; choose binary or multiclass, or convert it to numbers in the Clean step.',
    );
    expect(error.field).toBe('features.task');
    // Loading refuses it as well, so a run that skipped the check still stops with the reason.
    const storage = engine.context.datasets.storagePath(data.id);
    await expect(
      loadSplits(
        engine.context.duck,
        undefined,
        { train: { path: storage }, valid: null, test: null },
        { ...suggestion.settings, task: 'regression' },
      ),
    ).rejects.toThrow(/price holds text \(for example "about 12"\)/);
  });

  it('2 rows', async () => {
    const data = await dataset('two-rows.csv', 'x,y', ['1,a', '2,b']);
    const suggestion = await suggestFeatures(engine.context, data.id);
    expect(suggestion.problems).toContain(
      'The dataset has only 2 rows; training needs at least 10 to split into training, validation and test rows.',
    );
    const error = await refusal(data, suggestion.settings);
    expect(error.message).toMatch(/^The dataset has only 2 rows/);
    expect(error.field).toBe('datasetId');
  });

  it('500 classes', async () => {
    const data = await dataset(
      'many-classes.csv',
      'x,kind',
      range(1000).map((index) => `${index % 13},kind${index % 500}`),
    );
    const suggestion = await suggestFeatures(engine.context, data.id);
    expect(suggestion.settings.task).toBe('multiclass');
    expect(suggestion.problems).toEqual([
      'kind has 500 distinct values, more than the 100 classes Kiln can train a classifier for; choose another target.',
    ]);
    expect((await refusal(data, suggestion.settings)).message).toBe(suggestion.problems[0]);
  });

  it('a feature set that is empty after the exclusions', async () => {
    const data = await dataset(
      'only-id.csv',
      'customer_id,churned',
      range(50).map((index) => `${1000 + index},${index % 3 === 0 ? 'yes' : 'no'}`),
    );
    const suggestion = await suggestFeatures(engine.context, data.id);
    expect(suggestion.settings.target).toBe('churned');
    expect(suggestion.settings.task).toBe('binary');
    const id = suggestion.settings.features.find((feature) => feature.name === 'customer_id');
    expect(id?.include).toBe(false);
    expect(id?.reason).toMatch(/looks like an identifier/);
    expect(suggestion.problems).toHaveLength(1);
    expect(suggestion.problems[0]).toMatch(
      /^No features are left after leaving out the only other column; include at least one\. customer_id: /,
    );
    const error = await refusal(data, suggestion.settings);
    expect(error.field).toBe('features.features');
    expect(error.message).toBe(suggestion.problems[0]);
  });

  it('accepts a good target and feature set', async () => {
    const data = await dataset(
      'fine.csv',
      'x,colour,y',
      range(60).map((index) => `${index % 11},${index % 2 ? 'red' : 'blue'},${index % 4 === 0 ? 'b' : 'a'}`),
    );
    const suggestion = await suggestFeatures(engine.context, data.id);
    expect(suggestion.problems).toEqual([]);
    expect(suggestion.settings.features.map((feature) => [feature.name, feature.include, feature.encoding.kind])).toEqual([
      ['x', true, 'numeric'],
      ['colour', true, 'categorical'],
    ]);
    await expect(validateTrainingInput(engine.context, data.id, suggestion.settings)).resolves.toBeUndefined();
  });
});

describe('loading splits', () => {
  async function parquet(name: string, values: string): Promise<string> {
    const path = join(dir, name);
    await engine.context.duck.with(undefined, (connection) =>
      connection.run(`COPY (SELECT * FROM (VALUES ${values}) AS t(x, colour, y)) TO ${quoteLiteral(path)} (FORMAT parquet)`),
    );
    return path;
  }
  const settings = (task: FeatureSettings['task']): FeatureSettings => ({
    target: 'y',
    task,
    features: [numericFeature('x'), { name: 'colour', include: true, encoding: FeatureEncoding.parse({ kind: 'categorical' }) }],
  });

  it('refuses a validation class that the training split does not have', async () => {
    const train = await parquet('train.parquet', "(1.0, 'red', 'a'), (2.0, 'blue', 'b'), (3.0, NULL, 'a')");
    const valid = await parquet('valid.parquet', "(1.0, 'red', 'a'), (2.0, 'red', 'c')");
    await expect(
      loadSplits(engine.context.duck, undefined, { train: { path: train }, valid: { path: valid }, test: null }, settings('binary')),
    ).rejects.toThrow(
      'The validation split has a class of y that the training split does not: "c". Split again with stratification, or drop those rows.',
    );
  });

  it('reads a regression target as values, drops rows without a target and treats Infinity as missing', async () => {
    const train = await parquet(
      'regression.parquet',
      "(1.5, 'red', 10.0), (CAST('inf' AS DOUBLE), 'blue', 20.5), (NULL, NULL, NULL), (4.0, 'red', -3.0)",
    );
    const loaded = await loadSplits(
      engine.context.duck,
      undefined,
      { train: { path: train }, valid: null, test: null },
      settings('regression'),
    );
    expect(loaded.classes).toEqual([]);
    expect(Array.from(loaded.train.y)).toEqual([10, 20.5, -3]);
    expect(Array.from(loaded.train.numeric.get('x') ?? [])).toEqual([1.5, Number.NaN, 4]);
    expect(loaded.train.categorical.get('colour')).toEqual(['red', 'blue', 'red']);
    expect(loaded.missingTargetRows.train).toBe(1);
  });

  it('names a feature the split does not have', async () => {
    const train = await parquet('plain.parquet', "(1.0, 'red', 'a'), (2.0, 'blue', 'b')");
    const withGhost = settings('binary');
    withGhost.features.push(numericFeature('ghost'));
    await expect(
      loadSplits(engine.context.duck, undefined, { train: { path: train }, valid: null, test: null }, withGhost),
    ).rejects.toThrow('The training split has no column "ghost".');
  });
});
