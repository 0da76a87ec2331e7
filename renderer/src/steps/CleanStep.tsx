import { useEffect, useId, useState } from 'react';
import type { ExportResult } from '../../../shared/api.js';
import { api } from '../api/transport.js';
import { AddStepMenu } from '../components/clean/AddStepMenu.js';
import { StepCard } from '../components/clean/StepCard.js';
import { DataTable } from '../components/DataTable.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { NeedsStep, StepFooter } from '../components/wizard/StepFooter.js';
import { columnsBefore, sourceDatasets, useClean, validSteps } from '../stores/clean.js';
import { isFinished, useDatasets } from '../stores/datasets.js';

function ExportForm({ datasetId, defaultName }: { datasetId: string; defaultName: string }) {
  const pathId = useId();
  const formatId = useId();
  const [path, setPath] = useState('');
  const [format, setFormat] = useState<'csv' | 'parquet'>('csv');
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.call('datasets.exportTable', { datasetId, format, path }));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="clean-export"
      onSubmit={(event) => {
        event.preventDefault();
        void run();
      }}
    >
      <div className="clean-field grow">
        <label htmlFor={pathId}>Export the cleaned table to a file on this machine</label>
        <input
          id={pathId}
          className="input"
          value={path}
          placeholder={`/home/me/${defaultName}.${format}`}
          onChange={(event) => setPath(event.target.value)}
          aria-invalid={error ? true : undefined}
        />
      </div>
      <div className="clean-field">
        <label htmlFor={formatId}>Format</label>
        <select id={formatId} className="input" value={format} onChange={(event) => setFormat(event.target.value as 'csv' | 'parquet')}>
          <option value="csv">CSV</option>
          <option value="parquet">Parquet</option>
        </select>
      </div>
      <button type="submit" className="button" disabled={busy || path.trim() === ''}>
        Export
      </button>
      {result ? (
        <p className="clean-export-done" role="status">
          Wrote {result.rows.toLocaleString('en-US')} rows to <code>{result.path}</code>
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} onDismiss={() => setError(null)} /> : null}
    </form>
  );
}

export function CleanStep({ projectId }: { projectId: string }) {
  const state = useClean();
  const { drafts, preview, previewing, previewError, previewErrorStep, applyJob, applied, error, datasetId } = state;
  const datasets = useDatasets((store) => store.datasets);
  const loadDatasets = useDatasets((store) => store.load);
  const load = useClean((store) => store.load);
  const onJob = useClean((store) => store.onJob);
  const sources = sourceDatasets(datasets);
  const dataset = datasets.find((candidate) => candidate.id === datasetId);
  const running = applyJob !== null && !isFinished(applyJob);
  const ready = validSteps(drafts).filter((step) => step.enabled).length;
  const effects = new Map((preview?.effects ?? []).map((effect) => [effect.stepId, effect]));

  useEffect(() => {
    void loadDatasets(projectId);
    void load(projectId);
  }, [projectId, load, loadDatasets]);

  useEffect(() => api.subscribe((event) => (event.type === 'job.updated' ? onJob(event.job) : undefined)), [onJob]);

  const addStep = (type: Parameters<typeof state.add>[0]) => {
    const id = state.add(type);
    // Put the keyboard in the new step's form, as a person would expect after "Add".
    requestAnimationFrame(() => {
      const card = document.querySelector(`[aria-labelledby="clean-step-${CSS.escape(id)}"]`);
      card?.scrollIntoView({ block: 'nearest' });
      card?.querySelector<HTMLElement>('.clean-form input, .clean-form select')?.focus();
    });
  };

  if (sources.length === 0 && !error) {
    return <NeedsStep title="Clean" needs="import" why="Cleaning steps run on an imported table. Import a CSV file first." />;
  }

  return (
    <div className="page-pad clean-step-page">
      <div className="step-head">
        <div>
          <h2>Clean</h2>
          <p className="muted">
            Each step is recorded in the project&apos;s recipe and runs on the whole table. Counts show what a step changed; nothing is
            written until you apply.
          </p>
        </div>
      </div>

      {error ? <ErrorMessage message={error} onDismiss={state.clearError} /> : null}

      {sources.length === 0 ? (
        <p className="clean-empty">Import a dataset first: cleaning steps run on an imported table.</p>
      ) : (
        <>
          {sources.length > 1 ? (
            <div className="dataset-picker">
              <label htmlFor="clean-dataset">Clean</label>
              <select
                id="clean-dataset"
                className="input"
                value={datasetId ?? ''}
                onChange={(event) => state.chooseDataset(event.target.value)}
              >
                {sources.map((candidate) => (
                  <option key={candidate.id} value={candidate.id}>
                    {candidate.name} · {candidate.rowCount.toLocaleString('en-US')} rows · {candidate.version.slice(0, 8)}
                  </option>
                ))}
              </select>
            </div>
          ) : dataset ? (
            <p className="muted">
              Cleaning <strong>{dataset.name}</strong>: {dataset.rowCount.toLocaleString('en-US')} rows, {dataset.columns.length} columns.
            </p>
          ) : null}

          {drafts.length === 0 ? (
            <p className="clean-empty muted">No steps yet. Add one below, for example “Fill missing values”.</p>
          ) : null}
          <ol className="clean-steps" aria-label="Cleaning steps">
            {drafts.map((draft, index) => (
              <StepCard
                key={draft.id}
                draft={draft}
                index={index}
                total={drafts.length}
                columns={columnsBefore(dataset?.columns ?? [], drafts, index)}
                effect={effects.get(draft.id)}
                error={previewErrorStep === draft.id ? previewError : null}
                onUpdate={(patch) => state.update(draft.id, patch)}
                onMove={(delta) => state.move(draft.id, delta)}
                onRemove={() => state.remove(draft.id)}
              />
            ))}
          </ol>
          <AddStepMenu onAdd={addStep} disabled={!dataset} />
          {previewError && !previewErrorStep ? <ErrorMessage message={previewError} /> : null}

          {running && applyJob ? (
            <div className="job" aria-live="polite">
              <div className="job-line">
                <span>{applyJob.message || 'Starting…'}</span>
                <button type="button" className="button small" onClick={() => void api.call('jobs.cancel', { jobId: applyJob.id })}>
                  Cancel
                </button>
              </div>
              <ProgressBar fraction={applyJob.fraction} label="Applying the cleaning steps" />
            </div>
          ) : null}
          {applied ? (
            <div className="clean-applied" role="status">
              <p>
                <strong>{applied.reused ? 'Already applied:' : 'Applied:'}</strong> {applied.dataset.name},{' '}
                {applied.dataset.rowCount.toLocaleString('en-US')} rows, {applied.dataset.columns.length} columns, version{' '}
                <code title={applied.dataset.version}>{applied.dataset.version.slice(0, 12)}</code>
              </p>
              <ExportForm
                datasetId={applied.dataset.id}
                defaultName={applied.dataset.name.replace(/\.csv\b/i, '').replace(/[^\w.-]+/g, '-')}
              />
            </div>
          ) : null}

          <div className="clean-preview-head">
            <h3>Result preview</h3>
            {previewing ? (
              <span className="muted" aria-live="polite">
                Updating…
              </span>
            ) : null}
          </div>
          {preview ? <DataTable page={preview.result} caption="First rows after the cleaning steps" /> : null}
        </>
      )}
      <StepFooter
        step="clean"
        // Cleaning is optional: with no steps waiting to be applied, going on is the thing to do.
        done={ready === 0 && !running}
        note={
          ready > 0
            ? 'Writes the cleaned table as a new dataset version.'
            : 'Cleaning is optional: with no steps, training uses the table as imported.'
        }
      >
        {ready > 0 || running ? (
          <button type="button" className="button primary" disabled={running || ready === 0 || !dataset} onClick={() => void state.apply()}>
            Apply {ready} step{ready === 1 ? '' : 's'}
          </button>
        ) : null}
      </StepFooter>
    </div>
  );
}
