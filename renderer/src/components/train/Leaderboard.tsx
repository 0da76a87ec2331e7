import type { Run } from '../../../../shared/api/train.js';
import { judgeSelection, type SelectionEntry } from '../../../../shared/selection.js';
import { familyInfo, useFamilies } from '../../stores/families.js';
import { formatDuration, formatMetric, higherIsBetter, mainMetric, metricTitle, modelShortName, statusTitles } from './format.js';

function shown(value: unknown): string | null {
  if (typeof value === 'number') return String(Number(value.toPrecision(3)));
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  return null;
}

/**
 * The hyperparameters that tell candidates of one family apart: the fields its
 * family marks for summaries, and any other that is not at its default (two
 * GBDT rows that differ only in their subsample must not read the same).
 */
export function paramSummary(run: Run): string {
  const fields = familyInfo(useFamilies.getState().families, run.model)?.fields ?? [];
  return fields
    .filter((field) => field.summary || (run.params[field.key] !== undefined && run.params[field.key] !== field.default))
    .map((field) => {
      const value = shown(run.params[field.key]);
      return value === null ? null : `${field.short} ${value}`;
    })
    .filter((part): part is string => part !== null)
    .join(' · ');
}

/** The score a candidate was chosen by: the folds' mean ± spread under cross-validation, else the validation metric. */
function selectionCell(run: Run): string {
  const selection = run.details?.selection;
  if (selection?.method === 'crossValidation' && selection.mean !== null) {
    return selection.std === null ? formatMetric(selection.mean) : `${formatMetric(selection.mean)} ± ${formatMetric(selection.std)}`;
  }
  return formatMetric(mainMetric(run));
}

/** The baseline and the default linear model are the references every other candidate is measured against. */
function referenceTag(run: Run): string | null {
  const role = run.details?.selection?.role;
  if (role === 'baseline') return 'ignores the features';
  if (role === 'reference') return 'reference';
  return null;
}

/**
 * The same judgement Auto made, from the stored runs, once no candidate is
 * running and it agrees with the chosen run (while Auto is still searching,
 * the warnings would come and go).
 */
function selectionNotes(runs: Run[], bestRunId: string | null): { reason: string | null; warnings: string[] } | null {
  if (runs.some((run) => run.status === 'running')) return null;
  const entries: SelectionEntry[] = runs.flatMap((run) =>
    run.status === 'succeeded' && run.details?.selection
      ? [{ id: run.id, model: run.model, name: modelShortName(run.model, run.task), selection: run.details.selection }]
      : [],
  );
  if (entries.length === 0) return null;
  const judged = judgeSelection(higherIsBetter(runs[0]!.metricName), entries);
  if (judged.chosenId !== bestRunId) return null;
  return { reason: judged.reason, warnings: judged.warnings };
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
  const crossValidated = runs.find((run) => run.details?.selection)?.details?.selection;
  const folds = crossValidated?.method === 'crossValidation' ? crossValidated.foldScores.length : null;
  const notes = selectionNotes(runs, bestRunId);
  return (
    <div className="train-leaderboard">
      <h3 id="train-leaderboard-title">{title}</h3>
      {notes && (notes.reason || notes.warnings.length > 0) ? (
        <div className="notice train-selection-notes" role="status" data-testid="selection-notes">
          {notes.reason ? <p>{notes.reason}</p> : null}
          {notes.warnings.map((warning) => (
            <p key={warning}>
              <strong>Warning:</strong> {warning}
            </p>
          ))}
        </div>
      ) : null}
      <table className="runs-table" aria-labelledby="train-leaderboard-title">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th
              scope="col"
              className="numeric"
              title={folds ? `Mean ± spread (standard deviation) over ${folds} cross-validation folds` : undefined}
            >
              {folds ? `${folds}-fold CV ${metricTitle(metricName)}` : `Validation ${metricTitle(metricName)}`}
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
            const tag = referenceTag(run);
            return (
              <tr key={run.id} className={best ? 'best' : undefined} data-model={run.model}>
                <th scope="row">
                  <span className="run-name">{labels.get(run.id) ?? run.model}</span>
                  {summary ? <span className="muted small"> {summary}</span> : null}
                  {tag ? <span className="muted small"> ({tag})</span> : null}
                  {best ? <span className="best-badge">★ Best</span> : null}
                </th>
                <td className="numeric">{selectionCell(run)}</td>
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
