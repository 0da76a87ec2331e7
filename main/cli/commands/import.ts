import { resolve } from 'node:path';
import { BadRowsMode, Delimiter, type ImportOptions, type ImportReport } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import { checkCsvFile } from '../../engine/data/csvImport.js';
import type { ImportedDataset } from '../../engine/handlers/core.js';
import { followJob, resolveProject, withEngine, type Command, type CommandContext } from '../common.js';

const delimiterNames: Record<string, Delimiter> = { comma: ',', semicolon: ';', tab: '\t', '\\t': '\t', pipe: '|' };

function importOptions(context: CommandContext): ImportOptions {
  const options: ImportOptions = {};
  if (context.delimiter !== undefined) {
    const parsed = Delimiter.safeParse(delimiterNames[context.delimiter] ?? context.delimiter);
    if (!parsed.success) {
      throw new KilnError(
        'invalid_argument',
        `--delimiter must be one of , ; | tab (or comma, semicolon, pipe), not "${context.delimiter}".`,
      );
    }
    options.delimiter = parsed.data;
  }
  if (context.noHeader) options.header = false;
  // An empty item in the list is the empty cell: '?,NA,' keeps empty cells missing.
  if (context.missing !== undefined) options.missing = context.missing.split(',').map((marker) => marker.trim());
  if (context.badRows !== undefined) {
    const parsed = BadRowsMode.safeParse(context.badRows);
    if (!parsed.success) throw new KilnError('invalid_argument', `--bad-rows must be skip or stop, not "${context.badRows}".`);
    options.badRows = parsed.data;
  }
  return options;
}

function describeReport(report: ImportReport, out: (text: string) => void): void {
  const dialect = report.dialect;
  const names: Record<string, string> = { ',': 'comma (,)', ';': 'semicolon (;)', '\t': 'tab', '|': 'pipe (|)' };
  const separator = names[dialect.delimiter] ?? JSON.stringify(dialect.delimiter);
  out(`Read as ${separator} separated, ${dialect.header ? 'with a header row' : 'with no header row'}, ${dialect.encoding.toUpperCase()}`);
  if (report.badRows.count > 0) {
    out(`Skipped ${report.badRows.count.toLocaleString('en-US')} bad rows:`);
    for (const row of report.badRows.lines.slice(0, 10)) out(`  line ${row.line}: ${row.error} | ${row.text.slice(0, 80)}`);
  }
  for (const rename of report.renamed) out(`Renamed column ${rename.position} "${rename.from}" to "${rename.to}"`);
  for (const note of report.notes) out(`${note.column ? `${note.column}: ` : ''}${note.message}`);
  const width = Math.max(6, ...report.columns.map((column) => column.name.length));
  out(`${'column'.padEnd(width)}  ${'type'.padEnd(9)}  ${'missing'.padStart(9)}  ${'distinct'.padStart(9)}`);
  for (const column of report.columns) {
    out(
      `${column.name.padEnd(width)}  ${column.type.padEnd(9)}  ${column.missing.toLocaleString('en-US').padStart(9)}  ${column.distinct.toLocaleString('en-US').padStart(9)}`,
    );
  }
}

export const importCommand: Command = async (context) => {
  const [file] = context.args;
  if (!file) throw new KilnError('invalid_argument', 'give the CSV file to import: kiln import <file>.');
  const options = importOptions(context);
  return withEngine(context, async (engine) => {
    await checkCsvFile(resolve(file));
    const projectId = await resolveProject(engine, context.project ?? 'Imports');
    const { jobId } = await engine.call('datasets.import', { projectId, path: resolve(file), options });
    const job = await followJob(engine, jobId, context);
    if (job.state !== 'succeeded') throw new KilnError('bad_input', job.error ?? `import ${job.state}`);
    const dataset = job.result as ImportedDataset;
    const report = dataset.importReport;
    if (context.json) {
      context.out(
        JSON.stringify({
          datasetId: dataset.id,
          projectId,
          version: dataset.version,
          rows: dataset.rowCount,
          columns: report.columns.map(({ name, type, role, missing, distinct }) => ({ name, type, role, missing, distinct })),
          badRows: report.badRows,
          renamed: report.renamed,
          notes: report.notes,
          dialect: report.dialect,
          reused: report.reused,
        }),
      );
    } else {
      context.out(`Imported ${dataset.name}: ${dataset.rowCount.toLocaleString('en-US')} rows, ${dataset.columns.length} columns`);
      context.out(`Dataset ${dataset.id}, version ${dataset.version}${report.reused ? ' (already imported: reused)' : ''}`);
      describeReport(report, context.out);
    }
    return 0;
  });
};
