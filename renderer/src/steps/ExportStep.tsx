import { useEffect } from 'react';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { BundlePanel } from '../components/export/BundlePanel.js';
import { ContainerPanel } from '../components/export/ContainerPanel.js';
import { DockerPanel } from '../components/export/DockerPanel.js';
import { RunChooser } from '../components/export/RunChooser.js';
import { TestPanel } from '../components/export/TestPanel.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { bundleOf, useExport } from '../stores/export.js';
import { useNavigation } from '../stores/navigation.js';
import { isJobActive } from '../stores/train.js';

export function ExportStep({ projectId }: { projectId: string }) {
  const { runs, runId, loading, exportJob, docker, sampleRow, container, errors } = useExport();
  const { load, chooseRun, exportRun, clearError, watchDocker } = useExport();
  const bundle = useExport(bundleOf);
  const goToStep = useNavigation((state) => state.goToStep);
  const exporting = isJobActive(exportJob);

  useEffect(() => {
    void load(projectId);
  }, [projectId, load]);

  useEffect(() => watchDocker(), [watchDocker]);

  const head = (
    <div className="step-head">
      <div>
        <h2>Export</h2>
        <p className="muted">
          One ONNX file holding the whole pipeline, checked row by row against the app; a small model server with a Dockerfile and clients
          around it.
        </p>
      </div>
    </div>
  );

  if (runs.length === 0) {
    return (
      <div className="page-pad export">
        {head}
        {errors.runs ? <ErrorMessage message={errors.runs} onDismiss={() => clearError('runs')} /> : null}
        {loading ? (
          <p className="muted">Loading runs…</p>
        ) : (
          <div className="train-empty muted">
            <p>No finished run yet. Train a model first; the best run is chosen for you here.</p>
            <button type="button" className="button" onClick={() => goToStep('train')}>
              Go to Train
            </button>
          </div>
        )}
      </div>
    );
  }

  return (
    <div className="page-pad export">
      {head}
      {errors.runs ? <ErrorMessage message={errors.runs} onDismiss={() => clearError('runs')} /> : null}

      <div className="export-layout">
        <div className="export-column">
          <RunChooser runs={runs} runId={runId} disabled={exporting} onChoose={(id) => void chooseRun(id)} />

          <div className="export-actions">
            <button
              type="button"
              // Once a bundle exists, taking it away is the step's main action; exporting again is not.
              className={`button${bundle ? '' : ' primary'}`}
              onClick={() => void exportRun()}
              disabled={!runId || exporting}
            >
              {exporting ? 'Exporting…' : bundle ? 'Export again' : 'Export'}
            </button>
            <span className="muted">Writes the bundle and checks the ONNX model against the app on held-out rows.</span>
          </div>
          {exportJob && exporting ? (
            <div className="job" aria-live="polite">
              <div className="job-line">
                <span>{exportJob.message || exportJob.stage || 'Exporting'}</span>
                {exportJob.fraction !== null ? <span className="muted small">{Math.round(exportJob.fraction * 100)}%</span> : null}
              </div>
              <ProgressBar fraction={exportJob.fraction} label="Export progress" />
            </div>
          ) : null}
          {errors.export ? <ErrorMessage message={errors.export} onDismiss={() => clearError('export')} /> : null}

          {bundle ? <BundlePanel bundle={bundle} sampleRow={sampleRow} /> : null}
        </div>

        <div className="export-column">
          <DockerPanel bundle={bundle} />
          {bundle?.image && docker?.available ? <ContainerPanel /> : null}
        </div>
      </div>

      {/* Full width, so the request and the answer sit side by side at a readable width. */}
      {container?.state === 'running' && container.url ? <TestPanel url={container.url} /> : null}
    </div>
  );
}
