import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../../../shared/api.js';
import { FeatureEncoding, TrainSettings, type FeatureSettings, type Task } from '../../../shared/api/train.js';
import { runCli } from '../../../main/cli/run.js';
import type { Engine } from '../../../main/engine/engine.js';
import { waitForJob } from '../../helpers/engine.js';

export async function kiln(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export async function importFile(engine: Engine, path: string, projectName = 'Training'): Promise<Dataset> {
  const project = await engine.call('projects.create', { name: projectName });
  const { jobId } = await engine.call('datasets.import', { projectId: project.id, path });
  const job = await waitForJob(engine, jobId);
  if (job.state !== 'succeeded') throw new Error(`import ${job.state}: ${job.error ?? ''}`);
  return job.result as Dataset;
}

/** Every column but the target as a feature, numbers numeric and the rest categorical. */
export function allFeatures(dataset: Dataset, target: string, task: Task): FeatureSettings {
  return {
    target,
    task,
    features: dataset.columns
      .filter((column) => column.name !== target)
      .map((column) => ({
        name: column.name,
        include: true,
        encoding: FeatureEncoding.parse({ kind: /INT|DOUBLE|FLOAT|DECIMAL/i.test(column.type) ? 'numeric' : 'categorical' }),
      })),
  };
}

export function trainSettings(overrides: Record<string, unknown>): TrainSettings {
  return TrainSettings.parse(overrides);
}

export async function writeCsv(dir: string, name: string, header: string[], rows: (string | number)[][]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, [header.join(','), ...rows.map((row) => row.join(','))].join('\n') + '\n');
  return path;
}

/** The numeric columns of adult.csv; the rest are categories. */
export const adultNumeric = new Set(['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week']);

export function adultFeatures(): FeatureSettings {
  const names = [
    'age',
    'workclass',
    'fnlwgt',
    'education',
    'education-num',
    'marital-status',
    'occupation',
    'relationship',
    'race',
    'sex',
    'capital-gain',
    'capital-loss',
    'hours-per-week',
    'native-country',
  ];
  return {
    target: 'Y',
    task: 'binary',
    features: names.map((name) => ({
      name,
      include: true,
      encoding: FeatureEncoding.parse({ kind: adultNumeric.has(name) ? 'numeric' : 'categorical' }),
    })),
  };
}
