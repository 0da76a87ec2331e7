import type { Run } from '../../../../shared/api/train.js';
import { familyInfo, useFamilies } from '../../stores/families.js';
import { formatDuration, formatMetric, mainMetric, metricTitle, statusTitles } from './format.js';

function shown(value: unknown): string | null {
  if (typeof value === 'number') return String(Number(value.toPrecision(3)));
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  return null;
}

/** The few hyperparameters that tell candidates of one family apart: the fields its family marks for summaries. */
export function paramSummary(run: Run): string {
  const fields = familyInfo(useFamilies.getState().families, run.model)?.fields ?? [];
  return fields
    .filter((field) => field.summary)
    .map((field) => {
      const value = shown(run.params[field.key]);
      return value === null ? null : `${field.short} ${value}`;
    })
    .filter((part): part is string => part !== null)
    .join(' · ');
}

export function Leaderboard({
  runs,
  labels,
  bestRunId,
  title,
}: {
  runs: Run[];
  labels: Map<string, string>;
  bestRunId: string | null;
  title: string;
}) {
  const metricName = runs.find((run) => run.metricName)?.metricName ?? '';
  return (
    <div className="train-leaderboard">
      <h3 id="train-leaderboard-title">{title}</h3>
      <table className="runs-table" aria-labelledby="train-leaderboard-title">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="numeric">
              Validation {metricTitle(metricName)}
            </th>
            <th scope="col" className="numeric">
              Duration
            </th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => {
            const best = run.id === bestRunId;
            const summary = paramSummary(run);
            return (
              <tr key={run.id} className={best ? 'best' : undefined}>
                <th scope="row">
                  <span className="run-name">{labels.get(run.id) ?? run.model}</span>
                  {summary ? <span className="muted small"> {summary}</span> : null}
                  {best ? <span className="best-badge">★ Best</span> : null}
                </th>
                <td className="numeric">{formatMetric(mainMetric(run))}</td>
                <td className="numeric">{formatDuration(run.durationMs)}</td>
                <td>
                  <span className={`run-status ${run.status}`} title={run.error ?? undefined}>
                    {statusTitles[run.status]}
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
