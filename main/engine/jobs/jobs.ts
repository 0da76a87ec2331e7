import type { z } from 'zod';
import { Job, jobResultSchemas, type JobKind, type JobResultOf, type JobState } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import type { Db } from '../workspace/database.js';
import { newId, nowIso } from '../ids.js';
import { currentOwner, ownerIsAlive, type ProcessOwner } from './owner.js';

export interface JobProgress {
  stage?: string;
  /** 0..1, or null when the total is not known. */
  fraction?: number | null;
  message?: string;
}

export interface JobContext {
  readonly jobId: string;
  readonly signal: AbortSignal;
  progress(update: JobProgress): void;
  /** Throws a `cancelled` KilnError when the job has been asked to stop. */
  throwIfCancelled(): void;
}

export type JobWork<T> = (context: JobContext) => Promise<T>;

interface JobRow {
  id: string;
  /** A JobKind for every row this version writes; rows from other versions are checked when read. */
  kind: string;
  project_id: string | null;
  state: JobState;
  stage: string;
  fraction: number | null;
  message: string;
  error: string | null;
  result_json: string | null;
  created_at: string;
  updated_at: string;
  owner_pid: number | null;
  owner_token: string | null;
}

const unfinished: ReadonlySet<JobState> = new Set(['queued', 'running']);

/** The row as the contract's Job, or why it cannot be one (a row written by another version of Kiln). */
function readRow(row: JobRow): Job | { problem: string } {
  const result: unknown = row.result_json === null ? null : JSON.parse(row.result_json);
  const parsed = Job.safeParse({ ...rowFields(row), result });
  if (parsed.success) return parsed.data;
  // A result stored by an older version may not fit today's schema (new ones are checked when produced): the job stays, without it.
  const withoutResult = Job.safeParse({ ...rowFields(row), result: null });
  if (withoutResult.success) return withoutResult.data;
  return { problem: describeIssues(parsed.error) };
}

function rowToJob(row: JobRow): Job {
  const read = readRow(row);
  if ('problem' in read)
    throw new KilnError('internal', `The job ${row.id} is stored in a form this version cannot read (${read.problem}).`);
  return read;
}

function rowFields(row: JobRow) {
  return {
    id: row.id,
    kind: row.kind,
    projectId: row.project_id,
    state: row.state,
    stage: row.stage,
    fraction: row.fraction,
    message: row.message,
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`)
    .join('; ');
}

/** Why a job failed when its work returned something its kind's schema refuses: a bug, so the user gets no engine detail. */
export const resultMismatchMessage = 'Kiln produced a result it could not read back (an internal error); the log has the detail.';

/** What a user is told of a failure Kiln did not describe in words (an engine's or the system's own error). */
export const internalFailureMessage = 'Kiln hit an internal error; the log has the detail.';

/**
 * The message a failure may show the user: Kiln's own words for what it refused, but never an engine's or
 * the system's text (multi-line SQL, workspace paths), which an internal error can carry even inside a KilnError
 * (a worker reports what it caught as `internal`).
 */
export function publicMessage(error: unknown): string {
  if (!(error instanceof KilnError)) return internalFailureMessage;
  if (error.code !== 'internal') return error.message;
  return looksLikeEngineText(error.message) ? internalFailureMessage : error.message;
}

/** DuckDB's and Node's own texts: a named engine error (`Binder Error: …`), generated SQL, a stack, or several lines. */
function looksLikeEngineText(message: string): boolean {
  return (
    /[\r\n]/.test(message) ||
    /\b[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)? Error\b/.test(message) ||
    /\b(?:SELECT|INSERT|CREATE|COPY|PRAGMA)\b[^]*\b(?:FROM|INTO|TABLE|AS|TO)\b/.test(message) ||
    /\bat .+:\d+:\d+\)?/.test(message)
  );
}

/** The full text of an error, for the log. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

const terminal: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

/**
 * Runs long work as jobs: each has an id, streams progress, can be cancelled
 * through its AbortController, and has its state written to SQLite so that a
 * restart can tell what was interrupted.
 */
export class JobManager {
  private readonly controllers = new Map<string, AbortController>();
  private readonly finished = new Map<string, Promise<Job>>();
  private readonly lastWrite = new Map<string, number>();
  /** Rows of unfinished jobs, newer than what SQLite holds between throttled writes. */
  private readonly live = new Map<string, JobRow>();

  constructor(
    private readonly db: Db,
    private readonly emit: (job: Job) => void,
    /** Where internal failures are described in full; the job itself carries only a plain message. */
    private readonly log: (line: string) => void = (line) => console.error(line),
    /** The process recorded as running the jobs started here. */
    private readonly owner: ProcessOwner = currentOwner(),
  ) {
    // Work whose process has died is not running now; another live process's work is left alone.
    const open = db.prepare(`SELECT id, owner_pid, owner_token FROM jobs WHERE state IN ('queued', 'running')`).all() as Pick<
      JobRow,
      'id' | 'owner_pid' | 'owner_token'
    >[];
    const interrupt = db.prepare(
      `UPDATE jobs SET state = 'interrupted', message = 'Kiln stopped while this job was running.', updated_at = ?
       WHERE id = ? AND state IN ('queued', 'running')`,
    );
    const now = nowIso();
    db.transaction(() => {
      for (const row of open) if (!this.ownerAlive(row)) interrupt.run(now, row.id);
    })();
  }

  /** Liveness by owner, asked once per owner while this manager lives: a process that is alive now stays so for a start-up. */
  private readonly ownerVerdicts = new Map<string, boolean>();

  private ownerAlive(row: Pick<JobRow, 'owner_pid' | 'owner_token'>): boolean {
    if (row.owner_pid === null || row.owner_token === null) return false;
    const key = `${row.owner_pid}\u0000${row.owner_token}`;
    let alive = this.ownerVerdicts.get(key);
    if (alive === undefined) {
      alive = ownerIsAlive({ pid: row.owner_pid, token: row.owner_token });
      // Only "gone" is final; a live owner is asked again next time, since it may exit meanwhile.
      if (!alive) this.ownerVerdicts.set(key, alive);
    }
    return alive;
  }

  /**
   * Whether a job is queued or running in a process that is still alive (this one or another): its runs and
   * temporary files are in use.
   */
  isRunning(jobId: string): boolean {
    if (this.controllers.has(jobId)) return true;
    const row = this.db.prepare('SELECT state, owner_pid, owner_token FROM jobs WHERE id = ?').get(jobId) as
      Pick<JobRow, 'state' | 'owner_pid' | 'owner_token'> | undefined;
    return row !== undefined && unfinished.has(row.state) && this.ownerAlive(row);
  }

  /** Whether a process other than this one is running a job on this workspace now. */
  othersAreRunning(): boolean {
    const rows = this.db.prepare(`SELECT DISTINCT owner_pid, owner_token FROM jobs WHERE state IN ('queued', 'running')`).all() as Pick<
      JobRow,
      'owner_pid' | 'owner_token'
    >[];
    return rows.some((row) => !(row.owner_pid === this.owner.pid && row.owner_token === this.owner.token) && this.ownerAlive(row));
  }

  /** Starts `work` as a job of `kind`; what it returns must fit that kind's result schema, or the job fails. */
  start<K extends JobKind>(kind: K, projectId: string | null, work: JobWork<JobResultOf<K>>): string {
    const id = newId('job');
    const now = nowIso();
    this.db
      .prepare(
        `INSERT INTO jobs (id, kind, project_id, state, stage, fraction, message, created_at, updated_at, owner_pid, owner_token)
         VALUES (?, ?, ?, 'queued', 'queued', 0, '', ?, ?, ?, ?)`,
      )
      .run(id, kind, projectId, now, now, this.owner.pid, this.owner.token);
    const controller = new AbortController();
    this.controllers.set(id, controller);
    this.emit(this.get(id));

    const context: JobContext = {
      jobId: id,
      signal: controller.signal,
      progress: (update) => this.progress(id, update),
      throwIfCancelled: () => {
        if (controller.signal.aborted) throw new KilnError('cancelled', 'Cancelled.');
      },
    };

    const done = (async (): Promise<Job> => {
      // Let the caller receive the job id before any work (or failure) happens.
      await Promise.resolve();
      this.update(id, { state: 'running', stage: 'starting' }, true);
      try {
        const result = await work(context);
        if (controller.signal.aborted) throw new KilnError('cancelled', 'Cancelled.');
        // Checked here, where it is made, so what SQLite keeps and every UI receives is what the kind promises.
        const checked = jobResultSchemas[kind].safeParse(result);
        if (checked.success) {
          this.update(id, { state: 'succeeded', stage: 'done', fraction: 1, result_json: JSON.stringify(checked.data) }, true);
        } else {
          this.log(`kiln: the ${kind} job ${id} returned a result that does not match its schema: ${describeIssues(checked.error)}`);
          this.update(id, { state: 'failed', error: resultMismatchMessage, message: resultMismatchMessage }, true);
        }
      } catch (error) {
        if (controller.signal.aborted || (error instanceof KilnError && error.code === 'cancelled')) {
          this.update(id, { state: 'cancelled', message: 'Cancelled by the user.' }, true);
        } else {
          const message = publicMessage(error);
          if (message !== (error instanceof Error ? error.message : undefined))
            this.log(`kiln: the ${kind} job ${id} failed: ${describeError(error)}`);
          this.update(id, { state: 'failed', error: message, message }, true);
        }
      } finally {
        this.controllers.delete(id);
        this.lastWrite.delete(id);
      }
      return this.get(id);
    })();
    this.finished.set(id, done);
    void done.finally(() => this.finished.delete(id));
    return id;
  }

  get(jobId: string): Job {
    return rowToJob(this.row(jobId));
  }

  private row(jobId: string): JobRow {
    const live = this.live.get(jobId);
    if (live) return live;
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(jobId) as JobRow | undefined;
    if (!row) throw new KilnError('not_found', `There is no job ${jobId}.`, 'jobId');
    return row;
  }

  list(projectId?: string, limit = 100): Job[] {
    const rows = (
      projectId === undefined
        ? this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM jobs WHERE project_id = ? ORDER BY created_at DESC LIMIT ?').all(projectId, limit)
    ) as JobRow[];
    // A job of a kind this version does not know is left out of the list rather than failing it.
    return rows.flatMap((row) => {
      const read = readRow(row);
      return 'problem' in read ? [] : [read];
    });
  }

  cancel(jobId: string): Job {
    const job = this.get(jobId);
    if (terminal.has(job.state)) return job;
    this.controllers.get(jobId)?.abort();
    return this.update(jobId, { stage: 'cancelling', message: 'Cancelling…' }, true);
  }

  /** Resolves with the job's final state (used by the CLI and tests). */
  async wait(jobId: string): Promise<Job> {
    return (await this.finished.get(jobId)) ?? this.get(jobId);
  }

  /** Cancels everything still running and waits for it to settle. */
  async shutdown(): Promise<void> {
    for (const controller of this.controllers.values()) controller.abort();
    await Promise.allSettled([...this.finished.values()]);
  }

  private progress(jobId: string, update: JobProgress): void {
    const changes: Partial<JobRow> = {};
    if (update.stage !== undefined) changes.stage = update.stage;
    if (update.fraction !== undefined) {
      // A fraction computed from an empty total (0 / 0) means "not known", not a broken job.
      changes.fraction = update.fraction === null || Number.isNaN(update.fraction) ? null : Math.min(1, Math.max(0, update.fraction));
    }
    if (update.message !== undefined) changes.message = update.message;
    this.update(jobId, changes, false);
  }

  /**
   * Progress can arrive thousands of times a second: every update is emitted,
   * but SQLite is written at most four times a second unless the state changes.
   */
  private update(jobId: string, changes: Partial<JobRow>, force: boolean): Job {
    const now = Date.now();
    const merged: JobRow = { ...this.row(jobId), ...changes, updated_at: new Date(now).toISOString() };
    const finished = terminal.has(merged.state);
    if (finished) this.live.delete(jobId);
    else this.live.set(jobId, merged);
    if (force || finished || now - (this.lastWrite.get(jobId) ?? 0) > 250) {
      this.lastWrite.set(jobId, now);
      this.db
        .prepare(`UPDATE jobs SET state = ?, stage = ?, fraction = ?, message = ?, error = ?, result_json = ?, updated_at = ? WHERE id = ?`)
        .run(merged.state, merged.stage, merged.fraction, merged.message, merged.error, merged.result_json, merged.updated_at, jobId);
    }
    const job = rowToJob(merged);
    this.emit(job);
    return job;
  }
}
