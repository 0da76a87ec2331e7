import { KilnError } from '../../../shared/errors.js';
import { withEngine, type Command } from '../common.js';
import { renderTable } from '../format.js';

export const projects: Command = async (context) => {
  const [sub, ...names] = context.args;
  return withEngine(context, async (engine) => {
    if (sub === 'create') {
      const project = await engine.call('projects.create', { name: names.join(' ') });
      context.out(context.json ? JSON.stringify(project) : `Created project ${project.name} (${project.id})`);
      return 0;
    }
    if (sub !== undefined)
      throw new KilnError('invalid_argument', `unknown subcommand "projects ${sub}"; try "projects" or "projects create <name>".`);
    const projects = await engine.call('projects.list', {});
    if (context.json) {
      context.out(JSON.stringify(projects));
    } else if (projects.length === 0) {
      context.out('No projects yet. Create one with: kiln projects create "My project"');
    } else {
      context.out(
        renderTable(
          ['ID', 'NAME', 'DATASETS', 'UPDATED'],
          projects.map((project) => [
            project.id,
            project.name,
            String(project.datasetCount),
            project.updatedAt.slice(0, 19).replace('T', ' '),
          ]),
        ),
      );
    }
    return 0;
  });
};
