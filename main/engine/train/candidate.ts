/**
 * One candidate fitted as its own run: announced, trained by its family,
 * scored on validation and, for this final model, the test split, and saved
 * as model and preprocessing artifacts. Auto and a single-family request both
 * go through here.
 */
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import type { SelectionScore } from '../../../shared/api/evaluation.js';
import type { EpochRecord, MetricSummary, ModelFamily, ParamSection, Task, TrainSettings } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { newId } from '../ids.js';
import type { Flavor } from '../models/flavor.js';
import { flavorOf } from '../models/registry.js';
import { writeFileAtomic } from '../workspace/files.js';
import { selectBackend } from './backends.js';
import { evaluate, mainMetric } from './evaluation.js';
import type { CrossValidation } from './folds.js';
import type { FittedModel, PreparedData, RawColumns, RecordedParams, TrainerProgress } from './types.js';
import type { RunResultMessage, TrainRequest, WorkerMessage } from './worker/protocol.js';

export interface PipelineEnvironment {
  request: TrainRequest;
  prepared: PreparedData;
  /** The splits before encoding, for Auto's cross-validation folds. */
  raw: { train: RawColumns; valid: RawColumns | null; test: RawColumns | null };
  /** Classification: class names in label order. */
  classes: string[];
  signal: AbortSignal;
  report: (message: WorkerMessage) => void;
}

export interface Candidate {
  family: ModelFamily;
  settings: TrainSettings;
  /** A few words for progress messages, e.g. "gbdt, defaults". */
  label: string;
  /** The family's default settings: the default linear model is the reference Auto must beat. */
  defaults?: boolean;
}

/** How Auto scores a candidate: on the validation split, or by cross-validation with the final fit on every training row. */
export interface CandidateOptions {
  /** Auto's budget: stops the candidate and ends its run as cancelled, and the request goes on. */
  deadline?: AbortSignal;
  /** Auto on small data: score on these folds, then fit the model kept on `full`. */
  crossValidation?: CrossValidation;
  /** Record how the candidate was scored in its run details (Auto's candidates). */
  recordSelection?: boolean;
}

export interface CandidateOutcome {
  runId: string;
  result: RunResultMessage | null;
  /** The candidate's validation score on the main metric (the mean over folds); null when it failed or has no validation split. */
  score: number | null;
  /** How the score was taken; null when it failed or has no validation split. */
  selection: SelectionScore | null;
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

function meanOf(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Population standard deviation, as scikit-learn's cross-validation reports it. */
export function spreadOf(values: number[]): number {
  if (values.length === 0) return 0;
  const center = meanOf(values);
  return Math.sqrt(meanOf(values.map((value) => (value - center) ** 2)));
}

/** Every metric averaged over the folds; a metric some fold could not compute (AUC on a fold with one class) is null. */
function meanSummary(summaries: MetricSummary[]): MetricSummary {
  const keys = new Set(summaries.flatMap((summary) => Object.keys(summary)));
  const out: MetricSummary = {};
  for (const key of keys) {
    const values = summaries.map((summary) => summary[key]);
    out[key] = values.every((value): value is number => typeof value === 'number' && Number.isFinite(value)) ? meanOf(values) : null;
  }
  return out;
}

/**
 * Fits one candidate as its own run; a failure ends that run, not the request,
 * unless the user cancelled. `deadline` (Auto's budget) stops the candidate and
 * ends its run as cancelled, and the request goes on.
 */
export async function fitCandidate(
  environment: PipelineEnvironment,
  candidate: Candidate,
  options: CandidateOptions = {},
): Promise<CandidateOutcome> {
  const { deadline, crossValidation } = options;
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
    const folds = crossValidation?.folds ?? [];
    // Progress shows the first fit's curve (the first fold's, under cross-validation): one curve per run, with validation.
    const stepsTotal = folds.length + 1;
    const contextFor = (step: number, foldOnly: boolean) => ({
      task,
      classes: prepared.spec.classes,
      seed: settings.seed,
      backend: settings.backend,
      signal: stop.signal,
      foldOnly,
      onProgress: ({ record, fraction }: TrainerProgress) => {
        const problem = lossProblem(record, flavor, section);
        if (problem !== null && divergence === null) {
          divergence = problem;
          stop.abort();
        }
        if (step !== 0) return;
        history.push(record);
        const overall = fraction / stepsTotal;
        const elapsed = (performance.now() - started) / 1000;
        const etaSeconds = overall > 0 && overall < 1 ? (elapsed * (1 - overall)) / overall : overall >= 1 ? 0 : null;
        report({ type: 'progress', runId, record, fraction: overall, etaSeconds });
      },
    });
    const stopped = () => {
      if (divergence !== null) throw new KilnError('bad_input', divergence);
      if (environment.signal.aborted || timedOut) throw new KilnError('cancelled', 'Cancelled.');
    };

    const foldScores: number[] = [];
    const foldSummaries: MetricSummary[] = [];
    const foldParams: RecordedParams[] = [];
    let firstFoldHistory: EpochRecord[] = [];
    for (const [index, fold] of folds.entries()) {
      const foldFit = await flavor.fit(fold, section, contextFor(index, true));
      try {
        stopped();
        const scored = evaluate(task, fold.spec.classes, fold.y.valid!, await foldFit.predict(fold, 'valid'));
        const score = scored.summary[metric.name];
        foldScores.push(typeof score === 'number' && Number.isFinite(score) ? score : Number.NaN);
        foldSummaries.push(scored.summary);
        foldParams.push(foldFit.params);
        if (index === 0) firstFoldHistory = foldFit.history;
      } finally {
        foldFit.dispose?.();
      }
    }

    // Under cross-validation the model kept is fitted on every training row, with what the folds' early stopping found.
    const data = crossValidation?.full ?? prepared;
    const finalSection = crossValidation ? flavor.refit(section, foldParams) : section;
    const fitted = await flavor.fit(data, finalSection, contextFor(crossValidation ? stepsTotal - 1 : 0, false));
    stopped();

    report({ type: 'stage', stage: 'scoring', message: `Scoring ${candidate.label}`, fraction: null });
    const validation =
      !crossValidation && prepared.y.valid
        ? evaluate(task, prepared.spec.classes, prepared.y.valid, await fitted.predict(prepared, 'valid'))
        : null;
    // The test split is scored here, for this final model, and never read to choose between models.
    const test = data.y.test ? evaluate(task, data.spec.classes, data.y.test, await fitted.predict(data, 'test')) : null;

    let selection: SelectionScore | null = null;
    if (crossValidation) {
      const finite = foldScores.every((score) => Number.isFinite(score));
      selection = {
        method: 'crossValidation',
        metric: metric.name,
        foldScores: foldScores.map((score) => (Number.isFinite(score) ? score : 0)),
        mean: finite ? meanOf(foldScores) : null,
        std: finite ? spreadOf(foldScores) : null,
        rows: crossValidation.rows,
        defaults: candidate.defaults ?? false,
        role: candidate.defaults ? flavor.info.autoRole : 'candidate',
      };
    } else if (validation && prepared.y.valid) {
      const score = selectionScore(fitted, validation.summary, task);
      selection = {
        method: 'holdout',
        metric: metric.name,
        foldScores: score === null ? [] : [score],
        mean: score,
        std: null,
        rows: prepared.y.valid.length,
        defaults: candidate.defaults ?? false,
        role: candidate.defaults ? flavor.info.autoRole : 'candidate',
      };
    }

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
    await writeFileAtomic(artifacts.preprocessing, JSON.stringify({ format: 'kiln-preprocessing', version: 1, ...data.spec }));

    const result: RunResultMessage = {
      model: family,
      params: fitted.params,
      backend: fitted.backend,
      device: fitted.device,
      history: crossValidation ? firstFoldHistory : fitted.history.length > 0 ? fitted.history : history,
      // Under cross-validation, the validation figures are the folds' means: every training row scored once, by a model that did not see it.
      validation: crossValidation ? meanSummary(foldSummaries) : (validation?.summary ?? null),
      test: test?.summary ?? null,
      details: {
        validation: validation?.details ?? null,
        test: test?.details ?? null,
        // A model refit on train + validation: its validation scores are not a fair estimate, and the UI should say so.
        validationUsedInFit: crossValidation ? false : fitted.validationUsedInFit,
        ...(options.recordSelection && selection ? { selection } : {}),
      },
      trainMs: fitted.trainMs,
      artifacts,
    };
    report({ type: 'runDone', runId, result });
    fitted.dispose?.();
    return { runId, result, score: selection?.mean ?? null, selection, elapsedMs: performance.now() - started, error: null };
  } catch (error) {
    // Before the run exists (no backend), there is no run to fail: the request fails.
    if (!announced) throw error;
    const cancelled = environment.signal.aborted;
    if (!cancelled && timedOut) {
      const message = 'Stopped at the end of the Auto time budget.';
      report({ type: 'runFailed', runId, message, cancelled: true });
      return {
        runId,
        result: null,
        score: null,
        selection: null,
        elapsedMs: performance.now() - started,
        error: new KilnError('cancelled', message),
      };
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
    return { runId, result: null, score: null, selection: null, elapsedMs: performance.now() - started, error: failure };
  } finally {
    environment.signal.removeEventListener('abort', onParentAbort);
    deadline?.removeEventListener('abort', onDeadline);
  }
}
