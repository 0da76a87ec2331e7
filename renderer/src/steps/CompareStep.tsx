import { useEffect, useMemo, useState } from 'react';
import type { Run } from '../../../shared/api/train.js';
import { CompareSections } from '../components/compare/CompareSections.js';
import { RunsTable } from '../components/compare/RunsTable.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { modelShortName } from '../components/train/format.js';
import { NeedsStep, StepFooter } from '../components/wizard/StepFooter.js';
import { useRuns } from '../stores/runs.js';

/** "#3 GBDT": runs numbered in the order they started, so a name stays put as runs are added. */
export function compareLabels(runs: Run[]): Map<string, string> {
  const chronological = [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return new Map(chronological.map((run, index) => [run.id, `#${index + 1} ${modelShortName(run.model, run.task)}`]));
}

export function CompareStep({ projectId }: { projectId: string }) {
  const { runs, selected, error, load, clearError } = useRuns();
  const [loaded, setLoaded] = useState(false);
  const labels = useMemo(() => compareLabels(runs), [runs]);

  useEffect(() => {
    void load(projectId).then(() => setLoaded(true));
  }, [projectId, load]);

  if (loaded && runs.length === 0 && !error) {
    return <NeedsStep title="Compare" needs="train" why="No runs yet. Train a model and its metrics, curves and history appear here." />;
  }

  return (
    <div className="page-pad compare">
      <div className="step-head">
        <div>
          <h2>Compare</h2>
          <p className="muted">
            Every run of this project with its validation metrics (used to choose) and test metrics (scored once). Tick runs to compare
            them.
          </p>
        </div>
      </div>
      {error ? <ErrorMessage message={error} onDismiss={clearError} /> : null}
      <RunsTable labels={labels} />
      {selected.length < 2 ? (
        <p className="compare-hint muted" role="status">
          {selected.length === 0 ? 'Tick two or more runs to compare them.' : 'Tick one more run to compare it with this one.'}
        </p>
      ) : null}
      <CompareSections labels={labels} />
      <StepFooter step="compare" done={runs.some((run) => run.status === 'succeeded')} />
    </div>
  );
}
