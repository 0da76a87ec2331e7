/** What the Electron preload exposes as `window.kiln`. The renderer only sees this type. */
import type { MethodName } from './api.js';
import type { WireResult } from './client.js';
import type { KilnEventListener, Unsubscribe } from './events.js';

export interface KilnBridge {
  call(method: MethodName, input: unknown): Promise<WireResult>;
  subscribe(listener: KilnEventListener): Unsubscribe;
  /** The real path of a dropped file (Electron's webUtils.getPathForFile). */
  pathForFile(file: File): string;
}
