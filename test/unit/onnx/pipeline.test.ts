/**
 * The ONNX pipeline on small hand-written models whose every path is known:
 * categorical splits written over either side, missing values going either
 * way, a threshold a float32 graph would get wrong, the binary threshold,
 * the metadata, a corrupted leaf caught by the parity check, and bad input.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../shared/errors.js';
import { decodeModel } from '../../../main/engine/export/onnx/graph.js';
import type { LinearArtifact as LinearModelJson } from '../../../main/engine/models/linear/index.js';
import type { GbdtModelJson, GbdtTreeJson } from '../../../main/engine/train/trees/types.js';
import type { PreprocessingSpec } from '../../../main/engine/train/types.js';
import { buildOnnxPipeline, METADATA_KEYS, type DatasetColumn } from '../../../main/engine/export/onnx/pipeline.js';
import { computeTrainingProfile, type TrainingProfile } from '../../../main/engine/export/onnx/profile.js';
import { predictReference } from '../../../main/engine/export/onnx/reference.js';
import { rowsToRawColumns, type RawRow } from '../../../main/engine/export/onnx/rows.js';
import { checkParity, verifyExport } from '../../../main/engine/export/parity.js';

const schema: DatasetColumn[] = [
  { name: 'colour', type: 'VARCHAR', role: 'feature' },
  { name: 'x', type: 'DOUBLE', role: 'feature' },
  { name: 'target', type: 'VARCHAR', role: 'target' },
];

/** colour has levels a..d (codes 0..3) and "other" (code 4). */
function treeSpec(task: PreprocessingSpec['task'], classes: string[]): PreprocessingSpec {
  return {
    task,
    target: 'target',
    classes,
    numeric: [{ name: 'x', fill: 0, mean: 0, std: 1, standardize: false }],
    categorical: [{ name: 'colour', fill: 'a', levels: ['a', 'b', 'c', 'd'] }],
  };
}

function leaf(value: number): Partial<GbdtTreeJson> {
  return { feature: [-1], threshold: [0], categories: [[]], missingLeft: [false], left: [-1], right: [-1], value: [value] };
}

/** Node 0 splits, nodes 1 and 2 are leaves worth `values`. */
function stump(
  classIndex: number,
  split: { feature: number; threshold?: number; categories?: number[]; missingLeft: boolean },
  values: [number, number],
): GbdtTreeJson {
  return {
    classIndex,
    feature: [split.feature, -1, -1],
    threshold: [split.threshold ?? 0, 0, 0],
    categories: [split.categories ?? [], [], []],
    missingLeft: [split.missingLeft, false, false],
    left: [1, -1, -1],
    right: [2, -1, -1],
    value: [0, values[0], values[1]],
    gain: [1, 0, 0],
    cover: [1, 1, 1],
  };
}

function gbdtJson(objective: GbdtModelJson['objective'], outputs: number, trees: GbdtTreeJson[]): GbdtModelJson {
  return {
    format: 'kiln-gbdt',
    version: 1,
    objective,
    outputs,
    baseScore: Array.from({ length: outputs }, (_, k) => 0.25 * (k + 1)),
    features: [
      { name: 'x', kind: 'numeric' },
      { name: 'colour', kind: 'categorical', categoryCount: 5 },
    ],
    binning: [],
    trees,
    rounds: trees.length,
    params: {} as GbdtModelJson['params'],
  };
}

const threeClassTrees: GbdtTreeJson[] = [
  // Left side smaller: a chain over {1}; missing goes left.
  stump(0, { feature: 1, categories: [1], missingLeft: true }, [1.5, -0.5]),
  // Left side larger: a chain over the right codes {3}; missing goes right.
  stump(1, { feature: 1, categories: [0, 1, 2, 4], missingLeft: false }, [0.75, -2]),
  // Left side larger and missing left.
  stump(2, { feature: 1, categories: [0, 2, 3, 4], missingLeft: true }, [-1, 3]),
  // No code goes left: only missing values do.
  stump(0, { feature: 1, categories: [], missingLeft: true }, [4, 0.125]),
  // A threshold float32 cannot hold: 0.1 + 1e-12 lies above it in double and on it in float32.
  stump(1, { feature: 0, threshold: 0.1, missingLeft: false }, [0.3, -0.7]),
  stump(2, { feature: 0, threshold: -3, missingLeft: true }, [2, -1]),
  { classIndex: 2, ...leaf(0.05) } as GbdtTreeJson,
  {
    // Deeper: a categorical split under a numeric one.
    classIndex: 0,
    feature: [0, 1, -1, -1, -1],
    threshold: [1, 0, 0, 0, 0],
    categories: [[], [2, 3], [], [], []],
    missingLeft: [true, false, false, false, false],
    left: [1, 3, -1, -1, -1],
    right: [2, 4, -1, -1, -1],
    value: [0, 0, 0.9, -0.4, 0.6],
    gain: [1, 1, 0, 0, 0],
    cover: [1, 1, 1, 1, 1],
  },
];

/** Every colour (each level, an unseen one, missing as null and as "") against numbers around every threshold, missing included. */
function gridRows(): RawRow[] {
  const colours: (string | null)[] = ['a', 'b', 'c', 'd', 'purple', null, ''];
  const numbers: (number | string | null)[] = [-5, -3, -2.999, 0.1, 0.1 + 1e-12, '0.1', 0.5, 1, 1.0000001, 7, null, ''];
  return colours.flatMap((colour) => numbers.map((x) => ({ colour, x })));
}

async function runOnnx(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('trees in ONNX', () => {
  const spec = treeSpec('multiclass', ['k0', 'k1', 'k2']);
  const model = gbdtJson('multiclass', 3, threeClassTrees);
  const rows = gridRows();
  const options = { spec, model, family: 'gbdt' as const, runId: 'run-1', datasetVersion: 'v1', inputSchema: schema };

  it('routes every category, unseen and missing value, and every threshold as the app does', async () => {
    const bytes = buildOnnxPipeline(options);
    const expected = predictReference({ family: 'gbdt', spec, model, raw: rowsToRawColumns(spec, rows) });
    const report = await checkParity({ onnxBytes: bytes, rows, expected: expected as Required<typeof expected> });
    expect(report.mismatches).toEqual([]);
    expect(report.rows).toBe(rows.length);
    expect(report.maxAbsDiff).toBeLessThan(1e-6);
    // The double threshold matters: these two rows must land on different sides of 0.1.
    const onEdge = rows.findIndex((row) => row.colour === 'a' && row.x === 0.1);
    const above = rows.findIndex((row) => row.colour === 'a' && row.x === 0.1 + 1e-12);
    expect(expected.probabilities![onEdge * 3 + 1]).not.toBeCloseTo(expected.probabilities![above * 3 + 1]!, 3);
  });

  it('regression keeps the base score and the leaf values', async () => {
    const regressionSpec = treeSpec('regression', []);
    const regression = gbdtJson(
      'regression',
      1,
      threeClassTrees.map((tree) => ({ ...tree, classIndex: 0 })),
    );
    regression.baseScore = [40123.5];
    const bytes = buildOnnxPipeline({ ...options, spec: regressionSpec, model: regression });
    const report = await verifyExport({ onnxBytes: bytes, family: 'gbdt', spec: regressionSpec, model: regression, rows });
    expect(report.mismatchCount).toBe(0);
    // The base score goes in as a double outside the float32 ensemble, so a large target keeps its small digits.
    expect(report.maxAbsDiff).toBeLessThan(1e-6);
  });

  it('fails parity on a corrupted leaf and names the first row that reaches it', async () => {
    const corrupted = structuredClone(model);
    // Tree 1's right leaf holds the rows of colour "d" (code 3) and those with no colour.
    corrupted.trees[1]!.value[2] = -1.9;
    const bytes = buildOnnxPipeline({ ...options, model: corrupted });
    const firstD = rows.findIndex((row) => row.colour === 'd');
    const failure = await verifyExport({ onnxBytes: bytes, family: 'gbdt', spec, model, rows }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(KilnError);
    const error = failure as KilnError;
    expect(error.code).toBe('bad_input');
    const dRows = rows.filter((row) => row.colour === 'd' || row.colour === null || row.colour === '').length;
    expect(error.message).toContain(`ONNX parity failed: ${dRows} of ${rows.length} rows differ by more than 1e-5`);
    expect(error.message).toContain(`(first: row ${firstD + 1}: expected`);
  });
});

describe('linear models in ONNX', () => {
  const spec: PreprocessingSpec = {
    task: 'binary',
    target: 'target',
    classes: ['no', 'yes'],
    numeric: [{ name: 'x', fill: 2, mean: 1, std: 2, standardize: true }],
    categorical: [{ name: 'colour', fill: 'zebra', levels: ['a', 'b'] }],
  };
  const model: LinearModelJson = {
    kind: 'linear',
    task: 'binary',
    link: 'sigmoid',
    columns: ['x', 'colour=a', 'colour=b', 'colour=(other)'],
    weights: [[1.25], [0.5], [-0.5], [2]],
    bias: [-0.1],
  };
  const rows = gridRows();

  it('imputes, standardises, one-hot encodes with "other", and labels by the run threshold', async () => {
    const bytes = buildOnnxPipeline({
      spec,
      model,
      family: 'linear',
      runId: 'r',
      datasetVersion: 'v',
      inputSchema: schema,
      threshold: 0.8,
    });
    const report = await verifyExport({ onnxBytes: bytes, family: 'linear', spec, model, rows, threshold: 0.8 });
    expect(report.mismatchCount).toBe(0);
    // The app encodes into float32 before the weights; the graph stays in double.
    expect(report.maxAbsDiff).toBeLessThan(1e-7);
    const results = await runOnnx(bytes, {
      x: new ort.Tensor('float64', Float64Array.of(Number.NaN, 3, 3), [3, 1]),
      colour: new ort.Tensor('string', ['', 'b', 'purple'], [3, 1]),
    });
    // Missing x → 2 → (2 − 1) / 2 = 0.5; missing colour → fill "zebra", not a level → other.
    const margin = (z: number) => 1 / (1 + Math.exp(-z));
    const probabilities = results.probabilities!.data as Float64Array;
    expect(probabilities[1]).toBeCloseTo(margin(1.25 * 0.5 + 2 - 0.1), 12);
    expect(probabilities[3]).toBeCloseTo(margin(1.25 * 1 - 0.5 - 0.1), 12);
    expect(probabilities[5]).toBeCloseTo(margin(1.25 * 1 + 2 - 0.1), 12);
    // 0.91 and 0.96 reach 0.8; 0.65 does not.
    expect(results.label!.data).toEqual(['yes', 'no', 'yes']);
  });

  it('embeds the schema, classes, threshold, run, dataset version and training profile', () => {
    const raw = rowsToRawColumns(spec, rows);
    const profile: TrainingProfile = computeTrainingProfile(spec, raw, 4);
    const bytes = buildOnnxPipeline({
      spec,
      model,
      family: 'linear',
      runId: 'run-42',
      datasetVersion: 'ds-7',
      inputSchema: schema,
      threshold: 0.3,
      trainingProfile: profile,
      kilnVersion: '9.9.9',
    });
    const proto = decodeModel(bytes);
    expect(proto.opsetImport.map((opset) => [opset.domain, Number(opset.version)])).toEqual([
      ['', 17],
      ['ai.onnx.ml', 3],
    ]);
    const metadata = Object.fromEntries(proto.metadataProps.map((prop) => [prop.key, prop.value]));
    expect(JSON.parse(metadata[METADATA_KEYS.inputSchema]!)).toEqual([
      { name: 'colour', type: 'string', role: 'feature', encoding: 'categorical', datasetType: 'VARCHAR' },
      { name: 'x', type: 'double', role: 'feature', encoding: 'numeric', datasetType: 'DOUBLE' },
    ]);
    expect(JSON.parse(metadata[METADATA_KEYS.classes]!)).toEqual(['no', 'yes']);
    expect(JSON.parse(metadata[METADATA_KEYS.threshold]!)).toBe(0.3);
    expect(metadata[METADATA_KEYS.runId]).toBe('run-42');
    expect(metadata[METADATA_KEYS.datasetVersion]).toBe('ds-7');
    expect(metadata[METADATA_KEYS.kilnVersion]).toBe('9.9.9');
    const embedded = JSON.parse(metadata[METADATA_KEYS.trainingProfile]!) as TrainingProfile;
    expect(embedded).toEqual(profile);
    const xProfile = embedded.features.find((feature) => feature.name === 'x')!;
    const colourProfile = embedded.features.find((feature) => feature.name === 'colour')!;
    // 2 of 12 numbers per colour are missing (null and ""); 2 of 7 colours are missing, and c, d and purple are not levels.
    expect(xProfile.kind === 'numeric' && xProfile.missingShare).toBeCloseTo(2 / 12, 12);
    expect(colourProfile.kind === 'categorical' && colourProfile.missingShare).toBeCloseTo(2 / 7, 12);
    expect(colourProfile.kind === 'categorical' && colourProfile.otherShare).toBeCloseTo(3 / 7, 12);
    expect((proto.graph?.input ?? []).map((input) => [input.name, input.type?.tensorType?.elemType])).toEqual([
      ['colour', 8],
      ['x', 11],
    ]);
    expect((proto.graph?.output ?? []).map((output) => output.name)).toEqual(['label', 'probabilities']);
  });

  it('refuses a model that does not fit its preprocessing, with the problem named', () => {
    const base: Record<string, unknown> = { spec, model, family: 'linear', runId: 'r', datasetVersion: 'v', inputSchema: schema };
    // The options arrive from stored JSON, so the checks are run on shapes the types would not allow.
    const attempt = (change: Record<string, unknown>) => () =>
      buildOnnxPipeline({ ...base, ...change } as unknown as Parameters<typeof buildOnnxPipeline>[0]);
    expect(attempt({ inputSchema: schema.filter((column) => column.name !== 'x') })).toThrow(
      'The dataset schema has no column "x", which the model takes.',
    );
    expect(attempt({ model: { ...model, columns: ['x', 'colour=a', 'colour=(other)'] } })).toThrow(/encoded columns do not match/);
    expect(attempt({ model: { ...model, weights: [[1], [2]] } })).toThrow(/weights should be 4 rows/);
    expect(attempt({ threshold: 1.5 })).toThrow('The threshold must be a number from 0 to 1; got 1.5.');
    expect(attempt({ family: 'tree' })).toThrow('Unknown model family "tree"');
    expect(attempt({ family: 'gbdt' })).toThrow(/stored gradient-boosted trees model is not valid: model.format/);
    expect(attempt({ model: { ...model, task: 'multiclass' } })).toThrow(/trained for multiclass/);
  });
});

function forestJson(task: PreprocessingSpec['task'], outputs: number, trees: GbdtTreeJson[]) {
  return {
    format: 'kiln-forest',
    version: 1,
    task,
    outputs,
    baseScore: Array.from({ length: outputs }, (_, k) => 0.1 * (k + 1)),
    features: [
      { name: 'x', kind: 'numeric' },
      { name: 'colour', kind: 'categorical', categoryCount: 5 },
    ],
    trees: trees.map(({ gain: _gain, cover: _cover, ...tree }) => tree),
  };
}

describe('a forest in ONNX', () => {
  const rows = gridRows();
  const base = { runId: 'run-f', datasetVersion: 'v1', inputSchema: schema, family: 'forest' as const };

  it('normalises a multiclass forest the way the app does, shares below 0 floored', async () => {
    const spec = treeSpec('multiclass', ['k0', 'k1', 'k2']);
    // Leaf values are the trees' shares of the average; some rows sum below 0 in one class, which is floored.
    const model = forestJson('multiclass', 3, threeClassTrees);
    const bytes = buildOnnxPipeline({ ...base, spec, model });
    const expected = predictReference({ family: 'forest', spec, model, raw: rowsToRawColumns(spec, rows) });
    const probabilities = expected.probabilities!;
    for (let row = 0; row < rows.length; row++) {
      const p = probabilities.subarray(row * 3, row * 3 + 3);
      expect(Math.min(...p)).toBeGreaterThanOrEqual(0);
      expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 12);
    }
    expect(probabilities.some((value) => value === 0)).toBe(true);
    const report = await checkParity({ onnxBytes: bytes, rows, expected: expected as Required<typeof expected> });
    expect(report.mismatches).toEqual([]);
    expect(report.maxAbsDiff).toBeLessThan(1e-6);
  });

  it('clips a binary forest to [0, 1] and keeps the run threshold; regression adds up the trees', async () => {
    const spec = treeSpec('binary', ['no', 'yes']);
    const trees = threeClassTrees.map((tree) => ({ ...tree, classIndex: 0 }));
    const model = forestJson('binary', 1, trees);
    const bytes = buildOnnxPipeline({ ...base, spec, model, threshold: 0.7 });
    const report = await verifyExport({ onnxBytes: bytes, family: 'forest', spec, model, rows, threshold: 0.7 });
    expect(report.mismatchCount).toBe(0);
    const expected = predictReference({ family: 'forest', spec, model, raw: rowsToRawColumns(spec, rows) });
    const positive = Array.from({ length: rows.length }, (_, row) => expected.probabilities![row * 2 + 1]!);
    expect(positive.some((p) => p === 1)).toBe(true);
    expect(positive.some((p) => p === 0)).toBe(true);

    const regressionSpec = treeSpec('regression', []);
    const regression = forestJson('regression', 1, trees);
    const regressionBytes = buildOnnxPipeline({ ...base, spec: regressionSpec, model: regression });
    const values = await verifyExport({ onnxBytes: regressionBytes, family: 'forest', spec: regressionSpec, model: regression, rows });
    expect(values.mismatchCount).toBe(0);
  });

  it('refuses a forest whose trees do not fit the preprocessing', () => {
    const spec = treeSpec('multiclass', ['k0', 'k1', 'k2']);
    expect(() => buildOnnxPipeline({ ...base, spec, model: forestJson('binary', 1, []) })).toThrow(/trained for binary/);
    expect(() => buildOnnxPipeline({ ...base, spec, model: { ...forestJson('multiclass', 3, []), version: 2 } })).toThrow(
      /stored random forest model is not valid: model.version/,
    );
  });
});
