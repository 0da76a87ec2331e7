import { KilnError } from '../../../shared/errors.js';
import { formatFromPath } from '../../engine/data/exportTable.js';
import { withEngine, type Command } from '../common.js';

/** `kiln export-data <dataset-id> <file.csv|file.parquet>`: the format follows the file's extension. */
export const exportDataCommand: Command = async (context) => {
  const [datasetId, path] = context.args;
  if (!datasetId || !path)
    throw new KilnError('invalid_argument', 'give a dataset and a file: kiln export-data <dataset-id> <file.csv|file.parquet>.');
  const format = formatFromPath(path);
  if (!format) throw new KilnError('invalid_argument', `${path} should end in .csv or .parquet, so Kiln knows which format to write.`);
  return withEngine(context, async (engine) => {
    const written = await engine.call('datasets.exportTable', { datasetId, format, path });
    if (context.json) context.out(JSON.stringify(written));
    else context.out(`Wrote ${written.rows.toLocaleString('en-US')} rows to ${written.path}`);
    return 0;
  });
};
