import type { ExportBundle } from '../../../../shared/api/export.js';
import { isJobActive } from '../../stores/train.js';
import { buildLogLimit, defaultBaseImage, tagProblem, useExport } from '../../stores/export.js';
import { ErrorMessage } from '../ErrorMessage.js';
import { ProgressBar } from '../ProgressBar.js';
import { formatBytes, shellArg } from './format.js';
import { LogBox } from './LogBox.js';

/** Docker's availability, the image settings, the build with its streaming log, and the image once built. */
export function DockerPanel({ bundle }: { bundle: ExportBundle | null }) {
  const { docker, dockerChecking, tag, baseImage, buildJob, buildLog, errors } = useExport();
  const { checkDocker, setTag, setBaseImage, buildImage, clearError } = useExport();
  const building = isJobActive(buildJob);
  const tagIssue = tag === '' ? null : tagProblem(tag);
  const available = docker?.available === true;

  return (
    <section className="export-card" aria-labelledby="export-docker-title">
      <div className="export-card-head">
        <h3 id="export-docker-title">Docker image</h3>
        {docker ? (
          <span className={`run-status ${available ? 'succeeded' : 'failed'}`}>
            {available ? 'Docker available' : 'Docker unavailable'}
          </span>
        ) : null}
      </div>

      {docker === null ? (
        <p className="muted">{dockerChecking ? 'Asking the Docker engine…' : 'Docker has not been checked yet.'}</p>
      ) : available ? (
        <p className="muted">Connected to {docker.detail}.</p>
      ) : (
        <div className="export-unavailable">
          <p>
            <strong>Kiln cannot reach a Docker engine.</strong> {docker.detail}
          </p>
          <p className="muted">
            The bundle does not need Docker: {bundle ? 'run' : 'after exporting, run'}{' '}
            <code>kiln serve {bundle ? shellArg(bundle.bundle) : '<bundle folder>'}</code> to serve it on 127.0.0.1.
          </p>
          <button type="button" className="button small" onClick={() => void checkDocker()} disabled={dockerChecking}>
            {dockerChecking ? 'Checking…' : 'Check again'}
          </button>
        </div>
      )}

      {errors.docker ? <ErrorMessage message={errors.docker} onDismiss={() => clearError('docker')} /> : null}

      {available ? (
        <form
          className="export-form"
          aria-label="Image settings"
          onSubmit={(event) => {
            event.preventDefault();
            void buildImage();
          }}
        >
          <div className="export-field-row">
            <div className="export-field">
              <label htmlFor="export-tag">Image tag</label>
              <input
                id="export-tag"
                className="input"
                value={tag}
                spellCheck={false}
                disabled={building}
                aria-invalid={tagIssue ? true : undefined}
                aria-describedby={tagIssue ? 'export-tag-problem' : undefined}
                onChange={(event) => setTag(event.target.value)}
              />
              {tagIssue ? (
                <span className="train-field-problem" id="export-tag-problem">
                  {tagIssue}
                </span>
              ) : null}
            </div>
            <div className="export-field">
              <label htmlFor="export-base">Base image</label>
              <input
                id="export-base"
                className="input"
                value={baseImage}
                spellCheck={false}
                placeholder={defaultBaseImage}
                disabled={building}
                aria-describedby="export-base-hint"
                onChange={(event) => setBaseImage(event.target.value)}
              />
              <span className="train-field-hint" id="export-base-hint">
                Any image with Node 20; the rest comes from Kiln, so the build needs no network beyond this image.
              </span>
            </div>
          </div>
          <div className="export-actions">
            <button type="submit" className="button primary" disabled={!bundle || building || tagIssue !== null}>
              {building ? 'Building…' : 'Build image'}
            </button>
            {!bundle ? <span className="muted">Export the run first.</span> : null}
          </div>
        </form>
      ) : null}

      {buildJob ? (
        <div className="export-build">
          <div className="job-line">
            <span>{building ? buildJob.stage || 'Building' : buildJob.state === 'succeeded' ? 'Build finished' : 'Build stopped'}</span>
            <span className="muted small">
              {buildLog.length >= buildLogLimit ? `last ${buildLogLimit} lines` : `${buildLog.length} lines`}
            </span>
          </div>
          {building ? <ProgressBar fraction={buildJob.fraction} label="Image build progress" /> : null}
          <LogBox lines={buildLog} label="Build log" empty="Waiting for the first line of the build log…" />
        </div>
      ) : null}

      {bundle?.image ? (
        <dl className="export-facts" aria-label="Built image">
          <div>
            <dt>Size</dt>
            <dd>{formatBytes(bundle.image.sizeBytes)}</dd>
          </div>
          <div>
            <dt>Id</dt>
            <dd>
              <code title={bundle.image.id}>{bundle.image.id.replace(/^sha256:/, '').slice(0, 12)}</code>
            </dd>
          </div>
          <div className="wide">
            <dt>Image</dt>
            <dd>
              <code>{bundle.image.tag}</code>
            </dd>
          </div>
        </dl>
      ) : null}
    </section>
  );
}
