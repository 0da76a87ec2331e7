/**
 * k-fold cross-validation for Auto on small data: the training and validation
 * rows pooled, dealt into seeded folds (stratified by class for
 * classification), and each fold prepared on its own, so the preprocessing of
 * a fold never sees the rows that score it.
 */
import type { FeatureSettings, Task } from '../../../shared/api/train.js';
import { prepareData } from './data/preprocess.js';
import { mulberry32 } from './random.js';
import type { PreparedData, RawColumns } from './types.js';

/** Below this many training rows (train + validation), Auto selects by cross-validation instead of the validation split. */
export const CROSS_VALIDATION_ROWS = 20_000;
export const DEFAULT_FOLDS = 5;

export function concatRaw(first: RawColumns, second: RawColumns): RawColumns {
  const numeric = new Map<string, Float64Array>();
  for (const [name, values] of first.numeric) {
    const joined = new Float64Array(first.rows + second.rows);
    joined.set(values);
    joined.set(second.numeric.get(name) ?? new Float64Array(second.rows).fill(Number.NaN), first.rows);
    numeric.set(name, joined);
  }
  const categorical = new Map<string, (string | null)[]>();
  for (const [name, values] of first.categorical) {
    categorical.set(name, [...values, ...(second.categorical.get(name) ?? new Array<string | null>(second.rows).fill(null))]);
  }
  const y = new Float64Array(first.rows + second.rows);
  y.set(first.y);
  y.set(second.y, first.rows);
  return { rows: first.rows + second.rows, numeric, categorical, y };
}

export function takeRows(raw: RawColumns, rows: Int32Array): RawColumns {
  const numeric = new Map<string, Float64Array>();
  for (const [name, values] of raw.numeric)
    numeric.set(
      name,
      Float64Array.from(rows, (row) => values[row]!),
    );
  const categorical = new Map<string, (string | null)[]>();
  for (const [name, values] of raw.categorical)
    categorical.set(
      name,
      Array.from(rows, (row) => values[row] ?? null),
    );
  return { rows: rows.length, numeric, categorical, y: Float64Array.from(rows, (row) => raw.y[row]!) };
}

function shuffle(values: number[], random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
}

/**
 * The fold of every row. Classification deals each class's shuffled rows in
 * turn, so every fold has about the same class shares; regression deals the
 * rows sorted by target in shuffled blocks of k, so every fold spans the range.
 */
export function foldOf(y: Float64Array, task: Task, folds: number, seed: number): Int32Array {
  const random = mulberry32(seed);
  const assignment = new Int32Array(y.length);
  const groups: number[][] = [];
  if (task === 'regression') {
    const order = Array.from(y.keys()).sort((a, b) => y[a]! - y[b]! || a - b);
    for (let start = 0; start < order.length; start += folds) groups.push(order.slice(start, start + folds));
    for (const group of groups) {
      const slots = Array.from({ length: folds }, (_, index) => index);
      shuffle(slots, random);
      group.forEach((row, index) => {
        assignment[row] = slots[index]!;
      });
    }
    return assignment;
  }
  const byClass = new Map<number, number[]>();
  y.forEach((label, row) => {
    const rows = byClass.get(label) ?? [];
    rows.push(row);
    byClass.set(label, rows);
  });
  // The deal continues across classes, so small classes do not all start in fold 0.
  let position = Math.floor(random() * folds);
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(label)!;
    shuffle(rows, random);
    for (const row of rows) {
      assignment[row] = position % folds;
      position += 1;
    }
  }
  return assignment;
}

export interface CrossValidation {
  folds: PreparedData[];
  /** Every training row (train + validation) prepared together, with the test split: what the final model is fitted on. */
  full: PreparedData;
  /** Rows over all folds' validation parts: the pooled training rows. */
  rows: number;
}

export function crossValidationData(
  features: FeatureSettings,
  classes: string[],
  raw: { train: RawColumns; valid: RawColumns; test: RawColumns | null },
  folds: number,
  seed: number,
): CrossValidation {
  const pool = concatRaw(raw.train, raw.valid);
  const assignment = foldOf(pool.y, features.task, folds, seed);
  const prepared: PreparedData[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const inFold: number[] = [];
    const outside: number[] = [];
    assignment.forEach((which, row) => (which === fold ? inFold : outside).push(row));
    prepared.push(
      prepareData(features, classes, {
        train: takeRows(pool, Int32Array.from(outside)),
        valid: takeRows(pool, Int32Array.from(inFold)),
        test: null,
      }),
    );
  }
  return { folds: prepared, full: prepareData(features, classes, { train: pool, valid: null, test: raw.test }), rows: pool.rows };
}
