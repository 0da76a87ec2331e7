import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A fresh folder under the workspace's tmp/ for one worker task, removed when
 * the work settles. Each DuckDB instance gets its own spill folder this way:
 * two instances sharing one temp_directory would reuse each other's file names.
 */
export async function withWorkDir<T>(tmpDir: string, prefix: string, work: (workDir: string) => Promise<T>): Promise<T> {
  const workDir = await mkdtemp(join(tmpDir, `${prefix}-`));
  try {
    return await work(workDir);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
