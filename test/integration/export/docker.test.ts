/**
 * The export flow through Docker, with real parts: the adult gbdt bundle is
 * built into an image (base: KILN_TEST_BASE_IMAGE, made offline by
 * .ci/docker-base-image.sh when missing), run on 127.0.0.1, and scored over
 * MLflow /invocations, /predict with CSV and KServe v2; the answers must equal
 * `kiln predict`'s. Skipped with a message when no Docker engine answers,
 * unless KILN_REQUIRE_DOCKER is set, which makes that a failure.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportBundle } from '../../../shared/api/export.js';
import { dockerClient, dockerStatus } from '../../../main/engine/export/docker.js';
import { Engine } from '../../../main/engine/engine.js';
import { adultCsv, adultTestCsv, repoRoot, tempDir, waitForJob } from '../../helpers/engine.js';
import { kiln } from '../train/helpers.js';
import { expectSamePredictions, freePort, readAdultTest, readPredictionsCsv, type PredictionsCsv } from './helpers.js';

const status = await dockerStatus();
const required = Boolean(process.env.KILN_REQUIRE_DOCKER);
const baseImage = process.env.KILN_TEST_BASE_IMAGE ?? 'kiln-test-base:1';
if (!status.available && !required) {
  console.warn(`Skipping the Docker export tests: ${status.detail} (set KILN_REQUIRE_DOCKER=1 to make this a failure).`);
}

describe('Docker for export tests', () => {
  it.runIf(required)('finds a Docker engine, since KILN_REQUIRE_DOCKER is set', () => {
    expect(status.available, status.detail).toBe(true);
  });
});

interface ClassPrediction {
  label: string;
  probabilities: Record<string, number>;
}

describe.runIf(status.available)('the adult bundle in a container', () => {
  const docker = dockerClient();
  const tag = `kiln-test/adult:${process.pid}`;
  let previousHome: string | undefined;
  let home: string;
  let scratch: string;
  let engine: Engine;
  let bundle: ExportBundle;
  let expected: PredictionsCsv;
  let expectedCsv: string;
  let modelName: string;
  let containerId: string | null = null;
  let url: string;

  beforeAll(async () => {
    try {
      await docker.getImage(baseImage).inspect();
    } catch {
      execFileSync(join(repoRoot, '.ci', 'docker-base-image.sh'), [baseImage], { stdio: 'inherit' });
    }
    previousHome = process.env.KILN_HOME;
    home = await tempDir('kiln-docker-');
    scratch = await tempDir('kiln-docker-files-');
    process.env.KILN_HOME = home;
    const trained = await kiln(['train', adultCsv, '--target', 'Y', '--test', adultTestCsv, '--model', 'gbdt', '--json']);
    expect(trained.code, trained.err).toBe(0);
    const runId = (JSON.parse(trained.out) as { runId: string }).runId;
    const exported = await kiln(['export', runId, '--out', join(scratch, 'bundle'), '--json']);
    expect(exported.code, exported.err).toBe(0);
    const predicted = await kiln(['predict', join(scratch, 'bundle'), adultTestCsv, '--out', join(scratch, 'p.csv')]);
    expect(predicted.code, predicted.err).toBe(0);
    expectedCsv = readFileSync(join(scratch, 'p.csv'), 'utf8');
    expected = readPredictionsCsv(expectedCsv);
    modelName = (JSON.parse(readFileSync(join(scratch, 'bundle', 'schema.json'), 'utf8')) as { name: string }).name;
    engine = new Engine({ home, shell: 'test' });
    const [listed] = await engine.call('export.list', { runId });
    if (!listed) throw new Error(`kiln export recorded no export of ${runId}`);
    bundle = listed;
  }, 240_000);

  afterAll(async () => {
    if (containerId)
      await docker
        .getContainer(containerId)
        .remove({ force: true })
        .catch(() => undefined);
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
    await engine?.close();
    if (previousHome === undefined) delete process.env.KILN_HOME;
    else process.env.KILN_HOME = previousHome;
    rmSync(home, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reports the Docker engine', async () => {
    const answer = await engine.call('docker.status', {});
    expect(answer.available).toBe(true);
    expect(answer.detail).toMatch(/^Docker \d+\.\d+/);
  });

  it('builds the image from the bundle, streaming the build log, and records its id and size', async () => {
    const messages: string[] = [];
    const unsubscribe = engine.onEvent((event) => {
      if (event.type === 'job.updated' && event.job.message) messages.push(event.job.message);
    });
    try {
      const { jobId } = await engine.call('export.buildImage', { exportId: bundle.id, tag, baseImage });
      const job = await waitForJob(engine, jobId);
      expect(job.state, job.error ?? '').toBe('succeeded');
      bundle = job.result as ExportBundle;
    } finally {
      unsubscribe();
    }
    expect(messages.some((message) => /^Step \d+\/\d+ : FROM /.test(message))).toBe(true);
    expect(messages.some((message) => /Successfully tagged/.test(message))).toBe(true);
    expect(bundle.image).toMatchObject({ tag });
    expect(bundle.image!.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const inspected = await docker.getImage(tag).inspect();
    expect(bundle.image!.sizeBytes).toBe(inspected.Size);
    const base = await docker.getImage(baseImage).inspect();
    console.info(
      `image ${tag}: ${(inspected.Size / 1e6).toFixed(1)} MB on ${baseImage} (${(base.Size / 1e6).toFixed(1)} MB); Kiln's layers add ${((inspected.Size - base.Size) / 1e6).toFixed(1)} MB`,
    );
    expect(inspected.Config.User).toBe('10001:10001');
    expect(Object.keys(inspected.Config.ExposedPorts ?? {})).toEqual(['8080/tcp']);
    expect((await engine.call('export.list', { runId: bundle.runId }))[0]!.image).toEqual(bundle.image);
  });

  it('runs the image on 127.0.0.1 as a user that is not root, and shows its status and logs', async () => {
    const port = await freePort();
    const info = await engine.call('export.runContainer', { exportId: bundle.id, port });
    containerId = info.id;
    url = `http://127.0.0.1:${port}`;
    expect(info).toMatchObject({ state: 'running', url, image: tag });
    expect(await engine.call('export.containerStatus', { containerId })).toMatchObject({ state: 'running', url });
    const inspected = await docker.getContainer(containerId).inspect();
    expect(inspected.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    const exec = await docker.getContainer(containerId).exec({
      Cmd: ['node', '-e', 'process.stdout.write(String(process.getuid()))'],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const { demuxLogs } = await import('../../../main/engine/export/docker.js');
    expect(demuxLogs(Buffer.concat(chunks)).trim()).toBe('10001');
    const logs = await engine.call('export.containerLogs', { containerId, tail: 50 });
    expect(logs.lines.join('\n')).toMatch(/listening on http:\/\/0\.0\.0\.0:8080/);
  });

  it('scores adult.test through /invocations, /predict with CSV and KServe v2, with the answers of kiln predict', async () => {
    const test = readAdultTest(adultTestCsv);
    const invocations = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns: test.columns, data: test.rows } }),
    });
    expect(invocations.status).toBe(200);
    const mlflow = (await invocations.json()) as { predictions: ClassPrediction[] };
    const toTable = (predictions: ClassPrediction[]) => ({
      labels: predictions.map((prediction) => prediction.label),
      probabilities: predictions.map((prediction) => [prediction.probabilities['<=50K']!, prediction.probabilities['>50K']!]),
    });
    expectSamePredictions(toTable(mlflow.predictions), expected, expect);

    const csv = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', accept: 'text/csv' },
      body: readFileSync(adultTestCsv),
    });
    expect(csv.status).toBe(200);
    expect(await csv.text()).toBe(expectedCsv);

    const schema = JSON.parse(readFileSync(join(bundle.bundle, 'schema.json'), 'utf8')) as {
      inputs: { name: string; type: string }[];
      missingMarkers: string[];
    };
    const inputs = schema.inputs.map((input) => {
      const position = test.columns.indexOf(input.name);
      const cells = test.rows.map((row) => row[position]!);
      return input.type === 'number'
        ? {
            name: input.name,
            shape: [cells.length],
            datatype: 'FP64',
            data: cells.map((cell) => (schema.missingMarkers.includes(cell) ? null : Number(cell))),
          }
        : { name: input.name, shape: [cells.length], datatype: 'BYTES', data: cells };
    });
    const v2 = await fetch(`${url}/v2/models/${modelName}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs }),
    });
    expect(v2.status).toBe(200);
    const v2Body = (await v2.json()) as {
      outputs: { name: string; shape: number[]; data: (string | number)[]; parameters?: { classes?: string[] } }[];
    };
    const labels = v2Body.outputs.find((output) => output.name === 'label')!;
    const probabilities = v2Body.outputs.find((output) => output.name === 'probabilities')!;
    expect(probabilities.shape).toEqual([test.rows.length, 2]);
    expectSamePredictions(
      {
        labels: labels.data.map(String),
        probabilities: test.rows.map((_, row) => [Number(probabilities.data[row * 2]), Number(probabilities.data[row * 2 + 1])]),
      },
      expected,
      expect,
    );
  });

  it('answers bad requests with 400 and 413, and serves /metrics and /drift', async () => {
    const post = (path: string, body: string | Buffer, type = 'application/json') =>
      fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    const badJson = await post('/invocations', '{"dataframe_records": [');
    expect(badJson.status).toBe(400);
    const missing = await post('/invocations', JSON.stringify({ dataframe_records: [{ workclass: 'Private' }] }));
    expect(missing.status).toBe(400);
    expect(await missing.text()).toMatch(/age/);
    const wrongType = await post(
      '/predict',
      JSON.stringify([{ ...Object.fromEntries(readAdultTest(adultTestCsv).columns.map((name) => [name, null])), age: 'old' }]),
    );
    expect(wrongType.status).toBe(400);
    expect(await wrongType.text()).toMatch(/age/);
    const huge = await post('/invocations', Buffer.alloc(51 * 1024 * 1024, 0x20));
    expect(huge.status).toBe(413);
    expect(await huge.text()).toMatch(/52428800|50 MB/);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^kiln_requests_total\{[^}]*route="\/invocations"[^}]*status="200"[^}]*\} \d+/m);
    expect(metrics).toMatch(/^kiln_rows_scored_total \d+/m);
    const rowsScored = Number(/^kiln_rows_scored_total (\d+)/m.exec(metrics)![1]);
    expect(rowsScored).toBeGreaterThanOrEqual(3 * 16_281);
    const drift = (await (await fetch(`${url}/drift`)).json()) as {
      verdict: string;
      rows: number;
      features: { name: string; psi: number }[];
    };
    expect(['stable', 'moderate', 'significant']).toContain(drift.verdict);
    expect(drift.rows).toBeGreaterThan(100);
    expect(drift.features.map((feature) => feature.name)).toContain('age');
  });

  it('sends a real held-out row as a test request', async () => {
    const answer = await engine.call('export.testRequest', { url, exportId: bundle.id });
    expect(answer.status).toBe(200);
    const request = answer.request as { dataframe_records: Record<string, unknown>[] };
    expect(request.dataframe_records).toHaveLength(1);
    expect(Object.keys(request.dataframe_records[0]!)).toHaveLength(14);
    const response = answer.response as { predictions: ClassPrediction[] };
    expect(response.predictions).toHaveLength(1);
    // The first held-out row is adult.test's first row.
    expect(response.predictions[0]!.label).toBe(expected.labels[0]);
    expect(answer.latencyMs).toBeGreaterThan(0);
  });

  it('stops and removes the container', async () => {
    const stopped = await engine.call('export.stopContainer', { containerId: containerId! });
    expect(stopped.state).toBe('removed');
    await expect(engine.call('export.containerStatus', { containerId: containerId! })).rejects.toThrow(/no container/);
    containerId = null;
  });
});
