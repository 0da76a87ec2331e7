/** Small shared pieces of the trainer tests: contexts, scoring, a synthetic regression set. */
import { FeatureSettings, TrainSettings, type Task } from '../../../shared/api/train.js';
import { evaluateClassification, evaluateRegression } from '../../../main/engine/evaluate/index.js';
import { prepareData } from '../../../main/engine/train/data/preprocess.js';
import type { EpochRecord } from '../../../shared/api/train.js';
import type { FittedModel, PreparedData, TrainerContext } from '../../../main/engine/train/types.js';
import { flavorOf } from '../../../main/engine/models/registry.js';
import type { ModelFamily } from '../../../shared/api/train.js';

export function trainContext(
  task: Task,
  classes: string[],
  options: { seed?: number; signal?: AbortSignal; onEpoch?: (record: EpochRecord) => void } = {},
): TrainerContext {
  return {
    task,
    classes,
    seed: options.seed ?? 42,
    backend: 'auto',
    signal: options.signal ?? new AbortController().signal,
    onProgress: ({ record }) => options.onEpoch?.(record),
  };
}

/** Fits one family as the training worker does: its section of the settings, the settings' backend. */
export function fitFamily(
  family: ModelFamily,
  data: PreparedData,
  train: TrainSettings,
  context: TrainerContext,
): Promise<FittedModel<unknown>> {
  return flavorOf(family).fit(data, train[family], { ...context, backend: train.backend });
}

export function settings(input: Record<string, unknown>): TrainSettings {
  return TrainSettings.parse(input);
}

export function testAuc(data: PreparedData, classes: string[], proba: Float64Array): number {
  const summary = evaluateClassification({ labels: classes, yTrue: Int32Array.from(data.y.test!), proba }).summary;
  return summary.auc ?? Number.NaN;
}

export function testR2(data: PreparedData, predictions: Float64Array): number {
  return evaluateRegression({ yTrue: data.y.test!, yPred: predictions }).summary.r2;
}

/** y = 3·a − 2·b + 0.5·c + 10 + noise (sd 0.5), with a little missing data in `c`; seeded. */
export function syntheticLinear(rows = { train: 1500, valid: 300, test: 500 }, seed = 3): PreparedData & { features: FeatureSettings } {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const make = (count: number) => {
    const a = Float64Array.from({ length: count }, () => normal() * 2);
    const b = Float64Array.from({ length: count }, () => normal() + 5);
    const c = Float64Array.from({ length: count }, () => normal() * 4);
    const y = Float64Array.from({ length: count }, (_, row) => 3 * a[row]! - 2 * b[row]! + 0.5 * c[row]! + 10 + normal() * 0.5);
    for (let row = 0; row < count; row += 50) c[row] = Number.NaN;
    return {
      rows: count,
      numeric: new Map([
        ['a', a],
        ['b', b],
        ['c', c],
      ]),
      categorical: new Map<string, (string | null)[]>(),
      y,
    };
  };
  const features = FeatureSettings.parse({
    target: 'y',
    task: 'regression',
    features: ['a', 'b', 'c'].map((name) => ({ name, include: true, encoding: { kind: 'numeric' } })),
  });
  return { ...prepareData(features, [], { train: make(rows.train), valid: make(rows.valid), test: make(rows.test) }), features };
}

/** x · W + b from exported JSON weights, for one row of a dense matrix. */
export function affine(row: Float32Array, weights: number[][], bias: number[]): number[] {
  return bias.map((b, out) => row.reduce((sum, x, input) => sum + x * weights[input]![out]!, b));
}
