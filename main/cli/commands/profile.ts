import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { ColumnProfile, Dataset, DatasetProfile } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import { measureName } from '../../engine/data/profile.js';
import type { Engine } from '../../engine/engine.js';
import { followJob, resolveProject, withEngine, type Command, type CommandContext } from '../common.js';
import { renderTable } from '../format.js';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A dataset id, or a CSV file that is imported first (into --project, or "Imports"). */
async function resolveDataset(engine: Engine, argument: string, context: CommandContext): Promise<Dataset> {
  if (await isFile(resolve(argument))) {
    const projectId = await resolveProject(engine, context.project ?? 'Imports');
    const { jobId } = await engine.call('datasets.import', { projectId, path: resolve(argument) });
    const job = await followJob(engine, jobId, context);
    if (job.state !== 'succeeded') throw new KilnError('bad_input', job.error ?? `The import of ${basename(argument)} ${job.state}.`);
    return job.result as Dataset;
  }
  try {
    return await engine.call('datasets.get', { datasetId: argument });
  } catch (error) {
    if (error instanceof KilnError && error.code === 'not_found') {
      throw new KilnError('bad_input', `${argument} is neither a file nor a dataset id (see kiln import, or kiln run).`, 'dataset');
    }
    throw error;
  }
}

function parseSample(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 10) {
    throw new KilnError(
      'invalid_argument',
      `--sample must be a whole number of rows, at least 10 (got ${JSON.stringify(text)}).`,
      'sample',
    );
  }
  return value;
}

export const profileCommand: Command = async (context) => {
  const [argument] = context.args;
  if (!argument) throw new KilnError('invalid_argument', 'give a dataset id or a CSV file: kiln profile <dataset-id|file> [--target COL].');
  const sample = parseSample(context.sample);
  return withEngine(context, async (engine) => {
    const dataset = await resolveDataset(engine, argument, context);
    const options = { datasetId: dataset.id, ...(context.target ? { target: context.target } : {}), ...(sample ? { sample } : {}) };
    const { jobId } = await engine.call('profile.compute', options);
    const job = await followJob(engine, jobId, context);
    if (job.state !== 'succeeded') throw new KilnError('internal', job.error ?? `The profile ${job.state}.`);
    const profile = await engine.call('profile.get', options);
    if (!profile) throw new KilnError('internal', 'The profile finished but was not stored.');
    context.out(context.json ? JSON.stringify(profile) : describeProfile(dataset, profile));
    return 0;
  });
};

const integer = (value: number) => value.toLocaleString('en-US');

function shortNumber(value: number): string {
  if (Number.isInteger(value)) return integer(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || (magnitude > 0 && magnitude < 1e-3)) return value.toExponential(2);
  return value.toLocaleString('en-US', { maximumFractionDigits: magnitude >= 100 ? 1 : 3 });
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

function summary(column: ColumnProfile): string {
  if (column.count === 0) return 'all missing';
  if (column.numeric) {
    const { min, max, mean, std } = column.numeric;
    return `${shortNumber(min)} … ${shortNumber(max)}, mean ${shortNumber(mean)}${std === null ? '' : ` ± ${shortNumber(std)}`}`;
  }
  if (column.range) return `${column.range.min} … ${column.range.max}`;
  const top = column.top?.values[0];
  if (top) return `top ${clip(top.value, 28)} (${((top.count / column.count) * 100).toFixed(1)}%)`;
  return '';
}

export function describeProfile(dataset: Dataset, profile: DatasetProfile): string {
  const scope = profile.sample === null ? 'whole table' : `a seeded sample of ${integer(profile.profiledRows)} rows`;
  const lines = [
    `${dataset.name}: ${integer(profile.rowCount)} rows, ${profile.columns.length} columns (${scope}; distinct counts ${profile.distinctMethod}; ${(profile.computeMs / 1000).toFixed(1)} s)`,
    '',
    renderTable(
      ['column', 'type', 'missing', 'distinct', 'summary'],
      profile.columns.map((column) => [
        clip(column.name, 32),
        column.type,
        column.missing === 0 ? '0' : `${integer(column.missing)} (${(column.missingShare * 100).toFixed(1)}%)`,
        integer(column.distinct),
        summary(column),
      ]),
    ),
  ];
  const pairs: string[] = [];
  const { columns, matrix } = profile.correlation;
  columns.forEach((left, row) =>
    columns.forEach((right, other) => {
      const value = matrix[row]?.[other];
      if (other > row && value !== null && value !== undefined && Math.abs(value) >= 0.5)
        pairs.push(`  ${left} ~ ${right}: r = ${value.toFixed(2)}`);
    }),
  );
  lines.push(
    '',
    `Correlations (Pearson, ${columns.length} numeric columns${profile.correlation.omitted ? `, ${profile.correlation.omitted} left out` : ''}): ${pairs.length === 0 ? 'none with |r| ≥ 0.5' : ''}`,
  );
  lines.push(...pairs);
  if (profile.associations) {
    const { target, targetKind, items } = profile.associations;
    lines.push('', `Association with ${target} (${targetKind} target), strongest first:`);
    lines.push(
      renderTable(
        ['column', 'measure', 'value'],
        items.slice(0, 25).map((item) => [clip(item.column, 32), measureName(item.measure), item.value.toFixed(3)]),
      )
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
    if (items.length > 25) lines.push(`  … and ${items.length - 25} more (see --json)`);
  }
  lines.push('', profile.warnings.length === 0 ? 'No warnings.' : `Warnings (${profile.warnings.length}):`);
  for (const warning of profile.warnings) lines.push(`  [${warning.kind}] ${warning.message}`);
  return lines.join('\n');
}
