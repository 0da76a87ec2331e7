/**
 * Parity of the exported ONNX graph with the app on adult, for every model
 * family and task: a quick model is trained on part of adult.csv, exported,
 * and every adult.test row (plus hand-made rows with missing values and an
 * unseen category) is scored by onnxruntime-node and by the fitted model
 * itself, and by the app's predictor over the stored JSON.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KilnError } from '../../../shared/errors.js';
import { FeatureSettings, ModelFamily, TrainSettings, type Task } from '../../../shared/api/train.js';
import { buildOnnxPipeline, type DatasetColumn } from '../../../main/engine/export/onnx/pipeline.js';
import { computeTrainingProfile } from '../../../main/engine/export/onnx/profile.js';
import { labelsFromProbabilities, predictReference } from '../../../main/engine/export/onnx/reference.js';
import { categoricalCell, numericCell, rowsToRawColumns, type RawRow } from '../../../main/engine/export/onnx/rows.js';
import { checkParity, verifyExport, type ParityReport } from '../../../main/engine/export/parity.js';
import { encode, prepareData } from '../../../main/engine/train/data/preprocess.js';
import { flavorOf } from '../../../main/engine/models/registry.js';
import type { GbdtModelJson } from '../../../main/engine/train/trees/types.js';
import type { PreparedData, PreprocessingSpec, RawColumns } from '../../../main/engine/train/types.js';

const samples = fileURLToPath(new URL('../../../resources/samples/', import.meta.url));

interface CsvTable {
  header: string[];
  rows: RawRow[];
  numeric: Set<string>;
}

/** adult's files are plain: `, ` between cells, `?` for missing (which the importer turns into NULL), labels in the test file end with a dot. */
function readAdult(file: string): CsvTable {
  const lines = readFileSync(`${samples}${file}`, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const header = lines[0]!.split(', ');
  const rows = lines.slice(1).map((line) => {
    const cells = line.split(', ');
    const row: Record<string, string | null> = {};
    header.forEach((name, index) => {
      const cell = cells[index]!;
      row[name] = cell === '?' ? null : name === 'Y' ? cell.replace(/\.$/, '') : cell;
    });
    return row;
  });
  const numeric = new Set(
    header.filter((name) => name !== 'Y' && rows.every((row) => row[name] === null || Number.isFinite(Number(row[name])))),
  );
  return { header, rows, numeric };
}

function rawColumns(rows: RawRow[], features: FeatureSettings, classes: string[]): RawColumns {
  const numeric = new Map<string, Float64Array>();
  const categorical = new Map<string, (string | null)[]>();
  for (const feature of features.features) {
    if (feature.encoding.kind === 'numeric')
      numeric.set(
        feature.name,
        Float64Array.from(rows, (row, index) => numericCell(row[feature.name], feature.name, index)),
      );
    else
      categorical.set(
        feature.name,
        rows.map((row) => categoricalCell(row[feature.name])),
      );
  }
  const y =
    features.task === 'regression'
      ? Float64Array.from(rows, (row) => Number(row[features.target]))
      : Float64Array.from(rows, (row) => classes.indexOf(String(row[features.target])));
  return { rows: rows.length, numeric, categorical, y };
}

function featureSettings(table: CsvTable, target: string, task: Task): FeatureSettings {
  return FeatureSettings.parse({
    target,
    task,
    features: table.header
      .filter((name) => name !== target)
      .map((name) => ({ name, include: true, encoding: { kind: table.numeric.has(name) ? 'numeric' : 'categorical' } })),
  });
}

const quickSettings = TrainSettings.parse({
  backend: 'cpu',
  linear: { epochs: 3 },
  mlp: { epochs: 2, width: 16 },
  gbdt: { rounds: 25, maxDepth: 5 },
  forest: { trees: 20, maxDepth: 10 },
});

interface Outcome {
  report: ParityReport;
  referenceReport: ParityReport;
}

let train: CsvTable;
let test: CsvTable;
/** adult.test's rows, then rows no training row looks like. */
let scoringRows: RawRow[];

function handMadeRows(base: RawRow): RawRow[] {
  return [
    { ...base, workclass: 'Space-agency' },
    { ...base, age: null, workclass: 'Space-agency', 'hours-per-week': null },
    { ...base, 'native-country': 'Atlantis', occupation: null, 'capital-gain': '' },
    // Every feature missing at once: fills for the dense models, the learnt missing directions for the trees.
    Object.fromEntries(Object.keys(base).map((name) => [name, name === 'Y' || name === 'relationship' ? base[name] : null])),
    // Numbers as JSON numbers rather than text, as a server receives them.
    { ...base, age: 37, fnlwgt: 215646.5, 'education-num': 9 },
  ];
}

interface Exported {
  spec: PreprocessingSpec;
  json: unknown;
  onnxBytes: Uint8Array;
  inputSchema: DatasetColumn[];
}

async function exportAndCompare(family: ModelFamily, target: string, task: Task, keep?: (exported: Exported) => void): Promise<Outcome> {
  const features = featureSettings(train, target, task);
  const classes =
    task === 'regression' ? [] : [...new Set(train.rows.map((row) => String(row[target])))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const trainRows = train.rows.slice(0, 5000);
  const validRows = train.rows.slice(5000, 6000);
  const trainRaw = rawColumns(trainRows, features, classes);
  const prepared = prepareData(features, classes, {
    train: trainRaw,
    valid: rawColumns(validRows, features, classes),
    test: null,
  });
  const model = await flavorOf(family).fit(prepared, quickSettings[family], {
    task,
    classes,
    seed: 5,
    backend: quickSettings.backend,
    signal: new AbortController().signal,
    onProgress: () => undefined,
  });
  try {
    const inputSchema: DatasetColumn[] = train.header.map((name) => ({
      name,
      type: train.numeric.has(name) ? 'BIGINT' : 'VARCHAR',
      role: name === target ? 'target' : 'feature',
    }));
    const spec = prepared.spec;
    const json = model.artifact;
    const onnxBytes = buildOnnxPipeline({
      spec,
      model: json,
      family,
      runId: `run-${family}-${task}`,
      datasetVersion: 'adult-v1',
      inputSchema,
      trainingProfile: computeTrainingProfile(spec, trainRaw),
      kilnVersion: '0.1.0',
    });
    // The fitted model itself (tfjs or the trees) on the app's own encoding of the same raw rows.
    const encoded = encode(spec, rowsToRawColumns(spec, scoringRows));
    const withTest: PreparedData = {
      ...prepared,
      dense: { ...prepared.dense, test: encoded.dense },
      trees: { ...prepared.trees, test: encoded.trees },
    };
    const predicted = await model.predict(withTest, 'test');
    const expected =
      task === 'regression' ? { values: predicted } : { probabilities: predicted, labels: labelsFromProbabilities(predicted, classes) };
    keep?.({ spec, json, onnxBytes, inputSchema });
    const report = await checkParity({ onnxBytes, rows: scoringRows, expected });
    const referenceReport = await verifyExport({ onnxBytes, family, spec, model: json, rows: scoringRows });
    return { report, referenceReport };
  } finally {
    model.dispose?.();
  }
}

const figures: string[] = [];

function expectClean(name: string, outcome: Outcome): void {
  figures.push(
    `${name}: ${outcome.report.rows} rows, max |diff| vs fitted model ${outcome.report.maxAbsDiff.toExponential(2)}, vs stored JSON ${outcome.referenceReport.maxAbsDiff.toExponential(2)}`,
  );
  expect(outcome.report.mismatches).toEqual([]);
  expect(outcome.report.rows).toBe(test.rows.length + 5);
  expect(outcome.report.maxAbsDiff).toBeLessThanOrEqual(1e-5);
  expect(outcome.referenceReport.mismatchCount).toBe(0);
}

describe('ONNX parity on adult', () => {
  beforeAll(() => {
    train = readAdult('adult.csv');
    test = readAdult('adult.test.csv');
    scoringRows = [...test.rows, ...handMadeRows(test.rows[0]!)];
  });

  afterAll(() => {
    // The parity figures go to the log, for the export note.
    console.log(figures.join('\n'));
  });

  for (const family of ModelFamily.options) {
    it(`${family}: binary (Y)`, async () => {
      expectClean(`${family} binary`, await exportAndCompare(family, 'Y', 'binary'));
    }, 180_000);
    it(`${family}: multiclass (relationship)`, async () => {
      expectClean(`${family} multiclass`, await exportAndCompare(family, 'relationship', 'multiclass'));
    }, 180_000);
    it(`${family}: regression (age)`, async () => {
      expectClean(`${family} regression`, await exportAndCompare(family, 'age', 'regression'));
    }, 180_000);
  }

  it('refuses a GBDT export with one corrupted leaf, naming the first row that reaches it', async () => {
    let exported: Exported | null = null;
    await exportAndCompare('gbdt', 'Y', 'binary', (kept) => (exported = kept));
    const { spec, json, inputSchema } = exported!;
    const corrupted = structuredClone(json) as GbdtModelJson;
    const tree = corrupted.trees[3]!;
    const leafNode = tree.feature.findIndex((feature) => feature < 0);
    tree.value[leafNode]! += 0.5;
    const onnxBytes = buildOnnxPipeline({ spec, model: corrupted, family: 'gbdt', runId: 'r', datasetVersion: 'v', inputSchema });
    // The rows that differ are those whose path in that tree ends at that leaf.
    const honest = predictReference({ family: 'gbdt', spec, model: json, raw: rowsToRawColumns(spec, scoringRows) });
    const bent = predictReference({ family: 'gbdt', spec, model: corrupted, raw: rowsToRawColumns(spec, scoringRows) });
    const differing = scoringRows.map((_, row) => row).filter((row) => honest.probabilities![row * 2] !== bent.probabilities![row * 2]);
    expect(differing.length).toBeGreaterThan(0);
    const failure = await verifyExport({ onnxBytes, family: 'gbdt', spec, model: json, rows: scoringRows }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(KilnError);
    expect((failure as KilnError).message).toContain(
      `ONNX parity failed: ${differing.length} of ${scoringRows.length} rows differ by more than 1e-5 or in their label (first: row ${differing[0]! + 1}: expected`,
    );
  }, 180_000);
});
