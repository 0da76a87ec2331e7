/**
 * The training worker process: forked by the engine (see supervisor.ts), it
 * receives one `start`, trains, streams progress and exits. It never writes
 * SQLite; the parent records runs from its messages.
 */
import { KilnError } from '../../../../shared/errors.js';
import { runTraining } from '../pipeline.js';
import type { ParentMessage, WorkerMessage } from './protocol.js';

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
 * Test-only: KILN_TEST_WORKER_EXIT_AFTER_PROGRESS=N makes the worker exit with
 * code 3 after its Nth progress message, to check that a crash mid-run becomes
 * a failed run. Nothing in Kiln sets it.
 */
const crashAfter = Number(process.env.KILN_TEST_WORKER_EXIT_AFTER_PROGRESS ?? '0');
let progressCount = 0;

function report(message: WorkerMessage): void {
  void send(message);
  if (message.type === 'progress' && crashAfter > 0 && ++progressCount >= crashAfter) {
    process.stderr.write(`test crash after ${progressCount} progress messages\n`);
    process.exit(3);
  }
}

async function start(message: Extract<ParentMessage, { type: 'start' }>): Promise<void> {
  try {
    const result = await runTraining(message.request, controller.signal, report);
    await send({ type: 'done', result });
  } catch (error) {
    const cancelled = controller.signal.aborted || (error instanceof KilnError && error.code === 'cancelled');
    const text = error instanceof Error ? error.message : String(error);
    if (!(error instanceof KilnError)) process.stderr.write(`${error instanceof Error ? (error.stack ?? text) : text}\n`);
    await send({ type: 'failed', message: text, code: error instanceof KilnError ? error.code : null, cancelled });
  }
  process.disconnect?.();
  // tfjs and DuckDB may hold handles open; the work is done, so leave.
  process.exit(0);
}

if (!process.send) {
  process.stderr.write('This is the Kiln training worker; the engine starts it (child_process.fork).\n');
  process.exit(2);
}

process.on('message', (raw: ParentMessage) => {
  if (raw.type === 'cancel') {
    controller.abort();
    return;
  }
  if (raw.type === 'start' && !started) {
    started = true;
    void start(raw);
  }
});

// The parent went away: nobody is waiting for this work.
process.on('disconnect', () => {
  if (!controller.signal.aborted) controller.abort();
  setTimeout(() => process.exit(1), 2000).unref();
});
