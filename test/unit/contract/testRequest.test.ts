/**
 * The test request's answer schema against the real model server (as
 * `npm run build` bundles it): what the server answers is read as one of its
 * answers, and what another server answers is kept as the text that came.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestResponse } from '../../../shared/api.js';
import { sendTestRow } from '../../../main/engine/export/docker.js';
import { spawnServer, writeBundle, type RunningServer } from '../../integration/server/fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'kiln-contract-test-request-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function stop(server: RunningServer): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}

describe('a test request to the model server', () => {
  let classifier: RunningServer;
  let regressor: RunningServer;

  beforeAll(async () => {
    classifier = await spawnServer(writeBundle(join(scratch, 'classifier')), { LOG_DIR: 'off' });
    regressor = await spawnServer(writeBundle(join(scratch, 'regressor'), { task: 'regression' }), { LOG_DIR: 'off' });
  });

  afterAll(async () => {
    await stop(classifier);
    await stop(regressor);
  });

  it('reads a classifier’s answer as predictions with labels and probabilities', async () => {
    const answer = TestResponse.parse(await sendTestRow(classifier.url, { age: 52, workclass: 'Private' }));
    expect(answer.status).toBe(200);
    expect(answer.request).toEqual({ dataframe_records: [{ age: 52, workclass: 'Private' }] });
    if (typeof answer.response === 'string' || !('predictions' in answer.response))
      throw new Error(`not predictions: ${JSON.stringify(answer.response)}`);
    const [prediction] = answer.response.predictions;
    if (typeof prediction !== 'object' || prediction === null) throw new Error(`not a class prediction: ${JSON.stringify(prediction)}`);
    expect(['<=50K', '>50K']).toContain(prediction.label);
    expect(Object.keys(prediction.probabilities).sort()).toEqual(['<=50K', '>50K']);
  });

  it('reads a regressor’s answer as numbers', async () => {
    const answer = TestResponse.parse(await sendTestRow(regressor.url, { age: 30, workclass: 'State-gov' }));
    expect(answer.status).toBe(200);
    if (typeof answer.response === 'string' || !('predictions' in answer.response))
      throw new Error(`not predictions: ${JSON.stringify(answer.response)}`);
    expect(typeof answer.response.predictions[0]).toBe('number');
  });

  it('reads a refused row as the server’s error, naming the column', async () => {
    const answer = TestResponse.parse(await sendTestRow(classifier.url, { age: 'old', workclass: 'Private' }));
    expect(answer.status).toBe(400);
    if (typeof answer.response === 'string' || !('error' in answer.response))
      throw new Error(`not an error: ${JSON.stringify(answer.response)}`);
    expect(answer.response.column).toBe('age');
  });

  it('leaves a cell that is not there out of the body, as JSON would', async () => {
    const answer = await sendTestRow(classifier.url, { age: 41, workclass: undefined });
    expect(answer.request.dataframe_records[0]).toEqual({ age: 41 });
  });
});

describe('a test request to something else', () => {
  let other: Server;
  let url: string;
  let body = '';

  beforeAll(async () => {
    other = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const address = other.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });

  it('keeps JSON that is no answer of the model server as the text that came', async () => {
    body = '{"predictions":[{"label":"yes","score":0.9}]}';
    const answer = TestResponse.parse(await sendTestRow(url, { age: 1 }));
    expect(answer.response).toBe(body);
  });

  it('keeps an answer that is not JSON as its text', async () => {
    body = '<html>Bad gateway</html>';
    expect(TestResponse.parse(await sendTestRow(url, { age: 1 })).response).toBe(body);
  });
});
