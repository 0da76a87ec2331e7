/**
 * Picks the transport for this shell: the Electron preload bridge when it is
 * there, otherwise HTTP + WebSocket to the browser-mode host with its token.
 */
import type { z } from 'zod';
import { JobHandle, StagedUpload, schemasOf, type MethodInput, type MethodName, type MethodOutput } from '../../../shared/api.js';
import type { KilnBridge } from '../../../shared/bridge.js';
import { createClient, type KilnClient, type Transport, type WireFailure } from '../../../shared/client.js';
import { KilnError, isKilnErrorShape } from '../../../shared/errors.js';
import { receiveEvents, type KilnEventListener } from '../../../shared/events.js';

declare global {
  interface Window {
    kiln?: KilnBridge;
  }
}

/** What crossed is read by the method's output schema: the engine checked it before sending, this checks what arrived. */
function unwrap<T>(result: { ok: true; value: unknown } | WireFailure, schema: z.ZodType<T>, what: string): T {
  if (!result.ok) throw KilnError.fromShape(result.error);
  const value = schema.safeParse(result.value);
  if (value.success) return value.data;
  console.error(`Kiln: the answer to ${what} does not match the contract: ${value.error.message}`);
  throw new KilnError(
    'internal',
    `The engine's answer to ${what} is not what this window expects (an internal error). Reload the window; if it happens again, the browser console has the detail.`,
  );
}

function electronTransport(bridge: KilnBridge): Transport {
  return {
    call: async (method, input) => unwrap(await bridge.call(method, input), schemasOf(method).output, method),
    subscribe: (listener) => bridge.subscribe(listener),
  };
}

/** The token arrives once in the URL; it is kept for this tab and removed from the address bar. */
function browserToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem('kiln.token', fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem('kiln.token') ?? '';
}

/** The host's envelope; its value is JSON of any shape until unwrap reads it by the method's output schema. */
async function readWire(response: Response): Promise<{ ok: true; value: unknown } | WireFailure> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new KilnError('internal', `The Kiln host answered ${response.status} without a readable body.`);
  }
  if (typeof body === 'object' && body !== null && 'ok' in body) {
    if (body.ok === true && 'value' in body) return { ok: true, value: body.value };
    if (body.ok === false && 'error' in body && isKilnErrorShape(body.error)) return { ok: false, error: body.error };
  }
  if (isKilnErrorShape(body)) throw KilnError.fromShape(body);
  throw new KilnError('internal', `The Kiln host answered ${response.status}.`);
}

/** Text that is not JSON is no event either: it becomes undefined, which the event check refuses and reports. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

class BrowserTransport implements Transport {
  private readonly listeners = new Set<KilnEventListener>();
  private socket: WebSocket | undefined;
  private retryMs = 500;

  constructor(private readonly token: string) {}

  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
    const response = await fetch('api/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ method, input }),
    });
    return unwrap(await readWire(response), schemasOf(method).output, method);
  }

  /** Streams a file to the host; with `importNow` it starts the import job, otherwise it only stores the file. */
  async upload(projectId: string, file: File, importNow: true): Promise<JobHandle>;
  async upload(projectId: string, file: File, importNow: false): Promise<StagedUpload>;
  async upload(projectId: string, file: File, importNow: boolean): Promise<JobHandle | StagedUpload> {
    const query = new URLSearchParams({ projectId, name: file.name });
    if (!importNow) query.set('import', 'no');
    const response = await fetch(`api/upload?${query.toString()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${this.token}` },
      body: file,
    });
    const answer: z.ZodType<JobHandle | StagedUpload> = importNow ? JobHandle : StagedUpload;
    return unwrap(await readWire(response), answer, 'the upload');
  }

  /**
   * Fetches the bundle's zip with the token in the header (a plain link could not carry it) and hands it to
   * the browser as a download. The host streams it; the page holds it once, as the file the user saves.
   */
  async downloadBundle(exportId: string): Promise<void> {
    const response = await fetch(`api/exports/${encodeURIComponent(exportId)}/bundle.zip`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!response.ok) {
      const answer = await readWire(response);
      if (!answer.ok) throw KilnError.fromShape(answer.error);
      throw new KilnError('internal', `The Kiln host answered ${response.status}.`);
    }
    const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'kiln-bundle.zip';
    const href = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = href;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    // The click has handed the file to the browser's download; the object URL can go after this turn.
    setTimeout(() => URL.revokeObjectURL(href), 0);
  }

  subscribe(listener: KilnEventListener): () => void {
    this.listeners.add(listener);
    this.connect();
    return () => this.listeners.delete(listener);
  }

  /** Every message is checked against the event schema; one that does not match is dropped, and the first such is logged. */
  private readonly receive = (() => {
    const deliver = receiveEvents(
      (event) => {
        for (const listener of this.listeners) listener(event);
      },
      (problem) => console.error(`Kiln dropped an event from the engine: ${problem}`),
    );
    return (text: string) => deliver(parseJson(text));
  })();

  private connect(): void {
    if (this.socket) return;
    const url = new URL('api/events', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', this.token);
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
    };
    socket.onmessage = (message) => this.receive(String(message.data));
    socket.onclose = () => {
      this.socket = undefined;
      // The host restarts during development; reconnect with backoff.
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }
}

/** How this shell lets the user take a bundle away: a zip download in a browser, the folder itself in Electron. */
export type BundleAccess =
  | { kind: 'download'; download(exportId: string): Promise<void> }
  | { kind: 'show-in-folder'; showInFolder(exportId: string): Promise<void> };

export interface Connection {
  client: KilnClient;
  bundleAccess: BundleAccess;
  /** Hands a file the user dropped or picked to the engine, however this shell can. Returns the import job. */
  importFile(projectId: string, file: File): Promise<{ jobId: string }>;
  /** Makes a file readable by the engine without importing it (browser mode uploads it), for a preview first. */
  stageFile(projectId: string, file: File): Promise<{ path: string; name: string }>;
}

export function connect(): Connection {
  const bridge = window.kiln;
  if (bridge) {
    const client = createClient(electronTransport(bridge));
    return {
      client,
      bundleAccess: {
        kind: 'show-in-folder',
        showInFolder: async (exportId) => {
          const answer = await bridge.showBundleInFolder(exportId);
          if (!answer.ok) throw KilnError.fromShape(answer.error);
        },
      },
      importFile: (projectId, file) => client.call('datasets.import', { projectId, path: bridge.pathForFile(file), name: file.name }),
      stageFile: async (_projectId, file) => ({ path: bridge.pathForFile(file), name: file.name }),
    };
  }
  const transport = new BrowserTransport(browserToken());
  const client = createClient(transport);
  return {
    client,
    bundleAccess: { kind: 'download', download: (exportId) => transport.downloadBundle(exportId) },
    importFile: async (projectId, file) => {
      try {
        return await transport.upload(projectId, file, true);
      } catch (error) {
        if (error instanceof KilnError) throw error;
        throw new KilnError('internal', error instanceof Error ? error.message : String(error));
      }
    },
    stageFile: async (projectId, file) => {
      try {
        return await transport.upload(projectId, file, false);
      } catch (error) {
        if (error instanceof KilnError) throw error;
        throw new KilnError('internal', error instanceof Error ? error.message : String(error));
      }
    },
  };
}

export const connection = connect();
export const api = connection.client;
