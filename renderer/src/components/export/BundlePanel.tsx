import { useState } from 'react';
import type { JsonCell } from '../../../../shared/api.js';
import type { ExportBundle } from '../../../../shared/api/export.js';
import { connection, type BundleAccess } from '../../api/transport.js';
import { ErrorMessage } from '../ErrorMessage.js';
import { formatStarted } from '../train/format.js';
import { bundleFiles, curlExample, formatBytes, formatDiff, parityTolerance, shellArg } from './format.js';

/** Where the bundle went, proof that ONNX agrees with the app, and how to call it. */
export function BundlePanel({ bundle, sampleRow }: { bundle: ExportBundle; sampleRow: Record<string, JsonCell> | null }) {
  const passed = bundle.parity.rows > 0 && bundle.parity.maxAbsDiff <= parityTolerance;
  return (
    <section className="export-card" aria-labelledby="export-bundle-title">
      <div className="export-card-head">
        <h3 id="export-bundle-title">Bundle</h3>
        <span className="muted small">exported {formatStarted(bundle.createdAt)}</span>
      </div>
      <TakeAway bundle={bundle} access={connection.bundleAccess} />
      <dl className="export-facts">
        <div className="wide">
          <dt>Folder</dt>
          <dd>
            <code className="export-path">{bundle.bundle}</code>
          </dd>
        </div>
        <div>
          <dt>ONNX model</dt>
          <dd>{formatBytes(bundle.onnxBytes)}</dd>
        </div>
        <div>
          <dt>Rows checked</dt>
          <dd>{bundle.parity.rows.toLocaleString('en-US')}</dd>
        </div>
        <div>
          <dt>Largest difference</dt>
          <dd>{formatDiff(bundle.parity.maxAbsDiff)}</dd>
        </div>
      </dl>
      <p className={`export-parity ${passed ? 'pass' : 'fail'}`} role="status">
        <span className="export-parity-mark" aria-hidden="true">
          {passed ? '✓' : '!'}
        </span>
        {passed
          ? `Parity passed: ONNX and the in-app model agree on all ${bundle.parity.rows.toLocaleString('en-US')} held-out rows (every probability within ${parityTolerance.toExponential(0)}, every label the same).`
          : `Parity not shown as passed: the largest difference is ${formatDiff(bundle.parity.maxAbsDiff)} over ${bundle.parity.rows} rows.`}
      </p>

      <h4>In the folder</h4>
      <ul className="export-files">
        {bundleFiles.map((file) => (
          <li key={file.name}>
            <code>{file.name}</code> <span className="muted">{file.what}</span>
          </li>
        ))}
      </ul>

      <h4>How to use it</h4>
      <p className="muted">Serve it without Docker (on 127.0.0.1), or build the image below:</p>
      <pre className="export-code" tabIndex={0} aria-label="Command to serve the bundle">
        {`kiln serve ${shellArg(bundle.bundle)} --port 8080`}
      </pre>
      <p className="muted">Then score a row{sampleRow ? ' (this one is the first row of the dataset)' : ''}:</p>
      <pre className="export-code" tabIndex={0} aria-label="curl example">
        {curlExample('http://127.0.0.1:8080', sampleRow ?? {})}
      </pre>
    </section>
  );
}

/**
 * How the user gets the bundle out of Kiln: in a browser the folder lives on the host, so it is downloaded
 * as a zip; in Electron it is already on this machine, so its folder is shown.
 */
function TakeAway({ bundle, access }: { bundle: ExportBundle; access: BundleAccess }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async () => {
    setBusy(true);
    setError(null);
    try {
      if (access.kind === 'download') await access.download(bundle.id);
      else await access.showInFolder(bundle.id);
    } catch (problem) {
      setError(problem instanceof Error ? problem.message : String(problem));
    } finally {
      setBusy(false);
    }
  };
  const download = access.kind === 'download';
  return (
    <div className="export-takeaway">
      <button type="button" className="button primary" onClick={() => void act()} disabled={busy}>
        {download ? (busy ? 'Preparing the zip…' : 'Download bundle (.zip)') : 'Show in folder'}
      </button>
      <span className="muted small">
        {download ? 'The whole folder below as one zip file, to run anywhere.' : 'Opens the bundle folder in your file manager.'}
      </span>
      {error ? <ErrorMessage message={error} onDismiss={() => setError(null)} /> : null}
    </div>
  );
}
