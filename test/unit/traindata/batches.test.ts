import { describe, expect, it } from 'vitest';
import { DenseBatchSource, epochOrder } from '../../../main/engine/train/data/batches.js';
import { mulberry32 } from '../../../main/engine/train/random.js';
import type { Batch, DenseMatrix } from '../../../main/engine/train/types.js';

/** Row r holds [r, -r], so a batch shows which rows it carries. */
function matrix(rows: number): DenseMatrix {
  const values = new Float32Array(rows * 2);
  for (let row = 0; row < rows; row++) {
    values[row * 2] = row;
    values[row * 2 + 1] = -row;
  }
  return { rows, cols: 2, values, columnNames: ['id', 'minus'] };
}

async function collect(source: DenseBatchSource, epoch: number, batchSize: number): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of source.batches(epoch, batchSize)) batches.push(batch);
  return batches;
}

const rowIds = (batches: Batch[]) =>
  batches.flatMap((batch) => Array.from({ length: batch.rows }, (_, index) => batch.x[index * 2] as number));

describe('mulberry32 and epochOrder', () => {
  it('repeats for a seed and differs between seeds', () => {
    const first = mulberry32(7);
    const again = mulberry32(7);
    const other = mulberry32(8);
    const a = [first(), first(), first()];
    expect([again(), again(), again()]).toEqual(a);
    expect([other(), other(), other()]).not.toEqual(a);
    expect(a.every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('is a permutation', () => {
    const order = Array.from(epochOrder(1000, 1, 0));
    expect([...order].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, index) => index));
  });
});

describe('DenseBatchSource', () => {
  const rows = 1003;
  const y = Float64Array.from({ length: rows }, (_, row) => row % 3);

  it('covers every row once per epoch, with matching targets, and a short last batch', async () => {
    const source = new DenseBatchSource(matrix(rows), y, { seed: 42 });
    const batches = await collect(source, 0, 100);
    expect(batches).toHaveLength(11);
    expect(batches.at(-1)?.rows).toBe(3);
    const ids = rowIds(batches);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: rows }, (_, index) => index));
    for (const batch of batches) {
      for (let index = 0; index < batch.rows; index++) {
        const id = batch.x[index * 2] as number;
        expect(batch.x[index * 2 + 1]).toBe(-id);
        expect(batch.y[index]).toBe(id % 3);
      }
    }
    expect(source.lastEpochStats).toMatchObject({ epoch: 0, batches: 11, gathered: 11 });
  });

  it('is deterministic for a seed, differs between epochs and seeds', async () => {
    const order = async (seed: number, epoch: number) => rowIds(await collect(new DenseBatchSource(matrix(rows), y, { seed }), epoch, 64));
    const first = await order(42, 0);
    expect(await order(42, 0)).toEqual(first);
    expect(await order(42, 1)).not.toEqual(first);
    expect(await order(43, 0)).not.toEqual(first);
    expect(first).not.toEqual(Array.from({ length: rows }, (_, index) => index));
  });

  it('keeps row order when shuffling is off, and gives one-hot targets when asked', async () => {
    const source = new DenseBatchSource(matrix(rows), y, { seed: 1, shuffle: false, oneHotClasses: 3 });
    const batches = await collect(source, 5, 500);
    expect(rowIds(batches)).toEqual(Array.from({ length: rows }, (_, index) => index));
    const first = batches[0];
    expect(Array.from(first?.y.slice(0, 9) ?? [])).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('gathers the next batch while the consumer works on the current one', async () => {
    const source = new DenseBatchSource(matrix(rows), y, { seed: 3 });
    let handed = 0;
    const aheadWhileWorking: number[] = [];
    const started = performance.now();
    for await (const batch of source.batches(0, 100)) {
      handed += 1;
      expect(batch.rows).toBeGreaterThan(0);
      // Stand-in for an asynchronous backend computing on this batch: it gives the event loop one turn,
      // as awaiting a backend does. No clock is involved: the gather is queued before that turn, so it runs first.
      await new Promise((resolve) => setImmediate(resolve));
      aheadWhileWorking.push(source.lastEpochStats.gathered - handed);
    }
    const elapsed = performance.now() - started;
    // Every batch but the last had its successor ready by the time the work finished.
    expect(aheadWhileWorking).toHaveLength(11);
    expect(aheadWhileWorking.slice(0, -1).every((ahead) => ahead === 1)).toBe(true);
    expect(aheadWhileWorking.at(-1)).toBe(0);
    const stats = source.lastEpochStats;
    expect(stats).toMatchObject({ epoch: 0, batches: 11, gathered: 11 });
    // Waiting and gathering are measured, and are parts of the time the loop took, never more.
    expect(stats.waitMs).toBeGreaterThan(0);
    expect(stats.gatherMs).toBeGreaterThan(0);
    expect(stats.waitMs).toBeLessThanOrEqual(elapsed);
    expect(stats.gatherMs).toBeLessThanOrEqual(elapsed);
  });

  it('refuses a bad batch size and a target of the wrong length', async () => {
    expect(() => new DenseBatchSource(matrix(3), new Float64Array(2), { seed: 1 })).toThrow(/3 rows/);
    await expect(collect(new DenseBatchSource(matrix(3), new Float64Array(3), { seed: 1 }), 0, 0)).rejects.toThrow(/batch size/);
  });
});
