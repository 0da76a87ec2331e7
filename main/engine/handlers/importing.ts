import type { HandlersFor } from '../../../shared/api.js';
import type { importingMethods } from '../../../shared/api/importing.js';
import type { EngineContext } from '../context.js';
import { checkCsvFile } from '../data/csvImport.js';
import { sniffCsv } from '../data/sniff.js';
import { sampleFile } from './core.js';

/** Sniffing before an import, and the stored report of how a dataset was imported. */
export function importingHandlers(context: EngineContext): HandlersFor<keyof typeof importingMethods> {
  const sniff = async (path: string, options: Parameters<typeof sniffCsv>[3]) => {
    const { bytes } = await checkCsvFile(path);
    return context.duck.with(undefined, (connection) => sniffCsv(connection, path, bytes, options, context.workspace.tmpDir));
  };
  return {
    'datasets.sniff': async ({ path, options }) => sniff(path, options),
    'datasets.sniffSample': async ({ sampleId, options }) => sniff(await sampleFile(sampleId), options),
    'datasets.importReport': async ({ datasetId }) => {
      context.datasets.get(datasetId);
      return context.datasets.importReport(datasetId);
    },
  };
}
