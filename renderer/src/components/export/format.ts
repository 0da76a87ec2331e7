/** How bundles, images and requests read in the Export step. */
import type { JsonCell, TestResponse } from '../../../../shared/api.js';

/** Decimal units, as Docker reports image sizes, so the two figures agree. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** Small differences are the interesting ones: 3.2e-7 says more than 0.0000. */
export function formatDiff(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  return value < 0.001 ? value.toExponential(1) : value.toFixed(4);
}

/** Parity as the engine checks it: probabilities within 1e-5 of the in-app model. */
export const parityTolerance = 1e-5;

/** Quotes a string for a POSIX shell's single quotes. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A path as a shell argument: bare when it is plain, quoted when it has spaces or other shell characters. */
export function shellArg(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : shellQuote(text);
}

/** A curl command that scores one row through MLflow's `/invocations`, with the dataset's real column names. */
export function curlExample(baseUrl: string, row: Record<string, JsonCell>): string {
  const body = JSON.stringify({ dataframe_records: [row] }, null, 2);
  return `curl -s ${baseUrl}/invocations \\\n  -H 'Content-Type: application/json' \\\n  -d ${shellQuote(body)}`;
}

/** Terminal colour codes (onnxruntime colours its warnings) read as noise in a log box. */
export function withoutAnsi(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

export function prettyJson(value: TestResponse['request'] | TestResponse['response']): string {
  if (typeof value === 'string') {
    // An answer the model server would not give arrives as text; show it indented when it is JSON.
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

/** What each part of a bundle is for, in the order a reader meets them (the layout `main/engine/export/bundle.ts` writes). */
export const bundleFiles: { name: string; what: string }[] = [
  { name: 'model.onnx', what: 'the whole pipeline in one ONNX graph: imputation, encoding, scaling and the model' },
  { name: 'schema.json', what: 'input columns and types, classes, threshold, and the training profile for drift' },
  { name: 'server.mjs', what: 'the model server with lib/ and node_modules/: /invocations, /predict, KServe v2, /metrics, /drift' },
  { name: 'Dockerfile', what: 'a multi-stage build that needs no network beyond the base image' },
  { name: 'client/', what: 'kiln-client.ts (typed), kiln_client.py (standard library only) and score.sh (curl)' },
  { name: 'README.md', what: 'how to run and call the server, with curl examples; SERVER.md lists every setting' },
];
