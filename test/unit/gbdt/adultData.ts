import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GbdtDataset, GbdtFeature } from '../../../main/engine/train/trees/index.js';

const samplesDir = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));

export interface AdultSplit {
  data: GbdtDataset;
  labels: Float64Array;
}

interface ParsedCsv {
  header: string[];
  rows: string[][];
}

/** The adult files are plain: `, ` between cells, `?` for missing, no quoting. */
function parseAdult(path: string): ParsedCsv {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const [headerLine, ...body] = lines;
  return { header: headerLine!.split(', '), rows: body.map((line) => line.split(', ')) };
}

/**
 * Loads adult.csv and adult.test.csv: numeric columns as numbers, text columns
 * as categorical codes taken from the training file (categories the training
 * file never saw become missing), labels as 1 for ">50K".
 */
export function loadAdult(samples = samplesDir): { train: AdultSplit; test: AdultSplit } {
  const train = parseAdult(join(samples, 'adult.csv'));
  const test = parseAdult(join(samples, 'adult.test.csv'));
  const targetIndex = train.header.indexOf('Y');
  const featureColumns = train.header.map((name, index) => ({ name, index })).filter((column) => column.index !== targetIndex);
  const isNumeric = featureColumns.map(({ index }) => train.rows.every((row) => row[index] === '?' || Number.isFinite(Number(row[index]))));
  const categories = featureColumns.map(({ index }, c) => {
    if (isNumeric[c]) return new Map<string, number>();
    const levels = [...new Set(train.rows.map((row) => row[index]!).filter((value) => value !== '?'))].sort();
    return new Map(levels.map((level, code) => [level, code]));
  });
  const build = (parsed: ParsedCsv): AdultSplit => {
    const features: GbdtFeature[] = featureColumns.map(({ name, index }, c) => {
      if (isNumeric[c]) {
        return {
          name,
          kind: 'numeric',
          values: Float64Array.from(parsed.rows, (row) => (row[index] === '?' ? Number.NaN : Number(row[index]))),
        };
      }
      const codes = categories[c]!;
      return {
        name,
        kind: 'categorical',
        categoryCount: codes.size,
        codes: Int32Array.from(parsed.rows, (row) => codes.get(row[index]!) ?? -1),
      };
    });
    const labels = Float64Array.from(parsed.rows, (row) => (row[targetIndex]!.replace(/\.$/, '') === '>50K' ? 1 : 0));
    return { data: { features }, labels };
  };
  return { train: build(train), test: build(test) };
}

/** Row subset of a column-major split. */
export function takeRows(split: AdultSplit, rows: Uint32Array): AdultSplit {
  const features: GbdtFeature[] = split.data.features.map((feature) =>
    feature.kind === 'numeric'
      ? { ...feature, values: Float64Array.from(rows, (row) => feature.values[row]!) }
      : { ...feature, codes: Int32Array.from(rows, (row) => feature.codes[row]!) },
  );
  return { data: { features }, labels: Float64Array.from(rows, (row) => split.labels[row]!) };
}

/** A seeded shuffle split: `fraction` of the rows to validation, the rest to training. */
export function holdOut(split: AdultSplit, fraction: number, seed: number): { fit: AdultSplit; valid: AdultSplit } {
  const n = split.labels.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const validCount = Math.round(n * fraction);
  return { valid: takeRows(split, order.slice(0, validCount).sort()), fit: takeRows(split, order.slice(validCount).sort()) };
}
