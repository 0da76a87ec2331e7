/**
 * The app's own prediction from a run's stored artifacts (the preprocessing
 * spec and model.json), without tfjs: the app's encoders, then the trees
 * through GbdtModel or the dense layers in double precision. This is what an
 * export checks the ONNX graph against, since the fitted tfjs model is gone
 * once a run is saved; its weights are float32 numbers, so double arithmetic
 * here differs from tfjs by float32 rounding only (about 1e-7).
 */
import type { ModelFamily } from '../../../../shared/api/train.js';
import { encodeDense, encodeTrees } from '../../train/data/preprocess.js';
import { GbdtModel } from '../../train/gbdt/model.js';
import type { PreprocessingSpec, RawColumns } from '../../train/types.js';
import { checkFamily, checkSpecClasses, denseLayers, gbdtModel } from './models.js';

export interface ReferencePrediction {
  /** Classification: rows × classes, row-major. */
  probabilities?: Float64Array;
  /** Regression: one value per row. */
  values?: Float64Array;
  /** Classification: the predicted class name per row. */
  labels?: string[];
}

export const DEFAULT_THRESHOLD = 0.5;

function sigmoid(margin: number): number {
  return 1 / (1 + Math.exp(-margin));
}

function softmaxRow(margins: Float64Array, at: number, width: number, out: Float64Array): void {
  let largest = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < width; k++) largest = Math.max(largest, margins[at + k]!);
  let total = 0;
  for (let k = 0; k < width; k++) {
    const value = Math.exp(margins[at + k]! - largest);
    out[at + k] = value;
    total += value;
  }
  for (let k = 0; k < width; k++) out[at + k]! /= total;
}

/** The rule the evaluation uses: class 1 when P(class 1) >= threshold; otherwise the first most probable class. */
export function labelsFromProbabilities(probabilities: Float64Array, classes: string[], threshold = DEFAULT_THRESHOLD): string[] {
  const width = classes.length;
  const rows = probabilities.length / width;
  const labels: string[] = new Array<string>(rows);
  for (let row = 0; row < rows; row++) {
    if (width === 2) {
      labels[row] = classes[probabilities[row * 2 + 1]! >= threshold ? 1 : 0]!;
      continue;
    }
    let best = 0;
    for (let k = 1; k < width; k++) if (probabilities[row * width + k]! > probabilities[row * width + best]!) best = k;
    labels[row] = classes[best]!;
  }
  return labels;
}

function denseMargins(family: 'linear' | 'mlp', model: unknown, spec: PreprocessingSpec, raw: RawColumns): Float64Array {
  const layers = denseLayers(family, model, spec);
  const matrix = encodeDense(spec, raw);
  const width = layers[layers.length - 1]!.bias.length;
  const margins = new Float64Array(matrix.rows * width);
  let input = new Float64Array(matrix.cols);
  for (let row = 0; row < matrix.rows; row++) {
    for (let col = 0; col < matrix.cols; col++) input[col] = matrix.values[row * matrix.cols + col]!;
    let current: Float64Array = input;
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
    input = new Float64Array(matrix.cols);
  }
  return margins;
}

/** Scores raw columns with the stored model: probabilities and labels for classifiers, values for regression. */
export function predictReference(options: {
  family: ModelFamily;
  spec: PreprocessingSpec;
  model: unknown;
  raw: RawColumns;
  threshold?: number;
}): ReferencePrediction {
  const { family, spec, model, raw } = options;
  checkFamily(family);
  checkSpecClasses(spec);
  const margins =
    family === 'gbdt'
      ? GbdtModel.fromJSON(gbdtModel(model, spec)).predictMargins(encodeTrees(spec, raw))
      : denseMargins(family, model, spec, raw);
  if (spec.task === 'regression') return { values: margins };
  let probabilities: Float64Array;
  if (spec.task === 'binary') {
    probabilities = new Float64Array(raw.rows * 2);
    for (let row = 0; row < raw.rows; row++) {
      const p = sigmoid(margins[row]!);
      probabilities[row * 2] = 1 - p;
      probabilities[row * 2 + 1] = p;
    }
  } else {
    const width = spec.classes.length;
    probabilities = new Float64Array(margins.length);
    for (let at = 0; at < margins.length; at += width) softmaxRow(margins, at, width, probabilities);
  }
  return { probabilities, labels: labelsFromProbabilities(probabilities, spec.classes, options.threshold ?? DEFAULT_THRESHOLD) };
}
