import type { Run } from '../../../../shared/api/train.js';
import { bestRun, formatMetric, formatStarted, mainMetric, metricTitle, modelTitle } from '../train/format.js';

const taskTitles: Record<Run['task'], string> = {
  binary: 'binary classification',
  multiclass: 'multiclass classification',
  regression: 'regression',
};

/** The test metrics worth a glance, the run's own headline metric first. */
function testMetrics(run: Run): [string, number | null][] {
  const test = run.metrics.test ?? {};
  const names = Object.keys(test).sort((a, b) => (a === run.metricName ? -1 : b === run.metricName ? 1 : 0));
  return names.slice(0, 6).map((name) => [name, test[name] ?? null]);
}

export function RunChooser({
  runs,
  runId,
  disabled,
  onChoose,
}: {
  runs: Run[];
  runId: string | null;
  disabled: boolean;
  onChoose(runId: string): void;
}) {
  const run = runs.find((candidate) => candidate.id === runId);
  const best = bestRun(runs);
  return (
    <section className="export-card" aria-labelledby="export-run-title">
      <h3 id="export-run-title">Model</h3>
      <div className="export-field">
        <label htmlFor="export-run">Run to export</label>
        <select
          id="export-run"
          className="input"
          value={runId ?? ''}
          disabled={disabled}
          onChange={(event) => onChoose(event.target.value)}
        >
          {runs.map((candidate) => (
            <option key={candidate.id} value={candidate.id}>
              {modelTitle(candidate.model)} · {metricTitle(candidate.metricName)} {formatMetric(mainMetric(candidate))} ·{' '}
              {formatStarted(candidate.startedAt)}
              {candidate.id === best?.id ? ' · best' : ''}
            </option>
          ))}
        </select>
      </div>
      {run ? (
        <>
          <p className="export-run-summary">
            <strong>{modelTitle(run.model)}</strong> predicting <strong>{run.target}</strong> ({taskTitles[run.task]})
            {run.id === best?.id ? <span className="best-badge">★ Best</span> : null}
            <br />
            <span className="muted">
              Run <code>{run.id}</code>, trained {formatStarted(run.startedAt)}
            </span>
          </p>
          {run.metrics.test ? (
            <dl className="train-stats" aria-label="Test metrics">
              {testMetrics(run).map(([name, value]) => (
                <div key={name}>
                  <dt>Test {metricTitle(name)}</dt>
                  <dd>{formatMetric(value)}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="muted">This run has no test metrics.</p>
          )}
        </>
      ) : null}
    </section>
  );
}
