/**
 * A small real ONNX model and bundle for the model server's tests and its
 * benchmark, built here so the server can be tested without the exporter.
 *
 * Classifier: p(>50K) = sigmoid(0.05 · (age − 40) + weight[workclass]), with
 * missing ages imputed to 40 and unknown or missing workclasses weighted
 * −0.5; `probabilities` is [1 − p, p] and `label` the ArgMax mapped to the class
 * name. Regressor: the same linear score as one value.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
const Attribute = onnx.AttributeProto.AttributeType;

export const CLASSES = ['<=50K', '>50K'];
export const WORKCLASS_WEIGHTS: Record<string, number> = {
  Private: 0,
  'Self-emp-not-inc': 0.3,
  'Self-emp-inc': 0.8,
  'Federal-gov': 0.5,
  'Local-gov': 0.2,
  'State-gov': 0.1,
  'Without-pay': -1,
};
export const UNKNOWN_WORKCLASS_WEIGHT = -0.5;
export const AGE_IMPUTED = 40;

export interface FixtureOptions {
  task?: 'binary' | 'regression';
  /** The element type of the age input: the server must follow the graph's metadata either way. */
  ageType?: 'double' | 'float';
  /** Leave out the label output, so the server derives labels from probabilities and the threshold. */
  withLabel?: boolean;
  threshold?: number;
}

const encoder = new TextEncoder();

type AttributeValue = number | string | number[] | string[];

function attribute(
  name: string,
  value: AttributeValue,
  kind: 'float' | 'int' | 'floats' | 'ints' | 'string' | 'strings',
): onnxProto.onnx.IAttributeProto {
  switch (kind) {
    case 'float':
      return { name, type: Attribute.FLOAT, f: value as number };
    case 'int':
      return { name, type: Attribute.INT, i: value as number };
    case 'floats':
      return { name, type: Attribute.FLOATS, floats: value as number[] };
    case 'ints':
      return { name, type: Attribute.INTS, ints: value as number[] };
    case 'string':
      return { name, type: Attribute.STRING, s: encoder.encode(value as string) };
    case 'strings':
      return { name, type: Attribute.STRINGS, strings: (value as string[]).map((text) => encoder.encode(text)) };
  }
}

function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: onnxProto.onnx.IAttributeProto[] = [],
  domain = '',
): onnxProto.onnx.INodeProto {
  return { opType, input: inputs, output: outputs, attribute: attributes, domain, name: outputs[0] ?? opType };
}

function valueInfo(name: string, elemType: number, dims: Array<number | string>): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

function floatConstant(name: string, value: number): onnxProto.onnx.ITensorProto {
  return { name, dataType: DataType.FLOAT, dims: [], floatData: [value] };
}

export function buildModel(options: FixtureOptions = {}): Uint8Array {
  const task = options.task ?? 'binary';
  const ageType = options.ageType ?? 'double';
  const withLabel = options.withLabel ?? true;
  const levels = Object.keys(WORKCLASS_WEIGHTS);
  const nodes: onnxProto.onnx.INodeProto[] = [
    node('Cast', ['age'], ['age_float'], [attribute('to', DataType.FLOAT, 'int')]),
    node(
      'Imputer',
      ['age_float'],
      ['age_imputed'],
      [attribute('imputed_value_floats', [AGE_IMPUTED], 'floats'), attribute('replaced_value_float', Number.NaN, 'float')],
      'ai.onnx.ml',
    ),
    node('Sub', ['age_imputed', 'forty'], ['age_centred']),
    node('Mul', ['age_centred', 'slope'], ['age_term']),
    node(
      'LabelEncoder',
      ['workclass'],
      ['workclass_term'],
      [
        attribute('keys_strings', levels, 'strings'),
        attribute(
          'values_floats',
          levels.map((level) => WORKCLASS_WEIGHTS[level] ?? 0),
          'floats',
        ),
        attribute('default_float', UNKNOWN_WORKCLASS_WEIGHT, 'float'),
      ],
      'ai.onnx.ml',
    ),
    node('Add', ['age_term', 'workclass_term'], [task === 'regression' ? 'prediction' : 'score']),
  ];
  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  if (task === 'regression') {
    outputs.push(valueInfo('prediction', DataType.FLOAT, ['N', 1]));
  } else {
    nodes.push(
      node('Sigmoid', ['score'], ['positive']),
      node('Sub', ['one', 'positive'], ['negative']),
      node('Concat', ['negative', 'positive'], ['probabilities'], [attribute('axis', 1, 'int')]),
    );
    if (withLabel) {
      nodes.push(
        node('ArgMax', ['probabilities'], ['label_index'], [attribute('axis', 1, 'int'), attribute('keepdims', 0, 'int')]),
        node(
          'LabelEncoder',
          ['label_index'],
          ['label'],
          [
            attribute('keys_int64s', [0, 1], 'ints'),
            attribute('values_strings', CLASSES, 'strings'),
            attribute('default_string', '', 'string'),
          ],
          'ai.onnx.ml',
        ),
      );
      outputs.push(valueInfo('label', DataType.STRING, ['N']));
    }
    outputs.push(valueInfo('probabilities', DataType.FLOAT, ['N', 2]));
  }
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: 'kiln-server-test',
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    graph: {
      name: 'fixture',
      node: nodes,
      initializer: [floatConstant('forty', AGE_IMPUTED), floatConstant('slope', 0.05), floatConstant('one', 1)],
      input: [
        valueInfo('age', ageType === 'double' ? DataType.DOUBLE : DataType.FLOAT, ['N', 1]),
        valueInfo('workclass', DataType.STRING, ['N', 1]),
      ],
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Age bins cut at adult's quintiles (inner cut points: 5 bins), and workclass shares close to adult's. */
export const TRAINING_PROFILE = {
  rows: 32561,
  numeric: {
    age: { edges: [26, 33, 41, 50], shares: [0.2, 0.2, 0.2, 0.2, 0.2], missingShare: 0 },
  },
  categorical: {
    workclass: {
      levels: { Private: 0.7, 'Self-emp-not-inc': 0.08, 'Local-gov': 0.06, 'State-gov': 0.04, 'Self-emp-inc': 0.035, 'Federal-gov': 0.03 },
      otherShare: 0.001,
      missingShare: 0.054,
    },
  },
};

export function buildSchema(options: FixtureOptions = {}): Record<string, unknown> {
  const task = options.task ?? 'binary';
  const withLabel = options.withLabel ?? true;
  return {
    formatVersion: 1,
    name: task === 'regression' ? 'adult-score' : 'adult-income',
    runId: 'run-fixture-1',
    datasetVersion: 'sha256:fixture',
    target: 'income',
    task,
    classes: task === 'regression' ? [] : CLASSES,
    threshold: options.threshold ?? 0.5,
    inputs: [
      { name: 'age', type: 'number', role: 'numeric' },
      { name: 'workclass', type: 'string', role: 'categorical' },
    ],
    outputs:
      task === 'regression'
        ? [{ name: 'prediction', role: 'value' }]
        : [...(withLabel ? [{ name: 'label', role: 'label' }] : []), { name: 'probabilities', role: 'probabilities' }],
    missingMarkers: ['', '?', 'NA', 'N/A', 'null', 'NULL'],
    trainingProfile: TRAINING_PROFILE,
  };
}

export function writeBundle(dir: string, options: FixtureOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), buildModel(options));
  writeFileSync(join(dir, 'schema.json'), `${JSON.stringify(buildSchema(options), null, 2)}\n`);
  return dir;
}

/** The score the graph computes, in float32 steps as onnxruntime does. */
export function expectedScore(age: number | null, workclass: string | null): number {
  const f = Math.fround;
  const imputed = age === null || Number.isNaN(age) ? AGE_IMPUTED : f(age);
  const term = f(f(imputed - AGE_IMPUTED) * f(0.05));
  const weight = workclass !== null && workclass in WORKCLASS_WEIGHTS ? (WORKCLASS_WEIGHTS[workclass] ?? 0) : UNKNOWN_WORKCLASS_WEIGHT;
  return f(term + f(weight));
}

export function expectedPositive(age: number | null, workclass: string | null): number {
  return 1 / (1 + Math.exp(-expectedScore(age, workclass)));
}

export interface RunningServer {
  child: ChildProcess;
  url: string;
  /** Milliseconds from spawn to the "listening" line. */
  startMs: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The model server as `npm run build` (build:server) bundles it from main/server. */
export const SERVER_ENTRY = join(process.cwd(), 'dist', 'server', 'server.mjs');

/** Spawns `node dist/server/server.mjs <bundle>` on a random port and waits for it to listen. */
export function spawnServer(bundle: string, env: Record<string, string> = {}): Promise<RunningServer> {
  if (!existsSync(SERVER_ENTRY)) {
    return Promise.reject(new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` (build:server) before the server tests.`));
  }
  const started = performance.now();
  const child = spawn(process.execPath, [SERVER_ENTRY, bundle], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match?.[1]) {
        resolve({ child, url: match[1], startMs: performance.now() - started, output: () => text, exited });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    void exited.then(({ code }) => reject(new Error(`the server exited (${code}) before listening:\n${text}`)));
    setTimeout(() => reject(new Error(`the server did not listen within 15 s:\n${text}`)), 15_000).unref();
  });
}
