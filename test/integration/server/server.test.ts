/**
 * The model server (main/server, built to dist/server/server.mjs) as a real child process over real HTTP,
 * scoring a real ONNX graph with onnxruntime: every endpoint and request
 * format, validation, metrics, drift, the prediction log and shutdown.
 */
import { request as httpRequest } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBundleSchema } from '../../../shared/serving/schema.js';
import { CLASSES, TRAINING_PROFILE, expectedPositive, expectedScore, spawnServer, writeBundle, type RunningServer } from './fixture.js';

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/** Polls `probe` until it gives a value, or fails naming what it waited for once `timeoutMs` has passed. */
async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A file's complete lines (the last one ended by its newline), or undefined while it does not exist yet. */
function completeLines(path: string): string[] | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n');
  return end < 0 ? [] : text.slice(0, end).split('\n');
}

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-server-'));
  scratchDirs.push(dir);
  return dir;
}

interface Row {
  age: number | null;
  workclass: string | null;
}

const WORKCLASSES = [
  'Private',
  'Self-emp-not-inc',
  'Self-emp-inc',
  'Federal-gov',
  'Local-gov',
  'State-gov',
  'Without-pay',
  'Martian',
  null,
];

/** Distinct ages, so each answer can only belong to its own row. */
function sampleRows(count: number): Row[] {
  return Array.from({ length: count }, (_, index) => ({
    age: index % 11 === 5 ? null : 17 + ((index * 7) % 73) + index / 1000,
    workclass: WORKCLASSES[index % WORKCLASSES.length] ?? null,
  }));
}

interface ClassPrediction {
  label: string;
  probabilities: Record<string, number>;
}

function expectPredictionsFor(rows: Row[], predictions: ClassPrediction[]): void {
  expect(predictions).toHaveLength(rows.length);
  rows.forEach((row, index) => {
    const positive = expectedPositive(row.age, row.workclass);
    const prediction = predictions[index];
    expect(prediction?.probabilities['>50K']).toBeCloseTo(positive, 6);
    expect(prediction?.probabilities['<=50K']).toBeCloseTo(1 - positive, 6);
    expect(prediction?.label).toBe(positive > 0.5 ? '>50K' : '<=50K');
  });
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ?? '';
    if (wanted.every((pair) => present.includes(pair))) return Number(match[3]);
  }
  return 0;
}

function toCsv(rows: Row[], separator = ','): string {
  return `age${separator}workclass\n${rows.map((row) => `${row.age ?? '?'}${separator}${row.workclass ?? '?'}`).join('\n')}\n`;
}

function stop(server: RunningServer | undefined): Promise<unknown> {
  if (!server || server.child.exitCode !== null) return Promise.resolve();
  server.child.kill('SIGTERM');
  return server.exited;
}

describe('model server: scoring', () => {
  let server: RunningServer;
  let bundle: string;
  let logDir: string;

  beforeAll(async () => {
    bundle = writeBundle(join(scratch(), 'bundle'));
    logDir = join(scratch(), 'logs');
    server = await spawnServer(bundle, { LOG_DIR: logDir, MAX_BODY_BYTES: '200000' });
  });
  afterAll(() => stop(server));

  it('starts quickly and reports live and ready', async () => {
    // A smoke check only: the real start time is in the benchmark.
    expect(server.startMs).toBeLessThan(3000);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200);
    const ready = await fetch(`${server.url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    expect(await json(ready)).toEqual({ ready: true });
  });

  it('scores all four MLflow formats alike, in input order', async () => {
    const rows = sampleRows(60);
    const columns = ['workclass', 'age'];
    const bodies = {
      dataframe_split: { dataframe_split: { columns, data: rows.map((row) => [row.workclass, row.age]) } },
      dataframe_records: { dataframe_records: rows },
      instances: { instances: rows },
      inputs_columnar: { inputs: { age: rows.map((row) => row.age), workclass: rows.map((row) => row.workclass) } },
      inputs_records: { inputs: rows },
    };
    for (const [format, body] of Object.entries(bodies)) {
      const response = await post(`${server.url}/invocations`, body);
      expect(response.status, format).toBe(200);
      const answer = await json<{ predictions: ClassPrediction[]; warnings?: string[] }>(response);
      expect(answer.warnings, format).toBeUndefined();
      expectPredictionsFor(rows, answer.predictions);
    }
  });

  it('keeps concurrent requests apart', async () => {
    const rows = sampleRows(40);
    const answers = await Promise.all(
      rows.map((row) =>
        post(`${server.url}/invocations`, { dataframe_records: [row] }).then((r) => json<{ predictions: ClassPrediction[] }>(r)),
      ),
    );
    answers.forEach((answer, index) => expectPredictionsFor([rows[index] as Row], answer.predictions));
  });

  it('accepts text/csv on /invocations', async () => {
    const rows = sampleRows(25);
    const response = await post(`${server.url}/invocations`, toCsv(rows), { 'content-type': 'text/csv' });
    expect(response.status).toBe(200);
    expectPredictionsFor(rows, (await json<{ predictions: ClassPrediction[] }>(response)).predictions);
  });

  it('/predict takes JSON records or one record, and CSV in and out', async () => {
    const rows = sampleRows(30);
    const records = await post(`${server.url}/predict`, rows);
    expect(records.status).toBe(200);
    expectPredictionsFor(rows, (await json<{ predictions: ClassPrediction[] }>(records)).predictions);

    const single = await post(`${server.url}/predict`, { age: 52, workclass: 'Self-emp-inc' });
    expectPredictionsFor([{ age: 52, workclass: 'Self-emp-inc' }], (await json<{ predictions: ClassPrediction[] }>(single)).predictions);

    // adult.csv's own style: ", " separators and "?" for missing.
    const csv = await post(`${server.url}/predict`, toCsv(rows, ', '), { 'content-type': 'text/csv', accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe(['prediction', ...CLASSES.map((name) => `probability_${name}`)].join(','));
    expect(lines).toHaveLength(rows.length + 1);
    rows.forEach((row, index) => {
      const [label, negative, positive] = (lines[index + 1] ?? '').split(',');
      const expected = expectedPositive(row.age, row.workclass);
      expect(Number(positive)).toBeCloseTo(expected, 6);
      expect(Number(negative)).toBeCloseTo(1 - expected, 6);
      expect(label).toBe(expected > 0.5 ? '>50K' : '<=50K');
    });
  });

  it('speaks the Open Inference Protocol (KServe v2)', async () => {
    const metadata = await json<{ name: string; inputs: Array<{ name: string; datatype: string }>; outputs: Array<{ name: string }> }>(
      await fetch(`${server.url}/v2/models/adult-income`),
    );
    expect(metadata.name).toBe('adult-income');
    expect(metadata.inputs).toEqual([
      { name: 'age', datatype: 'FP64', shape: [-1] },
      { name: 'workclass', datatype: 'BYTES', shape: [-1] },
    ]);
    expect(metadata.outputs.map((output) => output.name)).toEqual(['label', 'probabilities']);
    expect((await fetch(`${server.url}/v2/models/adult-income/ready`)).status).toBe(200);

    const rows = sampleRows(12);
    const response = await post(`${server.url}/v2/models/adult-income/infer`, {
      id: 'request-7',
      inputs: [
        { name: 'workclass', shape: [rows.length, 1], datatype: 'BYTES', data: rows.map((row) => row.workclass) },
        { name: 'age', shape: [rows.length], datatype: 'FP64', data: rows.map((row) => row.age) },
      ],
    });
    expect(response.status).toBe(200);
    const answer = await json<{
      id: string;
      model_name: string;
      outputs: Array<{ name: string; shape: number[]; datatype: string; data: Array<string | number> }>;
    }>(response);
    expect(answer.id).toBe('request-7');
    expect(answer.model_name).toBe('adult-income');
    const label = answer.outputs.find((output) => output.name === 'label');
    const probabilities = answer.outputs.find((output) => output.name === 'probabilities');
    expect(label?.shape).toEqual([rows.length]);
    expect(label?.datatype).toBe('BYTES');
    expect(probabilities?.shape).toEqual([rows.length, 2]);
    rows.forEach((row, index) => {
      const positive = expectedPositive(row.age, row.workclass);
      expect(probabilities?.data[index * 2 + 1]).toBeCloseTo(positive, 6);
      expect(label?.data[index]).toBe(positive > 0.5 ? '>50K' : '<=50K');
    });

    const onlyLabels = await json<{ outputs: Array<{ name: string }> }>(
      await post(`${server.url}/v2/models/adult-income/infer`, {
        inputs: [
          { name: 'age', shape: [1], datatype: 'FP64', data: [30] },
          { name: 'workclass', shape: [1], datatype: 'BYTES', data: ['Private'] },
        ],
        outputs: [{ name: 'label' }],
      }),
    );
    expect(onlyLabels.outputs.map((output) => output.name)).toEqual(['label']);

    const wrongType = await post(`${server.url}/v2/models/adult-income/infer`, {
      inputs: [
        { name: 'age', shape: [1], datatype: 'BYTES', data: ['thirty'] },
        { name: 'workclass', shape: [1], datatype: 'BYTES', data: ['Private'] },
      ],
    });
    expect(wrongType.status).toBe(400);
    expect((await json<{ error: string }>(wrongType)).error).toMatch(/"age".*FP64/);

    const unknown = await fetch(`${server.url}/v2/models/someone-else`);
    expect(unknown.status).toBe(404);
    expect((await json<{ error: string }>(unknown)).error).toContain('adult-income');
  });

  it('answers bad requests with a 400 naming the column and the problem', async () => {
    const missing = await post(`${server.url}/invocations`, { dataframe_split: { columns: ['age'], data: [[30]] } });
    expect(missing.status).toBe(400);
    const missingBody = await json<{ error: string; column: string }>(missing);
    expect(missingBody.column).toBe('workclass');
    expect(missingBody.error).toContain('missing column "workclass"');

    const missingInRecord = await post(`${server.url}/predict`, [{ age: 30, workclass: 'Private' }, { age: 31 }]);
    expect(missingInRecord.status).toBe(400);
    expect((await json<{ error: string }>(missingInRecord)).error).toMatch(/missing column "workclass" in record 1/);

    const wrongType = await post(`${server.url}/invocations`, {
      dataframe_records: [
        { age: 30, workclass: 'Private' },
        { age: 'old', workclass: 'Private' },
      ],
    });
    expect(wrongType.status).toBe(400);
    const wrongBody = await json<{ error: string; column: string; row: number }>(wrongType);
    expect(wrongBody).toMatchObject({ column: 'age', row: 1 });
    expect(wrongBody.error).toContain('column "age" expects a number, but row 1 has "old"');

    const objectCell = await post(`${server.url}/invocations`, { instances: [{ age: 30, workclass: { name: 'Private' } }] });
    expect(objectCell.status).toBe(400);
    expect((await json<{ error: string }>(objectCell)).error).toContain('column "workclass" expects text');

    const badJson = await post(`${server.url}/invocations`, '{"dataframe_records": [');
    expect(badJson.status).toBe(400);
    expect((await json<{ error: string }>(badJson)).error).toMatch(/not valid JSON/);

    const noFormat = await post(`${server.url}/invocations`, { rows: [] });
    expect(noFormat.status).toBe(400);
    expect((await json<{ error: string }>(noFormat)).error).toMatch(/dataframe_split, dataframe_records, instances, inputs.*"rows"/);

    const csvMissing = await post(`${server.url}/predict`, 'age\n30\n', { 'content-type': 'text/csv' });
    expect(csvMissing.status).toBe(400);
    expect((await json<{ error: string }>(csvMissing)).error).toContain('missing column "workclass"');

    const csvWrongType = await post(`${server.url}/predict`, 'age,workclass\n30,Private\nabc,Private\n', { 'content-type': 'text/csv' });
    expect(csvWrongType.status).toBe(400);
    expect((await json<{ error: string }>(csvWrongType)).error).toContain('column "age" expects a number, but row 1 has "abc"');

    const ragged = await post(`${server.url}/invocations`, {
      dataframe_split: { columns: ['age', 'workclass'], data: [[30, 'Private'], [31]] },
    });
    expect(ragged.status).toBe(400);
    expect((await json<{ error: string }>(ragged)).error).toContain('row 1 has 1 values for 2 columns');

    const empty = await post(`${server.url}/invocations`, { dataframe_records: [] });
    expect(empty.status).toBe(400);
    expect((await json<{ error: string }>(empty)).error).toContain('no rows');

    const mediaType = await post(`${server.url}/predict`, 'age=30', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(mediaType.status).toBe(415);
    expect((await fetch(`${server.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${server.url}/invocations`)).status).toBe(405);
  });

  it('refuses a body over the limit with 413 naming the limit', async () => {
    const rows = Array.from({ length: 8000 }, () => ({ age: 40, workclass: 'Private' }));
    const response = await post(`${server.url}/invocations`, { dataframe_records: rows });
    expect(response.status).toBe(413);
    const body = await json<{ error: string }>(response);
    expect(body.error).toContain('limit of 200000 bytes');
    expect(body.error).toContain('MAX_BODY_BYTES');
    // Chunked bodies have no length to check up front: they are counted as they arrive.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        `${server.url}/predict`,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (answer) => {
          let text = '';
          answer.on('data', (chunk: Buffer) => (text += chunk.toString()));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 0, body: text }));
        },
      );
      request.on('error', reject);
      const chunk = JSON.stringify(rows.slice(0, 4000)).slice(0, -1);
      request.write(chunk);
      request.write(',');
      request.write(chunk.slice(1));
      request.end(']');
    });
    expect(chunked.status).toBe(413);
    expect(chunked.body).toContain('limit of 200000 bytes');
    // The server is still fine afterwards.
    expect((await post(`${server.url}/predict`, [{ age: 40, workclass: 'Private' }])).status).toBe(200);
  });

  it('ignores unknown columns and says so', async () => {
    const rows = [
      { age: 45, workclass: 'Private', education: 'Bachelors', id: 1 },
      { age: 23, workclass: 'State-gov', education: 'HS-grad', id: 2 },
    ];
    const response = await post(`${server.url}/invocations`, { dataframe_records: rows });
    expect(response.status).toBe(200);
    const answer = await json<{ predictions: ClassPrediction[]; warnings: string[] }>(response);
    expect(answer.warnings).toEqual(['ignored unknown columns: "education", "id"']);
    expect(response.headers.get('kiln-warnings')).toBe('ignored unknown columns: "education", "id"');
    expectPredictionsFor(rows, answer.predictions);

    const csv = await post(`${server.url}/predict`, 'age,workclass,extra\n30,Private,1\n', {
      'content-type': 'text/csv',
      accept: 'text/csv',
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('kiln-warnings')).toBe('ignored unknown columns: "extra"');
  });

  it('counts requests, errors, latency and rows in /metrics', async () => {
    const read = async () => (await fetch(`${server.url}/metrics`)).text();
    const before = await read();
    const rows = sampleRows(17);
    expect((await post(`${server.url}/invocations`, { dataframe_records: rows })).status).toBe(200);
    expect((await post(`${server.url}/invocations`, { dataframe_records: [{ age: 'x', workclass: 'Private' }] })).status).toBe(400);
    const after = await read();
    const ok = { route: '/invocations', method: 'POST', status: '200' };
    const bad = { route: '/invocations', method: 'POST', status: '400' };
    expect(metricValue(after, 'kiln_requests_total', ok) - metricValue(before, 'kiln_requests_total', ok)).toBe(1);
    expect(metricValue(after, 'kiln_requests_total', bad) - metricValue(before, 'kiln_requests_total', bad)).toBe(1);
    const errors = { route: '/invocations', reason: 'bad_request' };
    expect(metricValue(after, 'kiln_request_errors_total', errors) - metricValue(before, 'kiln_request_errors_total', errors)).toBe(1);
    expect(metricValue(after, 'kiln_rows_scored_total') - metricValue(before, 'kiln_rows_scored_total')).toBe(17);
    const count = { route: '/invocations' };
    expect(
      metricValue(after, 'kiln_request_duration_seconds_count', count) - metricValue(before, 'kiln_request_duration_seconds_count', count),
    ).toBe(2);
    expect(metricValue(after, 'kiln_request_duration_seconds_bucket', { route: '/invocations', le: '+Inf' })).toBe(
      metricValue(after, 'kiln_request_duration_seconds_count', count),
    );
    expect(after).toContain('# TYPE kiln_request_duration_seconds histogram');
    expect(after).toMatch(/kiln_model_info\{name="adult-income",run_id="run-fixture-1"/);
  });

  it('describes the model in /openapi.json', async () => {
    const document = await json<{
      openapi: string;
      paths: Record<string, unknown>;
      components: {
        schemas: {
          Row: { properties: Record<string, { type: string[] }>; required: string[] };
          Prediction: { properties: { label: { enum: string[] } } };
        };
      };
    }>(await fetch(`${server.url}/openapi.json`));
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.schemas.Row.required).toEqual(['age', 'workclass']);
    expect(document.components.schemas.Row.properties.age?.type).toContain('number');
    expect(document.components.schemas.Row.properties.workclass?.type).toContain('string');
    expect(document.components.schemas.Prediction.properties.label.enum).toEqual(CLASSES);
    for (const path of ['/invocations', '/predict', '/v2/models/adult-income/infer', '/metrics', '/drift'])
      expect(Object.keys(document.paths)).toContain(path);
  });

  it('writes one JSON line per scoring request to the prediction log', async () => {
    const rows = sampleRows(9);
    await post(`${server.url}/predict`, rows);
    // Earlier tests wrote to this log too: the refused cell is unique to this test, so its line marks the end of ours.
    const probe = `not-a-number-${process.pid}-${Date.now()}`;
    await post(`${server.url}/predict`, [{ age: probe, workclass: 'Private' }]);
    // The log is written after the answer: wait for the refused request's line.
    const lines = await waitFor('the refused request in the prediction log', () => {
      const written = completeLines(join(logDir, 'predictions.log'));
      const end = written?.findIndex((line) => line.includes(probe)) ?? -1;
      return end < 0 ? undefined : written!.slice(0, end + 1);
    });
    interface LogEntry {
      time: string;
      route: string;
      status: number;
      rows: number;
      latencyMs: number;
      inputs?: Record<string, unknown>;
      outputs?: { labels: Record<string, number> };
      error?: string;
    }
    const entries = lines.map((line) => JSON.parse(line) as LogEntry);
    const [scored, failed] = entries.slice(-2) as [LogEntry, LogEntry];
    expect(scored).toMatchObject({ route: '/predict', status: 200, rows: 9 });
    expect(typeof scored.latencyMs).toBe('number');
    expect(new Date(scored.time).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const ages = rows.map((row) => row.age).filter((age): age is number => age !== null);
    expect(scored.inputs).toMatchObject({ age: { missing: rows.length - ages.length, min: Math.min(...ages), max: Math.max(...ages) } });
    const labelCount = Object.values(scored.outputs?.labels ?? {}).reduce((sum, count) => sum + count, 0);
    expect(labelCount).toBe(9);
    expect(failed).toMatchObject({ route: '/predict', status: 400 });
    expect(failed.error).toContain('column "age"');
  });
});

describe('model server: drift', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await spawnServer(writeBundle(join(scratch(), 'bundle')), { LOG_DIR: 'off', DRIFT_WINDOW: '500', DRIFT_MIN_ROWS: '100' });
  });
  afterAll(() => stop(server));

  interface DriftReport {
    verdict: string;
    rows: number;
    maxPsi: number | null;
    message: string;
    features: Array<{ name: string; psi: number | null; verdict: string; bins: Array<{ bin: string; expected: number; actual: number }> }>;
  }

  /** Rows drawn to match the training profile: ages spread evenly over the quintile bins, workclass by its shares. */
  function trainingLikeRows(count: number): Row[] {
    const edges = [17, 26, 33, 41, 50, 90];
    const workclass = [
      ...Array<string>(70).fill('Private'),
      ...Array<string>(8).fill('Self-emp-not-inc'),
      ...Array<string>(6).fill('Local-gov'),
      ...Array<string>(4).fill('State-gov'),
      ...Array<string>(4).fill('Self-emp-inc'),
      ...Array<string>(3).fill('Federal-gov'),
      ...Array<null>(5).fill(null),
    ];
    return Array.from({ length: count }, (_, index) => {
      const bin = index % 5;
      const low = edges[bin] ?? 0;
      const high = edges[bin + 1] ?? 0;
      return { age: low + ((index * 0.37) % (high - low)), workclass: workclass[(index * 37) % workclass.length] ?? null };
    });
  }

  it('reports nothing to judge before enough rows, stable for training-like rows and significant for shifted rows', async () => {
    const empty = await json<DriftReport>(await fetch(`${server.url}/drift`));
    expect(empty.verdict).toBe('insufficient_data');
    expect(empty.rows).toBe(0);

    await post(`${server.url}/invocations`, { dataframe_records: trainingLikeRows(500) });
    const stable = await json<DriftReport>(await fetch(`${server.url}/drift`));
    expect(stable.rows).toBe(500);
    expect(stable.verdict).toBe('stable');
    for (const feature of stable.features) expect(feature.psi).toBeLessThan(0.1);

    // Old people in federal jobs only: both features move far from training. The window holds 500 rows, so these replace the rest.
    const shifted = Array.from({ length: 500 }, (_, index) => ({ age: 70 + (index % 20), workclass: 'Federal-gov' }));
    await post(`${server.url}/invocations`, { dataframe_records: shifted });
    const drifted = await json<DriftReport>(await fetch(`${server.url}/drift`));
    expect(drifted.verdict).toBe('significant');
    expect(drifted.message).toMatch(/retrain/);
    const age = drifted.features.find((feature) => feature.name === 'age');
    const workclass = drifted.features.find((feature) => feature.name === 'workclass');
    // All recent ages sit in the last bin (expected 0.2), the other four are empty (floored at 1e-4):
    // PSI = (1 − 0.2)·ln(1/0.2) + 4·(1e-4 − 0.2)·ln(1e-4/0.2) ≈ 7.37.
    expect(age?.psi).toBeCloseTo(0.8 * Math.log(5) + 4 * (1e-4 - 0.2) * Math.log(1e-4 / 0.2), 4);
    expect(age?.verdict).toBe('significant');
    expect(workclass?.verdict).toBe('significant');
    expect(age?.bins.at(-2)).toMatchObject({ actual: 1 });
    expect(drifted.maxPsi).toBe(Math.max(age?.psi ?? 0, workclass?.psi ?? 0));

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricValue(metrics, 'kiln_drift_psi', { feature: 'age' })).toBeCloseTo(age?.psi ?? 0, 5);
  });
});

describe('model server: prediction log rotation', () => {
  it('rotates the log by size and keeps LOG_FILES old files', async () => {
    const logDir = join(scratch(), 'logs');
    const server = await spawnServer(writeBundle(join(scratch(), 'bundle')), { LOG_DIR: logDir, LOG_MAX_BYTES: '2048', LOG_FILES: '2' });
    try {
      for (let index = 0; index < 60; index += 1) {
        expect((await post(`${server.url}/predict`, [{ age: 20 + index, workclass: 'Private' }])).status).toBe(200);
      }
      // The lines reach the disk after the answers: wait for the last request's line (age 79) in the live file.
      await waitFor('the last request in predictions.log', () =>
        completeLines(join(logDir, 'predictions.log'))?.at(-1)?.includes('"min":79') ? true : undefined,
      );
      const files = readdirSync(logDir).sort();
      expect(files).toEqual(['predictions.log', 'predictions.log.1', 'predictions.log.2']);
      for (const file of files) {
        expect(statSync(join(logDir, file)).size).toBeLessThanOrEqual(2048);
        for (const line of readFileSync(join(logDir, file), 'utf8').trim().split('\n'))
          expect(JSON.parse(line)).toMatchObject({ route: '/predict', status: 200 });
      }
      // The newest line is in the live file, the older ones in .1: order survives rotation.
      const ageOf = (file: string) =>
        readFileSync(join(logDir, file), 'utf8')
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { inputs: { age: { min: number } } }).inputs.age.min);
      const live = ageOf('predictions.log');
      const previous = ageOf('predictions.log.1');
      expect(live.at(-1)).toBe(79);
      expect(previous.at(-1)).toBe((live[0] ?? 0) - 1);
    } finally {
      await stop(server);
    }
  });
});

describe('model server: other bundles', () => {
  it('serves a regression model', async () => {
    const server = await spawnServer(writeBundle(join(scratch(), 'bundle'), { task: 'regression' }), { LOG_DIR: 'off' });
    try {
      const rows = sampleRows(8);
      const answer = await json<{ predictions: number[] }>(await post(`${server.url}/invocations`, { dataframe_records: rows }));
      rows.forEach((row, index) => expect(answer.predictions[index]).toBeCloseTo(expectedScore(row.age, row.workclass), 6));
      const csv = await post(`${server.url}/predict`, toCsv(rows), { 'content-type': 'text/csv', accept: 'text/csv' });
      const lines = (await csv.text()).trim().split('\n');
      expect(lines[0]).toBe('prediction');
      expect(Number(lines[1])).toBeCloseTo(expectedScore(rows[0]?.age ?? null, rows[0]?.workclass ?? null), 6);
      const v2 = await json<{ outputs: Array<{ name: string; data: number[] }> }>(
        await post(`${server.url}/v2/models/adult-score/infer`, {
          inputs: [
            { name: 'age', shape: [1], datatype: 'INT32', data: [60] },
            { name: 'workclass', shape: [1], datatype: 'BYTES', data: ['Private'] },
          ],
        }),
      );
      expect(v2.outputs[0]?.name).toBe('prediction');
      expect(v2.outputs[0]?.data[0]).toBeCloseTo(1, 6);
    } finally {
      await stop(server);
    }
  });

  it('feeds float inputs and applies the threshold when the graph has no label output', async () => {
    const server = await spawnServer(writeBundle(join(scratch(), 'bundle'), { ageType: 'float', withLabel: false, threshold: 0.7 }), {
      LOG_DIR: 'off',
    });
    try {
      // p(>50K) for these: 0.62 (under 0.7, so "<=50K" although above 0.5), 0.82 and 0.38.
      const rows = [
        { age: 50, workclass: 'Private' },
        { age: 70, workclass: 'Private' },
        { age: 30, workclass: 'Private' },
      ];
      const answer = await json<{ predictions: ClassPrediction[] }>(await post(`${server.url}/invocations`, { dataframe_records: rows }));
      expect(answer.predictions.map((prediction) => prediction.label)).toEqual(['<=50K', '>50K', '<=50K']);
      rows.forEach((row, index) =>
        expect(answer.predictions[index]?.probabilities['>50K']).toBeCloseTo(expectedPositive(row.age, row.workclass), 6),
      );
    } finally {
      await stop(server);
    }
  });

  it("reads the exporter's profile form (a features list) and its tensor type names", async () => {
    const bundle = writeBundle(join(scratch(), 'bundle'));
    const schemaPath = join(bundle, 'schema.json');
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
    schema.inputs = [
      { name: 'age', type: 'double', role: 'feature', encoding: 'numeric' },
      { name: 'workclass', type: 'string', role: 'feature', encoding: 'categorical' },
    ];
    const { numeric, categorical } = TRAINING_PROFILE;
    schema.trainingProfile = {
      version: 1,
      rows: TRAINING_PROFILE.rows,
      features: [
        { name: 'age', kind: 'numeric', ...numeric.age },
        {
          name: 'workclass',
          kind: 'categorical',
          levels: Object.entries(categorical.workclass.levels).map(([value, share]) => ({ value, share })),
          otherShare: categorical.workclass.otherShare,
          missingShare: categorical.workclass.missingShare,
        },
      ],
    };
    writeFileSync(schemaPath, JSON.stringify(schema));
    const server = await spawnServer(bundle, { LOG_DIR: 'off', DRIFT_MIN_ROWS: '10' });
    try {
      const rows = Array.from({ length: 50 }, () => ({ age: 80, workclass: 'Private' }));
      expect((await post(`${server.url}/invocations`, { dataframe_records: rows })).status).toBe(200);
      const report = await json<{
        features: Array<{ name: string; psi: number; bins: Array<{ bin: string; expected: number; actual: number }> }>;
      }>(await fetch(`${server.url}/drift`));
      const age = report.features.find((feature) => feature.name === 'age');
      expect(age?.bins.map((bin) => bin.bin)).toEqual(['(-∞, 26]', '(26, 33]', '(33, 41]', '(41, 50]', '(50, +∞)', '(missing)']);
      expect(age?.psi).toBeCloseTo(0.8 * Math.log(5) + 4 * (1e-4 - 0.2) * Math.log(1e-4 / 0.2), 4);
      const workclass = report.features.find((feature) => feature.name === 'workclass');
      expect(workclass?.bins.find((bin) => bin.bin === 'Private')).toEqual({ bin: 'Private', expected: 0.7, actual: 1 });
    } finally {
      await stop(server);
    }
  });

  it("accepts SCHEMA.md's example and names the field of a bad schema", () => {
    // The server reads schema.json through the serving rules' BundleSchema (shared/serving/schema.ts).
    const check = (schema: unknown) => {
      try {
        const parsed = parseBundleSchema(schema);
        return `ok ${parsed.inputs.map((input) => `${input.name}:${input.type}`).join(',')}`;
      } catch (error) {
        return (error as Error).message;
      }
    };
    const example = JSON.parse(readFileSync(join(process.cwd(), 'resources/server/schema.example.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(check(example)).toBe('ok age:number,workclass:string,hours-per-week:number');
    expect(check({ ...example, task: 'clustering' })).toBe('schema.json: task must be one of binary, multiclass, regression');
    expect(check({ ...example, classes: ['only'] })).toMatch(/^schema.json: classes must name at least two classes/);
    expect(check({ ...example, name: 'has space' })).toMatch(/^schema.json: name must be/);
    expect(check({ ...example, inputs: [{ name: 'age', type: 'date' }] })).toMatch(
      /^schema.json: inputs\[0\].type must be "number" or "string"/,
    );
    expect(check({ ...example, trainingProfile: { numeric: { age: { edges: [30, 20], shares: [0.3, 0.3, 0.4] } } } })).toMatch(
      /^schema.json: trainingProfile.numeric.age.edges must be strictly ascending/,
    );
    expect(check({ ...example, trainingProfile: { numeric: { age: { edges: [30], shares: [1] } } } })).toMatch(
      /^schema.json: trainingProfile.numeric.age.shares must be 2 shares/,
    );
  });

  it('refuses to start when schema.json and the graph disagree, naming the input', async () => {
    const bundle = writeBundle(join(scratch(), 'bundle'));
    const schemaPath = join(bundle, 'schema.json');
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as {
      inputs: Array<{ name: string; type: string }>;
      trainingProfile: { categorical: Record<string, unknown> };
    };
    schema.inputs = schema.inputs.filter((input) => input.name !== 'workclass');
    delete schema.trainingProfile.categorical.workclass;
    writeFileSync(schemaPath, JSON.stringify(schema));
    await expect(spawnServer(bundle, { LOG_DIR: 'off' })).rejects.toThrow(
      /exited \(2\)[\s\S]*graph input "workclass" is not listed in schema.json/,
    );
  });
});

describe('model server: shutdown', () => {
  it('finishes the request in flight on SIGTERM, then exits 0', async () => {
    const logDir = join(scratch(), 'logs');
    const server = await spawnServer(writeBundle(join(scratch(), 'bundle')), { LOG_DIR: logDir });
    const rows = sampleRows(20);
    const body = JSON.stringify({ dataframe_records: rows });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = httpRequest(
        `${server.url}/invocations`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      // Half the body now, SIGTERM while the server waits for the rest, then the rest.
      request.write(body.slice(0, 100));
      void (async () => {
        // In flight: this request and the /metrics request that asks.
        await waitFor('the half-sent request to be in flight', async () => {
          const text = await (await fetch(`${server.url}/metrics`)).text();
          return metricValue(text, 'kiln_requests_in_flight') >= 2 ? true : undefined;
        });
        server.child.kill('SIGTERM');
        await waitFor('the server to start shutting down', () =>
          server.output().includes('SIGTERM, finishing in-flight requests') ? true : undefined,
        );
        request.end(body.slice(100));
      })().catch(reject);
    });
    const { status, text } = await answer;
    expect(status).toBe(200);
    expectPredictionsFor(rows, (JSON.parse(text) as { predictions: ClassPrediction[] }).predictions);
    const exit = await server.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('SIGTERM, finishing in-flight requests');
    // The log was flushed before exit.
    expect(existsSync(join(logDir, 'predictions.log'))).toBe(true);
    expect(readFileSync(join(logDir, 'predictions.log'), 'utf8')).toContain('"rows":20');
    await expect(fetch(`${server.url}/v2/health/live`)).rejects.toThrow();
  });
});
