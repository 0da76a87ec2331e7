/**
 * The serving rules (shared/serving) and the places that must agree through
 * them: the exporter's training profile and the server's drift bins, the
 * exporter's schema.json and the server's reader, the engine's reading of a
 * feature column, and `kiln predict`'s reading of a CSV.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { csvToColumns, readBundleSchema } from '../../../main/cli/commands/predict.js';
import { bundleSchema, checkBundleSchema } from '../../../main/engine/export/bundle.js';
import { computeTrainingProfile } from '../../../main/engine/export/onnx/profile.js';
import { categoricalCell, numericCell, rowsToRawColumns, type RawRow } from '../../../main/engine/export/onnx/rows.js';
import { featureExpression, featureNumber } from '../../../main/engine/train/data/load.js';
import type { PreprocessingSpec } from '../../../main/engine/train/types.js';
import { DriftMonitor } from '../../../main/server/drift.js';
import { defaultMissingMarkers } from '../../../shared/api/importing.js';
import { KilnError } from '../../../shared/errors.js';
import {
  csvCell,
  DEFAULT_MISSING_MARKERS,
  labelFromProbabilities,
  numericBin,
  parseBundleSchema,
  readNumberCell,
  readTextCell,
} from '../../../shared/serving/index.js';

const markers = new Set(DEFAULT_MISSING_MARKERS);

const spec: PreprocessingSpec = {
  task: 'binary',
  target: 'income',
  classes: ['<=50K', '>50K'],
  numeric: [{ name: 'age', fill: 40, mean: 40, std: 10, standardize: true }],
  categorical: [{ name: 'workclass', fill: 'Private', levels: ['Private', 'State-gov'] }],
};

const scratch = mkdtempSync(join(tmpdir(), 'kiln-serving-rules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('cells', () => {
  it('reads a number cell: numbers, numeric text, markers and blanks as missing, anything else refused', () => {
    expect(readNumberCell(12.5, markers)).toBe(12.5);
    expect(readNumberCell(' 39 ', markers)).toBe(39);
    expect(readNumberCell('?', markers)).toBeNaN();
    expect(readNumberCell(' NA ', markers)).toBeNaN();
    expect(readNumberCell('', markers)).toBeNaN();
    expect(readNumberCell(null, markers)).toBeNaN();
    expect(readNumberCell('forty', markers)).toBeUndefined();
    expect(readNumberCell('Infinity', markers)).toBeUndefined();
    expect(readNumberCell(true, markers)).toBeUndefined();
    // A marker only counts when the schema lists it.
    expect(readNumberCell('?', new Set())).toBeUndefined();
  });

  it('reads a text cell: trimmed, markers missing, numbers and booleans as DuckDB casts them', () => {
    expect(readTextCell(' Private ', markers)).toBe('Private');
    expect(readTextCell('N/A', markers)).toBe('');
    expect(readTextCell(null, markers)).toBe('');
    expect(readTextCell(13, markers)).toBe('13');
    expect(readTextCell(false, markers)).toBe('false');
    expect(readTextCell({ value: 'x' }, markers)).toBeUndefined();
  });

  it("the exporter's parity rows read through the same rules", () => {
    expect(numericCell(' 7 ', 'age', 0)).toBe(7);
    expect(numericCell(null, 'age', 0)).toBeNaN();
    expect(() => numericCell('seven', 'age', 2)).toThrow(/Row 3: age should be a number but holds "seven"/);
    expect(categoricalCell(' Private ')).toBe('Private');
    expect(categoricalCell('')).toBeNull();
    expect(categoricalCell(13)).toBe('13');
  });

  it('the import uses the serving markers', () => {
    expect(defaultMissingMarkers).toBe(DEFAULT_MISSING_MARKERS);
  });
});

describe('CSV cells and labels', () => {
  it('quotes a cell only when it holds a comma, a quote or a line break', () => {
    expect(csvCell('<=50K')).toBe('<=50K');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(0.25)).toBe('0.25');
  });

  it('takes the threshold for two classes and the most probable of more', () => {
    expect(labelFromProbabilities([0.3, 0.7], 0, ['no', 'yes'], 0.8)).toBe('no');
    expect(labelFromProbabilities([0.3, 0.7], 0, ['no', 'yes'], 0.7)).toBe('yes');
    expect(labelFromProbabilities([0.2, 0.5, 0.3, 0.1, 0.1, 0.8], 1, ['a', 'b', 'c'], 0.5)).toBe('c');
  });
});

describe('drift bins', () => {
  it('bin b holds edges[b-1] < x <= edges[b]', () => {
    const edges = [1, 2, 3];
    expect([0.5, 1, 1.5, 2, 3, 3.5].map((x) => numericBin(edges, x))).toEqual([0, 0, 1, 1, 2, 3]);
  });

  it("the server's drift bins of the training rows are the exporter's profile shares", () => {
    const ages = [17, 22, 25, 25, 30, 33, 38, 41, 41, 41, 47, 50, 52, 58, 61, 66, 70, 90, null, 35];
    const works = ['Private', 'State-gov', null, 'Private', 'Self-emp', 'Private', 'Private', 'State-gov', 'Private', 'Private'];
    const rows: RawRow[] = ages.map((age, index) => ({ age, workclass: works[index % works.length] ?? null }));
    const profile = computeTrainingProfile(spec, rowsToRawColumns(spec, rows), 4);
    const schema = checkBundleSchema(
      bundleSchema({
        name: 'adult',
        run: { id: 'run-1', datasetVersion: 'v1' },
        spec,
        columns: [
          { name: 'age', type: 'BIGINT' },
          { name: 'workclass', type: 'VARCHAR' },
        ],
        missingMarkers: [...DEFAULT_MISSING_MARKERS],
        profile,
        threshold: 0.5,
      }),
    );
    const drift = new DriftMonitor(schema, { window: 100, minRows: 1 });
    drift.add({
      rowCount: rows.length,
      columns: new Map<string, Float64Array | string[]>([
        ['age', Float64Array.from(ages, (age) => age ?? Number.NaN)],
        ['workclass', rows.map((row) => (typeof row.workclass === 'string' ? row.workclass : ''))],
      ]),
      warnings: [],
    });
    const report = drift.report();
    expect(report.features.map((feature) => feature.name).sort()).toEqual(['age', 'workclass']);
    for (const feature of report.features) {
      expect(feature.bins.length).toBeGreaterThan(2);
      for (const bin of feature.bins) expect(bin.actual, `${feature.name} ${bin.bin}`).toBeCloseTo(bin.expected, 6);
      expect(feature.psi).toBeCloseTo(0, 9);
    }
  });
});

describe('schema.json', () => {
  it("the exporter's schema reads back through the server's reader, with its profile keyed by column", () => {
    const rows: RawRow[] = [
      { age: 30, workclass: 'Private' },
      { age: 50, workclass: 'State-gov' },
    ];
    const profile = computeTrainingProfile(spec, rowsToRawColumns(spec, rows), 2);
    const file = bundleSchema({
      name: 'adult',
      run: { id: 'run-1', datasetVersion: null },
      spec,
      columns: [
        { name: 'age', type: 'DOUBLE' },
        { name: 'workclass', type: 'VARCHAR' },
      ],
      missingMarkers: ['?'],
      profile,
      threshold: 0.4,
    });
    const served = parseBundleSchema(JSON.parse(JSON.stringify(file)));
    expect(served).toMatchObject({
      name: 'adult',
      runId: 'run-1',
      datasetVersion: '',
      task: 'binary',
      classes: ['<=50K', '>50K'],
      threshold: 0.4,
      missingMarkers: ['?'],
      inputs: [
        { name: 'age', type: 'number', role: 'numeric' },
        { name: 'workclass', type: 'string', role: 'categorical' },
      ],
    });
    expect(served.trainingProfile.categorical.workclass?.levels).toEqual({ Private: 0.5, 'State-gov': 0.5 });
    expect(served.trainingProfile.numeric.age?.edges).toEqual(profile.features.find((feature) => feature.kind === 'numeric')?.edges);
  });

  it('kiln predict names the wrong field of a bundle schema', async () => {
    const bundle = join(scratch, 'bad-bundle');
    rmSync(bundle, { recursive: true, force: true });
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'schema.json'), JSON.stringify({ name: 'm', task: 'binary', classes: ['a', 'b'], inputs: [{ name: 'x' }] }));
    const error = await readBundleSchema(bundle).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KilnError);
    expect((error as KilnError).message).toMatch(/schema\.json: inputs\[0\]\.type must be "number" or "string"/);
  });
});

describe('reading a CSV for kiln predict', () => {
  const schema = parseBundleSchema({
    name: 'm',
    task: 'regression',
    inputs: [
      { name: 'age', type: 'number' },
      { name: 'workclass', type: 'string' },
    ],
    missingMarkers: ['?'],
  });

  it("reads cells by the schema's markers, in the header's order", () => {
    const columns = csvToColumns('workclass,age\n Private , 39\n?,?\n', schema, 'rows.csv');
    expect(columns.rows).toBe(2);
    expect(Array.from(columns.feeds.get('age')!.values as Float64Array)).toEqual([39, Number.NaN]);
    expect(columns.feeds.get('workclass')!.values).toEqual(['Private', '']);
  });

  it('refuses a cell that is not a number, naming the column and the data row', () => {
    expect(() => csvToColumns('age,workclass\n39,Private\nold,Private\n', schema, 'rows.csv')).toThrow(
      'rows.csv: column "age" expects a number, but data row 2 has "old".',
    );
  });
});

describe('reading a feature column from Parquet', () => {
  it('is one expression for training and export', () => {
    expect(featureExpression('a"b', 'BIGINT', 'numeric')).toBe('CAST("a""b" AS DOUBLE)');
    expect(featureExpression('flag', 'BOOLEAN', 'numeric')).toBe('CAST("flag" AS DOUBLE)');
    expect(featureExpression('day', 'DATE', 'numeric')).toBe('CAST(epoch(CAST("day" AS TIMESTAMP)) AS DOUBLE)');
    expect(featureExpression('code', 'BIGINT', 'categorical')).toBe('CAST("code" AS VARCHAR)');
    expect(featureExpression('name', 'VARCHAR', 'numeric')).toBeUndefined();
  });

  it('reads a non-finite number as missing', () => {
    expect(featureNumber(3)).toBe(3);
    expect(featureNumber(Number.POSITIVE_INFINITY)).toBeNaN();
    expect(featureNumber(null)).toBeNaN();
  });
});
