import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { JobHandle, StagedUpload } from '../../shared/api.js';
import type { WireFailure, WireResult } from '../../shared/client.js';
import { KilnError, toErrorShape } from '../../shared/errors.js';
import { encodeEvent, type KilnEventType } from '../../shared/events.js';
import type { Engine } from '../engine/engine.js';
import { writeStreamAtomic } from '../engine/workspace/files.js';
import { newId } from '../engine/ids.js';

/** What the host needs of the engine: its one entry point, its events, and where uploads go. */
export type HostEngine = Pick<Engine, 'dispatch' | 'onEvent'> & { workspace: Pick<Engine['workspace'], 'uploadsDir'> };

export interface HostOptions {
  engine: HostEngine;
  /** Folder with the built renderer (index.html and assets). */
  rendererDir: string;
  port?: number;
  /** Tests pass a fixed token; normal starts get a random one. */
  token?: string;
}

export interface RunningHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

const maxJsonBody = 10 * 1024 * 1024;

/** The upload route's answer: the import job, or where the file was stored when it is not imported yet. */
type UploadResult = { ok: true; value: JobHandle | StagedUpload } | WireFailure;

/**
 * Browser mode: serves the built renderer and the engine API on 127.0.0.1 only.
 * Every API request must carry the per-start token, so other local pages and
 * processes cannot drive the engine; the Host header is checked too, which
 * defeats DNS rebinding.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const { engine } = options;
  let port = options.port ?? 0;

  const allowedHost = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  const authorized = (request: IncomingMessage, url: URL) => {
    const header = request.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : url.searchParams.get('token');
    return given !== null && given !== undefined && safeEqual(given, token);
  };

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { ok: false, error: toErrorShape(error) });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (!allowedHost(request.headers.host)) {
      sendJson(response, 403, { ok: false, error: { code: 'unauthorized', message: 'Wrong Host header.' } });
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      if (!authorized(request, url)) {
        sendJson(response, 401, {
          ok: false,
          error: { code: 'unauthorized', message: 'Missing or wrong token. Open the URL that `npm run serve` printed.' },
        });
        return;
      }
      if (request.method === 'POST' && url.pathname === '/api/call') return handleCall(request, response);
      if (request.method === 'POST' && url.pathname === '/api/upload') return handleUpload(request, response, url);
      sendJson(response, 404, { ok: false, error: { code: 'not_found', message: `No API route ${url.pathname}.` } });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405).end();
      return;
    }
    await serveStatic(url.pathname, response);
  }

  async function handleCall(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // JSON of any shape: dispatch checks the method's name and its input before anything runs.
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request, maxJsonBody));
    } catch (error) {
      const message = error instanceof KilnError ? error.message : 'The request body is not valid JSON.';
      sendJson(response, 400, { ok: false, error: { code: 'invalid_argument', message } });
      return;
    }
    const call = typeof body === 'object' && body !== null ? body : {};
    const method = 'method' in call ? call.method : undefined;
    const input = 'input' in call ? call.input : undefined;
    try {
      // Checked by the engine against the method's output schema, so the value is that method's output.
      sendJson(response, 200, { ok: true, value: await engine.dispatch(method, input) });
    } catch (error) {
      const shape = toErrorShape(error);
      const status = shape.code === 'invalid_argument' || shape.code === 'bad_input' ? 400 : shape.code === 'not_found' ? 404 : 500;
      sendJson(response, status, { ok: false, error: shape });
    }
  }

  /** Browser mode cannot hand the engine a path, so the file is streamed to the workspace first. */
  async function handleUpload(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const projectId = url.searchParams.get('projectId') ?? '';
    const name = basename(url.searchParams.get('name') ?? 'upload.csv') || 'upload.csv';
    // One folder per upload keeps the file under the user's own name, which the engine's messages quote.
    const folder = join(engine.workspace.uploadsDir, newId('ds'));
    // Leading dots are dropped so that a name of `..` cannot climb out of the folder.
    const target = join(folder, name.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'upload.csv');
    try {
      await writeStreamAtomic(target, request);
      // `?import=no` only stores the file, so the UI can sniff it and show a preview before importing.
      const value: JobHandle | StagedUpload =
        url.searchParams.get('import') === 'no'
          ? { path: target, name }
          : await engine.dispatch('datasets.import', { projectId, path: target, name });
      sendJson(response, 200, { ok: true, value });
    } catch (error) {
      // A refused upload (not a CSV, unknown project) must not stay behind in the workspace.
      await rm(folder, { recursive: true, force: true });
      const shape = toErrorShape(error);
      sendJson(response, shape.code === 'internal' ? 500 : 400, { ok: false, error: shape });
    }
  }

  async function serveStatic(pathname: string, response: ServerResponse): Promise<void> {
    const relative = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    let file = join(options.rendererDir, relative);
    if (!file.startsWith(options.rendererDir + sep) && file !== options.rendererDir) {
      response.writeHead(404).end();
      return;
    }
    let info = await stat(file).catch(() => undefined);
    if (!info || info.isDirectory()) {
      // The renderer is a single page: unknown paths get index.html.
      file = join(options.rendererDir, 'index.html');
      info = await stat(file).catch(() => undefined);
      if (!info) {
        response.writeHead(503, { 'content-type': 'text/plain' }).end('The renderer is not built. Run `npm run build` first.');
        return;
      }
    }
    response.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    createReadStream(file).pipe(response);
  }

  // An event that fails its schema is an engine bug; it is reported once per type rather than once per client and per event.
  const reported = new Set<KilnEventType>();
  const reportUnsendable = (type: KilnEventType, problem: string) => {
    if (reported.has(type)) return;
    reported.add(type);
    console.error(`kiln: dropped an event that does not match the contract: ${problem}`);
  };

  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const origin = request.headers.origin;
    const originOk = origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
    if (url.pathname !== '/api/events' || !allowedHost(request.headers.host) || !originOk || !authorized(request, url)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client: WebSocket) => {
      const unsubscribe = engine.onEvent((event) => {
        if (client.readyState !== client.OPEN) return;
        const wire = encodeEvent(event);
        if ('text' in wire) client.send(wire.text);
        else reportUnsendable(event.type, wire.problem);
      });
      client.on('close', unsubscribe);
      client.on('error', unsubscribe);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new KilnError('invalid_argument', `The request body is larger than ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: WireResult | UploadResult): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
