/**
 * The browser-mode host against what another site, a careless client or a
 * failing engine can send it: the real host on a real engine over real HTTP.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, Project } from '../../../shared/api.js';
import type { WireResult } from '../../../shared/client.js';
import type { Engine } from '../../../main/engine/engine.js';
import { internalFailureMessage } from '../../../main/engine/jobs/jobs.js';
import { formatLimit, maxUploadBytesFromEnv, startHost, type RunningHost } from '../../../main/host/server.js';
import { adultCsv, createTestEngine, tempDir } from '../../helpers/engine.js';

const token = 'test-token-hardening-0123456789';

describe('browser-mode host hardening', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  let host: RunningHost;
  let base: string;
  const logged: string[] = [];

  beforeAll(async () => {
    ({ engine, cleanup } = await createTestEngine());
    host = await startHost({ engine, rendererDir: await tempDir('kiln-renderer-'), port: 0, token, log: (line) => logged.push(line) });
    base = `http://127.0.0.1:${host.port}`;
  });

  afterAll(async () => {
    await host.close();
    await cleanup();
  });

  const bearer = { authorization: `Bearer ${token}` };

  async function createProject(name: string): Promise<Project> {
    const response = await fetch(`${base}/api/call`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'projects.create', input: { name } }),
    });
    const body = (await response.json()) as WireResult;
    if (!body.ok) throw new Error(body.error.message);
    return body.value as Project;
  }

  async function projectNames(): Promise<string[]> {
    return (await engine.call('projects.list', {})).map((project) => project.name);
  }

  async function uploadsNow(): Promise<string[]> {
    return (await readdir(engine.workspace.uploadsDir)).sort();
  }

  /** A POST through node:http, which sends the headers it is given (fetch() fills in or refuses some), with a body that may be cut short. */
  function rawPost(
    path: string,
    headers: Record<string, string>,
    body: Iterable<Buffer> | string,
  ): Promise<{ status: number; text: string; sentAtAnswer: number; sentTotal: number }> {
    return new Promise((resolve, reject) => {
      let sent = 0;
      let sentAtAnswer = -1;
      const outgoing = request(
        { host: '127.0.0.1', port: host.port, path, method: 'POST', headers: { host: `127.0.0.1:${host.port}`, ...headers } },
        (response) => {
          sentAtAnswer = sent;
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text, sentAtAnswer, sentTotal: sent }));
          response.on('error', reject);
        },
      );
      // The host may close the connection while the body is still going out: that is the point of some of these tests.
      outgoing.on('error', () => undefined);
      if (typeof body === 'string') {
        outgoing.end(body);
        return;
      }
      const chunks = body[Symbol.iterator]();
      const pump = () => {
        if (outgoing.destroyed || sentAtAnswer >= 0) return;
        const next = chunks.next();
        if (next.done) {
          outgoing.end();
          return;
        }
        sent += next.value.length;
        if (outgoing.write(next.value)) setImmediate(pump);
        else outgoing.once('drain', pump);
      };
      pump();
    });
  }

  function* megabytes(count: number): Iterable<Buffer> {
    const line = Buffer.from('1,2,3\n'.repeat(Math.floor((1024 * 1024) / 6)));
    yield Buffer.from('a,b,c\n');
    for (let index = 0; index < count; index++) yield line;
  }

  describe('another site cannot drive the API', () => {
    const call = JSON.stringify({ method: 'projects.create', input: { name: 'Made by another site' } });

    it.each([
      ['an Origin of another site', { origin: 'https://evil.example' }],
      ['Origin: null (a sandboxed frame or a file)', { origin: 'null' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site (another port or subdomain)', { 'sec-fetch-site': 'same-site' }],
    ])('refuses a text/plain POST /api/call with %s, even with the token', async (_what, headers) => {
      const answer = await rawPost('/api/call', { ...bearer, 'content-type': 'text/plain', ...headers }, call);
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.text)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      expect(await projectNames()).not.toContain('Made by another site');
    });

    it('refuses an upload from another site before storing anything', async () => {
      const project = await createProject('Cross-site upload');
      const before = await uploadsNow();
      const answer = await rawPost(
        `/api/upload?projectId=${project.id}&name=x.csv`,
        { ...bearer, origin: 'https://evil.example', 'content-type': 'text/plain' },
        'a,b\n1,2\n',
      );
      expect(answer.status).toBe(403);
      expect(await uploadsNow()).toEqual(before);
    });

    it('accepts the same call from its own page', async () => {
      const answer = await rawPost(
        '/api/call',
        { ...bearer, 'content-type': 'application/json', origin: base, 'sec-fetch-site': 'same-origin' },
        JSON.stringify({ method: 'projects.create', input: { name: 'Made by the page' } }),
      );
      expect(answer.status).toBe(200);
      expect(await projectNames()).toContain('Made by the page');
    });

    it('takes the API token only from the Authorization header, not from the query string', async () => {
      const answer = await rawPost(`/api/call?token=${token}`, { 'content-type': 'text/plain' }, call);
      expect(answer.status).toBe(401);
      expect(await projectNames()).not.toContain('Made by another site');
    });
  });

  describe('uploads', () => {
    it('refuses an upload to a project that does not exist before reading its body', async () => {
      const before = await uploadsNow();
      const answer = await rawPost(
        '/api/upload?projectId=prj_doesnotexist&name=big.csv',
        { ...bearer, 'content-type': 'application/octet-stream' },
        megabytes(256),
      );
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.text)).toMatchObject({ ok: false, error: { code: 'not_found' } });
      // The answer came while the body was still being sent: the host did not wait for (or store) 256 MiB.
      expect(answer.sentAtAnswer).toBeLessThan(64 * 1024 * 1024);
      expect(await uploadsNow()).toEqual(before);
    });

    it('refuses an upload over the configured limit with 413 and says the limit in words, whether or not its length is declared', async () => {
      const small = await startHost({
        engine,
        rendererDir: await tempDir('kiln-renderer-'),
        port: 0,
        token,
        maxUploadBytes: 2 * 1024 * 1024,
      });
      try {
        const project = await createProject('Limited uploads');
        const before = await uploadsNow();
        const path = `/api/upload?projectId=${project.id}&name=big.csv`;
        const declared = await fetch(`http://127.0.0.1:${small.port}${path}`, {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/octet-stream' },
          body: Buffer.concat([...megabytes(3)]),
        });
        expect(declared.status).toBe(413);
        const declaredBody = (await declared.json()) as WireResult;
        if (declaredBody.ok) throw new Error('accepted');
        expect(declaredBody.error.message).toMatch(/larger than this host accepts \(2 MiB\).*KILN_MAX_UPLOAD_BYTES/);

        // Streamed without a length: the host counts the bytes and stops at the limit.
        const streamed = await fetch(`http://127.0.0.1:${small.port}${path}`, {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/octet-stream' },
          body: Readable.toWeb(Readable.from(megabytes(3))) as ReadableStream<Uint8Array>,
          duplex: 'half',
        } as RequestInit);
        expect(streamed.status).toBe(413);
        expect(await uploadsNow()).toEqual(before);

        // Under the limit, the same route imports as usual.
        const fits = await fetch(`http://127.0.0.1:${small.port}${path}`, {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/octet-stream' },
          body: 'a,b\n1,x\n2,y\n',
        });
        expect(fits.status).toBe(200);
      } finally {
        await small.close();
      }
    });

    it('reads the limit from KILN_MAX_UPLOAD_BYTES, 10 GiB when unset or not a number of bytes', () => {
      expect(maxUploadBytesFromEnv('1048576')).toBe(1024 * 1024);
      expect(maxUploadBytesFromEnv(undefined)).toBe(10 * 1024 ** 3);
      expect(maxUploadBytesFromEnv('lots')).toBe(10 * 1024 ** 3);
      expect(formatLimit(10 * 1024 ** 3)).toBe('10 GiB');
      expect(formatLimit(1000)).toBe('1000 bytes');
    });

    it('deletes the upload when its import job is cancelled', async () => {
      const project = await createProject('Cancelled upload');
      const before = await uploadsNow();
      const { size } = await stat(adultCsv);
      const response = await fetch(`${base}/api/upload?projectId=${project.id}&name=adult.csv`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body: Readable.toWeb(createReadStream(adultCsv)) as ReadableStream<Uint8Array>,
        duplex: 'half',
      } as RequestInit);
      const body = (await response.json()) as WireResult;
      if (!body.ok) throw new Error(body.error.message);
      const { jobId } = body.value as { jobId: string };
      engine.jobs.cancel(jobId);
      expect((await engine.jobs.wait(jobId)).state).toBe('cancelled');
      await expect.poll(uploadsNow, { timeout: 5_000 }).toEqual(before);
    });

    it('deletes the upload when its import job fails', async () => {
      const project = await createProject('Failed upload');
      const before = await uploadsNow();
      // A header and no rows passes the check before the job, and the import itself refuses it.
      const response = await fetch(`${base}/api/upload?projectId=${project.id}&name=header-only.csv`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/octet-stream' },
        body: 'a,b,c\n',
      });
      const body = (await response.json()) as WireResult;
      if (!body.ok) throw new Error(`refused before the job: ${body.error.message}`);
      const job = await engine.jobs.wait((body.value as { jobId: string }).jobId);
      expect(job.state).toBe('failed');
      await expect.poll(uploadsNow, { timeout: 5_000 }).toEqual(before);
    });
  });

  describe('internal errors', () => {
    const engineText = `Binder Error: Referenced column "x" not found\nLINE 1: SELECT trim("x") FROM read_csv('/home/someone/.kiln/uploads/ds_1/a.csv')`;

    it('a failed job carries a plain message over the API; the log has the engine text', async () => {
      const errors: string[] = [];
      const original = console.error;
      console.error = (line: string) => errors.push(line);
      try {
        const jobId = engine.jobs.start('import', null, async () => {
          throw new Error(engineText);
        });
        await engine.jobs.wait(jobId);
        const response = await fetch(`${base}/api/call`, {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: JSON.stringify({ method: 'jobs.get', input: { jobId } }),
        });
        const body = (await response.json()) as WireResult;
        if (!body.ok) throw new Error(body.error.message);
        const job = body.value as Job;
        expect(job.state).toBe('failed');
        expect(job.error).toBe(internalFailureMessage);
        expect(job.message).not.toMatch(/Binder Error|SELECT|\.kiln/);
        expect(errors.join('\n')).toContain('Binder Error: Referenced column "x" not found');
      } finally {
        console.error = original;
      }
    });

    it('an error answer carries a plain message and no engine text or path; the log has them', async () => {
      const failing = await startHost({
        engine: {
          dispatch: async () => {
            throw new Error(engineText);
          },
          onEvent: () => () => undefined,
          workspace: engine.workspace,
        },
        rendererDir: await tempDir('kiln-renderer-'),
        port: 0,
        token,
        log: (line) => logged.push(line),
      });
      try {
        const response = await fetch(`http://127.0.0.1:${failing.port}/api/call`, {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: JSON.stringify({ method: 'projects.list', input: {} }),
        });
        expect(response.status).toBe(500);
        const text = await response.text();
        expect(text).not.toMatch(/Binder Error|SELECT|\.kiln|\\n/);
        expect(JSON.parse(text)).toMatchObject({ ok: false, error: { code: 'internal', message: internalFailureMessage } });
        expect(logged.join('\n')).toContain('Binder Error: Referenced column "x" not found');
      } finally {
        await failing.close();
      }
    });

    it('keeps the words of a refusal in the user’s terms (bad_input, not_found)', async () => {
      const response = await fetch(`${base}/api/call`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'projects.get', input: { projectId: 'prj_missing' } }),
      });
      expect(response.status).toBe(404);
      const body = (await response.json()) as WireResult;
      if (body.ok) throw new Error('found');
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).not.toBe(internalFailureMessage);
    });
  });

  describe('malformed addresses', () => {
    it.each(['/%E0%A4%A', '/assets/%', '/api/exports/%E0%A4%A/bundle.zip'])('answers %s with 400, not 500', async (path) => {
      const response = await fetch(`${base}${path}`, { headers: bearer });
      expect(response.status).toBe(400);
    });
  });
});
