import { useEffect } from 'react';
import type { Task } from '../../../shared/api.js';
import { api } from '../api/transport.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { FeatureTable } from '../components/features/FeatureTable.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { NeedsStep, StepFooter } from '../components/wizard/StepFooter.js';
import { currentProblems, useFeatures } from '../stores/features.js';

const taskLabels: Record<Task, string> = {
  binary: 'Binary classification',
  multiclass: 'Multiclass classification',
  regression: 'Regression',
};

export function FeaturesStep({ projectId }: { projectId: string }) {
  const state = useFeatures();
  const { datasets, datasetId, suggestion, settings, loading, saving, savedAt, error } = state;
  const load = useFeatures((store) => store.load);
  const dataset = datasets.find((candidate) => candidate.id === datasetId);
  const problems = currentProblems(suggestion, settings, dataset);
  const included = settings ? settings.features.filter((feature) => feature.include && feature.name !== settings.target).length : 0;
  const total = settings ? settings.features.filter((feature) => feature.name !== settings.target).length : 0;

  useEffect(() => {
    void load(projectId);
  }, [projectId, load]);

  useEffect(
    () =>
      api.subscribe((event) => {
        if (event.type === 'datasets.changed' && event.projectId === projectId) void load(projectId);
      }),
    [projectId, load],
  );

  if (datasets.length === 0 && !error && !loading) {
    return <NeedsStep title="Features" needs="import" why="Features are chosen from an imported table. Import a CSV file first." />;
  }

  return (
    <div className="page-pad features-page">
      <div className="step-head">
        <div>
          <h2>Features</h2>
          <p className="muted">
            Choose what to predict and what to predict it from. Means, medians and category lists are learnt from the training split only.
            The choices are saved in the project&apos;s recipe.
          </p>
        </div>
      </div>

      {error ? <ErrorMessage message={error} onDismiss={state.clearError} /> : null}

      {datasets.length === 0 ? (
        <p className="clean-empty">Import a dataset first: features are chosen from an imported table.</p>
      ) : (
        <>
          <div className="features-choices">
            <div className="features-field">
              <label htmlFor="features-dataset">Dataset</label>
              <select
                id="features-dataset"
                className="input"
                value={datasetId ?? ''}
                onChange={(event) => void state.chooseDataset(event.target.value)}
              >
                {datasets.map((candidate) => (
                  <option key={candidate.id} value={candidate.id}>
                    {candidate.name} · {candidate.rowCount.toLocaleString('en-US')} rows
                  </option>
                ))}
              </select>
            </div>
            <div className="features-field">
              <label htmlFor="features-target">Target (the column to predict)</label>
              <select
                id="features-target"
                className="input"
                value={settings?.target ?? ''}
                disabled={!dataset || loading}
                onChange={(event) => void state.chooseTarget(event.target.value)}
              >
                {settings ? null : <option value="">…</option>}
                {dataset?.columns.map((column) => (
                  <option key={column.name} value={column.name}>
                    {column.name}
                  </option>
                ))}
              </select>
            </div>
            <div className="features-field">
              <label htmlFor="features-task">Task</label>
              <select
                id="features-task"
                className="input"
                value={settings?.task ?? 'binary'}
                disabled={!settings || loading}
                onChange={(event) => state.setTask(event.target.value as Task)}
              >
                {(Object.keys(taskLabels) as Task[]).map((task) => (
                  <option key={task} value={task}>
                    {taskLabels[task]}
                    {suggestion?.settings.task === task ? ' (detected)' : ''}
                  </option>
                ))}
              </select>
            </div>
            {settings?.task === 'binary' && suggestion && suggestion.classes.length === 2 ? (
              <div className="features-field">
                <label htmlFor="features-positive">Positive class</label>
                <select
                  id="features-positive"
                  className="input"
                  value={settings.positiveClass ?? suggestion.settings.positiveClass ?? suggestion.classes[1]}
                  onChange={(event) => state.setPositiveClass(event.target.value)}
                >
                  {suggestion.classes.map((name) => (
                    <option key={name} value={name}>
                      {name}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
          </div>

          {loading ? (
            <div className="features-loading" role="status">
              <ProgressBar fraction={null} label="Working out the defaults" />
              <span className="muted">Profiling the columns against the target…</span>
            </div>
          ) : null}

          {suggestion && settings ? (
            <>
              <p className="features-task-reason">
                <strong>{taskLabels[suggestion.settings.task]}</strong> detected: {suggestion.taskReason}
                {settings.task !== suggestion.settings.task ? <> You chose {taskLabels[settings.task].toLowerCase()} instead.</> : null}
              </p>

              {problems.map((problem) => (
                <ErrorMessage key={problem} message={problem} />
              ))}

              <div className="features-toolbar">
                <span className="muted" role="status">
                  {included} of {total} columns used
                  {saving ? ' · saving…' : savedAt ? ' · saved in the recipe' : ''}
                </span>
                <div className="row">
                  <button type="button" className="button ghost small" onClick={() => state.includeAll(true)}>
                    Use all
                  </button>
                  <button type="button" className="button ghost small" onClick={() => state.includeAll(false)}>
                    Use none
                  </button>
                  <button type="button" className="button ghost small" onClick={state.resetToSuggestion}>
                    Back to the defaults
                  </button>
                </div>
              </div>

              <FeatureTable
                features={settings.features}
                suggested={suggestion.settings.features}
                target={settings.target}
                onChange={state.updateFeature}
              />
            </>
          ) : null}
        </>
      )}
      <StepFooter
        step="features"
        done={Boolean(suggestion && settings) && problems.length === 0}
        note={problems.length > 0 ? 'Fix the problems above before training.' : undefined}
      />
    </div>
  );
}
