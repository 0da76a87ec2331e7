import { useExport } from '../../stores/export.js';
import { ErrorMessage } from '../ErrorMessage.js';
import { prettyJson } from './format.js';

/** One real row of the dataset sent to the running server, with the request and the answer side by side. */
export function TestPanel({ url }: { url: string }) {
  const { test, testing, errors, sendTestRow, clearError } = useExport();
  return (
    <section className="export-card" aria-labelledby="export-test-title">
      <div className="export-card-head">
        <h3 id="export-test-title">Test request</h3>
        {test ? (
          <span className={`run-status ${test.status < 400 ? 'succeeded' : 'failed'}`} aria-live="polite">
            HTTP {test.status} in {test.latencyMs.toFixed(1)} ms
          </span>
        ) : null}
      </div>
      <div className="export-actions">
        <button type="button" className="button primary" onClick={() => void sendTestRow()} disabled={testing}>
          {testing ? 'Sending…' : test ? 'Send again' : 'Send a test row'}
        </button>
        <span className="muted">
          Sends one real row of the dataset to <code>{url}/invocations</code> and shows what comes back.
        </span>
      </div>
      {errors.test ? <ErrorMessage message={errors.test} onDismiss={() => clearError('test')} /> : null}
      {test ? (
        <div className="export-exchange">
          <figure>
            <figcaption>Request</figcaption>
            <pre className="export-code" tabIndex={0} aria-label="Test request">
              {prettyJson(test.request)}
            </pre>
          </figure>
          <figure>
            <figcaption className={test.status >= 400 ? 'bad' : undefined}>Response · HTTP {test.status}</figcaption>
            <pre className="export-code" tabIndex={0} aria-label="Test response">
              {prettyJson(test.response)}
            </pre>
          </figure>
        </div>
      ) : null}
    </section>
  );
}
