import type { Run } from '../../../shared/api/train.js';
import { resolveProject, withEngine, type Command } from '../common.js';
import { renderTable } from '../format.js';

function metric(value: number | null | undefined): string {
  return typeof value === 'number' ? value.toFixed(4) : '—';
}

function seconds(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`;
}

/** `kiln runs`: training runs, newest first, of --project or of every project. */
export const runsCommand: Command = async (context) =>
  withEngine(context, async (engine) => {
    const projectIds =
      context.project !== undefined
        ? [await resolveProject(engine, context.project)]
        : (await engine.call('projects.list', {})).map((project) => project.id);
    const runs: Run[] = [];
    for (const projectId of projectIds) runs.push(...(await engine.call('runs.list', { projectId })));
    runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    if (context.json) {
      context.out(
        JSON.stringify(
          runs.map((run) => ({
            runId: run.id,
            projectId: run.projectId,
            jobId: run.jobId,
            status: run.status,
            task: run.task,
            target: run.target,
            model: run.model,
            backend: run.backend,
            device: run.device,
            metricName: run.metricName,
            metrics: run.metrics,
            trainMs: run.trainMs,
            durationMs: run.durationMs,
            startedAt: run.startedAt,
            error: run.error,
          })),
        ),
      );
      return 0;
    }
    if (runs.length === 0) {
      context.out('No runs yet. Train one with: kiln train <file> --target COL');
      return 0;
    }
    context.out(
      renderTable(
        ['ID', 'MODEL', 'STATUS', 'TARGET', 'VALIDATION', 'TEST', 'DURATION'],
        runs.map((run) => [
          run.id,
          run.model,
          run.status,
          run.target,
          `${run.metricName} ${metric(run.metrics.validation?.[run.metricName])}`,
          run.metrics.test ? `${run.metricName} ${metric(run.metrics.test[run.metricName])}` : '—',
          seconds(run.durationMs),
        ]),
      ),
    );
    return 0;
  });
