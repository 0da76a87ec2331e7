/**
 * IPC wiring for the Electron shell, written against small interfaces rather
 * than Electron itself so that it can be tested without an Electron binary.
 */
import type { WireResult } from '../../shared/client.js';
import { toErrorShape } from '../../shared/errors.js';
import type { KilnEvent, Unsubscribe } from '../../shared/events.js';

export const ipcChannels = {
  call: 'kiln:call',
  event: 'kiln:event',
} as const;

export interface IpcSenderFrameLike {
  url: string;
}

export interface IpcInvokeEventLike {
  senderFrame: IpcSenderFrameLike | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface EngineLike {
  dispatch(method: unknown, input: unknown): Promise<unknown>;
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
): () => void {
  ipcMain.handle(ipcChannels.call, async (event, method, input): Promise<WireResult> => {
    const url = event.senderFrame?.url ?? '';
    if (!isTrustedSender(url)) {
      return { ok: false, error: { code: 'unauthorized', message: `Refused an API call from ${url || 'an unknown frame'}.` } };
    }
    try {
      return { ok: true, value: await engine.dispatch(method, input) };
    } catch (error) {
      return { ok: false, error: toErrorShape(error) };
    }
  });
  const unsubscribe = engine.onEvent((event) => {
    for (const sink of sinks()) sink.send(ipcChannels.event, event);
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
