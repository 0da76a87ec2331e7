/**
 * Picks the transport for this shell: the Electron preload bridge when it is
 * there, otherwise HTTP + WebSocket to the browser-mode host with its token.
 */
import type { MethodName } from '../../../shared/api.js';
import type { KilnBridge } from '../../../shared/bridge.js';
import { createClient, type KilnClient, type Transport, type WireResult } from '../../../shared/client.js';
import { KilnError, isKilnErrorShape } from '../../../shared/errors.js';
import type { KilnEvent, KilnEventListener } from '../../../shared/events.js';

declare global {
  interface Window {
    kiln?: KilnBridge;
  }
}

function unwrap(result: WireResult): unknown {
  if (result.ok) return result.value;
  throw KilnError.fromShape(result.error);
}

function electronTransport(bridge: KilnBridge): Transport {
  return {
    call: async (method, input) => unwrap(await bridge.call(method, input)),
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

async function readWire(response: Response): Promise<WireResult> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new KilnError('internal', `The Kiln host answered ${response.status} without a readable body.`);
  }
  if (typeof body === 'object' && body !== null && 'ok' in body) return body as WireResult;
  if (isKilnErrorShape(body)) throw KilnError.fromShape(body);
  throw new KilnError('internal', `The Kiln host answered ${response.status}.`);
}

class BrowserTransport implements Transport {
  private readonly listeners = new Set<KilnEventListener>();
  private socket: WebSocket | undefined;
  private retryMs = 500;

  constructor(private readonly token: string) {}

  async call(method: MethodName, input: unknown): Promise<unknown> {
    const response = await fetch('api/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ method, input }),
    });
    return unwrap(await readWire(response));
  }

  async upload(projectId: string, file: File, importNow = true): Promise<unknown> {
    const query = new URLSearchParams({ projectId, name: file.name });
    if (!importNow) query.set('import', 'no');
    const response = await fetch(`api/upload?${query.toString()}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${this.token}` },
      body: file,
    });
    return unwrap(await readWire(response));
  }

  subscribe(listener: KilnEventListener): () => void {
    this.listeners.add(listener);
    this.connect();
    return () => this.listeners.delete(listener);
  }

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
    socket.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as KilnEvent;
      for (const listener of this.listeners) listener(event);
    };
    socket.onclose = () => {
      this.socket = undefined;
      // The host restarts during development; reconnect with backoff.
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }
}

export interface Connection {
  client: KilnClient;
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
      importFile: (projectId, file) => client.call('datasets.import', { projectId, path: bridge.pathForFile(file), name: file.name }),
      stageFile: async (_projectId, file) => ({ path: bridge.pathForFile(file), name: file.name }),
    };
  }
  const transport = new BrowserTransport(browserToken());
  const client = createClient(transport);
  return {
    client,
    importFile: async (projectId, file) => {
      try {
        return (await transport.upload(projectId, file)) as { jobId: string };
      } catch (error) {
        if (error instanceof KilnError) throw error;
        throw new KilnError('internal', error instanceof Error ? error.message : String(error));
      }
    },
    stageFile: async (projectId, file) => {
      try {
        return (await transport.upload(projectId, file, false)) as { path: string; name: string };
      } catch (error) {
        if (error instanceof KilnError) throw error;
        throw new KilnError('internal', error instanceof Error ? error.message : String(error));
      }
    },
  };
}

export const connection = connect();
export const api = connection.client;
