import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Dataset, DatasetSplit, MethodInput } from '../../../shared/api.js';
import { BackendName, ModelChoice, ModelFamily, TrainSettings, type Run, type TrainResult } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import type { CleanStep } from '../../../shared/recipe.js';
import type { Engine } from '../../engine/engine.js';
import { parquetSource, readClassNames } from '../../engine/train/data/load.js';
import { followJob, resolveProject, withEngine, type Command, type CommandContext } from '../common.js';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function finished<T>(engine: Engine, jobId: string, context: CommandContext, what: string): Promise<T> {
  const job = await followJob(engine, jobId, context);
  if (job.state === 'cancelled') throw new KilnError('cancelled', `${what} was cancelled.`);
  if (job.state !== 'succeeded') throw new KilnError('bad_input', `${what} ${job.state}: ${job.error ?? job.message}`);
  return job.result as T;
}

/** A dataset id, or a CSV file imported first (into --project, or "Imports"). */
async function resolveDataset(engine: Engine, argument: string, context: CommandContext): Promise<Dataset> {
  if (await isFile(resolve(argument))) {
    const projectId = await resolveProject(engine, context.project ?? 'Imports');
    const { jobId } = await engine.call('datasets.import', { projectId, path: resolve(argument) });
    return finished<Dataset>(engine, jobId, context, `The import of ${basename(argument)}`);
  }
  try {
    return await engine.call('datasets.get', { datasetId: argument });
  } catch (error) {
    if (error instanceof KilnError && error.code === 'not_found') {
      throw new KilnError('bad_input', `${argument} is neither a file nor a dataset id (see kiln import, or kiln run).`, 'dataset');
    }
    throw error;
  }
}

function parseWhole(text: string | undefined, option: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new KilnError(
      'invalid_argument',
      `${option} must be a whole number of at least ${min} (got ${JSON.stringify(text)}).`,
      option.slice(2),
    );
  }
  return value;
}

/** The training settings from the command line; everything not given keeps the recipe defaults. */
export function trainSettingsFromOptions(context: CommandContext): TrainSettings {
  const model = context.model ?? 'auto';
  if (!ModelChoice.safeParse(model).success) {
    throw new KilnError(
      'invalid_argument',
      `--model must be one of auto, ${ModelFamily.options.join(', ')} (got ${JSON.stringify(model)}).`,
      'model',
    );
  }
  const backend = context.backend ?? 'auto';
  if (backend !== 'auto' && !BackendName.safeParse(backend).success) {
    throw new KilnError(
      'invalid_argument',
      `--backend must be auto or one of ${BackendName.options.join(', ')} (got ${JSON.stringify(backend)}).`,
      'backend',
    );
  }
  const budgetSeconds = parseWhole(context.budget, '--budget', 5);
  const seed = parseWhole(context.seed, '--seed', 0);
  return TrainSettings.parse({
    model,
    backend,
    ...(budgetSeconds === undefined ? {} : { budgetSeconds }),
    ...(seed === undefined ? {} : { seed }),
  });
}

async function classesOf(engine: Engine, path: string, target: string): Promise<string[]> {
  return engine.context.duck.with(undefined, (connection) => readClassNames(connection, parquetSource(path), target));
}

/**
 * Splits the dataset with a separate test file as its test split. Some files
 * (UCI adult's test file) write each label with a trailing "."; when removing
 * it makes the test classes the training classes, that is done as a cleaning
 * step on both files, said on stderr, and kept in the recipe.
 */
async function splitWithTestFile(
  engine: Engine,
  context: CommandContext,
  dataset: Dataset,
  settings: { target: string; task: 'classification' | 'regression'; seed: number; testFile: string },
): Promise<{ dataset: Dataset; split: DatasetSplit; clean: CleanStep[] }> {
  const splitOf = async (datasetId: string) => {
    const started = await engine.call('split.create', { datasetId, ...settings, stratify: true });
    return finished<DatasetSplit>(engine, started.jobId, context, 'The split');
  };
  let split = await splitOf(dataset.id);
  if (settings.task !== 'classification' || !split.test) return { dataset, split, clean: [] };
  const trainClasses = new Set(await classesOf(engine, split.train.path, settings.target));
  const testClasses = await classesOf(engine, split.test.path, settings.target);
  const unknown = testClasses.filter((name) => !trainClasses.has(name));
  if (unknown.length === 0) return { dataset, split, clean: [] };
  const dotted = unknown.every((name) => name.endsWith('.') && trainClasses.has(name.slice(0, -1)));
  if (!dotted) {
    throw new KilnError(
      'bad_input',
      `The test file has classes of ${settings.target} that the training data does not: ${unknown
        .slice(0, 5)
        .map((name) => JSON.stringify(name))
        .join(', ')}. Make the labels match (kiln run with a cleaning step), or check the target.`,
      'test',
    );
  }
  context.err(
    `The test file writes ${settings.target} with a trailing "." (${JSON.stringify(unknown[0])}); removing it in both files as a cleaning step.`,
  );
  const clean: CleanStep[] = [
    {
      type: 'text',
      id: 'strip-label-dot',
      enabled: true,
      columns: [settings.target],
      operation: 'removeTrailing',
      find: '.',
      replacement: '',
    },
  ];
  const applied = await engine.call('clean.apply', { datasetId: dataset.id, steps: clean });
  const cleaned = (await finished<{ dataset: Dataset }>(engine, applied.jobId, context, 'Cleaning')).dataset;
  split = await splitOf(cleaned.id);
  return { dataset: cleaned, split, clean };
}

/** What `kiln train --json` prints; scripts depend on these names. */
export function runJson(run: Run, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    runId: run.id,
    task: run.task,
    target: run.target,
    model: run.model,
    params: run.params,
    backend: run.backend,
    device: run.device,
    seed: run.seed,
    status: run.status,
    metricName: run.metricName,
    metrics: { validation: run.metrics.validation ?? {}, ...(run.metrics.test ? { test: run.metrics.test } : {}) },
    trainMs: run.trainMs,
    durationMs: run.durationMs,
    datasetId: run.datasetId,
    datasetVersion: run.datasetVersion,
    splitId: run.splitId,
    jobId: run.jobId,
    ...extra,
  };
}

function formatMetric(value: number | null | undefined): string {
  return typeof value === 'number' ? value.toFixed(4) : '—';
}

export function describeRun(run: Run): string[] {
  const names = run.task === 'regression' ? ['rmse', 'mae', 'r2'] : ['accuracy', 'auc', 'logloss', 'f1'];
  const line = (label: string, metrics: Record<string, number | null> | null) =>
    metrics ? `  ${label.padEnd(10)} ${names.map((name) => `${name} ${formatMetric(metrics[name])}`).join('  ')}` : null;
  const selection = run.details?.selection;
  const crossValidated = selection?.method === 'crossValidation';
  const spread =
    crossValidated && selection.mean !== null && selection.std !== null
      ? `  ${selection.foldScores.length}-fold ${selection.metric} ${formatMetric(selection.mean)} ± ${formatMetric(selection.std)} (folds ${selection.foldScores.map((score) => score.toFixed(3)).join(', ')})`
      : null;
  return [
    `Run ${run.id}: ${run.model} (${run.task} on ${run.target}), ${run.backend} on ${run.device}`,
    // Under cross-validation the validation figures are the folds' means.
    line(crossValidated ? 'cv mean' : 'validation', run.metrics.validation),
    spread,
    line('test', run.metrics.test),
    `  fit ${((run.trainMs ?? 0) / 1000).toFixed(1)} s, seed ${run.seed}`,
  ].filter((text): text is string => text !== null);
}

/** Trains and waits: the job's runs and the best one. */
export async function trainAndWait(
  engine: Engine,
  context: CommandContext,
  input: MethodInput<'train.start'>,
): Promise<{ result: TrainResult; runs: Run[]; best: Run }> {
  const { jobId } = await engine.call('train.start', input);
  const result = await finished<TrainResult>(engine, jobId, context, 'Training');
  const runs = await Promise.all(result.runIds.map((runId) => engine.call('runs.get', { runId })));
  const bestId = result.bestRunId ?? result.runIds.at(-1);
  const best = runs.find((run) => run.id === bestId);
  if (!best) throw new KilnError('internal', 'Training finished without a run.');
  return { result, runs, best };
}

/** `kiln train <dataset-id|file> --target COL`: import (if a file), split, train, and print the metrics. */
export const trainCommand: Command = async (context) => {
  const [argument] = context.args;
  if (!argument) throw new KilnError('invalid_argument', 'give a dataset id or a CSV file: kiln train <dataset-id|file> --target COL.');
  if (!context.target) throw new KilnError('invalid_argument', 'name the column to predict: --target COL.', 'target');
  const target = context.target;
  const train = trainSettingsFromOptions(context);
  const testFile = context.test === undefined ? undefined : resolve(context.test);
  if (testFile !== undefined && !(await isFile(testFile)))
    throw new KilnError('bad_input', `The test file ${context.test} does not exist.`, 'test');

  return withEngine(context, async (engine) => {
    let dataset = await resolveDataset(engine, argument, context);
    const projectId = dataset.projectId;
    const suggestion = await engine.call('features.suggest', { datasetId: dataset.id, target });
    const features = suggestion.settings;
    let splitId: string | undefined;
    if (testFile !== undefined) {
      const task = features.task === 'regression' ? 'regression' : 'classification';
      const made = await splitWithTestFile(engine, context, dataset, { target, task, seed: train.seed, testFile });
      dataset = made.dataset;
      splitId = made.split.id;
    }
    const { result, runs, best } = await trainAndWait(engine, context, {
      projectId,
      datasetId: dataset.id,
      ...(splitId === undefined ? {} : { splitId }),
      features,
      train,
    });
    const warnings = result.warnings ?? [];
    if (context.json) {
      context.out(
        JSON.stringify(
          runJson(best, {
            runIds: runs.map((run) => run.id),
            selection: best.details?.selection ?? null,
            reason: result.reason ?? null,
            warnings,
          }),
        ),
      );
      return 0;
    }
    if (runs.length > 1) {
      const how =
        result.selection === 'crossValidation' ? `${best.details?.selection?.foldScores.length ?? 5}-fold cross-validation` : 'validation';
      context.out(`Auto trained ${runs.length} models; the best on ${how} ${best.metricName}:`);
    }
    for (const text of describeRun(best)) context.out(text);
    if (result.reason) context.out(`Note: ${result.reason}`);
    // Warnings go to stderr, so `kiln train ... > out.txt` still shows them.
    for (const warning of warnings) context.err(`Warning: ${warning}`);
    return 0;
  });
};
