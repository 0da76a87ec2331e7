/**
 * The model server against hostile and broken clients (issue 9): /metrics stays small whatever paths are
 * asked for, aborted requests leave the gauges, malformed input is a 400 and never a 500, slow clients are
 * cut off, and `kiln serve` never leaves the server running after it dies.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_ENTRY, spawnServer, writeBundle, type RunningServer } from './fixture.js';

const repoRoot = process.cwd();
const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-server-hardening-'));
  scratchDirs.push(dir);
  return dir;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    // Greedy: a route label holds braces of its own (`/v2/models/{name}/infer`).
    const match = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    if (wanted.every((pair) => (match[2] ?? '').includes(pair))) total += Number(match[3]);
  }
  return total;
}

function stop(server: RunningServer | undefined): Promise<unknown> {
  if (!server || server.child.exitCode !== null) return Promise.resolve();
  server.child.kill('SIGTERM');
  return server.exited;
}

function hostAndPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

function openSocket(url: string): Promise<Socket> {
  const { host, port } = hostAndPort(url);
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with what the server sent before it closed the connection. */
function closed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(text));
  });
}

async function post(url: string, body: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

describe('model server: hostile requests', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await spawnServer(writeBundle(join(scratch(), 'bundle')), { LOG_DIR: 'off' });
  });
  afterAll(() => stop(server));

  it('labels routes by template: 20,000 distinct unknown paths share one label and /metrics stays small', async () => {
    const before = await (await fetch(`${server.url}/metrics`)).text();
    const paths = Array.from({ length: 20_000 }, (_, index) =>
      index % 2 === 0 ? `/v2/models/adult-income/x${index}` : `/nothing/here/${index}`,
    );
    for (let start = 0; start < paths.length; start += 200) {
      await Promise.all(
        paths.slice(start, start + 200).map(async (path) => {
          const response = await fetch(`${server.url}${path}`);
          expect(response.status).toBe(404);
          await response.arrayBuffer();
        }),
      );
    }
    const after = await (await fetch(`${server.url}/metrics`)).text();
    // Before the fix each path was a label of its own: about 1.5 KB per path, 30 MB in all.
    expect(after.length).toBeLessThan(before.length + 8_000);
    expect(after).not.toContain('x19998');
    expect(metricValue(after, 'kiln_requests_total', { route: 'other', status: '404' })).toBe(20_000);
  }, 120_000);

  it('counts aborted requests: the in-flight gauge returns to 0 after half-sent and slow clients disconnect', async () => {
    const sockets: Socket[] = [];
    for (let index = 0; index < 20; index += 1) {
      const socket = await openSocket(server.url);
      const path = index % 2 === 0 ? '/invocations' : '/v2/models/adult-income/infer';
      // Headers and part of the body: the request is being handled while the server waits for the rest.
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"dataframe_`);
      sockets.push(socket);
    }
    await waitFor('the half-sent requests to be in flight', async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return metricValue(text, 'kiln_requests_in_flight') >= 20 ? true : undefined;
    });
    for (const socket of sockets) socket.destroy();
    const settled = await waitFor('the in-flight gauge to return to 0', async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      // The scrape itself is the one request in flight.
      return metricValue(text, 'kiln_requests_in_flight') === 1 ? text : undefined;
    });
    expect(metricValue(settled, 'kiln_request_errors_total', { reason: 'client_closed' })).toBeGreaterThanOrEqual(20);
    expect(metricValue(settled, 'kiln_requests_total', { status: '499' })).toBeGreaterThanOrEqual(20);
  });

  it('answers a v2 tensor nested 10,000 deep with a 400 naming the input', async () => {
    const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
    const body = `{"inputs":[{"name":"age","shape":[1],"datatype":"FP64","data":[${deep}]},{"name":"workclass","shape":[1],"datatype":"BYTES","data":["Private"]}]}`;
    const response = await post(`${server.url}/v2/models/adult-income/infer`, body);
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { error: string; column?: string };
    expect(answer.column).toBe('age');
    expect(answer.error).toMatch(/nested more than \d+ levels deep/);
  });

  it('answers a deep request id or output name with a 400, not a 500', async () => {
    const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
    const inputs =
      '[{"name":"age","shape":[1],"datatype":"FP64","data":[30]},{"name":"workclass","shape":[1],"datatype":"BYTES","data":["Private"]}]';
    const withId = await post(`${server.url}/v2/models/adult-income/infer`, `{"id":${deep},"inputs":${inputs}}`);
    expect(withId.status).toBe(400);
    const withOutput = await post(`${server.url}/v2/models/adult-income/infer`, `{"inputs":${inputs},"outputs":[{"name":${deep}}]}`);
    expect(withOutput.status).toBe(400);
    // Tensors nested as their [N, 1] shape still score.
    const nested = await post(
      `${server.url}/v2/models/adult-income/infer`,
      '{"inputs":[{"name":"age","shape":[2,1],"datatype":"FP64","data":[[30],[50]]},{"name":"workclass","shape":[2,1],"datatype":"BYTES","data":[["Private"],["State-gov"]]}]}',
    );
    expect(nested.status).toBe(200);
  });

  it('answers malformed percent-encoding in a path with a 400', async () => {
    for (const path of ['/v2/models/%E0%A4%A/infer', '/v2/models/%ZZ', '/v2/models/%']) {
      const response = await fetch(`${server.url}${path}`, {
        method: path.endsWith('infer') ? 'POST' : 'GET',
        body: path.endsWith('infer') ? '{}' : undefined,
      });
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/malformed percent-encoding/);
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricValue(text, 'kiln_request_errors_total', { reason: 'internal' })).toBe(0);
  });

  it('refuses 1e999 (Infinity once parsed) like the text "Infinity", naming the column', async () => {
    for (const body of [
      '{"dataframe_records":[{"age":30,"workclass":"Private"},{"age":1e999,"workclass":"Private"}]}',
      '{"dataframe_records":[{"age":30,"workclass":"Private"},{"age":-1e999,"workclass":"Private"}]}',
      '{"dataframe_records":[{"age":30,"workclass":"Private"},{"age":"Infinity","workclass":"Private"}]}',
    ]) {
      const response = await post(`${server.url}/invocations`, body);
      expect(response.status, body).toBe(400);
      const answer = (await response.json()) as { error: string; column?: string; row?: number };
      expect(answer).toMatchObject({ column: 'age', row: 1 });
      expect(answer.error).toMatch(/column "age" expects a number, but row 1 has/);
    }
  });
});

describe('model server: slow clients and connection cap', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await spawnServer(writeBundle(join(scratch(), 'bundle')), {
      LOG_DIR: 'off',
      HEADERS_TIMEOUT_MS: '600',
      REQUEST_TIMEOUT_MS: '1500',
      MAX_CONNECTIONS: '4',
    });
  });
  afterAll(() => stop(server));

  it('cuts off a client that sends its headers too slowly', async () => {
    const socket = await openSocket(server.url);
    const ended = closed(socket);
    const started = Date.now();
    socket.write('GET /v2/health/live HTTP/1.1\r\nHost: x\r\n');
    // One header line now and then, never the blank line that ends them.
    const drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 100);
    const text = await ended;
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(text).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts off a client that sends its body too slowly', async () => {
    const socket = await openSocket(server.url);
    const ended = closed(socket);
    const started = Date.now();
    socket.write('POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
    const drip = setInterval(() => socket.writable && socket.write(' '), 100);
    await ended;
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('closes connections beyond MAX_CONNECTIONS', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => openSocket(server.url)));
    const extra = await openSocket(server.url);
    const text = await closed(extra);
    expect(text).toBe('');
    for (const socket of held) socket.destroy();
    // Once the held ones are gone, new connections are served again.
    await waitFor('a connection to be accepted again', async () => {
      try {
        const response = await fetch(`${server.url}/v2/health/live`);
        return response.status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('kiln serve', () => {
  it('leaves no server running when it is killed with SIGKILL', async () => {
    const bundle = writeBundle(join(scratch(), 'bundle'));
    // A bundle carries the built server; its packages come from the repository here.
    copyFileSync(SERVER_ENTRY, join(bundle, 'server.mjs'));
    symlinkSync(join(repoRoot, 'node_modules'), join(bundle, 'node_modules'));
    const port = await freePort();
    const cli = spawn(process.execPath, [join(repoRoot, 'dist', 'main', 'cli', 'kiln.js'), 'serve', bundle, '--port', String(port)], {
      env: { ...process.env, KILN_HOME: scratch(), LOG_DIR: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cli.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => cli.once('exit', () => resolve()));
    await waitFor('kiln serve to listen', () => (output.includes('listening on') ? true : undefined), 15_000);
    expect((await fetch(`http://127.0.0.1:${port}/v2/health/live`)).status).toBe(200);

    cli.kill('SIGKILL');
    await exited;
    await waitFor(`port ${port} to be free after kill -9 of kiln serve (output: ${output})`, async () =>
      (await portIsFree(port)) ? true : undefined,
    );
    await expect(fetch(`http://127.0.0.1:${port}/v2/health/live`)).rejects.toThrow();
  }, 30_000);
});
