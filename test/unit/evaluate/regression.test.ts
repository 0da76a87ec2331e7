import { describe, expect, it } from 'vitest';
import { evaluateRegression } from '../../../main/engine/evaluate/index.js';
import { KilnError } from '../../../shared/errors.js';

/*
 * Reference values below were computed with scikit-learn 1.2.1 and numpy 1.24.2 (Debian python3-sklearn)
 * by this script, run with /usr/bin/python3 and printed with repr(float(x)):
 *
 * import json, numpy as np
 * from sklearn.metrics import (accuracy_score, balanced_accuracy_score, precision_recall_fscore_support, roc_auc_score,
 *     average_precision_score, log_loss, confusion_matrix, roc_curve, precision_recall_curve, mean_squared_error,
 *     mean_absolute_error, r2_score, mean_absolute_percentage_error)
 * from sklearn.preprocessing import label_binarize
 * out = {}
 * def r(a): return [float(x) for x in np.asarray(a).ravel()]
 *
 * # D: regression with two zero targets
 * rng = np.random.default_rng(3)
 * y = np.round(rng.normal(10, 5, 30), 2)
 * y[4] = 0; y[17] = 0
 * yp = np.round(y + rng.normal(0, 2, 30), 3)
 * res = y - yp
 * nz = y != 0
 * qs = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1]
 * out['reg'] = dict(y=r(y), yp=r(yp), rmse=mean_squared_error(y, yp, squared=False), mae=mean_absolute_error(y, yp),
 *     r2=r2_score(y, yp), mape=mean_absolute_percentage_error(y[nz], yp[nz]),
 *     q=r(np.quantile(res, qs)), mean=float(res.mean()), std=float(res.std()),
 *     aq=r(np.quantile(np.abs(res), qs)), amean=float(np.abs(res).mean()), astd=float(np.abs(res).std()))
 */

const REG = {
  y: [
    20.2, -2.78, 12.09, 7.16, 0.0, 8.92, -0.1, 8.84, 5.67, 26.61, 11.13, 8.24, 8.59, 6.66, 4.72, 8.05, 12.41, 0.0, 14.79, 9.0, 10.12, 17.73,
    12.73, 7.47, 9.09, 12.7, 19.68, 8.65, 8.78, 15.01,
  ],
  yp: [
    18.427, -3.363, 13.855, 8.321, 0.183, 10.26, -5.756, 10.883, 3.751, 23.273, 11.683, 9.641, 7.7, 4.507, 4.772, 7.945, 15.221, 1.495,
    15.178, 11.223, 9.709, 15.878, 13.898, 8.635, 8.66, 11.134, 20.138, 3.662, 10.16, 15.993,
  ],
  rmse: 2.0051181345081224,
  mae: 1.5410666666666666,
  r2: 0.8959964933379158,
  mape: 2.163113559159594,
  q: [-2.811, -2.142, -1.2969999999999997, -0.28550000000000086, 1.3969999999999991, 4.2450499999999955, 5.656000000000001],
  mean: 0.16979999999999987,
  std: 1.99791558713909,
  aq: [0.05200000000000049, 0.14010000000000025, 0.5604999999999993, 1.3600000000000003, 1.90225, 4.2450499999999955, 5.656000000000001],
  amean: 1.5410666666666666,
  astd: 1.2828141962974304,
};

const TOLERANCE_DIGITS = 10;
const QUANTILE_KEYS = ['min', 'p05', 'p25', 'median', 'p75', 'p95', 'max'] as const;

function expectBadInput(run: () => unknown, field: string, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(KilnError);
  const error = caught as KilnError;
  expect(error.code).toBe('bad_input');
  expect(error.field).toBe(field);
  expect(error.message).toMatch(message);
}

describe('evaluateRegression against scikit-learn', () => {
  const result = evaluateRegression({ yTrue: Float64Array.from(REG.y), yPred: REG.yp });

  it('matches RMSE, MAE and R²', () => {
    expect(result.task).toBe('regression');
    expect(result.rows).toBe(30);
    expect(result.summary.rmse).toBeCloseTo(REG.rmse, TOLERANCE_DIGITS);
    expect(result.summary.mae).toBeCloseTo(REG.mae, TOLERANCE_DIGITS);
    expect(result.summary.r2).toBeCloseTo(REG.r2, TOLERANCE_DIGITS);
  });

  it('computes MAPE over the non-zero targets and says how many zero targets it skipped', () => {
    expect(result.summary.mape).toBeCloseTo(REG.mape, TOLERANCE_DIGITS);
    expect(result.mape.value).toBe(result.summary.mape);
    expect(result.mape.skippedZeroTargets).toBe(2);
    expect(result.mape.reason).toBe('2 rows with a zero target left out');
  });

  it("matches numpy's quantiles, mean and standard deviation of the residuals and of their absolute values", () => {
    QUANTILE_KEYS.forEach((key, index) => {
      expect(result.residuals.quantiles[key]).toBeCloseTo(REG.q[index] as number, TOLERANCE_DIGITS);
      expect(result.residuals.absoluteQuantiles[key]).toBeCloseTo(REG.aq[index] as number, TOLERANCE_DIGITS);
    });
    expect(result.residuals.quantiles.mean).toBeCloseTo(REG.mean, TOLERANCE_DIGITS);
    expect(result.residuals.quantiles.std).toBeCloseTo(REG.std, TOLERANCE_DIGITS);
    expect(result.residuals.absoluteQuantiles.mean).toBeCloseTo(REG.amean, TOLERANCE_DIGITS);
    expect(result.residuals.absoluteQuantiles.std).toBeCloseTo(REG.astd, TOLERANCE_DIGITS);
  });

  it('keeps every row in the residual sample when there are few, with residual = actual − predicted', () => {
    const { sample } = result.residuals;
    expect(sample.row).toEqual(Array.from({ length: 30 }, (_, row) => row));
    expect(sample.actual).toEqual(REG.y);
    expect(sample.predicted).toEqual(REG.yp);
    sample.residual.forEach((residual, index) => expect(residual).toBe((REG.y[index] as number) - (REG.yp[index] as number)));
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});

describe('evaluateRegression on known cases', () => {
  it('scores perfect predictions with RMSE 0 and R² 1', () => {
    const yTrue = Float32Array.from([1.5, 2, -3, 4]);
    const result = evaluateRegression({ yTrue, yPred: Float32Array.from(yTrue) });
    expect(result.summary).toEqual({ rmse: 0, mae: 0, r2: 1, mape: 0 });
  });

  it("follows scikit-learn's r2_score on a constant target: 1 for a perfect fit, 0 otherwise", () => {
    expect(evaluateRegression({ yTrue: [3, 3, 3], yPred: [3, 3, 3] }).summary.r2).toBe(1);
    expect(evaluateRegression({ yTrue: [3, 3, 3], yPred: [2, 3, 3] }).summary.r2).toBe(0);
  });

  it('leaves MAPE undefined with a reason when every target is zero', () => {
    const result = evaluateRegression({ yTrue: [0, 0, 0], yPred: [1, -1, 0] });
    expect(result.summary.mape).toBeNull();
    expect(result.mape).toEqual({
      value: null,
      reason: 'every target is zero, so no percentage error is defined',
      skippedZeroTargets: 3,
    });
    expect(result.summary.mae).toBeCloseTo(2 / 3, 12);
  });

  it('downsamples a million residuals to evenly spaced rows for charts and keeps the exact metrics', () => {
    const rows = 1_000_000;
    const yTrue = new Float64Array(rows);
    const yPred = new Float64Array(rows);
    for (let row = 0; row < rows; row++) {
      yTrue[row] = row % 1000;
      // Every row is off by exactly ±2, so RMSE and MAE are exactly 2 whatever the sample.
      yPred[row] = (row % 1000) + (row % 2 === 0 ? 2 : -2);
    }
    const result = evaluateRegression({ yTrue, yPred });
    expect(result.summary.rmse).toBe(2);
    expect(result.summary.mae).toBe(2);
    expect(result.mape.skippedZeroTargets).toBe(1000);
    expect(result.residuals.totalPoints).toBe(rows);
    expect(result.residuals.sample.row).toHaveLength(1000);
    expect(result.residuals.sample.row.slice(0, 3)).toEqual([0, 1000, 2000]);
    expect(result.residuals.quantiles.median).toBe(0);
    expect(result.residuals.absoluteQuantiles.min).toBe(2);

    const small = evaluateRegression({ yTrue, yPred, maxResidualPoints: 10 });
    expect(small.residuals.sample.row).toEqual([0, 100000, 200000, 300000, 400000, 500000, 600000, 700000, 800000, 900000]);
    expect(small.residuals.sample.residual[1]).toBe(-2);
  });
});

describe('evaluateRegression rejects bad input with a clear message', () => {
  it('names how many rows hold NaN predictions', () => {
    expectBadInput(
      () => evaluateRegression({ yTrue: [1, 2, 3, 4], yPred: [1, Number.NaN, 3, Number.POSITIVE_INFINITY] }),
      'yPred',
      /^Predictions: 2 of 4 rows hold NaN or infinite values \(first at row 1\)\.$/,
    );
    expectBadInput(() => evaluateRegression({ yTrue: [Number.NaN, 2], yPred: [1, 2] }), 'yTrue', /^True values: 1 of 2 rows hold NaN/);
  });

  it('names both lengths when they differ, and rejects no rows', () => {
    expectBadInput(
      () => evaluateRegression({ yTrue: [1, 2, 3], yPred: [1, 2] }),
      'yPred',
      /yPred has 2 rows but yTrue has 3; they must match row for row\./,
    );
    expectBadInput(() => evaluateRegression({ yTrue: [], yPred: [] }), 'yTrue', /no rows/);
  });
});
