import { resolve } from 'node:path';
import type { Dataset } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import { checkCsvFile } from '../../engine/data/csvImport.js';
import { followJob, resolveProject, withEngine, type Command } from '../common.js';

export const importCommand: Command = async (context) => {
  const [file] = context.args;
  if (!file) throw new KilnError('invalid_argument', 'give the CSV file to import: kiln import <file>.');
  return withEngine(context, async (engine) => {
    await checkCsvFile(resolve(file));
    const projectId = await resolveProject(engine, context.project ?? 'Imports');
    const { jobId } = await engine.call('datasets.import', { projectId, path: resolve(file) });
    const job = await followJob(engine, jobId, context);
    if (job.state !== 'succeeded') throw new KilnError('bad_input', job.error ?? `import ${job.state}`);
    const dataset = job.result as Dataset;
    if (context.json) {
      context.out(
        JSON.stringify({ datasetId: dataset.id, projectId, version: dataset.version, rows: dataset.rowCount, columns: dataset.columns }),
      );
    } else {
      context.out(`Imported ${dataset.name}: ${dataset.rowCount.toLocaleString('en-US')} rows, ${dataset.columns.length} columns`);
      context.out(`Dataset ${dataset.id}, version ${dataset.version}`);
    }
    return 0;
  });
};
