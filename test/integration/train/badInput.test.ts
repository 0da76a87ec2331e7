import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureSettings, Task } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { createTestEngine, tempDir } from '../../helpers/engine.js';
import { allFeatures, importFile, trainSettings, writeCsv } from './helpers.js';

let test: Awaited<ReturnType<typeof createTestEngine>>;
let dir: string;

beforeAll(async () => {
  test = await createTestEngine();
  dir = await tempDir('kiln-bad-train-');
});

afterAll(async () => {
  await test.cleanup();
});

const range = (count: number) => Array.from({ length: count }, (_, index) => index);

interface Case {
  name: string;
  file: () => Promise<string>;
  target: string;
  task: Task;
  features?: (settings: FeatureSettings) => FeatureSettings;
  message: RegExp;
}

const cases: Case[] = [
  {
    name: 'a target with one class',
    file: () =>
      writeCsv(
        dir,
        'one-class.csv',
        ['x', 'label'],
        range(60).map((i) => [i, 'spam']),
      ),
    target: 'label',
    task: 'binary',
    message: /label has a single class \("spam"\)/,
  },
  {
    name: 'a target that is entirely missing',
    file: () =>
      writeCsv(
        dir,
        'all-missing.csv',
        ['x', 'label'],
        range(60).map((i) => [i, '']),
      ),
    target: 'label',
    task: 'binary',
    message: /label is missing in every row/,
  },
  {
    name: 'a regression target with text in it',
    file: () =>
      writeCsv(
        dir,
        'text-target.csv',
        ['x', 'price'],
        range(60).map((i) => [i, i % 7 === 0 ? 'unknown' : `${i * 3}.5`]),
      ),
    target: 'price',
    task: 'regression',
    message: /price holds text \(for example "unknown"\), so it cannot be a regression target/,
  },
  {
    name: '2 rows',
    file: () =>
      writeCsv(
        dir,
        'two-rows.csv',
        ['x', 'label'],
        [
          [1, 'a'],
          [2, 'b'],
        ],
      ),
    target: 'label',
    task: 'binary',
    message: /only 2 rows/,
  },
  {
    name: '500 classes',
    file: () =>
      writeCsv(
        dir,
        'many-classes.csv',
        ['x', 'label'],
        range(1500).map((i) => [i, `class-${i % 500}`]),
      ),
    target: 'label',
    task: 'multiclass',
    message: /label has 500 distinct values, more than the 100 classes/,
  },
  {
    name: 'a feature set that is empty after the exclusions',
    file: () =>
      writeCsv(
        dir,
        'no-features.csv',
        ['id', 'label'],
        range(60).map((i) => [i, i % 2 === 0 ? 'a' : 'b']),
      ),
    target: 'label',
    task: 'binary',
    features: (settings) => ({
      ...settings,
      features: settings.features.map((feature) => ({ ...feature, include: false, reason: 'id looks like an identifier.' })),
    }),
    message: /No features are left/,
  },
];

describe('train.start refuses bad input before any job or run exists', () => {
  for (const testCase of cases) {
    it(`refuses ${testCase.name}`, async () => {
      const { engine } = test;
      const dataset = await importFile(engine, await testCase.file(), testCase.name);
      const base = allFeatures(dataset, testCase.target, testCase.task);
      const features = testCase.features ? testCase.features(base) : base;
      const attempt = engine.call('train.start', {
        projectId: dataset.projectId,
        datasetId: dataset.id,
        features,
        train: trainSettings({ model: 'gbdt' }),
      });
      await expect(attempt).rejects.toBeInstanceOf(KilnError);
      await expect(attempt).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(testCase.message) });
      const jobs = await engine.call('jobs.list', { projectId: dataset.projectId });
      expect(jobs.map((job) => job.kind)).not.toContain('train');
      expect(await engine.call('runs.list', { projectId: dataset.projectId })).toEqual([]);
    });
  }

  it("refuses a family's setting out of range or unknown, naming the recipe field", async () => {
    const { engine } = test;
    const dataset = await importFile(
      engine,
      await writeCsv(
        dir,
        'settings.csv',
        ['x', 'label'],
        Array.from({ length: 60 }, (_, row) => [String(row), row % 2 === 0 ? 'a' : 'b']),
      ),
      'settings',
    );
    const features = allFeatures(dataset, 'label', 'binary');
    const start = (train: Record<string, unknown>) =>
      engine.call('train.start', { projectId: dataset.projectId, datasetId: dataset.id, features, train: trainSettings(train) });
    await expect(start({ model: 'gbdt', gbdt: { learningRate: 2 } })).rejects.toMatchObject({
      code: 'bad_input',
      field: 'train.gbdt.learningRate',
      message: expect.stringContaining('train.gbdt.learningRate'),
    });
    // A section is checked even when Auto or another family is chosen: the recipe records it.
    await expect(start({ model: 'linear', forest: { tres: 10 } })).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringContaining('train.forest.tres'),
    });
    expect(await engine.call('runs.list', { projectId: dataset.projectId })).toEqual([]);
  });

  it('refuses a backend that is not available, naming why', async () => {
    const { engine } = test;
    const dataset = await importFile(
      engine,
      await writeCsv(
        dir,
        'fine.csv',
        ['x', 'label'],
        range(60).map((i) => [i, i % 2 ? 'a' : 'b']),
      ),
      'backend',
    );
    const { listBackends } = await import('../../../main/engine/train/backends.js');
    const missing = (await listBackends()).find((backend) => !backend.available);
    // Where every backend is present (tfjs-node and a GPU installed) there is nothing to refuse.
    if (!missing) return;
    await expect(
      engine.call('train.start', {
        projectId: dataset.projectId,
        datasetId: dataset.id,
        features: allFeatures(dataset, 'label', 'binary'),
        train: trainSettings({ model: 'mlp', backend: missing.name }),
      }),
    ).rejects.toMatchObject({ code: 'bad_input', message: expect.stringContaining(`The ${missing.name} backend is not available`) });
    expect((await engine.call('jobs.list', { projectId: dataset.projectId })).map((job) => job.kind)).not.toContain('train');
  });
});
