import { beforeAll, describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../../shared/api/train.js';
import type { MlpArtifact as MlpModelJson } from '../../../main/engine/models/mlp/index.js';
import type { PreparedData } from '../../../main/engine/train/types.js';
import { adultClasses, loadAdultPrepared } from './adultPrepared.js';
import { affine, fitFamily, settings, syntheticLinear, testAuc, trainContext } from './helpers.js';

function forwardJson(json: MlpModelJson, row: Float32Array): number[] {
  let h: number[] = Array.from(row);
  for (const layer of json.layers) {
    h = affine(Float32Array.from(h), layer.weights, layer.bias);
    if (layer.activation === 'relu') h = h.map((value) => Math.max(0, value));
    if (layer.activation === 'sigmoid') h = h.map((value) => 1 / (1 + Math.exp(-value)));
  }
  return h;
}

describe('MLP on adult', () => {
  let adult: ReturnType<typeof loadAdultPrepared>;
  let small: ReturnType<typeof loadAdultPrepared>;
  beforeAll(() => {
    adult = loadAdultPrepared();
    small = loadAdultPrepared({ trainRows: 3000 });
  });

  it('reaches AUC ≥ 0.90 on adult.test in a few epochs, and exports its layers', async () => {
    const model = await fitFamily('mlp', adult, settings({ backend: 'wasm', mlp: { epochs: 2 } }), trainContext('binary', adultClasses));
    const proba = await model.predict(adult, 'test');
    expect(testAuc(adult, adultClasses, proba)).toBeGreaterThanOrEqual(0.9);
    expect(model.backend).toBe('wasm');
    expect(model.params).toMatchObject({ layers: 2, width: 64, dropout: 0.1, epochsTrained: 2 });
    const json = model.artifact as MlpModelJson;
    expect(json.layers.map((layer) => layer.activation)).toEqual(['relu', 'relu', 'sigmoid']);
    expect(json.layers.map((layer) => [layer.weights.length, layer.weights[0]!.length, layer.bias.length])).toEqual([
      [adult.dense.train.cols, 64, 64],
      [64, 64, 64],
      [64, 1, 1],
    ]);
    const { cols, values } = adult.dense.test!;
    for (const row of [0, 99, 12345])
      expect(forwardJson(json, values.subarray(row * cols, (row + 1) * cols))[0]).toBeCloseTo(proba[row * 2 + 1]!, 4);
  });

  it('repeats exactly with the same seed (dropout included) and differs with another', async () => {
    const quick = settings({ backend: 'cpu', mlp: { epochs: 2, width: 32 } });
    const strip = (records: EpochRecord[]) =>
      records.map(({ trainLoss, validLoss, validMetric }) => ({ trainLoss, validLoss, validMetric }));
    const first = await fitFamily('mlp', small, quick, trainContext('binary', adultClasses, { seed: 11 }));
    const second = await fitFamily('mlp', small, quick, trainContext('binary', adultClasses, { seed: 11 }));
    const other = await fitFamily('mlp', small, quick, trainContext('binary', adultClasses, { seed: 12 }));
    expect(strip(second.history)).toEqual(strip(first.history));
    expect(await second.predict(small, 'valid')).toEqual(await first.predict(small, 'valid'));
    expect(strip(other.history)).not.toEqual(strip(first.history));
  });

  it('weights the rare class up when class weights are on', async () => {
    const meanPositive = async (classWeights: boolean) => {
      const model = await fitFamily(
        'mlp',
        small,
        settings({ backend: 'cpu', mlp: { epochs: 2, width: 32, classWeights } }),
        trainContext('binary', adultClasses),
      );
      const proba = await model.predict(small, 'valid');
      let total = 0;
      for (let row = 0; row < proba.length / 2; row++) total += proba[row * 2 + 1]!;
      return total / (proba.length / 2);
    };
    // About 24 % of adult earns >50K; balanced weights pull the average probability towards 50 %.
    const plain = await meanPositive(false);
    const weighted = await meanPositive(true);
    expect(plain).toBeLessThan(0.32);
    expect(weighted).toBeGreaterThan(plain + 0.1);
  });
});

/** The synthetic regression set relabelled into three classes by the value of y. */
function threeClasses(): PreparedData & { features: ReturnType<typeof syntheticLinear>['features'] } {
  const data = syntheticLinear();
  const relabel = (y: Float64Array | null) => (y ? y.map((value) => (value < 0 ? 0 : value < 6 ? 1 : 2)) : null);
  return {
    ...data,
    spec: { ...data.spec, task: 'multiclass' as const, classes: ['low', 'middle', 'high'] },
    y: { train: relabel(data.y.train)!, valid: relabel(data.y.valid), test: relabel(data.y.test) },
  };
}

describe('multiclass (softmax)', () => {
  it('the MLP and the linear model both learn three classes', async () => {
    const data = threeClasses();
    const classes = ['low', 'middle', 'high'];
    for (const family of ['mlp', 'linear'] as const) {
      const model = await fitFamily(
        family,
        data,
        settings({ backend: 'cpu', mlp: { epochs: 8 }, linear: { epochs: 8 } }),
        trainContext('multiclass', classes),
      );
      const proba = await model.predict(data, 'test');
      expect(proba.length).toBe(data.y.test!.length * 3);
      let correct = 0;
      for (let row = 0; row < data.y.test!.length; row++) {
        const p = proba.subarray(row * 3, row * 3 + 3);
        expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 5);
        if (p.indexOf(Math.max(...p)) === data.y.test![row]) correct++;
      }
      expect(correct / data.y.test!.length).toBeGreaterThan(0.8);
      // Accuracy is the validation metric of multiclass runs.
      expect(model.history[0]!.validMetric).toBeGreaterThan(0.3);
    }
  });
});
