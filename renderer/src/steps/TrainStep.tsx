import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { DropZone } from '../components/DropZone.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { modelTitle } from '../components/train/format.js';
import { LivePanel } from '../components/train/LivePanel.js';
import { ModelSettings } from '../components/train/ModelSettings.js';
import { NeedsStep, StepFooter } from '../components/wizard/StepFooter.js';
import { useNavigation } from '../stores/navigation.js';
import { isJobActive, useTrain } from '../stores/train.js';

const taskTitles = { binary: 'binary classification', multiclass: 'multiclass classification', regression: 'regression' } as const;

export function TrainStep({ projectId }: { projectId: string }) {
  const {
    datasets,
    datasetId,
    features,
    featuresSource,
    featureProblems,
    settings,
    job,
    jobModel,
    jobRuns,
    starting,
    startingStage,
    error,
  } = useTrain();
  const { testSource, testFile, attaching } = useTrain();
  const { load, chooseDataset, start, clearError, chooseTestSource, attachTestFile } = useTrain();
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
      <NeedsStep
        title="Train"
        needs="import"
        why="Training needs an imported table. Import a CSV file first; then choose its target and train here."
      />
    );
  }

  const included = features?.features.filter((feature) => feature.include && feature.name !== features.target).length ?? 0;
  // One reason, beside the button, in the order the user would fix them.
  const blockedBy = !features
    ? 'Choose the target and the features first.'
    : included === 0
      ? 'No features are included: include at least one in Features.'
      : invalidFields.size > 0
        ? 'Fix the highlighted settings first.'
        : testSource === 'file' && !testFile
          ? 'Attach the test file, or test on a split of this file.'
          : null;
  const blocked = blockedBy !== null;
  // "No features are left…" lists every column's reason; the short reason beside the button says it instead.
  const problems = included === 0 ? featureProblems.filter((problem) => !problem.startsWith('No features are left')) : featureProblems;
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
        <form id="train-form" className="train-form" onSubmit={onSubmit} aria-label="Training settings">
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
            {problems.length > 0 ? (
              <ul className="train-problems">
                {problems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
            ) : null}
          </div>

          <fieldset className="train-field train-test-source" disabled={active}>
            <legend>Test on</legend>
            <label className="radio-line">
              <input type="radio" name="train-test-source" checked={testSource === 'split'} onChange={() => chooseTestSource('split')} />
              <span>a split of this file</span> <span className="muted small">(15%, never seen in training)</span>
            </label>
            <label className="radio-line">
              <input type="radio" name="train-test-source" checked={testSource === 'file'} onChange={() => chooseTestSource('file')} />
              <span>another file</span> <span className="muted small">(put through the same cleaning steps)</span>
            </label>
            {testSource === 'file' ? (
              <>
                <DropZone
                  onFile={(file) => void attachTestFile(file)}
                  disabled={active || attaching}
                  compact
                  label="Attach the test file"
                  title={testFile ? 'Replace the test file' : 'Attach the test file'}
                />
                <p className="muted small" role="status">
                  {attaching ? (
                    'Sending the file…'
                  ) : testFile ? (
                    <>
                      Test file: <strong>{testFile.name}</strong>
                    </>
                  ) : (
                    'No test file yet: drop a CSV with the same columns.'
                  )}
                </p>
              </>
            ) : null}
          </fieldset>

          <ModelSettings disabled={active} onValidity={onValidity} />
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
      <StepFooter step="train" note={blockedBy ? <span className="step-footer-note problem">{blockedBy}</span> : undefined}>
        <button
          type="submit"
          form="train-form"
          // After a finished run, Next is the way on; training again is the other choice.
          className={`button${job?.state === 'succeeded' ? '' : ' primary'}`}
          disabled={active || blocked}
        >
          {starting ? (startingStage ?? 'Starting…') : `Train ${settings.model === 'auto' ? 'with Auto' : modelTitle(settings.model)}`}
        </button>
      </StepFooter>
    </div>
  );
}
