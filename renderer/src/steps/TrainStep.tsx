import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { modelTitle } from '../components/train/format.js';
import { LivePanel } from '../components/train/LivePanel.js';
import { ModelSettings } from '../components/train/ModelSettings.js';
import { useNavigation } from '../stores/navigation.js';
import { isJobActive, useTrain } from '../stores/train.js';

const taskTitles = { binary: 'binary classification', multiclass: 'multiclass classification', regression: 'regression' } as const;

export function TrainStep({ projectId }: { projectId: string }) {
  const { datasets, datasetId, features, featuresSource, featureProblems, settings, job, jobModel, jobRuns, starting, error } = useTrain();
  const { load, chooseDataset, start, clearError } = useTrain();
  const goToStep = useNavigation((state) => state.goToStep);
  const [invalidFields, setInvalidFields] = useState<ReadonlySet<string>>(new Set());
  const active = isJobActive(job) || starting;

  useEffect(() => {
    void load(projectId);
  }, [projectId, load]);

  const onValidity = useCallback((id: string, valid: boolean) => {
    setInvalidFields((current) => {
      if (valid === !current.has(id)) return current;
      const next = new Set(current);
      if (valid) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  if (datasets.length === 0 && !error) {
    return (
      <div className="page-pad">
        <h2>Train</h2>
        <p className="muted">Import a CSV file first; then choose its target and train models here.</p>
      </div>
    );
  }

  const included = features?.features.filter((feature) => feature.include).length ?? 0;
  const blocked = !features || invalidFields.size > 0;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!blocked) void start();
  };
  const auto = jobModel ? jobModel === 'auto' : jobRuns.length > 1;

  return (
    <div className="page-pad train">
      <div className="step-head">
        <div>
          <h2>Train</h2>
          <p className="muted">
            Train a model on the training split and watch it learn; the validation split picks the best, the test split is scored once at
            the end.
          </p>
        </div>
      </div>

      {error ? <ErrorMessage message={error} onDismiss={clearError} /> : null}

      <div className="train-layout">
        <form className="train-form" onSubmit={onSubmit} aria-label="Training settings">
          {datasets.length > 1 ? (
            <div className="train-field">
              <label htmlFor="train-dataset">Dataset</label>
              <select
                id="train-dataset"
                className="input"
                value={datasetId ?? ''}
                disabled={active}
                onChange={(event) => void chooseDataset(event.target.value)}
              >
                {datasets.map((dataset) => (
                  <option key={dataset.id} value={dataset.id}>
                    {dataset.name} · {dataset.rowCount.toLocaleString('en-US')} rows
                  </option>
                ))}
              </select>
            </div>
          ) : null}

          <div className={`train-features${featuresSource === 'suggested' ? ' suggested' : ''}`}>
            {features ? (
              <>
                <p>
                  {featuresSource === 'suggested' ? 'No features are saved yet, so Kiln uses its suggestion: ' : ''}
                  predict <strong>{features.target}</strong> ({taskTitles[features.task]}) from {included} feature
                  {included === 1 ? '' : 's'}.
                </p>
                <button type="button" className="button small" onClick={() => goToStep('features')}>
                  {featuresSource === 'suggested' ? 'Review in Features' : 'Change in Features'}
                </button>
              </>
            ) : (
              <>
                <p>Choose the target and the features before training.</p>
                <button type="button" className="button small" onClick={() => goToStep('features')}>
                  Go to Features
                </button>
              </>
            )}
            {featureProblems.length > 0 ? (
              <ul className="train-problems">
                {featureProblems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
            ) : null}
          </div>

          <ModelSettings disabled={active} onValidity={onValidity} />

          <div className="train-submit">
            <button type="submit" className="button primary" disabled={active || blocked}>
              {starting ? 'Starting…' : `Train ${settings.model === 'auto' ? 'with Auto' : modelTitle(settings.model)}`}
            </button>
            {invalidFields.size > 0 ? <span className="train-field-problem">Fix the highlighted settings first.</span> : null}
          </div>
        </form>

        <div className="train-output">
          {job ? (
            <LivePanel task={features?.task} auto={auto} />
          ) : (
            <div className="train-empty muted">
              <p>
                Press Train to start. Loss and the validation metric are drawn here as the model learns, epoch by epoch or round by round.
              </p>
            </div>
          )}
        </div>
      </div>
    </div>
  );
}
