/**
 * The parent side of a training worker: forks the compiled worker entry,
 * passes its typed messages on, cancels it (a polite message first, then a
 * kill after a grace period), and turns an exit without a result into an
 * error that says how it ended and what it last printed.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError, isKilnErrorShape, type KilnErrorCode } from '../../../../shared/errors.js';
import { appRoot } from '../../../paths.js';
import type { ParentMessage, TrainRequest, WorkerMessage } from './protocol.js';

/** The compiled entry: vitest runs the sources, but a child process needs JavaScript. */
export function workerEntry(): string {
  const entry = join(appRoot, 'dist', 'main', 'engine', 'train', 'worker', 'main.js');
  if (!existsSync(entry)) {
    throw new KilnError('internal', `The training worker is not built (${entry} is missing): run npm run build.`);
  }
  return entry;
}

export interface WorkerOptions {
  signal: AbortSignal;
  onMessage: (message: WorkerMessage) => void;
  /** How long a cancelled worker may take to stop before it is killed. */
  graceMs?: number;
}

const stderrTailBytes = 2000;

function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function runWorker(request: TrainRequest, options: WorkerOptions): Promise<{ runIds: string[]; bestRunId: string | null }> {
  const entry = workerEntry();
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      reject(new KilnError('cancelled', 'Cancelled.'));
      return;
    }
    // No inherited execArgv: under vitest or Electron it holds loaders the worker must not get.
    const child = fork(entry, [], { execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    let stderrTail = '';
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout?.resume();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-stderrTailBytes);
    });

    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', onAbort);
      outcome();
    };
    const send = (message: ParentMessage) => {
      if (child.connected) child.send(message, (error) => error && undefined);
    };
    const onAbort = () => {
      send({ type: 'cancel' });
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? 3000);
      killTimer.unref();
    };
    options.signal.addEventListener('abort', onAbort);

    child.on('message', (raw: unknown) => {
      if (!isWorkerMessage(raw)) return;
      if (raw.type === 'done') {
        settle(() => resolve(raw.result));
        return;
      }
      if (raw.type === 'failed') {
        const shape = { code: raw.code, message: raw.message };
        const code: KilnErrorCode = raw.cancelled ? 'cancelled' : isKilnErrorShape(shape) ? shape.code : 'internal';
        settle(() => reject(new KilnError(code, raw.message)));
        return;
      }
      try {
        options.onMessage(raw);
      } catch (error) {
        // Recording a message failed (a closed database): stop the worker rather than train blind.
        child.kill('SIGKILL');
        settle(() => reject(error instanceof Error ? error : new Error(String(error))));
      }
    });
    child.on('error', (error) => settle(() => reject(new KilnError('internal', `The training worker could not run: ${error.message}`))));
    child.on('exit', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      if (options.signal.aborted) {
        settle(() => reject(new KilnError('cancelled', 'Cancelled.')));
        return;
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code ?? 'unknown'}`;
      const tail = stderrTail.trim().split('\n').slice(-5).join(' | ');
      settle(() =>
        reject(
          new KilnError('internal', `The training worker stopped without a result: it ${how}.${tail ? ` Its last output: ${tail}` : ''}`),
        ),
      );
    });
    child.send({ type: 'start', request } satisfies ParentMessage);
  });
}
