import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adultCsv, repoRoot, tempDir } from '../../helpers/engine.js';
import { adultFeatures, kiln } from './helpers.js';

let previousHome: string | undefined;

beforeEach(async () => {
  previousHome = process.env.KILN_HOME;
  process.env.KILN_HOME = await tempDir('kiln-repro-');
});

afterEach(() => {
  if (previousHome === undefined) delete process.env.KILN_HOME;
  else process.env.KILN_HOME = previousHome;
});

interface RunOutput {
  datasetId: string;
  train: {
    runId: string;
    model: string;
    backend: string;
    seed: number;
    params: Record<string, unknown>;
    metrics: { validation: Record<string, number>; test: Record<string, number> };
    runIds: string[];
  };
}

/** The sample recipe with features and a train section: `kiln run` then imports, cleans, splits and trains. */
async function recipeFile(train: Record<string, unknown>): Promise<string> {
  const sample = JSON.parse(await readFile(join(repoRoot, 'resources', 'samples', 'adult.recipe.json'), 'utf8')) as Record<string, unknown>;
  const dir = await tempDir('kiln-recipe-');
  const path = join(dir, 'recipe.json');
  await writeFile(path, JSON.stringify({ ...sample, dataset: { path: adultCsv }, features: adultFeatures(), train }));
  return path;
}

describe('reproducible runs', () => {
  for (const [family, train] of [
    ['linear', { model: 'linear', seed: 11, backend: 'cpu', linear: { epochs: 4 } }],
    ['gbdt', { model: 'gbdt', seed: 11, gbdt: { rounds: 60, subsample: 0.8, colsampleByTree: 0.8 } }],
    ['forest', { model: 'forest', seed: 11, forest: { trees: 15, maxDepth: 10 } }],
  ] as const) {
    it(`the same recipe and seed give the same ${family} metrics twice`, async () => {
      const recipe = await recipeFile(train);
      const first = await kiln(['run', recipe, '--json']);
      expect(first.code, first.err).toBe(0);
      const second = await kiln(['run', recipe, '--json']);
      expect(second.code, second.err).toBe(0);
      const a = JSON.parse(first.out) as RunOutput;
      const b = JSON.parse(second.out) as RunOutput;
      expect(a.train.model).toBe(family);
      expect(a.train.seed).toBe(11);
      expect(b.train.runId).not.toBe(a.train.runId);
      expect(b.train.backend).toBe(a.train.backend);
      expect(b.train.metrics).toEqual(a.train.metrics);
      expect(a.train.metrics.test.auc).toBeGreaterThan(0.85);

      // A different seed draws other rows and subsamples: the metrics change.
      const reseeded = await recipeFile({ ...train, seed: 12 });
      const third = await kiln(['run', reseeded, '--json']);
      expect(third.code, third.err).toBe(0);
      expect((JSON.parse(third.out) as RunOutput).train.metrics).not.toEqual(a.train.metrics);
    }, 300_000);
  }
});
