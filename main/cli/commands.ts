import { resolve } from 'node:path';
import type { Dataset, Job } from '../../shared/api.js';
import { KilnError } from '../../shared/errors.js';
import { checkCsvFile } from '../engine/data/csvImport.js';
import { Engine } from '../engine/engine.js';
import { renderTable } from './format.js';

export interface CommandContext {
  args: string[];
  json: boolean;
  project: string | undefined;
  home: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

export type Command = (context: CommandContext) => Promise<number>;

async function withEngine<T>(context: CommandContext, work: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = new Engine({ home: context.home, shell: 'cli' });
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}

/** Progress goes to stderr, one line per stage change, so stdout stays clean for --json. */
async function followJob(engine: Engine, jobId: string, context: CommandContext): Promise<Job> {
  let lastStage = '';
  let lastPercent = -10;
  const unsubscribe = engine.onEvent((event) => {
    if (event.type !== 'job.updated' || event.job.id !== jobId || event.job.state === 'failed') return;
    const percent = Math.floor((event.job.fraction ?? 0) * 100);
    if (event.job.stage !== lastStage || percent >= lastPercent + 10) {
      lastStage = event.job.stage;
      lastPercent = percent;
      if (event.job.message) context.err(`[${String(percent).padStart(3)}%] ${event.job.message}`);
    }
  });
  const abort = () => engine.jobs.cancel(jobId);
  process.once('SIGINT', abort);
  try {
    return await engine.jobs.wait(jobId);
  } finally {
    process.off('SIGINT', abort);
    unsubscribe();
  }
}

export const commands: Record<string, Command> = {
  async projects(context) {
    const [sub, ...names] = context.args;
    return withEngine(context, async (engine) => {
      if (sub === 'create') {
        const project = await engine.call('projects.create', { name: names.join(' ') });
        context.out(context.json ? JSON.stringify(project) : `Created project ${project.name} (${project.id})`);
        return 0;
      }
      if (sub !== undefined) throw new KilnError('invalid_argument', `unknown subcommand "projects ${sub}"; try "projects" or "projects create <name>".`);
      const projects = await engine.call('projects.list', {});
      if (context.json) {
        context.out(JSON.stringify(projects));
      } else if (projects.length === 0) {
        context.out('No projects yet. Create one with: kiln projects create "My project"');
      } else {
        context.out(
          renderTable(
            ['ID', 'NAME', 'DATASETS', 'UPDATED'],
            projects.map((project) => [project.id, project.name, String(project.datasetCount), project.updatedAt.slice(0, 19).replace('T', ' ')]),
          ),
        );
      }
      return 0;
    });
  },

  async import(context) {
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
        context.out(JSON.stringify({ datasetId: dataset.id, projectId, version: dataset.version, rows: dataset.rowCount, columns: dataset.columns }));
      } else {
        context.out(`Imported ${dataset.name}: ${dataset.rowCount.toLocaleString('en-US')} rows, ${dataset.columns.length} columns`);
        context.out(`Dataset ${dataset.id}, version ${dataset.version}`);
      }
      return 0;
    });
  },

  async jobs(context) {
    return withEngine(context, async (engine) => {
      const jobs = await engine.call('jobs.list', {});
      if (context.json) context.out(JSON.stringify(jobs));
      else if (jobs.length === 0) context.out('No jobs yet.');
      else
        context.out(
          renderTable(
            ['ID', 'KIND', 'STATE', 'MESSAGE'],
            jobs.map((job) => [job.id, job.kind, job.state, job.error ?? job.message]),
          ),
        );
      return 0;
    });
  },
};

/** A project given by id or by name; a new name creates the project. */
async function resolveProject(engine: Engine, idOrName: string): Promise<string> {
  const projects = await engine.call('projects.list', {});
  const found = projects.find((project) => project.id === idOrName) ?? projects.find((project) => project.name === idOrName);
  if (found) return found.id;
  return (await engine.call('projects.create', { name: idOrName })).id;
}
