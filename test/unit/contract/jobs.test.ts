import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  Job,
  JobKind,
  jobResultSchemas,
  type CleanResult,
  type DatasetSplit,
  type ExportBundle,
  type ImportedDataset,
  type JobOf,
  type ProfileJobResult,
  type TrainResult,
} from '../../../shared/api.js';
import { JobManager, resultMismatchMessage } from '../../../main/engine/jobs/jobs.js';
import { openDatabase, type Db } from '../../../main/engine/workspace/database.js';
import { tempDir } from '../../helpers/engine.js';

describe('job kinds and their results', () => {
  let dir: string;
  let db: Db;
  let events: Job[];
  let logged: string[];
  let jobs: JobManager;

  beforeEach(async () => {
    dir = await tempDir('kiln-contract-jobs-');
    db = openDatabase(join(dir, 'kiln.db'));
    events = [];
    logged = [];
    jobs = new JobManager(
      db,
      (job) => events.push(job),
      (line) => logged.push(line),
    );
  });

  afterEach(async () => {
    await jobs.shutdown();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('every job kind the engine starts has a result schema, and the union covers exactly them', () => {
    expect([...JobKind.options].sort()).toEqual(['clean', 'docker-build', 'export', 'import', 'profile', 'split', 'train']);
    expect(Object.keys(jobResultSchemas).sort()).toEqual([...JobKind.options].sort());
    for (const kind of JobKind.options) {
      const job = { ...baseJob, kind, result: null };
      expect(Job.safeParse(job).success, kind).toBe(true);
    }
    // A kind outside the union is not a job.
    expect(Job.safeParse({ ...baseJob, kind: 'count', result: null }).success).toBe(false);
  });

  it("ties each kind's result type to its schema", () => {
    // Mutual assignability: zod spells the nullable output differently, so strict identity is too fine a test.
    expectTypeOf<JobOf<'import'>['result']>().toExtend<ImportedDataset | null>();
    expectTypeOf<ImportedDataset | null>().toExtend<JobOf<'import'>['result']>();
    expectTypeOf<JobOf<'profile'>['result']>().toExtend<ProfileJobResult | null>();
    expectTypeOf<ProfileJobResult | null>().toExtend<JobOf<'profile'>['result']>();
    expectTypeOf<JobOf<'clean'>['result']>().toExtend<CleanResult | null>();
    expectTypeOf<CleanResult | null>().toExtend<JobOf<'clean'>['result']>();
    expectTypeOf<JobOf<'split'>['result']>().toExtend<DatasetSplit | null>();
    expectTypeOf<DatasetSplit | null>().toExtend<JobOf<'split'>['result']>();
    expectTypeOf<JobOf<'train'>['result']>().toExtend<TrainResult | null>();
    expectTypeOf<TrainResult | null>().toExtend<JobOf<'train'>['result']>();
    expectTypeOf<JobOf<'export'>['result']>().toExtend<ExportBundle | null>();
    expectTypeOf<ExportBundle | null>().toExtend<JobOf<'export'>['result']>();
    expectTypeOf<JobOf<'docker-build'>['result']>().toExtend<ExportBundle | null>();
    expectTypeOf<ExportBundle | null>().toExtend<JobOf<'docker-build'>['result']>();
    expectTypeOf<JobOf<'train'>['result']>().not.toBeAny();
    expectTypeOf<JobOf<'train'>['result']>().not.toExtend<ExportBundle | null>();
  });

  it('a result that does not match its kind fails the job with an internal message, logged with the detail', async () => {
    // Stands in for a producer bug that the types did not catch (the value crossed a process boundary, say).
    const wrong = { runIds: 'run_1', bestRunId: null } as unknown as TrainResult;
    const jobId = jobs.start('train', null, async () => wrong);
    const final = await jobs.wait(jobId);

    expect(final.state).toBe('failed');
    expect(final.result).toBeNull();
    expect(final.error).toBe(resultMismatchMessage);
    // The user's message names no schema internals; the log does.
    expect(final.error).not.toMatch(/runIds|expected/);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(jobId);
    expect(logged[0]).toContain('train');
    expect(logged[0]).toMatch(/runIds: .*expected array/i);

    // Neither SQLite nor any listener ever saw the bad value.
    const stored = db.prepare('SELECT state, result_json, error FROM jobs WHERE id = ?').get(jobId) as {
      state: string;
      result_json: string | null;
      error: string;
    };
    expect(stored).toEqual({ state: 'failed', result_json: null, error: resultMismatchMessage });
    expect(events.filter((event) => event.id === jobId).every((event) => event.result === null)).toBe(true);
  });

  it('a matching result is stored as its schema reads it: keys the schema does not know are dropped', async () => {
    const withExtra = { runIds: ['run_1'], bestRunId: 'run_1', scratch: 'internal' } as TrainResult;
    const final = await jobs.wait(jobs.start('train', null, async () => withExtra));
    expect(final.state).toBe('succeeded');
    expect(final.result).toEqual({ runIds: ['run_1'], bestRunId: 'run_1' });
    const stored = db.prepare('SELECT result_json FROM jobs WHERE id = ?').get(final.id) as { result_json: string };
    expect(JSON.parse(stored.result_json)).toEqual({ runIds: ['run_1'], bestRunId: 'run_1' });
    expect(logged).toEqual([]);
  });

  it('a job whose stored result no longer fits its schema (an older version) is still listed, without the result', () => {
    db.prepare(
      `INSERT INTO jobs (id, kind, project_id, state, stage, fraction, message, result_json, created_at, updated_at)
       VALUES ('job_old', 'profile', NULL, 'succeeded', 'done', 1, '', '{"cached":true}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
    ).run();
    const job = jobs.get('job_old');
    expect(job).toMatchObject({ id: 'job_old', kind: 'profile', state: 'succeeded', result: null });
    expect(jobs.list().map((listed) => listed.id)).toContain('job_old');
  });

  it('a stored job of a kind this version does not know is left out of the list, and get says it cannot read it', () => {
    db.prepare(
      `INSERT INTO jobs (id, kind, project_id, state, stage, fraction, message, created_at, updated_at)
       VALUES ('job_alien', 'retrain', NULL, 'succeeded', 'done', 1, '', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
    ).run();
    expect(jobs.list().map((listed) => listed.id)).not.toContain('job_alien');
    expect(() => jobs.get('job_alien')).toThrow(/job_alien is stored in a form this version cannot read \(kind/);
  });

  it('a progress fraction of 0 / 0 reads as unknown instead of breaking the job', async () => {
    const jobId = jobs.start('train', null, async (job) => {
      job.progress({ stage: 'counting', fraction: 0 / 0 });
      return { runIds: [], bestRunId: null };
    });
    expect((await jobs.wait(jobId)).state).toBe('succeeded');
    expect(events.find((event) => event.id === jobId && event.stage === 'counting')?.fraction).toBeNull();
  });
});

const baseJob = {
  id: 'job_1',
  projectId: null,
  state: 'queued',
  stage: 'queued',
  fraction: 0,
  message: '',
  error: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
