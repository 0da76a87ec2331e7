/**
 * Scores a fitted model on one split and names the headline numbers the way
 * scripts read them (`accuracy`, `auc`, `logloss`, `f1`; `rmse`, `mae`, `r2`).
 */
import type { MetricSummary, Task } from '../../../shared/api/train.js';
import { evaluateClassification, evaluateRegression } from '../evaluate/index.js';
import type { ClassificationEvaluation, RegressionEvaluation } from '../evaluate/index.js';

export type Evaluation = ClassificationEvaluation | RegressionEvaluation;

/** The validation metric that picks models and is drawn per epoch: AUC for binary, accuracy for multiclass, RMSE for regression. */
export function mainMetric(task: Task): { name: 'auc' | 'accuracy' | 'rmse'; higherIsBetter: boolean } {
  if (task === 'binary') return { name: 'auc', higherIsBetter: true };
  if (task === 'multiclass') return { name: 'accuracy', higherIsBetter: true };
  return { name: 'rmse', higherIsBetter: false };
}

export function evaluate(
  task: Task,
  classes: string[],
  y: Float64Array,
  predictions: Float64Array,
): { summary: MetricSummary; details: Evaluation } {
  if (task === 'regression') {
    const details = evaluateRegression({ yTrue: y, yPred: predictions });
    return { summary: { ...details.summary }, details };
  }
  const details = evaluateClassification({ labels: classes, yTrue: Int32Array.from(y), proba: predictions });
  return { summary: { ...details.summary }, details };
}

/** True when `candidate` beats `best` on the main metric; null scores never win. */
export function isBetter(task: Task, candidate: number | null | undefined, best: number | null | undefined): boolean {
  if (candidate === null || candidate === undefined || !Number.isFinite(candidate)) return false;
  if (best === null || best === undefined || !Number.isFinite(best)) return true;
  return mainMetric(task).higherIsBetter ? candidate > best : candidate < best;
}
