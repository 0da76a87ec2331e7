import { useEffect, useState } from 'react';
import type { AppInfo } from '../../../shared/api.js';
import { api } from '../api/transport.js';
import { DataTable } from '../components/DataTable.js';
import { DropZone } from '../components/DropZone.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { ImportDraftPanel } from '../components/import/ImportDraftPanel.js';
import { ImportReportView } from '../components/import/ImportReportView.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { StepFooter } from '../components/wizard/StepFooter.js';
import { isFinished, useDatasets } from '../stores/datasets.js';

export function ImportStep({ projectId }: { projectId: string }) {
  const {
    datasets,
    selectedId,
    preview,
    report,
    draft,
    importJob,
    error,
    select,
    importFile,
    importSample,
    resniff,
    setOptions,
    confirmImport,
    discardDraft,
    cancelImport,
    clearError,
  } = useDatasets();
  const [samples, setSamples] = useState<AppInfo['samples']>([]);
  const running = importJob !== null && !isFinished(importJob);
  const selected = datasets.find((dataset) => dataset.id === selectedId);

  useEffect(() => {
    api.call('app.info', {}).then(
      (info) => setSamples(info.samples),
      () => setSamples([]),
    );
  }, []);

  return (
    <div className="page-pad import-step">
      <div className="step-head">
        <div>
          <h2>Import</h2>
          <p className="muted">Bring a CSV file into this project. Kiln stores an immutable copy, so later steps can always be repeated.</p>
        </div>
      </div>

      <DropZone onFile={(file) => void importFile(projectId, file)} disabled={running} compact={datasets.length > 0} />
      {samples.length > 0 && datasets.length === 0 ? (
        <div className="samples">
          <span className="muted">No file at hand?</span>
          {samples.map((sample) => (
            <button
              key={sample.id}
              type="button"
              className="button"
              disabled={running}
              onClick={() => void importSample(projectId, sample.id)}
              title={sample.description}
            >
              Try the {sample.title} sample
            </button>
          ))}
        </div>
      ) : null}

      {running && importJob ? (
        <div className="job" aria-live="polite">
          <div className="job-line">
            <span>{importJob.message || 'Starting…'}</span>
            <button type="button" className="button small" onClick={() => void cancelImport()}>
              Cancel
            </button>
          </div>
          <ProgressBar fraction={importJob.fraction} label="Import progress" />
        </div>
      ) : null}
      {error ? <ErrorMessage message={error} onDismiss={clearError} /> : null}

      {draft ? (
        <ImportDraftPanel
          key={draft.source.kind === 'file' ? draft.source.path : draft.source.sampleId}
          draft={draft}
          disabled={running}
          onResniff={(options) => void resniff(options)}
          onOptions={setOptions}
          onImport={() => void confirmImport()}
          onDiscard={discardDraft}
        />
      ) : null}

      {datasets.length > 1 ? (
        <div className="dataset-picker">
          <label htmlFor="dataset-select">Dataset</label>
          <select id="dataset-select" className="input" value={selectedId ?? ''} onChange={(event) => void select(event.target.value)}>
            {datasets.map((dataset) => (
              <option key={dataset.id} value={dataset.id}>
                {dataset.name} · {dataset.rowCount.toLocaleString('en-US')} rows · {new Date(dataset.createdAt).toLocaleString()}
              </option>
            ))}
          </select>
        </div>
      ) : null}

      {selected ? (
        <div className="dataset-summary" aria-label="Imported dataset">
          <h3>{selected.name}</h3>
          <dl className="facts">
            <div>
              <dt>Rows</dt>
              <dd>{selected.rowCount.toLocaleString('en-US')}</dd>
            </div>
            <div>
              <dt>Columns</dt>
              <dd>{selected.columns.length}</dd>
            </div>
            <div>
              <dt>Version</dt>
              <dd>
                <code title={selected.version}>{selected.version.slice(0, 12)}</code>
              </dd>
            </div>
            {report ? (
              <div>
                <dt>Bad rows</dt>
                <dd>{report.badRows.count.toLocaleString('en-US')}</dd>
              </div>
            ) : null}
          </dl>
          {report ? <ImportReportView report={report} /> : null}
        </div>
      ) : null}
      {preview ? <DataTable page={preview} caption={`First rows of ${selected?.name ?? 'the dataset'}`} /> : null}
      <StepFooter step="import" />
    </div>
  );
}
