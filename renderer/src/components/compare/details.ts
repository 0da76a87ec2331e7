/**
 * Reads a run's `details` (the engine's evaluation of the validation split, see
 * main/engine/evaluate/types.ts) defensively: it crosses the wire as unknown,
 * and runs stored by older versions may lack parts of it.
 */

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

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function numbers(value: unknown): number[] | null {
  if (!Array.isArray(value)) return null;
  return value.every((entry) => typeof entry === 'number' && Number.isFinite(entry)) ? (value as number[]) : null;
}

function strings(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  return value.every((entry) => typeof entry === 'string') ? (value as string[]) : null;
}

function score(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (isObject(value) && typeof value.value === 'number') return value.value;
  return null;
}

function curve(value: unknown, xKey: string, yKey: string): Curve | null {
  if (!isObject(value)) return null;
  const x = numbers(value[xKey]);
  const y = numbers(value[yKey]);
  return x && y && x.length === y.length && x.length > 0 ? { x, y } : null;
}

function confusion(value: unknown): ClassificationView['confusion'] {
  if (!isObject(value)) return null;
  const labels = strings(value.labels);
  const rows = Array.isArray(value.counts) ? value.counts.map(numbers) : null;
  if (!labels || !rows || rows.length !== labels.length) return null;
  if (!rows.every((row): row is number[] => row !== null && row.length === labels.length)) return null;
  return { labels, counts: rows };
}

/** The evaluation object itself, whether `details` is it or holds it under `validation`. */
function evaluation(details: unknown): Json | null {
  if (!isObject(details)) return null;
  if (typeof details.task === 'string') return details;
  if (isObject(details.validation) && typeof details.validation.task === 'string') return details.validation;
  return null;
}

export function readDetails(details: unknown): DetailsView | null {
  const found = evaluation(details);
  if (!found) return null;
  if (found.task === 'regression') {
    const sample = isObject(found.residuals) && isObject(found.residuals.sample) ? found.residuals.sample : null;
    const predicted = numbers(sample?.predicted);
    const actual = numbers(sample?.actual);
    const residual = numbers(sample?.residual);
    if (!predicted || !actual || !residual || predicted.length !== residual.length) return null;
    return { task: 'regression', predicted, actual, residual };
  }
  if (found.task !== 'binary' && found.task !== 'multiclass') return null;
  const rankings = Array.isArray(found.rankings)
    ? found.rankings.filter(isObject).map((ranking) => ({
        label: typeof ranking.label === 'string' ? ranking.label : '',
        auc: score(ranking.auc),
        averagePrecision: score(ranking.averagePrecision),
        roc: curve(ranking.roc, 'fpr', 'tpr'),
        pr: curve(ranking.pr, 'recall', 'precision'),
      }))
    : [];
  return { task: found.task, labels: strings(found.labels) ?? [], confusion: confusion(found.confusionMatrix), rankings };
}
