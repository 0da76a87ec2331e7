/**
 * The parent side of a worker process: forks the compiled worker entry for
 * one task, maps its progress onto the job, passes cancellation on (a message
 * first, then a kill after a grace period), and turns an exit without a
 * result into a KilnError that says how the worker ended and what it last
 * printed. The promise settles only once the process has exited, so a
 * finished or cancelled job never leaves a worker behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../../shared/errors.js';
import { appRoot } from '../../paths.js';
import type { JobProgress } from '../jobs/jobs.js';
import { isWorkerMessage, type ParentMessage, type StartMessage } from './protocol.js';
import type { TaskName, TaskRequest, TaskResult } from './tasks.js';

/** How a task is named in messages: "The export worker stopped…". */
const taskLabels: Record<TaskName, string> = {
  'export.compute': 'export',
  'profile.compute': 'profile',
};

/** The compiled entry: Vitest runs the sources, but a child process needs JavaScript. */
export function workerEntry(): string {
  const entry = join(appRoot, 'dist', 'main', 'engine', 'workers', 'main.js');
  if (!existsSync(entry)) {
    throw new KilnError('internal', `Kiln's worker is not built (${entry} is missing): run npm run build:main.`);
  }
  return entry;
}

/** The part of a job a worker reports to. */
export interface WorkerJob {
  readonly signal: AbortSignal;
  progress(update: JobProgress): void;
}

export interface WorkerOptions {
  /** How long a cancelled worker, or one that sent its result, may take to exit before it is killed. */
  graceMs?: number;
}

const defaultGraceMs = 3000;
const stderrTailBytes = 4000;

/** Workers still running, killed if the engine's process exits first (an Electron quit does not wait for them). */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const worker of running) worker.kill('SIGKILL');
    });
  }
}

type Outcome<T> = { ok: true; result: T } | { ok: false; error: KilnError };

export function runInWorker<K extends TaskName>(
  task: K,
  request: TaskRequest<K>,
  job: WorkerJob,
  options: WorkerOptions = {},
): Promise<TaskResult<K>> {
  const entry = workerEntry();
  const label = taskLabels[task];
  const graceMs = options.graceMs ?? defaultGraceMs;
  return new Promise((resolve, reject) => {
    if (job.signal.aborted) {
      reject(new KilnError('cancelled', 'Cancelled.'));
      return;
    }
    // No inherited execArgv: under Vitest or Electron it holds loaders the worker must not get.
    const child = fork(entry, [], { execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
    track(child);
    let outcome: Outcome<TaskResult<K>> | undefined;
    let stderrTail = '';
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout?.resume();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-stderrTailBytes);
    });

    const killAfterGrace = () => {
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), graceMs);
    };
    const conclude = (value: Outcome<TaskResult<K>>) => {
      outcome ??= value;
      killAfterGrace();
    };
    const onAbort = () => {
      if (child.connected) child.send({ type: 'cancel' } satisfies ParentMessage, () => undefined);
      killAfterGrace();
    };
    job.signal.addEventListener('abort', onAbort);

    child.on('message', (raw: unknown) => {
      if (!isWorkerMessage(raw) || outcome) return;
      switch (raw.type) {
        case 'progress':
          try {
            job.progress(raw.progress);
          } catch (error) {
            // Recording progress failed (a closed database): the result would have nowhere to go either.
            child.kill('SIGKILL');
            const message = error instanceof Error ? error.message : String(error);
            conclude({ ok: false, error: error instanceof KilnError ? error : new KilnError('internal', message) });
          }
          return;
        case 'done':
          conclude({ ok: true, result: raw.result as TaskResult<K> });
          return;
        case 'failed':
          conclude({
            ok: false,
            error: new KilnError(raw.cancelled ? 'cancelled' : raw.code, raw.message, raw.field ?? undefined),
          });
          return;
      }
    });

    // Settling happens here only: after this the process is gone.
    let finished = false;
    const finish = (ended: string | null) => {
      if (finished) return;
      finished = true;
      running.delete(child);
      if (killTimer) clearTimeout(killTimer);
      job.signal.removeEventListener('abort', onAbort);
      if (outcome?.ok) resolve(outcome.result);
      else if (job.signal.aborted) reject(new KilnError('cancelled', 'Cancelled.'));
      else if (outcome) reject(outcome.error);
      else {
        const tail = stderrTail.trim().split('\n').slice(-5).join(' | ');
        reject(
          new KilnError(
            'internal',
            `The ${label} worker stopped without a result: it ${ended ?? 'could not start'}.${tail ? ` Its last output: ${tail}` : ''}`,
          ),
        );
      }
    };
    child.once('exit', (code, signal) => finish(signal ? `was killed by ${signal}` : `exited with code ${code ?? 'unknown'}`));
    // Always listened to: an unheard 'error' event would throw in the engine's process.
    child.on('error', (error) => {
      // 'exit' may never come when the fork itself failed.
      if (child.pid === undefined) {
        stderrTail += error.message;
        finish(null);
      }
    });
    child.send({ type: 'start', task, request } as StartMessage, () => undefined);
  });
}
