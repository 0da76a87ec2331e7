import { create } from 'zustand';
import type { Dataset, DatasetSplit, Job } from '../../../shared/api.js';
import {
  FeatureSettings,
  TrainSettings,
  type BackendInfo,
  type EpochRecord,
  type ModelChoice,
  type ModelFamily,
  type ParamValue,
  type Run,
  type TrainResult,
} from '../../../shared/api/train.js';
import type { KilnEvent } from '../../../shared/events.js';
import { jobResult } from '../api/jobs.js';
import { api, connection } from '../api/transport.js';
import { errorText } from './errorText.js';
import { useFamilies } from './families.js';

/** The latest `run.progress` of the job being watched, for the live numbers. */
export interface LiveProgress {
  runId: string;
  model: ModelFamily;
  backend: string;
  device: string;
  metricName: string;
  record: EpochRecord;
  fraction: number;
  etaSeconds: number | null;
}

/** One run's curve as it is drawn: from progress events while it trains, from its stored history after. */
export interface LiveRun {
  runId: string;
  model: ModelFamily;
  metricName: string;
  records: EpochRecord[];
}

export type FeaturesSource = 'recipe' | 'suggested';

/** Where the test metrics come from: a split of the training file, or a separate file cleaned the same way. */
export type TestSource = 'split' | 'file';

/** A test file sent to the host for the next run; it is split in when training starts. */
export interface TestFile {
  name: string;
  path: string;
}

interface TrainState {
  projectId: string | null;
  datasets: Dataset[];
  datasetId: string | null;
  features: FeatureSettings | null;
  featuresSource: FeaturesSource | null;
  /** Problems `features.suggest` found, shown before the user starts. */
  featureProblems: string[];
  settings: TrainSettings;
  backends: BackendInfo[];
  /** The job being watched; set as soon as `train.start` answers, before its first event. */
  jobId: string | null;
  job: Job | null;
  /** What the watched job was asked to train; null when it was found running, not started here. */
  jobModel: ModelChoice | null;
  /** Runs of the watched job, in the order they started. */
  jobRuns: Run[];
  liveRuns: LiveRun[];
  last: LiveProgress | null;
  starting: boolean;
  /** What `starting` is waiting for, shown on the button. */
  startingStage: string | null;
  testSource: TestSource;
  testFile: TestFile | null;
  attaching: boolean;
  error: string | null;
  load(projectId: string): Promise<void>;
  chooseTestSource(source: TestSource): void;
  attachTestFile(file: File): Promise<void>;
  chooseDataset(datasetId: string): Promise<void>;
  updateSettings(patch: Partial<Omit<TrainSettings, ModelFamily>>): void;
  /** Sets some of one family's hyperparameters; the rest keep their values or the family's defaults. */
  updateParams(family: ModelFamily, patch: Record<string, ParamValue>): void;
  /** Every family back to its defaults. */
  resetAdvanced(): void;
  start(): Promise<void>;
  cancel(): Promise<void>;
  onEvent(event: KilnEvent): void;
  clearError(): void;
}

const message = errorText;

export const defaultTrainSettings = (): TrainSettings => TrainSettings.parse({});

export function isJobActive(job: Job | null): boolean {
  return job !== null && (job.state === 'queued' || job.state === 'running');
}

let unsubscribe: (() => void) | null = null;

/** Progress records are buffered and drawn a few times a second: tree models send hundreds of rounds quickly. */
const pendingProgress: LiveProgress[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;

function withRecord(records: EpochRecord[], record: EpochRecord): EpochRecord[] {
  const last = records[records.length - 1];
  if (!last || last.epoch < record.epoch) return [...records, record];
  // Out of order or repeated (a reconnect resends): keep one record per epoch, in order.
  return [...records.filter((existing) => existing.epoch !== record.epoch), record].sort((a, b) => a.epoch - b.epoch);
}

function upsertRun(runs: Run[], run: Run): Run[] {
  const index = runs.findIndex((existing) => existing.id === run.id);
  if (index < 0) return [...runs, run].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return runs.map((existing) => (existing.id === run.id ? run : existing));
}

function liveFromRun(liveRuns: LiveRun[], run: Run): LiveRun[] {
  const existing = liveRuns.find((live) => live.runId === run.id);
  if (existing && existing.records.length >= run.history.length) return liveRuns;
  const next: LiveRun = { runId: run.id, model: run.model, metricName: run.metricName, records: run.history };
  return existing ? liveRuns.map((live) => (live.runId === run.id ? next : live)) : [...liveRuns, next];
}

function readSection<T>(
  recipe: unknown,
  key: string,
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
): T | null {
  if (typeof recipe !== 'object' || recipe === null || !(key in recipe)) return null;
  const parsed = schema.safeParse((recipe as Record<string, unknown>)[key]);
  return parsed.success ? parsed.data : null;
}

export const useTrain = create<TrainState>((set, get) => {
  const flushProgress = () => {
    flushTimer = null;
    if (pendingProgress.length === 0) return;
    const batch = pendingProgress.splice(0);
    let liveRuns = get().liveRuns;
    for (const progress of batch) {
      const existing = liveRuns.find((live) => live.runId === progress.runId);
      liveRuns = existing
        ? liveRuns.map((live) => (live.runId === progress.runId ? { ...live, records: withRecord(live.records, progress.record) } : live))
        : [...liveRuns, { runId: progress.runId, model: progress.model, metricName: progress.metricName, records: [progress.record] }];
    }
    set({ liveRuns, last: batch[batch.length - 1] ?? get().last });
  };

  const loadJobRuns = async (jobId: string) => {
    const projectId = get().projectId;
    if (!projectId) return;
    const runs = (await api.call('runs.list', { projectId })).filter((run) => run.jobId === jobId);
    if (get().jobId !== jobId) return;
    let jobRuns = get().jobRuns;
    let liveRuns = get().liveRuns;
    for (const run of runs) {
      jobRuns = upsertRun(jobRuns, run);
      liveRuns = liveFromRun(liveRuns, run);
    }
    set({ jobRuns, liveRuns });
  };

  /** The saved features, or Kiln's suggestion for the dataset when none are saved. */
  const loadFeatures = async (projectId: string, datasetId: string | null) => {
    const recipe = await api.call('recipe.get', { projectId });
    const saved = readSection(recipe, 'features', FeatureSettings);
    const savedTrain = readSection(recipe, 'train', TrainSettings);
    // The recipe's train section is saved as a job starts, so for a job found running it is what the job was
    // started with; only a job started here keeps the form as it is.
    if (savedTrain && !(isJobActive(get().job) && get().jobModel !== null)) set({ settings: savedTrain });
    if (saved) {
      set({ features: saved, featuresSource: 'recipe', featureProblems: [] });
      return;
    }
    set({ features: null, featuresSource: null, featureProblems: [] });
    if (!datasetId) return;
    const suggestion = await api.call('features.suggest', { datasetId });
    if (get().datasetId !== datasetId) return;
    set({ features: suggestion.settings, featuresSource: 'suggested', featureProblems: suggestion.problems });
  };

  const saveTrainSettings = async (projectId: string, settings: TrainSettings) => {
    const recipe = await api.call('recipe.get', { projectId });
    const next = { ...recipe, train: settings };
    await api.call('recipe.save', { projectId, recipe: next });
  };

  return {
    projectId: null,
    datasets: [],
    datasetId: null,
    features: null,
    featuresSource: null,
    featureProblems: [],
    settings: defaultTrainSettings(),
    backends: [],
    jobId: null,
    job: null,
    jobModel: null,
    jobRuns: [],
    liveRuns: [],
    last: null,
    starting: false,
    startingStage: null,
    testSource: 'split',
    testFile: null,
    attaching: false,
    error: null,

    load: async (projectId) => {
      unsubscribe ??= api.subscribe((event) => get().onEvent(event));
      void useFamilies.getState().load();
      if (get().projectId !== projectId) {
        set({
          projectId,
          datasets: [],
          datasetId: null,
          features: null,
          featuresSource: null,
          featureProblems: [],
          settings: defaultTrainSettings(),
          jobId: null,
          job: null,
          jobModel: null,
          jobRuns: [],
          liveRuns: [],
          last: null,
          testSource: 'split',
          testFile: null,
          error: null,
        });
      }
      try {
        const [datasets, backends, jobs] = await Promise.all([
          api.call('datasets.list', { projectId }),
          // Without the list the choice is only "fastest available", which still trains.
          api.call('backends.list', {}).catch(() => []),
          api.call('jobs.list', { projectId }),
        ]);
        if (get().projectId !== projectId) return;
        const current = get().datasetId;
        const datasetId = current && datasets.some((dataset) => dataset.id === current) ? current : (datasets[0]?.id ?? null);
        set({ datasets, backends, datasetId });
        // Coming back to the step while a job trains: watch it again.
        const running = jobs.find((job) => job.kind === 'train' && isJobActive(job));
        if (running && get().jobId !== running.id) {
          set({ jobId: running.id, job: running, jobModel: null, jobRuns: [], liveRuns: [], last: null });
          await loadJobRuns(running.id);
        }
        await loadFeatures(projectId, datasetId);
      } catch (error) {
        set({ error: message(error) });
      }
    },

    chooseDataset: async (datasetId) => {
      const projectId = get().projectId;
      set({ datasetId, error: null });
      if (!projectId) return;
      try {
        await loadFeatures(projectId, datasetId);
      } catch (error) {
        set({ error: message(error) });
      }
    },

    chooseTestSource: (testSource) => set({ testSource, error: null }),

    attachTestFile: async (file) => {
      const projectId = get().projectId;
      if (!projectId) return;
      set({ attaching: true, error: null, testSource: 'file' });
      try {
        const staged = await connection.stageFile(projectId, file);
        set({ testFile: { name: file.name, path: staged.path } });
      } catch (error) {
        set({ error: message(error) });
      } finally {
        set({ attaching: false });
      }
    },

    updateSettings: (patch) => set({ settings: { ...get().settings, ...patch } }),
    updateParams: (family, patch) => {
      const settings = get().settings;
      set({ settings: { ...settings, [family]: { ...settings[family], ...patch } } });
    },
    resetAdvanced: () => {
      // A family without a section trains with its defaults; the engine fills them in.
      const { budgetSeconds, backend, model, seed } = get().settings;
      set({ settings: { budgetSeconds, backend, model, seed } });
    },

    start: async () => {
      const { projectId, datasetId, features, settings } = get();
      if (isJobActive(get().job) || get().starting) return;
      if (!projectId || !datasetId) {
        set({ error: 'Import a dataset before training.' });
        return;
      }
      if (!features) {
        set({ error: 'Choose the target and the features in the Features step first.' });
        return;
      }
      const checked = TrainSettings.safeParse(settings);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        set({ error: issue ? `A training setting is not valid: ${issue.message}` : 'The training settings are not valid.' });
        return;
      }
      const { testSource, testFile } = get();
      if (testSource === 'file' && !testFile) {
        set({ error: 'Attach the test file first, or test on a split of this file.' });
        return;
      }
      set({ starting: true, error: null, jobId: null, job: null, jobModel: checked.data.model, jobRuns: [], liveRuns: [], last: null });
      try {
        await saveTrainSettings(projectId, checked.data);
        let splitId: string | undefined;
        if (testSource === 'file' && testFile) {
          set({ startingStage: `Cleaning ${testFile.name} like the training data…` });
          const split = await splitWithTestFile(datasetId, features, checked.data.seed, testFile.path);
          splitId = split.id;
        }
        set({ startingStage: null });
        const { jobId } = await api.call('train.start', {
          projectId,
          datasetId,
          ...(splitId === undefined ? {} : { splitId }),
          features,
          train: checked.data,
        });
        set({ jobId });
        const job = await api.call('jobs.get', { jobId });
        // An event may have brought a newer state while jobs.get was on its way.
        if (!get().job) get().onEvent({ type: 'job.updated', job });
        await loadJobRuns(jobId);
      } catch (error) {
        set({ error: message(error) });
      } finally {
        set({ starting: false, startingStage: null });
      }
    },

    cancel: async () => {
      const { jobId, job } = get();
      if (!jobId || (job && !isJobActive(job))) return;
      try {
        get().onEvent({ type: 'job.updated', job: await api.call('jobs.cancel', { jobId }) });
      } catch (error) {
        set({ error: message(error) });
      }
    },

    onEvent: (event) => {
      const { jobId, job } = get();
      if (!jobId) return;
      if (event.type === 'job.updated') {
        if (event.job.id !== jobId) return;
        // A late event must not move a finished job back to running.
        if (job && !isJobActive(job) && isJobActive(event.job)) return;
        set({ job: event.job });
        if (event.job.state === 'failed') set({ error: event.job.error ?? 'Training failed.' });
        if (!isJobActive(event.job)) {
          if (flushTimer) clearTimeout(flushTimer);
          flushProgress();
          void loadJobRuns(event.job.id).catch((error: unknown) => set({ error: message(error) }));
        }
        return;
      }
      if (event.type === 'run.progress') {
        if (event.jobId !== jobId) return;
        pendingProgress.push({
          runId: event.runId,
          model: event.model,
          backend: event.backend,
          device: event.device,
          metricName: event.metricName,
          record: event.record,
          fraction: event.fraction,
          etaSeconds: event.etaSeconds,
        });
        flushTimer ??= setTimeout(flushProgress, 200);
        return;
      }
      if (event.type === 'runs.changed') {
        if (event.run.jobId !== jobId) return;
        set({ jobRuns: upsertRun(get().jobRuns, event.run), liveRuns: liveFromRun(get().liveRuns, event.run) });
      }
    },

    clearError: () => set({ error: null }),
  };
});

/** Resolves with the job once it is no longer queued or running, from its events, checked against `jobs.get`. */
async function finishedJob(jobId: string): Promise<Job> {
  return new Promise<Job>((resolve, reject) => {
    let done = false;
    const finish = (job: Job) => {
      if (done || isJobActive(job)) return;
      done = true;
      stop();
      resolve(job);
    };
    const stop = api.subscribe((event) => {
      if (event.type === 'job.updated' && event.job.id === jobId) finish(event.job);
    });
    // The job may have finished before the subscription.
    api.call('jobs.get', { jobId }).then(finish, (error: unknown) => {
      done = true;
      stop();
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

/** A split whose test part is the separate file, put through the same cleaning steps as the training data. */
async function splitWithTestFile(datasetId: string, features: FeatureSettings, seed: number, testFile: string): Promise<DatasetSplit> {
  const task = features.task === 'regression' ? 'regression' : 'classification';
  const { jobId } = await api.call('split.create', {
    datasetId,
    target: features.target,
    task,
    seed,
    stratify: task === 'classification',
    testFile,
  });
  const job = await finishedJob(jobId);
  const split = jobResult(job, 'split');
  if (!split) throw new Error(job.error ?? 'The test file could not be split in.');
  return split;
}

/** The job's result once it succeeded, as the contract promises it. */
export function trainResult(job: Job | null): TrainResult | null {
  return jobResult(job, 'train');
}
