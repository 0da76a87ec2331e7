import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { basename, dirname } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Dataset, Job, Project, TablePage } from '../../../shared/api.js';
import type { WireResult } from '../../../shared/client.js';
import type { KilnEvent } from '../../../shared/events.js';
import type { Engine } from '../../../main/engine/engine.js';
import { startHost, type RunningHost } from '../../../main/host/server.js';
import { adultCsv, createTestEngine, tempDir } from '../../helpers/engine.js';

const token = 'test-token-0123456789abcdef';

describe('browser-mode host: HTTP + WebSocket transport', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  let host: RunningHost;
  let base: string;

  beforeAll(async () => {
    ({ engine, cleanup } = await createTestEngine());
    // An empty renderer folder: these tests are about the API, not the static files.
    host = await startHost({ engine, rendererDir: await tempDir('kiln-renderer-'), port: 0, token });
    base = `http://127.0.0.1:${host.port}`;
  });

  afterAll(async () => {
    await host.close();
    await cleanup();
  });

  async function call(method: string, input: unknown, auth: string | null = token): Promise<{ status: number; body: WireResult }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    const response = await fetch(`${base}/api/call`, { method: 'POST', headers, body: JSON.stringify({ method, input }) });
    return { status: response.status, body: (await response.json()) as WireResult };
  }

  function valueOf<T>(result: { status: number; body: WireResult }): T {
    expect(result.status).toBe(200);
    if (!result.body.ok) throw new Error(`call failed: ${result.body.error.message}`);
    return result.body.value as T;
  }

  it('prints a URL on 127.0.0.1 that carries the token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${token}`);
  });

  it('refuses a call without a token with 401', async () => {
    const result = await call('projects.list', {}, null);
    expect(result.status).toBe(401);
    expect(result.body).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('refuses a call with a wrong token with 401', async () => {
    expect((await call('projects.list', {}, 'not-the-token')).status).toBe(401);
    // Same length as the real token, so the comparison itself is exercised rather than the length check.
    expect((await call('projects.list', {}, token.replace(/.$/, 'X'))).status).toBe(401);
    const queryToken = await fetch(`${base}/api/call?token=wrong`, { method: 'POST', body: '{"method":"projects.list","input":{}}' });
    expect(queryToken.status).toBe(401);
  });

  it('refuses a wrong Host header with 403, which defeats DNS rebinding', async () => {
    // fetch() will not send a custom Host header, so this one request uses node:http.
    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ method: 'projects.list', input: {} });
      const outgoing = request(
        {
          host: '127.0.0.1',
          port: host.port,
          path: '/api/call',
          method: 'POST',
          headers: { host: 'evil.example', authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
    expect(status).toBe(403);
  });

  it('creates and lists projects over HTTP', async () => {
    const project = valueOf<Project>(await call('projects.create', { name: 'Over HTTP' }));
    expect(project).toMatchObject({ name: 'Over HTTP', datasetCount: 0 });
    const projects = valueOf<Project[]>(await call('projects.list', {}));
    expect(projects.map((item) => item.id)).toContain(project.id);
  });

  it('answers invalid arguments with 400 and the field', async () => {
    const result = await call('projects.create', { name: '' });
    expect(result.status).toBe(400);
    expect(result.body).toMatchObject({ ok: false, error: { code: 'invalid_argument', field: 'name' } });
    const unknown = await call('no.such.method', {});
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ ok: false, error: { field: 'method' } });
  });

  it('answers a body that is not JSON with 400', async () => {
    const response = await fetch(`${base}/api/call`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{not json' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
  });

  it('refuses a WebSocket without a token or with a wrong one', async () => {
    for (const url of [`ws://127.0.0.1:${host.port}/api/events`, `ws://127.0.0.1:${host.port}/api/events?token=wrong`]) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = new WebSocket(url);
        socket.on('open', () => {
          socket.close();
          resolve('open');
        });
        socket.on('unexpected-response', (_request, response) => resolve(`status ${response.statusCode}`));
        socket.on('error', (error) => resolve(`error ${error.message}`));
      });
      expect(outcome).not.toBe('open');
      expect(outcome).toMatch(/401/);
    }
  });

  it('sends only events that fit the contract over the WebSocket', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${token}`);
    const received: unknown[] = [];
    socket.on('message', (data: WebSocket.RawData) => received.push(JSON.parse(String(data))));
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      const arrived = new Promise<void>((resolve) => {
        socket.on('message', () => {
          if (received.some((event) => JSON.stringify(event).includes('prj_after'))) resolve();
        });
      });
      engine.context.emit({ type: 'runs.changed', projectId: 'prj_before', run: { id: 'run_half' } } as unknown as KilnEvent);
      engine.context.emit({ type: 'datasets.changed', projectId: 'prj_after' });
      await arrived;
      // The socket delivers in order: the refused event would have come first.
      expect(received).toEqual([{ type: 'datasets.changed', projectId: 'prj_after' }]);
      expect(errors.mock.calls.map((call) => String(call[0])).join('\n')).toMatch(/runs\.changed.*run\./);
    } finally {
      socket.close();
      errors.mockRestore();
    }
  });

  it('uploads adult.csv as a stream, streams job events to succeeded, and previews the rows', async () => {
    const project = valueOf<Project>(await call('projects.create', { name: 'Census income' }));

    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${token}`);
    const events: KilnEvent[] = [];
    socket.on('message', (data: WebSocket.RawData) => events.push(JSON.parse(String(data)) as KilnEvent));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });

    try {
      const { size } = await stat(adultCsv);
      const body = Readable.toWeb(createReadStream(adultCsv)) as ReadableStream<Uint8Array>;
      const query = new URLSearchParams({ projectId: project.id, name: 'adult.csv' });
      const response = await fetch(`${base}/api/upload?${query.toString()}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(200);
      const upload = (await response.json()) as WireResult;
      if (!upload.ok) throw new Error(upload.error.message);
      const { jobId } = upload.value as { jobId: string };
      expect(jobId).toMatch(/^job_/);

      const final = await new Promise<Job>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no terminal job event; saw ${JSON.stringify(events.slice(-3))}`)), 50_000);
        const check = () => {
          const last = events.filter((event) => event.type === 'job.updated' && event.job.id === jobId).at(-1);
          if (last?.type === 'job.updated' && ['succeeded', 'failed', 'cancelled'].includes(last.job.state)) {
            clearTimeout(timer);
            resolve(last.job);
          }
        };
        socket.on('message', check);
        check();
      });
      expect(final.state, final.error ?? '').toBe('succeeded');
      const jobEvents = events.flatMap((event) => (event.type === 'job.updated' && event.job.id === jobId ? [event.job] : []));
      expect(jobEvents.map((job) => job.state)).toContain('running');
      expect(jobEvents.some((job) => (job.fraction ?? 0) > 0 && (job.fraction ?? 0) < 1)).toBe(true);
      expect(events.some((event) => event.type === 'datasets.changed' && event.projectId === project.id)).toBe(true);

      const dataset = final.result as Dataset;
      expect(dataset).toMatchObject({ name: 'adult.csv', rowCount: 32_561, sourceBytes: size });
      // The upload landed in the workspace under its own name, not a half-written temp file.
      expect(dataset.sourcePath).toContain(engine.workspace.uploadsDir);

      const preview = valueOf<TablePage>(await call('datasets.preview', { datasetId: dataset.id, limit: 5 }));
      expect(preview.columns).toHaveLength(15);
      expect(preview.columns[0]?.name).toBe('age');
      expect(preview.columns[1]?.name).toBe('workclass');
      expect(preview.totalRows).toBe(32_561);
      expect(preview.rows).toHaveLength(5);
      expect(preview.rows[0]?.[0]).toBe(39);
      expect(preview.rows[0]?.[1]).toBe('State-gov');
    } finally {
      socket.close();
    }
  });

  it('keeps an upload named .. inside its own upload folder', async () => {
    const project = valueOf<Project>(await call('projects.create', { name: 'Odd name' }));
    const query = new URLSearchParams({ projectId: project.id, name: '..' });
    const response = await fetch(`${base}/api/upload?${query.toString()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: 'a,b\n1,x\n2,y\n',
    });
    const upload = (await response.json()) as WireResult;
    if (!upload.ok) throw new Error(upload.error.message);
    const job = await engine.jobs.wait((upload.value as { jobId: string }).jobId);
    expect(job.state, job.error ?? '').toBe('succeeded');
    const sourcePath = (job.result as Dataset).sourcePath ?? '';
    expect(dirname(dirname(sourcePath))).toBe(engine.workspace.uploadsDir);
    expect(basename(sourcePath)).toBe('upload.csv');
  });

  it('refuses an upload of a binary file with 400 and a reason', async () => {
    const project = valueOf<Project>(await call('projects.create', { name: 'Binary upload' }));
    const uploadsBefore = await readdir(engine.workspace.uploadsDir);
    const query = new URLSearchParams({ projectId: project.id, name: 'data.csv' });
    const response = await fetch(`${base}/api/upload?${query.toString()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 1, 2, 3, 0, 0, 255, 254, 0]),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as WireResult;
    expect(body).toMatchObject({ ok: false, error: { code: 'bad_input' } });
    // The reason quotes the name the user gave, not the name the upload was stored under.
    if (!body.ok) expect(body.error.message).toMatch(/^data\.csv is not a CSV file: it contains binary data/);
    // A refused upload is not kept in the workspace.
    expect(await readdir(engine.workspace.uploadsDir)).toEqual(uploadsBefore);
  });
});
