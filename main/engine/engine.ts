import { z } from 'zod';
import { apiMethods, isMethodName, type ApiHandlers, type AppInfo, type MethodName, type MethodOutput } from '../../shared/api.js';
import { KilnError } from '../../shared/errors.js';
import type { KilnEvent, KilnEventListener, Unsubscribe } from '../../shared/events.js';
import type { EngineContext } from './context.js';
import { DuckPool } from './data/duckdb.js';
import { cleanHandlers } from './handlers/clean.js';
import { backendsHandlers } from './handlers/backends.js';
import { coreHandlers } from './handlers/core.js';
import { featuresHandlers } from './handlers/features.js';
import { importingHandlers } from './handlers/importing.js';
import { profileHandlers } from './handlers/profile.js';
import { trainHandlers } from './handlers/train.js';
import { exportHandlers } from './handlers/export.js';
import { JobManager } from './jobs/jobs.js';
import { CleanRepository } from './data/cleanRepository.js';
import { ProfileStore } from './data/profileStore.js';
import { ExportRepository } from './export/exports.js';
import { RunRepository } from './train/runs.js';
import { DatasetRepository, DatasetVersionRepository, ProjectRepository } from './workspace/repositories.js';
import { sweepScratch } from './workspace/scratch.js';
import { openWorkspace, type Workspace } from './workspace/workspace.js';

export interface EngineOptions {
  home: string;
  shell: AppInfo['shell'];
}

/**
 * The headless engine: it implements every method of the API contract once,
 * from the domain modules in handlers/. Transports (Electron IPC, HTTP, the
 * CLI, tests) call `dispatch`, which validates the input against the contract
 * before any handler runs.
 */
export class Engine {
  readonly workspace: Workspace;
  readonly jobs: JobManager;
  readonly context: EngineContext;
  private readonly handlers: ApiHandlers;
  private readonly listeners = new Set<KilnEventListener>();
  private readonly duck: DuckPool;

  constructor(options: EngineOptions) {
    this.workspace = openWorkspace(options.home);
    // Jobs of dead processes are marked first, so that the sweep keeps exactly the files of jobs still running.
    this.jobs = new JobManager(this.workspace.db, (job) => this.emit({ type: 'job.updated', job }));
    sweepScratch(this.workspace, { jobIsRunning: (jobId) => this.jobs.isRunning(jobId), othersAreRunning: this.jobs.othersAreRunning() });
    this.duck = new DuckPool(this.workspace.tmpDir);
    const { db } = this.workspace;
    const projects = new ProjectRepository(db);
    const versions = new DatasetVersionRepository(db);
    this.context = {
      home: options.home,
      shell: options.shell,
      workspace: this.workspace,
      projects,
      datasets: new DatasetRepository(db, versions, projects),
      versions,
      clean: new CleanRepository(db, versions, projects),
      profiles: new ProfileStore(db),
      runs: new RunRepository(db),
      exports: new ExportRepository(db),
      duck: this.duck,
      jobs: this.jobs,
      emit: (event) => this.emit(event),
    };
    this.handlers = {
      ...coreHandlers(this.context),
      ...cleanHandlers(this.context),
      ...importingHandlers(this.context),
      ...profileHandlers(this.context),
      ...featuresHandlers(this.context),
      ...backendsHandlers(this.context),
      ...trainHandlers(this.context),
      ...exportHandlers(this.context),
    };
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
}

export function zodToKilnError(error: z.ZodError): KilnError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  const message = issue ? (field ? `${field}: ${issue.message}` : issue.message) : 'Invalid arguments.';
  return new KilnError('invalid_argument', message, field);
}
