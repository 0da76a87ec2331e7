/**
 * The typed client both UI shells use. A transport moves untyped calls; this
 * wrapper gives every call its method's types and turns wire errors back into
 * KilnError.
 */
import type { MethodInput, MethodName, MethodOutput } from './api.js';
import { KilnError, isKilnErrorShape, type KilnErrorShape } from './errors.js';
import type { KilnEventListener, Unsubscribe } from './events.js';

export interface Transport {
  call(method: MethodName, input: unknown): Promise<unknown>;
  subscribe(listener: KilnEventListener): Unsubscribe;
}

export interface KilnClient {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  subscribe(listener: KilnEventListener): Unsubscribe;
}

export function createClient(transport: Transport): KilnClient {
  return {
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      try {
        return (await transport.call(method, input)) as MethodOutput<M>;
      } catch (error) {
        if (error instanceof KilnError) throw error;
        if (isKilnErrorShape(error)) throw KilnError.fromShape(error);
        throw new KilnError('internal', error instanceof Error ? error.message : String(error));
      }
    },
    subscribe: (listener) => transport.subscribe(listener),
  };
}

/** The result envelope both transports use on the wire. */
export type WireResult = { ok: true; value: unknown } | { ok: false; error: KilnErrorShape };
