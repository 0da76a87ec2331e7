import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dataset } from '../../../shared/api.js';
import type { KilnEvent } from '../../../shared/events.js';
import { Engine } from '../../../main/engine/engine.js';
import { RunRepository } from '../../../main/engine/train/runs.js';
import { adultCsv, createTestEngine, waitForJob } from '../../helpers/engine.js';
import { adultFeatures, importFile, trainSettings } from './helpers.js';

let test: Awaited<ReturnType<typeof createTestEngine>>;
let adult: Dataset;

beforeEach(async () => {
  test = await createTestEngine();
  adult = await importFile(test.engine, adultCsv);
});

afterEach(async () => {
  delete process.env.KILN_TEST_WORKER_EXIT_AFTER_PROGRESS;
  await test.cleanup();
});

describe('training runs', () => {
  it('streams progress and cancels a run halfway: the run and the job end cancelled', async () => {
    const { engine } = test;
    const progress: Extract<KilnEvent, { type: 'run.progress' }>[] = [];
    const changed: Extract<KilnEvent, { type: 'runs.changed' }>[] = [];
    let jobId = '';
    engine.onEvent((event) => {
      if (event.type === 'runs.changed') changed.push(event);
      if (event.type !== 'run.progress') return;
      progress.push(event);
      // Halfway through a 40-epoch MLP is well past its start and well before its end.
      if (progress.length === 3) engine.jobs.cancel(jobId);
    });
    ({ jobId } = await engine.call('train.start', {
      projectId: adult.projectId,
      datasetId: adult.id,
      features: adultFeatures(),
      train: trainSettings({ model: 'mlp', mlp: { epochs: 40, patience: 40 } }),
    }));
    const job = await waitForJob(engine, jobId);
    expect(job.state).toBe('cancelled');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThan(40);
    const first = progress[0]!;
    expect(first).toMatchObject({ jobId, projectId: adult.projectId, model: 'mlp', metricName: 'auc' });
    expect(first.backend).toMatch(/^(tensorflow|webgpu|wasm|cpu)$/);
    expect(first.record.epoch).toBe(1);
    expect(first.record.trainLoss).toBeGreaterThan(0);

    const runs = await engine.call('runs.list', { projectId: adult.projectId });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'cancelled', jobId, model: 'mlp', error: 'Cancelled by the user.' });
    expect(runs[0]?.history.length).toBeGreaterThanOrEqual(3);
    expect(changed.map((event) => event.run.status)).toEqual(['running', 'cancelled']);
  }, 180_000);

  it('turns a worker that crashes mid-run into a failed run with the reason', async () => {
    const { engine } = test;
    // Test-only switch read by the worker: exit with code 3 after the third progress message.
    process.env.KILN_TEST_WORKER_EXIT_AFTER_PROGRESS = '3';
    const { jobId } = await engine.call('train.start', {
      projectId: adult.projectId,
      datasetId: adult.id,
      features: adultFeatures(),
      train: trainSettings({ model: 'gbdt', gbdt: { rounds: 50 } }),
    });
    const job = await waitForJob(engine, jobId);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/training worker stopped without a result: it exited with code 3/);
    const runs = await engine.call('runs.list', { projectId: adult.projectId });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.status).toBe('failed');
    expect(runs[0]?.error).toMatch(/exited with code 3.*test crash after 3 progress messages/);
    expect(runs[0]?.history).toHaveLength(3);
    expect(runs[0]?.finishedAt).not.toBeNull();
  }, 180_000);

  it('records a finished run with its settings, versions and metrics, and gets it by id', async () => {
    const { engine } = test;
    const { jobId } = await engine.call('train.start', {
      projectId: adult.projectId,
      datasetId: adult.id,
      features: adultFeatures(),
      train: trainSettings({ model: 'gbdt', seed: 5, gbdt: { rounds: 40 } }),
    });
    const job = await waitForJob(engine, jobId);
    expect(job.state, job.error ?? '').toBe('succeeded');
    const result = job.result as { runIds: string[]; bestRunId: string };
    expect(result.runIds).toEqual([result.bestRunId]);
    const run = await engine.call('runs.get', { runId: result.bestRunId });
    expect(run).toMatchObject({ status: 'succeeded', task: 'binary', target: 'Y', model: 'gbdt', seed: 5, backend: 'native', jobId });
    expect(run.datasetVersion).toBe(adult.version);
    expect(run.splitId).toMatch(/^split_/);
    expect(run.params.rounds).toBe(40);
    expect(run.history.length).toBeGreaterThan(10);
    expect(run.metrics.validation?.auc).toBeGreaterThan(0.88);
    expect(run.metrics.test?.auc).toBeGreaterThan(0.88);
    expect(run.trainMs).toBeGreaterThan(0);
    // The run's duration is its own start to finish, which holds the training inside it (ISO times keep whole ms).
    expect(run.durationMs).toBe(Date.parse(run.finishedAt ?? '') - Date.parse(run.startedAt));
    expect(run.durationMs).toBeGreaterThanOrEqual(Math.floor(run.trainMs ?? 0) - 1);
    expect((run.details as { test: { confusionMatrix: { counts: number[][] } } }).test.confusionMatrix.counts).toHaveLength(2);
    // No split was given, so a seeded stratified 70/15/15 split was made and is reused next time.
    const splits = await engine.call('split.list', { datasetId: adult.id });
    expect(splits).toHaveLength(1);
    expect(splits[0]?.settings).toMatchObject({ target: 'Y', train: 0.7, valid: 0.15, test: 0.15, seed: 5, stratify: true });
  }, 180_000);

  it('marks a run left running by a dead process as interrupted on the next start', async () => {
    const { engine, home } = test;
    const job = engine.jobs.start(
      'train',
      adult.projectId,
      (context) => new Promise((_resolve, reject) => context.signal.addEventListener('abort', reject)),
    );
    const runs = new RunRepository(engine.workspace.db);
    const run = runs.create({
      id: 'run_0123456789ab',
      projectId: adult.projectId,
      datasetId: adult.id,
      datasetVersion: adult.version,
      splitId: null,
      splitVersions: { train: 'x', valid: null, test: null },
      jobId: job,
      task: 'binary',
      target: 'Y',
      model: 'gbdt',
      params: {},
      seed: 1,
      backend: 'native',
      device: 'CPU',
      appVersion: '0.1.0',
      metricName: 'auc',
      recipe: {},
    });
    expect(run.status).toBe('running');
    // Let the job reach `running` in SQLite, as it would have before a crash.
    await new Promise((resolve) => setImmediate(resolve));
    expect(engine.jobs.get(job).state).toBe('running');
    // The owner recorded is this live process; a token from another start of the same pid stands in for one that died.
    engine.workspace.db.prepare('UPDATE jobs SET owner_token = ? WHERE id = ?').run('a process that has exited', job);
    // A second engine on the same workspace is what a restart after a crash sees.
    const restarted = new Engine({ home, shell: 'test' });
    try {
      const after = await restarted.call('runs.get', { runId: run.id });
      expect(after.status).toBe('interrupted');
      expect(after.error).toMatch(/stopped while this run was training/);
      expect(after.finishedAt).not.toBeNull();
      expect((await restarted.call('jobs.get', { jobId: job })).state).toBe('interrupted');
    } finally {
      await restarted.close();
    }
  });
});
