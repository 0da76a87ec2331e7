import type { Dataset, HandlersFor, ProfileOptions } from '../../../shared/api.js';
import type { profileMethods } from '../../../shared/api/profile.js';
import { KilnError } from '../../../shared/errors.js';
import type { EngineContext } from '../context.js';
import { ProfileStore, profileOptionsHash, type NormalizedProfileOptions } from '../data/profileStore.js';
import { runInWorker } from '../workers/supervisor.js';
import { withWorkDir } from '../workers/workDir.js';

/** Checks the target against the dataset and drops a sample that would cover the whole table, so equal work shares a cache entry. */
function normalize(dataset: Dataset, options: ProfileOptions): NormalizedProfileOptions {
  const target = options.target ?? null;
  if (target !== null && !dataset.columns.some((column) => column.name === target)) {
    const names = dataset.columns.map((column) => JSON.stringify(column.name));
    const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : names.join(', ');
    throw new KilnError(
      'bad_input',
      `There is no column ${JSON.stringify(target)} in ${dataset.name} to use as the target. Its columns are ${shown}.`,
      'target',
    );
  }
  const sample = options.sample !== undefined && options.sample < dataset.rowCount ? options.sample : null;
  return { target, sample };
}

export function profileHandlers(context: EngineContext): HandlersFor<keyof typeof profileMethods> {
  const store = new ProfileStore(context.workspace.db);
  return {
    'profile.compute': async (input) => {
      const dataset = context.datasets.get(input.datasetId);
      const options = normalize(dataset, input);
      const optionsHash = profileOptionsHash(options);
      const parquetPath = context.datasets.storagePath(dataset.id);
      const jobId = context.jobs.start('profile', dataset.projectId, async (job) => {
        const done = { datasetId: dataset.id, version: dataset.version, optionsHash };
        if (store.find(dataset.version, optionsHash)) {
          job.progress({ stage: 'done', fraction: 1, message: 'Reused the profile computed earlier for this version' });
          return { ...done, fromCache: true };
        }
        // The statistics run in a worker process on its own DuckDB; this process serves the UI and owns the profiles table.
        const profile = await withWorkDir(context.workspace.tmpDir, 'profile', (workDir) =>
          runInWorker(
            'profile.compute',
            {
              parquetPath,
              datasetId: dataset.id,
              version: dataset.version,
              optionsHash,
              rowCount: dataset.rowCount,
              columnCount: dataset.columns.length,
              target: options.target,
              sample: options.sample,
              workDir,
            },
            job,
          ),
        );
        job.throwIfCancelled();
        store.save(profile);
        return { ...done, fromCache: false };
      });
      return { jobId };
    },
    'profile.get': async (input) => {
      const dataset = context.datasets.get(input.datasetId);
      const optionsHash = profileOptionsHash(normalize(dataset, input));
      const profile = store.find(dataset.version, optionsHash);
      // The cache is per version, shared by every dataset record that points at it.
      return profile ? { ...profile, datasetId: dataset.id } : null;
    },
  };
}
