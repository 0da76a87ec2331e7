import type { Run } from '../../../../shared/api/train.js';
import { sortRuns, useRuns, type SortKey } from '../../stores/runs.js';
import { paramSummary } from '../train/Leaderboard.js';
import { formatDuration, formatMetric, formatStarted, metricTitle, statusTitles } from '../train/format.js';

const classificationMetrics = ['auc', 'accuracy', 'f1', 'logloss'];
const regressionMetrics = ['rmse', 'mae', 'r2'];
/** The test column packs two metrics into one cell. */
const shortMetricTitles: Record<string, string> = { accuracy: 'Acc', logloss: 'LL' };

/** The validation metrics worth a column: those of the tasks the project's runs have. */
export function metricColumns(runs: Run[]): string[] {
  const hasClassification = runs.some((run) => run.task !== 'regression');
  const hasRegression = runs.some((run) => run.task === 'regression');
  return [...(hasClassification ? classificationMetrics : []), ...(hasRegression ? regressionMetrics : [])];
}

function SortHeader({ label, sortKey, className }: { label: string; sortKey: SortKey; className?: string }) {
  const sort = useRuns((state) => state.sort);
  const sortBy = useRuns((state) => state.sortBy);
  const active = sort !== null && sort.key.kind === sortKey.kind && sort.key.name === sortKey.name;
  const direction = active ? (sort.descending ? 'descending' : 'ascending') : 'none';
  return (
    <th scope="col" aria-sort={direction} className={className}>
      <button type="button" className="sort-button" onClick={() => sortBy(sortKey)}>
        {label}
        <span aria-hidden="true" className="sort-mark">
          {active ? (sort.descending ? '▼' : '▲') : '↕'}
        </span>
      </button>
    </th>
  );
}

export function RunsTable({ labels }: { labels: Map<string, string> }) {
  const { runs, selected, sort, toggle } = useRuns();
  const columns = metricColumns(runs);
  const ordered = sortRuns(runs, sort);

  return (
    <div className="compare-table-wrap">
      <table className="runs-table compare-table">
        <caption className="visually-hidden">Runs of this project; tick runs to compare them</caption>
        <thead>
          <tr>
            <th scope="col" className="check">
              <span className="visually-hidden">Compare</span>
            </th>
            <SortHeader label="Run" sortKey={{ kind: 'field', name: 'model' }} />
            <th scope="col">Status</th>
            {columns.map((name) => (
              <SortHeader key={name} label={metricTitle(name)} sortKey={{ kind: 'metric', name }} className="numeric" />
            ))}
            <th scope="col">Test</th>
            <th scope="col">Backend</th>
            <SortHeader label="Duration" sortKey={{ kind: 'field', name: 'durationMs' }} className="numeric" />
            <th scope="col" className="numeric">
              Seed
            </th>
            <SortHeader label="Started" sortKey={{ kind: 'field', name: 'startedAt' }} />
          </tr>
        </thead>
        <tbody>
          {ordered.map((run) => {
            const label = labels.get(run.id) ?? run.model;
            const checked = selected.includes(run.id);
            const test = run.metrics.test;
            const testText = test
              ? columns
                  .filter((name) => typeof test[name] === 'number')
                  .slice(0, 2)
                  .map((name) => `${shortMetricTitles[name] ?? metricTitle(name)} ${formatMetric(test[name])}`)
                  .join(' · ')
              : '';
            return (
              <tr key={run.id} className={checked ? 'selected' : undefined} onClick={() => toggle(run.id)}>
                <td className="check" onClick={(event) => event.stopPropagation()}>
                  <input type="checkbox" checked={checked} onChange={() => toggle(run.id)} aria-label={`Compare ${label}`} />
                </td>
                <th scope="row">
                  <span className="run-name">{label}</span>
                  <span className="run-params">{paramSummary(run)}</span>
                </th>
                <td>
                  <span className={`run-status ${run.status}`} title={run.error ?? undefined}>
                    {statusTitles[run.status]}
                  </span>
                </td>
                {columns.map((name) => (
                  <td key={name} className={`numeric${name === run.metricName ? ' main-metric' : ''}`}>
                    {formatMetric(run.metrics.validation?.[name])}
                  </td>
                ))}
                <td className="small">{testText || '—'}</td>
                <td className="small" title={run.device}>
                  {run.backend}
                </td>
                <td className="numeric">{formatDuration(run.durationMs)}</td>
                <td className="numeric">{run.seed}</td>
                <td className="small">{formatStarted(run.startedAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
