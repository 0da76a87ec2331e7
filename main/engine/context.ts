import type { KilnEvent } from '../../shared/events.js';
import type { AppInfo } from '../../shared/api.js';
import type { DuckPool } from './data/duckdb.js';
import type { JobManager } from './jobs/jobs.js';
import type { CleanRepository } from './data/cleanRepository.js';
import type { ProfileStore } from './data/profileStore.js';
import type { ExportRepository } from './export/exports.js';
import type { RunRepository } from './train/runs.js';
import type { DatasetRepository, DatasetVersionRepository, ProjectRepository } from './workspace/repositories.js';
import type { Workspace } from './workspace/workspace.js';

/**
 * What every engine module gets: the workspace, the repositories that own its tables, DuckDB, jobs and the
 * event stream. Each SQLite table has one owner (test/unit/layers/tables.test.ts lists them); modules reach
 * a table through its owner here rather than with SQL of their own.
 */
export interface EngineContext {
  readonly home: string;
  readonly shell: AppInfo['shell'];
  readonly workspace: Workspace;
  readonly projects: ProjectRepository;
  readonly datasets: DatasetRepository;
  readonly versions: DatasetVersionRepository;
  /** The project's recipe and the splits of its tables. */
  readonly clean: CleanRepository;
  readonly profiles: ProfileStore;
  readonly runs: RunRepository;
  readonly exports: ExportRepository;
  readonly duck: DuckPool;
  readonly jobs: JobManager;
  emit(event: KilnEvent): void;
}
