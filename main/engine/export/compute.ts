/**
 * The heavy middle of an export, run in a worker process (workers/main.ts):
 * read the training and held-out rows, compute the training profile, build
 * the ONNX graph and prove parity on the held-out rows. The parent keeps the
 * database reads before it and the bundle write after it.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../../shared/errors.js';
import { DuckPool } from '../data/duckdb.js';
import type { ExportComputeRequest, ExportComputeResult, TaskContext } from '../workers/tasks.js';
import { MAX_PARITY_ROWS, readRawRows, readRunArtifacts } from './bundle.js';
import { buildOnnxPipeline } from './onnx/pipeline.js';
import { computeTrainingProfile } from './onnx/profile.js';
import { rowsToRawColumns } from './onnx/rows.js';
import { verifyExport } from './parity.js';

export async function computeExport(request: ExportComputeRequest, job: TaskContext): Promise<ExportComputeResult> {
  const { run, heldOutName } = request;
  job.progress({ stage: 'reading', fraction: 0.02, message: `Reading the run's model and the ${heldOutName} split` });
  const { family, model, spec } = await readRunArtifacts(request.artifactsDir, run);
  const duck = new DuckPool(request.workDir);
  let read;
  try {
    read = await duck.with(job.signal, async (connection) => {
      const train = await readRawRows(connection, request.trainPath, spec, Number.MAX_SAFE_INTEGER);
      const held = await readRawRows(connection, request.heldOutPath, spec, MAX_PARITY_ROWS);
      return { heldOutRows: held.rows, trainRows: train.rows, columns: train.columns };
    });
  } finally {
    await duck.close();
  }
  const { heldOutRows, trainRows, columns } = read;
  if (heldOutRows.length === 0) throw new KilnError('bad_input', `The ${heldOutName} split has no rows to check the export on.`, 'runId');
  job.throwIfCancelled();

  job.progress({ stage: 'building', fraction: 0.2, message: `Building the ONNX graph (${family}, ${spec.task})` });
  const trainingProfile = computeTrainingProfile(spec, rowsToRawColumns(spec, trainRows));
  const onnxBytes = buildOnnxPipeline({
    spec,
    model,
    family,
    runId: run.id,
    datasetVersion: run.datasetVersion ?? '',
    inputSchema: columns,
    threshold: request.threshold,
    trainingProfile,
    kilnVersion: request.kilnVersion,
  });
  job.throwIfCancelled();

  job.progress({
    stage: 'parity',
    fraction: 0.35,
    message: `Checking parity on ${heldOutRows.length.toLocaleString('en-US')} ${heldOutName} rows`,
  });
  const parity = await verifyExport({ onnxBytes, family, spec, model, rows: heldOutRows, threshold: request.threshold });
  job.throwIfCancelled();

  const onnxPath = join(request.workDir, 'model.onnx');
  await writeFile(`${onnxPath}.tmp`, onnxBytes);
  await rename(`${onnxPath}.tmp`, onnxPath);
  return { family, spec, columns, trainingProfile, onnxPath, parity, sampleRows: heldOutRows.slice(0, request.sampleRows) };
}
