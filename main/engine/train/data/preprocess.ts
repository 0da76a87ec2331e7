/**
 * The preprocessing of the recipe's `features` section: fitted on the
 * training split only, then applied unchanged to validation, test and
 * prediction rows. Linear and neural models get imputed, standardised numbers
 * and one-hot categories; the trees get the raw numbers (NaN kept: each split
 * learns where missing values go) and category codes.
 */
import type { FeatureSettings } from '../../../../shared/api/train.js';
import { KilnError } from '../../../../shared/errors.js';
import type { GbdtDataset, GbdtFeature } from '../trees/types.js';
import type { DenseMatrix, PreparedData, PreprocessingSpec, RawColumns } from '../types.js';

type NumericSpec = PreprocessingSpec['numeric'][number];
type CategoricalSpec = PreprocessingSpec['categorical'][number];

/** The one-hot column of everything outside a categorical's levels; parentheses keep it apart from a real level named "other". */
export const otherColumnSuffix = '(other)';

function fitNumeric(name: string, values: Float64Array, encoding: FeatureSettings['features'][number]['encoding']): NumericSpec {
  const present: number[] = [];
  for (const value of values) if (!Number.isNaN(value)) present.push(value);
  let fill: number;
  if (encoding.impute === 'constant') {
    const constant = typeof encoding.imputeValue === 'number' ? encoding.imputeValue : Number(encoding.imputeValue ?? 0);
    if (!Number.isFinite(constant)) {
      throw new KilnError(
        'bad_input',
        `The fill value for ${name} must be a number, not ${JSON.stringify(encoding.imputeValue)}.`,
        'features.features',
      );
    }
    fill = constant;
  } else if (present.length === 0) {
    // A column missing in every training row has nothing to learn from; zero keeps the arithmetic finite.
    fill = 0;
  } else if (encoding.impute === 'mean') {
    fill = mean(present);
  } else if (encoding.impute === 'mostFrequent') {
    fill = mostFrequentNumber(present);
  } else {
    fill = median(present);
  }
  // Mean and spread are taken after imputation, as a scaler after an imputer would see the column.
  const missing = values.length - present.length;
  let sum = 0;
  for (const value of present) sum += value;
  sum += missing * fill;
  const count = values.length;
  const center = count === 0 ? 0 : sum / count;
  let squares = 0;
  for (const value of present) squares += (value - center) ** 2;
  squares += missing * (fill - center) ** 2;
  const std = count === 0 ? 0 : Math.sqrt(squares / count);
  return { name, fill, mean: center, std: std > 0 && Number.isFinite(std) ? std : 1, standardize: encoding.standardize };
}

function mean(values: number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function mostFrequentNumber(values: number[]): number {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best = values[0] as number;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount || (count === bestCount && value < best)) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

function fitCategorical(
  name: string,
  values: (string | null)[],
  encoding: FeatureSettings['features'][number]['encoding'],
): CategoricalSpec {
  const counts = new Map<string, number>();
  for (const value of values) if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  // Most frequent first; equal counts by code point, so the order never depends on row order.
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const fill = encoding.impute === 'constant' && encoding.imputeValue !== undefined ? String(encoding.imputeValue) : (ranked[0]?.[0] ?? '');
  const levels = ranked
    .filter(([, count]) => count >= encoding.minLevelCount)
    .slice(0, encoding.maxLevels)
    .map(([level]) => level);
  return { name, fill, levels };
}

/** Fits imputation, scaling and category levels on the training split. */
export function fitPreprocessing(train: RawColumns, features: FeatureSettings, classes: string[]): PreprocessingSpec {
  const spec: PreprocessingSpec = { task: features.task, target: features.target, classes: [...classes], numeric: [], categorical: [] };
  for (const feature of features.features) {
    if (!feature.include || feature.name === features.target) continue;
    if (feature.encoding.kind === 'numeric') {
      const values = train.numeric.get(feature.name);
      if (!values)
        throw new KilnError('bad_input', `The training data has no numeric column ${JSON.stringify(feature.name)}.`, 'features.features');
      spec.numeric.push(fitNumeric(feature.name, values, feature.encoding));
    } else {
      const values = train.categorical.get(feature.name);
      if (!values)
        throw new KilnError(
          'bad_input',
          `The training data has no categorical column ${JSON.stringify(feature.name)}.`,
          'features.features',
        );
      spec.categorical.push(fitCategorical(feature.name, values, feature.encoding));
    }
  }
  if (spec.numeric.length + spec.categorical.length === 0) {
    throw new KilnError('bad_input', 'No features are included: choose at least one column besides the target.', 'features.features');
  }
  return spec;
}

/** Names of the dense columns, in order: numbers first, then each categorical's levels and its "other". */
export function denseColumnNames(spec: PreprocessingSpec): string[] {
  const names = spec.numeric.map((numeric) => numeric.name);
  for (const categorical of spec.categorical) {
    for (const level of categorical.levels) names.push(`${categorical.name}=${level}`);
    names.push(`${categorical.name}=${otherColumnSuffix}`);
  }
  return names;
}

function numericColumn(raw: RawColumns, name: string): Float64Array {
  const values = raw.numeric.get(name);
  if (!values)
    throw new KilnError('bad_input', `The data has no numeric column ${JSON.stringify(name)}, which the model was trained with.`, name);
  if (values.length !== raw.rows) throw new Error(`Column ${name} holds ${values.length} values for ${raw.rows} rows.`);
  return values;
}

function categoricalColumn(raw: RawColumns, name: string): (string | null)[] {
  const values = raw.categorical.get(name);
  if (!values)
    throw new KilnError('bad_input', `The data has no categorical column ${JSON.stringify(name)}, which the model was trained with.`, name);
  if (values.length !== raw.rows) throw new Error(`Column ${name} holds ${values.length} values for ${raw.rows} rows.`);
  return values;
}

/** Codes 0..levels-1 for the levels, `levels.length` for anything else, unseen values included. */
function levelCodes(categorical: CategoricalSpec): Map<string, number> {
  return new Map(categorical.levels.map((level, index) => [level, index]));
}

/** Imputed and (where asked) standardised numbers, then one-hot categories, row-major. */
export function encodeDense(spec: PreprocessingSpec, raw: RawColumns): DenseMatrix {
  const columnNames = denseColumnNames(spec);
  const cols = columnNames.length;
  const rows = raw.rows;
  const values = new Float32Array(rows * cols);
  let column = 0;
  for (const numeric of spec.numeric) {
    const source = numericColumn(raw, numeric.name);
    const shift = numeric.standardize ? numeric.mean : 0;
    const scale = numeric.standardize ? 1 / numeric.std : 1;
    for (let row = 0; row < rows; row++) {
      const value = source[row] as number;
      values[row * cols + column] = ((Number.isNaN(value) ? numeric.fill : value) - shift) * scale;
    }
    column += 1;
  }
  for (const categorical of spec.categorical) {
    const source = categoricalColumn(raw, categorical.name);
    const codes = levelCodes(categorical);
    const other = categorical.levels.length;
    for (let row = 0; row < rows; row++) {
      const value = source[row] ?? categorical.fill;
      const code = codes.get(value) ?? other;
      values[row * cols + column + code] = 1;
    }
    column += other + 1;
  }
  return { rows, cols, values, columnNames };
}

/** Raw numbers with NaN for missing, and category codes with -1 for missing and `levels.length` for "other". */
export function encodeTrees(spec: PreprocessingSpec, raw: RawColumns): GbdtDataset {
  const features: GbdtFeature[] = [];
  for (const numeric of spec.numeric) {
    features.push({ name: numeric.name, kind: 'numeric', values: numericColumn(raw, numeric.name) });
  }
  for (const categorical of spec.categorical) {
    const source = categoricalColumn(raw, categorical.name);
    const codes = levelCodes(categorical);
    const other = categorical.levels.length;
    const encoded = new Int32Array(raw.rows);
    for (let row = 0; row < raw.rows; row++) {
      const value = source[row];
      encoded[row] = value === null || value === undefined ? -1 : (codes.get(value) ?? other);
    }
    features.push({ name: categorical.name, kind: 'categorical', codes: encoded, categoryCount: other + 1 });
  }
  return { features };
}

export function encode(spec: PreprocessingSpec, raw: RawColumns): { dense: DenseMatrix; trees: GbdtDataset } {
  return { dense: encodeDense(spec, raw), trees: encodeTrees(spec, raw) };
}

/** Fits on the training split and encodes every split with that one fit. */
export function prepareData(
  features: FeatureSettings,
  classes: string[],
  splits: { train: RawColumns; valid: RawColumns | null; test: RawColumns | null },
): PreparedData {
  const spec = fitPreprocessing(splits.train, features, classes);
  const train = encode(spec, splits.train);
  const valid = splits.valid ? encode(spec, splits.valid) : null;
  const test = splits.test ? encode(spec, splits.test) : null;
  return {
    spec,
    dense: { train: train.dense, valid: valid?.dense ?? null, test: test?.dense ?? null },
    trees: { train: train.trees, valid: valid?.trees ?? null, test: test?.trees ?? null },
    y: { train: splits.train.y, valid: splits.valid?.y ?? null, test: splits.test?.y ?? null },
  };
}
