import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, extname, join, normalize, relative, sep } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { Zip, ZipDeflate } from 'fflate';
import { WebSocketServer, type WebSocket } from 'ws';
import type { JobHandle, StagedUpload } from '../../shared/api.js';
import type { WireFailure, WireResult } from '../../shared/client.js';
import { KilnError, toErrorShape, type KilnErrorShape } from '../../shared/errors.js';
import { encodeEvent, type KilnEvent, type KilnEventType } from '../../shared/events.js';
import type { Engine } from '../engine/engine.js';
import { describeError, publicMessage } from '../engine/jobs/jobs.js';
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
  /** The largest upload accepted, in bytes; KILN_MAX_UPLOAD_BYTES or 10 GiB by default. */
  maxUploadBytes?: number;
  /** Where the detail of internal errors goes; the API answers carry only a plain message. */
  log?: (line: string) => void;
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

const defaultMaxUploadBytes = 10 * 1024 ** 3;

/** KILN_MAX_UPLOAD_BYTES when it is a positive whole number of bytes, else 10 GiB. */
export function maxUploadBytesFromEnv(value = process.env.KILN_MAX_UPLOAD_BYTES): number {
  const parsed = Number(value);
  return value !== undefined && Number.isSafeInteger(parsed) && parsed > 0 ? parsed : defaultMaxUploadBytes;
}

/** 10 GiB, 512 MiB, 300 bytes: the limit as the 413 message says it. */
export function formatLimit(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 4, 'TiB'],
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** Thrown by the upload's byte counter when the body passes the limit; answered with 413. */
class UploadTooLarge extends Error {}

/** Passes bytes through and fails the stream once more than `limit` have gone by. */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) callback(new UploadTooLarge());
      else callback(null, chunk);
    },
  });
}

/** decodeURIComponent without the URIError: undefined for a malformed escape, which is a 400. */
function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

const terminalJobStates = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
const zipRoute = /^\/api\/exports\/([^/]+)\/bundle\.zip$/;

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
  const maxUploadBytes = options.maxUploadBytes ?? maxUploadBytesFromEnv();
  const log = options.log ?? ((line: string) => console.error(line));
  let port = options.port ?? 0;

  const allowedHost = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  const sameOrigin = (origin: string) => origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
  /**
   * A browser names the page that sent a request: anything but this host's own page (another site, a file,
   * a sandboxed frame's `null`) is refused, so a page elsewhere cannot post to the API even as a "simple"
   * text/plain request that needs no preflight. Clients that are not browsers send neither header.
   */
  const fromOtherSite = (request: IncomingMessage): boolean => {
    const origin = request.headers.origin;
    if (origin !== undefined && !sameOrigin(origin)) return true;
    const site = request.headers['sec-fetch-site'];
    return site !== undefined && site !== 'same-origin' && site !== 'none';
  };
  /** The API takes the token only in the Authorization header, which no other page can make a browser send. */
  const headerAuthorized = (request: IncomingMessage) => {
    const header = request.headers.authorization;
    return header?.startsWith('Bearer ') === true && safeEqual(header.slice(7), token);
  };
  /** A browser cannot set headers on a WebSocket, so the event socket alone takes the token in its URL (its Origin is checked too). */
  const socketAuthorized = (request: IncomingMessage, url: URL) => {
    const given = url.searchParams.get('token');
    return headerAuthorized(request) || (given !== null && safeEqual(given, token));
  };

  /** The answer's error: Kiln's words for what it refused; an internal error's detail goes to the log only. */
  const publicShape = (error: unknown): KilnErrorShape => {
    const shape = toErrorShape(error);
    if (shape.code !== 'internal') return shape;
    log(`kiln: internal error answering a browser-mode request: ${describeError(error)}`);
    return { code: 'internal', message: publicMessage(error) };
  };

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { ok: false, error: publicShape(error) });
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
      if (fromOtherSite(request)) {
        sendJson(response, 403, {
          ok: false,
          error: { code: 'unauthorized', message: 'Refused a request from another site: only the Kiln page this host serves may call it.' },
        });
        return;
      }
      if (!headerAuthorized(request)) {
        sendJson(response, 401, {
          ok: false,
          error: { code: 'unauthorized', message: 'Missing or wrong token. Open the URL that `npm run serve` printed.' },
        });
        return;
      }
      if (request.method === 'POST' && url.pathname === '/api/call') return handleCall(request, response);
      if (request.method === 'POST' && url.pathname === '/api/upload') return handleUpload(request, response, url);
      const zip = zipRoute.exec(url.pathname);
      if (request.method === 'GET' && zip) return handleBundleZip(response, zip[1] ?? '');
      sendJson(response, 404, { ok: false, error: { code: 'not_found', message: 'There is no such API route.' } });
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
      const shape = publicShape(error);
      sendJson(response, statusOf(shape), { ok: false, error: shape });
    }
  }

  /** Browser mode cannot hand the engine a path, so the file is streamed to the workspace first. */
  async function handleUpload(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const projectId = url.searchParams.get('projectId') ?? '';
    // Nothing is read, let alone stored, for a project that does not exist or a body known to be too large.
    try {
      await engine.dispatch('projects.get', { projectId });
    } catch (error) {
      const shape = publicShape(error);
      refuseUpload(request, response, statusOf(shape), shape);
      return;
    }
    const tooLarge: KilnErrorShape = {
      code: 'bad_input',
      message: `The file is larger than this host accepts (${formatLimit(maxUploadBytes)}). Start it with KILN_MAX_UPLOAD_BYTES set higher to import larger files.`,
    };
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxUploadBytes) {
      refuseUpload(request, response, 413, tooLarge);
      return;
    }
    const name = basename(url.searchParams.get('name') ?? 'upload.csv') || 'upload.csv';
    // One folder per upload keeps the file under the user's own name, which the engine's messages quote.
    const folder = join(engine.workspace.uploadsDir, newId('ds'));
    // Leading dots are dropped so that a name of `..` cannot climb out of the folder.
    const target = join(folder, name.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'upload.csv');
    const removeUpload = () => rm(folder, { recursive: true, force: true });
    try {
      await writeStreamAtomic(target, request.pipe(byteLimit(maxUploadBytes)));
    } catch (error) {
      await removeUpload();
      if (error instanceof UploadTooLarge) refuseUpload(request, response, 413, tooLarge);
      else refuseUpload(request, response, 500, publicShape(error));
      return;
    }
    try {
      // `?import=no` only stores the file, so the UI can sniff it and show a preview before importing.
      const value: JobHandle | StagedUpload =
        url.searchParams.get('import') === 'no' ? { path: target, name } : await importUpload(projectId, target, name, removeUpload);
      sendJson(response, 200, { ok: true, value });
    } catch (error) {
      // A refused upload (not a CSV, unknown project) must not stay behind in the workspace.
      await removeUpload();
      const shape = publicShape(error);
      sendJson(response, statusOf(shape), { ok: false, error: shape });
    }
  }

  /** Starts the import and removes the stored file if the job does not succeed: a failed or cancelled import keeps nothing. */
  async function importUpload(projectId: string, path: string, name: string, removeUpload: () => Promise<void>): Promise<JobHandle> {
    // Events are watched from before the job exists, so that one that fails at once is not missed.
    const seen: KilnEvent[] = [];
    let jobId: string | undefined;
    const settle = (event: KilnEvent) => {
      if (event.type !== 'job.updated' || event.job.id !== jobId || !terminalJobStates.has(event.job.state)) return false;
      unsubscribe();
      if (event.job.state !== 'succeeded') void removeUpload();
      return true;
    };
    const unsubscribe = engine.onEvent((event) => {
      if (jobId === undefined) seen.push(event);
      else settle(event);
    });
    try {
      const handle = await engine.dispatch('datasets.import', { projectId, path, name });
      jobId = handle.jobId;
      for (const event of seen) if (settle(event)) break;
      seen.length = 0;
      return handle;
    } catch (error) {
      unsubscribe();
      throw error;
    }
  }

  /**
   * Streams a bundle the engine made as a zip, chunk by chunk as it is compressed. Only an export id is
   * taken, never a path: the folder is the one the engine recorded for that export.
   */
  async function handleBundleZip(response: ServerResponse, rawId: string): Promise<void> {
    const exportId = safeDecode(rawId);
    if (exportId === undefined) {
      sendJson(response, 400, { ok: false, error: { code: 'invalid_argument', message: 'The export id in the address is malformed.' } });
      return;
    }
    const bundle = (await engine.dispatch('export.list', {})).find((item) => item.id === exportId);
    const folder = bundle ? await stat(bundle.bundle).catch(() => undefined) : undefined;
    if (!bundle || !folder?.isDirectory()) {
      const message = bundle ? 'The bundle folder of this export is gone; export the run again.' : 'There is no such export.';
      sendJson(response, 404, { ok: false, error: { code: 'not_found', message, field: 'exportId' } });
      return;
    }
    const top = `kiln-bundle-${bundle.runId}`;
    // Regular files only: a link in the folder could point anywhere on the machine.
    const entries = (await readdir(bundle.bundle, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
    response.writeHead(200, {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="${top}.zip"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    let failure: Error | null = null;
    const zip = new Zip((error, chunk, final) => {
      if (error) {
        failure = error;
        return;
      }
      response.write(chunk);
      if (final) response.end();
    });
    try {
      for (const file of entries) {
        const entry = new ZipDeflate(`${top}/${relative(bundle.bundle, file).split(sep).join('/')}`, { level: 6 });
        zip.add(entry);
        for await (const chunk of createReadStream(file)) {
          entry.push(chunk as Buffer);
          if (failure) throw failure;
          if (response.writableNeedDrain) await drainedOrClosed(response);
          if (response.destroyed) return;
        }
        entry.push(new Uint8Array(0), true);
      }
      zip.end();
      if (failure) throw failure;
    } catch (error) {
      // The status is sent already: a cut connection is how the client learns the zip is incomplete.
      log(`kiln: the zip of export ${bundle.id} failed: ${describeError(error)}`);
      zip.terminate();
      response.destroy();
    }
  }

  async function serveStatic(pathname: string, response: ServerResponse): Promise<void> {
    const decoded = safeDecode(pathname);
    if (decoded === undefined) {
      response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('The address has a malformed percent-encoding.');
      return;
    }
    let file = join(options.rendererDir, normalize(decoded).replace(/^([/\\])+/, ''));
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
    if (url.pathname !== '/api/events' || !allowedHost(request.headers.host) || fromOtherSite(request) || !socketAuthorized(request, url)) {
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

/** Waits until the client has taken what was written, or has gone; the listeners go with it, as a zip waits many times. */
function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

function statusOf(shape: KilnErrorShape): number {
  if (shape.code === 'invalid_argument' || shape.code === 'bad_input') return 400;
  if (shape.code === 'not_found') return 404;
  if (shape.code === 'unauthorized') return 403;
  return shape.code === 'cancelled' ? 409 : 500;
}

/**
 * Answers before (or instead of) reading the rest of the body: the connection is closed after the answer,
 * so the client stops sending and nothing more is read.
 */
function refuseUpload(request: IncomingMessage, response: ServerResponse, status: number, error: KilnErrorShape): void {
  response.setHeader('connection', 'close');
  sendJson(response, status, { ok: false, error });
  response.once('finish', () => request.destroy());
}

function sendJson(response: ServerResponse, status: number, body: WireResult | UploadResult): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
