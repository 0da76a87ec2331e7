/**
 * One candidate fitted as its own run: announced, trained by its family,
 * scored on validation and, for this final model, the test split, and saved
 * as model and preprocessing artifacts. Auto and a single-family request both
 * go through here.
 */
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import type { EpochRecord, MetricSummary, ModelFamily, ParamSection, Task, TrainSettings } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { newId } from '../ids.js';
import type { Flavor } from '../models/flavor.js';
import { flavorOf } from '../models/registry.js';
import { writeFileAtomic } from '../workspace/files.js';
import { selectBackend } from './backends.js';
import { evaluate, mainMetric } from './evaluation.js';
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

/** The params a run records when it starts: the chosen family's section of the settings, defaults filled. */
export function familyParams(flavor: Flavor, settings: TrainSettings): ParamSection {
  return flavor.resolve(settings[flavor.id]);
}

function lossProblem(record: EpochRecord, flavor: Flavor, section: ParamSection | undefined): string | null {
  for (const [what, value] of [
    ['training', record.trainLoss],
    ['validation', record.validLoss],
  ] as const) {
    if (value !== null && !Number.isFinite(value)) {
      const hint = flavor.divergenceHint(section);
      return `The ${what} loss became ${String(value)} at ${flavor.info.progressUnit} ${record.epoch}: training diverged.${hint ? ` ${hint}` : ''}`;
    }
  }
  return null;
}

/**
 * The score Auto compares. A model refitted on train + validation after early
 * stopping (the trees) has seen the validation rows, so its score there would
 * flatter it; the validation curve of the fit that chose its rounds is used instead.
 */
export function selectionScore(fitted: FittedModel<unknown>, validation: MetricSummary | null, task: Task): number | null {
  const metric = mainMetric(task);
  if (fitted.validationUsedInFit) {
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
  const flavor = flavorOf(family);
  const section = settings[family];
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
    const backend = flavor.info.usesBackend ? await selectBackend(settings.backend) : { name: 'native', device: cpuDevice() };
    report({
      type: 'runStarted',
      runId,
      model: family,
      params: familyParams(flavor, settings),
      backend: backend.name,
      device: backend.device,
      metricName: metric.name,
    });
    announced = true;
    const fitted = await flavor.fit(prepared, section, {
      task,
      classes: prepared.spec.classes,
      seed: settings.seed,
      backend: settings.backend,
      signal: stop.signal,
      onProgress: ({ record, fraction }) => {
        history.push(record);
        const problem = lossProblem(record, flavor, section);
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
        model: fitted.artifact,
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
        // A model refit on train + validation: its validation scores are not a fair estimate, and the UI should say so.
        validationUsedInFit: fitted.validationUsedInFit,
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
