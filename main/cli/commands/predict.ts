/**
 * `kiln predict <bundle|run-id> <file.csv> [--out preds.csv]`: scores a CSV
 * file without a server, with onnxruntime-node in this process on the
 * bundle's model.onnx. schema.json, the cells and the predictions file go
 * through the serving rules the model server uses (shared/serving), so the
 * answers are the server's answers.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import Papa from 'papaparse';
import { KilnError } from '../../../shared/errors.js';
import { cellColumn, describeCell, expectedCell, type CellColumn } from '../../../shared/serving/cells.js';
import { classifierLine, predictionsHeader } from '../../../shared/serving/csv.js';
import { labelFromProbabilities } from '../../../shared/serving/labels.js';
import { BundleSchemaError, parseBundleSchema, type ServingSchema } from '../../../shared/serving/schema.js';
import { writeFileAtomic } from '../../engine/workspace/files.js';
import { withEngine, type Command } from '../common.js';
import { exportRun } from './export.js';

const BATCH_ROWS = 4096;

export function isBundle(path: string): boolean {
  return existsSync(join(path, 'model.onnx')) && existsSync(join(path, 'schema.json'));
}

export async function readBundleSchema(bundle: string): Promise<ServingSchema> {
  const path = join(bundle, 'schema.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    throw new KilnError('bad_input', `${path} is not a JSON file; export the run again.`, 'bundle');
  }
  try {
    return parseBundleSchema(raw);
  } catch (error) {
    if (error instanceof BundleSchemaError)
      throw new KilnError('bad_input', `${path} is not a Kiln bundle schema: ${error.message}`, 'bundle');
    throw error;
  }
}

export interface CsvColumns {
  rows: number;
  feeds: Map<string, CellColumn>;
}

/** A CSV with a header row into one column per schema input, by the server's rules; errors name the column and row. */
export function csvToColumns(text: string, schema: ServingSchema, file: string): CsvColumns {
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: 'greedy' });
  const fatal = parsed.errors.find((error) => error.type !== 'Delimiter');
  if (fatal) throw new KilnError('bad_input', `${file} could not be read at data row ${fatal.row ?? '?'}: ${fatal.message}`, 'file');
  const [header, ...data] = parsed.data;
  if (!header) throw new KilnError('bad_input', `${file} is empty; it needs a header row naming the columns.`, 'file');
  const names = header.map((name) => name.trim());
  const markers = new Set(schema.missingMarkers);
  const feeds: CsvColumns['feeds'] = new Map();
  data.forEach((cells, row) => {
    if (cells.length !== names.length) {
      throw new KilnError('bad_input', `${file} data row ${row + 1} has ${cells.length} cells; the header names ${names.length}.`, 'file');
    }
  });
  for (const input of schema.inputs) {
    const position = names.indexOf(input.name);
    if (position < 0) throw new KilnError('bad_input', `${file} has no column "${input.name}", which the model takes.`, input.name);
    const column = cellColumn(input.type, data.length, markers);
    data.forEach((cells, row) => {
      const cell = cells[position] ?? '';
      if (!column.read(row, cell)) {
        throw new KilnError(
          'bad_input',
          `${file}: column "${input.name}" expects ${expectedCell(input.type)}, but data row ${row + 1} has ${describeCell(cell.trim())}.`,
          input.name,
        );
      }
    });
    feeds.set(input.name, column);
  }
  return { rows: data.length, feeds };
}

function outputName(schema: ServingSchema, role: string): string | undefined {
  return schema.outputs.find((output) => output.role === role)?.name;
}

/** Scores the columns with the bundle's model.onnx; returns the predictions CSV (the server's /predict CSV shape). */
export async function predictCsv(bundle: string, schema: ServingSchema, columns: CsvColumns): Promise<string> {
  const session = await ort.InferenceSession.create(join(bundle, 'model.onnx'));
  const classifier = schema.task !== 'regression';
  const classes = schema.classes;
  const lines = [predictionsHeader(classifier ? classes : null)];
  const labelName = outputName(schema, 'label');
  // BundleSchema requires these roles: probabilities for a classifier, value for a regression model.
  const probabilitiesName = outputName(schema, 'probabilities') ?? '';
  const valueName = outputName(schema, 'value') ?? '';
  try {
    for (let start = 0; start < columns.rows; start += BATCH_ROWS) {
      const end = Math.min(columns.rows, start + BATCH_ROWS);
      const count = end - start;
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of session.inputNames) {
        const column = columns.feeds.get(name);
        if (!column) throw new KilnError('bad_input', `The bundle's model takes "${name}", which schema.json does not list.`, 'bundle');
        feeds[name] =
          column.type === 'number'
            ? new ort.Tensor('float64', column.values.subarray(start, end), [count, 1])
            : new ort.Tensor('string', column.values.slice(start, end), [count, 1]);
      }
      const results = await session.run(feeds);
      if (!classifier) {
        const values = results[valueName]!.data as Float64Array | Float32Array;
        for (let row = 0; row < count; row++) lines.push(String(values[row]));
        continue;
      }
      const probabilities = results[probabilitiesName]!.data as Float64Array | Float32Array;
      const labels = labelName === undefined ? undefined : (results[labelName]?.data as string[] | undefined);
      const width = classes.length;
      for (let row = 0; row < count; row++) {
        const label = labels ? String(labels[row]) : labelFromProbabilities(probabilities, row, classes, schema.threshold);
        lines.push(classifierLine(label, probabilities, row * width, width));
      }
    }
  } finally {
    await session.release();
  }
  return `${lines.join('\n')}\n`;
}

export const predictCommand: Command = async (context) => {
  const [target, file, extra] = context.args;
  if (!target || !file || extra !== undefined) {
    throw new KilnError('invalid_argument', 'Usage: kiln predict <bundle|run-id> <file.csv> [--out preds.csv] [--json]', 'file');
  }
  const csvPath = resolve(file);
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch {
    throw new KilnError('bad_input', `Cannot read ${file}.`, 'file');
  }
  let bundle = resolve(target);
  let temporary: string | null = null;
  if (!isBundle(bundle)) {
    if (existsSync(bundle))
      throw new KilnError('bad_input', `${target} is not a bundle folder (it has no model.onnx and schema.json).`, 'bundle');
    temporary = await mkdtemp(join(tmpdir(), 'kiln-predict-'));
    bundle = join(temporary, 'bundle');
  }
  try {
    if (temporary) {
      context.err(`Exporting run ${target} to a temporary bundle`);
      await withEngine(context, (engine) => exportRun(engine, context, target, bundle));
    }
    const schema = await readBundleSchema(bundle);
    const columns = csvToColumns(text, schema, file);
    const csv = await predictCsv(bundle, schema, columns);
    if (context.outPath === undefined) {
      if (context.json) throw new KilnError('invalid_argument', '--json needs --out: the predictions are a CSV file.', 'out');
      context.out(csv.replace(/\n$/, ''));
      return 0;
    }
    await writeFileAtomic(resolve(context.outPath), csv);
    if (context.json) context.out(JSON.stringify({ rows: columns.rows, out: resolve(context.outPath), bundle: temporary ? null : bundle }));
    else context.err(`Wrote ${columns.rows.toLocaleString('en-US')} predictions to ${context.outPath}`);
    return 0;
  } finally {
    if (temporary) await rm(temporary, { recursive: true, force: true });
  }
};
