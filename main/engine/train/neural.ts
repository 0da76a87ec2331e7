/**
 * The training loop that logistic/linear regression and the MLP share: a
 * stack of dense layers in tfjs, trained with Adam on seeded mini-batches,
 * with early stopping on the validation loss that keeps the best weights.
 * Written on tfjs's ops rather than tfjs-layers so every random draw (weights,
 * dropout) takes an explicit seed and runs repeat exactly on one backend.
 */
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import type { Task } from '../../../shared/api/train.js';
import type { EpochRecord } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { evaluateClassification, evaluateRegression } from '../evaluate/index.js';
import { selectBackend } from './backends.js';
import { DenseBatchSource } from './data/batches.js';
import type { DenseMatrix, FittedModel, PreparedData, RecordedParams, TrainerContext } from './types.js';

export interface NetworkOptions {
  /** Widths of the ReLU hidden layers; none for a linear model. */
  hidden: number[];
  dropout: number;
  /** Penalty on the sum of squared kernel weights (biases are not penalised). */
  l2: number;
  learningRate: number;
  batchSize: number;
  epochs: number;
  /** Epochs without a better validation loss before stopping; 0 trains every epoch and keeps the last weights. */
  patience: number;
  classWeights: boolean;
  /** The hyperparameters as the run records them. */
  params: RecordedParams;
}

/** Rows scored per forward pass when predicting, to bound memory on large splits. */
const PREDICT_CHUNK = 8192;
/** Probabilities are floored here in log losses, as scikit-learn's log_loss does. */
const PROBABILITY_FLOOR = 1e-15;

interface Layer {
  kernel: tf.Variable<tf.Rank.R2>;
  bias: tf.Variable<tf.Rank.R1>;
}

interface TargetInfo {
  task: Task;
  outputs: number;
  /** Regression trains on a standardised target; predictions are mapped back. */
  yMean: number;
  yStd: number;
  /** Per-class weight, mean 1 over the training rows; null when class weights are off. */
  classWeights: Float64Array | null;
}

function describeTarget(task: Task, classes: string[], y: Float64Array, classWeights: boolean): TargetInfo {
  if (task === 'regression') {
    let mean = 0;
    for (const value of y) mean += value;
    mean /= y.length;
    let variance = 0;
    for (const value of y) variance += (value - mean) ** 2;
    const std = Math.sqrt(variance / y.length);
    return { task, outputs: 1, yMean: mean, yStd: std > 0 ? std : 1, classWeights: null };
  }
  if (classes.length < 2)
    throw new KilnError('bad_input', `A ${task} model needs at least 2 classes; the target has ${classes.length}.`, 'target');
  const counts = new Float64Array(classes.length);
  for (const value of y) {
    if (!Number.isInteger(value) || value < 0 || value >= classes.length) {
      throw new KilnError('bad_input', `The target holds the class index ${value}, outside 0..${classes.length - 1}.`, 'target');
    }
    counts[value]! += 1;
  }
  let weights: Float64Array | null = null;
  if (classWeights) {
    // Inverse frequency, scaled so the weights average 1 over the training rows (scikit-learn's "balanced").
    const present = counts.filter((count) => count > 0).length;
    weights = counts.map((count) => (count > 0 ? y.length / (present * count) : 0));
  }
  return { task, outputs: task === 'binary' ? 1 : classes.length, yMean: 0, yStd: 1, classWeights: weights };
}

/** He-uniform for ReLU layers, Glorot-uniform for the output layer, zeros for a linear model (its loss is convex). */
function initialLayers(sizes: number[], linear: boolean, seed: number, outputBias: Float32Array): Layer[] {
  const layers: Layer[] = [];
  for (let index = 0; index + 1 < sizes.length; index++) {
    const fanIn = sizes[index]!;
    const fanOut = sizes[index + 1]!;
    const last = index + 2 === sizes.length;
    const limit = last ? Math.sqrt(6 / (fanIn + fanOut)) : Math.sqrt(6 / fanIn);
    const kernel = linear
      ? tf.zeros([fanIn, fanOut])
      : tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', seed * 7919 + index + 1);
    const bias = last ? tf.tensor1d(outputBias) : tf.zeros([fanOut]);
    layers.push({ kernel: tf.variable(kernel as tf.Tensor2D), bias: tf.variable(bias as tf.Tensor1D) });
    kernel.dispose();
    bias.dispose();
  }
  return layers;
}

/** Output bias at the training prior (log-odds or log class shares), so the first epochs are not spent learning it. */
function priorBias(target: TargetInfo, y: Float64Array): Float32Array {
  if (target.task === 'regression') return new Float32Array(1);
  const classes = target.task === 'binary' ? 2 : target.outputs;
  const counts = new Float64Array(classes);
  for (const value of y) counts[value]! += 1;
  const share = (k: number) => (counts[k]! + 1) / (y.length + classes);
  if (target.task === 'binary') return Float32Array.of(Math.log(share(1) / share(0)));
  return Float32Array.from({ length: classes }, (_, k) => Math.log(share(k)));
}

/** Logits (or standardised values) for a batch; dropout only while training, seeded per step and layer. */
function forward(layers: Layer[], x: tf.Tensor2D, dropout: number, dropoutSeed: number | null): tf.Tensor2D {
  let h: tf.Tensor2D = x;
  layers.forEach((layer, index) => {
    h = tf.add(tf.matMul(h, layer.kernel), layer.bias);
    if (index + 1 < layers.length) {
      h = tf.relu(h);
      if (dropoutSeed !== null && dropout > 0) h = tf.dropout(h, dropout, undefined, dropoutSeed * 31 + index) as tf.Tensor2D;
    }
  });
  return h;
}

/** Per-row loss of a batch: log loss with logits for classes, squared error on the standardised target. */
function rowLosses(task: Task, logits: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor1D {
  if (task === 'binary') {
    // max(z, 0) - z·y + log(1 + e^-|z|): the log loss of sigmoid(z) without overflow.
    const z = logits;
    return tf.sum(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))), 1);
  }
  if (task === 'multiclass') return tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1));
  return tf.sum(tf.square(tf.sub(logits, y)), 1);
}

function cancelled(epoch: number): KilnError {
  return new KilnError('cancelled', `Training was cancelled at epoch ${epoch}.`);
}

/**
 * The losses are computed in overflow-safe forms, so a learning rate far too
 * high often gives a huge but finite loss rather than NaN. A model that merely
 * predicted the training prior scores log(classes) (or 1 on the standardised
 * target); a thousand times that means the weights ran away.
 */
const DIVERGENCE_FACTOR = 1000;

function lossProblem(epoch: number, loss: number, baseline: number): KilnError | null {
  if (Number.isNaN(loss))
    return new KilnError('bad_input', `The loss became NaN at epoch ${epoch}; try a lower learning rate.`, 'learningRate');
  if (!Number.isFinite(loss))
    return new KilnError('bad_input', `The loss became infinite at epoch ${epoch}; try a lower learning rate.`, 'learningRate');
  if (loss > DIVERGENCE_FACTOR * baseline) {
    return new KilnError(
      'bad_input',
      `The loss grew to ${loss.toPrecision(3)} at epoch ${epoch}: training diverged; try a lower learning rate.`,
      'learningRate',
    );
  }
  return null;
}

/** The split's matrix, or a clear error when the prepared data has none. */
function splitMatrix(data: PreparedData, split: 'train' | 'valid' | 'test'): DenseMatrix {
  const matrix = data.dense[split];
  if (!matrix) throw new KilnError('bad_input', `There is no ${split} split to predict.`, 'split');
  return matrix;
}

/** Probabilities (rows × classes; binary: 2 columns) or values, in chunks so large splits fit in memory. */
async function predictMatrix(layers: Layer[], target: TargetInfo, matrix: DenseMatrix, inputCols: number): Promise<Float64Array> {
  if (matrix.cols !== inputCols) {
    throw new KilnError('bad_input', `The model takes ${inputCols} encoded columns but the data has ${matrix.cols}.`, 'features');
  }
  const width = target.task === 'regression' ? 1 : target.task === 'binary' ? 2 : target.outputs;
  const out = new Float64Array(matrix.rows * width);
  for (let start = 0; start < matrix.rows; start += PREDICT_CHUNK) {
    const rows = Math.min(PREDICT_CHUNK, matrix.rows - start);
    const scores = tf.tidy(() => {
      const x = tf.tensor2d(matrix.values.subarray(start * matrix.cols, (start + rows) * matrix.cols), [rows, matrix.cols]);
      const logits = forward(layers, x, 0, null);
      if (target.task === 'binary') return tf.sigmoid(logits);
      if (target.task === 'multiclass') return tf.softmax(logits);
      return logits;
    });
    const values = await scores.data();
    scores.dispose();
    for (let row = 0; row < rows; row++) {
      if (target.task === 'binary') {
        const p = values[row]!;
        out[(start + row) * 2] = 1 - p;
        out[(start + row) * 2 + 1] = p;
      } else if (target.task === 'multiclass') {
        for (let k = 0; k < width; k++) out[(start + row) * width + k] = values[row * width + k]!;
      } else {
        out[start + row] = values[row]! * target.yStd + target.yMean;
      }
    }
  }
  return out;
}

/** Validation loss on the scale the training loss is reported in (class-weighted when training is). */
function validationLoss(target: TargetInfo, y: Float64Array, predictions: Float64Array): number {
  let total = 0;
  let weightTotal = 0;
  const width = target.task === 'binary' ? 2 : target.outputs;
  for (let row = 0; row < y.length; row++) {
    if (target.task === 'regression') {
      total += (predictions[row]! - y[row]!) ** 2;
      weightTotal += 1;
      continue;
    }
    const label = y[row]!;
    const weight = target.classWeights ? target.classWeights[label]! : 1;
    total += -weight * Math.log(Math.max(predictions[row * width + label]!, PROBABILITY_FLOOR));
    weightTotal += weight;
  }
  return total / weightTotal;
}

function validationMetric(target: TargetInfo, classes: string[], y: Float64Array, predictions: Float64Array): number | null {
  if (target.task === 'regression') return evaluateRegression({ yTrue: y, yPred: predictions, maxResidualPoints: 2 }).summary.rmse;
  const summary = evaluateClassification({ labels: classes, yTrue: Int32Array.from(y), proba: predictions, maxCurvePoints: 2 }).summary;
  return target.task === 'binary' ? summary.auc : summary.accuracy;
}

function toNestedArrays(layers: Layer[], target: TargetInfo): { weights: number[][]; bias: number[] }[] {
  return layers.map((layer, index) => {
    let weights = layer.kernel.arraySync();
    let bias = layer.bias.arraySync();
    if (index + 1 === layers.length && target.task === 'regression') {
      // Folding the target's scaling into the last layer makes the exported model predict in the target's own units.
      weights = weights.map((row) => row.map((value) => value * target.yStd));
      bias = bias.map((value) => value * target.yStd + target.yMean);
    }
    return { weights, bias };
  });
}

export interface NetworkModel extends Omit<FittedModel<never>, 'artifact' | 'validationUsedInFit'> {
  /** Layer weights (input × output, row-major nested) and biases, in the target's units. */
  layerArrays(): { weights: number[][]; bias: number[] }[];
  /** Frees the weights; the model cannot predict afterwards. */
  dispose(): void;
}

export async function fitNetwork(data: PreparedData, options: NetworkOptions, context: TrainerContext): Promise<NetworkModel> {
  const { task, classes, seed, signal } = context;
  if (signal.aborted) throw cancelled(0);
  const train = data.dense.train;
  if (train.rows === 0) throw new KilnError('bad_input', 'The training split has no rows.', 'split');
  const backend = await selectBackend(context.backend);
  const started = performance.now();
  const target = describeTarget(task, classes, data.y.train, options.classWeights);
  const trainY = task === 'regression' ? data.y.train.map((value) => (value - target.yMean) / target.yStd) : data.y.train;
  const source = new DenseBatchSource(train, trainY, { seed, oneHotClasses: task === 'multiclass' ? classes.length : 0 });
  const sizes = [train.cols, ...options.hidden, target.outputs];
  const layers = initialLayers(sizes, options.hidden.length === 0, seed, priorBias(target, data.y.train));
  const variables: tf.Variable[] = layers.flatMap((layer) => [layer.kernel, layer.bias]);
  const optimizer = tf.train.adam(options.learningRate);
  const classWeightTensor = target.classWeights
    ? tf.tensor2d(Float32Array.from(target.classWeights), [target.classWeights.length, 1])
    : null;
  const valid = data.dense.valid && data.y.valid && data.dense.valid.rows > 0 ? { x: data.dense.valid, y: data.y.valid } : null;
  const earlyStopping = valid !== null && options.patience > 0;
  const baselineLoss = task === 'regression' ? 1 : Math.log(classes.length);
  let best: { loss: number; epoch: number; weights: tf.Tensor[] } | null = null;
  const history: EpochRecord[] = [];
  let step = 0;
  const disposeBest = () => best?.weights.forEach((tensor) => tensor.dispose());

  const trainStep = (batch: { x: Float32Array; y: Float32Array; rows: number }): tf.Scalar => {
    // The summed data loss (without the L2 term) is kept out of the step's tidy to report the epoch's training loss.
    const captured: { dataLoss: tf.Scalar | null } = { dataLoss: null };
    const stepSeed = seed * 1_000_003 + step;
    step += 1;
    tf.tidy(() => {
      const x = tf.tensor2d(batch.x, [batch.rows, train.cols]);
      const y = tf.tensor2d(batch.y, [batch.rows, task === 'multiclass' ? classes.length : 1]);
      const rowWeights = classWeightTensor
        ? task === 'binary'
          ? tf.reshape(tf.gather(classWeightTensor, tf.cast(tf.reshape(y, [-1]), 'int32')), [-1])
          : tf.reshape(tf.matMul(y, classWeightTensor), [-1])
        : null;
      optimizer.minimize(
        () => {
          const losses = rowLosses(task, forward(layers, x, options.dropout, stepSeed), y);
          const weighted = rowWeights ? tf.mul(losses, rowWeights) : losses;
          const dataLoss = tf.sum<tf.Scalar>(weighted);
          captured.dataLoss = tf.keep(dataLoss);
          let total = tf.div<tf.Scalar>(dataLoss, batch.rows);
          if (options.l2 > 0) {
            for (const layer of layers) total = tf.add(total, tf.mul(options.l2, tf.sum(tf.square(layer.kernel)))) as tf.Scalar;
          }
          return total;
        },
        false,
        variables,
      );
    });
    if (!captured.dataLoss) throw new Error('The training step computed no loss.');
    return captured.dataLoss;
  };

  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const epochStarted = performance.now();
      let waitMs = 0;
      let lossSum: tf.Scalar = tf.scalar(0);
      let trainLossScaled = Number.NaN;
      const iterator = source.batches(epoch, options.batchSize)[Symbol.asyncIterator]();
      try {
        for (;;) {
          if (signal.aborted) throw cancelled(epoch);
          const waitStarted = performance.now();
          const next = await iterator.next();
          waitMs += performance.now() - waitStarted;
          if (next.done) break;
          const batchLoss = trainStep(next.value);
          const summed = tf.add(lossSum, batchLoss) as tf.Scalar;
          lossSum.dispose();
          batchLoss.dispose();
          lossSum = summed;
        }
        // Reading the sum waits for the backend, so the epoch's time includes all of its queued work.
        trainLossScaled = (await lossSum.data())[0]! / train.rows;
      } finally {
        lossSum.dispose();
        await iterator.return?.();
      }
      const epochMs = performance.now() - epochStarted;
      const trainLoss = task === 'regression' ? trainLossScaled * target.yStd ** 2 : trainLossScaled;
      const trainProblem = lossProblem(epoch, trainLossScaled, baselineLoss);
      if (trainProblem) throw trainProblem;

      let validLoss: number | null = null;
      let validMetric: number | null = null;
      if (valid) {
        const predictions = await predictMatrix(layers, target, valid.x, train.cols);
        validLoss = validationLoss(target, valid.y, predictions);
        const validProblem = lossProblem(epoch, validLoss / (task === 'regression' ? target.yStd ** 2 : 1), baselineLoss);
        if (validProblem) throw validProblem;
        validMetric = validationMetric(target, classes, valid.y, predictions);
      }
      const record: EpochRecord = {
        epoch,
        trainLoss,
        validLoss,
        validMetric,
        rowsPerSecond: train.rows / (epochMs / 1000),
        dataWaitMs: waitMs,
        computeMs: Math.max(0, epochMs - waitMs),
      };
      history.push(record);
      context.onProgress({ record, fraction: epoch / options.epochs });

      if (earlyStopping && validLoss !== null) {
        if (best === null || validLoss < best.loss) {
          disposeBest();
          best = { loss: validLoss, epoch, weights: variables.map((variable) => tf.clone(variable)) };
        } else if (epoch - best.epoch >= options.patience) {
          break;
        }
      }
    }
    if (signal.aborted) throw cancelled(history.length);
    if (best) {
      const kept = best.weights;
      variables.forEach((variable, index) => variable.assign(kept[index]!));
    }
  } catch (error) {
    variables.forEach((variable) => variable.dispose());
    throw error;
  } finally {
    disposeBest();
    optimizer.dispose();
    classWeightTensor?.dispose();
  }
  const trainMs = performance.now() - started;
  const bestEpoch = best?.epoch ?? history.length;
  const params = { ...options.params, bestEpoch, epochsTrained: history.length };

  const layerArrays = () => toNestedArrays(layers, target);
  return {
    params,
    backend: backend.name,
    device: backend.device,
    history,
    trainMs,
    predict: (prepared, split) => predictMatrix(layers, target, splitMatrix(prepared, split), train.cols),
    layerArrays,
    dispose: () => variables.forEach((variable) => variable.dispose()),
  };
}
