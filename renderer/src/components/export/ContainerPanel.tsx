import { useEffect } from 'react';
import { portProblem, useExport } from '../../stores/export.js';
import { ErrorMessage } from '../ErrorMessage.js';
import { formatStarted } from '../train/format.js';
import { LogBox } from './LogBox.js';

const statusPollMs = 3000;

/** Shown once the image is built: starting it, watching the container, reading its logs and stopping it. */
export function ContainerPanel() {
  const { port, exposeAll, container, containerBusy, logs, logsLoading, errors } = useExport();
  const { setPort, setExposeAll, runContainer, refreshContainer, loadLogs, stopContainer, clearError } = useExport();
  const running = container?.state === 'running';
  const portIssue = portProblem(port);

  // A server can exit on its own (a bad base image, a crash): keep the state honest while it should be up.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => void refreshContainer(), statusPollMs);
    return () => clearInterval(timer);
  }, [running, refreshContainer]);

  return (
    <section className="export-card" aria-labelledby="export-container-title">
      <div className="export-card-head">
        <h3 id="export-container-title">Run the server</h3>
        {container ? (
          <span className={`run-status ${running ? 'succeeded' : 'cancelled'}`}>{containerStateTitle(container.state)}</span>
        ) : null}
      </div>

      <form
        className="export-form"
        aria-label="Container settings"
        onSubmit={(event) => {
          event.preventDefault();
          void runContainer();
        }}
      >
        <div className="export-field-row">
          <div className="export-field narrow">
            <label htmlFor="export-port">Port</label>
            <input
              id="export-port"
              className="input"
              inputMode="numeric"
              value={port}
              disabled={running || containerBusy !== null}
              aria-invalid={portIssue ? true : undefined}
              aria-describedby={portIssue ? 'export-port-problem' : undefined}
              onChange={(event) => setPort(event.target.value)}
            />
            {portIssue ? (
              <span className="train-field-problem" id="export-port-problem">
                {portIssue}
              </span>
            ) : null}
          </div>
          <label className="train-check export-expose">
            <input
              type="checkbox"
              checked={exposeAll}
              disabled={running || containerBusy !== null}
              onChange={(event) => setExposeAll(event.target.checked)}
            />
            Expose on all network interfaces (0.0.0.0)
          </label>
        </div>
        {exposeAll ? (
          <p className="export-warning" role="note">
            <strong>Anyone on your network can call this server.</strong> It has no authentication; keep it on 127.0.0.1 unless another
            machine needs it.
          </p>
        ) : (
          <p className="train-field-hint">Bound to 127.0.0.1: only this computer can reach it.</p>
        )}
        <div className="export-actions">
          <button type="submit" className="button primary" disabled={running || containerBusy !== null || portIssue !== null}>
            {containerBusy === 'starting' ? 'Starting…' : 'Run'}
          </button>
          {container ? (
            <>
              <button type="button" className="button" onClick={() => void loadLogs()} disabled={logsLoading}>
                {logs ? 'Refresh logs' : 'Logs'}
              </button>
              <button type="button" className="button" onClick={() => void stopContainer()} disabled={!running || containerBusy !== null}>
                {containerBusy === 'stopping' ? 'Stopping…' : 'Stop'}
              </button>
            </>
          ) : null}
        </div>
      </form>

      {errors.container ? <ErrorMessage message={errors.container} onDismiss={() => clearError('container')} /> : null}

      {container ? (
        <dl className="export-facts" aria-label="Container">
          <div>
            <dt>Container</dt>
            <dd>
              <code title={container.id}>{container.id.slice(0, 12)}</code>
            </dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{container.startedAt ? formatStarted(container.startedAt) : '—'}</dd>
          </div>
          <div className="wide">
            <dt>Image</dt>
            <dd>
              <code>{container.image}</code>
            </dd>
          </div>
          <div className="wide">
            <dt>URL</dt>
            <dd>
              {container.url && running ? (
                <a href={container.url} target="_blank" rel="noreferrer">
                  {container.url}
                </a>
              ) : (
                '—'
              )}
            </dd>
          </div>
        </dl>
      ) : null}

      {logs ? <LogBox lines={logs} label="Container logs" empty="The container has written nothing yet." /> : null}
    </section>
  );
}

function containerStateTitle(state: string): string {
  if (state === 'running') return 'Running';
  if (state === 'removed') return 'Stopped';
  return state.charAt(0).toUpperCase() + state.slice(1);
}
