/**
 * One ONNX graph for a whole run: the raw columns in, as the dataset names
 * them, then imputation, scaling and category encoding, then the model, then
 * probabilities and labels.
 *
 * Inputs: one per feature column, shape [N, 1]. Numeric columns are
 * tensor(double), so values (and the trees' thresholds) are compared exactly
 * as the app compares them, with NaN for a missing value; categorical columns
 * are tensor(string), with "" for a missing value. Everything after the
 * inputs runs in double, and the outputs are double too: a probability then
 * matches the app's to about 1e-12 rather than float32's 1e-7.
 *
 * Outputs: classifiers give `label` (tensor(string) [N]) and `probabilities`
 * (tensor(double) [N, classes], in the order of `kiln.classes`); regression
 * gives `prediction` (tensor(double) [N]).
 *
 * The model itself is its family's part (models/<family>/), which returns
 * margins (through sigmoid or softmax here) or final probabilities. Each
 * family reads one of two encodings (the same rules as the app's
 * `encodeDense` and `encodeTrees`):
 * - dense: a missing number becomes the training fill
 *   (IsNaN + Where, since the ml Imputer keeps only float32 fill values), then
 *   (x − mean) · (1 / std) where the recipe standardises; a category goes
 *   through a LabelEncoder to its level's code, with unseen values on the
 *   "(other)" code and "" on the fill value's code, then one-hot by Equal
 *   against 0..levels (OneHotEncoder would do the same but returns a
 *   [N, 1, C] tensor and rejects unseen codes unless zeros=1).
 * - trees: numbers go in raw (NaN is routed by each split's learnt missing
 *   direction); a category becomes its code as a double through a
 *   LabelEncoder, unseen values the "(other)" code, "" NaN (missing).
 */
import type { ModelFamily } from '../../../../shared/api/train.js';
import { KilnError } from '../../../../shared/errors.js';
import type { PreprocessingSpec } from '../../train/types.js';
import {
  doubleTensor,
  encodeModel,
  GraphBuilder,
  int64Tensor,
  ML_DOMAIN,
  OPSET_ML,
  OPSET_ONNX,
  stringTensor,
  TensorType,
} from './graph.js';
import type { OnnxPart } from '../../models/flavor.js';
import { checkSpecClasses } from '../../models/outputs.js';
import { flavorOf } from '../../models/registry.js';
import type { TrainingProfile } from './profile.js';
import { DEFAULT_THRESHOLD } from './reference.js';
import { MISSING_CATEGORY } from './rows.js';

/** A dataset column as the dataset describes it. */
export interface DatasetColumn {
  name: string;
  /** The dataset's type, e.g. DOUBLE, BIGINT, VARCHAR, DATE. */
  type: string;
  role?: string;
}

/** One graph input as recorded in `kiln.input_schema`. */
export interface OnnxInputField {
  name: string;
  /** The tensor's element type. */
  type: 'double' | 'string';
  role: 'feature';
  encoding: 'numeric' | 'categorical';
  /** The dataset's own type, so a server can convert dates or numbers sent as text. */
  datasetType: string;
}

export interface OnnxPipelineOptions {
  spec: PreprocessingSpec;
  /** The run's model.json. */
  model: unknown;
  family: ModelFamily;
  runId: string;
  datasetVersion: string;
  /** The dataset's columns; every feature of the spec must be among them. */
  inputSchema: DatasetColumn[];
  /** Binary only: P(second class) at or above this gives the second class. */
  threshold?: number;
  trainingProfile?: TrainingProfile;
  kilnVersion?: string;
}

export const OUTPUT_LABEL = 'label';
export const OUTPUT_PROBABILITIES = 'probabilities';
export const OUTPUT_PREDICTION = 'prediction';

/** The metadata keys a server reads. */
export const METADATA_KEYS = {
  inputSchema: 'kiln.input_schema',
  classes: 'kiln.classes',
  threshold: 'kiln.threshold',
  task: 'kiln.task',
  target: 'kiln.target',
  family: 'kiln.family',
  runId: 'kiln.run_id',
  datasetVersion: 'kiln.dataset_version',
  kilnVersion: 'kiln.version',
  outputs: 'kiln.outputs',
  trainingProfile: 'kiln.training_profile',
} as const;

function badInput(message: string, field: string): KilnError {
  return new KilnError('bad_input', message, field);
}

export function inputFields(spec: PreprocessingSpec, schema: DatasetColumn[]): OnnxInputField[] {
  const byName = new Map(schema.map((column) => [column.name, column]));
  const features = [
    ...spec.numeric.map((numeric) => ({ name: numeric.name, encoding: 'numeric' as const })),
    ...spec.categorical.map((categorical) => ({ name: categorical.name, encoding: 'categorical' as const })),
  ];
  const fields: OnnxInputField[] = features.map(({ name, encoding }) => {
    const column = byName.get(name);
    if (!column) throw badInput(`The dataset schema has no column ${JSON.stringify(name)}, which the model takes.`, 'inputSchema');
    return { name, type: encoding === 'numeric' ? 'double' : 'string', role: 'feature', encoding, datasetType: column.type };
  });
  // The graph's inputs follow the dataset's column order, which is how people and CSV files list them.
  const order = new Map(schema.map((column, index) => [column.name, index]));
  return fields.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
}

function checkOptions(options: OnnxPipelineOptions): number {
  const { spec } = options;
  checkSpecClasses(spec);
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw badInput(`The threshold must be a number from 0 to 1; got ${threshold}.`, 'threshold');
  }
  const names = [...spec.numeric.map((numeric) => numeric.name), ...spec.categorical.map((categorical) => categorical.name)];
  if (new Set(names).size !== names.length) throw badInput('The preprocessing lists a feature twice.', 'spec');
  const outputs = spec.task === 'regression' ? [OUTPUT_PREDICTION] : [OUTPUT_LABEL, OUTPUT_PROBABILITIES];
  for (const name of names) {
    if (outputs.includes(name)) {
      throw badInput(`The feature ${JSON.stringify(name)} has the name of a model output; rename the column to export.`, 'spec');
    }
  }
  for (const categorical of spec.categorical) {
    if (categorical.levels.includes(MISSING_CATEGORY)) {
      throw badInput(`${categorical.name} has the empty text as a level, which the ONNX graph reads as missing.`, 'spec');
    }
    if (new Set(categorical.levels).size !== categorical.levels.length) throw badInput(`${categorical.name} lists a level twice.`, 'spec');
  }
  return threshold;
}

/** Columns [N, 1] of one kind joined into [N, k]; Concat of a single input is a copy, which keeps the code uniform. */
function concatColumns(graph: GraphBuilder, columns: string[]): string {
  return graph.node('Concat', columns, { axis: { int: 1 } });
}

function denseFeatures(graph: GraphBuilder, spec: PreprocessingSpec): string {
  const blocks: string[] = [];
  if (spec.numeric.length > 0) {
    const raw = concatColumns(
      graph,
      spec.numeric.map((numeric) => numeric.name),
    );
    const width = spec.numeric.length;
    const fills = graph.constant(
      'numeric_fill',
      doubleTensor(
        spec.numeric.map((numeric) => numeric.fill),
        [1, width],
      ),
    );
    const filled = graph.node('Where', [graph.node('IsNaN', [raw]), fills, raw]);
    const means = graph.constant(
      'numeric_mean',
      doubleTensor(
        spec.numeric.map((numeric) => (numeric.standardize ? numeric.mean : 0)),
        [1, width],
      ),
    );
    // The app multiplies by 1/std (not divides by std); the same operation keeps the last bit the same.
    const scales = graph.constant(
      'numeric_scale',
      doubleTensor(
        spec.numeric.map((numeric) => (numeric.standardize ? 1 / numeric.std : 1)),
        [1, width],
      ),
    );
    blocks.push(graph.node('Mul', [graph.node('Sub', [filled, means]), scales]));
  }
  for (const categorical of spec.categorical) {
    const other = categorical.levels.length;
    const fillCode = categorical.levels.indexOf(categorical.fill);
    const codes = graph.node(
      'LabelEncoder',
      [categorical.name],
      {
        keys_strings: { strings: [...categorical.levels, MISSING_CATEGORY] },
        values_int64s: { ints: [...categorical.levels.map((_, code) => code), fillCode >= 0 ? fillCode : other] },
        default_int64: { int: other },
      },
      { domain: ML_DOMAIN },
    );
    const allCodes = graph.constant(
      `${categorical.name}_codes`,
      int64Tensor(
        Array.from({ length: other + 1 }, (_, code) => code),
        [1, other + 1],
      ),
    );
    blocks.push(graph.node('Cast', [graph.node('Equal', [codes, allCodes])], { to: { int: TensorType.DOUBLE } }));
  }
  return blocks.length === 1 ? blocks[0]! : concatColumns(graph, blocks);
}

function treeFeatures(graph: GraphBuilder, spec: PreprocessingSpec): string {
  const columns: string[] = spec.numeric.map((numeric) => numeric.name);
  for (const categorical of spec.categorical) {
    const codes = graph.node(
      'LabelEncoder',
      [categorical.name],
      {
        keys_strings: { strings: [...categorical.levels, MISSING_CATEGORY] },
        values_floats: { floats: [...categorical.levels.map((_, code) => code), Number.NaN] },
        default_float: { float: categorical.levels.length },
      },
      { domain: ML_DOMAIN },
    );
    columns.push(graph.node('Cast', [codes], { to: { int: TensorType.DOUBLE } }));
  }
  return concatColumns(graph, columns);
}

/** The family's margins or probabilities [N, outputs] → the named outputs. */
function addOutputs(graph: GraphBuilder, spec: PreprocessingSpec, part: OnnxPart, threshold: number): void {
  const flatShape = () => graph.constant('flat_shape', int64Tensor([-1]));
  const margins = part.output;
  if (spec.task === 'regression') {
    graph.node('Reshape', [margins, flatShape()], {}, { outputName: OUTPUT_PREDICTION });
    graph.output(OUTPUT_PREDICTION, TensorType.DOUBLE, ['N']);
    return;
  }
  const classNames = graph.constant('class_names', stringTensor(spec.classes));
  let classIndex: string;
  if (spec.task === 'binary') {
    const positive = part.kind === 'margins' ? graph.node('Sigmoid', [margins]) : margins;
    const negative = graph.node('Sub', [graph.constant('one', doubleTensor([1], [])), positive]);
    graph.node('Concat', [negative, positive], { axis: { int: 1 } }, { outputName: OUTPUT_PROBABILITIES });
    const chosen = graph.node('GreaterOrEqual', [positive, graph.constant('threshold', doubleTensor([threshold], []))]);
    classIndex = graph.node('Reshape', [graph.node('Cast', [chosen], { to: { int: TensorType.INT64 } }), flatShape()]);
  } else {
    if (part.kind === 'margins') graph.node('Softmax', [margins], { axis: { int: 1 } }, { outputName: OUTPUT_PROBABILITIES });
    else graph.node('Identity', [margins], {}, { outputName: OUTPUT_PROBABILITIES });
    // Ties resolve to the first class, as the app's do.
    classIndex = graph.node('ArgMax', [OUTPUT_PROBABILITIES], { axis: { int: 1 }, keepdims: { int: 0 } });
  }
  graph.node('Gather', [classNames, classIndex], { axis: { int: 0 } }, { outputName: OUTPUT_LABEL });
  graph.output(OUTPUT_LABEL, TensorType.STRING, ['N']);
  graph.output(OUTPUT_PROBABILITIES, TensorType.DOUBLE, ['N', spec.classes.length]);
}

/** Builds the run's ONNX model (opset 17, ai.onnx.ml 3) as protobuf bytes. */
export function buildOnnxPipeline(options: OnnxPipelineOptions): Uint8Array {
  const threshold = checkOptions(options);
  const { spec, family } = options;
  const flavor = flavorOf(family);
  const model = flavor.load(options.model, spec);
  const fields = inputFields(spec, options.inputSchema);
  const graph = new GraphBuilder();
  for (const field of fields) graph.input(field.name, field.type === 'double' ? TensorType.DOUBLE : TensorType.STRING, ['N', 1]);
  const features = flavor.input === 'trees' ? treeFeatures(graph, spec) : denseFeatures(graph, spec);
  addOutputs(graph, spec, model.onnx(graph, features), threshold);
  const kilnVersion = options.kilnVersion ?? 'unknown';
  const outputs =
    spec.task === 'regression'
      ? [{ name: OUTPUT_PREDICTION, type: 'double', shape: ['N'] }]
      : [
          { name: OUTPUT_LABEL, type: 'string', shape: ['N'] },
          { name: OUTPUT_PROBABILITIES, type: 'double', shape: ['N', spec.classes.length] },
        ];
  const metadata: Record<string, string> = {
    [METADATA_KEYS.inputSchema]: JSON.stringify(fields),
    [METADATA_KEYS.classes]: JSON.stringify(spec.classes),
    [METADATA_KEYS.threshold]: JSON.stringify(spec.task === 'binary' ? threshold : null),
    [METADATA_KEYS.task]: spec.task,
    [METADATA_KEYS.target]: spec.target,
    [METADATA_KEYS.family]: family,
    [METADATA_KEYS.runId]: options.runId,
    [METADATA_KEYS.datasetVersion]: options.datasetVersion,
    [METADATA_KEYS.kilnVersion]: kilnVersion,
    [METADATA_KEYS.outputs]: JSON.stringify(outputs),
  };
  if (options.trainingProfile) metadata[METADATA_KEYS.trainingProfile] = JSON.stringify(options.trainingProfile);
  const proto = graph.model({
    producerVersion: kilnVersion,
    docString: `Kiln run ${options.runId}: ${family} ${spec.task} model predicting ${spec.target}, preprocessing included (opset ${OPSET_ONNX}, ${ML_DOMAIN} ${OPSET_ML}).`,
    metadata,
  });
  return encodeModel(proto);
}
