/**
 * Result shapes of the evaluators. Everything here is plain JSON (numbers,
 * strings, null, arrays) because results are stored in SQLite and sent to the
 * UI as they are: no typed arrays, no Infinity, no NaN, no undefined.
 */

/** A numeric score that may be undefined for the data given; `reason` says why when it is null. */
export interface MaybeScore {
  value: number | null;
  reason: string | null;
}

/**
 * ROC curve in descending threshold order, from (0, 0) to (1, 1). The first
 * point's threshold is null: it stands for "above every score".
 */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: (number | null)[];
  /** Points on the exact curve before downsampling for charts. */
  totalPoints: number;
}

/**
 * Precision-recall curve in descending threshold order, starting at
 * (recall 0, precision 1) with a null threshold, as scikit-learn 1.2 draws it
 * (in reverse), then one point per distinct score.
 */
export interface PrCurve {
  recall: number[];
  precision: number[];
  thresholds: (number | null)[];
  totalPoints: number;
}

/** One-vs-rest ranking quality of one class's probability column. */
export interface ClassRanking {
  label: string;
  classIndex: number;
  positives: number;
  negatives: number;
  auc: MaybeScore;
  /** Average precision, scikit-learn's definition of the area under the PR curve. */
  averagePrecision: MaybeScore;
  roc: RocCurve | null;
  pr: PrCurve | null;
}

export interface ClassMetrics {
  label: string;
  /** Rows whose true class is this one. */
  support: number;
  /** Rows predicted as this class. */
  predicted: number;
  /** 0 when nothing was predicted as this class, as scikit-learn's zero_division default does. */
  precision: number;
  /** 0 when the class has no rows. */
  recall: number;
  f1: number;
}

export interface AveragedMetrics {
  precision: number;
  recall: number;
  f1: number;
}

/**
 * The headline numbers under the names scripts rely on. For binary tasks
 * precision, recall and f1 are the positive class's (scikit-learn's
 * `average='binary'`); for multiclass they are macro averages and auc and
 * prAuc are one-vs-rest macro averages over the classes where they are defined.
 */
export interface ClassificationSummary {
  accuracy: number;
  balancedAccuracy: number;
  precision: number;
  recall: number;
  f1: number;
  auc: number | null;
  prAuc: number | null;
  logloss: number;
}

export interface ClassificationEvaluation {
  task: 'binary' | 'multiclass';
  rows: number;
  labels: string[];
  /** Binary only: the class whose probability is scored (labels[1]). */
  positiveLabel: string | null;
  /** Binary only: a row is predicted positive when its positive probability is at least this. */
  threshold: number | null;
  summary: ClassificationSummary;
  perClass: ClassMetrics[];
  macro: AveragedMetrics;
  /** Averaged with each class weighted by its support. */
  weighted: AveragedMetrics;
  /** Binary: the positive class's AUC. Multiclass: one-vs-rest macro AUC over the classes where it is defined. */
  auc: MaybeScore;
  /** Multiclass only: one-vs-rest AUC weighted by class support (null for binary). */
  aucWeighted: number | null;
  prAuc: MaybeScore;
  /** counts[t][p]: rows of true class t predicted as class p, in `labels` order. */
  confusionMatrix: { labels: string[]; counts: number[][] };
  /** Binary: one entry, the positive class. Multiclass: one entry per class, one-vs-rest. */
  rankings: ClassRanking[];
}

export interface ClassificationInput {
  /** Class names; index i in yTrue and column i in proba refer to labels[i]. */
  labels: string[];
  /** True class index of each row. */
  yTrue: Int32Array;
  /**
   * Probabilities, rows × classes, row-major. For two classes a single column
   * (rows values, the probability of labels[1]) is accepted too.
   */
  proba: Float32Array | Float64Array;
  /** Binary only; default 0.5. */
  threshold?: number;
  /** Most points kept per curve for charts; default 200. */
  maxCurvePoints?: number;
}

export interface ResidualQuantiles {
  min: number;
  p05: number;
  p25: number;
  median: number;
  p75: number;
  p95: number;
  max: number;
  mean: number;
  /** Population standard deviation (divides by n). */
  std: number;
}

export interface RegressionSummary {
  rmse: number;
  mae: number;
  r2: number;
  /** Mean absolute percentage error as a fraction (0.1 is 10 %), over rows whose target is not zero. */
  mape: number | null;
}

export interface RegressionEvaluation {
  task: 'regression';
  rows: number;
  summary: RegressionSummary;
  mape: MaybeScore & {
    /** Rows left out of MAPE because their target is exactly zero. */
    skippedZeroTargets: number;
  };
  /** residual = actual − predicted. */
  residuals: {
    quantiles: ResidualQuantiles;
    /** Quantiles of |residual|. */
    absoluteQuantiles: ResidualQuantiles;
    /** An evenly spaced sample of rows for scatter charts; row is the index in the input. */
    sample: { row: number[]; predicted: number[]; actual: number[]; residual: number[] };
    totalPoints: number;
  };
}

export type NumericArray = Float32Array | Float64Array | Int32Array | readonly number[];

export interface RegressionInput {
  yTrue: NumericArray;
  yPred: NumericArray;
  /** Most rows kept in the residual sample; default 1000. */
  maxResidualPoints?: number;
}
