import { withEngine, type Command } from '../common.js';
import { renderTable } from '../format.js';

export const jobs: Command = async (context) =>
  withEngine(context, async (engine) => {
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
