import type { KilnEvent } from '../../shared/events.js';
import type { AppInfo } from '../../shared/api.js';
import type { DuckPool } from './data/duckdb.js';
import type { JobManager } from './jobs/jobs.js';
import type { DatasetRepository, ProjectRepository } from './workspace/repositories.js';
import type { Workspace } from './workspace/workspace.js';

/** What every engine module gets: the workspace, its repositories, DuckDB, jobs and the event stream. */
export interface EngineContext {
  readonly home: string;
  readonly shell: AppInfo['shell'];
  readonly workspace: Workspace;
  readonly projects: ProjectRepository;
  readonly datasets: DatasetRepository;
  readonly duck: DuckPool;
  readonly jobs: JobManager;
  emit(event: KilnEvent): void;
}
