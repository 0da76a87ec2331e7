import { describe, expect, it } from 'vitest';
import type { SelectionScore } from '../../../shared/api/evaluation.js';
import { judgeSelection, type SelectionEntry } from '../../../shared/selection.js';
import { constantMargins } from '../../../main/engine/models/baseline/index.js';
import { concatRaw, foldOf, takeRows } from '../../../main/engine/train/folds.js';
import { spreadOf } from '../../../main/engine/train/candidate.js';
import type { RawColumns } from '../../../main/engine/train/types.js';

function entry(id: string, model: string, mean: number, std: number, defaults = false, rows = 800): SelectionEntry {
  const selection: SelectionScore = {
    method: 'crossValidation',
    metric: 'auc',
    foldScores: [mean, mean, mean, mean, mean],
    mean,
    std,
    rows,
    defaults,
    // The roles the families give their defaults: the baseline's whatever its settings, the linear model's only with its defaults.
    role: model === 'baseline' ? 'baseline' : model === 'linear' && defaults ? 'reference' : 'candidate',
  };
  return { id, model, name: model, selection };
}

describe('Auto selection', () => {
  it('keeps the default linear model over a lead within the winner’s fold spread, and takes a lead beyond it', () => {
    const close = judgeSelection(true, [
      entry('b', 'baseline', 0.5, 0),
      entry('l', 'linear', 0.8, 0.02, true),
      entry('g', 'gbdt', 0.81, 0.03, true),
    ]);
    expect(close.chosenId).toBe('l');
    expect(close.reason).toMatch(/not better than the default/);
    const clear = judgeSelection(true, [
      entry('b', 'baseline', 0.5, 0),
      entry('l', 'linear', 0.8, 0.02, true),
      entry('g', 'gbdt', 0.86, 0.03, true),
    ]);
    expect(clear.chosenId).toBe('g');
    expect(clear.reason).toBeNull();
    expect(clear.warnings).toEqual([]);
  });

  it('reads lower as better for RMSE', () => {
    const judged = judgeSelection(false, [entry('b', 'baseline', 10, 0), entry('l', 'linear', 5, 0.1, true), entry('g', 'gbdt', 3, 0.2)]);
    expect(judged.chosenId).toBe('g');
  });

  it('warns when the choice is within noise of the baseline, and when folds or the validation split are small', () => {
    const noise = judgeSelection(true, [entry('b', 'baseline', 0.5, 0), entry('l', 'linear', 0.53, 0.05, true)]);
    expect(noise.chosenId).toBe('l');
    expect(noise.warnings.join(' ')).toMatch(/within noise of the baseline/);
    const tiny = judgeSelection(true, [entry('b', 'baseline', 0.5, 0, false, 150), entry('l', 'linear', 0.9, 0.01, true, 150)]);
    expect(tiny.warnings.join(' ')).toMatch(/Each cross-validation fold has about 30 rows/);
    const holdout = judgeSelection(true, [
      {
        id: 'l',
        model: 'linear',
        name: 'Logistic',
        selection: {
          method: 'holdout',
          metric: 'auc',
          foldScores: [0.85],
          mean: 0.85,
          std: null,
          rows: 105,
          defaults: true,
          role: 'reference',
        },
      },
    ]);
    expect(holdout.warnings.join(' ')).toMatch(/validation split has 105 rows/);
  });
});

describe('cross-validation folds', () => {
  it('deals each class evenly over the folds, the same for the same seed', () => {
    const y = Float64Array.from({ length: 103 }, (_, row) => (row % 4 === 0 ? 1 : 0));
    const folds = foldOf(y, 'binary', 5, 9);
    expect(foldOf(y, 'binary', 5, 9)).toEqual(folds);
    for (let fold = 0; fold < 5; fold++) {
      const rows = [...folds.keys()].filter((row) => folds[row] === fold);
      const positives = rows.filter((row) => y[row] === 1).length;
      expect(rows.length).toBeGreaterThanOrEqual(20);
      expect(rows.length).toBeLessThanOrEqual(21);
      expect(positives).toBeGreaterThanOrEqual(5);
      expect(positives).toBeLessThanOrEqual(6);
    }
  });

  it('spreads the regression target over every fold', () => {
    const y = Float64Array.from({ length: 50 }, (_, row) => row);
    const folds = foldOf(y, 'regression', 5, 1);
    for (let fold = 0; fold < 5; fold++) {
      const values = [...folds.keys()].filter((row) => folds[row] === fold).map((row) => y[row]!);
      expect(values).toHaveLength(10);
      // One row from each block of five sorted targets.
      expect(Math.min(...values)).toBeLessThan(5);
      expect(Math.max(...values)).toBeGreaterThanOrEqual(45);
    }
  });

  it('joins and takes rows column by column', () => {
    const a: RawColumns = {
      rows: 2,
      numeric: new Map([['x', Float64Array.of(1, 2)]]),
      categorical: new Map([['c', ['p', null]]]),
      y: Float64Array.of(0, 1),
    };
    const b: RawColumns = {
      rows: 1,
      numeric: new Map([['x', Float64Array.of(3)]]),
      categorical: new Map([['c', ['q']]]),
      y: Float64Array.of(1),
    };
    const joined = takeRows(concatRaw(a, b), Int32Array.of(2, 0));
    expect(joined.rows).toBe(2);
    expect([...joined.numeric.get('x')!]).toEqual([3, 1]);
    expect(joined.categorical.get('c')).toEqual(['q', 'p']);
    expect([...joined.y]).toEqual([1, 0]);
  });

  it('reports the population spread of the fold scores', () => {
    expect(spreadOf([1, 3])).toBe(1);
    expect(spreadOf([0.8, 0.8, 0.8])).toBeCloseTo(0, 12);
  });
});

describe('baseline', () => {
  it('predicts the class shares or the mean, whatever the features', () => {
    const [logOdds] = constantMargins('binary', ['no', 'yes'], Float64Array.of(0, 0, 0, 1));
    expect(1 / (1 + Math.exp(-logOdds!))).toBeCloseTo(0.25, 12);
    expect(constantMargins('regression', [], Float64Array.of(1, 2, 6))).toEqual([3]);
    const shares = constantMargins('multiclass', ['a', 'b', 'c'], Float64Array.of(0, 0, 1, 1)).map(Math.exp);
    // A class absent from the rows counts as half a row, so it keeps a finite log share.
    expect(shares[2]).toBeGreaterThan(0);
    expect(shares[0]).toBeCloseTo(shares[1]!, 12);
  });
});
