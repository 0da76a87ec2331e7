/**
 * The stored model JSON (a run's model.json) checked against its
 * preprocessing spec before anything is exported or scored: the family's
 * shape, the task, the classes and the encoded columns must all agree, or the
 * export would compute something other than what was trained.
 */
import type { ModelFamily } from '../../../../shared/api/train.js';
import { KilnError } from '../../../../shared/errors.js';
import { denseColumnNames } from '../../train/data/preprocess.js';
import type { GbdtModelJson } from '../../train/gbdt/types.js';
import type { PreprocessingSpec } from '../../train/types.js';

export type Activation = 'relu' | 'sigmoid' | 'softmax' | 'linear';

/** `activation(x · weights + bias)`, weights inputs × outputs. */
export interface DenseLayer {
  weights: number[][];
  bias: number[];
  activation: Activation;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(message: string): never {
  throw new KilnError('bad_input', message, 'model');
}

/** Margins the model produces per row: 1 for binary and regression, one per class for multiclass. */
export function marginCount(spec: PreprocessingSpec): number {
  return spec.task === 'multiclass' ? spec.classes.length : 1;
}

export function checkSpecClasses(spec: PreprocessingSpec): void {
  if (spec.task === 'binary' && spec.classes.length !== 2) {
    fail(`A binary model needs 2 class names; the preprocessing lists ${spec.classes.length}.`);
  }
  if (spec.task === 'multiclass' && spec.classes.length < 2) {
    fail(`A multiclass model needs at least 2 class names; the preprocessing lists ${spec.classes.length}.`);
  }
  if (new Set(spec.classes).size !== spec.classes.length) fail('The class names of the preprocessing repeat a name.');
}

function numberMatrix(value: unknown, rows: number, cols: number, what: string): number[][] {
  if (!Array.isArray(value) || value.length !== rows) fail(`${what} should have ${rows} rows.`);
  return value.map((row, index) => {
    if (!Array.isArray(row) || row.length !== cols || !row.every((cell) => typeof cell === 'number' && Number.isFinite(cell))) {
      fail(`${what} row ${index} should hold ${cols} finite numbers.`);
    }
    return row as number[];
  });
}

function numberVector(value: unknown, length: number, what: string): number[] {
  if (!Array.isArray(value) || value.length !== length || !value.every((cell) => typeof cell === 'number' && Number.isFinite(cell))) {
    fail(`${what} should hold ${length} finite numbers.`);
  }
  return value as number[];
}

/** The layers of a linear or MLP model, with the last activation matching the task. */
export function denseLayers(family: 'linear' | 'mlp', model: unknown, spec: PreprocessingSpec): DenseLayer[] {
  if (!isRecord(model) || model.kind !== family) fail(`The model is not a ${family} model (its JSON has no kind "${family}").`);
  if (model.task !== spec.task) fail(`The model was trained for ${String(model.task)}, but the preprocessing is for ${spec.task}.`);
  const columns = denseColumnNames(spec);
  const modelColumns = model.columns;
  if (
    !Array.isArray(modelColumns) ||
    modelColumns.length !== columns.length ||
    modelColumns.some((name, index) => name !== columns[index])
  ) {
    fail(
      `The model's encoded columns do not match the preprocessing (expected ${columns.length} columns: ${columns.slice(0, 5).join(', ')}…).`,
    );
  }
  const expectedLast: Activation = spec.task === 'binary' ? 'sigmoid' : spec.task === 'multiclass' ? 'softmax' : 'linear';
  let layers: { weights: unknown; bias: unknown; activation: unknown }[];
  if (family === 'linear') {
    layers = [{ weights: model.weights, bias: model.bias, activation: model.link }];
  } else {
    if (!Array.isArray(model.layers) || model.layers.length === 0) fail('The MLP model has no layers.');
    layers = model.layers.map(
      (layer: unknown) => (isRecord(layer) ? layer : {}) as { weights: unknown; bias: unknown; activation: unknown },
    );
  }
  let width = columns.length;
  return layers.map((layer, index) => {
    const last = index + 1 === layers.length;
    const outputs = Array.isArray(layer.bias) ? layer.bias.length : 0;
    const weights = numberMatrix(layer.weights, width, outputs, `Layer ${index + 1}'s weights`);
    const bias = numberVector(layer.bias, outputs, `Layer ${index + 1}'s bias`);
    const activation = layer.activation;
    if (last ? activation !== expectedLast : activation !== 'relu') {
      fail(`Layer ${index + 1} has activation ${String(activation)}; expected ${last ? expectedLast : 'relu'}.`);
    }
    if (last && outputs !== marginCount(spec))
      fail(`The model has ${outputs} outputs; a ${spec.task} model with these classes needs ${marginCount(spec)}.`);
    width = outputs;
    return { weights, bias, activation: activation as Activation };
  });
}

/** A GBDT model whose features are the spec's, in the spec's order (numbers first, then categories with their "other" code). */
export function gbdtModel(model: unknown, spec: PreprocessingSpec): GbdtModelJson {
  if (!isRecord(model) || model.format !== 'kiln-gbdt' || model.version !== 1) {
    fail('The model is not a Kiln gradient-boosted trees model (format kiln-gbdt, version 1).');
  }
  const json = model as unknown as GbdtModelJson;
  if (json.objective !== spec.task) fail(`The trees were trained for ${json.objective}, but the preprocessing is for ${spec.task}.`);
  if (json.outputs !== marginCount(spec))
    fail(`The trees have ${json.outputs} outputs; this ${spec.task} model needs ${marginCount(spec)}.`);
  numberVector(json.baseScore, json.outputs, 'The base score');
  const expected = [
    ...spec.numeric.map((numeric) => ({ name: numeric.name, kind: 'numeric', categoryCount: undefined as number | undefined })),
    ...spec.categorical.map((categorical) => ({
      name: categorical.name,
      kind: 'categorical',
      categoryCount: categorical.levels.length + 1,
    })),
  ];
  if (!Array.isArray(json.features) || json.features.length !== expected.length) {
    fail(`The trees use ${Array.isArray(json.features) ? json.features.length : 0} features; the preprocessing has ${expected.length}.`);
  }
  json.features.forEach((feature, index) => {
    const want = expected[index]!;
    if (feature.name !== want.name || feature.kind !== want.kind) {
      fail(`Tree feature ${index} is ${feature.name} (${feature.kind}); the preprocessing has ${want.name} (${want.kind}) there.`);
    }
    if (want.categoryCount !== undefined && feature.categoryCount !== want.categoryCount) {
      fail(
        `The trees know ${String(feature.categoryCount)} codes for ${feature.name}; its ${want.categoryCount - 1} levels and "other" make ${want.categoryCount}.`,
      );
    }
  });
  if (!Array.isArray(json.trees)) fail('The trees model has no trees array.');
  return json;
}

export function checkFamily(family: string): asserts family is ModelFamily {
  if (family !== 'linear' && family !== 'mlp' && family !== 'gbdt') {
    throw new KilnError('bad_input', `Unknown model family ${JSON.stringify(family)}: expected linear, mlp or gbdt.`, 'family');
  }
}
