/** Projects, datasets, job states and the app itself: the core of the contract (the jobs themselves are in jobs.ts). */
import { z } from 'zod';
import { ImportOptions, ImportReport } from './importing.js';
import { Id, method } from './method.js';

export const Project = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  datasetCount: z.number().int(),
});
export type Project = z.infer<typeof Project>;

export const ColumnInfo = z.object({
  name: z.string(),
  type: z.string(),
});
export type ColumnInfo = z.infer<typeof ColumnInfo>;

export const Dataset = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  /** Content hash of the stored table: the dataset version. */
  version: z.string(),
  sourcePath: z.string().nullable(),
  sourceBytes: z.number().int().nullable(),
  rowCount: z.number().int(),
  columns: z.array(ColumnInfo),
  createdAt: z.string(),
});
export type Dataset = z.infer<typeof Dataset>;

/** The Dataset a finished import job returns, with how it was read (bad rows, renames, notes, per-column counts). */
export const ImportedDataset = Dataset.extend({ importReport: ImportReport });
export type ImportedDataset = z.infer<typeof ImportedDataset>;

export const JobState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']);
export type JobState = z.infer<typeof JobState>;

export const JobHandle = z.object({ jobId: z.string() });
export type JobHandle = z.infer<typeof JobHandle>;

export const JsonCell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type JsonCell = z.infer<typeof JsonCell>;

export const TablePage = z.object({
  columns: z.array(ColumnInfo),
  rows: z.array(z.array(JsonCell)),
  offset: z.number().int(),
  totalRows: z.number().int(),
});
export type TablePage = z.infer<typeof TablePage>;

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  home: z.string(),
  /** Which shell is hosting the engine; the UI uses it to choose drop behaviour. */
  shell: z.enum(['electron', 'browser', 'cli', 'test']),
  samples: z.array(z.object({ id: z.string(), title: z.string(), description: z.string() })),
});
export type AppInfo = z.infer<typeof AppInfo>;

const projectName = z.string().trim().min(1, 'A project needs a name.').max(120, 'Keep project names under 120 characters.');

export const coreMethods = {
  'app.info': method(z.object({}), AppInfo, 'Version, workspace folder and bundled samples.'),

  'projects.list': method(z.object({}), z.array(Project), 'All projects, newest first.'),
  'projects.create': method(z.object({ name: projectName }), Project, 'Create a project.'),
  'projects.get': method(z.object({ projectId: Id }), Project, 'One project.'),
  'projects.rename': method(z.object({ projectId: Id, name: projectName }), Project, 'Rename a project.'),
  'projects.delete': method(z.object({ projectId: Id }), z.object({ deleted: z.boolean() }), 'Delete a project and its records.'),

  'datasets.list': method(z.object({ projectId: Id }), z.array(Dataset), 'Datasets of a project, newest first.'),
  'datasets.get': method(z.object({ datasetId: Id }), Dataset, 'One dataset.'),
  'datasets.import': method(
    z.object({
      projectId: Id,
      /** A path on the engine's machine; browser mode uploads first and then calls this. */
      path: z.string().min(1, 'Give the path of a CSV file.'),
      /** The name the user knows the file by (uploads are stored under a temporary name). */
      name: z.string().min(1).max(255).optional(),
      options: ImportOptions.optional(),
    }),
    JobHandle,
    'Import a CSV file as a new dataset version. Returns a job; its result is the Dataset.',
  ),
  'datasets.importSample': method(
    z.object({ projectId: Id, sampleId: z.string().min(1), options: ImportOptions.optional() }),
    JobHandle,
    'Import one of the bundled sample datasets.',
  ),
  'datasets.preview': method(
    z.object({
      datasetId: Id,
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(1000).default(100),
    }),
    TablePage,
    'A page of rows of a dataset.',
  ),
} as const;
