import { basename } from 'node:path';
import { access, stat } from 'node:fs/promises';
import { z } from 'zod';
import {
  apiMethods,
  isMethodName,
  type ApiHandlers,
  type AppInfo,
  type Dataset,
  type Job,
  type MethodName,
  type MethodOutput,
} from '../../shared/api.js';
import { KilnError } from '../../shared/errors.js';
import type { KilnEvent, KilnEventListener, Unsubscribe } from '../../shared/events.js';
import { packageInfo } from '../paths.js';
import { checkCsvFile, importCsv } from './data/csvImport.js';
import { DuckPool } from './data/duckdb.js';
import { quoteLiteral } from './data/sql.js';
import { toJsonCell } from './data/values.js';
import { JobManager } from './jobs/jobs.js';
import { samples } from './samples.js';
import { DatasetRepository, ProjectRepository } from './workspace/repositories.js';
import { openWorkspace, type Workspace } from './workspace/workspace.js';

export interface EngineOptions {
  home: string;
  shell: AppInfo['shell'];
}

/**
 * The headless engine: it implements every method of the API contract once.
 * Transports (Electron IPC, HTTP, the CLI, tests) call `dispatch`, which
 * validates the input against the contract before any handler runs.
 */
export class Engine {
  readonly workspace: Workspace;
  readonly jobs: JobManager;
  readonly handlers: ApiHandlers;
  private readonly listeners = new Set<KilnEventListener>();
  private readonly projects: ProjectRepository;
  private readonly datasets: DatasetRepository;
  private readonly duck: DuckPool;

  constructor(private readonly options: EngineOptions) {
    this.workspace = openWorkspace(options.home);
    this.projects = new ProjectRepository(this.workspace.db);
    this.datasets = new DatasetRepository(this.workspace.db);
    this.duck = new DuckPool(this.workspace.tmpDir);
    this.jobs = new JobManager(this.workspace.db, (job) => this.emit({ type: 'job.updated', job }));
    this.handlers = this.createHandlers();
  }

  onEvent(listener: KilnEventListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The single entry point for every transport: validate, then run the handler. */
  async dispatch(method: unknown, rawInput: unknown): Promise<unknown> {
    if (!isMethodName(method)) {
      throw new KilnError('invalid_argument', `Unknown method ${JSON.stringify(method)}.`, 'method');
    }
    const parsed = apiMethods[method].input.safeParse(rawInput ?? {});
    if (!parsed.success) throw zodToKilnError(parsed.error);
    const handler = this.handlers[method] as (input: unknown) => Promise<unknown>;
    return handler(parsed.data);
  }

  /** Typed convenience for in-process callers (CLI, tests). */
  call<M extends MethodName>(method: M, input: z.input<(typeof apiMethods)[M]['input']>): Promise<MethodOutput<M>> {
    return this.dispatch(method, input) as Promise<MethodOutput<M>>;
  }

  async close(): Promise<void> {
    await this.jobs.shutdown();
    await this.duck.close();
    this.workspace.close();
    this.listeners.clear();
  }

  private emit(event: KilnEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One broken listener (a closed socket) must not stop the others.
      }
    }
  }

  private async startImport(projectId: string, path: string, name: string): Promise<{ jobId: string }> {
    this.projects.get(projectId);
    // Plainly bad files are refused before a job exists, so the caller gets the reason at once.
    await checkCsvFile(path);
    const jobId = this.jobs.start<Dataset>('import', projectId, async (context) => {
      context.progress({ stage: 'checking', fraction: 0, message: `Checking ${name}` });
      const table = await importCsv({
        pool: this.duck,
        path,
        dataDir: this.workspace.dataDir,
        context,
        findVersion: (version) => this.datasets.findVersion(version),
      });
      context.throwIfCancelled();
      const { size } = await stat(path);
      const dataset = this.datasets.record({ projectId, name, table, sourcePath: path, sourceBytes: size });
      context.progress({
        stage: 'done',
        fraction: 1,
        message: table.reused
          ? `Already imported: reused version ${table.version.slice(0, 12)}`
          : `Imported ${table.rowCount.toLocaleString('en-US')} rows`,
      });
      this.emit({ type: 'datasets.changed', projectId });
      this.emit({ type: 'projects.changed' });
      return dataset;
    });
    return { jobId };
  }

  private createHandlers(): ApiHandlers {
    return {
      'app.info': async () => ({
        name: packageInfo().productName ?? 'Kiln',
        version: packageInfo().version,
        home: this.options.home,
        shell: this.options.shell,
        samples: samples.map(({ id, title, description }) => ({ id, title, description })),
      }),
      'projects.list': async () => this.projects.list(),
      'projects.create': async ({ name }) => {
        const project = this.projects.create(name);
        this.emit({ type: 'projects.changed' });
        return project;
      },
      'projects.get': async ({ projectId }) => this.projects.get(projectId),
      'projects.rename': async ({ projectId, name }) => {
        const project = this.projects.rename(projectId, name);
        this.emit({ type: 'projects.changed' });
        return project;
      },
      'projects.delete': async ({ projectId }) => {
        const deleted = this.projects.delete(projectId);
        this.emit({ type: 'projects.changed' });
        return { deleted };
      },
      'datasets.list': async ({ projectId }) => {
        this.projects.get(projectId);
        return this.datasets.list(projectId);
      },
      'datasets.get': async ({ datasetId }) => this.datasets.get(datasetId),
      'datasets.import': async ({ projectId, path, name }) => this.startImport(projectId, path, name ?? basename(path)),
      'datasets.importSample': async ({ projectId, sampleId }) => {
        const sample = samples.find((candidate) => candidate.id === sampleId);
        if (!sample) throw new KilnError('not_found', `There is no sample called ${sampleId}.`, 'sampleId');
        await access(sample.file).catch(() => {
          throw new KilnError('not_found', `The sample file ${sample.file} is missing from this installation.`, 'sampleId');
        });
        return this.startImport(projectId, sample.file, basename(sample.file));
      },
      'datasets.preview': async ({ datasetId, offset, limit }) => {
        const dataset = this.datasets.get(datasetId);
        const path = this.datasets.storagePath(datasetId);
        return this.duck.with(undefined, async (connection) => {
          const reader = await connection.runAndReadAll(
            `SELECT * FROM read_parquet(${quoteLiteral(path)}) LIMIT ${limit} OFFSET ${offset}`,
          );
          return { columns: dataset.columns, rows: reader.getRows().map((row) => row.map(toJsonCell)), offset, totalRows: dataset.rowCount };
        });
      },
      'jobs.list': async ({ projectId }) => this.jobs.list(projectId),
      'jobs.get': async ({ jobId }) => this.jobs.get(jobId),
      'jobs.cancel': async ({ jobId }): Promise<Job> => this.jobs.cancel(jobId),
    };
  }
}

export function zodToKilnError(error: z.ZodError): KilnError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  const message = issue ? (field ? `${field}: ${issue.message}` : issue.message) : 'Invalid arguments.';
  return new KilnError('invalid_argument', message, field);
}
