/**
 * The Electron transport, driven without Electron: no Electron binary can run on
 * these machines, so a fake IpcMainLike stands in for ipcMain and hands the
 * handler the same `senderFrame.url` that Electron would. Everything behind it
 * (registerApiIpc, the real Engine on a real SQLite file, createClient) is real.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Job, MethodInput, MethodName } from '../../../shared/api.js';
import { createClient, type KilnClient, type Transport, type WireResult } from '../../../shared/client.js';
import { KilnError } from '../../../shared/errors.js';
import type { KilnEvent, KilnEventListener } from '../../../shared/events.js';
import type { Engine } from '../../../main/engine/engine.js';
import {
  ipcChannels,
  registerApiIpc,
  registerShowBundleIpc,
  rendererUrlCheck,
  type EventSinkLike,
  type IpcInvokeEventLike,
  type IpcMainLike,
} from '../../../main/electron/ipc.js';
import { internalFailureMessage } from '../../../main/engine/jobs/jobs.js';
import { adultCsv, createTestEngine } from '../../helpers/engine.js';

type Handler = (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>;

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Handler>();

  handle(channel: string, listener: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  /** What ipcRenderer.invoke does from a frame at `frameUrl`. */
  async invoke(frameUrl: string | null, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler({ senderFrame: frameUrl === null ? null : { url: frameUrl } }, ...args);
  }
}

/** Stands in for a window's webContents. */
class FakeSink implements EventSinkLike {
  readonly received: { channel: string; event: KilnEvent }[] = [];
  readonly listeners = new Set<KilnEventListener>();

  send(channel: string, event: KilnEvent): void {
    this.received.push({ channel, event });
    if (channel === ipcChannels.event) for (const listener of this.listeners) listener(event);
  }
}

const rendererIndex = pathToFileURL(join('/opt', 'Kiln', 'resources', 'app.asar', 'dist', 'renderer', 'index.html')).href;

/** What the preload plus renderer/src/api/transport.ts do with the bridge, over the fake IPC. */
function ipcTransport(ipc: FakeIpcMain, sink: FakeSink, frameUrl: string): Transport {
  return {
    call: async <M extends MethodName>(method: M, input: MethodInput<M>) => {
      const result = (await ipc.invoke(frameUrl, ipcChannels.call, method, input)) as WireResult<M>;
      if (result.ok) return result.value;
      // Thrown as the plain wire shape: createClient must turn it back into a KilnError.
      throw result.error;
    },
    subscribe: (listener) => {
      sink.listeners.add(listener);
      return () => sink.listeners.delete(listener);
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<KilnError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KilnError);
    return error as KilnError;
  }
  throw new Error('expected the call to be refused');
}

describe('Electron IPC transport', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  let ipc: FakeIpcMain;
  let sinks: FakeSink[];
  let unregister: () => void;
  let client: KilnClient;

  beforeAll(async () => {
    ({ engine, cleanup } = await createTestEngine());
    ipc = new FakeIpcMain();
    sinks = [new FakeSink(), new FakeSink()];
    unregister = registerApiIpc(ipc, engine, rendererUrlCheck(rendererIndex), () => sinks);
    client = createClient(ipcTransport(ipc, sinks[0]!, rendererIndex));
  });

  afterAll(async () => {
    unregister();
    await cleanup();
  });

  it('registers exactly the one API channel', () => {
    expect([...ipc.handlers.keys()]).toEqual([ipcChannels.call]);
  });

  it('a call from the renderer file:// URL reaches the engine', async () => {
    const project = await client.call('projects.create', { name: 'Over IPC' });
    expect(project.name).toBe('Over IPC');
    const projects = await client.call('projects.list', {});
    expect(projects.map((item) => item.id)).toContain(project.id);
    // The same call seen on the wire: the result envelope.
    const wire = (await ipc.invoke(`${rendererIndex}#/project`, ipcChannels.call, 'projects.get', { projectId: project.id })) as WireResult;
    expect(wire).toMatchObject({ ok: true, value: { id: project.id, name: 'Over IPC' } });
  });

  it('a call from another URL is refused as unauthorized and never reaches the engine', async () => {
    const before = (await client.call('projects.list', {})).length;
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'file:///opt/Kiln/resources/other/index.html', 'not a url']) {
      const wire = (await ipc.invoke(url, ipcChannels.call, 'projects.create', { name: 'Injected' })) as WireResult;
      expect(wire.ok).toBe(false);
      if (!wire.ok) expect(wire.error.code).toBe('unauthorized');
    }
    const frameless = (await ipc.invoke(null, ipcChannels.call, 'projects.list', {})) as WireResult;
    expect(frameless).toMatchObject({ ok: false, error: { code: 'unauthorized' } });

    const evil = createClient(ipcTransport(ipc, sinks[0]!, 'https://evil.example/'));
    const error = await rejection(evil.call('projects.list', {}));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toContain('https://evil.example/');
    expect((await client.call('projects.list', {})).length).toBe(before);
  });

  it('engine errors come back through createClient as KilnErrors with their field', async () => {
    const invalid = await rejection(client.call('projects.create', { name: '' }));
    expect(invalid).toMatchObject({ code: 'invalid_argument', field: 'name' });
    const missing = await rejection(client.call('projects.get', { projectId: 'prj_nothere' }));
    expect(missing).toMatchObject({ code: 'not_found', field: 'projectId' });
    const unknownMethod = await rejection(client.call('no.such' as MethodName, {} as never));
    expect(unknownMethod).toMatchObject({ code: 'invalid_argument', field: 'method' });
  });

  it('imports a CSV by path, forwards job events to every sink, and previews the rows', async () => {
    const project = await client.call('projects.create', { name: 'Census via IPC' });
    const seen: Job[] = [];
    const finished = new Promise<Job>((resolve) => {
      const unsubscribe = client.subscribe((event) => {
        if (event.type !== 'job.updated') return;
        seen.push(event.job);
        if (['succeeded', 'failed', 'cancelled'].includes(event.job.state)) {
          unsubscribe();
          resolve(event.job);
        }
      });
    });
    const { jobId } = await client.call('datasets.import', { projectId: project.id, path: adultCsv, name: 'adult.csv' });
    const final = await finished;
    expect(final.id).toBe(jobId);
    expect(final.state, final.error ?? '').toBe('succeeded');
    expect(seen.map((job) => job.state)).toContain('running');

    for (const sink of sinks) {
      expect(sink.received.every((item) => item.channel === ipcChannels.event)).toBe(true);
      const states = sink.received.flatMap(({ event }) =>
        event.type === 'job.updated' && event.job.id === jobId ? [event.job.state] : [],
      );
      expect(states.at(-1)).toBe('succeeded');
      expect(sink.received.some(({ event }) => event.type === 'datasets.changed' && event.projectId === project.id)).toBe(true);
    }

    const dataset = final.result as Dataset;
    const page = await client.call('datasets.preview', { datasetId: dataset.id, limit: 3 });
    expect(page.columns).toHaveLength(15);
    expect(page.totalRows).toBe(32_561);
    expect(page.rows[0]?.slice(0, 2)).toEqual([39, 'State-gov']);
  });

  it('a file that is not a CSV is refused with a reason before any job starts', async () => {
    const project = await client.call('projects.create', { name: 'Missing file' });
    const error = await rejection(client.call('datasets.import', { projectId: project.id, path: '/nowhere/adult.csv' }));
    expect(error).toMatchObject({ code: 'bad_input', field: 'path' });
    expect(error.message).toContain('does not exist');
    expect(await client.call('jobs.list', { projectId: project.id })).toEqual([]);
  });

  it('an event that breaks the contract is not sent to any window, and is reported once', () => {
    const local = new FakeIpcMain();
    const sink = new FakeSink();
    const reports: string[] = [];
    const stop = registerApiIpc(
      local,
      engine,
      rendererUrlCheck(rendererIndex),
      () => [sink],
      (line) => reports.push(line),
    );
    try {
      const broken = { type: 'datasets.changed', projectId: 42 } as unknown as KilnEvent;
      engine.context.emit(broken);
      engine.context.emit(broken);
      engine.context.emit({ type: 'datasets.changed', projectId: 'prj_checked' });
      expect(sink.received.map(({ event }) => event)).toEqual([{ type: 'datasets.changed', projectId: 'prj_checked' }]);
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatch(/datasets\.changed.*projectId/);
    } finally {
      stop();
    }
  });

  it('unregistering removes the handler and stops forwarding events', async () => {
    const local = new FakeIpcMain();
    const sink = new FakeSink();
    const stop = registerApiIpc(local, engine, rendererUrlCheck(rendererIndex), () => [sink]);
    await engine.call('projects.create', { name: 'Before stop' });
    const received = sink.received.length;
    expect(received).toBeGreaterThan(0);
    stop();
    expect(local.handlers.size).toBe(0);
    await engine.call('projects.create', { name: 'After stop' });
    expect(sink.received.length).toBe(received);
  });
});

describe('Show in folder over IPC', () => {
  const bundle = {
    id: 'exp_known',
    runId: 'run_known',
    bundle: '/home/someone/.kiln/artifacts/exports/run_known',
    onnx: '/home/someone/.kiln/artifacts/exports/run_known/model.onnx',
    onnxBytes: 10,
    parity: { rows: 1, maxAbsDiff: 0 },
    image: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  const engine = {
    dispatch: (async (method: unknown) => {
      if (method !== 'export.list') throw new Error(`unexpected ${String(method)}`);
      return [bundle];
    }) as Engine['dispatch'],
  };

  function setUp() {
    const ipc = new FakeIpcMain();
    const shown: string[] = [];
    const unregister = registerShowBundleIpc(ipc, engine, rendererUrlCheck(rendererIndex), (path) => shown.push(path));
    return { ipc, shown, unregister };
  }

  it('shows the folder the engine recorded for a known export', async () => {
    const { ipc, shown, unregister } = setUp();
    expect(await ipc.invoke(rendererIndex, ipcChannels.showBundle, 'exp_known')).toEqual({ ok: true });
    expect(shown).toEqual([bundle.bundle]);
    unregister();
    expect(ipc.handlers.has(ipcChannels.showBundle)).toBe(false);
  });

  it('shows nothing for an unknown id, a path, a value that is not a string, or a frame that is not the renderer', async () => {
    const { ipc, shown } = setUp();
    for (const exportId of ['exp_unknown', '/etc', bundle.bundle]) {
      expect(await ipc.invoke(rendererIndex, ipcChannels.showBundle, exportId)).toMatchObject({ ok: false, error: { code: 'not_found' } });
    }
    expect(await ipc.invoke(rendererIndex, ipcChannels.showBundle, { id: 'exp_known' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    expect(await ipc.invoke('https://evil.example/', ipcChannels.showBundle, 'exp_known')).toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
    expect(await ipc.invoke(null, ipcChannels.showBundle, 'exp_known')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(shown).toEqual([]);
  });
});

describe('internal errors over IPC', () => {
  it('answers an engine’s raw error with a plain message; the log has the engine text', async () => {
    const ipc = new FakeIpcMain();
    const logged: string[] = [];
    const engineText = `Binder Error: Referenced column "x" not found\nLINE 1: SELECT trim("x") FROM read_csv('/home/someone/.kiln/uploads/a.csv')`;
    const engine = {
      dispatch: (async () => {
        throw new Error(engineText);
      }) as Engine['dispatch'],
      onEvent: () => () => undefined,
    };
    registerApiIpc(
      ipc,
      engine,
      rendererUrlCheck(rendererIndex),
      () => [],
      (line) => logged.push(line),
    );
    const answer = await ipc.invoke(rendererIndex, ipcChannels.call, 'projects.list', {});
    expect(answer).toEqual({ ok: false, error: { code: 'internal', message: internalFailureMessage } });
    expect(logged.join('\n')).toContain('Binder Error: Referenced column "x" not found');
  });
});
