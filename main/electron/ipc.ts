/**
 * IPC wiring for the Electron shell, written against small interfaces rather
 * than Electron itself so that it can be tested without an Electron binary.
 */
import type { ApiDispatch } from '../../shared/api.js';
import type { WireFailure, WireResult } from '../../shared/client.js';
import { KilnError, toErrorShape } from '../../shared/errors.js';
import { describeError, publicMessage } from '../engine/jobs/jobs.js';
import { encodeEvent, type KilnEvent, type KilnEventType, type Unsubscribe } from '../../shared/events.js';

export const ipcChannels = {
  call: 'kiln:call',
  event: 'kiln:event',
  showBundle: 'kiln:show-bundle',
} as const;

export interface IpcSenderFrameLike {
  url: string;
}

export interface IpcInvokeEventLike {
  senderFrame: IpcSenderFrameLike | null;
}

export interface IpcMainLike {
  /** The arguments are whatever the renderer sent; the engine checks them before any handler runs. */
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<WireResult>): void;
  removeHandler(channel: string): void;
}

/** What "Show in folder" answers: done, or why not. */
export type ShowBundleResult = { ok: true } | WireFailure;

export interface IpcShowBundleMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<ShowBundleResult>): void;
  removeHandler(channel: string): void;
}

export interface EngineLike {
  dispatch: ApiDispatch;
  onEvent(listener: (event: KilnEvent) => void): Unsubscribe;
}

export interface EventSinkLike {
  send(channel: string, event: KilnEvent): void;
}

/**
 * Registers the one API channel. A call from any frame that is not our own
 * renderer (a navigated-away page, an iframe) is refused.
 */
export function registerApiIpc(
  ipcMain: IpcMainLike,
  engine: EngineLike,
  isTrustedSender: (frameUrl: string) => boolean,
  sinks: () => EventSinkLike[],
  report: (line: string) => void = (line) => console.error(line),
): () => void {
  // The engine checked the answer against the method's output schema, so the value is that method's output.
  ipcMain.handle(ipcChannels.call, async (event, method, input): Promise<WireResult> => {
    const url = event.senderFrame?.url ?? '';
    if (!isTrustedSender(url)) {
      return { ok: false, error: { code: 'unauthorized', message: `Refused an API call from ${url || 'an unknown frame'}.` } };
    }
    try {
      return { ok: true, value: await engine.dispatch(method, input) };
    } catch (error) {
      // Kiln's words for what it refused cross; an internal error's detail (engine text, paths) goes to the log only.
      const shape = toErrorShape(error);
      if (shape.code !== 'internal') return { ok: false, error: shape };
      report(`kiln: internal error answering ${String(method)}: ${describeError(error)}`);
      return { ok: false, error: { code: 'internal', message: publicMessage(error) } };
    }
  });
  // An event that fails its schema is an engine bug; it is reported once per type, and never sent.
  const reported = new Set<KilnEventType>();
  const unsubscribe = engine.onEvent((event) => {
    const wire = encodeEvent(event);
    if (!('text' in wire)) {
      if (!reported.has(event.type)) report(`kiln: dropped an event that does not match the contract: ${wire.problem}`);
      reported.add(event.type);
      return;
    }
    for (const sink of sinks()) sink.send(ipcChannels.event, wire.event);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(ipcChannels.call);
  };
}

/** Only pages loaded from the built renderer folder may call the engine. */
export function rendererUrlCheck(rendererIndexUrl: string): (frameUrl: string) => boolean {
  const base = new URL('.', rendererIndexUrl).href;
  return (frameUrl) => {
    try {
      const url = new URL(frameUrl);
      return url.protocol === 'file:' && url.href.startsWith(base);
    } catch {
      return false;
    }
  };
}

/**
 * Registers "Show in folder": the renderer names an export by its id, and the folder shown is the one the
 * engine recorded for it, so a page cannot make the shell reveal (or open) an arbitrary path.
 */
export function registerShowBundleIpc(
  ipcMain: IpcShowBundleMainLike,
  engine: Pick<EngineLike, 'dispatch'>,
  isTrustedSender: (frameUrl: string) => boolean,
  showItemInFolder: (path: string) => void,
): () => void {
  ipcMain.handle(ipcChannels.showBundle, async (event, exportId): Promise<ShowBundleResult> => {
    const url = event.senderFrame?.url ?? '';
    if (!isTrustedSender(url)) {
      return { ok: false, error: { code: 'unauthorized', message: `Refused a request from ${url || 'an unknown frame'}.` } };
    }
    try {
      if (typeof exportId !== 'string') throw new KilnError('invalid_argument', 'An export id is needed.', 'exportId');
      const bundle = (await engine.dispatch('export.list', {})).find((item) => item.id === exportId);
      if (!bundle) throw new KilnError('not_found', 'There is no such export.', 'exportId');
      showItemInFolder(bundle.bundle);
      return { ok: true };
    } catch (error) {
      return { ok: false, error: toErrorShape(error) };
    }
  });
  return () => ipcMain.removeHandler(ipcChannels.showBundle);
}
