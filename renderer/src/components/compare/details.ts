/**
 * What the Compare charts draw from a run's `details`, the engine's evaluation
 * of the validation split. `Run.details` is typed by its schema in
 * shared/api/evaluation.ts and checked where the run is written, so this only
 * picks out the chart series.
 */
import type { ClassRanking, Evaluation, RunDetails } from '../../../../shared/api/evaluation.js';

export interface Curve {
  x: number[];
  y: number[];
}

export interface ClassRankingView {
  label: string;
  auc: number | null;
  averagePrecision: number | null;
  roc: Curve | null;
  pr: Curve | null;
}

export interface ClassificationView {
  task: 'binary' | 'multiclass';
  labels: string[];
  confusion: { labels: string[]; counts: number[][] } | null;
  rankings: ClassRankingView[];
}

export interface RegressionView {
  task: 'regression';
  predicted: number[];
  actual: number[];
  residual: number[];
}

export type DetailsView = ClassificationView | RegressionView;

/** A curve with no points is no curve to draw. */
function curve(x: number[], y: number[]): Curve | null {
  return x.length > 0 ? { x, y } : null;
}

function rankingView(ranking: ClassRanking): ClassRankingView {
  return {
    label: ranking.label,
    auc: ranking.auc.value,
    averagePrecision: ranking.averagePrecision.value,
    roc: ranking.roc ? curve(ranking.roc.fpr, ranking.roc.tpr) : null,
    pr: ranking.pr ? curve(ranking.pr.recall, ranking.pr.precision) : null,
  };
}

function evaluationView(evaluation: Evaluation): DetailsView {
  if (evaluation.task === 'regression') {
    const { predicted, actual, residual } = evaluation.residuals.sample;
    return { task: 'regression', predicted, actual, residual };
  }
  return {
    task: evaluation.task,
    labels: evaluation.labels,
    confusion: evaluation.confusionMatrix,
    rankings: evaluation.rankings.map(rankingView),
  };
}

/** The validation split's charts, or null for a run without them (still running, failed, or no validation split). */
export function readDetails(details: RunDetails | null): DetailsView | null {
  return details?.validation ? evaluationView(details.validation) : null;
}
