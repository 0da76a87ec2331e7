/**
 * The worker process: forked by the engine (supervisor.ts) for one task, it
 * receives one `start`, runs the task, streams progress, sends the result and
 * exits. It never opens SQLite; the parent records what it sends.
 */
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { KilnError } from '../../../shared/errors.js';
import type { JobProgress } from '../jobs/jobs.js';
import { isParentMessage, type StartMessage, type WorkerMessage } from './protocol.js';
import type { TaskContext, TaskResult } from './tasks.js';

const controller = new AbortController();
let started = false;

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * Test-only: KILN_TEST_WORKER_CRASH_AT=<task>:<stage> makes the worker exit
 * with code 3 when the task reports that stage; KILN_TEST_WORKER_HANG_AT the
 * same, but the worker blocks instead and never reads a cancel, so only a
 * kill stops it; KILN_TEST_WORKER_WAIT_AT_START=<task> holds the task back
 * until the worker is cancelled or loses its parent. Nothing in Kiln sets them.
 */
function testHook(task: string, stage: string | undefined): void {
  const at = `${task}:${stage ?? ''}`;
  if (process.env.KILN_TEST_WORKER_CRASH_AT === at) {
    process.stderr.write(`test crash at ${at}\n`);
    process.exit(3);
  }
  if (process.env.KILN_TEST_WORKER_HANG_AT === at) {
    process.stderr.write(`test hang at ${at}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
}

async function run(message: StartMessage, context: TaskContext): Promise<TaskResult<StartMessage['task']>> {
  // Each task's code is loaded only when asked for, so a profile worker does not start onnxruntime.
  switch (message.task) {
    case 'export.compute': {
      const { computeExport } = await import('../export/compute.js');
      return computeExport(message.request, context);
    }
    case 'profile.compute': {
      const { computeProfileTask } = await import('./profileTask.js');
      return computeProfileTask(message.request, context);
    }
  }
}

async function start(message: StartMessage): Promise<void> {
  const context: TaskContext = {
    signal: controller.signal,
    progress: (progress: JobProgress) => {
      void send({ type: 'progress', progress });
      testHook(message.task, progress.stage);
    },
    throwIfCancelled: () => {
      if (controller.signal.aborted) throw new KilnError('cancelled', 'Cancelled.');
    },
  };
  try {
    if (process.env.KILN_TEST_WORKER_WAIT_AT_START === message.task) {
      // A live handle, as real work holds (a query, a file), so the process cannot simply drain and exit.
      const busy = setInterval(() => undefined, 1000);
      context.progress({ stage: 'waiting', message: 'Held back by KILN_TEST_WORKER_WAIT_AT_START' });
      await new Promise((resolve) => controller.signal.addEventListener('abort', resolve, { once: true }));
      clearInterval(busy);
    }
    context.throwIfCancelled();
    const result = await run(message, context);
    await send({ type: 'done', result });
  } catch (error) {
    const cancelled = controller.signal.aborted || (error instanceof KilnError && error.code === 'cancelled');
    const text = error instanceof Error ? error.message : String(error);
    // A KilnError is already in the user's words; anything else is a bug, and its stack goes to the parent's stderr tail.
    if (!(error instanceof KilnError)) process.stderr.write(`${error instanceof Error ? (error.stack ?? text) : text}\n`);
    await send({
      type: 'failed',
      message: text,
      code: error instanceof KilnError ? error.code : 'internal',
      field: error instanceof KilnError ? (error.field ?? null) : null,
      cancelled,
    });
  }
  process.disconnect?.();
  // DuckDB and onnxruntime may keep native handles open; the work is done, so leave.
  process.exit(0);
}

/**
 * Below the engine's own priority, so on a busy machine the process that
 * serves the UI gets the CPU first. Linux keeps a niceness per thread and a
 * new thread inherits its creator's, so every thread there now (V8's, libuv's)
 * is lowered before any task code runs; DuckDB's and onnxruntime's threads,
 * started later from these, inherit it.
 */
const workerNiceness = 10;
function lowerPriority(): void {
  const threads = process.platform === 'linux' ? readdirSync('/proc/self/task').map(Number) : [0];
  for (const thread of threads) {
    try {
      setPriority(thread, workerNiceness);
    } catch {
      // Not permitted here (some sandboxes), or the thread has ended: the work runs as before, only less politely.
    }
  }
}
lowerPriority();

if (!process.send) {
  process.stderr.write("This is Kiln's worker process; the engine starts it (child_process.fork).\n");
  process.exit(2);
}

process.on('message', (raw: unknown) => {
  if (!isParentMessage(raw)) return;
  if (raw.type === 'cancel') {
    controller.abort();
    return;
  }
  if (!started) {
    started = true;
    void start(raw);
  }
});

// The parent went away: nobody is waiting for this work.
process.on('disconnect', () => {
  if (!controller.signal.aborted) controller.abort();
  setTimeout(() => process.exit(1), 2000).unref();
});
