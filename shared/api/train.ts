/**
 * Features, training runs and compute backends: the contract of the Features,
 * Train and Compare steps. The recipe's `features` and `train` sections use
 * these schemas too, so the wizard and `kiln run` mean the same thing.
 */
import { z } from 'zod';
import { JobHandle } from './core.js';
import { RunDetails } from './evaluation.js';
import { Id, method } from './method.js';

export const Task = z.enum(['binary', 'multiclass', 'regression']);
export type Task = z.infer<typeof Task>;

export const ModelFamily = z.enum(['linear', 'mlp', 'gbdt']);
export type ModelFamily = z.infer<typeof ModelFamily>;

export const ModelChoice = z.enum(['auto', 'linear', 'mlp', 'gbdt']);
export type ModelChoice = z.infer<typeof ModelChoice>;

export const BackendName = z.enum(['tensorflow', 'webgpu', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendName>;

/** How one feature is prepared. Fitted values (means, category lists) come from the training split only. */
export const FeatureEncoding = z.object({
  /** numeric: imputed then standardised. categorical: one-hot for linear and MLP, native in the trees. */
  kind: z.enum(['numeric', 'categorical']),
  impute: z.enum(['mean', 'median', 'mostFrequent', 'constant']).default('median'),
  /** The fill value for `constant`. */
  imputeValue: z.union([z.number(), z.string()]).optional(),
  /** Numeric features: standardise to zero mean and unit variance (linear and MLP only). */
  standardize: z.boolean().default(true),
  /** Categorical features: levels with fewer training rows than this fold into "other". */
  minLevelCount: z.number().int().min(1).default(10),
  /** Categorical features: at most this many levels keep their own column; the rest fold into "other". */
  maxLevels: z.number().int().min(2).max(1000).default(50),
});
export type FeatureEncoding = z.infer<typeof FeatureEncoding>;

export const FeatureChoice = z.object({
  name: z.string().min(1),
  include: z.boolean(),
  encoding: FeatureEncoding,
  /** Why a default left it out or chose this encoding, for the user to read. */
  reason: z.string().optional(),
});
export type FeatureChoice = z.infer<typeof FeatureChoice>;

/** The recipe's `features` section. */
export const FeatureSettings = z.object({
  target: z.string().min(1, 'Choose the target column.'),
  task: Task,
  features: z.array(FeatureChoice).min(1, 'Choose at least one feature.'),
  /** binary: the class counted as positive; defaults to the second class in sorted order. */
  positiveClass: z.string().optional(),
});
export type FeatureSettings = z.infer<typeof FeatureSettings>;

export const LinearParams = z.object({
  l2: z.number().min(0).default(1e-4),
  learningRate: z.number().positive().default(0.05),
  batchSize: z.number().int().min(1).default(512),
  epochs: z.number().int().min(1).max(1000).default(40),
  patience: z.number().int().min(0).default(5),
});
export type LinearParams = z.infer<typeof LinearParams>;

export const MlpParams = z.object({
  layers: z.number().int().min(1).max(8).default(2),
  width: z.number().int().min(2).max(4096).default(64),
  dropout: z.number().min(0).max(0.9).default(0.1),
  learningRate: z.number().positive().default(1e-3),
  batchSize: z.number().int().min(1).default(256),
  epochs: z.number().int().min(1).max(1000).default(60),
  /** Early stopping: epochs without a better validation loss. */
  patience: z.number().int().min(0).default(6),
  /** Weight classes inversely to their frequency (imbalanced targets). */
  classWeights: z.boolean().default(false),
});
export type MlpParams = z.infer<typeof MlpParams>;

export const GbdtParams = z.object({
  rounds: z.number().int().min(1).max(10000).default(400),
  learningRate: z.number().positive().max(1).default(0.1),
  maxDepth: z.number().int().min(0).max(16).default(6),
  numLeaves: z.number().int().min(0).default(0),
  subsample: z.number().gt(0).max(1).default(1),
  colsampleByTree: z.number().gt(0).max(1).default(1),
  lambda: z.number().min(0).default(1),
  minChildWeight: z.number().min(0).default(1),
  earlyStoppingRounds: z.number().int().min(0).default(20),
});
export type GbdtParams = z.infer<typeof GbdtParams>;

/** The recipe's `train` section. */
export const TrainSettings = z.object({
  model: ModelChoice.default('auto'),
  /** Auto: the time budget for the whole search. */
  budgetSeconds: z
    .number()
    .int()
    .min(5)
    .max(24 * 3600)
    .default(60),
  seed: z.number().int().min(0).default(42),
  backend: z.union([z.literal('auto'), BackendName]).default('auto'),
  linear: LinearParams.default(LinearParams.parse({})),
  mlp: MlpParams.default(MlpParams.parse({})),
  gbdt: GbdtParams.default(GbdtParams.parse({})),
});
export type TrainSettings = z.infer<typeof TrainSettings>;

/** One epoch (neural models) or boosting round (trees). */
export const EpochRecord = z.object({
  epoch: z.number().int(),
  trainLoss: z.number().nullable(),
  validLoss: z.number().nullable(),
  /** The validation metric named by the run's `metricName` (AUC, accuracy or RMSE). */
  validMetric: z.number().nullable(),
  rowsPerSecond: z.number().nullable(),
  /** Time waiting for the next batch of data, against time computing, in this epoch. */
  dataWaitMs: z.number().nullable(),
  computeMs: z.number().nullable(),
});
export type EpochRecord = z.infer<typeof EpochRecord>;

export const RunStatus = z.enum(['running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatus>;

/** Headline metrics; the names are a promise to scripts (`kiln train --json`). */
export const MetricSummary = z.record(z.string(), z.number().nullable());
export type MetricSummary = z.infer<typeof MetricSummary>;

export const Run = z.object({
  id: z.string(),
  projectId: z.string(),
  datasetId: z.string().nullable(),
  datasetVersion: z.string().nullable(),
  splitId: z.string().nullable(),
  /** Auto runs group their candidates under the job that made them. */
  jobId: z.string().nullable(),
  status: RunStatus,
  task: Task,
  target: z.string(),
  model: ModelFamily,
  params: z.record(z.string(), z.unknown()),
  seed: z.number().int(),
  backend: z.string(),
  device: z.string(),
  appVersion: z.string(),
  metricName: z.string(),
  history: z.array(EpochRecord),
  metrics: z.object({
    validation: MetricSummary.nullable(),
    test: MetricSummary.nullable(),
  }),
  /** The full evaluation (curves, confusion matrix, per class, residuals) for the Compare step. */
  details: RunDetails.nullable(),
  trainMs: z.number().nullable(),
  durationMs: z.number().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
});
export type Run = z.infer<typeof Run>;

export const FeatureSuggestion = z.object({
  settings: FeatureSettings,
  /** Why this task was chosen, e.g. "Y has 2 values". */
  taskReason: z.string(),
  /** The classes of a classification target, in label order. */
  classes: z.array(z.string()),
  /** Problems that would stop training, each a sentence naming the column. */
  problems: z.array(z.string()),
});
export type FeatureSuggestion = z.infer<typeof FeatureSuggestion>;

export const BackendInfo = z.object({
  name: BackendName,
  available: z.boolean(),
  /** Available: the device it runs on. Not available: why not. */
  detail: z.string(),
});
export type BackendInfo = z.infer<typeof BackendInfo>;

export const TrainResult = z.object({
  runIds: z.array(z.string()),
  bestRunId: z.string().nullable(),
});
export type TrainResult = z.infer<typeof TrainResult>;

export const trainMethods = {
  'features.suggest': method(
    z.object({ datasetId: Id, target: z.string().min(1).optional() }),
    FeatureSuggestion,
    'Detect the task and propose features and encodings for a target, with reasons.',
  ),
  'train.start': method(
    z.object({
      projectId: Id,
      datasetId: Id,
      /** A split of the dataset; when absent a seeded stratified 70/15/15 split is made. */
      splitId: Id.optional(),
      features: FeatureSettings,
      train: TrainSettings,
    }),
    JobHandle,
    'Train one model family, or Auto, in a worker process. Returns a job; its result is a TrainResult.',
  ),
  'runs.list': method(z.object({ projectId: Id }), z.array(Run), 'Runs of a project, newest first.'),
  'runs.get': method(z.object({ runId: Id }), Run, 'One run.'),
  'backends.list': method(z.object({}), z.array(BackendInfo), 'Compute backends for the neural models, and why missing ones are missing.'),
} as const;
