/**
 * Regression metrics, defined as scikit-learn defines them except for MAPE,
 * which leaves out zero targets (scikit-learn divides by machine epsilon
 * there, which turns one zero target into an error of ~10¹⁵ %).
 */
import type { MaybeScore, NumericArray, RegressionEvaluation, RegressionInput, ResidualQuantiles } from './types.js';
import { badInput, plural, requireFinite } from './validate.js';

const DEFAULT_RESIDUAL_POINTS = 1000;

/** Linear interpolation between closest ranks, numpy's default quantile method. */
function quantileOfSorted(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const fraction = position - lower;
  return (sorted[lower] as number) + fraction * ((sorted[upper] as number) - (sorted[lower] as number));
}

function summarise(values: Float64Array): ResidualQuantiles {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const value of values) sum += value;
  const mean = sum / values.length;
  let squares = 0;
  for (const value of values) squares += (value - mean) * (value - mean);
  return {
    min: sorted[0] as number,
    p05: quantileOfSorted(sorted, 0.05),
    p25: quantileOfSorted(sorted, 0.25),
    median: quantileOfSorted(sorted, 0.5),
    p75: quantileOfSorted(sorted, 0.75),
    p95: quantileOfSorted(sorted, 0.95),
    max: sorted[sorted.length - 1] as number,
    mean,
    std: Math.sqrt(squares / values.length),
  };
}

function checkInput(input: RegressionInput): number {
  const rows = input.yTrue.length;
  if (input.yPred.length !== rows) {
    throw badInput(`yPred has ${plural(input.yPred.length, 'row')} but yTrue has ${rows}; they must match row for row.`, 'yPred');
  }
  if (rows === 0) throw badInput('There are no rows to evaluate.', 'yTrue');
  requireFinite(input.yTrue, 1, 'yTrue', 'True values');
  requireFinite(input.yPred, 1, 'yPred', 'Predictions');
  return rows;
}

function toFloat64(values: NumericArray): Float64Array {
  return values instanceof Float64Array ? values : Float64Array.from(values);
}

export function evaluateRegression(input: RegressionInput): RegressionEvaluation {
  const rows = checkInput(input);
  const actual = toFloat64(input.yTrue);
  const predicted = toFloat64(input.yPred);
  const maxPoints = Math.max(1, Math.floor(input.maxResidualPoints ?? DEFAULT_RESIDUAL_POINTS));

  let actualSum = 0;
  for (let row = 0; row < rows; row++) actualSum += actual[row] as number;
  const actualMean = actualSum / rows;

  const residuals = new Float64Array(rows);
  const absoluteResiduals = new Float64Array(rows);
  let squaredError = 0;
  let absoluteError = 0;
  let totalSquares = 0;
  let percentageError = 0;
  let zeroTargets = 0;
  for (let row = 0; row < rows; row++) {
    const truth = actual[row] as number;
    const residual = truth - (predicted[row] as number);
    const absolute = Math.abs(residual);
    residuals[row] = residual;
    absoluteResiduals[row] = absolute;
    squaredError += residual * residual;
    absoluteError += absolute;
    totalSquares += (truth - actualMean) * (truth - actualMean);
    if (truth === 0) zeroTargets++;
    else percentageError += absolute / Math.abs(truth);
  }

  // A constant target has no variance to explain: scikit-learn's force_finite convention scores a perfect fit 1 and anything else 0.
  const r2 = totalSquares === 0 ? (squaredError === 0 ? 1 : 0) : 1 - squaredError / totalSquares;
  const scoredRows = rows - zeroTargets;
  const mape: MaybeScore =
    scoredRows === 0
      ? { value: null, reason: 'every target is zero, so no percentage error is defined' }
      : {
          value: percentageError / scoredRows,
          reason: zeroTargets === 0 ? null : `${plural(zeroTargets, 'row')} with a zero target left out`,
        };

  const sampleSize = Math.min(rows, maxPoints);
  const sample = { row: [] as number[], predicted: [] as number[], actual: [] as number[], residual: [] as number[] };
  for (let k = 0; k < sampleSize; k++) {
    const row = Math.floor((k * rows) / sampleSize);
    sample.row.push(row);
    sample.predicted.push(predicted[row] as number);
    sample.actual.push(actual[row] as number);
    sample.residual.push(residuals[row] as number);
  }

  return {
    task: 'regression',
    rows,
    summary: { rmse: Math.sqrt(squaredError / rows), mae: absoluteError / rows, r2, mape: mape.value },
    mape: { ...mape, skippedZeroTargets: zeroTargets },
    residuals: {
      quantiles: summarise(residuals),
      absoluteQuantiles: summarise(absoluteResiduals),
      sample,
      totalPoints: rows,
    },
  };
}
