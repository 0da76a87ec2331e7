/** How runs, models and metrics read in the Train and Compare steps. */
import type { ModelChoice, ModelFamily, Run, Task } from '../../../../shared/api/train.js';
import { familyName, familyShortLabel, useFamilies } from '../../stores/families.js';

// Ranking lives outside components so the stores can use it; the components keep importing it from here.
export { bestRun, higherIsBetter, mainMetric } from '../../runs/ranking.js';

/** The title of a model choice, from the families the engine registers. */
export function modelTitle(model: ModelChoice): string {
  return model === 'auto' ? 'Auto' : familyName(useFamilies.getState().families, model);
}

export function modelShortName(model: ModelFamily, task?: Task): string {
  return familyShortLabel(useFamilies.getState().families, model, task);
}

const metricTitles: Record<string, string> = {
  accuracy: 'Accuracy',
  balancedAccuracy: 'Balanced accuracy',
  auc: 'AUC',
  prAuc: 'PR AUC',
  logloss: 'Log loss',
  f1: 'F1',
  precision: 'Precision',
  recall: 'Recall',
  rmse: 'RMSE',
  mae: 'MAE',
  r2: 'R²',
  mape: 'MAPE',
};

export function metricTitle(name: string): string {
  return metricTitles[name] ?? name;
}

export function formatMetric(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return value.toLocaleString('en-US', { maximumFractionDigits: 1 });
  if (magnitude >= 10) return value.toFixed(2);
  return value.toFixed(4);
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  return formatDuration(Math.max(0, seconds) * 1000);
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export function formatRate(rowsPerSecond: number | null | undefined): string {
  if (rowsPerSecond === null || rowsPerSecond === undefined || !Number.isFinite(rowsPerSecond)) return '—';
  return `${compact.format(rowsPerSecond)} rows/s`;
}

export function formatStarted(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = date.toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  // Today's runs need only the time; older ones the day as well.
  if (date.toDateString() === new Date().toDateString()) return time;
  return `${date.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })} ${time}`;
}

export const statusTitles: Record<Run['status'], string> = {
  running: 'Running',
  succeeded: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

/** Share of an epoch spent waiting for data, or null when the trainer does not measure it. */
export function dataWaitShare(record: { dataWaitMs: number | null; computeMs: number | null } | null | undefined): number | null {
  if (!record || record.dataWaitMs === null || record.computeMs === null) return null;
  const total = record.dataWaitMs + record.computeMs;
  return total > 0 ? record.dataWaitMs / total : null;
}
