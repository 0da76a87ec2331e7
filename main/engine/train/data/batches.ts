/**
 * Mini-batches for the linear and neural models. Each epoch visits every row
 * once in an order fixed by (seed, epoch), so runs repeat exactly. While the
 * consumer computes on batch k, batch k+1 is already being gathered: the
 * gather is scheduled on the event loop before batch k is handed over, so it
 * runs whenever the consumer awaits its backend. The time the consumer still
 * spends waiting is measured, so a trainer can report a starved accelerator.
 */
import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../random.js';
import type { Batch, BatchSource, DenseMatrix } from '../types.js';

/** One seed per (seed, epoch): mixing through an integer hash keeps neighbouring epochs' orders unrelated. */
function epochSeed(seed: number, epoch: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The row order of one epoch: a Fisher–Yates shuffle driven by mulberry32. */
export function epochOrder(rows: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(rows);
  for (let index = 0; index < rows; index++) order[index] = index;
  const random = mulberry32(epochSeed(seed, epoch));
  for (let index = rows - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const kept = order[index] as number;
    order[index] = order[other] as number;
    order[other] = kept;
  }
  return order;
}

export interface BatchSourceOptions {
  seed: number;
  /**
   * Classification: the number of classes, to hand out one-hot targets
   * (rows × classes). Absent or 0: one target value per row (a class index
   * or a regression value).
   */
  oneHotClasses?: number;
  /** Shuffle each epoch (training); false keeps row order (scoring). */
  shuffle?: boolean;
}

/** Time the consumer spent waiting for batches, for one epoch. */
export interface BatchWaitStats {
  epoch: number;
  /** Batches handed to the consumer. */
  batches: number;
  /** Batches gathered so far: one ahead of `batches` while the consumer works. */
  gathered: number;
  waitMs: number;
  /** Time spent gathering rows (overlapping the consumer's work when prefetching pays). */
  gatherMs: number;
}

export class DenseBatchSource implements BatchSource {
  readonly rows: number;
  readonly cols: number;
  private readonly yWidth: number;
  private stats: BatchWaitStats = { epoch: -1, batches: 0, gathered: 0, waitMs: 0, gatherMs: 0 };

  constructor(
    private readonly matrix: DenseMatrix,
    private readonly y: Float64Array,
    private readonly options: BatchSourceOptions,
  ) {
    if (y.length !== matrix.rows) throw new Error(`The matrix has ${matrix.rows} rows but the target ${y.length}.`);
    this.rows = matrix.rows;
    this.cols = matrix.cols;
    this.yWidth = options.oneHotClasses && options.oneHotClasses > 0 ? options.oneHotClasses : 1;
  }

  /** Waiting and gathering time of the epoch last iterated (or being iterated). */
  get lastEpochStats(): BatchWaitStats {
    return { ...this.stats };
  }

  /** Batch k+1 is gathered (on the next turn of the event loop) before batch k is handed out. */
  async *batches(epoch: number, batchSize: number): AsyncIterable<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`The batch size must be a whole number above 0, not ${batchSize}.`);
    const order = this.options.shuffle === false ? null : epochOrder(this.rows, this.options.seed, epoch);
    const stats: BatchWaitStats = { epoch, batches: 0, gathered: 0, waitMs: 0, gatherMs: 0 };
    this.stats = stats;
    let pending = this.rows > 0 ? this.gatherLater(order, 0, Math.min(batchSize, this.rows), stats) : null;
    for (let start = 0; pending !== null; start += batchSize) {
      const waitStarted = performance.now();
      const batch = await pending;
      stats.waitMs += performance.now() - waitStarted;
      stats.batches += 1;
      const next = start + batchSize;
      pending = next < this.rows ? this.gatherLater(order, next, Math.min(next + batchSize, this.rows), stats) : null;
      yield batch;
    }
  }

  private gatherLater(order: Uint32Array | null, start: number, end: number, stats: BatchWaitStats): Promise<Batch> {
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        try {
          const started = performance.now();
          const batch = this.gather(order, start, end);
          stats.gatherMs += performance.now() - started;
          stats.gathered += 1;
          resolve(batch);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  private gather(order: Uint32Array | null, start: number, end: number): Batch {
    const rows = end - start;
    const cols = this.cols;
    const source = this.matrix.values;
    const x = new Float32Array(rows * cols);
    const y = new Float32Array(rows * this.yWidth);
    for (let position = 0; position < rows; position++) {
      const row = order ? (order[start + position] as number) : start + position;
      x.set(source.subarray(row * cols, row * cols + cols), position * cols);
      const target = this.y[row] as number;
      if (this.yWidth === 1) y[position] = target;
      else y[position * this.yWidth + target] = 1;
    }
    return { x, y, rows };
  }
}
