/**
 * `kiln predict <bundle|run-id> <file.csv> [--out preds.csv]`: scores a CSV
 * file without a server, with onnxruntime-node in this process on the
 * bundle's model.onnx. Cells are read by the server's rules (trimmed; the
 * schema's missing markers are missing; numbers must read as finite numbers),
 * so the answers are the server's answers.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import Papa from 'papaparse';
import { KilnError } from '../../../shared/errors.js';
import { writeFileAtomic } from '../../engine/workspace/files.js';
import { withEngine, type Command } from '../common.js';
import { exportRun } from './export.js';

interface SchemaInput {
  name: string;
  type: 'number' | 'string' | 'double' | 'float';
}

interface BundleSchemaFile {
  task: 'binary' | 'multiclass' | 'regression';
  classes?: string[];
  inputs: SchemaInput[];
  outputs?: { name: string; role: string }[];
  missingMarkers?: string[];
}

const DEFAULT_MISSING_MARKERS = ['', '?', 'NA', 'N/A', 'null', 'NULL'];
const BATCH_ROWS = 4096;

export function isBundle(path: string): boolean {
  return existsSync(join(path, 'model.onnx')) && existsSync(join(path, 'schema.json'));
}

export async function readBundleSchema(bundle: string): Promise<BundleSchemaFile> {
  const schema = JSON.parse(await readFile(join(bundle, 'schema.json'), 'utf8')) as BundleSchemaFile;
  if (!Array.isArray(schema.inputs) || !['binary', 'multiclass', 'regression'].includes(schema.task)) {
    throw new KilnError('bad_input', `${join(bundle, 'schema.json')} is not a Kiln bundle schema (no inputs or task).`, 'bundle');
  }
  return schema;
}

/** The server's CSV cell (app.mjs csvCell), so predictions files read the same from either. */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export interface CsvColumns {
  rows: number;
  feeds: Map<string, { type: 'number'; values: Float64Array } | { type: 'string'; values: string[] }>;
}

/** A CSV with a header row into one column per schema input, by the server's rules; errors name the column and row. */
export function csvToColumns(text: string, schema: BundleSchemaFile, file: string): CsvColumns {
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: 'greedy' });
  const fatal = parsed.errors.find((error) => error.type !== 'Delimiter');
  if (fatal) throw new KilnError('bad_input', `${file} could not be read at data row ${fatal.row ?? '?'}: ${fatal.message}`, 'file');
  const [header, ...data] = parsed.data;
  if (!header) throw new KilnError('bad_input', `${file} is empty; it needs a header row naming the columns.`, 'file');
  const names = header.map((name) => name.trim());
  const markers = new Set(schema.missingMarkers ?? DEFAULT_MISSING_MARKERS);
  const feeds: CsvColumns['feeds'] = new Map();
  data.forEach((cells, row) => {
    if (cells.length !== names.length) {
      throw new KilnError('bad_input', `${file} data row ${row + 1} has ${cells.length} cells; the header names ${names.length}.`, 'file');
    }
  });
  for (const input of schema.inputs) {
    const position = names.indexOf(input.name);
    if (position < 0) throw new KilnError('bad_input', `${file} has no column "${input.name}", which the model takes.`, input.name);
    if (input.type === 'string') {
      feeds.set(input.name, {
        type: 'string',
        values: data.map((cells) => {
          const trimmed = (cells[position] ?? '').trim();
          return markers.has(trimmed) ? '' : trimmed;
        }),
      });
      continue;
    }
    const values = new Float64Array(data.length);
    data.forEach((cells, row) => {
      const trimmed = (cells[position] ?? '').trim();
      if (trimmed === '' || markers.has(trimmed)) {
        values[row] = Number.NaN;
        return;
      }
      const parsedNumber = Number(trimmed);
      if (!Number.isFinite(parsedNumber)) {
        throw new KilnError(
          'bad_input',
          `${file}: column "${input.name}" expects a number, but data row ${row + 1} has ${JSON.stringify(trimmed)}.`,
          input.name,
        );
      }
      values[row] = parsedNumber;
    });
    feeds.set(input.name, { type: 'number', values });
  }
  return { rows: data.length, feeds };
}

function outputName(schema: BundleSchemaFile, role: string, fallback: string): string {
  return schema.outputs?.find((output) => output.role === role)?.name ?? fallback;
}

/** Scores the columns with the bundle's model.onnx; returns the predictions CSV (the server's /predict CSV shape). */
export async function predictCsv(bundle: string, schema: BundleSchemaFile, columns: CsvColumns): Promise<string> {
  const session = await ort.InferenceSession.create(join(bundle, 'model.onnx'));
  const classifier = schema.task !== 'regression';
  const classes = schema.classes ?? [];
  const lines = [(classifier ? ['prediction', ...classes.map((name) => `probability_${name}`)] : ['prediction']).map(csvCell).join(',')];
  const labelName = outputName(schema, 'label', 'label');
  const probabilitiesName = outputName(schema, 'probabilities', 'probabilities');
  const valueName = outputName(schema, 'value', 'prediction');
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
        const values = results[valueName]!.data as Float64Array;
        for (let row = 0; row < count; row++) lines.push(String(values[row]));
        continue;
      }
      const probabilities = results[probabilitiesName]!.data as Float64Array | Float32Array;
      const labels = results[labelName]?.data as string[] | undefined;
      const width = classes.length;
      for (let row = 0; row < count; row++) {
        let label: string;
        if (labels) label = String(labels[row]);
        else {
          let best = 0;
          for (let k = 1; k < width; k++) if (probabilities[row * width + k]! > probabilities[row * width + best]!) best = k;
          label = classes[best]!;
        }
        let line = csvCell(label);
        for (let k = 0; k < width; k++) line += `,${probabilities[row * width + k]}`;
        lines.push(line);
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
