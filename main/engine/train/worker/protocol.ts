/**
 * The messages between the engine (parent) and a training worker process.
 * The parent owns SQLite: the worker reads the split Parquet files, trains,
 * writes the model artifacts and reports; the parent records runs and events.
 */
import type { EpochRecord, FeatureSettings, MetricSummary, ModelFamily, TrainResult, TrainSettings } from '../../../../shared/api/train.js';

export interface SplitFiles {
  train: string;
  valid: string | null;
  test: string | null;
}

/** Everything a worker needs; plain JSON. */
export interface TrainRequest {
  files: SplitFiles;
  features: FeatureSettings;
  train: TrainSettings;
  /** Artifacts go to `<artifactsDir>/runs/<runId>/`. */
  artifactsDir: string;
  /** DuckDB spills here. */
  tmpDir: string;
}

/** What one finished run produced. */
export interface RunResultMessage {
  model: ModelFamily;
  params: Record<string, unknown>;
  backend: string;
  device: string;
  history: EpochRecord[];
  validation: MetricSummary | null;
  test: MetricSummary | null;
  details: unknown;
  trainMs: number;
  artifacts: { model: string; preprocessing: string };
}

export type ParentMessage = { type: 'start'; request: TrainRequest } | { type: 'cancel' };

export type WorkerMessage =
  /** Job-level progress: loading, preparing, which candidate of Auto. */
  | { type: 'stage'; stage: string; message: string; fraction: number | null }
  /** A run (a single model, or one Auto candidate) began; the parent records it. */
  | {
      type: 'runStarted';
      runId: string;
      model: ModelFamily;
      params: Record<string, unknown>;
      backend: string;
      device: string;
      metricName: string;
    }
  | { type: 'progress'; runId: string; record: EpochRecord; fraction: number; etaSeconds: number | null }
  | { type: 'runDone'; runId: string; result: RunResultMessage }
  /** One run failed (Auto goes on with the next candidate). */
  | { type: 'runFailed'; runId: string; message: string; cancelled: boolean }
  | { type: 'done'; result: TrainResult }
  /** The whole request failed; `code` is a KilnError code when there is one. */
  | { type: 'failed'; message: string; code: string | null; cancelled: boolean };
