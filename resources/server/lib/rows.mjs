/**
 * Every request format becomes one Batch: the schema's columns, each as one
 * array in schema order (Float64Array for numbers with NaN for missing, string[]
 * for text with '' for missing), checked on the way in. Errors name the column,
 * the row and what was wrong, because a 400 a client cannot act on is no better
 * than a 500.
 *
 * Text is trimmed and the schema's missing markers ('?', 'NA', ...) become
 * missing, as Kiln's import did to the training data, so a value means the same
 * here as it did when the model was fitted.
 */
import Papa from 'papaparse';
import { badRequest } from './errors.mjs';

/**
 * @typedef {{ rowCount: number, columns: Map<string, Float64Array | string[]>, warnings: string[] }} Batch
 */

const MAX_NAMED_EXTRAS = 10;

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

export class BatchBuilder {
  /**
   * @param {import('./schema.mjs').Schema} schema
   */
  constructor(schema) {
    this.inputs = schema.inputs;
    this.inputNames = new Set(schema.inputs.map((input) => input.name));
    this.markers = new Set(schema.missingMarkers);
  }

  /** A typed column to fill, plus the function that checks and stores one cell into it. */
  column(input, rowCount) {
    const markers = this.markers;
    const name = input.name;
    if (input.type === 'number') {
      const values = new Float64Array(rowCount);
      const set = (row, value) => {
        if (typeof value === 'number') {
          values[row] = value;
          return;
        }
        if (value === null || value === undefined) {
          values[row] = NaN;
          return;
        }
        if (typeof value === 'string') {
          const trimmed = value.trim();
          if (markers.has(trimmed) || trimmed === '') {
            values[row] = NaN;
            return;
          }
          const parsed = Number(trimmed);
          if (Number.isFinite(parsed)) {
            values[row] = parsed;
            return;
          }
        }
        throw badRequest(`column "${name}" expects a number, but row ${row} has ${describe(value)}`, { column: name, row });
      };
      return { values, set };
    }
    const values = new Array(rowCount);
    const set = (row, value) => {
      if (typeof value === 'string') {
        const trimmed = value.trim();
        values[row] = markers.has(trimmed) ? '' : trimmed;
        return;
      }
      if (value === null || value === undefined) {
        values[row] = '';
        return;
      }
      if (typeof value === 'number' || typeof value === 'boolean') {
        values[row] = String(value);
        return;
      }
      throw badRequest(`column "${name}" expects text, but row ${row} has ${describe(value)}`, { column: name, row });
    };
    return { values, set };
  }

  warnExtras(extras, warnings) {
    if (extras.length === 0) return;
    const named = extras
      .slice(0, MAX_NAMED_EXTRAS)
      .map((name) => `"${name}"`)
      .join(', ');
    const more = extras.length > MAX_NAMED_EXTRAS ? ` and ${extras.length - MAX_NAMED_EXTRAS} more` : '';
    warnings.push(`ignored unknown columns: ${named}${more}`);
  }

  checkRowCount(rowCount) {
    if (rowCount === 0) throw badRequest('the request has no rows to score');
  }

  /** `[{col: value, ...}, ...]`: dataframe_records, instances, /predict JSON. */
  fromRecords(records, what = 'record') {
    if (!Array.isArray(records)) throw badRequest(`expected an array of ${what}s`);
    const rowCount = records.length;
    this.checkRowCount(rowCount);
    const columns = new Map();
    const setters = [];
    for (const input of this.inputs) {
      const { values, set } = this.column(input, rowCount);
      columns.set(input.name, values);
      setters.push({ name: input.name, set });
    }
    const extras = new Set();
    for (let row = 0; row < rowCount; row += 1) {
      const record = records[row];
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw badRequest(`${what} ${row} is ${describe(record)}, expected an object of column values`, { row });
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
    const warnings = [];
    this.warnExtras([...extras], warnings);
    return { rowCount, columns, warnings };
  }

  /** `{columns: [...], data: [[...], ...]}`: dataframe_split, and CSV after its header row. */
  fromSplit(split, what = 'dataframe_split') {
    if (typeof split !== 'object' || split === null || Array.isArray(split)) {
      throw badRequest(`${what} must be an object with "columns" and "data"`);
    }
    const { columns: names, data } = split;
    if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
      throw badRequest(`${what}.columns must be an array of column names`);
    }
    if (!Array.isArray(data)) throw badRequest(`${what}.data must be an array of rows`);
    const rowCount = data.length;
    this.checkRowCount(rowCount);
    const positions = new Map();
    names.forEach((name, index) => {
      if (positions.has(name)) throw badRequest(`column "${name}" appears twice in ${what}.columns`, { column: name });
      positions.set(name, index);
    });
    const columns = new Map();
    const setters = [];
    for (const input of this.inputs) {
      const position = positions.get(input.name);
      if (position === undefined) throw badRequest(`missing column "${input.name}" in ${what}.columns`, { column: input.name });
      const { values, set } = this.column(input, rowCount);
      columns.set(input.name, values);
      setters.push({ position, set });
    }
    const width = names.length;
    for (let row = 0; row < rowCount; row += 1) {
      const cells = data[row];
      if (!Array.isArray(cells)) throw badRequest(`${what}.data row ${row} is ${describe(cells)}, expected an array of values`, { row });
      if (cells.length !== width) {
        throw badRequest(`${what}.data row ${row} has ${cells.length} values for ${width} columns`, { row });
      }
      for (const { position, set } of setters) set(row, cells[position]);
    }
    const warnings = [];
    this.warnExtras(
      names.filter((name) => !this.inputNames.has(name)),
      warnings,
    );
    return { rowCount, columns, warnings };
  }

  /** `{col: [values...], ...}`: MLflow's `inputs` (TF Serving's columnar format). */
  fromColumnar(object, what = 'inputs') {
    if (typeof object !== 'object' || object === null || Array.isArray(object)) {
      throw badRequest(`${what} must be an object of columns (name → array of values) or an array of records`);
    }
    let rowCount = -1;
    let lengthFrom = '';
    const columns = new Map();
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
    const warnings = [];
    this.warnExtras(
      Object.keys(object).filter((name) => !this.inputNames.has(name)),
      warnings,
    );
    return { rowCount, columns, warnings };
  }

  /** CSV text with a header row. */
  fromCsv(text) {
    const parsed = Papa.parse(text, { skipEmptyLines: 'greedy' });
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
  fromV2Inputs(tensors) {
    if (!Array.isArray(tensors)) throw badRequest('"inputs" must be an array of tensors ({name, shape, datatype, data})');
    const byName = new Map();
    for (const [index, tensor] of tensors.entries()) {
      if (typeof tensor !== 'object' || tensor === null || typeof tensor.name !== 'string') {
        throw badRequest(`inputs[${index}] must be a tensor with a "name"`);
      }
      byName.set(tensor.name, tensor);
    }
    const object = {};
    for (const input of this.inputs) {
      const tensor = byName.get(input.name);
      if (!tensor) throw badRequest(`missing input tensor "${input.name}"`, { column: input.name });
      const datatype = tensor.datatype;
      const expected = input.type === 'number' ? V2_NUMERIC_TYPES : ['BYTES'];
      if (!expected.includes(datatype)) {
        throw badRequest(`input tensor "${input.name}" must have datatype ${expected.join(' or ')}, not ${describe(datatype ?? null)}`, {
          column: input.name,
        });
      }
      const data =
        Array.isArray(tensor.data) && tensor.data.length > 0 && Array.isArray(tensor.data[0]) ? tensor.data.flat(Infinity) : tensor.data;
      if (!Array.isArray(data)) throw badRequest(`input tensor "${input.name}" needs a "data" array`, { column: input.name });
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

export const V2_NUMERIC_TYPES = ['FP64', 'FP32', 'FP16', 'INT64', 'INT32', 'INT16', 'INT8', 'UINT64', 'UINT32', 'UINT16', 'UINT8'];
