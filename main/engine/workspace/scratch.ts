import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Workspace } from './workspace.js';

/** Temporary files a job names after itself, `.<job id>.<random>.<suffix>`: an import's scratch Parquet and staged tables. */
const jobTemporary = /^\.(job_[0-9a-f]+)\./;

export interface ScratchOwners {
  /** Whether the job is queued or running in a live process: its files are in use. */
  jobIsRunning(jobId: string): boolean;
  /** Whether another live process runs a job on this workspace: scratch that names no job may be its own. */
  othersAreRunning: boolean;
}

/**
 * Removes what a killed process left behind, at start: the temporary files of jobs that are no longer running
 * (a killed import leaves `data/.job_<id>.<hex>.parquet.tmp`), never those of a job another process is still
 * running. The rest of tmp/ (DuckDB's spill files, which name no job) is emptied only when no other process
 * is at work.
 */
export function sweepScratch(workspace: Workspace, owners: ScratchOwners): string[] {
  const removed: string[] = [];
  const remove = (path: string) => {
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  };
  for (const dir of [workspace.dataDir, workspace.tmpDir]) {
    const whole = dir === workspace.tmpDir && !owners.othersAreRunning;
    for (const entry of readdirSync(dir)) {
      const jobId = jobTemporary.exec(entry)?.[1];
      if (jobId !== undefined ? !owners.jobIsRunning(jobId) : whole) remove(join(dir, entry));
    }
  }
  return removed;
}
