/**
 * The prediction log: one JSON line per scoring request, appended to
 * `<dir>/predictions.log` and rotated by size to predictions.log.1 … .N.
 *
 * Rotation renames the open file and opens a fresh one. On POSIX a rename keeps
 * the old descriptor pointing at the renamed file, so lines still queued on the
 * old stream land in .1, in order, and nothing waits on the disk.
 */
import { Buffer } from 'node:buffer';
import { createWriteStream, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { messageOf } from './errors.js';
import type { Batch, Column } from './rows.js';
import type { Scores } from './model.js';

const TOP_LEVELS = 5;
/** Lines wait at most this long in memory before they are written... */
const FLUSH_MS = 100;
/** ...or until this much has gathered. */
const FLUSH_BYTES = 64 * 1024;

type ColumnSummary =
  { missing: number; min?: number; max?: number; mean?: number } | { missing: number; top?: Record<string, number>; distinct?: number };

/** A small picture of one column of a batch: enough to see what came in without logging every cell. */
function summariseColumn(values: Column): ColumnSummary {
  const rows = values.length;
  if (values instanceof Float64Array) {
    let missing = 0;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let row = 0; row < rows; row += 1) {
      const value = values[row]!;
      if (Number.isNaN(value)) {
        missing += 1;
        continue;
      }
      if (value < min) min = value;
      if (value > max) max = value;
      sum += value;
    }
    const present = rows - missing;
    return present === 0 ? { missing } : { missing, min, max, mean: sum / present };
  }
  if (rows === 1) return values[0] === '' ? { missing: 1 } : { missing: 0, top: { [values[0]!]: 1 } };
  const counts = new Map<string, number>();
  let missing = 0;
  for (let row = 0; row < rows; row += 1) {
    const value = values[row]!;
    if (value === '') missing += 1;
    else counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const top = [...counts].sort((left, right) => right[1] - left[1]).slice(0, TOP_LEVELS);
  return { missing, distinct: counts.size, top: Object.fromEntries(top) };
}

export function summariseInputs(batch: Batch): Record<string, ColumnSummary> {
  const summary: Record<string, ColumnSummary> = {};
  for (const [name, values] of batch.columns) summary[name] = summariseColumn(values);
  return summary;
}

export function summariseOutputs(
  scores: Scores,
  classes: readonly string[],
): { min: number; max: number; mean: number } | { labels: Record<string, number>; meanProbability: Record<string, number> } {
  if (scores.kind === 'value') {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const value of scores.values) {
      if (value < min) min = value;
      if (value > max) max = value;
      sum += value;
    }
    return { min, max, mean: sum / scores.rowCount };
  }
  const labels: Record<string, number> = {};
  for (const label of scores.labels) labels[label] = (labels[label] ?? 0) + 1;
  const meanProbability: Record<string, number> = {};
  const width = classes.length;
  classes.forEach((name, column) => {
    let sum = 0;
    for (let row = 0; row < scores.rowCount; row += 1) sum += scores.probabilities[row * width + column]!;
    meanProbability[name] = sum / scores.rowCount;
  });
  return { labels, meanProbability };
}

export class PredictionLog {
  readonly dir: string;
  readonly path: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private bytes: number;
  private failed = false;
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stream: WriteStream;

  constructor(options: { dir: string; maxBytes: number; keep: number }) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.keep = options.keep;
    this.path = join(this.dir, 'predictions.log');
    mkdirSync(this.dir, { recursive: true });
    this.bytes = existsSync(this.path) ? statSync(this.path).size : 0;
    this.stream = this.open();
  }

  private open(): WriteStream {
    // Opened synchronously, so the file exists at once and a quick rotation always finds it to rename.
    const stream = createWriteStream(this.path, { fd: openSync(this.path, 'a') });
    stream.on('error', (error) => {
      // A full disk must not take scoring down with it: say so once and keep serving.
      if (!this.failed) process.stderr.write(`prediction log: cannot write ${this.path}: ${error.message}\n`);
      this.failed = true;
    });
    return stream;
  }

  private rotate(): void {
    const oldest = `${this.path}.${this.keep}`;
    if (existsSync(oldest)) rmSync(oldest, { force: true });
    for (let index = this.keep - 1; index >= 1; index -= 1) {
      const from = `${this.path}.${index}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${index + 1}`);
    }
    this.stream.end();
    renameSync(this.path, `${this.path}.1`);
    this.stream = this.open();
    this.bytes = 0;
  }

  write(entry: object): void {
    const line = `${JSON.stringify(entry)}\n`;
    const size = Buffer.byteLength(line);
    if (this.bytes > 0 && this.bytes + size > this.maxBytes) {
      this.flush();
      try {
        this.rotate();
      } catch (error) {
        if (!this.failed) process.stderr.write(`prediction log: cannot rotate ${this.path}: ${messageOf(error)}\n`);
        this.failed = true;
      }
    }
    this.pending.push(line);
    this.pendingBytes += size;
    this.bytes += size;
    // Lines are gathered and written together: one write per request cost more than the scoring under load.
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    this.stream.write(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): Promise<void> {
    this.flush();
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
