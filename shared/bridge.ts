/** What the Electron preload exposes as `window.kiln`. The renderer only sees this type. */
import type { MethodInput, MethodName } from './api.js';
import type { WireFailure, WireResult } from './client.js';
import type { KilnEventListener, Unsubscribe } from './events.js';

export interface KilnBridge {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<WireResult<M>>;
  /** Events are checked against the contract in the preload; the listener only gets ones that match. */
  subscribe(listener: KilnEventListener): Unsubscribe;
  /** The real path of a dropped file (Electron's webUtils.getPathForFile). */
  pathForFile(file: File): string;
  /** Opens the system file manager on the folder of a bundle the engine made, named by its export id (never a path). */
  showBundleInFolder(exportId: string): Promise<{ ok: true } | WireFailure>;
}
