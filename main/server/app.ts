/**
 * The HTTP side: routing, bodies, the request formats and the answers. Every
 * request is recorded once, when its response finishes or when the connection
 * closes first (a client that gave up), so counters, the in-flight gauge and the
 * latency histogram see errors and aborted requests as well as successes.
 */
import { Buffer } from 'node:buffer';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { classifierLine, predictionsHeader } from '../../shared/serving/csv.js';
import type { ServingSchema } from '../../shared/serving/schema.js';
import type { DriftMonitor } from './drift.js';
import { badRequest, HttpError, messageOf } from './errors.js';
import type { Metrics } from './metrics.js';
import type { Model, Scores } from './model.js';
import { buildOpenApi } from './openapi.js';
import { summariseInputs, summariseOutputs, type PredictionLog } from './predictionLog.js';
import { BatchBuilder, type Batch } from './rows.js';

const MLFLOW_FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
/** ORT element types as the Open Inference Protocol names them. */
const V2_DATATYPES: Record<string, string> = {
  float32: 'FP32',
  float64: 'FP64',
  int64: 'INT64',
  int32: 'INT32',
  string: 'BYTES',
  bool: 'BOOL',
};
/** The one route label of every path that is not a route: label values stay few whatever clients send. */
export const OTHER_ROUTE = 'other';
/** The status recorded for a request whose client closed the connection before the answer (as nginx logs it). */
const CLIENT_CLOSED = 499;
const REASONS: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'too_large',
  415: 'unsupported_media_type',
  503: 'unavailable',
};

export interface Services {
  schema: ServingSchema;
  model: Model;
  metrics: Metrics;
  drift: DriftMonitor;
  log: PredictionLog | undefined;
  maxBodyBytes: number;
  version: string;
}

interface RequestContext {
  started: bigint;
  /** The route template, for metrics and the log: never the raw URL. */
  route: string;
  path: string;
}

type Answer = (scores: Scores, batch: Batch) => void;

interface V2Output {
  name: string;
  shape: number[];
  datatype: string;
  parameters?: Record<string, string>;
  data: (string | number)[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

/** Header values must be printable ASCII; column names need not be. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function mediaType(request: IncomingMessage): string {
  const header = request.headers['content-type'];
  return header ? header.split(';')[0]!.trim().toLowerCase() : '';
}

function wantsCsv(request: IncomingMessage): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/csv');
}

function discardBody(request: IncomingMessage, cap: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const timer = setTimeout(resolve, 15_000);
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    request.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > cap) finish();
    });
    request.on('end', finish);
    request.on('close', finish);
    request.resume();
  });
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (size: number) =>
      new HttpError(
        413,
        `the request body is ${size} bytes, over the limit of ${limit} bytes (${formatBytes(limit)}); send smaller batches or raise MAX_BODY_BYTES`,
      );
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge(declared));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reject(
          new HttpError(
            413,
            `the request body is over the limit of ${limit} bytes (${formatBytes(limit)}); send smaller batches or raise MAX_BODY_BYTES`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    // A client that goes away mid-body must not leave the request pending (it would hold up shutdown).
    const aborted = () => {
      if (done) return;
      done = true;
      reject(new HttpError(400, 'the client closed the connection before the body was complete'));
    };
    request.on('error', aborted);
    request.on('close', aborted);
  });
}

/** A percent-encoded path segment, or a 400 for encoding that does not decode (`%E0%A4%A`). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`the path has malformed percent-encoding in ${JSON.stringify(segment.slice(0, 80))}`);
  }
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw badRequest('the request body is empty; send JSON');
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error) {
    throw badRequest(`the body is not valid JSON: ${messageOf(error)}`);
  }
}

export function createApp(services: Services): {
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  state: { shuttingDown: boolean };
} {
  const { schema, model, metrics, drift, log, maxBodyBytes } = services;
  const builder = new BatchBuilder(schema);
  const classifier = schema.task !== 'regression';
  const classes = schema.classes;
  const modelPath = `/v2/models/${schema.name}`;
  const openApiText = JSON.stringify(buildOpenApi(schema, services.version));
  const state = { shuttingDown: false };

  function batchFromMlflow(body: unknown): Batch {
    if (!isObject(body)) {
      throw badRequest(`the body must be a JSON object with one of ${MLFLOW_FORMATS.join(', ')}`);
    }
    const present = MLFLOW_FORMATS.filter((key) => Object.hasOwn(body, key));
    const format = present[0];
    if (format === undefined) {
      const keys = Object.keys(body);
      throw badRequest(
        `the body needs one of ${MLFLOW_FORMATS.join(', ')} (MLflow scoring formats)${keys.length > 0 ? `; it has ${keys.map((key) => `"${key}"`).join(', ')}` : ''}`,
      );
    }
    if (present.length > 1) throw badRequest(`send one format at a time, not ${present.join(' and ')}`);
    const value = body[format];
    let batch: Batch;
    if (format === 'dataframe_split') batch = builder.fromSplit(value);
    else if (format === 'dataframe_records') batch = builder.fromRecords(value);
    else if (format === 'instances') {
      if (Array.isArray(value) && value.length > 0 && Array.isArray(value[0])) {
        throw badRequest('instances must be records ({column: value}); a list of value lists has no column names — use dataframe_split');
      }
      batch = builder.fromRecords(value, 'instance');
    } else batch = Array.isArray(value) ? builder.fromRecords(value, 'input') : builder.fromColumnar(value);
    const ignored = Object.keys(body).filter((key) => key !== format);
    if (ignored.length > 0) {
      batch.warnings.push(`ignored fields: ${ignored.map((key) => `"${key}"`).join(', ')} (this model takes no params)`);
    }
    return batch;
  }

  function batchFromPredictJson(body: unknown): Batch {
    if (Array.isArray(body)) return builder.fromRecords(body);
    if (isObject(body)) {
      const looksMlflow =
        MLFLOW_FORMATS.some((key) => Object.hasOwn(body, key)) && !schema.inputs.some((input) => Object.hasOwn(body, input.name));
      return looksMlflow ? batchFromMlflow(body) : builder.fromRecords([body]);
    }
    throw badRequest('the body must be a JSON array of records, or one record');
  }

  async function readBatch(request: IncomingMessage, fromJson: (body: unknown) => Batch): Promise<Batch> {
    const type = mediaType(request);
    if (type !== '' && type !== 'application/json' && type !== 'text/csv' && !type.endsWith('+json')) {
      throw new HttpError(415, `content type "${type}" is not accepted; send application/json or text/csv`);
    }
    const body = await readBody(request, maxBodyBytes);
    if (type === 'text/csv') return builder.fromCsv(body.toString('utf8'));
    return fromJson(parseJson(body));
  }

  function predictionsJson(scores: Scores): unknown[] {
    const predictions = new Array<unknown>(scores.rowCount);
    if (scores.kind === 'value') {
      for (let row = 0; row < scores.rowCount; row += 1) predictions[row] = scores.values[row];
      return predictions;
    }
    const width = classes.length;
    for (let row = 0; row < scores.rowCount; row += 1) {
      const probabilities: Record<string, number> = {};
      for (let column = 0; column < width; column += 1) probabilities[classes[column]!] = scores.probabilities[row * width + column]!;
      predictions[row] = { label: scores.labels[row], probabilities };
    }
    return predictions;
  }

  function predictionsCsv(scores: Scores): string {
    const lines = [predictionsHeader(classifier ? classes : null)];
    const width = classes.length;
    for (let row = 0; row < scores.rowCount; row += 1) {
      if (scores.kind === 'value') lines.push(String(scores.values[row]));
      else lines.push(classifierLine(scores.labels[row]!, scores.probabilities, row * width, width));
    }
    return `${lines.join('\n')}\n`;
  }

  function v2Outputs(scores: Scores, requested: unknown): V2Output[] {
    const rowCount = scores.rowCount;
    const outputs: V2Output[] = [];
    if (scores.kind === 'classes') {
      outputs.push({ name: 'label', shape: [rowCount], datatype: 'BYTES', data: scores.labels });
      outputs.push({
        name: 'probabilities',
        shape: [rowCount, classes.length],
        datatype: scores.probabilities instanceof Float64Array ? 'FP64' : 'FP32',
        parameters: { classes: classes.join(',') },
        data: Array.from(scores.probabilities),
      });
    } else {
      outputs.push({
        name: 'prediction',
        shape: [rowCount],
        datatype: scores.values instanceof Float64Array ? 'FP64' : 'FP32',
        data: Array.from(scores.values),
      });
    }
    if (!Array.isArray(requested) || requested.length === 0) return outputs;
    const names = requested.map((output: unknown, index) => {
      const name = isObject(output) ? output.name : undefined;
      if (typeof name !== 'string') throw badRequest(`outputs[${index}] must be an object with a "name" (text)`);
      return name;
    });
    const unknown = names.filter((name) => !outputs.some((output) => output.name === name));
    if (unknown.length > 0) {
      throw badRequest(
        `unknown output ${unknown.map((name) => JSON.stringify(name)).join(', ')}; outputs are ${outputs.map((output) => output.name).join(', ')}`,
      );
    }
    return outputs.filter((output) => names.includes(output.name));
  }

  function v2Metadata(): Record<string, unknown> {
    const outputType = (name: string | undefined, fallback: string) =>
      (name === undefined ? undefined : V2_DATATYPES[model.outputTypes.get(name) ?? '']) ?? fallback;
    return {
      name: schema.name,
      versions: schema.runId ? [schema.runId] : [],
      platform: 'onnxruntime_onnx',
      inputs: schema.inputs.map((input) => ({ name: input.name, datatype: input.type === 'number' ? 'FP64' : 'BYTES', shape: [-1] })),
      outputs: classifier
        ? [
            { name: 'label', datatype: 'BYTES', shape: [-1] },
            { name: 'probabilities', datatype: outputType(model.probabilityOutput, 'FP32'), shape: [-1, classes.length] },
          ]
        : [{ name: 'prediction', datatype: outputType(model.valueOutput, 'FP32'), shape: [-1] }],
      parameters: { task: schema.task, classes, threshold: schema.threshold, run_id: schema.runId, dataset_version: schema.datasetVersion },
    };
  }

  /** Scores a request and writes the log line; `answer` turns the scores into the response. */
  async function score(request: IncomingMessage, context: RequestContext, fromJson: (body: unknown) => Batch, answer: Answer) {
    const started = context.started;
    let batch: Batch | undefined;
    try {
      batch = await readBatch(request, fromJson);
      const scores = await model.score(batch);
      metrics.scored(batch.rowCount);
      drift.add(batch);
      answer(scores, batch);
      log?.write({
        time: new Date().toISOString(),
        route: context.route,
        status: 200,
        rows: batch.rowCount,
        latencyMs: Number(process.hrtime.bigint() - started) / 1e6,
        inputs: summariseInputs(batch),
        outputs: summariseOutputs(scores, classes),
        ...(batch.warnings.length > 0 ? { warnings: batch.warnings } : {}),
      });
    } catch (error) {
      log?.write({
        time: new Date().toISOString(),
        route: context.route,
        status: error instanceof HttpError ? error.status : 500,
        rows: batch?.rowCount ?? 0,
        latencyMs: Number(process.hrtime.bigint() - started) / 1e6,
        error: messageOf(error),
      });
      throw error;
    }
  }

  function warningHeaders(headers: OutgoingHttpHeaders, warnings: readonly string[] | undefined): OutgoingHttpHeaders {
    if (warnings && warnings.length > 0) headers['kiln-warnings'] = headerSafe(warnings.join('; '));
    return headers;
  }

  function sendJson(response: ServerResponse, status: number, value: unknown, warnings?: readonly string[]): void {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    response.writeHead(status, warningHeaders({ 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }, warnings));
    response.end(text);
  }

  function sendText(response: ServerResponse, status: number, type: string, text: string, warnings?: readonly string[]): void {
    response.writeHead(status, warningHeaders({ 'content-type': type, 'content-length': Buffer.byteLength(text) }, warnings));
    response.end(text);
  }

  function answerPredictions(request: IncomingMessage, response: ServerResponse): Answer {
    return (scores, batch) => {
      if (wantsCsv(request)) {
        sendText(response, 200, 'text/csv; charset=utf-8', predictionsCsv(scores), batch.warnings);
        return;
      }
      const body: { predictions: unknown[]; warnings?: string[] } = { predictions: predictionsJson(scores) };
      if (batch.warnings.length > 0) body.warnings = batch.warnings;
      sendJson(response, 200, body, batch.warnings);
    };
  }

  function requireMethod(request: IncomingMessage, method: 'GET' | 'POST'): void {
    if (request.method !== method && !(method === 'GET' && request.method === 'HEAD')) {
      throw new HttpError(405, `${request.method} is not allowed here; use ${method}`);
    }
  }

  async function route(request: IncomingMessage, response: ServerResponse, context: RequestContext): Promise<void> {
    const path = context.path;
    if (path === '/invocations') {
      context.route = path;
      requireMethod(request, 'POST');
      await score(request, context, batchFromMlflow, answerPredictions(request, response));
      return;
    }
    if (path === '/predict') {
      context.route = path;
      requireMethod(request, 'POST');
      await score(request, context, batchFromPredictJson, answerPredictions(request, response));
      return;
    }
    if (path === '/v2/health/live') {
      context.route = path;
      requireMethod(request, 'GET');
      sendJson(response, 200, { live: true });
      return;
    }
    if (path === '/v2/health/ready') {
      context.route = path;
      requireMethod(request, 'GET');
      sendJson(response, state.shuttingDown ? 503 : 200, { ready: !state.shuttingDown });
      return;
    }
    if (path === '/v2') {
      context.route = path;
      requireMethod(request, 'GET');
      sendJson(response, 200, { name: 'kiln-model-server', version: services.version, extensions: [] });
      return;
    }
    if (path.startsWith('/v2/models/')) {
      const rest = path.slice('/v2/models/'.length);
      const [encodedName = '', action, ...more] = rest.split('/');
      const name = decodeSegment(encodedName);
      if (name !== schema.name) {
        throw new HttpError(
          404,
          `no model ${JSON.stringify(name.slice(0, 200))} here; this server serves "${schema.name}" at ${modelPath}`,
        );
      }
      if (more.length > 0 || (action !== undefined && action !== 'ready' && action !== 'infer')) {
        throw new HttpError(404, `no route ${path.slice(0, 200)}; ${modelPath} has /ready and /infer (see /openapi.json)`);
      }
      context.route = `/v2/models/{name}${action ? `/${action}` : ''}`;
      if (action === undefined) {
        requireMethod(request, 'GET');
        sendJson(response, 200, v2Metadata());
      } else if (action === 'ready') {
        requireMethod(request, 'GET');
        sendJson(response, state.shuttingDown ? 503 : 200, { name: schema.name, ready: !state.shuttingDown });
      } else {
        requireMethod(request, 'POST');
        let requestId: unknown;
        let requested: unknown;
        await score(
          request,
          context,
          (body) => {
            if (!isObject(body)) throw badRequest('the body must be an object with "inputs"');
            // Echoed back as it came, so it must be something short to echo: the protocol's id is text.
            if (body.id !== undefined && typeof body.id !== 'string' && typeof body.id !== 'number') {
              throw badRequest('"id" must be text (the request id echoed in the answer)');
            }
            requestId = body.id;
            requested = body.outputs;
            return builder.fromV2Inputs(body.inputs);
          },
          (scores, batch) => {
            const answer: Record<string, unknown> = { model_name: schema.name, outputs: v2Outputs(scores, requested) };
            if (schema.runId) answer.model_version = schema.runId;
            if (requestId !== undefined) answer.id = requestId;
            if (batch.warnings.length > 0) answer.parameters = { warnings: batch.warnings.join('; ') };
            sendJson(response, 200, answer, batch.warnings);
          },
        );
      }
      return;
    }
    if (path === '/metrics') {
      context.route = path;
      requireMethod(request, 'GET');
      sendText(response, 200, 'text/plain; version=0.0.4; charset=utf-8', metrics.render(driftLines()));
      return;
    }
    if (path === '/drift') {
      context.route = path;
      requireMethod(request, 'GET');
      sendJson(response, 200, { model: schema.name, ...drift.report() });
      return;
    }
    if (path === '/openapi.json') {
      context.route = path;
      requireMethod(request, 'GET');
      sendJson(response, 200, openApiText);
      return;
    }
    if (path === '/') {
      context.route = path;
      requireMethod(request, 'GET');
      sendJson(response, 200, {
        name: schema.name,
        task: schema.task,
        endpoints: [
          '/invocations',
          '/predict',
          '/v2/health/live',
          '/v2/health/ready',
          modelPath,
          `${modelPath}/infer`,
          '/metrics',
          '/drift',
          '/openapi.json',
        ],
      });
      return;
    }
    throw new HttpError(404, `no route ${path.slice(0, 200)}; see /openapi.json`);
  }

  function driftLines(): string[] {
    const lines = [
      '# HELP kiln_drift_psi Population stability index of recent inputs against training, by feature.',
      '# TYPE kiln_drift_psi gauge',
    ];
    for (const { name, psi } of drift.psiByFeature()) {
      lines.push(`kiln_drift_psi{feature="${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"} ${psi}`);
    }
    return lines;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const context: RequestContext = { started: process.hrtime.bigint(), route: OTHER_ROUTE, path: '' };
    metrics.inFlight += 1;
    if (state.shuttingDown) response.setHeader('connection', 'close');
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      metrics.inFlight -= 1;
      const seconds = Number(process.hrtime.bigint() - context.started) / 1e9;
      // `close` before `finish`: the client went away (a half-sent body, a slow client cut off) and gets no answer.
      const aborted = !response.writableFinished;
      if (aborted) metrics.error(context.route, 'client_closed');
      metrics.observe(context.route, request.method ?? '', aborted ? CLIENT_CLOSED : response.statusCode, seconds);
    };
    response.once('finish', record);
    response.once('close', record);
    try {
      const url = request.url ?? '/';
      const queryAt = url.indexOf('?');
      context.path = queryAt === -1 ? url : url.slice(0, queryAt);
      await route(request, response, context);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      // A request whose connection is gone is counted once, as closed by the client, when the response closes.
      if (response.destroyed || request.socket.destroyed) {
        response.destroy();
        return;
      }
      metrics.error(context.route, REASONS[status] ?? 'internal');
      if (status === 500) {
        process.stderr.write(
          `error on ${request.method} ${context.path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
      }
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const body: { error: string; column?: string; row?: number } = {
        error: status === 500 ? `internal error: ${messageOf(error)}` : messageOf(error),
      };
      if (error instanceof HttpError && error.column !== undefined) body.column = error.column;
      if (error instanceof HttpError && error.row !== undefined) body.row = error.row;
      if (status === 413) {
        // A refused body may still be arriving. Most clients write the whole body before reading the answer, so
        // closing at once would give them a broken pipe instead of this 413: read and discard the rest first,
        // up to a few times the limit, then close the connection.
        response.setHeader('connection', 'close');
        if (!request.complete) await discardBody(request, 4 * maxBodyBytes);
      }
      sendJson(response, status, body);
    }
  }

  return { handle, state };
}
