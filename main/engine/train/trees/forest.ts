/**
 * A random forest on the histogram tree learner: each tree is grown deep on a
 * seeded bootstrap sample, choosing each split among a fresh random subset of
 * the features, and the forest averages the trees.
 *
 * The learner grows trees on gradients and hessians; a forest tree is the
 * squared-loss tree of one step from a constant: with gradient (base − y)·c
 * and hessian c, where c is how often the bootstrap drew the row, no L2
 * penalty and a learning rate of 1 / trees, each leaf holds its share of the
 * (bootstrap-weighted) mean of y minus the base, and the split gain is the
 * reduction in weighted variance (Gini impurity for a 0/1 target). So the
 * forest's output, base plus the leaves, is the average of the trees' leaf
 * means. Classification grows one tree per class on its 0/1 indicator, and the
 * averaged class scores are normalised to sum to 1.
 */
import { KilnError } from '../../../../shared/errors.js';
import { mulberry32 } from '../random.js';
import { binDataset, binningToJson, datasetRowCount, fitBinning } from './binning.js';
import { histogramLayout } from './histogram.js';
import { rocAuc } from './objectives.js';
import { LocalHistogramBuilder } from './parallel.js';
import { defaultGbdtParams } from './train.js';
import { growTree, HistogramPool, treeValueBinned } from './tree.js';
import type { FeatureBinningJson, GbdtDataset, GbdtObjective, GbdtParams, TreeEnsembleJson } from './types.js';

export interface ForestParams {
  objective: GbdtObjective;
  /** Classes of a classification target (labels 0..numClasses-1). */
  numClasses: number;
  trees: number;
  /** Depth limit of each tree. */
  maxDepth: number;
  /** Fewest distinct rows in a leaf. */
  minRowsInLeaf: number;
  /** Features one split may choose among, at least 1. */
  featuresPerSplit: number;
  /** Bootstrap draws per tree as a share of the rows. */
  sampleFraction: number;
  seed: number;
}

export interface ForestRoundProgress {
  tree: number;
  trainLoss: number;
  validLoss: number | null;
  validMetric: number | null;
}

export interface ForestFitOptions {
  validation?: { data: GbdtDataset; labels: Float64Array };
  onTree?: (progress: ForestRoundProgress) => void;
  signal?: AbortSignal;
}

export interface ForestJson extends TreeEnsembleJson {
  binning: FeatureBinningJson[];
}

const PROBABILITY_FLOOR = 1e-15;

/**
 * Turns the summed outputs (rows × outputs) into predictions: binary P(class 1)
 * clipped to [0, 1], multiclass scores floored at 0 and normalised (uniform when none is above 0),
 * regression as is.
 * The ONNX part of the forest computes the same.
 */
export function forestPredictions(objective: GbdtObjective, outputs: Float64Array, width: number): Float64Array {
  if (objective === 'regression') return outputs;
  if (objective === 'binary') return outputs.map((value) => Math.min(1, Math.max(0, value)));
  const out = new Float64Array(outputs.length);
  for (let at = 0; at < outputs.length; at += width) {
    let total = 0;
    for (let k = 0; k < width; k++) {
      const value = Math.max(0, outputs[at + k]!);
      out[at + k] = value;
      total += value;
    }
    // No class scored above 0 (possible, if unlikely, with one tree per class): every class is as likely.
    for (let k = 0; k < width; k++) out[at + k] = total > 0 ? out[at + k]! / total : 1 / width;
  }
  return out;
}

function lossOf(objective: GbdtObjective, labels: Float64Array, predictions: Float64Array, width: number): number {
  let total = 0;
  for (let row = 0; row < labels.length; row++) {
    const label = labels[row]!;
    if (objective === 'regression') total += (predictions[row]! - label) ** 2;
    else {
      const p = objective === 'binary' ? (label === 1 ? predictions[row]! : 1 - predictions[row]!) : predictions[row * width + label]!;
      total -= Math.log(Math.max(p, PROBABILITY_FLOOR));
    }
  }
  const mean = total / labels.length;
  return objective === 'regression' ? Math.sqrt(mean) : mean;
}

function metricOf(objective: GbdtObjective, labels: Float64Array, predictions: Float64Array, width: number): number {
  if (objective === 'binary') return rocAuc(labels, predictions);
  if (objective === 'regression') return lossOf(objective, labels, predictions, width);
  let correct = 0;
  for (let row = 0; row < labels.length; row++) {
    let best = 0;
    for (let k = 1; k < width; k++) if (predictions[row * width + k]! > predictions[row * width + best]!) best = k;
    if (best === labels[row]) correct++;
  }
  return correct / labels.length;
}

/** The running sum of the trees so far, seen as the average of `grown` trees out of `planned`. */
function averaged(sums: Float64Array, base: number[], grown: number, planned: number, width: number): Float64Array {
  const out = new Float64Array(sums.length);
  const scale = planned / grown;
  for (let i = 0; i < sums.length; i++) out[i] = base[i % width]! + sums[i]! * scale;
  return out;
}

export async function fitForest(
  train: GbdtDataset,
  labels: Float64Array,
  params: ForestParams,
  options: ForestFitOptions = {},
): Promise<{ model: ForestJson; trees: number }> {
  const rowCount = datasetRowCount(train);
  if (rowCount < 2) throw new KilnError('bad_input', `The training set needs at least 2 rows, not ${rowCount}.`, 'train');
  if (labels.length !== rowCount) throw new KilnError('bad_input', `There are ${labels.length} labels for ${rowCount} rows.`, 'labels');
  const { signal } = options;
  const throwIfCancelled = (grown: number): void => {
    if (signal?.aborted) throw new KilnError('cancelled', `Training was cancelled after ${grown} trees.`);
  };
  throwIfCancelled(0);
  const { objective } = params;
  const width = objective === 'multiclass' ? params.numClasses : 1;
  const featureCount = train.features.length;
  const random = mulberry32(params.seed);
  const growParams: GbdtParams = {
    ...defaultGbdtParams,
    objective,
    numClasses: Math.max(params.numClasses, 1),
    learningRate: 1 / params.trees,
    growth: 'depthwise',
    maxDepth: params.maxDepth,
    numLeaves: 0,
    lambda: 0,
    gamma: 0,
    // The hessian of a row is its bootstrap count: a child needs at least one drawn row.
    minChildWeight: 1,
    minDataInLeaf: params.minRowsInLeaf,
    seed: params.seed,
  };
  const featureBins = fitBinning(train, growParams.maxBins, growParams.maxCategoryBins, random);
  const layout = histogramLayout(featureBins);
  const binned = new Uint8Array(rowCount * featureCount);
  binDataset(train, featureBins, binned);
  const validation = options.validation;
  const validRows = validation ? datasetRowCount(validation.data) : 0;
  const validBinned = validation ? new Uint8Array(validRows * featureCount) : null;
  if (validation && validBinned) binDataset(validation.data, featureBins, validBinned);

  // Targets per output: the class indicators, or the values.
  const targets = Array.from({ length: width }, (_, k) =>
    objective === 'regression' ? labels : objective === 'binary' ? labels : labels.map((label) => (label === k ? 1 : 0)),
  );
  const base = targets.map((target) => target.reduce((sum, value) => sum + value, 0) / rowCount);

  const rows = new Uint32Array(rowCount);
  const scratch = new Uint32Array(rowCount);
  const gradients = new Float64Array(rowCount);
  const hessians = new Float64Array(rowCount);
  const counts = new Uint32Array(rowCount);
  const builder = new LocalHistogramBuilder(binned, layout, rows, gradients, hessians);
  const histograms = new HistogramPool(layout.size);
  const featureAllowed = new Uint8Array(featureCount).fill(1);
  const order = Array.from({ length: featureCount }, (_, f) => f);
  const perSplit = Math.min(featureCount, Math.max(1, Math.round(params.featuresPerSplit)));
  const nodeFeatures = new Uint8Array(featureCount);
  const drawNodeFeatures = (): Uint8Array => {
    if (perSplit >= featureCount) return featureAllowed;
    for (let i = 0; i < perSplit; i++) {
      const j = i + Math.floor(random() * (featureCount - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    nodeFeatures.fill(0);
    for (let i = 0; i < perSplit; i++) nodeFeatures[order[i]!] = 1;
    return nodeFeatures;
  };
  const draws = Math.max(1, Math.round(rowCount * params.sampleFraction));
  const trainSums = new Float64Array(rowCount * width);
  const validSums = new Float64Array(validRows * width);
  const trees: TreeEnsembleJson['trees'] = [];

  for (let t = 0; t < params.trees; t++) {
    throwIfCancelled(t);
    counts.fill(0);
    for (let draw = 0; draw < draws; draw++) counts[Math.floor(random() * rowCount)]!++;
    for (let k = 0; k < width; k++) {
      let drawn = 0;
      for (let row = 0; row < rowCount; row++) if (counts[row]! > 0) rows[drawn++] = row;
      const target = targets[k]!;
      for (let row = 0; row < rowCount; row++) {
        const count = counts[row]!;
        gradients[row] = (base[k]! - target[row]!) * count;
        hessians[row] = count;
      }
      const { tree } = growTree(
        {
          binned,
          layout,
          featureBins,
          rows,
          scratch,
          rowCount: drawn,
          gradients,
          hessians,
          params: growParams,
          featureAllowed,
          featuresForNode: drawNodeFeatures,
          builder,
          histograms,
        },
        k,
      );
      trees.push(tree.json);
      for (let row = 0; row < rowCount; row++) trainSums[row * width + k]! += treeValueBinned(tree, binned, featureCount, row);
      if (validBinned) {
        for (let row = 0; row < validRows; row++) validSums[row * width + k]! += treeValueBinned(tree, validBinned, featureCount, row);
      }
    }
    const trainPredictions = forestPredictions(objective, averaged(trainSums, base, t + 1, params.trees, width), width);
    const validPredictions =
      validation && validBinned ? forestPredictions(objective, averaged(validSums, base, t + 1, params.trees, width), width) : null;
    options.onTree?.({
      tree: t + 1,
      trainLoss: lossOf(objective, labels, trainPredictions, width),
      validLoss: validation && validPredictions ? lossOf(objective, validation.labels, validPredictions, width) : null,
      validMetric: validation && validPredictions ? metricOf(objective, validation.labels, validPredictions, width) : null,
    });
    // Lets an abort (or anything else waiting on the event loop) get through between trees.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throwIfCancelled(params.trees);
  return {
    model: {
      outputs: width,
      baseScore: base,
      features: train.features.map((feature) =>
        feature.kind === 'numeric'
          ? { name: feature.name, kind: 'numeric' }
          : { name: feature.name, kind: 'categorical', categoryCount: feature.categoryCount },
      ),
      binning: binningToJson(featureBins),
      trees,
    },
    trees: params.trees,
  };
}
