import { availableParallelism } from 'node:os';
import { KilnError } from '../../../../shared/errors.js';
import { binDataset, binningToJson, datasetRowCount, fitBinning } from './binning.js';
import { histogramLayout } from './histogram.js';
import { GbdtModel } from './model.js';
import { baseScores, fillGradients, loss, metric, metricName, softmaxAll } from './objectives.js';
import { LocalHistogramBuilder, ParallelHistogramBuilder, sharedFloat64, sharedUint32, sharedUint8 } from './parallel.js';
import { mulberry32 } from '../random.js';
import { growTree, HistogramPool, treeValueBinned, type HistogramBuilder, type Tree } from './tree.js';
import type { GbdtDataset, GbdtFitOptions, GbdtModelJson, GbdtParams, GbdtRoundProgress } from './types.js';

export const defaultGbdtParams: GbdtParams = {
  objective: 'binary',
  numClasses: 2,
  rounds: 300,
  learningRate: 0.1,
  growth: 'depthwise',
  maxDepth: 6,
  numLeaves: 0,
  lambda: 1,
  gamma: 0,
  minChildWeight: 1,
  minDataInLeaf: 1,
  subsample: 1,
  colsampleByTree: 1,
  maxBins: 255,
  maxCategoryBins: 64,
  minDataPerCategory: 50,
  catSmooth: 10,
  catL2: 10,
  maxCatThreshold: 32,
  earlyStoppingRounds: 20,
  seed: 42,
  threads: 0,
};

/**
 * Automatic threading uses worker threads only from this many rows per tree
 * and on machines with at least PARALLEL_MIN_CORES cores. Measured on a 2-core
 * machine that other jobs were also loading (test/bench/gbdtAdult.ts): with
 * adult (27,677 rows, 14 features) one thread took about 1.1-1.5 s of CPU and
 * two threads gave no reliable wall-clock gain; at 8× adult (221k rows) two
 * threads were slower (144 against 105 ms a round), because the calling thread
 * waits for the slowest slice of every tree level. Histogram building is about
 * a third of a round; the rest (partitions, split search, losses) stays on one
 * thread.
 */
export const PARALLEL_MIN_ROWS = 200_000;
export const PARALLEL_MIN_CORES = 4;
/** Past this, the per-level hand-over and the summing of per-worker histograms eat the gain. */
const MAX_AUTO_THREADS = 8;

export interface GbdtFitResult {
  model: GbdtModel;
  history: GbdtRoundProgress[];
  metricName: 'auc' | 'accuracy' | 'r2';
  /** Rounds kept (the best validation round when early stopping ran). */
  bestRound: number;
  stoppedEarly: boolean;
  /** Threads that built histograms, the calling one included. */
  threads: number;
  fitMs: number;
}

/** Fits gradient-boosted trees. Deterministic for a seed and a thread count. */
export async function fitGbdt(
  train: GbdtDataset,
  labels: Float64Array,
  paramsIn: Partial<GbdtParams>,
  options: GbdtFitOptions = {},
): Promise<GbdtFitResult> {
  const startedAt = performance.now();
  const params = checkParams({ ...defaultGbdtParams, ...paramsIn });
  const rowCount = checkDataset(train, 'train');
  checkLabels(params, labels, rowCount, 'labels');
  const validation = options.validation;
  const validRows = validation ? checkDataset(validation.data, 'validation') : 0;
  if (validation) {
    checkLabels(params, validation.labels, validRows, 'validation.labels');
    if (validation.data.features.length !== train.features.length) {
      throw new KilnError('bad_input', 'The validation set must have the same features as the training set.', 'validation');
    }
  }
  if (options.weights && options.weights.length !== rowCount) {
    throw new KilnError('bad_input', `There are ${options.weights.length} weights for ${rowCount} rows.`, 'weights');
  }
  const { signal } = options;
  const throwIfCancelled = (round: number): void => {
    if (signal?.aborted) throw new KilnError('cancelled', `Training was cancelled after ${round} rounds.`);
  };
  throwIfCancelled(0);

  const random = mulberry32(params.seed);
  const featureCount = train.features.length;
  const featureBins = fitBinning(train, params.maxBins, params.maxCategoryBins, random);
  const layout = histogramLayout(featureBins);

  const cores = availableParallelism();
  const threads =
    params.threads > 0
      ? params.threads
      : rowCount * params.subsample >= PARALLEL_MIN_ROWS && cores >= PARALLEL_MIN_CORES
        ? Math.min(cores, MAX_AUTO_THREADS)
        : 1;
  const parallel = threads > 1;
  const binned = parallel ? sharedUint8(rowCount * featureCount) : new Uint8Array(rowCount * featureCount);
  binDataset(train, featureBins, binned);
  const rows = parallel ? sharedUint32(rowCount) : new Uint32Array(rowCount);
  const gradients = parallel ? sharedFloat64(rowCount) : new Float64Array(rowCount);
  const hessians = parallel ? sharedFloat64(rowCount) : new Float64Array(rowCount);
  const scratch = new Uint32Array(rowCount);
  const unsampled = new Uint32Array(rowCount);

  const validBinned = validation ? new Uint8Array(validRows * featureCount) : null;
  if (validation && validBinned) binDataset(validation.data, featureBins, validBinned);

  const outputs = params.objective === 'multiclass' ? params.numClasses : 1;
  const base = baseScores(params.objective, labels, outputs, options.weights);
  const margins = new Float64Array(rowCount * outputs);
  const validMargins = new Float64Array(validRows * outputs);
  for (let k = 0; k < outputs; k++) {
    for (let row = 0; row < rowCount; row++) margins[row * outputs + k] = base[k]!;
    for (let row = 0; row < validRows; row++) validMargins[row * outputs + k] = base[k]!;
  }
  const probabilities = params.objective === 'multiclass' ? new Float64Array(rowCount * outputs) : new Float64Array(0);
  const classMargins = outputs > 1 ? new Float64Array(rowCount) : margins;

  let builder: HistogramBuilder;
  let parallelBuilder: ParallelHistogramBuilder | null = null;
  if (parallel) {
    parallelBuilder = await ParallelHistogramBuilder.start(threads - 1, binned, layout, rows, gradients, hessians);
    builder = parallelBuilder;
  } else {
    builder = new LocalHistogramBuilder(binned, layout, rows, gradients, hessians);
  }

  const trees: Tree[] = [];
  const history: GbdtRoundProgress[] = [];
  const histograms = new HistogramPool(layout.size);
  const featureAllowed = new Uint8Array(featureCount);
  const featureOrder = Array.from({ length: featureCount }, (_, f) => f);
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestRound = 0;
  let stoppedEarly = false;

  try {
    for (let round = 0; round < params.rounds; round++) {
      throwIfCancelled(round);
      const sampledCount = drawRows(params.subsample, rowCount, random, rows, unsampled);
      const unsampledCount = rowCount - sampledCount;
      if (params.objective === 'multiclass') softmaxAll(margins, outputs, probabilities);

      for (let k = 0; k < outputs; k++) {
        drawFeatures(params.colsampleByTree, featureOrder, random, featureAllowed);
        if (outputs > 1) for (let row = 0; row < rowCount; row++) classMargins[row] = margins[row * outputs + k]!;
        fillGradients(params.objective, labels, classMargins, probabilities, outputs, k, options.weights, gradients, hessians);
        // Rows were reordered by the last tree's partitions; put the draw back in row order for memory locality.
        if (k > 0) rows.subarray(0, sampledCount).sort();
        const { tree, leaves } = growTree(
          {
            binned,
            layout,
            featureBins,
            rows,
            scratch,
            rowCount: sampledCount,
            gradients,
            hessians,
            params,
            featureAllowed,
            builder,
            histograms,
          },
          k,
        );
        trees.push(tree);
        for (const leaf of leaves) {
          for (let i = leaf.start; i < leaf.end; i++) margins[rows[i]! * outputs + k]! += leaf.value;
        }
        for (let i = 0; i < unsampledCount; i++) {
          const row = unsampled[i]!;
          margins[row * outputs + k]! += treeValueBinned(tree, binned, featureCount, row);
        }
        if (validBinned) {
          for (let row = 0; row < validRows; row++)
            validMargins[row * outputs + k]! += treeValueBinned(tree, validBinned, featureCount, row);
        }
      }

      const trainLoss = loss(params.objective, labels, margins, outputs, options.weights);
      const validLoss = validation ? loss(params.objective, validation.labels, validMargins, outputs) : null;
      if (!Number.isFinite(trainLoss) || (validLoss !== null && !Number.isFinite(validLoss))) {
        throw new KilnError('bad_input', `The loss became ${trainLoss} at round ${round + 1}. Try a lower learning rate.`, 'learningRate');
      }
      const progress: GbdtRoundProgress = {
        round: round + 1,
        trainLoss,
        validLoss,
        validMetric: validation ? metric(params.objective, validation.labels, validMargins, outputs) : null,
      };
      history.push(progress);
      options.onRound?.(progress);

      const watched = validLoss ?? trainLoss;
      if (watched < bestLoss) {
        bestLoss = watched;
        bestRound = round + 1;
      } else if (validation && params.earlyStoppingRounds > 0 && round + 1 - bestRound >= params.earlyStoppingRounds) {
        stoppedEarly = true;
        break;
      }
      // Lets an abort (or anything else waiting on the event loop) get through between rounds.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    throwIfCancelled(history.length);
  } finally {
    await parallelBuilder?.stop();
  }

  const keptRounds = validation ? bestRound : history.length;
  const json: GbdtModelJson = {
    format: 'kiln-gbdt',
    version: 1,
    objective: params.objective,
    outputs,
    baseScore: base,
    features: train.features.map((feature) =>
      feature.kind === 'numeric'
        ? { name: feature.name, kind: 'numeric' }
        : { name: feature.name, kind: 'categorical', categoryCount: feature.categoryCount },
    ),
    binning: binningToJson(featureBins),
    trees: trees.slice(0, keptRounds * outputs).map((tree) => tree.json),
    rounds: keptRounds,
    params,
  };
  return {
    model: new GbdtModel(json),
    history,
    metricName: metricName(params.objective),
    bestRound: keptRounds,
    stoppedEarly,
    threads,
    fitMs: performance.now() - startedAt,
  };
}

/** Bernoulli draw of the rows for one round, in row order; the rows left out go to `unsampled`. */
function drawRows(fraction: number, rowCount: number, random: () => number, rows: Uint32Array, unsampled: Uint32Array): number {
  let drawn = 0;
  let left = 0;
  for (let row = 0; row < rowCount; row++) {
    if (fraction >= 1 || random() < fraction) rows[drawn++] = row;
    else unsampled[left++] = row;
  }
  // A tiny fraction on tiny data could draw nothing; one row keeps the tree well-defined.
  if (drawn === 0) {
    rows[0] = unsampled[--left]!;
    drawn = 1;
    unsampled.copyWithin(0, 0, left);
  }
  return drawn;
}

/** Column subsampling: a seeded partial shuffle picks the features one tree may split on. */
function drawFeatures(fraction: number, order: number[], random: () => number, allowed: Uint8Array): void {
  if (fraction >= 1) {
    allowed.fill(1);
    return;
  }
  const keep = Math.max(1, Math.round(order.length * fraction));
  for (let i = 0; i < keep; i++) {
    const j = i + Math.floor(random() * (order.length - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  allowed.fill(0);
  for (let i = 0; i < keep; i++) allowed[order[i]!] = 1;
}

function checkParams(params: GbdtParams): GbdtParams {
  const positiveInteger = (name: keyof GbdtParams, value: number, min: number): void => {
    if (!Number.isInteger(value) || value < min) throw new KilnError('bad_input', `${name} must be an integer of at least ${min}.`, name);
  };
  const fraction = (name: keyof GbdtParams, value: number): void => {
    if (!(value > 0 && value <= 1)) throw new KilnError('bad_input', `${name} must be more than 0 and at most 1.`, name);
  };
  const nonNegative = (name: keyof GbdtParams, value: number): void => {
    if (!(value >= 0) || !Number.isFinite(value)) throw new KilnError('bad_input', `${name} must be a number of at least 0.`, name);
  };
  if (!['binary', 'multiclass', 'regression'].includes(params.objective)) {
    throw new KilnError('bad_input', `objective must be binary, multiclass or regression, not "${params.objective}".`, 'objective');
  }
  if (params.objective === 'multiclass') positiveInteger('numClasses', params.numClasses, 3);
  positiveInteger('rounds', params.rounds, 1);
  if (!(params.learningRate > 0 && params.learningRate <= 1)) {
    throw new KilnError('bad_input', 'learningRate must be more than 0 and at most 1.', 'learningRate');
  }
  if (params.growth !== 'depthwise' && params.growth !== 'leafwise') {
    throw new KilnError('bad_input', `growth must be depthwise or leafwise, not "${String(params.growth)}".`, 'growth');
  }
  positiveInteger('maxDepth', params.maxDepth, 0);
  positiveInteger('numLeaves', params.numLeaves, 0);
  if (params.growth === 'depthwise' && params.maxDepth === 0) {
    throw new KilnError('bad_input', 'Depth-wise growth needs a maxDepth of at least 1.', 'maxDepth');
  }
  if (params.growth === 'leafwise' && params.numLeaves < 2 && params.maxDepth === 0) {
    throw new KilnError('bad_input', 'Leaf-wise growth needs numLeaves of at least 2 or a maxDepth.', 'numLeaves');
  }
  nonNegative('lambda', params.lambda);
  nonNegative('gamma', params.gamma);
  nonNegative('minChildWeight', params.minChildWeight);
  nonNegative('catSmooth', params.catSmooth);
  nonNegative('catL2', params.catL2);
  nonNegative('minDataPerCategory', params.minDataPerCategory);
  positiveInteger('minDataInLeaf', params.minDataInLeaf, 1);
  fraction('subsample', params.subsample);
  fraction('colsampleByTree', params.colsampleByTree);
  positiveInteger('maxBins', params.maxBins, 2);
  if (params.maxBins > 255) throw new KilnError('bad_input', 'maxBins must be at most 255.', 'maxBins');
  positiveInteger('maxCategoryBins', params.maxCategoryBins, 2);
  if (params.maxCategoryBins > 255) throw new KilnError('bad_input', 'maxCategoryBins must be at most 255.', 'maxCategoryBins');
  positiveInteger('maxCatThreshold', params.maxCatThreshold, 1);
  positiveInteger('earlyStoppingRounds', params.earlyStoppingRounds, 0);
  if (!Number.isInteger(params.seed)) throw new KilnError('bad_input', 'seed must be an integer.', 'seed');
  positiveInteger('threads', params.threads, 0);
  return params;
}

function checkDataset(dataset: GbdtDataset, field: string): number {
  if (dataset.features.length === 0) throw new KilnError('bad_input', `The ${field} set has no features.`, field);
  const rowCount = datasetRowCount(dataset);
  if (rowCount < 2) throw new KilnError('bad_input', `The ${field} set needs at least 2 rows, not ${rowCount}.`, field);
  for (const feature of dataset.features) {
    const length = feature.kind === 'numeric' ? feature.values.length : feature.codes.length;
    if (length !== rowCount) {
      throw new KilnError('bad_input', `Feature "${feature.name}" has ${length} rows where the others have ${rowCount}.`, field);
    }
    if (feature.kind === 'categorical' && !(Number.isInteger(feature.categoryCount) && feature.categoryCount >= 0)) {
      throw new KilnError('bad_input', `Feature "${feature.name}" needs a category count of 0 or more.`, field);
    }
  }
  return rowCount;
}

function checkLabels(params: GbdtParams, labels: Float64Array, rowCount: number, field: string): void {
  if (labels.length !== rowCount) throw new KilnError('bad_input', `There are ${labels.length} labels for ${rowCount} rows.`, field);
  for (let row = 0; row < labels.length; row++) {
    const label = labels[row]!;
    const ok =
      params.objective === 'binary'
        ? label === 0 || label === 1
        : params.objective === 'multiclass'
          ? Number.isInteger(label) && label >= 0 && label < params.numClasses
          : Number.isFinite(label);
    if (!ok) {
      const expected =
        params.objective === 'binary'
          ? '0 or 1'
          : params.objective === 'multiclass'
            ? `an integer from 0 to ${params.numClasses - 1}`
            : 'a finite number';
      throw new KilnError('bad_input', `Label ${row + 1} is ${label}; each label must be ${expected}.`, field);
    }
  }
}
