/**
 * The messages between the engine (parent) and a worker process. One worker
 * runs one task: the parent sends `start`, the worker streams `progress` and
 * ends with `done` or `failed`, then exits. `cancel` asks it to stop; the
 * parent kills it if it does not within a grace period.
 *
 * The channel uses Node's advanced (structured clone) serialization, so
 * results arrive as the task built them: NaN, typed arrays and undefined
 * survive, which JSON would silently change.
 */
import type { KilnErrorCode } from '../../../shared/errors.js';
import type { JobProgress } from '../jobs/jobs.js';
import type { TaskName, TaskRequest, TaskResult } from './tasks.js';

export type StartMessage = { [K in TaskName]: { type: 'start'; task: K; request: TaskRequest<K> } }[TaskName];

export type ParentMessage = StartMessage | { type: 'cancel' };

export type WorkerMessage<K extends TaskName = TaskName> =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'done'; result: TaskResult<K> }
  /** `code` and `field` are the KilnError's when the task threw one; anything else arrives as `internal`. */
  | { type: 'failed'; message: string; code: KilnErrorCode; field: string | null; cancelled: boolean };

const workerMessageTypes: ReadonlySet<string> = new Set(['progress', 'done', 'failed']);

/** The envelope check: only the worker entry built from these types writes to the channel. */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && workerMessageTypes.has(type);
}

export function isParentMessage(value: unknown): value is ParentMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'cancel' || (type === 'start' && typeof (value as { task?: unknown }).task === 'string');
}
