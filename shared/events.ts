/** The typed event stream from the engine to every connected UI. */
import type { Job } from './api.js';
import type { EpochRecord, ModelFamily, Run } from './api/train.js';

export type KilnEvent =
  | { type: 'job.updated'; job: Job }
  | { type: 'projects.changed' }
  | { type: 'datasets.changed'; projectId: string }
  /** A training run's live progress: one event per epoch or boosting round. */
  | {
      type: 'run.progress';
      runId: string;
      jobId: string;
      projectId: string;
      model: ModelFamily;
      backend: string;
      device: string;
      metricName: string;
      record: EpochRecord;
      /** 0..1 within this run. */
      fraction: number;
      etaSeconds: number | null;
    }
  /** A run was created or finished; the UI reloads its list. */
  | { type: 'runs.changed'; projectId: string; run: Run };

export type KilnEventListener = (event: KilnEvent) => void;
export type Unsubscribe = () => void;
