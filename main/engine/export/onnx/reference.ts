/**
 * The app's own prediction from a run's stored artifacts (the preprocessing
 * spec and model.json), without tfjs: the family's `predict` on raw rows
 * (the app's encoders, then its trees or dense layers in double precision). This is what an
 * export checks the ONNX graph against, since the fitted tfjs model is gone
 * once a run is saved; its weights are float32 numbers, so double arithmetic
 * here differs from tfjs by float32 rounding only (about 1e-7).
 */
import type { ModelFamily } from '../../../../shared/api/train.js';
import { checkSpecClasses } from '../../models/outputs.js';
import { flavorOf } from '../../models/registry.js';
import type { PreprocessingSpec, RawColumns } from '../../train/types.js';

export interface ReferencePrediction {
  /** Classification: rows × classes, row-major. */
  probabilities?: Float64Array;
  /** Regression: one value per row. */
  values?: Float64Array;
  /** Classification: the predicted class name per row. */
  labels?: string[];
}

export const DEFAULT_THRESHOLD = 0.5;

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

/** Scores raw columns with the stored model: probabilities and labels for classifiers, values for regression. */
export function predictReference(options: {
  family: ModelFamily;
  spec: PreprocessingSpec;
  model: unknown;
  raw: RawColumns;
  threshold?: number;
}): ReferencePrediction {
  const { family, spec, model, raw } = options;
  checkSpecClasses(spec);
  const predictions = flavorOf(family).load(model, spec).predict(raw);
  if (spec.task === 'regression') return { values: predictions };
  return { probabilities: predictions, labels: labelsFromProbabilities(predictions, spec.classes, options.threshold ?? DEFAULT_THRESHOLD) };
}
