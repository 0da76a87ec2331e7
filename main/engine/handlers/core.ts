import { stat, access } from 'node:fs/promises';
import { basename } from 'node:path';
import type { HandlersFor, ImportOptions, Job } from '../../../shared/api.js';
import type { coreMethods } from '../../../shared/api/core.js';
import type { jobMethods } from '../../../shared/api/jobs.js';
import { KilnError } from '../../../shared/errors.js';
import { packageInfo } from '../../paths.js';
import type { EngineContext } from '../context.js';
import { checkCsvFile, importCsv } from '../data/csvImport.js';
import { quoteLiteral } from '../data/sql.js';
import { toJsonCell } from '../data/values.js';
import { samples } from '../samples.js';

/** The import job's result; its schema is in shared/ with the other job results. */
export type { ImportedDataset } from '../../../shared/api.js';

async function startImport(
  context: EngineContext,
  projectId: string,
  path: string,
  name: string,
  options: ImportOptions | undefined,
): Promise<{ jobId: string }> {
  context.projects.get(projectId);
  // Plainly bad files are refused before a job exists, so the caller gets the reason at once.
  await checkCsvFile(path);
  const jobId = context.jobs.start('import', projectId, async (job) => {
    job.progress({ stage: 'checking', fraction: 0, message: `Checking ${name}` });
    const table = await importCsv({
      pool: context.duck,
      path,
      dataDir: context.workspace.dataDir,
      tmpDir: context.workspace.tmpDir,
      context: job,
      options,
      findVersion: (version) => context.versions.find(version),
    });
    job.throwIfCancelled();
    const { size } = await stat(path);
    const dataset = context.datasets.record({ projectId, name, table, sourcePath: path, sourceBytes: size });
    context.datasets.saveImportReport(dataset.id, table.report);
    const bad = table.report.badRows.count;
    job.progress({
      stage: 'done',
      fraction: 1,
      message: table.reused
        ? `Already imported: reused version ${table.version.slice(0, 12)}`
        : `Imported ${table.rowCount.toLocaleString('en-US')} rows${bad > 0 ? `, skipped ${bad.toLocaleString('en-US')} bad rows` : ''}`,
    });
    context.emit({ type: 'datasets.changed', projectId });
    context.emit({ type: 'projects.changed' });
    return { ...dataset, importReport: table.report };
  });
  return { jobId };
}

/** The file of a bundled sample, or a clear error when it is unknown or missing. */
export async function sampleFile(sampleId: string): Promise<string> {
  const sample = samples.find((candidate) => candidate.id === sampleId);
  if (!sample) throw new KilnError('not_found', `There is no sample called ${sampleId}.`, 'sampleId');
  await access(sample.file).catch(() => {
    throw new KilnError('not_found', `The sample file ${sample.file} is missing from this installation.`, 'sampleId');
  });
  return sample.file;
}

export function coreHandlers(context: EngineContext): HandlersFor<keyof typeof coreMethods | keyof typeof jobMethods> {
  return {
    'app.info': async () => ({
      name: packageInfo().productName ?? 'Kiln',
      version: packageInfo().version,
      home: context.home,
      shell: context.shell,
      samples: samples.map(({ id, title, description }) => ({ id, title, description })),
    }),
    'projects.list': async () => context.projects.list(),
    'projects.create': async ({ name }) => {
      const project = context.projects.create(name);
      context.emit({ type: 'projects.changed' });
      return project;
    },
    'projects.get': async ({ projectId }) => context.projects.get(projectId),
    'projects.rename': async ({ projectId, name }) => {
      const project = context.projects.rename(projectId, name);
      context.emit({ type: 'projects.changed' });
      return project;
    },
    'projects.delete': async ({ projectId }) => {
      const deleted = context.projects.delete(projectId);
      context.emit({ type: 'projects.changed' });
      return { deleted };
    },
    'datasets.list': async ({ projectId }) => {
      context.projects.get(projectId);
      return context.datasets.list(projectId);
    },
    'datasets.get': async ({ datasetId }) => context.datasets.get(datasetId),
    'datasets.import': async ({ projectId, path, name, options }) => startImport(context, projectId, path, name ?? basename(path), options),
    'datasets.importSample': async ({ projectId, sampleId, options }) => {
      const file = await sampleFile(sampleId);
      return startImport(context, projectId, file, basename(file), options);
    },
    'datasets.preview': async ({ datasetId, offset, limit }) => {
      const dataset = context.datasets.get(datasetId);
      const path = context.datasets.storagePath(datasetId);
      return context.duck.with(undefined, async (connection) => {
        const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet(${quoteLiteral(path)}) LIMIT ${limit} OFFSET ${offset}`);
        return { columns: dataset.columns, rows: reader.getRows().map((row) => row.map(toJsonCell)), offset, totalRows: dataset.rowCount };
      });
    },
    'jobs.list': async ({ projectId }) => context.jobs.list(projectId),
    'jobs.get': async ({ jobId }) => context.jobs.get(jobId),
    'jobs.cancel': async ({ jobId }): Promise<Job> => context.jobs.cancel(jobId),
  };
}
