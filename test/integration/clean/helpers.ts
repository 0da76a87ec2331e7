import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../../../shared/api.js';
import type { Engine } from '../../../main/engine/engine.js';
import { waitForJob } from '../../helpers/engine.js';

/** Imports a CSV through the public API and returns the dataset, failing loudly when the import fails. */
export async function importFile(engine: Engine, projectId: string, path: string): Promise<Dataset> {
  const { jobId } = await engine.call('datasets.import', { projectId, path });
  const job = await waitForJob(engine, jobId);
  if (job.state !== 'succeeded') throw new Error(`import of ${path} ${job.state}: ${job.error ?? ''}`);
  return job.result as Dataset;
}

export async function writeCsv(dir: string, name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}
