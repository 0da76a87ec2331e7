import { ModelFamily } from '../../../shared/api/train.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GbdtModelJson } from '../../../main/engine/train/trees/index.js';
import { REFIT_ROUND_FACTOR } from '../../../main/engine/models/gbdt/index.js';
import { flavorOf } from '../../../main/engine/models/registry.js';
import { KilnError } from '../../../shared/errors.js';
import { adultClasses, loadAdultPrepared } from './adultPrepared.js';
import { fitFamily, settings, syntheticLinear, testAuc, testR2, trainContext } from './helpers.js';

describe('gradient-boosted trees behind the Trainer interface', () => {
  let adult: ReturnType<typeof loadAdultPrepared>;
  beforeAll(() => {
    adult = loadAdultPrepared();
  });

  it('registers one flavor per family, under its own id', () => {
    for (const family of ModelFamily.options) expect(flavorOf(family).id).toBe(family);
    expect(() => flavorOf('tree')).toThrow(/Unknown model family "tree"/);
  });

  it('stops early on validation, then refits on train + validation for 15 % more rounds', async () => {
    const rounds: number[] = [];
    const model = await fitFamily(
      'gbdt',
      adult,
      settings({ gbdt: { learningRate: 0.3 } }),
      trainContext('binary', adultClasses, { onEpoch: (record) => rounds.push(record.epoch) }),
    );
    const best = model.params.bestRound as number;
    expect(model.params.refitRounds).toBe(Math.round(best * REFIT_ROUND_FACTOR));
    const json = model.artifact as GbdtModelJson;
    expect(json.format).toBe('kiln-gbdt');
    expect(json.rounds).toBe(model.params.refitRounds);
    // The history is the first fit's: every round up to the early stop, with the validation AUC.
    expect(model.history.map((record) => record.epoch)).toEqual(rounds);
    expect(rounds.length).toBe(best + 20);
    expect(model.history[best - 1]!.validMetric).toBeGreaterThan(0.9);
    expect(model.backend).toBe('native');
    expect(model.device).toMatch(/^CPU \(\d+ threads?\)$/);
    const proba = await model.predict(adult, 'test');
    expect(proba.length).toBe(adult.y.test!.length * 2);
    expect(testAuc(adult, adultClasses, proba)).toBeGreaterThan(0.92);
  });

  it('fits regression without a validation split (no refit) and reports RMSE', async () => {
    const data = syntheticLinear();
    const noValid = {
      ...data,
      dense: { ...data.dense, valid: null },
      trees: { ...data.trees, valid: null },
      y: { ...data.y, valid: null },
    };
    const model = await fitFamily('gbdt', noValid, settings({ gbdt: { rounds: 80 } }), trainContext('regression', []));
    expect(model.params.refitRounds).toBeUndefined();
    expect(model.history.length).toBe(80);
    expect(model.history[0]!.validMetric).toBeNull();
    expect(testR2(data, await model.predict(data, 'test'))).toBeGreaterThan(0.9);
    const withValid = await fitFamily('gbdt', data, settings({ gbdt: { rounds: 30 } }), trainContext('regression', []));
    const last = withValid.history.at(-1)!;
    expect(last.validMetric).toBe(last.validLoss);
  });

  it('is cancelled through the signal', async () => {
    const controller = new AbortController();
    const run = fitFamily(
      'gbdt',
      adult,
      settings({}),
      trainContext('binary', adultClasses, { signal: controller.signal, onEpoch: (record) => record.epoch === 3 && controller.abort() }),
    );
    const error: unknown = await run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KilnError);
    expect((error as KilnError).code).toBe('cancelled');
  });
});
