/**
 * The work the engine hands to a worker process, by name: what each task
 * takes and what it gives back. Both sides are compiled from these types;
 * requests carry paths and settings, never table rows, and the results are
 * what the parent records (the worker never opens SQLite).
 */
import type { DatasetProfile } from '../../../shared/api.js';
import type { ModelFamily, Run } from '../../../shared/api/train.js';
import type { DatasetColumn } from '../export/onnx/pipeline.js';
import type { TrainingProfile } from '../export/onnx/profile.js';
import type { RawRow } from '../export/onnx/rows.js';
import type { ParityReport } from '../export/parity.js';
import type { ProfileRequest } from '../data/profile.js';
import type { PreprocessingSpec } from '../train/types.js';

export interface ExportComputeRequest {
  /** The run being exported; its artifacts are read from `<artifactsDir>/runs/<run.id>/`. */
  run: Run;
  artifactsDir: string;
  trainPath: string;
  heldOutPath: string;
  /** How the held-out split is named in messages: "test" or "validation". */
  heldOutName: string;
  threshold: number;
  kilnVersion: string;
  /** Held-out rows to send back for the bundle's clients and the export's test request. */
  sampleRows: number;
  /** A folder the parent created for this task alone: DuckDB spills here and model.onnx is written here. */
  workDir: string;
}

export interface ExportComputeResult {
  family: ModelFamily;
  spec: PreprocessingSpec;
  /** The training split's columns and types, as the graph's input schema records them. */
  columns: DatasetColumn[];
  trainingProfile: TrainingProfile;
  /** The finished graph, inside `workDir`. */
  onnxPath: string;
  parity: ParityReport;
  sampleRows: RawRow[];
}

/** The profile's own request, less the job (the worker reports through its task context). */
export interface ProfileComputeRequest extends Omit<ProfileRequest, 'job'> {
  /** A folder the parent created for this task alone, for DuckDB to spill into. */
  workDir: string;
}

export interface WorkerTaskMap {
  'export.compute': { request: ExportComputeRequest; result: ExportComputeResult };
  'profile.compute': { request: ProfileComputeRequest; result: DatasetProfile };
}

export type TaskName = keyof WorkerTaskMap;
export type TaskRequest<K extends TaskName> = WorkerTaskMap[K]['request'];
export type TaskResult<K extends TaskName> = WorkerTaskMap[K]['result'];

/** What a task gets inside the worker: the same shape as a job's context, so engine code runs unchanged in either place. */
export interface TaskContext {
  readonly signal: AbortSignal;
  progress(update: { stage?: string; fraction?: number | null; message?: string }): void;
  throwIfCancelled(): void;
}

export type TaskImplementation<K extends TaskName> = (request: TaskRequest<K>, context: TaskContext) => Promise<TaskResult<K>>;
