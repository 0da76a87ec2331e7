/** Which run is better: used by the stores (default choices, sorting) and by the components that show runs. */
import type { Run } from '../../../shared/api/train.js';

const lowerIsBetter = new Set(['rmse', 'mae', 'mape', 'logloss', 'loss']);

export function higherIsBetter(metricName: string): boolean {
  return !lowerIsBetter.has(metricName);
}

/** The run's validation score on its own headline metric, or null while it has none. */
export function mainMetric(run: Run): number | null {
  return run.metrics.validation?.[run.metricName] ?? null;
}

/** The best finished run by its validation metric; runs of different metrics are not compared. */
export function bestRun(runs: Run[]): Run | null {
  let best: Run | null = null;
  for (const run of runs) {
    const score = mainMetric(run);
    if (run.status !== 'succeeded' || score === null) continue;
    const bestScore = best ? mainMetric(best) : null;
    if (!best || bestScore === null) {
      best = run;
      continue;
    }
    if (run.metricName !== best.metricName) continue;
    if (higherIsBetter(run.metricName) ? score > bestScore : score < bestScore) best = run;
  }
  return best;
}
