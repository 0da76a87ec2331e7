/**
 * The only bridge between the sandboxed renderer and the engine. It exposes
 * `window.kiln` with four functions and nothing else from Node or Electron.
 * Bundled to CommonJS, because sandboxed preloads cannot be ES modules.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { isMethodName } from '../../shared/api.js';
import type { KilnBridge } from '../../shared/bridge.js';
import { receiveEvents } from '../../shared/events.js';
import { ipcChannels } from './ipc.js';

const bridge: KilnBridge = {
  call: async (method, input) => {
    if (!isMethodName(method))
      return { ok: false, error: { code: 'invalid_argument', message: `Unknown method ${String(method)}.`, field: 'method' } };
    return ipcRenderer.invoke(ipcChannels.call, method, input);
  },
  subscribe: (listener) => {
    // What arrives over IPC is checked before the page sees it, as the browser transport checks the WebSocket.
    const receive = receiveEvents(listener, (problem) => console.error(`Kiln dropped an event from the engine: ${problem}`));
    const handler = (_event: IpcRendererEvent, payload: unknown) => receive(payload);
    ipcRenderer.on(ipcChannels.event, handler);
    return () => ipcRenderer.removeListener(ipcChannels.event, handler);
  },
  pathForFile: (file) => webUtils.getPathForFile(file),
  showBundleInFolder: (exportId) => ipcRenderer.invoke(ipcChannels.showBundle, String(exportId)),
};

contextBridge.exposeInMainWorld('kiln', bridge);
