/**
 * Gradient-boosted trees behind the Trainer interface. With a validation
 * split, the first fit finds the best number of rounds by early stopping; the
 * model kept is then refitted on train + validation for 15 % more rounds than
 * that, which measured better on adult (0.9286 against 0.9273 test AUC) since
 * the final trees see every labelled row. The history shown is the first fit's,
 * the only one with a validation curve. Validation rows are scored by the first
 * fit: the refit has trained on them, so its validation score would flatter it
 * and Auto would pick the trees for the wrong reason.
 */
import { performance } from 'node:perf_hooks';
import type { EpochRecord, Task, TrainSettings } from '../../../../shared/api/train.js';
import { KilnError } from '../../../../shared/errors.js';
import { fitGbdt } from '../gbdt/index.js';
import type { GbdtDataset, GbdtFeature, GbdtParams } from '../gbdt/index.js';
import type { FittedModel, PreparedData, Trainer } from '../types.js';

/** More rounds for the refit on train + validation, in proportion to the rows it adds; measured on adult. */
export const REFIT_ROUND_FACTOR = 1.15;
/** The share of the progress bar given to the first fit; the refit (about as long again, with no validation curve to report) takes the rest. */
const FIRST_FIT_SHARE = 0.6;

export function gbdtParamsFor(task: Task, classes: string[], settings: TrainSettings, seed: number): Partial<GbdtParams> {
  const chosen = settings.gbdt;
  return {
    objective: task,
    numClasses: task === 'multiclass' ? classes.length : task === 'binary' ? 2 : 1,
    rounds: chosen.rounds,
    learningRate: chosen.learningRate,
    growth: chosen.numLeaves > 0 ? 'leafwise' : 'depthwise',
    maxDepth: chosen.maxDepth,
    numLeaves: chosen.numLeaves,
    subsample: chosen.subsample,
    colsampleByTree: chosen.colsampleByTree,
    lambda: chosen.lambda,
    minChildWeight: chosen.minChildWeight,
    earlyStoppingRounds: chosen.earlyStoppingRounds,
    seed,
  };
}

function concatFeatures(first: GbdtDataset, second: GbdtDataset): GbdtDataset {
  return {
    features: first.features.map((feature, index): GbdtFeature => {
      const other = second.features[index]!;
      if (feature.kind === 'numeric' && other.kind === 'numeric') {
        const values = new Float64Array(feature.values.length + other.values.length);
        values.set(feature.values);
        values.set(other.values, feature.values.length);
        return { ...feature, values };
      }
      if (feature.kind === 'categorical' && other.kind === 'categorical') {
        const codes = new Int32Array(feature.codes.length + other.codes.length);
        codes.set(feature.codes);
        codes.set(other.codes, feature.codes.length);
        return { ...feature, codes, categoryCount: Math.max(feature.categoryCount, other.categoryCount) };
      }
      throw new KilnError(
        'bad_input',
        `The feature ${feature.name} is ${feature.kind} in training and ${other.kind} in validation.`,
        'features',
      );
    }),
  };
}

function concatLabels(first: Float64Array, second: Float64Array): Float64Array {
  const labels = new Float64Array(first.length + second.length);
  labels.set(first);
  labels.set(second, first.length);
  return labels;
}

/** Binary trees give P(class 1) per row; the Trainer interface wants both columns. */
function asProbabilities(task: Task, predictions: Float64Array): Float64Array {
  if (task !== 'binary') return predictions;
  const out = new Float64Array(predictions.length * 2);
  predictions.forEach((p, row) => {
    out[row * 2] = 1 - p;
    out[row * 2 + 1] = p;
  });
  return out;
}

export const gbdtTrainer: Trainer = {
  family: 'gbdt',
  async fit(data, settings, _features, context): Promise<FittedModel> {
    const { task, classes, seed, signal } = context;
    const started = performance.now();
    const params = gbdtParamsFor(task, classes, settings, seed);
    const train = data.trees.train;
    const validation =
      data.trees.valid && data.y.valid && data.y.valid.length > 0 ? { data: data.trees.valid, labels: data.y.valid } : null;
    const trainRows = data.y.train.length;
    const history: EpochRecord[] = [];
    let roundStarted = performance.now();
    const first = await fitGbdt(train, data.y.train, params, {
      ...(validation ? { validation } : {}),
      signal,
      onRound: (progress) => {
        const now = performance.now();
        const computeMs = now - roundStarted;
        roundStarted = now;
        const record: EpochRecord = {
          epoch: progress.round,
          trainLoss: progress.trainLoss,
          validLoss: progress.validLoss,
          // The trees score regression by R²; the runs compare RMSE, which is the regression loss itself.
          validMetric: task === 'regression' ? progress.validLoss : progress.validMetric,
          rowsPerSecond: computeMs > 0 ? trainRows / (computeMs / 1000) : null,
          // The rows are in memory before the first round: the trees never wait for data.
          dataWaitMs: 0,
          computeMs,
        };
        history.push(record);
        const share = validation ? FIRST_FIT_SHARE : 1;
        context.onProgress({ record, fraction: (share * progress.round) / (params.rounds ?? progress.round) });
      },
    });

    const validationModel = first.model;
    let model = first.model;
    let threads = first.threads;
    const recorded: Record<string, unknown> = { ...settings.gbdt, growth: params.growth, bestRound: first.bestRound };
    if (validation) {
      const refitRounds = Math.max(1, Math.round(first.bestRound * REFIT_ROUND_FACTOR));
      const refit = await fitGbdt(
        concatFeatures(train, validation.data),
        concatLabels(data.y.train, validation.labels),
        { ...params, rounds: refitRounds, earlyStoppingRounds: 0 },
        { signal },
      );
      model = refit.model;
      threads = refit.threads;
      recorded.refitRounds = refitRounds;
    }

    return {
      family: 'gbdt',
      params: recorded,
      backend: 'native',
      device: `CPU (${threads} thread${threads === 1 ? '' : 's'})`,
      history,
      trainMs: performance.now() - started,
      predict: async (prepared: PreparedData, split) => {
        const dataset = prepared.trees[split];
        if (!dataset) throw new KilnError('bad_input', `There is no ${split} split to predict.`, 'split');
        return asProbabilities(task, (split === 'valid' ? validationModel : model).predict(dataset));
      },
      toJSON: () => model.toJSON(),
    };
  },
};
