/**
 * Every request format becomes one Batch: the schema's columns, each as one
 * array in schema order (Float64Array for numbers with NaN for missing, string[]
 * for text with '' for missing), checked on the way in. Errors name the column,
 * the row and what was wrong, because a 400 a client cannot act on is no better
 * than a 500.
 *
 * Each cell is read by the serving rules (shared/serving/cells.ts): text is
 * trimmed and the schema's missing markers become missing, as Kiln's import did
 * to the training data, so a value means the same here as when the model was fitted.
 */
import Papa from 'papaparse';
import { cellColumn, describeCell, expectedCell } from '../../shared/serving/cells.js';
import type { ServingInput, ServingSchema } from '../../shared/serving/schema.js';
import { badRequest } from './errors.js';

export type Column = Float64Array | string[];

export interface Batch {
  rowCount: number;
  columns: Map<string, Column>;
  warnings: string[];
}

export const V2_NUMERIC_TYPES = ['FP64', 'FP32', 'FP16', 'INT64', 'INT32', 'INT16', 'INT8', 'UINT64', 'UINT32', 'UINT16', 'UINT8'];

const MAX_NAMED_EXTRAS = 10;

type Setter = (row: number, value: unknown) => void;

/** How deep a v2 tensor's `data` may nest: a [N, 1] tensor needs two levels, and a few more cost nothing. */
export const MAX_TENSOR_DEPTH = 8;

/**
 * A v2 tensor's data in row-major order, flat or nested as its shape. Walked with an explicit stack:
 * `flat(Infinity)` recurses, and JSON nested ten thousand deep would overflow the call stack.
 */
function flattenTensorData(data: readonly unknown[], name: string): unknown[] {
  const flat: unknown[] = [];
  const stack: { items: readonly unknown[]; next: number }[] = [{ items: data, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next >= top.items.length) {
      stack.pop();
      continue;
    }
    const item: unknown = top.items[top.next];
    top.next += 1;
    if (!Array.isArray(item)) {
      flat.push(item);
      continue;
    }
    if (stack.length >= MAX_TENSOR_DEPTH) {
      throw badRequest(
        `input tensor "${name}" has data nested more than ${MAX_TENSOR_DEPTH} levels deep; send it flat, in row-major order`,
        { column: name },
      );
    }
    stack.push({ items: item, next: 0 });
  }
  return flat;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class BatchBuilder {
  private readonly inputs: readonly ServingInput[];
  private readonly inputNames: Set<string>;
  private readonly markers: ReadonlySet<string>;

  constructor(schema: ServingSchema) {
    this.inputs = schema.inputs;
    this.inputNames = new Set(schema.inputs.map((input) => input.name));
    this.markers = new Set(schema.missingMarkers);
  }

  /** A typed column to fill, plus the function that checks and stores one cell into it. */
  private column(input: ServingInput, rowCount: number): { values: Column; set: Setter } {
    const column = cellColumn(input.type, rowCount, this.markers);
    const set: Setter = (row, value) => {
      if (!column.read(row, value)) {
        throw badRequest(`column "${input.name}" expects ${expectedCell(input.type)}, but row ${row} has ${describeCell(value)}`, {
          column: input.name,
          row,
        });
      }
    };
    return { values: column.values, set };
  }

  private warnExtras(extras: readonly string[], warnings: string[]): void {
    if (extras.length === 0) return;
    const named = extras
      .slice(0, MAX_NAMED_EXTRAS)
      .map((name) => `"${name}"`)
      .join(', ');
    const more = extras.length > MAX_NAMED_EXTRAS ? ` and ${extras.length - MAX_NAMED_EXTRAS} more` : '';
    warnings.push(`ignored unknown columns: ${named}${more}`);
  }

  private checkRowCount(rowCount: number): void {
    if (rowCount === 0) throw badRequest('the request has no rows to score');
  }

  /** `[{col: value, ...}, ...]`: dataframe_records, instances, /predict JSON. */
  fromRecords(records: unknown, what = 'record'): Batch {
    if (!Array.isArray(records)) throw badRequest(`expected an array of ${what}s`);
    const rowCount = records.length;
    this.checkRowCount(rowCount);
    const columns = new Map<string, Column>();
    const setters: { name: string; set: Setter }[] = [];
    for (const input of this.inputs) {
      const { values, set } = this.column(input, rowCount);
      columns.set(input.name, values);
      setters.push({ name: input.name, set });
    }
    const extras = new Set<string>();
    for (let row = 0; row < rowCount; row += 1) {
      const record: unknown = records[row];
      if (!isObject(record)) {
        throw badRequest(`${what} ${row} is ${describeCell(record)}, expected an object of column values`, { row });
      }
      for (const { name, set } of setters) {
        const value = record[name];
        if (value === undefined && !Object.hasOwn(record, name)) {
          throw badRequest(`missing column "${name}" in ${what} ${row} (send null for a missing value)`, { column: name, row });
        }
        set(row, value);
      }
      // Only the first rows are searched for extras: a column set is nearly always the same in every record.
      if (row < 16) {
        for (const key of Object.keys(record)) if (!this.inputNames.has(key)) extras.add(key);
      }
    }
    const warnings: string[] = [];
    this.warnExtras([...extras], warnings);
    return { rowCount, columns, warnings };
  }

  /** `{columns: [...], data: [[...], ...]}`: dataframe_split, and CSV after its header row. */
  fromSplit(split: unknown, what = 'dataframe_split'): Batch {
    if (!isObject(split)) throw badRequest(`${what} must be an object with "columns" and "data"`);
    const { columns: names, data } = split;
    if (!Array.isArray(names) || !names.every((name): name is string => typeof name === 'string')) {
      throw badRequest(`${what}.columns must be an array of column names`);
    }
    if (!Array.isArray(data)) throw badRequest(`${what}.data must be an array of rows`);
    const rowCount = data.length;
    this.checkRowCount(rowCount);
    const positions = new Map<string, number>();
    names.forEach((name, index) => {
      if (positions.has(name)) throw badRequest(`column "${name}" appears twice in ${what}.columns`, { column: name });
      positions.set(name, index);
    });
    const columns = new Map<string, Column>();
    const setters: { position: number; set: Setter }[] = [];
    for (const input of this.inputs) {
      const position = positions.get(input.name);
      if (position === undefined) throw badRequest(`missing column "${input.name}" in ${what}.columns`, { column: input.name });
      const { values, set } = this.column(input, rowCount);
      columns.set(input.name, values);
      setters.push({ position, set });
    }
    const width = names.length;
    for (let row = 0; row < rowCount; row += 1) {
      const cells: unknown = data[row];
      if (!Array.isArray(cells))
        throw badRequest(`${what}.data row ${row} is ${describeCell(cells)}, expected an array of values`, { row });
      if (cells.length !== width) {
        throw badRequest(`${what}.data row ${row} has ${cells.length} values for ${width} columns`, { row });
      }
      for (const { position, set } of setters) set(row, cells[position]);
    }
    const warnings: string[] = [];
    this.warnExtras(
      names.filter((name) => !this.inputNames.has(name)),
      warnings,
    );
    return { rowCount, columns, warnings };
  }

  /** `{col: [values...], ...}`: MLflow's `inputs` (TF Serving's columnar format). */
  fromColumnar(object: unknown, what = 'inputs'): Batch {
    if (!isObject(object)) {
      throw badRequest(`${what} must be an object of columns (name → array of values) or an array of records`);
    }
    let rowCount = -1;
    let lengthFrom = '';
    const columns = new Map<string, Column>();
    for (const input of this.inputs) {
      const cells = object[input.name];
      if (cells === undefined) throw badRequest(`missing column "${input.name}" in ${what}`, { column: input.name });
      if (!Array.isArray(cells)) throw badRequest(`column "${input.name}" in ${what} must be an array of values`, { column: input.name });
      if (rowCount === -1) {
        rowCount = cells.length;
        lengthFrom = input.name;
        this.checkRowCount(rowCount);
      } else if (cells.length !== rowCount) {
        throw badRequest(`column "${input.name}" has ${cells.length} values but "${lengthFrom}" has ${rowCount}`, { column: input.name });
      }
      const { values, set } = this.column(input, rowCount);
      for (let row = 0; row < rowCount; row += 1) set(row, cells[row]);
      columns.set(input.name, values);
    }
    const warnings: string[] = [];
    this.warnExtras(
      Object.keys(object).filter((name) => !this.inputNames.has(name)),
      warnings,
    );
    return { rowCount, columns, warnings };
  }

  /** CSV text with a header row. */
  fromCsv(text: string): Batch {
    const parsed = Papa.parse<string[]>(text, { skipEmptyLines: 'greedy' });
    const fatal = parsed.errors.find((error) => error.type !== 'Delimiter');
    if (fatal) {
      const row = typeof fatal.row === 'number' ? fatal.row : undefined;
      throw badRequest(`the CSV could not be read${row === undefined ? '' : ` at data row ${row}`}: ${fatal.message}`, { row });
    }
    const [header, ...data] = parsed.data;
    if (!header) throw badRequest('the CSV is empty; it needs a header row naming the columns');
    return this.fromSplit({ columns: header.map((name) => name.trim()), data }, 'CSV');
  }

  /** KServe v2 named input tensors, one per column. */
  fromV2Inputs(tensors: unknown): Batch {
    if (!Array.isArray(tensors)) throw badRequest('"inputs" must be an array of tensors ({name, shape, datatype, data})');
    const byName = new Map<string, Record<string, unknown>>();
    for (const [index, tensor] of tensors.entries()) {
      if (!isObject(tensor) || typeof tensor.name !== 'string') {
        throw badRequest(`inputs[${index}] must be a tensor with a "name"`);
      }
      byName.set(tensor.name, tensor);
    }
    const object: Record<string, unknown[]> = {};
    for (const input of this.inputs) {
      const tensor = byName.get(input.name);
      if (!tensor) throw badRequest(`missing input tensor "${input.name}"`, { column: input.name });
      const datatype = tensor.datatype;
      const expected = input.type === 'number' ? V2_NUMERIC_TYPES : ['BYTES'];
      if (typeof datatype !== 'string' || !expected.includes(datatype)) {
        throw badRequest(
          `input tensor "${input.name}" must have datatype ${expected.join(' or ')}, not ${describeCell(datatype ?? null)}`,
          { column: input.name },
        );
      }
      const raw = tensor.data;
      if (!Array.isArray(raw)) throw badRequest(`input tensor "${input.name}" needs a "data" array`, { column: input.name });
      const data = flattenTensorData(raw, input.name);
      const shape = tensor.shape;
      if (!Array.isArray(shape) || shape.length === 0 || shape.length > 2 || (shape.length === 2 && shape[1] !== 1)) {
        throw badRequest(`input tensor "${input.name}" must have shape [N] or [N, 1], not ${JSON.stringify(shape ?? null)}`, {
          column: input.name,
        });
      }
      if (shape[0] !== data.length) {
        throw badRequest(`input tensor "${input.name}" has shape ${JSON.stringify(shape)} but ${data.length} values`, {
          column: input.name,
        });
      }
      object[input.name] = data;
    }
    const batch = this.fromColumnar(object, 'inputs');
    this.warnExtras(
      [...byName.keys()].filter((name) => !this.inputNames.has(name)),
      batch.warnings,
    );
    return batch;
  }
}
