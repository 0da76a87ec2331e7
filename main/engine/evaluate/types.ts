/**
 * Result shapes of the evaluators. They are the zod schemas in
 * shared/api/evaluation.ts, which the UI reads through `Run.details`: the
 * evaluators are typed against those schemas, so the two cannot drift apart.
 * Everything in a result is plain JSON (no typed arrays, no Infinity, no NaN,
 * no undefined), because results are stored in SQLite and sent as they are.
 */
export type {
  AveragedMetrics,
  ClassificationEvaluation,
  ClassificationSummary,
  ClassMetrics,
  ClassRanking,
  Evaluation,
  MaybeScore,
  PrCurve,
  RegressionEvaluation,
  RegressionSummary,
  ResidualQuantiles,
  RocCurve,
  RunDetails,
} from '../../../shared/api/evaluation.js';

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

export type NumericArray = Float32Array | Float64Array | Int32Array | readonly number[];

export interface RegressionInput {
  yTrue: NumericArray;
  yPred: NumericArray;
  /** Most rows kept in the residual sample; default 1000. */
  maxResidualPoints?: number;
}
