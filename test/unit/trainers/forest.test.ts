import { beforeAll, describe, expect, it } from 'vitest';
import { KilnError } from '../../../shared/errors.js';
import { featuresPerSplit } from '../../../main/engine/models/forest/index.js';
import { flavorOf } from '../../../main/engine/models/registry.js';
import { adultClasses, loadAdultPrepared } from './adultPrepared.js';
import { fitFamily, settings, syntheticLinear, testAuc, testR2, trainContext } from './helpers.js';

interface ForestArtifactView {
  format: string;
  outputs: number;
  baseScore: number[];
  trees: { feature: number[]; value: number[]; gain?: number[] }[];
}

describe('random forest trainer', () => {
  let adult: ReturnType<typeof loadAdultPrepared>;
  beforeAll(() => {
    adult = loadAdultPrepared();
  });

  it('bags deep trees on adult: one progress record per tree, a test AUC near the boosted trees', async () => {
    const trees: number[] = [];
    const model = await fitFamily(
      'forest',
      adult,
      settings({ forest: { trees: 40 } }),
      trainContext('binary', adultClasses, { onEpoch: (record) => trees.push(record.epoch) }),
    );
    expect(trees).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    const json = model.artifact as ForestArtifactView;
    expect(json.format).toBe('kiln-forest');
    expect(json.trees.length).toBe(40);
    expect(json.trees[0]!.gain).toBeUndefined();
    // Deep trees: far more leaves than the boosted trees' depth-6 limit allows.
    expect(Math.max(...json.trees.map((tree) => tree.feature.filter((feature) => feature < 0).length))).toBeGreaterThan(64);
    expect(model.params.featuresPerSplitCount).toBe(Math.round(Math.sqrt(adult.trees.train.features.length)));
    expect(model.validationUsedInFit).toBe(false);
    expect(model.history.at(-1)!.validMetric).toBeGreaterThan(0.9);
    const proba = await model.predict(adult, 'test');
    for (let row = 0; row < 50; row++) expect(proba[row * 2]! + proba[row * 2 + 1]!).toBeCloseTo(1, 12);
    expect(testAuc(adult, adultClasses, proba)).toBeGreaterThan(0.9);
  });

  it('gives identical forests for one seed and different ones for another', async () => {
    const quick = settings({ forest: { trees: 5, maxDepth: 8 } });
    const first = await fitFamily('forest', adult, quick, trainContext('binary', adultClasses, { seed: 3 }));
    const second = await fitFamily('forest', adult, quick, trainContext('binary', adultClasses, { seed: 3 }));
    const other = await fitFamily('forest', adult, quick, trainContext('binary', adultClasses, { seed: 4 }));
    expect(second.artifact).toEqual(first.artifact);
    expect(other.artifact).not.toEqual(first.artifact);
  });

  it('fits regression with all features per split and averages the tree means', async () => {
    const data = syntheticLinear();
    const model = await fitFamily('forest', data, settings({ forest: { trees: 30 } }), trainContext('regression', []));
    expect(model.params.featuresPerSplitCount).toBe(data.trees.train.features.length);
    expect(testR2(data, await model.predict(data, 'test'))).toBeGreaterThan(0.85);
    // Regression progress reports RMSE as both the loss and the metric the runs compare.
    const last = model.history.at(-1)!;
    expect(last.validMetric).toBe(last.validLoss);
  });

  it('normalises the class shares of a 3-class forest', async () => {
    const data = syntheticLinear();
    const relabel = (y: Float64Array | null) => (y ? y.map((value) => (value < 0 ? 0 : value < 6 ? 1 : 2)) : null);
    const three = {
      ...data,
      spec: { ...data.spec, task: 'multiclass' as const, classes: ['low', 'middle', 'high'] },
      y: { train: relabel(data.y.train)!, valid: relabel(data.y.valid), test: relabel(data.y.test) },
    };
    const model = await fitFamily(
      'forest',
      three,
      settings({ forest: { trees: 20 } }),
      trainContext('multiclass', ['low', 'middle', 'high']),
    );
    const proba = await model.predict(three, 'test');
    let correct = 0;
    for (let row = 0; row < three.y.test!.length; row++) {
      const p = proba.subarray(row * 3, row * 3 + 3);
      expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 12);
      if (p.indexOf(Math.max(...p)) === three.y.test![row]) correct++;
    }
    expect(correct / three.y.test!.length).toBeGreaterThan(0.8);
  });

  it('refuses bad settings with the field named, and stops when cancelled', async () => {
    expect(() => flavorOf('forest').resolve({ trees: 0 })).toThrow(/train\.forest\.trees/);
    expect(() => flavorOf('forest').resolve({ tres: 10 })).toThrow(/train\.forest\.tres/);
    expect(featuresPerSplit('auto', 14, 'binary')).toBe(4);
    expect(featuresPerSplit('auto', 14, 'regression')).toBe(14);
    const controller = new AbortController();
    const run = fitFamily(
      'forest',
      adult,
      settings({}),
      trainContext('binary', adultClasses, { signal: controller.signal, onEpoch: (record) => record.epoch === 2 && controller.abort() }),
    );
    await expect(run).rejects.toBeInstanceOf(KilnError);
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
  });
});
