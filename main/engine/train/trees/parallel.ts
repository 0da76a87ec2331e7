import { Worker } from 'node:worker_threads';
import { accumulateHistogram, type HistogramLayout } from './histogram.js';
import type { HistogramBuilder, HistogramTask } from './tree.js';

/** Builds histograms on the calling thread. */
export class LocalHistogramBuilder implements HistogramBuilder {
  constructor(
    private readonly binned: Uint8Array,
    private readonly layout: HistogramLayout,
    private readonly rows: Uint32Array,
    private readonly gradients: Float64Array,
    private readonly hessians: Float64Array,
  ) {}

  build(tasks: HistogramTask[]): void {
    for (const task of tasks) {
      task.out.fill(0);
      accumulateHistogram(
        this.binned,
        this.layout.featureCount,
        this.layout.offsets,
        this.rows,
        task.start,
        task.end,
        this.gradients,
        this.hessians,
        task.out,
      );
    }
  }
}

/** Control words shared with the workers. */
const GENERATION = 0;
const PENDING = 1;
const SHUTDOWN = 2;
const TASK_COUNT = 3;
const FAILED = 4;
const CONTROL_WORDS = 8;
/** Most node histograms handed over in one round trip (a depth-6 level has at most 32 to build). */
const MAX_TASKS = 64;
/** A worker silent this long has died in a way it could not report (out of memory, say). */
const STALL_MS = 120_000;

/**
 * The worker's loop, as plain JavaScript so that it runs the same from the
 * TypeScript sources (tests) and from the build. It is the twin of
 * `accumulateHistogram`: each task's rows are cut into (workers + 1) slices,
 * the calling thread takes the first and worker i the slice i + 1.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { binned, featureCount, offsets, rows, gradients, hessians, control, tasks, out, histogramSize, workerIndex, workerCount } = workerData;
let seen = 0;
for (;;) {
  Atomics.wait(control, ${GENERATION}, seen);
  seen = Atomics.load(control, ${GENERATION});
  if (Atomics.load(control, ${SHUTDOWN}) === 1) break;
  try {
    const taskCount = Atomics.load(control, ${TASK_COUNT});
    const parts = workerCount + 1;
    for (let t = 0; t < taskCount; t++) {
      const start = tasks[t * 2];
      const length = tasks[t * 2 + 1] - start;
      const from = start + Math.floor((length * (workerIndex + 1)) / parts);
      const to = start + Math.floor((length * (workerIndex + 2)) / parts);
      const base = t * histogramSize;
      out.fill(0, base, base + histogramSize);
      for (let i = from; i < to; i++) {
        const row = rows[i];
        const gradient = gradients[row];
        const hessian = hessians[row];
        const rowBase = row * featureCount;
        for (let f = 0; f < featureCount; f++) {
          const at = base + (offsets[f] + binned[rowBase + f]) * 3;
          out[at] += gradient;
          out[at + 1] += hessian;
          out[at + 2]++;
        }
      }
    }
  } catch (error) {
    Atomics.store(control, ${FAILED}, 1);
  }
  if (Atomics.sub(control, ${PENDING}, 1) === 1) Atomics.notify(control, ${PENDING});
}
`;

/** Typed arrays over shared memory, so the workers read the very rows and gradients the trainer writes. */
export function sharedUint8(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}
export function sharedUint32(length: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(length * 4));
}
export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * 8));
}

/**
 * Builds histograms with worker threads over row slices of each node. The
 * calling thread works on its own slice and then blocks on an Atomics wait
 * (no event loop round trip), so one tree level costs one hand-over.
 */
export class ParallelHistogramBuilder implements HistogramBuilder {
  private constructor(
    private readonly workers: Worker[],
    private readonly control: Int32Array,
    private readonly taskRanges: Int32Array,
    private readonly outputs: Float64Array[],
    private readonly local: LocalHistogramBuilder,
    private readonly layout: HistogramLayout,
  ) {}

  /** `binned`, `rows`, `gradients` and `hessians` must be backed by SharedArrayBuffers. */
  static async start(
    workerCount: number,
    binned: Uint8Array,
    layout: HistogramLayout,
    rows: Uint32Array,
    gradients: Float64Array,
    hessians: Float64Array,
  ): Promise<ParallelHistogramBuilder> {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    const taskRanges = new Int32Array(new SharedArrayBuffer(MAX_TASKS * 2 * 4));
    const offsets = new Int32Array(new SharedArrayBuffer(layout.featureCount * 4));
    offsets.set(layout.offsets);
    const outputs: Float64Array[] = [];
    const workers: Worker[] = [];
    for (let index = 0; index < workerCount; index++) {
      const out = sharedFloat64(MAX_TASKS * layout.size);
      outputs.push(out);
      workers.push(
        new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: {
            binned,
            featureCount: layout.featureCount,
            offsets,
            rows,
            gradients,
            hessians,
            control,
            tasks: taskRanges,
            out,
            histogramSize: layout.size,
            workerIndex: index,
            workerCount,
          },
        }),
      );
    }
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once('online', () => resolve());
            worker.once('error', reject);
          }),
      ),
    );
    // Slice 0 of each task is the calling thread's: a local builder over the same arrays does it.
    const local = new LocalHistogramBuilder(binned, layout, rows, gradients, hessians);
    return new ParallelHistogramBuilder(workers, control, taskRanges, outputs, local, layout);
  }

  build(tasks: HistogramTask[]): void {
    for (let first = 0; first < tasks.length; first += MAX_TASKS) this.buildChunk(tasks.slice(first, first + MAX_TASKS));
  }

  private buildChunk(tasks: HistogramTask[]): void {
    const { control, taskRanges, workers } = this;
    const parts = workers.length + 1;
    tasks.forEach((task, t) => {
      taskRanges[t * 2] = task.start;
      taskRanges[t * 2 + 1] = task.end;
    });
    Atomics.store(control, TASK_COUNT, tasks.length);
    Atomics.store(control, PENDING, workers.length);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);

    this.local.build(
      tasks.map((task) => ({ start: task.start, end: task.start + Math.floor((task.end - task.start) / parts), out: task.out })),
    );

    const waitedFrom = Date.now();
    for (;;) {
      const pending = Atomics.load(control, PENDING);
      if (pending === 0) break;
      Atomics.wait(control, PENDING, pending, 1_000);
      if (Date.now() - waitedFrom > STALL_MS) throw new Error('A histogram worker thread stopped answering.');
    }
    if (Atomics.load(control, FAILED) === 1) throw new Error('A histogram worker thread failed.');

    const size = this.layout.size;
    tasks.forEach((task, t) => {
      const base = t * size;
      for (const out of this.outputs) {
        for (let i = 0; i < size; i++) task.out[i]! += out[base + i]!;
      }
    });
  }

  async stop(): Promise<void> {
    Atomics.store(this.control, SHUTDOWN, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
