/**
 * Dense layers, which the linear and MLP families share once trained: their
 * check against the preprocessing's encoded columns, their forward pass in
 * double precision on raw rows, and their Gemm/Relu part of the ONNX graph.
 * tfjs stays out of here (it is loaded only to train), so export and scoring
 * never pull it in.
 */
import { z } from 'zod';
import { doubleTensor, type GraphBuilder } from '../export/onnx/graph.js';
import { denseColumnNames, encodeDense } from '../train/data/preprocess.js';
import type { PreprocessingSpec, RawColumns, RecordedParams } from '../train/types.js';
import { meanRecorded } from './flavor.js';
import { marginCount, modelProblem, predictionsFromMargins } from './outputs.js';

export const Activation = z.enum(['relu', 'sigmoid', 'softmax', 'linear']);
export type Activation = z.infer<typeof Activation>;

const finite = z.number().finite();

/** `activation(x · weights + bias)`, weights inputs × outputs. */
export const DenseLayer = z.object({
  weights: z.array(z.array(finite)),
  bias: z.array(finite),
  activation: Activation,
});
export type DenseLayer = z.infer<typeof DenseLayer>;

export function outputActivation(task: PreprocessingSpec['task']): 'sigmoid' | 'softmax' | 'linear' {
  return task === 'binary' ? 'sigmoid' : task === 'multiclass' ? 'softmax' : 'linear';
}

/** That the model was trained on these encoded columns, for this task, with layers that chain and end in the task's link. */
export function checkDense(
  model: { task: PreprocessingSpec['task']; columns: string[] },
  layers: DenseLayer[],
  spec: PreprocessingSpec,
): void {
  if (model.task !== spec.task) modelProblem(`The model was trained for ${model.task}, but the preprocessing is for ${spec.task}.`);
  const columns = denseColumnNames(spec);
  if (model.columns.length !== columns.length || model.columns.some((name, index) => name !== columns[index])) {
    modelProblem(
      `The model's encoded columns do not match the preprocessing (expected ${columns.length} columns: ${columns.slice(0, 5).join(', ')}…).`,
    );
  }
  if (layers.length === 0) modelProblem('The model has no layers.');
  const expectedLast = outputActivation(spec.task);
  let width = columns.length;
  layers.forEach((layer, index) => {
    const last = index + 1 === layers.length;
    const outputs = layer.bias.length;
    if (layer.weights.length !== width || layer.weights.some((row) => row.length !== outputs)) {
      modelProblem(`Layer ${index + 1}'s weights should be ${width} rows of ${outputs} numbers.`);
    }
    if (last ? layer.activation !== expectedLast : layer.activation !== 'relu') {
      modelProblem(`Layer ${index + 1} has activation ${layer.activation}; expected ${last ? expectedLast : 'relu'}.`);
    }
    if (last && outputs !== marginCount(spec)) {
      modelProblem(`The model has ${outputs} outputs; a ${spec.task} model with these classes needs ${marginCount(spec)}.`);
    }
    width = outputs;
  });
}

/** The last layer's pre-activation values per row, in double precision. */
export function denseMargins(layers: DenseLayer[], spec: PreprocessingSpec, raw: RawColumns): Float64Array {
  const matrix = encodeDense(spec, raw);
  const width = layers[layers.length - 1]!.bias.length;
  const margins = new Float64Array(matrix.rows * width);
  for (let row = 0; row < matrix.rows; row++) {
    let current = new Float64Array(matrix.cols);
    for (let col = 0; col < matrix.cols; col++) current[col] = matrix.values[row * matrix.cols + col]!;
    layers.forEach((layer, index) => {
      const next = Float64Array.from(layer.bias);
      for (let i = 0; i < current.length; i++) {
        const x = current[i]!;
        if (x === 0) continue;
        const weights = layer.weights[i]!;
        for (let j = 0; j < next.length; j++) next[j]! += x * weights[j]!;
      }
      if (index + 1 < layers.length) for (let j = 0; j < next.length; j++) next[j] = Math.max(0, next[j]!);
      current = next;
    });
    margins.set(current, row * width);
  }
  return margins;
}

export function densePredict(layers: DenseLayer[], spec: PreprocessingSpec, raw: RawColumns): Float64Array {
  return predictionsFromMargins(spec, denseMargins(layers, spec, raw));
}

/** Gemm per layer with Relu between; returns the margins. */
export function denseOnnx(graph: GraphBuilder, layers: DenseLayer[], features: string): string {
  let current = features;
  layers.forEach((layer, index) => {
    const weights = graph.constant(
      `layer${index + 1}_weights`,
      doubleTensor(layer.weights.flat(), [layer.weights.length, layer.bias.length]),
    );
    const bias = graph.constant(`layer${index + 1}_bias`, doubleTensor(layer.bias, [layer.bias.length]));
    current = graph.node('Gemm', [current, weights, bias]);
    if (index + 1 < layers.length) current = graph.node('Relu', [current]);
  });
  return current;
}

/** The neural families' refit after cross-validation: the epoch early stopping kept on the folds, as there is nothing to stop by on every row. */
export function refitToBestEpoch<P extends { epochs: number; patience: number }>(params: P, folds: RecordedParams[]): P {
  const epochs = meanRecorded(folds, 'bestEpoch');
  return epochs === null ? params : { ...params, epochs: Math.max(1, Math.min(1000, Math.round(epochs))), patience: 0 };
}
