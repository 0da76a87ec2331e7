/**
 * What a training worker does with one request: load the split Parquet files,
 * fit the preprocessing on the training split only, fit one model family (or
 * Auto's candidates), score validation and, once per final model, the test
 * split, and write the model and preprocessing as JSON artifacts.
 */
import type { TrainResult } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { DuckPool } from '../data/duckdb.js';
import { runAuto } from './auto.js';
import { fitCandidate, type PipelineEnvironment } from './candidate.js';
import { loadSplits, type LoadedSplits } from './data/load.js';
import { prepareData } from './data/preprocess.js';
import type { PreparedData } from './types.js';
import type { TrainRequest, WorkerMessage } from './worker/protocol.js';

/** The whole request: one family, or Auto. Throws (bad input, cancel) when nothing could be trained. */
export async function runTraining(
  request: TrainRequest,
  signal: AbortSignal,
  report: (message: WorkerMessage) => void,
): Promise<TrainResult> {
  const duck = new DuckPool(request.tmpDir);
  let prepared: PreparedData;
  let loaded: LoadedSplits;
  try {
    report({ type: 'stage', stage: 'loading', message: 'Reading the splits', fraction: 0 });
    loaded = await loadSplits(
      duck,
      signal,
      {
        train: { path: request.files.train },
        valid: request.files.valid ? { path: request.files.valid } : null,
        test: request.files.test ? { path: request.files.test } : null,
      },
      request.features,
    );
    if (signal.aborted) throw new KilnError('cancelled', 'Cancelled.');
    report({
      type: 'stage',
      stage: 'preparing',
      message: `Preparing ${loaded.train.rows.toLocaleString('en-US')} training rows`,
      fraction: 0.02,
    });
    prepared = prepareData(request.features, loaded.classes, loaded);
  } finally {
    // The splits are in memory now; DuckDB's threads and memory are not needed while training.
    await duck.close();
  }
  const raw = { train: loaded.train, valid: loaded.valid, test: loaded.test };
  const environment: PipelineEnvironment = { request, prepared, raw, classes: loaded.classes, signal, report };
  if (request.train.model === 'auto') return runAuto(environment);

  const family = request.train.model;
  const outcome = await fitCandidate(environment, { family, settings: request.train, label: family });
  if (outcome.error !== null) throw outcome.error;
  return { runIds: [outcome.runId], bestRunId: outcome.runId, selection: null, reason: null, warnings: [] };
}
