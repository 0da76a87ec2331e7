/**
 * What the engine's evaluators produce for one split, and a run's `details`
 * that holds them. The engine's result types are inferred from these schemas
 * (main/engine/evaluate/types.ts), so the evaluators and the Compare step read
 * the same shape. Everything is plain JSON: results are stored in SQLite and
 * sent to the UI as they are. zod's numbers refuse NaN and Infinity, which JSON
 * cannot carry.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
/** Rates and scores in 0..1; not bounded here, since float rounding may land a hair outside and the shape is what matters. */
const fraction = z.number();

/** A numeric score that may be undefined for the data given; `reason` says why when it is null. */
export const MaybeScore = z.object({
  value: z.number().nullable(),
  reason: z.string().nullable(),
});
export type MaybeScore = z.infer<typeof MaybeScore>;

/**
 * ROC curve in descending threshold order, from (0, 0) to (1, 1). The first
 * point's threshold is null: it stands for "above every score".
 */
export const RocCurve = z.object({
  fpr: z.array(fraction),
  tpr: z.array(fraction),
  thresholds: z.array(z.number().nullable()),
  /** Points on the exact curve before downsampling for charts. */
  totalPoints: count,
});
export type RocCurve = z.infer<typeof RocCurve>;

/**
 * Precision-recall curve in descending threshold order, starting at
 * (recall 0, precision 1) with a null threshold, as scikit-learn 1.2 draws it
 * (in reverse), then one point per distinct score.
 */
export const PrCurve = z.object({
  recall: z.array(fraction),
  precision: z.array(fraction),
  thresholds: z.array(z.number().nullable()),
  totalPoints: count,
});
export type PrCurve = z.infer<typeof PrCurve>;

/** One-vs-rest ranking quality of one class's probability column. */
export const ClassRanking = z.object({
  label: z.string(),
  classIndex: count,
  positives: count,
  negatives: count,
  auc: MaybeScore,
  /** Average precision, scikit-learn's definition of the area under the PR curve. */
  averagePrecision: MaybeScore,
  roc: RocCurve.nullable(),
  pr: PrCurve.nullable(),
});
export type ClassRanking = z.infer<typeof ClassRanking>;

export const ClassMetrics = z.object({
  label: z.string(),
  /** Rows whose true class is this one. */
  support: count,
  /** Rows predicted as this class. */
  predicted: count,
  /** 0 when nothing was predicted as this class, as scikit-learn's zero_division default does. */
  precision: fraction,
  /** 0 when the class has no rows. */
  recall: fraction,
  f1: fraction,
});
export type ClassMetrics = z.infer<typeof ClassMetrics>;

export const AveragedMetrics = z.object({
  precision: fraction,
  recall: fraction,
  f1: fraction,
});
export type AveragedMetrics = z.infer<typeof AveragedMetrics>;

/**
 * The headline numbers under the names scripts rely on. For binary tasks
 * precision, recall and f1 are the positive class's (scikit-learn's
 * `average='binary'`); for multiclass they are macro averages and auc and
 * prAuc are one-vs-rest macro averages over the classes where they are defined.
 */
export const ClassificationSummary = z.object({
  accuracy: fraction,
  balancedAccuracy: fraction,
  precision: fraction,
  recall: fraction,
  f1: fraction,
  auc: fraction.nullable(),
  prAuc: fraction.nullable(),
  logloss: z.number().nonnegative(),
});
export type ClassificationSummary = z.infer<typeof ClassificationSummary>;

export const ClassificationEvaluation = z.object({
  task: z.enum(['binary', 'multiclass']),
  rows: count,
  labels: z.array(z.string()),
  /** Binary only: the class whose probability is scored (labels[1]). */
  positiveLabel: z.string().nullable(),
  /** Binary only: a row is predicted positive when its positive probability is at least this. */
  threshold: z.number().nullable(),
  summary: ClassificationSummary,
  perClass: z.array(ClassMetrics),
  macro: AveragedMetrics,
  /** Averaged with each class weighted by its support. */
  weighted: AveragedMetrics,
  /** Binary: the positive class's AUC. Multiclass: one-vs-rest macro AUC over the classes where it is defined. */
  auc: MaybeScore,
  /** Multiclass only: one-vs-rest AUC weighted by class support (null for binary). */
  aucWeighted: fraction.nullable(),
  prAuc: MaybeScore,
  /** counts[t][p]: rows of true class t predicted as class p, in `labels` order. */
  confusionMatrix: z.object({ labels: z.array(z.string()), counts: z.array(z.array(count)) }),
  /** Binary: one entry, the positive class. Multiclass: one entry per class, one-vs-rest. */
  rankings: z.array(ClassRanking),
});
export type ClassificationEvaluation = z.infer<typeof ClassificationEvaluation>;

export const ResidualQuantiles = z.object({
  min: z.number(),
  p05: z.number(),
  p25: z.number(),
  median: z.number(),
  p75: z.number(),
  p95: z.number(),
  max: z.number(),
  mean: z.number(),
  /** Population standard deviation (divides by n). */
  std: z.number().nonnegative(),
});
export type ResidualQuantiles = z.infer<typeof ResidualQuantiles>;

export const RegressionSummary = z.object({
  rmse: z.number().nonnegative(),
  mae: z.number().nonnegative(),
  r2: z.number(),
  /** Mean absolute percentage error as a fraction (0.1 is 10 %), over rows whose target is not zero. */
  mape: z.number().nonnegative().nullable(),
});
export type RegressionSummary = z.infer<typeof RegressionSummary>;

export const RegressionEvaluation = z.object({
  task: z.literal('regression'),
  rows: count,
  summary: RegressionSummary,
  mape: MaybeScore.extend({
    /** Rows left out of MAPE because their target is exactly zero. */
    skippedZeroTargets: count,
  }),
  /** residual = actual − predicted. */
  residuals: z.object({
    quantiles: ResidualQuantiles,
    /** Quantiles of |residual|. */
    absoluteQuantiles: ResidualQuantiles,
    /** An evenly spaced sample of rows for scatter charts; row is the index in the input. */
    sample: z.object({
      row: z.array(count),
      predicted: z.array(z.number()),
      actual: z.array(z.number()),
      residual: z.array(z.number()),
    }),
    totalPoints: count,
  }),
});
export type RegressionEvaluation = z.infer<typeof RegressionEvaluation>;

/** The evaluation of one split, told apart by its task. */
export const Evaluation = z.discriminatedUnion('task', [ClassificationEvaluation, RegressionEvaluation]);
export type Evaluation = z.infer<typeof Evaluation>;

/** How Auto scored candidates: k-fold cross-validation on small data, the validation split on large data. */
export const SelectionMethod = z.enum(['crossValidation', 'holdout']);
export type SelectionMethod = z.infer<typeof SelectionMethod>;

/** The score a candidate was chosen by, and how far it can be trusted. */
/** A family's part in Auto: a candidate, the reference model others must beat (the default linear model), or the baseline that ignores the features. */
export const AutoRole = z.enum(['candidate', 'reference', 'baseline']);
export type AutoRole = z.infer<typeof AutoRole>;

export const SelectionScore = z.object({
  method: SelectionMethod,
  /** The main metric (auc, accuracy, rmse). */
  metric: z.string(),
  /** One score per fold; one score for a holdout. */
  foldScores: z.array(z.number()),
  mean: z.number().nullable(),
  /** Population standard deviation of the fold scores; null for a holdout. */
  std: z.number().nonnegative().nullable(),
  /** Rows the scores were taken on: every fold together, or the validation split. */
  rows: count,
  /** The family's default settings (the default linear model is the reference Auto must beat). */
  defaults: z.boolean(),
  /** The run's part in the choice: its family's role when it ran with the defaults, else a candidate. */
  role: AutoRole,
});
export type SelectionScore = z.infer<typeof SelectionScore>;

/** A finished run's full evaluation (curves, confusion matrix, per class, residuals) for the Compare step. */
export const RunDetails = z.object({
  validation: Evaluation.nullable(),
  test: Evaluation.nullable(),
  /** The trees refit on train + validation: their validation scores are not a fair estimate, and the UI says so. */
  validationUsedInFit: z.boolean(),
  /** Auto's candidates: the selection score; absent on a single-family run and on runs stored before it existed. */
  selection: SelectionScore.optional(),
});
export type RunDetails = z.infer<typeof RunDetails>;
