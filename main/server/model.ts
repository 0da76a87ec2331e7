/**
 * The ONNX session and the step from a Batch to predictions. The graph's own
 * input metadata decides each tensor's element type and rank, so the server
 * follows whatever the exporter wrote ([N] or [N, 1], float or double) instead
 * of assuming one layout.
 */
import { setImmediate } from 'node:timers';
import ort from 'onnxruntime-node';
import { labelFromProbabilities } from '../../shared/serving/labels.js';
import type { ServingInput, ServingSchema } from '../../shared/serving/schema.js';
import { badRequest, messageOf } from './errors.js';
import type { Batch, Column } from './rows.js';

/** Batches up to this many rows may share a run with others; bigger ones gain nothing and would delay the small. */
const COALESCE_MAX_ROWS = 64;

const NUMERIC_TENSOR_TYPES = new Set(['float32', 'float64', 'int64', 'int32', 'bool']);

type FloatArray = Float32Array | Float64Array;

export type Scores =
  | { kind: 'value'; rowCount: number; values: FloatArray }
  | { kind: 'classes'; rowCount: number; labels: string[]; probabilities: FloatArray };

interface InputPlan {
  name: string;
  tensorType: string;
  rank: 1 | 2;
}

function describeShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((dim) => (typeof dim === 'string' ? dim || '?' : String(dim))).join(', ')}]`;
}

/** Plans one graph input: which schema column feeds it, as which element type and rank. */
function planInput(metadata: ort.InferenceSession.ValueMetadata, input: ServingInput): InputPlan {
  if (!metadata.isTensor) throw new Error(`model.onnx: input "${metadata.name}" is not a tensor`);
  const rank = metadata.shape.length === 0 ? 2 : metadata.shape.length;
  if (rank > 2) {
    throw new Error(
      `model.onnx: input "${metadata.name}" has shape ${describeShape(metadata.shape)}; the server feeds one column as [N] or [N, 1]`,
    );
  }
  if (rank === 2 && metadata.shape[1] !== 1 && typeof metadata.shape[1] === 'number') {
    throw new Error(`model.onnx: input "${metadata.name}" has shape ${describeShape(metadata.shape)}; a column input must be [N, 1]`);
  }
  if (input.type === 'string' && metadata.type !== 'string') {
    throw new Error(`model.onnx: input "${input.name}" is text in schema.json but ${metadata.type} in the graph`);
  }
  if (input.type === 'number' && !NUMERIC_TENSOR_TYPES.has(metadata.type)) {
    throw new Error(`model.onnx: input "${input.name}" is a number in schema.json but ${metadata.type} in the graph`);
  }
  return { name: input.name, tensorType: metadata.type, rank: rank === 1 ? 1 : 2 };
}

function toTensor(plan: InputPlan, values: Column, rowCount: number): ort.Tensor {
  const dims = plan.rank === 2 ? [rowCount, 1] : [rowCount];
  if (!(values instanceof Float64Array)) return new ort.Tensor('string', values, dims);
  switch (plan.tensorType) {
    case 'float64':
      return new ort.Tensor('float64', values, dims);
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(values), dims);
    case 'bool':
      return new ort.Tensor(
        'bool',
        Uint8Array.from(values, (value) => (value ? 1 : 0)),
        dims,
      );
    default: {
      // Integer inputs cannot hold NaN, so a missing cell has no honest encoding: refuse it.
      const wide = plan.tensorType === 'int64';
      const integers = wide ? new BigInt64Array(rowCount) : new Int32Array(rowCount);
      for (let row = 0; row < rowCount; row += 1) {
        const value = values[row]!;
        if (!Number.isInteger(value)) {
          const problem = Number.isNaN(value) ? 'is missing' : `is ${value}, not an integer`;
          throw badRequest(`column "${plan.name}" ${problem} in row ${row}; this model needs a whole number there`, {
            column: plan.name,
            row,
          });
        }
        if (integers instanceof BigInt64Array) integers[row] = BigInt(value);
        else integers[row] = value;
      }
      return integers instanceof BigInt64Array ? new ort.Tensor('int64', integers, dims) : new ort.Tensor('int32', integers, dims);
    }
  }
}

/** Joins batches column by column, in order. */
function concatBatches(batches: readonly Batch[]): Batch {
  const rowCount = batches.reduce((sum, batch) => sum + batch.rowCount, 0);
  const columns = new Map<string, Column>();
  for (const [name, first] of batches[0]!.columns) {
    if (first instanceof Float64Array) {
      const joined = new Float64Array(rowCount);
      let offset = 0;
      for (const batch of batches) {
        joined.set(batch.columns.get(name) as Float64Array, offset);
        offset += batch.rowCount;
      }
      columns.set(name, joined);
    } else {
      columns.set(
        name,
        batches.flatMap((batch) => batch.columns.get(name) as string[]),
      );
    }
  }
  return { rowCount, columns, warnings: [] };
}

interface Waiting {
  batch: Batch;
  resolve: (scores: Scores) => void;
  reject: (error: unknown) => void;
}

function floats(data: ort.Tensor['data'], what: string): FloatArray {
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  throw new Error(`the model's ${what} output is not a float tensor`);
}

export class Model {
  readonly classifier: boolean;
  readonly labelOutput: string | undefined;
  readonly probabilityOutput: string | undefined;
  readonly valueOutput: string | undefined;
  /** Output name → ORT element type, for the datatypes the Open Inference Protocol metadata reports. */
  readonly outputTypes: Map<string, string>;
  private readonly inputPlans: InputPlan[];
  private readonly fetches: string[];
  /** Batches waiting for the next shared run. */
  private queue: Waiting[] = [];

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly schema: ServingSchema,
  ) {
    const inputsByName = new Map(schema.inputs.map((input) => [input.name, input]));
    this.inputPlans = session.inputMetadata.map((metadata) => {
      const input = inputsByName.get(metadata.name);
      if (!input) throw new Error(`model.onnx: graph input "${metadata.name}" is not listed in schema.json inputs`);
      return planInput(metadata, input);
    });
    const outputsByRole = new Map(schema.outputs.map((output) => [output.role, output.name]));
    const outputNames = new Set(session.outputNames);
    const outputMetadata = new Map(session.outputMetadata.map((metadata) => [metadata.name, metadata]));
    const find = (role: string): string | undefined => {
      const name = outputsByRole.get(role);
      if (name === undefined) return undefined;
      if (!outputNames.has(name)) {
        throw new Error(
          `model.onnx: schema.json output "${name}" (${role}) is not a graph output; the graph has ${[...outputNames].join(', ')}`,
        );
      }
      if (!outputMetadata.get(name)?.isTensor) {
        throw new Error(`model.onnx: output "${name}" must be a tensor (a ZipMap sequence of maps cannot be read here)`);
      }
      return name;
    };
    this.classifier = schema.task !== 'regression';
    this.labelOutput = this.classifier ? find('label') : undefined;
    this.probabilityOutput = this.classifier ? find('probabilities') : undefined;
    this.valueOutput = this.classifier ? undefined : find('value');
    this.outputTypes = new Map(session.outputMetadata.map((metadata) => [metadata.name, metadata.isTensor ? metadata.type : 'unknown']));
    this.fetches = [this.labelOutput, this.probabilityOutput, this.valueOutput].filter((name): name is string => name !== undefined);
  }

  /**
   * Scores a batch. Small batches that arrive in the same turn of the event loop
   * (concurrent requests) share one session.run: a run costs about the same for 1
   * row as for 16, so under load this saves most of the per-run overhead.
   */
  score(batch: Batch): Promise<Scores> {
    if (batch.rowCount > COALESCE_MAX_ROWS) return this.run(batch);
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => void this.flushQueue());
    });
  }

  private async flushQueue(): Promise<void> {
    const queue = this.queue;
    this.queue = [];
    if (queue.length === 1) {
      const only = queue[0]!;
      this.run(only.batch).then(only.resolve, only.reject);
      return;
    }
    let scores: Scores;
    try {
      scores = await this.run(concatBatches(queue.map((entry) => entry.batch)));
    } catch {
      // One bad request (say a missing value for an integer input) must not fail its neighbours: score each alone.
      for (const entry of queue) this.run(entry.batch).then(entry.resolve, entry.reject);
      return;
    }
    let offset = 0;
    const width = this.schema.classes.length;
    for (const { batch, resolve } of queue) {
      const end = offset + batch.rowCount;
      resolve(
        scores.kind === 'value'
          ? { kind: 'value', rowCount: batch.rowCount, values: scores.values.subarray(offset, end) }
          : {
              kind: 'classes',
              rowCount: batch.rowCount,
              labels: scores.labels.slice(offset, end),
              probabilities: scores.probabilities.subarray(offset * width, end * width),
            },
      );
      offset = end;
    }
  }

  /** One session.run for one batch. */
  private async run(batch: Batch): Promise<Scores> {
    const { rowCount } = batch;
    const feeds: Record<string, ort.Tensor> = {};
    for (const plan of this.inputPlans) feeds[plan.name] = toTensor(plan, batch.columns.get(plan.name)!, rowCount);
    const results = await this.session.run(feeds, this.fetches);
    if (!this.classifier) {
      const values = floats(results[this.valueOutput!]!.data, 'value');
      if (values.length !== rowCount) throw new Error(`the model returned ${values.length} values for ${rowCount} rows`);
      return { kind: 'value', rowCount, values };
    }
    const classes = this.schema.classes;
    const probabilities = floats(results[this.probabilityOutput!]!.data, 'probabilities');
    if (probabilities.length !== rowCount * classes.length) {
      throw new Error(`the model returned ${probabilities.length} probabilities for ${rowCount} rows × ${classes.length} classes`);
    }
    return { kind: 'classes', rowCount, probabilities, labels: this.labels(results, probabilities, rowCount) };
  }

  private labels(results: ort.InferenceSession.ReturnType, probabilities: FloatArray, rowCount: number): string[] {
    const classes = this.schema.classes;
    const labels = new Array<string>(rowCount);
    if (this.labelOutput !== undefined) {
      const data = results[this.labelOutput]!.data;
      if (data.length !== rowCount) throw new Error(`the model returned ${data.length} labels for ${rowCount} rows`);
      for (let row = 0; row < rowCount; row += 1) {
        const label = data[row];
        // An integer label is an index into classes; a string label is the class itself.
        labels[row] = typeof label === 'string' ? label : (classes[Number(label)] ?? String(label));
      }
      return labels;
    }
    for (let row = 0; row < rowCount; row += 1) labels[row] = labelFromProbabilities(probabilities, row, classes, this.schema.threshold);
    return labels;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

export async function loadModel(path: string, schema: ServingSchema, options: { threads: number }): Promise<Model> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      // One thread per request: requests already run side by side, and tiny graphs lose more to thread hand-offs than they gain.
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw new Error(`cannot load ${path}: ${messageOf(error)}`, { cause: error });
  }
  return new Model(session, schema);
}
