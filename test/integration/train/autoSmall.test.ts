import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainResult } from '../../../shared/api/train.js';
import { createTestEngine, tempDir, waitForJob } from '../../helpers/engine.js';
import { allFeatures, importFile, kiln, trainSettings } from './helpers.js';

let test: Awaited<ReturnType<typeof createTestEngine>>;

beforeAll(async () => {
  test = await createTestEngine();
});

afterAll(async () => {
  await test.cleanup();
});

const sample = join(process.cwd(), 'resources', 'samples', 'anes96.csv');

describe('Auto on small data (ANES 1996, 944 rows)', () => {
  it('selects by 5-fold cross-validation, keeps both baselines on the board, and does not lose to the default logistic regression', async () => {
    const { engine } = test;
    const dataset = await importFile(engine, sample, 'anes96');
    const { jobId } = await engine.call('train.start', {
      projectId: dataset.projectId,
      datasetId: dataset.id,
      features: { ...allFeatures(dataset, 'vote', 'binary'), positiveClass: 'Dole' },
      train: trainSettings({ model: 'auto', budgetSeconds: 10, seed: 42 }),
    });
    const job = await waitForJob(engine, jobId);
    expect(job.state, job.error ?? '').toBe('succeeded');
    const result = TrainResult.parse(job.result);
    expect(result.selection).toBe('crossValidation');
    expect(Array.isArray(result.warnings)).toBe(true);

    const runs = (await engine.call('runs.list', { projectId: dataset.projectId })).filter((run) => run.status === 'succeeded');
    const baseline = runs.find((run) => run.model === 'baseline');
    const logistic = runs.find((run) => run.model === 'linear' && run.details?.selection?.defaults === true);
    expect(baseline, 'the majority-class baseline is on the leaderboard').toBeDefined();
    expect(logistic, 'the default logistic regression is on the leaderboard').toBeDefined();
    // The majority class ranks nobody: its AUC is 0.5 on every fold.
    expect(baseline!.details?.selection?.mean).toBeCloseTo(0.5, 6);

    for (const run of runs) {
      const selection = run.details?.selection;
      expect(selection?.method).toBe('crossValidation');
      expect(selection?.foldScores).toHaveLength(5);
      expect(selection?.std).toBeGreaterThanOrEqual(0);
      // Every training row (train + validation, 85 % of 944) is scored once across the folds.
      expect(selection?.rows).toBe(runs[0]!.details?.selection?.rows);
      expect(selection!.rows).toBeGreaterThan(780);
      expect(run.metrics.test?.auc).toBeTypeOf('number');
    }

    const chosen = runs.find((run) => run.id === result.bestRunId);
    expect(chosen).toBeDefined();
    const chosenTest = chosen!.metrics.test!.auc!;
    const logisticTest = logistic!.metrics.test!.auc!;
    console.log(
      `anes96 Auto: ${runs.length} runs, chosen ${chosen!.model} CV AUC ${chosen!.details!.selection!.mean!.toFixed(4)} ± ${chosen!.details!.selection!.std!.toFixed(4)}, ` +
        `test AUC ${chosenTest.toFixed(4)}; default logistic test AUC ${logisticTest.toFixed(4)}; warnings: ${result.warnings?.join(' | ') || 'none'}`,
    );
    expect(chosenTest).toBeGreaterThanOrEqual(logisticTest - 0.01);
  }, 120_000);

  it('kiln train prints the cross-validation score with its spread, and any warning on stderr', async () => {
    const previousHome = process.env.KILN_HOME;
    process.env.KILN_HOME = await tempDir('kiln-auto-small-');
    try {
      const text = await kiln(['train', sample, '--target', 'vote', '--budget', '5', '--seed', '1']);
      expect(text.code, text.err).toBe(0);
      expect(text.out).toMatch(/the best on 5-fold cross-validation auc/);
      expect(text.out).toMatch(/5-fold auc 0\.\d{4} ± 0\.\d{4} \(folds( 0\.\d{3},?){5}\)/);
      const json = await kiln(['train', sample, '--target', 'vote', '--budget', '5', '--seed', '1', '--json']);
      expect(json.code, json.err).toBe(0);
      const printed = JSON.parse(json.out) as { selection: { method: string; foldScores: number[] }; warnings: string[] };
      expect(printed.selection.method).toBe('crossValidation');
      expect(printed.selection.foldScores).toHaveLength(5);
      expect(Array.isArray(printed.warnings)).toBe(true);
      for (const warning of printed.warnings) expect(text.err).toContain(`Warning: ${warning}`);
    } finally {
      if (previousHome === undefined) delete process.env.KILN_HOME;
      else process.env.KILN_HOME = previousHome;
    }
  }, 180_000);
});
