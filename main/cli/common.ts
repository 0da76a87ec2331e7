import type { Job } from '../../shared/api.js';
import { Engine } from '../engine/engine.js';

export interface CommandContext {
  args: string[];
  json: boolean;
  project: string | undefined;
  /** `kiln import`: separator, no header row, missing markers, what to do with bad rows. */
  delimiter?: string | undefined;
  noHeader?: boolean | undefined;
  missing?: string | undefined;
  badRows?: string | undefined;
  /** `--target`: the column profiles measure association with. */
  target?: string | undefined;
  /** `--sample`: profile this many sampled rows instead of all. */
  sample?: string | undefined;
  /** `kiln train`: a separate test file, the model family, the Auto budget, the seed, the compute backend. */
  test?: string | undefined;
  model?: string | undefined;
  budget?: string | undefined;
  seed?: string | undefined;
  backend?: string | undefined;
  /** `kiln export` / `kiln predict`: the bundle folder or the predictions file. */
  outPath?: string | undefined;
  /** `kiln export --docker`: also build the image, with this tag and base image. */
  docker?: boolean | undefined;
  tag?: string | undefined;
  baseImage?: string | undefined;
  /** `kiln serve`: the port on 127.0.0.1. */
  port?: string | undefined;
  home: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

export type Command = (context: CommandContext) => Promise<number>;

export async function withEngine<T>(context: CommandContext, work: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = new Engine({ home: context.home, shell: 'cli' });
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}

/** Progress goes to stderr, one line per stage change, so stdout stays clean for --json. */
export async function followJob(engine: Engine, jobId: string, context: CommandContext): Promise<Job> {
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

/** A project given by id or by name; a new name creates the project. */
export async function resolveProject(engine: Engine, idOrName: string): Promise<string> {
  const projects = await engine.call('projects.list', {});
  const found = projects.find((project) => project.id === idOrName) ?? projects.find((project) => project.name === idOrName);
  if (found) return found.id;
  return (await engine.call('projects.create', { name: idOrName })).id;
}
