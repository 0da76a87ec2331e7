import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import { JobManager } from '../../../main/engine/jobs/jobs.js';
import { openDatabase, type Db } from '../../../main/engine/workspace/database.js';
import { tempDir } from '../../helpers/engine.js';

function storedState(db: Db, jobId: string): { state: string; error: string | null; message: string } {
  return db.prepare('SELECT state, error, message FROM jobs WHERE id = ?').get(jobId) as {
    state: string;
    error: string | null;
    message: string;
  };
}

describe('JobManager', () => {
  let dir: string;
  let file: string;
  let db: Db;
  let events: Job[];
  let jobs: JobManager;
  const extraDbs: Db[] = [];

  beforeEach(async () => {
    dir = await tempDir('kiln-jobs-');
    file = join(dir, 'kiln.db');
    db = openDatabase(file);
    events = [];
    jobs = new JobManager(db, (job) => events.push(job));
  });

  afterEach(async () => {
    await jobs.shutdown();
    for (const extra of extraDbs.splice(0)) if (extra.open) extra.close();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const profiled = { datasetId: 'ds_1', version: 'v1', optionsHash: 'h1', fromCache: false };
  const trained = { runIds: ['run_1'], bestRunId: 'run_1' };

  it('emits progress events and ends succeeded with the result', async () => {
    const jobId = jobs.start('profile', null, async (job) => {
      job.progress({ stage: 'counting', fraction: 0.25, message: 'A quarter' });
      job.progress({ stage: 'counting', fraction: 0.75, message: 'Three quarters' });
      // Out-of-range fractions are clamped rather than passed on.
      job.progress({ fraction: 7 });
      return profiled;
    });
    const final = await jobs.wait(jobId);
    expect(final.state).toBe('succeeded');
    expect(final.fraction).toBe(1);
    expect(final.result).toEqual(profiled);

    const mine = events.filter((event) => event.id === jobId);
    expect(mine[0]?.state).toBe('queued');
    expect(mine.map((event) => event.state)).toContain('running');
    const progress = mine.filter((event) => event.stage === 'counting');
    expect(progress.map((event) => [event.fraction, event.message])).toEqual([
      [0.25, 'A quarter'],
      [0.75, 'Three quarters'],
      [1, 'Three quarters'],
    ]);
    expect(mine.at(-1)?.state).toBe('succeeded');
    expect(storedState(db, jobId).state).toBe('succeeded');
    expect(jobs.list().map((job) => job.id)).toContain(jobId);
  });

  it('cancel stops a running job and records it as cancelled', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const jobId = jobs.start('train', null, async (job) => {
      started();
      await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve(), { once: true }));
      job.throwIfCancelled();
      return trained;
    });
    await running;
    expect(jobs.get(jobId).state).toBe('running');
    jobs.cancel(jobId);
    const final = await jobs.wait(jobId);
    expect(final.state).toBe('cancelled');
    expect(final.result).toBeNull();
    expect(storedState(db, jobId).state).toBe('cancelled');
    // Cancelling a finished job changes nothing.
    expect(jobs.cancel(jobId).state).toBe('cancelled');
  });

  it('a job that ignores the signal but finishes after cancel is still cancelled', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const jobId = jobs.start('train', null, async () => {
      await gate;
      return trained;
    });
    await Promise.resolve();
    jobs.cancel(jobId);
    release();
    expect((await jobs.wait(jobId)).state).toBe('cancelled');
  });

  it('a throwing job is failed with its message', async () => {
    const jobId = jobs.start('import', null, async (job) => {
      job.progress({ stage: 'reading', fraction: 0.1 });
      throw new KilnError('bad_input', 'Row 12 has 3 fields, expected 4.');
    });
    const final = await jobs.wait(jobId);
    expect(final.state).toBe('failed');
    expect(final.error).toBe('Row 12 has 3 fields, expected 4.');
    expect(storedState(db, jobId)).toMatchObject({ state: 'failed', error: 'Row 12 has 3 fields, expected 4.' });
    expect(events.filter((event) => event.id === jobId).at(-1)?.state).toBe('failed');
  });

  it('unknown job ids are not_found naming jobId', () => {
    try {
      jobs.get('job_missing');
      expect.unreachable('get should throw');
    } catch (error) {
      expect(error).toBeInstanceOf(KilnError);
      expect((error as KilnError).code).toBe('not_found');
      expect((error as KilnError).field).toBe('jobId');
    }
  });

  it('a job left running in SQLite becomes interrupted when a new JobManager opens', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const jobId = jobs.start('train', null, async (job) => {
      started();
      await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve(), { once: true }));
      job.throwIfCancelled();
      return trained;
    });
    await running;
    expect(storedState(db, jobId).state).toBe('running');

    // The owner recorded is this process; a token from another start of the same pid stands in for a process that has died.
    db.prepare('UPDATE jobs SET owner_token = ? WHERE id = ?').run('a process that has exited', jobId);
    // A second process opening the same workspace file stands in for a restart after a crash.
    const reopened = openDatabase(file);
    extraDbs.push(reopened);
    const afterRestart = new JobManager(reopened, () => undefined);
    const job = afterRestart.get(jobId);
    expect(job.state).toBe('interrupted');
    expect(job.message).toMatch(/stopped while this job was running/);
  });
});
