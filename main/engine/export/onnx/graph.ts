/**
 * A thin layer over onnx-proto's generated classes: a graph under
 * construction that hands out unique value names and keeps its nodes,
 * initializers, inputs and outputs in the order they were added, so the
 * pipeline builder reads as the computation it describes.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type OnnxModelProto = onnxProto.onnx.ModelProto;
export const TensorType = onnx.TensorProto.DataType;
const AttributeType = onnx.AttributeProto.AttributeType;

/** Opset 17 is what ONNX 1.12+ runtimes all load; ai.onnx.ml 3 is its partner (TreeEnsemble `*_as_tensor` attributes for doubles). */
export const OPSET_ONNX = 17;
export const OPSET_ML = 3;
/** IR 8 goes with opset 17. */
export const IR_VERSION = 8;
export const ML_DOMAIN = 'ai.onnx.ml';

export type AttributeValue =
  | { int: number }
  | { ints: number[] }
  | { float: number }
  | { floats: number[] }
  | { string: string }
  | { strings: string[] }
  | { tensor: onnxProto.onnx.ITensorProto };

const encoder = new TextEncoder();

function attribute(name: string, value: AttributeValue): onnxProto.onnx.AttributeProto {
  if ('int' in value) return onnx.AttributeProto.create({ name, type: AttributeType.INT, i: value.int });
  if ('ints' in value) return onnx.AttributeProto.create({ name, type: AttributeType.INTS, ints: value.ints });
  if ('float' in value) return onnx.AttributeProto.create({ name, type: AttributeType.FLOAT, f: value.float });
  if ('floats' in value) return onnx.AttributeProto.create({ name, type: AttributeType.FLOATS, floats: value.floats });
  if ('string' in value) return onnx.AttributeProto.create({ name, type: AttributeType.STRING, s: encoder.encode(value.string) });
  if ('strings' in value) {
    return onnx.AttributeProto.create({ name, type: AttributeType.STRINGS, strings: value.strings.map((text) => encoder.encode(text)) });
  }
  return onnx.AttributeProto.create({ name, type: AttributeType.TENSOR, t: value.tensor });
}

export function doubleTensor(values: ArrayLike<number>, dims: number[] = [values.length], name?: string): onnxProto.onnx.TensorProto {
  return onnx.TensorProto.create({ name, dataType: TensorType.DOUBLE, dims, doubleData: Array.from(values) });
}

export function int64Tensor(values: ArrayLike<number>, dims: number[] = [values.length], name?: string): onnxProto.onnx.TensorProto {
  return onnx.TensorProto.create({ name, dataType: TensorType.INT64, dims, int64Data: Array.from(values) });
}

export function stringTensor(values: string[], dims: number[] = [values.length], name?: string): onnxProto.onnx.TensorProto {
  return onnx.TensorProto.create({ name, dataType: TensorType.STRING, dims, stringData: values.map((text) => encoder.encode(text)) });
}

/** A dimension is a fixed size or a symbolic name (the batch `N`). */
export type Dimension = number | string;

function valueInfo(name: string, elemType: number, dims: Dimension[]): onnxProto.onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  });
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.NodeProto[] = [];
  private readonly initializers: onnxProto.onnx.TensorProto[] = [];
  private readonly inputs: onnxProto.onnx.ValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.ValueInfoProto[] = [];
  private readonly used = new Set<string>();

  /** A fresh value name; graph inputs keep the dataset's column names, so internal names carry a prefix no column is likely to have. */
  name(hint: string): string {
    const base = `kiln/${hint}`;
    let candidate = base;
    for (let suffix = 1; this.used.has(candidate); suffix++) candidate = `${base}_${suffix}`;
    this.used.add(candidate);
    return candidate;
  }

  private claim(name: string): void {
    if (this.used.has(name)) throw new Error(`The ONNX value name ${JSON.stringify(name)} is used twice.`);
    this.used.add(name);
  }

  input(name: string, elemType: number, dims: Dimension[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares an existing value as a graph output under its own name. */
  output(name: string, elemType: number, dims: Dimension[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  constant(hint: string, tensor: onnxProto.onnx.ITensorProto): string {
    const name = this.name(hint);
    this.initializers.push(onnx.TensorProto.create({ ...tensor, name }));
    return name;
  }

  /** Adds a node with one output and returns that output's name (or `outputName` when the output is a graph output). */
  node(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    options: { domain?: string; outputName?: string } = {},
  ): string {
    let output: string;
    if (options.outputName !== undefined) {
      this.claim(options.outputName);
      output = options.outputName;
    } else {
      output = this.name(opType.toLowerCase());
    }
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        domain: options.domain ?? '',
        name: output,
        input: inputs,
        output: [output],
        attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
      }),
    );
    return output;
  }

  model(options: { docString: string; producerVersion: string; metadata: Record<string, string> }): OnnxModelProto {
    const graph = onnx.GraphProto.create({
      name: 'kiln_pipeline',
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
    });
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'Kiln',
      producerVersion: options.producerVersion,
      docString: options.docString,
      graph,
      opsetImport: [
        { domain: '', version: OPSET_ONNX },
        { domain: ML_DOMAIN, version: OPSET_ML },
      ],
      metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
    });
  }
}

export function encodeModel(model: OnnxModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function decodeModel(bytes: Uint8Array): OnnxModelProto {
  return onnx.ModelProto.decode(bytes);
}
