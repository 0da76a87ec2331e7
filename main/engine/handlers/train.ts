import type { HandlersFor } from '../../../shared/api.js';
import type { DatasetSplit } from '../../../shared/api/clean.js';
import type { EpochRecord, FeatureSettings, ModelFamily, TrainResult, TrainSettings } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import type { SplitSettings } from '../../../shared/recipe.js';
import { packageInfo } from '../../paths.js';
import type { EngineContext } from '../context.js';
import { writeSplit } from '../data/split.js';
import type { JobContext } from '../jobs/jobs.js';
import { flavorOf, flavors } from '../models/registry.js';
import { validateTrainingInput } from '../train/features.js';
import type { WorkerMessage } from '../train/worker/protocol.js';
import { runWorker } from '../train/worker/supervisor.js';

type TrainHandlers = HandlersFor<'train.start' | 'runs.list' | 'runs.get' | 'models.families'>;

/**
 * The settings with each family's section checked by the family's own schema
 * and completed with its defaults, so a bad `train.gbdt.learningRate` is
 * refused before a job exists and the recipe records every value used.
 */
export function resolveTrainSettings(train: TrainSettings): TrainSettings {
  const resolved: TrainSettings = { ...train };
  for (const flavor of flavors) resolved[flavor.id] = flavor.resolve(train[flavor.id]);
  return resolved;
}

/** A run's live state in the parent, between its start and end messages. */
interface LiveRun {
  model: ModelFamily;
  backend: string;
  device: string;
  metricName: string;
  history: EpochRecord[];
  savedAt: number;
}

const historySaveIntervalMs = 2000;

/** The split `train.start` makes when none is given: seeded, stratified on the target, 70/15/15. */
export function defaultSplitSettings(features: FeatureSettings, seed: number): SplitSettings {
  return {
    target: features.target,
    task: features.task === 'regression' ? 'regression' : 'classification',
    train: 0.7,
    valid: 0.15,
    test: 0.15,
    seed,
    stratify: true,
  };
}

export function trainHandlers(context: EngineContext): TrainHandlers {
  const runs = context.runs;
  const cleanRepository = context.clean;
  // Runs left `running` by a process that died are not running now (as jobs.ts does for jobs).
  runs.markInterrupted((jobId) => context.jobs.isRunning(jobId));

  const emitRun = (runId: string) => {
    const run = runs.get(runId);
    context.emit({ type: 'runs.changed', projectId: run.projectId, run });
  };

  /** An existing split with the same settings is reused, so repeated runs read the same tables. */
  const ensureSplit = async (job: JobContext, datasetId: string, settings: SplitSettings): Promise<DatasetSplit> => {
    const wanted = JSON.stringify(settings);
    const existing = cleanRepository.listSplits(datasetId).find((split) => JSON.stringify(split.settings) === wanted);
    if (existing) return existing;
    const dataset = context.datasets.get(datasetId);
    const source = context.versions.find(dataset.version);
    if (!source) throw new KilnError('not_found', `The dataset version ${dataset.version} is not recorded.`, 'datasetId');
    job.progress({ stage: 'splitting', fraction: 0, message: 'Splitting 70/15/15, stratified on the target' });
    const written = await context.duck.with(job.signal, (connection) =>
      writeSplit(connection, {
        source,
        settings,
        dataDir: context.workspace.dataDir,
        findVersion: (version) => context.versions.find(version),
      }),
    );
    job.throwIfCancelled();
    const split = cleanRepository.recordSplit({ datasetId, sourceVersion: source.version, ...written });
    // The split now matches `settings` as written, so the next run finds it.
    return split;
  };

  const train = async (
    job: JobContext,
    input: { projectId: string; datasetId: string; splitId?: string | undefined; features: FeatureSettings; train: TrainSettings },
  ): Promise<TrainResult> => {
    const dataset = context.datasets.get(input.datasetId);
    const splitSettings = input.splitId === undefined ? defaultSplitSettings(input.features, input.train.seed) : null;
    const split = splitSettings ? await ensureSplit(job, dataset.id, splitSettings) : cleanRepository.getSplit(input.splitId ?? '');
    const recipe = {
      ...cleanRepository.getRecipe(input.projectId),
      split: splitSettings ?? split.settings,
      features: input.features,
      train: input.train,
    };
    const appVersion = packageInfo().version;
    const auto = input.train.model === 'auto';
    const live = new Map<string, LiveRun>();

    const onMessage = (message: WorkerMessage): void => {
      switch (message.type) {
        case 'stage':
          job.progress({
            stage: message.stage,
            message: message.message,
            ...(message.fraction === null ? {} : { fraction: message.fraction }),
          });
          return;
        case 'runStarted': {
          runs.create({
            projectId: input.projectId,
            datasetId: dataset.id,
            datasetVersion: dataset.version,
            splitId: split.id,
            splitVersions: { train: split.train.version, valid: split.valid?.version ?? null, test: split.test?.version ?? null },
            jobId: job.jobId,
            task: input.features.task,
            target: input.features.target,
            model: message.model,
            params: message.params,
            seed: input.train.seed,
            backend: message.backend,
            device: message.device,
            appVersion,
            metricName: message.metricName,
            recipe,
            id: message.runId,
          });
          live.set(message.runId, {
            model: message.model,
            backend: message.backend,
            device: message.device,
            metricName: message.metricName,
            history: [],
            savedAt: Date.now(),
          });
          emitRun(message.runId);
          return;
        }
        case 'progress': {
          const run = live.get(message.runId);
          if (!run) return;
          run.history.push(message.record);
          if (Date.now() - run.savedAt > historySaveIntervalMs) {
            run.savedAt = Date.now();
            runs.saveHistory(message.runId, run.history);
          }
          context.emit({
            type: 'run.progress',
            runId: message.runId,
            jobId: job.jobId,
            projectId: input.projectId,
            model: run.model,
            backend: run.backend,
            device: run.device,
            metricName: run.metricName,
            record: message.record,
            fraction: message.fraction,
            etaSeconds: message.etaSeconds,
          });
          const { record } = message;
          const unit = flavorOf(run.model).info.progressUnit;
          const metric = record.validMetric === null ? '' : `, validation ${run.metricName} ${record.validMetric.toFixed(4)}`;
          const loss = record.trainLoss === null ? '' : `: loss ${record.trainLoss.toFixed(4)}`;
          job.progress({
            stage: 'training',
            message: `${run.model} ${unit} ${record.epoch}${loss}${metric}`,
            // Auto's fraction is its budget used (from stage messages); a single run's is its own.
            ...(auto ? {} : { fraction: 0.05 + 0.9 * message.fraction }),
          });
          return;
        }
        case 'runDone': {
          const run = live.get(message.runId);
          live.delete(message.runId);
          if (!run) return;
          const { result } = message;
          runs.succeed(message.runId, {
            params: result.params,
            backend: result.backend,
            device: result.device,
            history: result.history,
            validation: result.validation,
            test: result.test,
            details: result.details,
            trainMs: result.trainMs,
          });
          emitRun(message.runId);
          return;
        }
        case 'runFailed': {
          const run = live.get(message.runId);
          live.delete(message.runId);
          runs.end(message.runId, message.cancelled ? 'cancelled' : 'failed', message.message, run?.history);
          emitRun(message.runId);
          return;
        }
        default:
          return;
      }
    };

    try {
      const result = await runWorker(
        {
          files: { train: split.train.path, valid: split.valid?.path ?? null, test: split.test?.path ?? null },
          features: input.features,
          train: input.train,
          artifactsDir: context.workspace.artifactsDir,
          tmpDir: context.workspace.tmpDir,
        },
        { signal: job.signal, onMessage },
      );
      return result;
    } catch (error) {
      // Runs the worker never ended (a crash, a kill after cancel) end here with the reason.
      const cancelled = job.signal.aborted || (error instanceof KilnError && error.code === 'cancelled');
      const reason = cancelled ? 'Cancelled by the user.' : error instanceof Error ? error.message : String(error);
      for (const [runId, run] of live) {
        runs.end(runId, cancelled ? 'cancelled' : 'failed', reason, run.history);
        emitRun(runId);
      }
      live.clear();
      throw error;
    }
  };

  return {
    'models.families': async () => flavors.map((flavor) => flavor.info),
    'train.start': async (given) => {
      const input = { ...given, train: resolveTrainSettings(given.train) };
      context.projects.get(input.projectId);
      const dataset = context.datasets.get(input.datasetId);
      if (dataset.projectId !== input.projectId) {
        throw new KilnError('bad_input', `The dataset ${dataset.id} belongs to another project.`, 'datasetId');
      }
      if (input.splitId !== undefined) {
        const split = cleanRepository.getSplit(input.splitId);
        if (split.datasetId !== dataset.id) throw new KilnError('bad_input', `The split ${split.id} is of another dataset.`, 'splitId');
      }
      // Bad targets, empty feature sets and missing backends are refused here, before a job or a run exists.
      await validateTrainingInput(context, dataset.id, input.features);
      const usesBackend = input.train.model === 'auto' || flavorOf(input.train.model).info.usesBackend;
      if (input.train.backend !== 'auto' && usesBackend) {
        // Loaded on demand: tfjs is heavy and most engine starts never need it.
        const { listBackends } = await import('../train/backends.js');
        const chosen = (await listBackends()).find((backend) => backend.name === input.train.backend);
        if (chosen && !chosen.available) {
          throw new KilnError('bad_input', `The ${chosen.name} backend is not available: ${chosen.detail}.`, 'train.backend');
        }
      }
      const jobId = context.jobs.start('train', input.projectId, (job) => train(job, input));
      return { jobId };
    },
    'runs.list': async ({ projectId }) => {
      context.projects.get(projectId);
      return runs.list(projectId);
    },
    'runs.get': async ({ runId }) => runs.get(runId),
  };
}
