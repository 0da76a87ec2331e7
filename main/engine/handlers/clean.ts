import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { HandlersFor } from '../../../shared/api.js';
import type { CleanResult, ColumnMissingChange, StepEffect, cleanMethods } from '../../../shared/api/clean.js';
import { KilnError } from '../../../shared/errors.js';
import { cleanStepTitles, type CleanStep, type SplitSettings } from '../../../shared/recipe.js';
import type { EngineContext } from '../context.js';
import { compileClean, tableStats } from '../data/clean.js';
import { writeCleanTable, type CleanDerivation } from '../data/cleanApply.js';
import type { DatasetVersion, DatasetVersionRepository } from '../workspace/repositories.js';
import { importCsv } from '../data/csvImport.js';
import { exportTable } from '../data/exportTable.js';
import { writeSplit } from '../data/split.js';
import { toJsonCell } from '../data/values.js';
import type { JobContext } from '../jobs/jobs.js';

const cleanedSuffix = ' · cleaned';

function versionOf(versions: DatasetVersionRepository, version: string): DatasetVersion {
  const record = versions.find(version);
  if (!record) throw new KilnError('not_found', `The dataset version ${version} is not recorded.`, 'datasetId');
  return record;
}

async function preview(connection: DuckDBConnection, path: string, steps: CleanStep[], limit: number) {
  const compiled = await compileClean(connection, { path, steps });
  const stats = new Map<string, Awaited<ReturnType<typeof tableStats>>>();
  const statsOf = async (relation: string) => {
    const known = stats.get(relation);
    if (known) return known;
    const computed = await tableStats(connection, compiled.chain, relation);
    stats.set(relation, computed);
    return computed;
  };
  const effects: StepEffect[] = [];
  for (const entry of compiled.steps) {
    const before = await statsOf(entry.before);
    const after = await statsOf(entry.after);
    const names = [...new Set([...before.missing.keys(), ...after.missing.keys()])];
    const columns: ColumnMissingChange[] = names
      .map((column) => ({ column, before: before.missing.get(column) ?? null, after: after.missing.get(column) ?? null }))
      .filter((change) => change.before !== change.after);
    const sum = (missing: Map<string, number>) => [...missing.values()].reduce((total, value) => total + value, 0);
    effects.push({
      stepId: entry.step.id,
      enabled: entry.step.enabled,
      rowsBefore: before.rows,
      rowsAfter: after.rows,
      missingBefore: sum(before.missing),
      missingAfter: sum(after.missing),
      columns,
      fitted: entry.fitted,
    });
  }
  const reader = await connection.runAndReadAll(compiled.chain.resultQuery(limit));
  const total = await statsOf(compiled.chain.last);
  return {
    effects,
    result: { columns: compiled.columns, rows: reader.getRows().map((row) => row.map(toJsonCell)), offset: 0, totalRows: total.rows },
  };
}

function requireEnabledSteps(steps: CleanStep[]): void {
  if (!steps.some((step) => step.enabled)) throw new KilnError('bad_input', 'There are no enabled cleaning steps to apply.', 'steps');
}

export function cleanHandlers(context: EngineContext): HandlersFor<keyof typeof cleanMethods> {
  const { versions, clean: repository } = context;
  const findVersion = (version: string) => versions.find(version);

  const applyClean = async (job: JobContext, datasetId: string, steps: CleanStep[]): Promise<CleanResult> => {
    const dataset = context.datasets.get(datasetId);
    const parent = versionOf(versions, dataset.version);
    const enabled = steps.filter((step) => step.enabled).length;
    const { table, reused } = await context.duck.with(job.signal, (connection) =>
      writeCleanTable(connection, {
        parent,
        steps,
        dataDir: context.workspace.dataDir,
        findVersion,
        onStep: (index) => {
          const step = steps[index];
          job.progress({
            stage: 'compiling',
            fraction: (index / Math.max(1, steps.length)) * 0.5,
            message: step ? `Step ${index + 1} of ${steps.length}: ${cleanStepTitles[step.type]}` : '',
          });
        },
      }),
    );
    job.throwIfCancelled();
    job.progress({ stage: 'recording', fraction: 0.95, message: `Recording version ${table.version.slice(0, 12)}` });
    const existingId = context.datasets.findIdByVersion(dataset.projectId, table.version);
    const baseName = dataset.name.endsWith(cleanedSuffix) ? dataset.name.slice(0, -cleanedSuffix.length) : dataset.name;
    const id =
      existingId ??
      context.datasets.record({
        projectId: dataset.projectId,
        name: `${baseName}${cleanedSuffix}`,
        table,
        sourcePath: dataset.sourcePath,
        sourceBytes: null,
      }).id;
    job.progress({
      stage: 'done',
      fraction: 1,
      message: reused
        ? `Reused version ${table.version.slice(0, 12)}`
        : `Applied ${enabled} step${enabled === 1 ? '' : 's'}: ${table.rowCount.toLocaleString('en-US')} rows`,
    });
    context.emit({ type: 'datasets.changed', projectId: dataset.projectId });
    return { dataset: context.datasets.get(id), reused };
  };

  /** Imports a separate test file and puts it through the steps that made `source`, learning from the training data. */
  const cleanTestFile = async (
    job: JobContext,
    connection: DuckDBConnection,
    source: DatasetVersion,
    testFile: string,
  ): Promise<DatasetVersion> => {
    const path = resolve(testFile);
    const imported = await importCsv({
      pool: context.duck,
      path,
      dataDir: context.workspace.dataDir,
      tmpDir: context.workspace.tmpDir,
      context: job,
      findVersion,
    });
    const raw: DatasetVersion = {
      version: imported.version,
      storagePath: imported.storagePath,
      rowCount: imported.rowCount,
      columns: imported.columns,
      parentVersion: null,
      derivation: { kind: 'import', path },
    };
    if (!imported.reused) versions.record(raw);
    const derivation = source.derivation as CleanDerivation | null;
    let table = raw;
    if (derivation?.kind === 'clean' && source.parentVersion) {
      const trainingRaw = versionOf(versions, source.parentVersion);
      const cleaned = await writeCleanTable(connection, {
        parent: raw,
        steps: derivation.steps,
        dataDir: context.workspace.dataDir,
        findVersion,
        fitPath: trainingRaw.storagePath,
        versionSalt: `fit:${trainingRaw.version}`,
      });
      table = cleaned.table;
      versions.record(table);
    }
    const expected = source.columns.map((column) => column.name);
    const missing = expected.filter((name) => !table.columns.some((column) => column.name === name));
    const extra = table.columns.map((column) => column.name).filter((name) => !expected.includes(name));
    if (missing.length > 0 || extra.length > 0) {
      const parts = [
        missing.length > 0 ? `it lacks ${missing.map((name) => JSON.stringify(name)).join(', ')}` : '',
        extra.length > 0 ? `it has extra ${extra.map((name) => JSON.stringify(name)).join(', ')}` : '',
      ].filter(Boolean);
      throw new KilnError(
        'bad_input',
        `The test file ${basename(path)} does not have the same columns after cleaning: ${parts.join('; ')}.`,
        'testFile',
      );
    }
    return table;
  };

  return {
    'recipe.get': async ({ projectId }) => {
      context.projects.get(projectId);
      return repository.getRecipe(projectId);
    },
    'recipe.save': async ({ projectId, recipe }) => {
      context.projects.get(projectId);
      return repository.saveRecipe(projectId, recipe);
    },
    'clean.preview': async ({ datasetId, steps, limit }) => {
      const path = context.datasets.storagePath(datasetId);
      return context.duck.with(undefined, (connection) => preview(connection, path, steps, limit));
    },
    'clean.apply': async ({ datasetId, steps }) => {
      const dataset = context.datasets.get(datasetId);
      requireEnabledSteps(steps);
      // Mistakes in the steps (a missing column, a bad value) are reported before a job exists.
      const path = context.datasets.storagePath(datasetId);
      await context.duck.with(undefined, (connection) => compileClean(connection, { path, steps }));
      const jobId = context.jobs.start('clean', dataset.projectId, (job) => applyClean(job, datasetId, steps));
      return { jobId };
    },
    'split.create': async (input) => {
      const { datasetId, ...settings } = input;
      const dataset = context.datasets.get(datasetId);
      const source = versionOf(versions, dataset.version);
      if (settings.testFile !== undefined) {
        await stat(resolve(settings.testFile)).catch(() => {
          throw new KilnError('bad_input', `The test file ${settings.testFile} does not exist.`, 'testFile');
        });
      }
      if (settings.target !== undefined && !source.columns.some((column) => column.name === settings.target)) {
        throw new KilnError('bad_input', `There is no column ${JSON.stringify(settings.target)} to use as the target.`, 'target');
      }
      const jobId = context.jobs.start('split', dataset.projectId, async (job) => {
        job.progress({ stage: 'splitting', fraction: 0, message: 'Splitting' });
        const written = await context.duck.with(job.signal, async (connection) => {
          const testTable = settings.testFile ? await cleanTestFile(job, connection, source, settings.testFile) : undefined;
          return writeSplit(connection, {
            source,
            settings: settings as SplitSettings,
            dataDir: context.workspace.dataDir,
            findVersion,
            ...(testTable ? { testTable } : {}),
            onPart: (part) => {
              const fraction = { train: 0.2, valid: 0.5, test: 0.75 }[part];
              job.progress({ stage: 'writing', fraction, message: `Writing the ${part} split` });
            },
          });
        });
        job.throwIfCancelled();
        const split = repository.recordSplit({ datasetId, sourceVersion: source.version, ...written });
        job.progress({
          stage: 'done',
          fraction: 1,
          message: `Split into ${[split.train, split.valid, split.test]
            .filter((part) => part !== null)
            .map((part) => part.rows.toLocaleString('en-US'))
            .join(' / ')} rows`,
        });
        return split;
      });
      return { jobId };
    },
    'split.list': async ({ datasetId }) => {
      context.datasets.get(datasetId);
      return repository.listSplits(datasetId);
    },
    'datasets.exportTable': async ({ datasetId, format, path }) => {
      const dataset = context.datasets.get(datasetId);
      const storagePath = context.datasets.storagePath(datasetId);
      const written = await context.duck.with(undefined, (connection) => exportTable(connection, { storagePath, format, path }));
      return { ...written, columns: dataset.columns };
    },
  };
}
