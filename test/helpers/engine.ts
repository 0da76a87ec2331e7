import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job } from '../../shared/api.js';
import { Engine } from '../../main/engine/engine.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const adultCsv = join(repoRoot, 'resources', 'samples', 'adult.csv');
export const adultTestCsv = join(repoRoot, 'resources', 'samples', 'adult.test.csv');

/** A real engine on a real SQLite file in a fresh temporary KILN_HOME. */
export async function createTestEngine(): Promise<{ engine: Engine; home: string; cleanup: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'kiln-test-'));
  const engine = new Engine({ home, shell: 'test' });
  return {
    engine,
    home,
    cleanup: async () => {
      await engine.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

export async function tempDir(prefix = 'kiln-files-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Waits for a job to finish and returns its final state. */
export async function waitForJob(engine: Engine, jobId: string): Promise<Job> {
  return engine.jobs.wait(jobId);
}
