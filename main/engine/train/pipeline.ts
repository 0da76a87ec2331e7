/**
 * What a training worker does with one request: load the split Parquet files,
 * fit the preprocessing on the training split only, fit one model family (or
 * Auto's candidates), score validation and, once per final model, the test
 * split, and write the model and preprocessing as JSON artifacts.
 */
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import type { EpochRecord, MetricSummary, ModelFamily, Task, TrainSettings } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { DuckPool } from '../data/duckdb.js';
import { newId } from '../ids.js';
import { writeFileAtomic } from '../workspace/files.js';
import { runAuto } from './auto.js';
import { selectBackend } from './backends.js';
import { loadSplits } from './data/load.js';
import { prepareData } from './data/preprocess.js';
import { evaluate, mainMetric } from './evaluation.js';
import { trainers } from './trainers/index.js';
import type { FittedModel, PreparedData } from './types.js';
import type { RunResultMessage, TrainRequest, WorkerMessage } from './worker/protocol.js';

export interface PipelineEnvironment {
  request: TrainRequest;
  prepared: PreparedData;
  signal: AbortSignal;
  report: (message: WorkerMessage) => void;
}

export interface Candidate {
  family: ModelFamily;
  settings: TrainSettings;
  /** A few words for progress messages, e.g. "gbdt, defaults". */
  label: string;
}

export interface CandidateOutcome {
  runId: string;
  result: RunResultMessage | null;
  /** The candidate's validation score on the main metric; null when it failed or has no validation split. */
  score: number | null;
  elapsedMs: number;
  /** Why the run failed; null when it succeeded. */
  error: KilnError | null;
}

function cpuDevice(): string {
  const threads = availableParallelism();
  return `CPU (${cpus()[0]?.model.trim() ?? 'unknown'}, ${threads} thread${threads === 1 ? '' : 's'})`;
}

/** The params a run records: the chosen family's section of the settings. */
export function familyParams(family: ModelFamily, settings: TrainSettings): Record<string, unknown> {
  return { ...settings[family] };
}

function lossProblem(record: EpochRecord, family: ModelFamily, settings: TrainSettings): string | null {
  for (const [what, value] of [
    ['training', record.trainLoss],
    ['validation', record.validLoss],
  ] as const) {
    if (value !== null && !Number.isFinite(value)) {
      return `The ${what} loss became ${String(value)} at ${family === 'gbdt' ? 'round' : 'epoch'} ${record.epoch}: training diverged. Try a lower learning rate (it is ${settings[family].learningRate}).`;
    }
  }
  return null;
}

/**
 * The score Auto compares. A model refitted on train + validation after early
 * stopping (the trees) has seen the validation rows, so its score there would
 * flatter it; the validation curve of the fit that chose its rounds is used instead.
 */
export function selectionScore(fitted: FittedModel, validation: MetricSummary | null, task: Task): number | null {
  const metric = mainMetric(task);
  if (fitted.params.refitRounds !== undefined) {
    const curve = fitted.history
      .map((record) => record.validMetric)
      .filter((value): value is number => value !== null && Number.isFinite(value));
    if (curve.length > 0) return metric.higherIsBetter ? Math.max(...curve) : Math.min(...curve);
  }
  const score = validation?.[metric.name];
  return typeof score === 'number' ? score : null;
}

/**
 * Fits one candidate as its own run; a failure ends that run, not the request,
 * unless the user cancelled. `deadline` (Auto's budget) stops the candidate and
 * ends its run as cancelled, and the request goes on.
 */
export async function fitCandidate(
  environment: PipelineEnvironment,
  candidate: Candidate,
  deadline?: AbortSignal,
): Promise<CandidateOutcome> {
  const { request, prepared, report } = environment;
  const { family, settings } = candidate;
  const task = request.features.task;
  const metric = mainMetric(task);
  const runId = newId('run');
  const started = performance.now();
  // A diverging loss stops this candidate through its own signal, so the trainer unwinds as it would on cancel.
  const stop = new AbortController();
  const onParentAbort = () => stop.abort();
  environment.signal.addEventListener('abort', onParentAbort);
  let timedOut = false;
  const onDeadline = () => {
    timedOut = true;
    stop.abort();
  };
  if (deadline?.aborted) onDeadline();
  deadline?.addEventListener('abort', onDeadline);
  let divergence: string | null = null;
  const history: EpochRecord[] = [];
  let announced = false;
  try {
    // The trainer selects the same backend again (a no-op); asking first lets the run show its device from the start.
    const backend = family === 'gbdt' ? { name: 'native', device: cpuDevice() } : await selectBackend(settings.backend);
    report({
      type: 'runStarted',
      runId,
      model: family,
      params: familyParams(family, settings),
      backend: backend.name,
      device: backend.device,
      metricName: metric.name,
    });
    announced = true;
    const fitted = await trainers[family].fit(prepared, settings, request.features, {
      task,
      classes: prepared.spec.classes,
      seed: settings.seed,
      signal: stop.signal,
      onProgress: ({ record, fraction }) => {
        history.push(record);
        const problem = lossProblem(record, family, settings);
        if (problem !== null && divergence === null) {
          divergence = problem;
          stop.abort();
        }
        const elapsed = (performance.now() - started) / 1000;
        const etaSeconds = fraction > 0 && fraction < 1 ? (elapsed * (1 - fraction)) / fraction : fraction >= 1 ? 0 : null;
        report({ type: 'progress', runId, record, fraction, etaSeconds });
      },
    });
    if (divergence !== null) throw new KilnError('bad_input', divergence);
    if (environment.signal.aborted || timedOut) throw new KilnError('cancelled', 'Cancelled.');

    report({ type: 'stage', stage: 'scoring', message: `Scoring ${candidate.label}`, fraction: null });
    const validation = prepared.y.valid
      ? evaluate(task, prepared.spec.classes, prepared.y.valid, await fitted.predict(prepared, 'valid'))
      : null;
    // The test split is scored here, for this final model, and never read to choose between models.
    const test = prepared.y.test ? evaluate(task, prepared.spec.classes, prepared.y.test, await fitted.predict(prepared, 'test')) : null;

    const folder = join(request.artifactsDir, 'runs', runId);
    const artifacts = { model: join(folder, 'model.json'), preprocessing: join(folder, 'preprocessing.json') };
    await writeFileAtomic(
      artifacts.model,
      JSON.stringify({
        format: 'kiln-model',
        version: 1,
        family,
        params: fitted.params,
        backend: fitted.backend,
        device: fitted.device,
        model: fitted.toJSON(),
      }),
    );
    await writeFileAtomic(artifacts.preprocessing, JSON.stringify({ format: 'kiln-preprocessing', version: 1, ...prepared.spec }));

    const result: RunResultMessage = {
      model: family,
      params: fitted.params,
      backend: fitted.backend,
      device: fitted.device,
      history: fitted.history.length > 0 ? fitted.history : history,
      validation: validation?.summary ?? null,
      test: test?.summary ?? null,
      details: {
        validation: validation?.details ?? null,
        test: test?.details ?? null,
        // The trees refit on train + validation: their validation scores are not a fair estimate, and the UI should say so.
        validationUsedInFit: fitted.params.refitRounds !== undefined,
      },
      trainMs: fitted.trainMs,
      artifacts,
    };
    report({ type: 'runDone', runId, result });
    return {
      runId,
      result,
      score: selectionScore(fitted, validation?.summary ?? null, task),
      elapsedMs: performance.now() - started,
      error: null,
    };
  } catch (error) {
    // Before the run exists (no backend), there is no run to fail: the request fails.
    if (!announced) throw error;
    const cancelled = environment.signal.aborted;
    if (!cancelled && timedOut) {
      const message = 'Stopped at the end of the Auto time budget.';
      report({ type: 'runFailed', runId, message, cancelled: true });
      return { runId, result: null, score: null, elapsedMs: performance.now() - started, error: new KilnError('cancelled', message) };
    }
    const message = divergence ?? (cancelled ? 'Cancelled by the user.' : error instanceof Error ? error.message : String(error));
    report({ type: 'runFailed', runId, message, cancelled });
    if (cancelled) throw new KilnError('cancelled', 'Cancelled.');
    const failure =
      divergence !== null
        ? new KilnError('bad_input', divergence)
        : error instanceof KilnError
          ? error
          : new KilnError('internal', message);
    return { runId, result: null, score: null, elapsedMs: performance.now() - started, error: failure };
  } finally {
    environment.signal.removeEventListener('abort', onParentAbort);
    deadline?.removeEventListener('abort', onDeadline);
  }
}

/** The whole request: one family, or Auto. Throws (bad input, cancel) when nothing could be trained. */
export async function runTraining(
  request: TrainRequest,
  signal: AbortSignal,
  report: (message: WorkerMessage) => void,
): Promise<{ runIds: string[]; bestRunId: string | null }> {
  const duck = new DuckPool(request.tmpDir);
  let prepared: PreparedData;
  try {
    report({ type: 'stage', stage: 'loading', message: 'Reading the splits', fraction: 0 });
    const loaded = await loadSplits(
      duck,
      signal,
      {
        train: { path: request.files.train },
        valid: request.files.valid ? { path: request.files.valid } : null,
        test: request.files.test ? { path: request.files.test } : null,
      },
      request.features,
    );
    if (signal.aborted) throw new KilnError('cancelled', 'Cancelled.');
    report({
      type: 'stage',
      stage: 'preparing',
      message: `Preparing ${loaded.train.rows.toLocaleString('en-US')} training rows`,
      fraction: 0.02,
    });
    prepared = prepareData(request.features, loaded.classes, loaded);
  } finally {
    // The splits are in memory now; DuckDB's threads and memory are not needed while training.
    await duck.close();
  }
  const environment: PipelineEnvironment = { request, prepared, signal, report };
  if (request.train.model === 'auto') return runAuto(environment);

  const family = request.train.model;
  const outcome = await fitCandidate(environment, { family, settings: request.train, label: family });
  if (outcome.error !== null) throw outcome.error;
  return { runIds: [outcome.runId], bestRunId: outcome.runId };
}
