/** Every `kiln` subcommand, by name. Each lives in its own file beside this one. */
import type { Command } from '../common.js';
import { importCommand } from './import.js';
import { jobs } from './jobs.js';
import { projects } from './projects.js';

export const commands: Record<string, Command> = {
  projects,
  import: importCommand,
  jobs,
};
