import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KilnEvent } from '../../../shared/events.js';
import { createTestEngine, tempDir, waitForJob } from '../../helpers/engine.js';
import { allFeatures, importFile, trainSettings, writeCsv } from './helpers.js';

let test: Awaited<ReturnType<typeof createTestEngine>>;

beforeAll(async () => {
  test = await createTestEngine();
});

afterAll(async () => {
  await test.cleanup();
});

/** 800 rows where the class depends on x, z and the colour, with noise: every family can learn it, none perfectly. */
async function syntheticCsv(): Promise<string> {
  let state = 12345;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const colours = ['red', 'green', 'blue'];
  const rows = Array.from({ length: 800 }, () => {
    const x = random() * 4 - 2;
    const z = random() * 4 - 2;
    const colour = colours[Math.floor(random() * 3)]!;
    const score = x * x - z + (colour === 'red' ? 1 : 0) + (random() - 0.5) * 1.5;
    return [x.toFixed(4), z.toFixed(4), colour, score > 0.8 ? 'high' : 'low'];
  });
  return writeCsv(await tempDir('kiln-auto-'), 'synthetic.csv', ['x', 'z', 'colour', 'label'], rows);
}

describe('Auto', () => {
  it('trains every family as its own run under one job, and picks the best on validation', async () => {
    const { engine } = test;
    const dataset = await importFile(engine, await syntheticCsv(), 'auto');
    const started: string[] = [];
    let progressBeforeEnd = 0;
    let ended = false;
    engine.onEvent((event: KilnEvent) => {
      if (event.type === 'runs.changed' && event.run.status === 'running') started.push(event.run.model);
      if (event.type === 'run.progress' && !ended) progressBeforeEnd += 1;
    });
    const { jobId } = await engine.call('train.start', {
      projectId: dataset.projectId,
      datasetId: dataset.id,
      features: allFeatures(dataset, 'label', 'binary'),
      train: trainSettings({ model: 'auto', budgetSeconds: 20, seed: 3 }),
    });
    const job = await waitForJob(engine, jobId);
    ended = true;
    expect(job.state, job.error ?? '').toBe('succeeded');
    const result = job.result as { runIds: string[]; bestRunId: string };
    // The defaults of every registered family come first, in the registry's order (strongest first).
    const families = (await engine.call('models.families', {})).map((family) => family.id);
    expect(started.slice(0, families.length)).toEqual(families);
    expect(families.slice(0, 2)).toEqual(['gbdt', 'forest']);
    expect(result.runIds.length).toBe(started.length);
    expect(result.runIds).toContain(result.bestRunId);
    expect(progressBeforeEnd).toBeGreaterThan(3);

    const runs = await engine.call('runs.list', { projectId: dataset.projectId });
    expect(runs.map((run) => run.id).sort()).toEqual([...result.runIds].sort());
    const stopped = runs.filter((run) => run.status !== 'succeeded');
    expect(stopped.length).toBeLessThanOrEqual(1);
    for (const run of stopped) expect(run).toMatchObject({ status: 'cancelled', error: 'Stopped at the end of the Auto time budget.' });
    // The budget bounds the search: no candidate after the defaults starts once it is spent
    // (Auto starts its clock before the first run; 2 s covers the runs being recorded by the parent).
    const chronological = [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const firstStart = Date.parse(chronological[0]!.startedAt);
    for (const run of chronological.slice(families.length)) {
      expect(Date.parse(run.startedAt) - firstStart).toBeLessThanOrEqual(20_000 + 2_000);
    }
    for (const run of runs.filter((candidate) => candidate.status === 'succeeded')) {
      expect(run.jobId).toBe(jobId);
      expect(run.metricName).toBe('auc');
      // The baseline ignores the features: its AUC is 0.5 by construction, the floor the others clear.
      if (run.model === 'baseline') expect(run.metrics.validation?.auc).toBeCloseTo(0.5, 6);
      else expect(run.metrics.validation?.auc).toBeGreaterThan(0.6);
      // 800 rows: chosen by 5-fold cross-validation, the run's validation figures are the folds' means.
      expect(run.details?.selection).toMatchObject({ method: 'crossValidation', metric: 'auc' });
      expect(run.details?.selection?.foldScores).toHaveLength(5);
      // One split, made once and shared by every candidate.
      expect(run.splitId).toBe(runs[0]?.splitId);
    }
    const best = runs.find((run) => run.id === result.bestRunId)!;
    const linear = runs.find((run) => run.model === 'linear' && run.details?.selection?.defaults === true)!;
    // x² cannot be drawn by a linear model; the chosen one does better by more than the folds' spread.
    expect(best.model).not.toBe('linear');
    expect(best.details!.selection!.mean! - linear.details!.selection!.mean!).toBeGreaterThan(best.details!.selection!.std!);
    expect(linear.metrics.validation?.auc ?? 1).toBeLessThan(0.9);
  }, 240_000);
});
