import { describe, expect, it } from 'vitest';
import { FeatureEncoding, type FeatureChoice, type FeatureSettings } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { denseColumnNames, encode, fitPreprocessing, prepareData } from '../../../main/engine/train/data/preprocess.js';
import type { RawColumns } from '../../../main/engine/train/types.js';

const numericFeature = (name: string, encoding: Partial<FeatureEncoding> = {}): FeatureChoice => ({
  name,
  include: true,
  encoding: FeatureEncoding.parse({ kind: 'numeric', ...encoding }),
});
const categoricalFeature = (name: string, encoding: Partial<FeatureEncoding> = {}): FeatureChoice => ({
  name,
  include: true,
  encoding: FeatureEncoding.parse({ kind: 'categorical', impute: 'mostFrequent', minLevelCount: 1, ...encoding }),
});

function raw(numeric: Record<string, number[]>, categorical: Record<string, (string | null)[]>, y: number[]): RawColumns {
  return {
    rows: y.length,
    numeric: new Map(Object.entries(numeric).map(([name, values]) => [name, Float64Array.from(values)])),
    categorical: new Map(Object.entries(categorical).map(([name, values]) => [name, values])),
    y: Float64Array.from(y),
  };
}

const settings = (features: FeatureChoice[]): FeatureSettings => ({ target: 'y', task: 'binary', features });

describe('fitPreprocessing', () => {
  it('fills numbers with the mean, the median or a constant, and standardises after filling', () => {
    const train = raw({ a: [1, 2, Number.NaN, 9], b: [1, 2, Number.NaN, 9], c: [1, 2, Number.NaN, 9] }, {}, [0, 1, 0, 1]);
    const spec = fitPreprocessing(
      train,
      settings([
        numericFeature('a', { impute: 'mean' }),
        numericFeature('b', { impute: 'median' }),
        numericFeature('c', { impute: 'constant', imputeValue: -1 }),
      ]),
      ['no', 'yes'],
    );
    const [a, b, c] = spec.numeric;
    expect(a?.fill).toBe(4);
    expect(a?.mean).toBe(4);
    expect(a?.std).toBeCloseTo(Math.sqrt((9 + 4 + 0 + 25) / 4), 12);
    expect(b?.fill).toBe(2);
    expect(b?.mean).toBe(3.5);
    expect(c?.fill).toBe(-1);
    expect(c?.mean).toBe(11 / 4);
    expect(spec.classes).toEqual(['no', 'yes']);
  });

  it('gives a constant column a spread of 1 instead of 0', () => {
    const spec = fitPreprocessing(raw({ flat: [5, 5, 5] }, {}, [0, 1, 0]), settings([numericFeature('flat')]), []);
    expect(spec.numeric[0]).toMatchObject({ mean: 5, std: 1 });
    const { dense } = encode(spec, raw({ flat: [5, 7] }, {}, [0, 1]));
    expect(Array.from(dense.values)).toEqual([0, 2]);
  });

  it('keeps levels with enough rows, at most maxLevels of them by frequency, and fills missing with the most frequent', () => {
    const values = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'd', null];
    const spec = fitPreprocessing(
      raw(
        {},
        { kept: values, capped: values },
        values.map(() => 0),
      ),
      settings([categoricalFeature('kept', { minLevelCount: 2 }), categoricalFeature('capped', { maxLevels: 2 })]),
      [],
    );
    expect(spec.categorical[0]).toEqual({ name: 'kept', fill: 'a', levels: ['a', 'b', 'c'] });
    expect(spec.categorical[1]).toEqual({ name: 'capped', fill: 'a', levels: ['a', 'b'] });
  });

  it('refuses a feature set with nothing included', () => {
    const excluded = { ...numericFeature('a'), include: false };
    expect(() => fitPreprocessing(raw({ a: [1] }, {}, [0]), settings([excluded]), [])).toThrow(KilnError);
  });

  it('fits on the training rows only', () => {
    const prepared = prepareData(settings([numericFeature('a'), categoricalFeature('c')]), ['no', 'yes'], {
      train: raw({ a: [0, 2] }, { c: ['x', 'x'] }, [0, 1]),
      valid: raw({ a: [100, 200] }, { c: ['y', 'y'] }, [1, 1]),
      test: null,
    });
    expect(prepared.spec.numeric[0]).toMatchObject({ mean: 1, std: 1 });
    expect(prepared.spec.categorical[0]?.levels).toEqual(['x']);
    expect(Array.from(prepared.dense.valid?.values ?? [])).toEqual([99, 0, 1, 199, 0, 1]);
    expect(prepared.y.valid).toEqual(Float64Array.from([1, 1]));
    expect(prepared.dense.test).toBeNull();
  });
});

describe('encode', () => {
  const features = settings([numericFeature('age'), categoricalFeature('color')]);
  const train = raw({ age: [20, 30, 40, Number.NaN] }, { color: ['red', 'red', 'blue', null] }, [0, 1, 0, 1]);
  const spec = fitPreprocessing(train, features, ['no', 'yes']);

  it('names dense columns: numbers, then each level and an "other" column', () => {
    expect(denseColumnNames(spec)).toEqual(['age', 'color=red', 'color=blue', 'color=(other)']);
  });

  it('imputes then standardises NaN in the dense matrix and keeps NaN for the trees', () => {
    const { dense, trees } = encode(spec, train);
    const age = spec.numeric[0];
    if (!age) throw new Error('no age in the spec');
    expect(age.fill).toBe(30);
    expect(dense.values[3 * dense.cols]).toBeCloseTo((30 - age.mean) / age.std, 6);
    const treeAge = trees.features[0];
    expect(treeAge?.kind === 'numeric' && Number.isNaN(treeAge.values[3])).toBe(true);
  });

  it('maps unseen categories to "other" and missing ones to the fill in dense, to -1 in the trees', () => {
    const predictRows = raw({ age: [25, 25] }, { color: ['green', null] }, [0, 0]);
    const { dense, trees } = encode(spec, predictRows);
    expect(Array.from(dense.values.slice(1, 4))).toEqual([0, 0, 1]);
    expect(Array.from(dense.values.slice(5, 8))).toEqual([1, 0, 0]);
    const color = trees.features[1];
    expect(color?.kind).toBe('categorical');
    if (color?.kind !== 'categorical') return;
    expect(Array.from(color.codes)).toEqual([2, -1]);
    expect(color.categoryCount).toBe(3);
  });

  it('names the missing column when prediction rows lack one', () => {
    const missing = raw({ age: [1] }, {}, [0]);
    expect(() => encode(spec, missing)).toThrow(/color/);
  });
});
