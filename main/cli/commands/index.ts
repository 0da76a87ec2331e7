/** Every `kiln` subcommand, by name. Each lives in its own file beside this one. */
import type { Command } from '../common.js';
import { backendsCommand } from './backends.js';
import { exportDataCommand } from './export-data.js';
import { exportCommand } from './export.js';
import { predictCommand } from './predict.js';
import { serveCommand } from './serve.js';
import { importCommand } from './import.js';
import { jobs } from './jobs.js';
import { profileCommand } from './profile.js';
import { projects } from './projects.js';
import { runCommand } from './run.js';
import { runsCommand } from './runs.js';
import { trainCommand } from './train.js';

export const commands: Record<string, Command> = {
  backends: backendsCommand,
  projects,
  import: importCommand,
  jobs,
  profile: profileCommand,
  run: runCommand,
  train: trainCommand,
  runs: runsCommand,
  'export-data': exportDataCommand,
  export: exportCommand,
  predict: predictCommand,
  serve: serveCommand,
};
