/**
 * A run becomes a bundle folder: model.onnx (the whole pipeline), schema.json
 * (resources/server/SCHEMA.md), the model server (built from main/server into
 * one file by `npm run build`) with the node_modules it needs copied from
 * Kiln's own install, a Dockerfile, a README and clients.
 *
 * Nothing is written until the ONNX graph has matched the app's predictions
 * on every held-out row, and the folder is assembled under a temporary name
 * beside its destination and renamed into place at the end, so a failed or
 * cancelled export never leaves a half-written bundle behind.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ExportBundle } from '../../../shared/api/export.js';
import type { ModelFamily, Run } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { DEFAULT_MISSING_MARKERS } from '../../../shared/serving/markers.js';
import type { TrainingProfile } from '../../../shared/serving/profile.js';
import { BundleSchemaError, parseBundleSchema, type BundleSchemaFile, type ServingSchema } from '../../../shared/serving/schema.js';
import { appRoot, packageInfo, resourcesDir } from '../../paths.js';
import type { EngineContext } from '../context.js';
import type { JobContext } from '../jobs/jobs.js';
import { describeParquet, featureExpression, featureNumber, parquetSource } from '../train/data/load.js';
import type { PreprocessingSpec } from '../train/types.js';
import { runInWorker } from '../workers/supervisor.js';
import { withWorkDir } from '../workers/workDir.js';
import { clientFiles } from './clients.js';
import { DEFAULT_BASE_IMAGE, dockerfile, dockerignore } from './dockerfile.js';
import { newExportId } from './exports.js';
import { inputFields, OUTPUT_LABEL, OUTPUT_PREDICTION, OUTPUT_PROBABILITIES, type DatasetColumn } from './onnx/pipeline.js';
import { DEFAULT_THRESHOLD } from './onnx/reference.js';
import type { RawRow } from './onnx/rows.js';

/** The model server as `npm run build` writes it (build:server), and the static files that go beside it. */
export const SERVER_BUILD = join(appRoot, 'dist', 'server', 'server.mjs');
const SERVER_STATIC_FILES = ['package.json', 'README.md', 'SCHEMA.md'];

/** Held-out rows kept with the export for test requests. */
const SAMPLE_ROWS = 5;
/** Beyond this many held-out rows, parity runs on the first ones: enough to catch any encoding slip, and bounded in memory. */
export const MAX_PARITY_ROWS = 200_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The spec's features of a split as raw rows (numbers, text, null for missing), in file order. */
export async function readRawRows(
  connection: DuckDBConnection,
  path: string,
  spec: PreprocessingSpec,
  limit: number,
): Promise<{ rows: RawRow[]; columns: DatasetColumn[] }> {
  const types = await describeParquet(connection, path);
  const columns: DatasetColumn[] = [...types].map(([name, type]) => ({ name, type }));
  const features = [
    ...spec.numeric.map(({ name }) => ({ name, kind: 'numeric' as const })),
    ...spec.categorical.map(({ name }) => ({ name, kind: 'categorical' as const })),
  ];
  for (const feature of features) {
    if (!types.has(feature.name)) {
      throw new KilnError('bad_input', `The run's split has no column ${JSON.stringify(feature.name)}, which the model takes.`, 'runId');
    }
  }
  const select = features.map((feature) => {
    const type = types.get(feature.name)!;
    const expression = featureExpression(feature.name, type, feature.kind);
    if (expression === undefined) {
      throw new KilnError(
        'bad_input',
        `${feature.name} holds ${type}, which the model reads as a number; it cannot be exported as is.`,
        'runId',
      );
    }
    return expression;
  });
  const reader = await connection.runAndReadAll(`SELECT ${select.join(', ')} FROM ${parquetSource(path)} LIMIT ${Math.floor(limit)}`);
  const rows = reader.getRows().map((values) => {
    const row: Record<string, string | number | null> = {};
    features.forEach((feature, index) => {
      const value = values[index];
      if (value === null || value === undefined) row[feature.name] = null;
      else if (feature.kind === 'numeric') {
        const number = featureNumber(value);
        row[feature.name] = Number.isNaN(number) ? null : number;
      } else row[feature.name] = String(value);
    });
    return row;
  });
  return { rows, columns };
}

/** A model name the server accepts (1–128 of A–Z a–z 0–9 . _ -), from the dataset's name. */
export function modelName(datasetName: string | null): string {
  const slug = (datasetName ?? '')
    // A derived dataset is named after its file ("adult.csv (cleaned)"): the file's stem names the model.
    .replace(/\.(csv|tsv|txt|parquet)\b.*$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 128);
  return slug === '' ? 'model' : slug;
}

export function bundleSchema(input: {
  name: string;
  run: Pick<Run, 'id' | 'datasetVersion'>;
  spec: PreprocessingSpec;
  columns: DatasetColumn[];
  missingMarkers: string[];
  profile: TrainingProfile;
  threshold: number;
}): BundleSchemaFile {
  const { spec } = input;
  const classifier = spec.task !== 'regression';
  return {
    formatVersion: 1,
    name: input.name,
    runId: input.run.id,
    datasetVersion: input.run.datasetVersion ?? '',
    target: spec.target,
    task: spec.task,
    ...(classifier ? { classes: spec.classes } : {}),
    ...(spec.task === 'binary' ? { threshold: input.threshold } : {}),
    inputs: inputFields(spec, input.columns).map((field) => ({
      name: field.name,
      type: field.type === 'double' ? 'number' : 'string',
      role: field.encoding,
    })),
    outputs: classifier
      ? [
          { name: OUTPUT_LABEL, role: 'label' },
          { name: OUTPUT_PROBABILITIES, role: 'probabilities' },
        ]
      : [{ name: OUTPUT_PREDICTION, role: 'value' }],
    missingMarkers: input.missingMarkers,
    trainingProfile: input.profile,
  };
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new KilnError('not_found', `The run's ${what} is missing (${path}); train the run again to export it.`, 'runId');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new KilnError('bad_input', `The run's ${what} (${path}) is not valid JSON.`, 'runId');
  }
}

/** model.json and preprocessing.json as the training pipeline writes them (format, version, then the content). */
export async function readRunArtifacts(
  artifactsDir: string,
  run: Run,
): Promise<{ family: ModelFamily; model: unknown; spec: PreprocessingSpec }> {
  const folder = join(artifactsDir, 'runs', run.id);
  const modelFile = await readJson(join(folder, 'model.json'), 'model.json');
  const specFile = await readJson(join(folder, 'preprocessing.json'), 'preprocessing.json');
  if (!isRecord(modelFile) || modelFile.format !== 'kiln-model' || !('model' in modelFile)) {
    throw new KilnError('bad_input', `The run's model.json is not a Kiln model file.`, 'runId');
  }
  if (!isRecord(specFile) || specFile.format !== 'kiln-preprocessing') {
    throw new KilnError('bad_input', `The run's preprocessing.json is not a Kiln preprocessing file.`, 'runId');
  }
  const { format: _format, version: _version, ...spec } = specFile;
  const family = (typeof modelFile.family === 'string' ? modelFile.family : run.model) as ModelFamily;
  return { family, model: modelFile.model, spec: spec as unknown as PreprocessingSpec };
}

/**
 * The schema as the server will read it: the exporter's schema goes through the
 * server's own reader before it is written, so a bundle the server would refuse
 * is never written.
 */
export function checkBundleSchema(file: BundleSchemaFile): ServingSchema {
  try {
    return parseBundleSchema(file);
  } catch (error) {
    if (error instanceof BundleSchemaError) {
      throw new KilnError('internal', `Kiln built a schema.json the model server would refuse (${error.message}).`, 'runId');
    }
    throw error;
  }
}

function missingMarkersOf(context: EngineContext, datasetId: string | null): string[] {
  const report = datasetId === null ? null : context.datasets.importReport(datasetId);
  return report ? [...report.missing] : [...DEFAULT_MISSING_MARKERS];
}

function datasetName(context: EngineContext, datasetId: string | null): string | null {
  if (datasetId === null) return null;
  try {
    return context.datasets.get(datasetId).name;
  } catch {
    return null;
  }
}

/** A package's folder as Node would load it from `from` (some packages, like onnxruntime-common, do not export their package.json). */
function packageDir(name: string, from: string): string {
  let dir = dirname(createRequire(from).resolve(name));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    if (dirname(dir) === dir) throw new KilnError('internal', `Kiln could not find the ${name} package folder.`);
    dir = dirname(dir);
  }
}

/**
 * The server's dependencies from Kiln's own node_modules, so an image build
 * needs no registry: papaparse, onnxruntime-common, and onnxruntime-node with
 * only its Linux x64 binaries (the image's platform; the others would add
 * about 250 MB to the build context for nothing).
 */
export async function copyServerModules(target: string): Promise<void> {
  const ortDir = packageDir('onnxruntime-node', import.meta.url);
  const ortPackage = join(ortDir, 'package.json');
  const modules = join(target, 'node_modules');
  const ortTarget = join(modules, 'onnxruntime-node');
  await mkdir(ortTarget, { recursive: true });
  await cp(ortPackage, join(ortTarget, 'package.json'));
  for (const entry of ['dist', 'LICENSE', 'README.md']) {
    if (existsSync(join(ortDir, entry))) await cp(join(ortDir, entry), join(ortTarget, entry), { recursive: true });
  }
  const binDir = join(ortDir, 'bin');
  const napiFolders = (await readdir(binDir)).filter((name) => name.startsWith('napi-v'));
  let copied = 0;
  for (const napi of napiFolders) {
    const linux = join(binDir, napi, 'linux', 'x64');
    if (!existsSync(linux)) continue;
    await cp(linux, join(ortTarget, 'bin', napi, 'linux', 'x64'), { recursive: true });
    copied++;
  }
  if (copied === 0) {
    throw new KilnError(
      'internal',
      `Kiln's onnxruntime-node has no Linux x64 binaries under ${binDir}; the image could not load the model.`,
    );
  }
  await cp(packageDir('onnxruntime-common', ortPackage), join(modules, 'onnxruntime-common'), { recursive: true });
  await cp(packageDir('papaparse', ortPackage), join(modules, 'papaparse'), { recursive: true });
}

async function isEmptyDir(path: string): Promise<boolean> {
  return (await readdir(path)).length === 0;
}

/**
 * Where a bundle may go: a new folder, an empty one, or an earlier Kiln bundle
 * (replaced). Anything else is refused rather than overwritten.
 */
async function checkDestination(path: string): Promise<'new' | 'replace'> {
  let info;
  try {
    info = await stat(path);
  } catch {
    return 'new';
  }
  if (!info.isDirectory()) throw new KilnError('bad_input', `${path} is a file; choose a folder for the bundle.`, 'outDir');
  if (await isEmptyDir(path)) return 'replace';
  if (existsSync(join(path, 'schema.json')) && existsSync(join(path, 'model.onnx'))) return 'replace';
  throw new KilnError(
    'bad_input',
    `${path} already holds files that are not a Kiln bundle; choose an empty or new folder for the bundle.`,
    'outDir',
  );
}

/** Swaps the finished temp folder into place; an earlier bundle there is removed only after the new one is in. */
async function commitFolder(temp: string, destination: string, mode: 'new' | 'replace'): Promise<void> {
  if (mode === 'new') {
    await rename(temp, destination);
    return;
  }
  const old = join(dirname(destination), `.${basename(destination)}.${randomBytes(6).toString('hex')}.old`);
  await rename(destination, old);
  try {
    await rename(temp, destination);
  } catch (error) {
    await rename(old, destination);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}

export async function createExport(
  context: EngineContext,
  job: JobContext,
  input: { runId: string; outDir?: string | undefined },
): Promise<ExportBundle> {
  const runs = context.runs;
  const run = runs.get(input.runId);
  if (run.status !== 'succeeded') {
    throw new KilnError(
      'bad_input',
      `The run ${run.id} ${run.status === 'running' ? 'is still running' : `is ${run.status}`}; only a finished run can be exported.`,
      'runId',
    );
  }
  if (run.splitId === null)
    throw new KilnError('bad_input', `The run ${run.id} records no split, so there are no held-out rows to check it on.`, 'runId');
  const split = context.clean.getSplit(run.splitId);
  const heldOut = split.test ?? split.valid;
  if (!heldOut) {
    throw new KilnError('bad_input', `The run's split has neither a test nor a validation part, so the export cannot be checked.`, 'runId');
  }
  const heldOutName = split.test ? 'test' : 'validation';
  const destination = resolve(input.outDir ?? join(context.workspace.artifactsDir, 'exports', run.id));
  const mode = await checkDestination(destination);
  if (!existsSync(SERVER_BUILD)) {
    throw new KilnError(
      'internal',
      `The model server is not built (${SERVER_BUILD} is missing), so a bundle cannot be written; run \`npm run build\` first.`,
    );
  }

  // Rows, graph, reference predictions and parity run in a worker process: this process serves the UI.
  const threshold = DEFAULT_THRESHOLD;
  const kilnVersion = packageInfo().version;
  const { computed, onnxBytes } = await withWorkDir(context.workspace.tmpDir, 'export', async (workDir) => {
    const result = await runInWorker(
      'export.compute',
      {
        run,
        artifactsDir: context.workspace.artifactsDir,
        trainPath: split.train.path,
        heldOutPath: heldOut.path,
        heldOutName,
        threshold,
        kilnVersion,
        sampleRows: SAMPLE_ROWS,
        workDir,
      },
      job,
    );
    return { computed: result, onnxBytes: await readFile(result.onnxPath) };
  });
  const { spec, columns, trainingProfile: profile, parity, sampleRows } = computed;
  job.throwIfCancelled();

  job.progress({ stage: 'writing', fraction: 0.6, message: `Writing the bundle to ${destination}` });
  const schemaFile = bundleSchema({
    name: modelName(datasetName(context, run.datasetId)),
    run,
    spec,
    columns,
    missingMarkers: missingMarkersOf(context, run.datasetId),
    profile,
    threshold,
  });
  const schema = checkBundleSchema(schemaFile);
  await mkdir(dirname(destination), { recursive: true });
  const temp = join(dirname(destination), `.${basename(destination)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(temp);
    await cp(SERVER_BUILD, join(temp, 'server.mjs'));
    for (const file of SERVER_STATIC_FILES) {
      // The bundle's README.md is the model's own; the server's stays beside it as SERVER.md.
      await cp(join(resourcesDir, 'server', file), join(temp, file === 'README.md' ? 'SERVER.md' : file));
    }
    await writeFile(join(temp, 'model.onnx'), onnxBytes);
    await writeFile(join(temp, 'schema.json'), JSON.stringify(schemaFile, null, 2) + '\n');
    job.progress({ stage: 'writing', fraction: 0.7, message: 'Copying onnxruntime-node (Linux x64) and papaparse into the bundle' });
    await copyServerModules(temp);
    job.throwIfCancelled();
    await writeFile(join(temp, 'Dockerfile'), dockerfile({ baseImage: DEFAULT_BASE_IMAGE, kilnVersion, runId: run.id }));
    await writeFile(join(temp, '.dockerignore'), dockerignore());
    for (const file of clientFiles(schema, sampleRows.slice(0, 2))) {
      await mkdir(dirname(join(temp, file.path)), { recursive: true });
      await writeFile(join(temp, file.path), file.content, file.executable ? { mode: 0o755 } : {});
    }
    job.throwIfCancelled();
    await commitFolder(temp, destination, mode);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }

  const exportsRepository = context.exports;
  const onnxPath = join(destination, 'model.onnx');
  const bundle = exportsRepository.create(newExportId(), {
    runId: run.id,
    projectId: run.projectId,
    bundle: destination,
    onnx: onnxPath,
    onnxBytes: onnxBytes.byteLength,
    parity: { rows: parity.rows, maxAbsDiff: parity.maxAbsDiff },
    sampleRows,
  });
  job.progress({
    stage: 'done',
    fraction: 1,
    message: `Exported to ${destination}: parity on ${parity.rows} rows, largest difference ${parity.maxAbsDiff.toExponential(2)}`,
  });
  return bundle;
}
