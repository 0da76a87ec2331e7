/**
 * The typed client both UI shells use. A transport moves each call with its
 * method's types; this wrapper turns wire errors back into KilnError.
 */
import type { MethodInput, MethodName, MethodOutput } from './api.js';
import { KilnError, isKilnErrorShape, type KilnErrorShape } from './errors.js';
import type { KilnEventListener, Unsubscribe } from './events.js';

export interface Transport {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  subscribe(listener: KilnEventListener): Unsubscribe;
}

export type KilnClient = Transport;

export function createClient(transport: Transport): KilnClient {
  return {
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      try {
        return await transport.call(method, input);
      } catch (error) {
        if (error instanceof KilnError) throw error;
        if (isKilnErrorShape(error)) throw KilnError.fromShape(error);
        throw new KilnError('internal', error instanceof Error ? error.message : String(error));
      }
    },
    subscribe: (listener) => transport.subscribe(listener),
  };
}

export interface WireFailure {
  ok: false;
  error: KilnErrorShape;
}

/**
 * The result envelope both transports use on the wire. The engine checked the
 * call's input against the method's schema and its handler is typed by the
 * method's output, so the value is that output.
 */
export type WireResult<M extends MethodName = MethodName> = { ok: true; value: MethodOutput<M> } | WireFailure;
