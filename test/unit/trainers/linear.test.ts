import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { KilnError } from '../../../shared/errors.js';
import type { LinearArtifact as LinearModelJson } from '../../../main/engine/models/linear/index.js';
import type { EpochRecord } from '../../../shared/api/train.js';
import { adultClasses, loadAdultPrepared } from './adultPrepared.js';
import { affine, fitFamily, settings, syntheticLinear, testAuc, testR2, trainContext } from './helpers.js';

type Adult = ReturnType<typeof loadAdultPrepared>;

describe('logistic regression on adult', () => {
  let adult: Adult;
  beforeAll(() => {
    adult = loadAdultPrepared();
  });

  it('scores within 0.003 AUC of scikit-learn (0.9038) on adult.test with its defaults', async () => {
    const history: EpochRecord[] = [];
    const model = await fitFamily(
      'linear',
      adult,
      settings({ backend: 'cpu' }),
      trainContext('binary', adultClasses, { onEpoch: (r) => history.push(r) }),
    );
    const proba = await model.predict(adult, 'test');
    expect(proba.length).toBe(adult.y.test!.length * 2);
    expect(testAuc(adult, adultClasses, proba)).toBeGreaterThanOrEqual(0.9038 - 0.003);
    expect(model.backend).toBe('cpu');
    expect(model.device).toBe('CPU (JavaScript)');
    expect(model.history).toEqual(history);
    // Early stopping kept the best epoch, and stopped `patience` epochs after it.
    const best = model.params.bestEpoch as number;
    const bestLoss = Math.min(...history.map((record) => record.validLoss!));
    expect(history[best - 1]!.validLoss).toBe(bestLoss);
    expect(history.length).toBeLessThanOrEqual(Math.min(40, best + 5));
    for (const record of history) {
      expect(record.validMetric).toBeGreaterThan(0.85);
      expect(record.rowsPerSecond).toBeGreaterThan(0);
      expect(record.dataWaitMs).toBeGreaterThanOrEqual(0);
      expect(record.computeMs).toBeGreaterThan(0);
    }
    // The exported weights give the same probabilities as the model.
    const json = model.artifact as LinearModelJson;
    expect(json.kind).toBe('linear');
    expect(json.link).toBe('sigmoid');
    expect(json.weights.length).toBe(adult.dense.test!.cols);
    const { cols, values } = adult.dense.test!;
    for (const row of [0, 1, 500, 16000]) {
      const margin = affine(values.subarray(row * cols, (row + 1) * cols), json.weights, json.bias)[0]!;
      expect(1 / (1 + Math.exp(-margin))).toBeCloseTo(proba[row * 2 + 1]!, 4);
    }
  });

  it('repeats exactly with the same seed and backend, and differs with another seed', async () => {
    const quick = settings({ backend: 'cpu', linear: { epochs: 3 } });
    const first = await fitFamily('linear', adult, quick, trainContext('binary', adultClasses, { seed: 5 }));
    const second = await fitFamily('linear', adult, quick, trainContext('binary', adultClasses, { seed: 5 }));
    const other = await fitFamily('linear', adult, quick, trainContext('binary', adultClasses, { seed: 6 }));
    const strip = (records: EpochRecord[]) =>
      records.map(({ trainLoss, validLoss, validMetric }) => ({ trainLoss, validLoss, validMetric }));
    expect(strip(second.history)).toEqual(strip(first.history));
    expect(await second.predict(adult, 'test')).toEqual(await first.predict(adult, 'test'));
    expect(strip(other.history)).not.toEqual(strip(first.history));
  });

  it('repeats exactly on the wasm backend too', async () => {
    const quick = settings({ backend: 'wasm', linear: { epochs: 2 } });
    const first = await fitFamily('linear', adult, quick, trainContext('binary', adultClasses));
    const second = await fitFamily('linear', adult, quick, trainContext('binary', adultClasses));
    expect(first.backend).toBe('wasm');
    expect(first.device).toMatch(/^CPU \(wasm/);
    expect(second.history.map((record) => record.validLoss)).toEqual(first.history.map((record) => record.validLoss));
    expect(await second.predict(adult, 'valid')).toEqual(await first.predict(adult, 'valid'));
  });

  it('stops with a clear message when the loss becomes NaN or diverges', async () => {
    const nan = fitFamily(
      'linear',
      adult,
      settings({ backend: 'cpu', linear: { learningRate: 1e38, epochs: 2 } }),
      trainContext('binary', adultClasses),
    );
    await expect(nan).rejects.toThrow('The loss became NaN at epoch 1; try a lower learning rate.');
    const diverged = fitFamily(
      'linear',
      adult,
      settings({ backend: 'cpu', linear: { learningRate: 1e6, epochs: 2 } }),
      trainContext('binary', adultClasses),
    );
    await expect(diverged).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/at epoch 1: training diverged; try a lower learning rate\.$/),
    });
  });

  it('stops when cancelled and leaks no tensors', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const epochs: number[] = [];
    const run = fitFamily(
      'linear',
      adult,
      settings({ backend: 'cpu', linear: { epochs: 10 } }),
      trainContext('binary', adultClasses, {
        signal: controller.signal,
        onEpoch: (record) => {
          epochs.push(record.epoch);
          if (record.epoch === 2) controller.abort();
        },
      }),
    );
    const error: unknown = await run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KilnError);
    expect((error as KilnError).code).toBe('cancelled');
    expect(epochs).toEqual([1, 2]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the tensor count flat across epochs and frees everything on dispose', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const model = await fitFamily(
      'linear',
      adult,
      settings({ backend: 'cpu', linear: { epochs: 5, patience: 0 } }),
      trainContext('binary', adultClasses, { onEpoch: () => counts.push(tf.memory().numTensors) }),
    );
    expect(counts.length).toBe(5);
    expect(new Set(counts).size).toBe(1);
    await model.predict(adult, 'test');
    (model as unknown as { dispose(): void }).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('linear regression', () => {
  it('fits a synthetic linear set (R² > 0.95) and exports weights in the target units', async () => {
    const data = syntheticLinear();
    const model = await fitFamily('linear', data, settings({ backend: 'cpu', linear: { epochs: 60 } }), trainContext('regression', []));
    const predictions = await model.predict(data, 'test');
    expect(testR2(data, predictions)).toBeGreaterThan(0.95);
    // RMSE, the validation metric of regression, at the kept epoch: near the noise (0.5, and 2 from the imputed rows of c).
    expect(model.history[(model.params.bestEpoch as number) - 1]!.validMetric).toBeLessThan(0.8);
    const json = model.artifact as LinearModelJson;
    expect(json.link).toBe('linear');
    const { cols, values } = data.dense.test!;
    for (const row of [0, 7, 499]) {
      expect(affine(values.subarray(row * cols, (row + 1) * cols), json.weights, json.bias)[0]).toBeCloseTo(predictions[row]!, 3);
    }
  });
});
