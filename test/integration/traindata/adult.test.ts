import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, DatasetSplit } from '../../../shared/api.js';
import type { FeatureSettings, FeatureSuggestion } from '../../../shared/api/train.js';
import type { Engine } from '../../../main/engine/engine.js';
import { loadSplits, type LoadedSplits } from '../../../main/engine/train/data/load.js';
import { encode, prepareData } from '../../../main/engine/train/data/preprocess.js';
import { quoteIdent, quoteLiteral } from '../../../main/engine/data/sql.js';
import { suggestFeatures } from '../../../main/engine/train/features.js';
import type { PreparedData, RawColumns } from '../../../main/engine/train/types.js';
import { adultCsv, createTestEngine, waitForJob } from '../../helpers/engine.js';

const numericColumns = ['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week'];
const categoricalColumns = ['workclass', 'education', 'marital-status', 'occupation', 'relationship', 'race', 'sex', 'native-country'];

let engine: Engine;
let cleanup: () => Promise<void>;
let dataset: Dataset;
let split: DatasetSplit;
let suggestion: FeatureSuggestion;
let loaded: LoadedSplits;
let prepared: PreparedData;

async function scalar(sql: string): Promise<number> {
  return engine.context.duck.with(undefined, async (connection) => {
    const reader = await connection.runAndReadAll(sql);
    return Number(reader.getRows()[0]?.[0]);
  });
}

beforeAll(async () => {
  ({ engine, cleanup } = await createTestEngine());
  const project = await engine.call('projects.create', { name: 'Adult features' });
  const imported = await waitForJob(engine, (await engine.call('datasets.import', { projectId: project.id, path: adultCsv })).jobId);
  expect(imported.error).toBeNull();
  dataset = imported.result as Dataset;
  const splitJob = await waitForJob(
    engine,
    (
      await engine.call('split.create', {
        datasetId: dataset.id,
        target: 'Y',
        train: 0.7,
        valid: 0.15,
        test: 0.15,
        stratify: true,
        seed: 42,
      })
    ).jobId,
  );
  expect(splitJob.error).toBeNull();
  split = splitJob.result as DatasetSplit;
  suggestion = await suggestFeatures(engine.context, dataset.id);
  loaded = await loadSplits(engine.context.duck, undefined, split, suggestion.settings);
  prepared = prepareData(suggestion.settings, loaded.classes, loaded);
});

afterAll(async () => {
  await cleanup();
});

describe('suggestFeatures on adult', () => {
  it('picks Y as the target and detects a binary task, with the classes named', () => {
    expect(suggestion.settings.target).toBe('Y');
    expect(suggestion.settings.task).toBe('binary');
    expect(suggestion.taskReason).toBe('Y has 2 values: <=50K, >50K.');
    expect(suggestion.classes).toEqual(['<=50K', '>50K']);
    expect(suggestion.settings.positiveClass).toBe('>50K');
    expect(suggestion.problems).toEqual([]);
  });

  it('includes all 14 other columns, fnlwgt too, with numeric and categorical encodings', () => {
    const { features } = suggestion.settings;
    expect(features).toHaveLength(14);
    expect(features.filter((feature) => feature.include)).toHaveLength(14);
    expect(features.find((feature) => feature.name === 'fnlwgt')).toMatchObject({ include: true, encoding: { kind: 'numeric' } });
    for (const name of numericColumns) expect(features.find((feature) => feature.name === name)?.encoding.kind).toBe('numeric');
    for (const name of categoricalColumns) {
      expect(features.find((feature) => feature.name === name)?.encoding).toMatchObject({ kind: 'categorical', impute: 'mostFrequent' });
    }
    expect(features.every((feature) => (feature.reason ?? '').length > 0)).toBe(true);
  });

  it('is served by features.suggest, and its settings round-trip through the recipe', async () => {
    expect(await engine.call('features.suggest', { datasetId: dataset.id })).toEqual(suggestion);
    const recipe = await engine.call('recipe.get', { projectId: dataset.projectId });
    const saved = await engine.call('recipe.save', { projectId: dataset.projectId, recipe: { ...recipe, features: suggestion.settings } });
    expect(saved.features).toEqual(suggestion.settings);
    expect((await engine.call('recipe.get', { projectId: dataset.projectId })).features).toEqual(suggestion.settings);
  });

  it('takes another target when asked, and says why it is regression', async () => {
    const age = await suggestFeatures(engine.context, dataset.id, 'age');
    expect(age.settings.task).toBe('regression');
    expect(age.taskReason).toMatch(/^age holds \d+ distinct numbers, more than 20\.$/);
    expect(age.classes).toEqual([]);
    expect(age.settings.features.map((feature) => feature.name)).toContain('Y');
  });
});

describe('loading the adult splits', () => {
  it('reads the classes from the training split, sorted, with about 24% positive', () => {
    expect(loaded.classes).toEqual(['<=50K', '>50K']);
    expect(loaded.train.rows).toBe(split.train.rows);
    expect(loaded.valid?.rows).toBe(split.valid?.rows);
    expect(loaded.test?.rows).toBe(split.test?.rows);
    const positives = loaded.train.y.reduce((sum, label) => sum + label, 0);
    expect(positives / loaded.train.rows).toBeCloseTo(7841 / 32561, 3);
    expect(loaded.missingTargetRows).toEqual({ train: 0, valid: 0, test: 0 });
  });

  it('keeps missing numbers as NaN and missing categories as null', async () => {
    const missingWorkclass = await scalar(
      `SELECT count(*) FILTER (WHERE workclass IS NULL) FROM read_parquet(${quoteLiteral(split.train.path)})`,
    );
    expect(missingWorkclass).toBeGreaterThan(1000);
    expect(loaded.train.categorical.get('workclass')?.filter((value) => value === null)).toHaveLength(missingWorkclass);
    const age = loaded.train.numeric.get('age');
    expect(age).toBeInstanceOf(Float64Array);
    expect(age?.some((value) => Number.isNaN(value))).toBe(false);
  });
});

describe('preprocessing fitted on the training split of adult', () => {
  it('takes the mean of age from the training split, not the whole table', async () => {
    const trainMean = await scalar(`SELECT avg(age) FROM read_parquet(${quoteLiteral(split.train.path)})`);
    const wholeMean = await scalar(`SELECT avg(age) FROM read_parquet(${quoteLiteral(engine.context.datasets.storagePath(dataset.id))})`);
    const age = prepared.spec.numeric.find((numeric) => numeric.name === 'age');
    expect(age?.mean).toBeCloseTo(trainMean, 9);
    expect(Math.abs((age?.mean ?? 0) - wholeMean)).toBeGreaterThan(1e-6);
  });

  it('has one one-hot column per kept level plus "other" for each categorical', async () => {
    let expected = numericColumns.length;
    for (const name of categoricalColumns) {
      const kept = await scalar(
        `SELECT count(*) FROM (SELECT ${quoteIdent(name)} FROM read_parquet(${quoteLiteral(split.train.path)}) WHERE ${quoteIdent(name)} IS NOT NULL GROUP BY ALL HAVING count(*) >= 10)`,
      );
      expected += Math.min(kept, 50) + 1;
    }
    expect(prepared.dense.train.cols).toBe(expected);
    expect(prepared.dense.train.columnNames).toContain('workclass=(other)');
    expect(prepared.dense.train.columnNames).toContain('sex=Female');
    expect(prepared.dense.train.values).toHaveLength(prepared.dense.train.rows * expected);
    // Each categorical sets exactly one of its columns per row.
    let hot = 0;
    for (let column = numericColumns.length; column < expected; column++) hot += prepared.dense.train.values[column] as number;
    expect(hot).toBe(categoricalColumns.length);
  });

  it('gives the trees raw numbers and category codes, -1 for missing', () => {
    expect(prepared.trees.train.features.map((feature) => feature.name)).toEqual([...numericColumns, ...categoricalColumns]);
    const workclass = prepared.trees.train.features.find((feature) => feature.name === 'workclass');
    if (workclass?.kind !== 'categorical') throw new Error('workclass is not categorical for the trees');
    const missing = loaded.train.categorical.get('workclass')?.filter((value) => value === null).length;
    expect(Array.from(workclass.codes).filter((code) => code === -1)).toHaveLength(missing ?? -1);
    expect(Math.max(...workclass.codes)).toBeLessThan(workclass.categoryCount);
    expect(prepared.y.train).toBe(loaded.train.y);
  });

  it('maps an unseen category to "other" and imputes then standardises a missing number', () => {
    const row: RawColumns = {
      rows: 1,
      numeric: new Map(numericColumns.map((name) => [name, Float64Array.of(name === 'age' ? Number.NaN : 1)])),
      categorical: new Map(categoricalColumns.map((name) => [name, [name === 'workclass' ? 'Space-agency' : null]])),
      y: Float64Array.of(0),
    };
    const { dense, trees } = encode(prepared.spec, row);
    const other = dense.columnNames.indexOf('workclass=(other)');
    expect(dense.values[other]).toBe(1);
    const workclassColumns = dense.columnNames.filter((name) => name.startsWith('workclass='));
    expect(workclassColumns.reduce((sum, name) => sum + (dense.values[dense.columnNames.indexOf(name)] as number), 0)).toBe(1);
    const age = prepared.spec.numeric.find((numeric) => numeric.name === 'age');
    if (!age) throw new Error('no age in the spec');
    expect(dense.values[dense.columnNames.indexOf('age')]).toBeCloseTo((age.fill - age.mean) / age.std, 5);
    const treeAge = trees.features.find((feature) => feature.name === 'age');
    expect(treeAge?.kind === 'numeric' && Number.isNaN(treeAge.values[0])).toBe(true);
    const treeWorkclass = trees.features.find((feature) => feature.name === 'workclass');
    expect(treeWorkclass?.kind === 'categorical' && treeWorkclass.codes[0] === treeWorkclass.categoryCount - 1).toBe(true);
  });

  it('puts the positive class last when another one is chosen', async () => {
    const flipped: FeatureSettings = { ...suggestion.settings, positiveClass: '<=50K' };
    const again = await loadSplits(engine.context.duck, undefined, { train: split.train, valid: null, test: null }, flipped);
    expect(again.classes).toEqual(['>50K', '<=50K']);
    expect(again.train.y[0]).toBe(1 - (loaded.train.y[0] as number));
  });
});
