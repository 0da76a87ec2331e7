/** The whole-table profile, computed in a worker on its own DuckDB over the dataset's Parquet file. */
import type { DatasetProfile } from '../../../shared/api.js';
import { DuckPool } from '../data/duckdb.js';
import { computeProfile } from '../data/profile.js';
import type { ProfileComputeRequest, TaskContext } from './tasks.js';

export async function computeProfileTask(request: ProfileComputeRequest, context: TaskContext): Promise<DatasetProfile> {
  const { workDir, ...profileRequest } = request;
  const duck = new DuckPool(workDir);
  try {
    return await computeProfile(duck, { ...profileRequest, job: context });
  } finally {
    await duck.close();
  }
}
