/**
 * Features, training runs and compute backends: the contract of the Features,
 * Train and Compare steps. The recipe's `features` and `train` sections use
 * these schemas too, so the wizard and `kiln run` mean the same thing.
 */
import { z } from 'zod';
import { JobHandle } from './core.js';
import { AutoRole, RunDetails, SelectionMethod } from './evaluation.js';
import { Id, method } from './method.js';

export const Task = z.enum(['binary', 'multiclass', 'regression']);
export type Task = z.infer<typeof Task>;

/** The one list of model family ids; everything else about a family lives in its folder under main/engine/models/. */
export const ModelFamily = z.enum(['linear', 'mlp', 'gbdt', 'forest', 'baseline']);
export type ModelFamily = z.infer<typeof ModelFamily>;

export const ModelChoice = z.union([z.literal('auto'), ModelFamily]);
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

/** A hyperparameter's value: every family's settings are flat numbers, switches and choices. */
export const ParamValue = z.union([z.number(), z.boolean(), z.string()]);
export type ParamValue = z.infer<typeof ParamValue>;

/**
 * One family's hyperparameters as the recipe holds them. The family's own
 * schema (in its folder in the engine) checks the names and ranges and fills
 * the defaults when training starts.
 */
export const ParamSection = z.record(z.string(), ParamValue);
export type ParamSection = z.infer<typeof ParamSection>;

const familySections = Object.fromEntries(ModelFamily.options.map((family) => [family, ParamSection.optional()])) as Record<
  ModelFamily,
  z.ZodOptional<typeof ParamSection>
>;

/** The recipe's `train` section: the fixed settings, then one optional section per family keyed by its id (`train.gbdt.learningRate`). */
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
  ...familySections,
});
export type TrainSettings = z.infer<typeof TrainSettings>;

/** One hyperparameter as the settings form shows it. */
export const ParamField = z.object({
  key: z.string(),
  label: z.string(),
  /** A word or two for one-line summaries, e.g. "lr". */
  short: z.string(),
  help: z.string(),
  kind: z.enum(['integer', 'number', 'boolean', 'choice']),
  min: z.number().optional(),
  /** Values must be strictly above `min` (learning rates, sample shares). */
  minExclusive: z.boolean().optional(),
  max: z.number().optional(),
  step: z.number().optional(),
  choices: z.array(z.string()).optional(),
  default: ParamValue,
  /** Worth showing in a one-line summary of a run (the leaderboard). */
  summary: z.boolean(),
});
export type ParamField = z.infer<typeof ParamField>;

/** What the UI knows of a family, from the engine's registry. */
export const FamilyInfo = z.object({
  id: ModelFamily,
  /** e.g. "Gradient-boosted trees". */
  name: z.string(),
  /** e.g. "GBDT". */
  shortLabel: z.string(),
  /** The short label of a classifier where it differs, e.g. "Logistic" for a linear model. */
  classifierLabel: z.string().optional(),
  description: z.string(),
  /** What one progress record is: a boosting round or tree, or an epoch. */
  progressUnit: z.enum(['round', 'epoch']),
  /** Trains on the compute backend (tfjs); the others run natively on the CPU. */
  usesBackend: z.boolean(),
  /** What Auto measures the others against, with this family's defaults: the reference model to beat, or the baseline that ignores the features. */
  autoRole: AutoRole,
  fields: z.array(ParamField),
});
export type FamilyInfo = z.infer<typeof FamilyInfo>;

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
  /** Auto: how the candidates were scored (cross-validation on small data); null or absent for a single family. */
  selection: SelectionMethod.nullable().optional(),
  /** Auto: why the chosen model is not the top score (the default linear model kept over a lead within the spread). */
  reason: z.string().nullable().optional(),
  /** What the user should know before trusting the choice: within noise of the baseline, too few rows to tell candidates apart. */
  warnings: z.array(z.string()).optional(),
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
  'models.families': method(z.object({}), z.array(FamilyInfo), 'The model families: names, settings and their defaults.'),
  'runs.list': method(z.object({ projectId: Id }), z.array(Run), 'Runs of a project, newest first.'),
  'runs.get': method(z.object({ runId: Id }), Run, 'One run.'),
  'backends.list': method(z.object({}), z.array(BackendInfo), 'Compute backends for the neural models, and why missing ones are missing.'),
} as const;
