/**
 * A handler's answer is checked against its method's output schema before it
 * leaves the engine: a bad one becomes the internal-error envelope on both
 * transports, and the detail goes to the log, never to the caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandlers, MethodOutput, Project } from '../../../shared/api.js';
import type { WireResult } from '../../../shared/client.js';
import { KilnError } from '../../../shared/errors.js';
import { createDispatch, outputMismatchMessage } from '../../../main/engine/engine.js';
import { ipcChannels, registerApiIpc, type EngineLike, type IpcInvokeEventLike, type IpcMainLike } from '../../../main/electron/ipc.js';
import { startHost, type HostEngine, type RunningHost } from '../../../main/host/server.js';
import { tempDir } from '../../helpers/engine.js';

const token = 'contract-token-0123456789abcdef';
const secret = 'a-value-that-must-not-cross';

const goodProject: Project = { id: 'prj_good', name: 'Census', createdAt: '2026-01-01', updatedAt: '2026-01-01', datasetCount: 0 };

/**
 * A broken handler is what this test is about, so its answer has to get past
 * the handler's own type: the count is text and a field the contract does not
 * name rides along.
 */
const badProject = { ...goodProject, id: secret, datasetCount: 'three' } as unknown as MethodOutput<'projects.get'>;

function handlers(): Partial<ApiHandlers> {
  return {
    'projects.get': async ({ projectId }) => (projectId === 'prj_bad' ? badProject : goodProject),
    // An answer with a key the schema does not name: only what the contract names may cross.
    'projects.list': async () => [{ ...goodProject, internalPath: '/home/someone/.kiln' } as Project],
  };
}

type Listener = Parameters<IpcMainLike['handle']>[1];

class FakeIpcMain implements IpcMainLike {
  readonly listeners = new Map<string, Listener>();
  handle(channel: string, listener: Listener): void {
    this.listeners.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.listeners.delete(channel);
  }
  async invoke(frameUrl: string, ...args: unknown[]): Promise<WireResult> {
    const listener = this.listeners.get(ipcChannels.call);
    if (!listener) throw new Error('no handler registered');
    const event: IpcInvokeEventLike = { senderFrame: { url: frameUrl } };
    return listener(event, ...args);
  }
}

describe('the engine checks each answer against its method’s output schema', () => {
  let logged: string[];
  let dispatch: ReturnType<typeof createDispatch>;

  beforeAll(() => {
    logged = [];
    dispatch = createDispatch(handlers(), (line) => logged.push(line));
  });

  it('passes an answer that fits, typed by the method name', async () => {
    const project = await dispatch('projects.get', { projectId: 'prj_good' });
    expect(project).toEqual(goodProject);
    expect(logged).toEqual([]);
  });

  it('sends only what the contract names', async () => {
    const projects = await dispatch('projects.list', {});
    expect(projects).toEqual([goodProject]);
    expect(JSON.stringify(projects)).not.toContain('internalPath');
  });

  it('turns an answer that does not fit into an internal error with a plain message, and logs where it broke', async () => {
    const failure = await dispatch('projects.get', { projectId: 'prj_bad' }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(KilnError);
    expect((failure as KilnError).code).toBe('internal');
    expect((failure as KilnError).message).toBe(outputMismatchMessage);
    expect((failure as KilnError).message).not.toContain(secret);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('projects.get');
    expect(logged[0]).toContain('datasetCount');
  });
});

describe('on the wire, a bad answer is the internal-error envelope, not the value', () => {
  let logged: string[];
  let engine: HostEngine & EngineLike;
  let host: RunningHost;

  beforeAll(async () => {
    logged = [];
    engine = {
      dispatch: createDispatch(handlers(), (line) => logged.push(line)),
      onEvent: () => () => undefined,
      workspace: { uploadsDir: await tempDir('kiln-contract-uploads-') },
    };
    host = await startHost({ engine, rendererDir: await tempDir('kiln-contract-renderer-'), port: 0, token });
  });

  afterAll(async () => {
    await host.close();
  });

  it('Electron IPC answers ok: false with the internal error', async () => {
    const ipc = new FakeIpcMain();
    const rendererUrl = 'file:///opt/Kiln/dist/renderer/index.html';
    registerApiIpc(
      ipc,
      engine,
      (url) => url === rendererUrl,
      () => [],
    );
    const good = await ipc.invoke(rendererUrl, 'projects.get', { projectId: 'prj_good' });
    expect(good).toEqual({ ok: true, value: goodProject });
    const bad = await ipc.invoke(rendererUrl, 'projects.get', { projectId: 'prj_bad' });
    expect(bad).toEqual({ ok: false, error: { code: 'internal', message: outputMismatchMessage } });
    expect(JSON.stringify(bad)).not.toContain(secret);
  });

  it('HTTP answers 500 with the internal error', async () => {
    const call = async (input: { projectId: string }) => {
      const response = await fetch(`http://127.0.0.1:${host.port}/api/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ method: 'projects.get', input }),
      });
      return { status: response.status, text: await response.text() };
    };
    const good = await call({ projectId: 'prj_good' });
    expect(good.status).toBe(200);
    expect(JSON.parse(good.text)).toEqual({ ok: true, value: goodProject });
    const bad = await call({ projectId: 'prj_bad' });
    expect(bad.status).toBe(500);
    expect(JSON.parse(bad.text)).toEqual({ ok: false, error: { code: 'internal', message: outputMismatchMessage } });
    expect(bad.text).not.toContain(secret);
    expect(logged.some((line) => line.includes('projects.get'))).toBe(true);
  });
});
