import { useMemo, useState } from 'react';
import { progressUnit, useFamilies } from '../../stores/families.js';
import { useRuns } from '../../stores/runs.js';
import { HistoryChart, type HistorySeries } from '../train/HistoryChart.js';
import { metricTitle } from '../train/format.js';
import { CurveChart, MetricBars, ResidualChart, type CurveSeries, type LabelledRun } from './CompareCharts.js';
import { ConfusionMatrix } from './ConfusionMatrix.js';
import { readDetails, type ClassificationView } from './details.js';
import { metricColumns } from './RunsTable.js';

/** The charts of the ticked runs: metrics, curves, confusion matrix or residuals, and their training history. */
export function CompareSections({ labels }: { labels: Map<string, string> }) {
  const { runs, selected, focusId, focus } = useRuns();
  const families = useFamilies((state) => state.families);
  const [classIndex, setClassIndex] = useState(0);

  const chosen = useMemo<LabelledRun[]>(
    () =>
      selected.flatMap((id) => {
        const run = runs.find((candidate) => candidate.id === id);
        return run ? [{ run, label: labels.get(run.id) ?? run.model }] : [];
      }),
    [runs, selected, labels],
  );
  const views = useMemo(() => new Map(chosen.map(({ run }) => [run.id, readDetails(run.details)])), [chosen]);

  const classification = chosen.flatMap(({ run, label }) => {
    const view = views.get(run.id);
    return view && view.task !== 'regression' ? [{ label, view }] : [];
  });
  const classNames = classification.find(({ view }) => view.task === 'multiclass')?.view.rankings.map((ranking) => ranking.label) ?? [];
  const rankingOf = (view: ClassificationView) => (view.task === 'multiclass' ? view.rankings[classIndex] : view.rankings[0]);
  const curves = (kind: 'roc' | 'pr'): CurveSeries[] =>
    classification.flatMap(({ label, view }) => {
      const ranking = rankingOf(view);
      const curve = ranking?.[kind];
      return ranking && curve ? [{ label, curve, area: kind === 'roc' ? ranking.auc : ranking.averagePrecision }] : [];
    });
  const rocCurves = curves('roc');
  const prCurves = curves('pr');

  const focused = chosen.find(({ run }) => run.id === focusId) ?? chosen[0];
  const focusedView = focused ? views.get(focused.run.id) : null;

  const history = useMemo<HistorySeries[]>(
    () =>
      chosen.map(({ run, label }) => ({
        runId: run.id,
        label,
        metricName: run.metricName,
        unit: progressUnit(families, run.model),
        records: run.history,
      })),
    [chosen, families],
  );
  const metricNames = [...new Set(chosen.map(({ run }) => run.metricName))];

  if (chosen.length === 0) return null;

  return (
    <div className="compare-sections">
      <section className="compare-card wide" aria-labelledby="compare-metrics">
        <h3 id="compare-metrics">Validation metrics</h3>
        <MetricBars runs={chosen} metrics={metricColumns(chosen.map(({ run }) => run))} />
      </section>

      {classNames.length > 0 ? (
        <div className="compare-class">
          <label htmlFor="compare-class">Curves for class</label>
          <select id="compare-class" className="input" value={classIndex} onChange={(event) => setClassIndex(Number(event.target.value))}>
            {classNames.map((name, index) => (
              <option key={name} value={index}>
                {name} against the rest
              </option>
            ))}
          </select>
        </div>
      ) : null}

      {rocCurves.length > 0 ? (
        <section className="compare-card" aria-labelledby="compare-roc">
          <h3 id="compare-roc">ROC curves</h3>
          <CurveChart series={rocCurves} kind="roc" />
        </section>
      ) : null}
      {prCurves.length > 0 ? (
        <section className="compare-card" aria-labelledby="compare-pr">
          <h3 id="compare-pr">Precision-recall curves</h3>
          <CurveChart series={prCurves} kind="pr" />
        </section>
      ) : null}

      {focused && focusedView ? (
        <section className="compare-card" aria-labelledby="compare-focus">
          <div className="compare-card-head">
            <h3 id="compare-focus">{focusedView.task === 'regression' ? 'Residuals' : 'Confusion matrix'}</h3>
            {chosen.length > 1 ? (
              <select
                className="input small-input"
                aria-label={focusedView.task === 'regression' ? 'Run whose residuals are shown' : 'Run whose confusion matrix is shown'}
                value={focused.run.id}
                onChange={(event) => focus(event.target.value)}
              >
                {chosen.map(({ run, label }) => (
                  <option key={run.id} value={run.id}>
                    {label}
                  </option>
                ))}
              </select>
            ) : null}
          </div>
          {focusedView.task === 'regression' ? (
            <ResidualChart label={focused.label} predicted={focusedView.predicted} residual={focusedView.residual} />
          ) : focusedView.confusion ? (
            <ConfusionMatrix labels={focusedView.confusion.labels} counts={focusedView.confusion.counts} runLabel={focused.label} />
          ) : (
            <p className="muted">This run has no confusion matrix.</p>
          )}
        </section>
      ) : focused ? (
        <section className="compare-card">
          <h3>Details</h3>
          <p className="muted">
            {focused.label} has no evaluation details{focused.run.status === 'succeeded' ? '' : ': it did not finish'}.
          </p>
        </section>
      ) : null}

      <section className="compare-card" aria-labelledby="compare-history">
        <h3 id="compare-history">History: validation {metricNames.map(metricTitle).join(' / ')}</h3>
        {history.some((entry) => entry.records.length > 0) ? (
          <HistoryChart series={history} kind="metric" height={300} />
        ) : (
          <p className="muted">No epochs recorded for these runs.</p>
        )}
      </section>
    </div>
  );
}
