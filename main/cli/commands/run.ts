import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CleanResult, Dataset, DatasetSplit } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import { describeRecipeError, Recipe } from '../../../shared/recipe.js';
import type { Engine } from '../../engine/engine.js';
import { followJob, resolveProject, withEngine, type Command, type CommandContext } from '../common.js';
import { describeRun, runJson, trainAndWait } from './train.js';

/** Reads and validates a recipe file; a problem is named by its JSON path, e.g. `clean.0.columns`. */
export async function readRecipe(file: string): Promise<Recipe> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new KilnError('bad_input', `cannot read the recipe ${file}.`, 'recipe');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KilnError('bad_input', `${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, 'recipe');
  }
  const parsed = Recipe.safeParse(json);
  if (!parsed.success) {
    const { field, message } = describeRecipeError(parsed.error);
    throw new KilnError('bad_input', `invalid recipe ${file}: ${message}`, field);
  }
  return parsed.data;
}

async function finished<T>(engine: Engine, jobId: string, context: CommandContext, what: string): Promise<T> {
  const job = await followJob(engine, jobId, context);
  if (job.state !== 'succeeded') throw new KilnError('bad_input', `${what} ${job.state}: ${job.error ?? job.message}`);
  return job.result as T;
}

/** `kiln run <recipe.json>`: import the recipe's dataset, apply its cleaning steps and make its split, headless. */
export const runCommand: Command = async (context) => {
  const [file] = context.args;
  if (!file) throw new KilnError('invalid_argument', 'give the recipe file: kiln run <recipe.json>.');
  const recipePath = resolve(file);
  const recipe = await readRecipe(recipePath);
  if (!recipe.dataset) throw new KilnError('bad_input', `invalid recipe ${file}: dataset: the recipe names no dataset to read.`, 'dataset');
  const base = dirname(recipePath);
  const dataPath = resolve(base, recipe.dataset.path);

  return withEngine(context, async (engine) => {
    const projectId = await resolveProject(engine, context.project ?? 'Recipes');
    await engine.call('recipe.save', { projectId, recipe });
    const { jobId } = await engine.call('datasets.import', {
      projectId,
      path: dataPath,
      ...(recipe.dataset?.name ? { name: recipe.dataset.name } : {}),
    });
    let dataset = await finished<Dataset>(engine, jobId, context, 'import');
    const imported = dataset;
    let reused = false;
    if (recipe.clean.some((step) => step.enabled)) {
      const apply = await engine.call('clean.apply', { datasetId: dataset.id, steps: recipe.clean });
      const result = await finished<CleanResult>(engine, apply.jobId, context, 'cleaning');
      dataset = result.dataset;
      reused = result.reused;
    }
    let split: DatasetSplit | null = null;
    if (recipe.split) {
      const settings = recipe.split.testFile ? { ...recipe.split, testFile: resolve(base, recipe.split.testFile) } : recipe.split;
      const started = await engine.call('split.create', { datasetId: dataset.id, ...settings });
      split = await finished<DatasetSplit>(engine, started.jobId, context, 'split');
    }
    // With features and train sections the recipe goes on to train, on its own split (or the default 70/15/15 one).
    const trained =
      recipe.features && recipe.train
        ? await trainAndWait(engine, context, {
            projectId,
            datasetId: dataset.id,
            ...(split ? { splitId: split.id } : {}),
            features: recipe.features,
            train: recipe.train,
          })
        : null;
    const splits = split
      ? Object.fromEntries(
          (['train', 'valid', 'test'] as const).flatMap((part) => {
            const value = split[part];
            return value ? [[part, { version: value.version, rows: value.rows }]] : [];
          }),
        )
      : {};
    if (context.json) {
      context.out(
        JSON.stringify({
          datasetId: dataset.id,
          projectId,
          version: dataset.version,
          rows: dataset.rowCount,
          columns: dataset.columns,
          source: { datasetId: imported.id, version: imported.version, rows: imported.rowCount },
          splits,
          ...(trained ? { train: runJson(trained.best, { runIds: trained.runs.map((run) => run.id) }) } : {}),
        }),
      );
    } else {
      const steps = recipe.clean.filter((step) => step.enabled).length;
      context.out(`Imported ${imported.name}: ${imported.rowCount.toLocaleString('en-US')} rows, version ${imported.version.slice(0, 12)}`);
      if (dataset !== imported) {
        context.out(
          `Cleaned with ${steps} step${steps === 1 ? '' : 's'}${reused ? ' (reused)' : ''}: ${dataset.rowCount.toLocaleString('en-US')} rows, ${dataset.columns.length} columns, version ${dataset.version.slice(0, 12)}`,
        );
      }
      for (const [part, value] of Object.entries(splits)) {
        context.out(`  ${part.padEnd(5)} ${value.rows.toLocaleString('en-US').padStart(9)} rows  version ${value.version.slice(0, 12)}`);
      }
      context.out(`Dataset ${dataset.id}`);
      if (trained) for (const line of describeRun(trained.best)) context.out(line);
    }
    return 0;
  });
};
