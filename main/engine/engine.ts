import { z } from 'zod';
import {
  isMethodName,
  schemasOf,
  type ApiDispatch,
  type ApiHandlers,
  type ApiOutput,
  type AppInfo,
  type MethodInput,
  type MethodName,
  type MethodOutput,
} from '../../shared/api.js';
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
  /** Where internal failures are described in full; callers get only a plain message. */
  log?: (line: string) => void;
}

/** What a caller is told when a handler's answer breaks its method's output schema: a bug, so no engine detail. */
export const outputMismatchMessage =
  'Kiln produced an answer that does not match its own contract (an internal error); the log has the detail.';

/**
 * Validates a call against the contract around `handlers`: the name, then the
 * input against the method's input schema before the handler runs, then the
 * handler's answer against the output schema before anyone sees it. What is
 * returned is the parsed answer, so only what the contract names crosses.
 */
export function createDispatch(handlers: Partial<ApiHandlers>, log: (line: string) => void): ApiDispatch {
  async function run<M extends MethodName>(method: M, rawInput: unknown): Promise<MethodOutput<M>> {
    const schemas = schemasOf(method);
    const parsed = schemas.input.safeParse(rawInput ?? {});
    if (!parsed.success) throw zodToKilnError(parsed.error);
    const handler = handlers[method];
    if (!handler) throw new KilnError('internal', `The engine has no handler for ${method}.`);
    const answer = await handler(parsed.data);
    const checked = schemas.output.safeParse(answer);
    if (checked.success) return checked.data;
    // The first few issues say where it broke; the value itself may be large or hold the user's data.
    log(
      `kiln: the ${method} handler answered outside its output schema:\n${z.prettifyError(new z.ZodError(checked.error.issues.slice(0, 3)))}`,
    );
    throw new KilnError('internal', outputMismatchMessage);
  }

  function dispatch<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  function dispatch(method: unknown, input: unknown): Promise<ApiOutput>;
  async function dispatch(method: unknown, input: unknown): Promise<ApiOutput> {
    if (!isMethodName(method)) {
      throw new KilnError('invalid_argument', `Unknown method ${JSON.stringify(method)}.`, 'method');
    }
    return run(method, input);
  }
  return dispatch;
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
  /** The single entry point for every transport; see createDispatch. */
  readonly dispatch: ApiDispatch;
  private readonly listeners = new Set<KilnEventListener>();
  private readonly duck: DuckPool;

  constructor(options: EngineOptions) {
    this.workspace = openWorkspace(options.home);
    // Jobs of dead processes are marked first, so that the sweep keeps exactly the files of jobs still running.
    const log = options.log ?? ((line: string) => console.error(line));
    this.jobs = new JobManager(this.workspace.db, (job) => this.emit({ type: 'job.updated', job }), log);
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
    const handlers: ApiHandlers = {
      ...coreHandlers(this.context),
      ...cleanHandlers(this.context),
      ...importingHandlers(this.context),
      ...profileHandlers(this.context),
      ...featuresHandlers(this.context),
      ...backendsHandlers(this.context),
      ...trainHandlers(this.context),
      ...exportHandlers(this.context),
    };
    this.dispatch = createDispatch(handlers, log);
  }

  onEvent(listener: KilnEventListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** For in-process callers (CLI, tests): like dispatch, but the input must already be the method's. */
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
    return this.dispatch(method, input);
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
