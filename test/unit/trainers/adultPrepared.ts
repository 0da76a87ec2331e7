/**
 * adult.csv and adult.test.csv as the trainers receive them: read into
 * RawColumns, then encoded by the data helper's prepareData (fitted on the
 * training rows only). A seeded share of adult.csv is held out for validation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FeatureSettings } from '../../../shared/api/train.js';
import { epochOrder } from '../../../main/engine/train/data/batches.js';
import { prepareData } from '../../../main/engine/train/data/preprocess.js';
import type { PreparedData, RawColumns } from '../../../main/engine/train/types.js';

const samplesDir = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));

export const adultClasses = ['<=50K', '>50K'];

interface Table {
  header: string[];
  rows: string[][];
}

/** The adult files are plain: `, ` between cells, `?` for missing, no quoting. */
function readTable(path: string): Table {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const [header, ...body] = lines;
  return { header: header!.split(', '), rows: body.map((line) => line.split(', ')) };
}

function rawColumns(table: Table, numericNames: Set<string>): RawColumns {
  const numeric = new Map<string, Float64Array>();
  const categorical = new Map<string, (string | null)[]>();
  table.header.forEach((name, index) => {
    if (name === 'Y') return;
    if (numericNames.has(name))
      numeric.set(
        name,
        Float64Array.from(table.rows, (row) => (row[index] === '?' ? Number.NaN : Number(row[index]))),
      );
    else
      categorical.set(
        name,
        table.rows.map((row) => (row[index] === '?' ? null : row[index]!)),
      );
  });
  const target = table.header.indexOf('Y');
  const y = Float64Array.from(table.rows, (row) => adultClasses.indexOf(row[target]!.replace(/\.$/, '')));
  return { rows: table.rows.length, numeric, categorical, y };
}

function takeRows(raw: RawColumns, rows: Uint32Array): RawColumns {
  return {
    rows: rows.length,
    numeric: new Map([...raw.numeric].map(([name, values]) => [name, Float64Array.from(rows, (row) => values[row]!)])),
    categorical: new Map([...raw.categorical].map(([name, values]) => [name, Array.from(rows, (row) => values[row]!)])),
    y: Float64Array.from(rows, (row) => raw.y[row]!),
  };
}

export interface AdultOptions {
  /** Share of adult.csv held out for validation (early stopping); 0 trains on every row. */
  validShare?: number;
  /** Keep only this many training rows (after the hold-out), for quick tests. */
  trainRows?: number;
  seed?: number;
  /** Where adult.csv lies; bundled benches pass it since they no longer sit in the repository. */
  samples?: string;
}

export function adultFeatureSettings(table = readTable(join(samplesDir, 'adult.csv'))): FeatureSettings {
  const numericNames = numericColumns(table);
  return FeatureSettings.parse({
    target: 'Y',
    task: 'binary',
    features: table.header
      .filter((name) => name !== 'Y')
      .map((name) => ({ name, include: true, encoding: { kind: numericNames.has(name) ? 'numeric' : 'categorical' } })),
  });
}

function numericColumns(table: Table): Set<string> {
  return new Set(
    table.header.filter(
      (name, index) => name !== 'Y' && table.rows.every((row) => row[index] === '?' || Number.isFinite(Number(row[index]))),
    ),
  );
}

export function loadAdultPrepared(options: AdultOptions = {}): PreparedData & { features: FeatureSettings } {
  const samples = options.samples ?? samplesDir;
  const trainTable = readTable(join(samples, 'adult.csv'));
  const testTable = readTable(join(samples, 'adult.test.csv'));
  const numericNames = numericColumns(trainTable);
  const all = rawColumns(trainTable, numericNames);
  const test = rawColumns(testTable, numericNames);
  const validShare = options.validShare ?? 0.15;
  const order = epochOrder(all.rows, options.seed ?? 7, 0);
  const validCount = Math.round(all.rows * validShare);
  const validRows = order.slice(0, validCount).sort();
  let trainRows = order.slice(validCount).sort();
  if (options.trainRows !== undefined) trainRows = trainRows.slice(0, options.trainRows);
  const prepared = prepareData(adultFeatureSettings(trainTable), adultClasses, {
    train: takeRows(all, trainRows),
    valid: validCount > 0 ? takeRows(all, validRows) : null,
    test,
  });
  return { ...prepared, features: adultFeatureSettings(trainTable) };
}
