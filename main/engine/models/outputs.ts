/** What every family's predictions share: the margins per row, the class checks, and margins turned into probabilities. */
import { KilnError } from '../../../shared/errors.js';
import type { PreprocessingSpec } from '../train/types.js';

export function modelProblem(message: string): never {
  throw new KilnError('bad_input', message, 'model');
}

/** Margins a model produces per row: 1 for binary and regression, one per class for multiclass. */
export function marginCount(spec: PreprocessingSpec): number {
  return spec.task === 'multiclass' ? spec.classes.length : 1;
}

export function checkSpecClasses(spec: PreprocessingSpec): void {
  if (spec.task === 'binary' && spec.classes.length !== 2) {
    modelProblem(`A binary model needs 2 class names; the preprocessing lists ${spec.classes.length}.`);
  }
  if (spec.task === 'multiclass' && spec.classes.length < 2) {
    modelProblem(`A multiclass model needs at least 2 class names; the preprocessing lists ${spec.classes.length}.`);
  }
  if (new Set(spec.classes).size !== spec.classes.length) modelProblem('The class names of the preprocessing repeat a name.');
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

/**
 * Margins (rows × marginCount) as the families predict: binary gives both
 * columns from the sigmoid, multiclass the softmax, regression the values.
 * The same double arithmetic as the ONNX graph's shared tail.
 */
export function predictionsFromMargins(spec: PreprocessingSpec, margins: Float64Array): Float64Array {
  if (spec.task === 'regression') return margins;
  if (spec.task === 'binary') {
    const out = new Float64Array(margins.length * 2);
    for (let row = 0; row < margins.length; row++) {
      const p = 1 / (1 + Math.exp(-margins[row]!));
      out[row * 2] = 1 - p;
      out[row * 2 + 1] = p;
    }
    return out;
  }
  const width = spec.classes.length;
  const out = new Float64Array(margins.length);
  for (let at = 0; at < margins.length; at += width) softmaxRow(margins, at, width, out);
  return out;
}

/** Binary P(class 1) per row as the two columns the families return. */
export function bothColumns(positive: Float64Array): Float64Array {
  const out = new Float64Array(positive.length * 2);
  positive.forEach((p, row) => {
    out[row * 2] = 1 - p;
    out[row * 2 + 1] = p;
  });
  return out;
}
