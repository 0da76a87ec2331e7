/**
 * The one contract between the UI and the engine.
 *
 * Each method has an input schema (validated at the boundary, in the engine) and
 * an output schema (its type is what callers get back). Transports only move
 * `{method, input}` and results; they never know what a method means. The
 * methods are defined per domain in shared/api/ and joined here.
 */
import { z } from 'zod';
import { coreMethods } from './api/core.js';
import { importingMethods } from './api/importing.js';
import { cleanMethods } from './api/clean.js';
import { profileMethods } from './api/profile.js';
import { trainMethods } from './api/train.js';
import { exportMethods } from './api/export.js';
import { jobMethods } from './api/jobs.js';

export * from './api/core.js';
export * from './api/importing.js';
export * from './api/clean.js';
export * from './api/profile.js';
export * from './api/train.js';
export * from './api/export.js';
export * from './api/jobs.js';
export * from './api/evaluation.js';
export { Id } from './api/method.js';

export const apiMethods = {
  ...coreMethods,
  ...jobMethods,
  ...importingMethods,
  ...cleanMethods,
  ...profileMethods,
  ...trainMethods,
  ...exportMethods,
} as const;

export type ApiMethods = typeof apiMethods;
export type MethodName = keyof ApiMethods;
export type MethodInput<M extends MethodName> = z.input<ApiMethods[M]['input']>;
export type ParsedInput<M extends MethodName> = z.output<ApiMethods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<ApiMethods[M]['output']>;

/** What any one call may answer: the output of one of the methods. A transport that reads the name off the wire has only this. */
export type ApiOutput = MethodOutput<MethodName>;

export const methodNames = Object.keys(apiMethods) as MethodName[];

export function isMethodName(value: unknown): value is MethodName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(apiMethods, value);
}

/** What the engine implements: one async handler per method, given already-validated input. */
export type ApiHandlers = {
  [M in MethodName]: (input: ParsedInput<M>) => Promise<MethodOutput<M>>;
};

/** The handlers for a subset of methods, as each engine module provides them. */
export type HandlersFor<M extends MethodName> = Pick<ApiHandlers, M>;

/**
 * The method table seen through each method's own types. Assigning the table to
 * this mapped type checks every method once, by its concrete name; indexing it
 * with a generic name then keeps the link between a name and its schemas, which
 * indexing `apiMethods` itself loses (TypeScript widens it to the union of all).
 */
type MethodSchemas = {
  [M in MethodName]: { input: z.ZodType<ParsedInput<M>, MethodInput<M>>; output: z.ZodType<MethodOutput<M>> };
};
const methodSchemas: MethodSchemas = apiMethods;

/** The input and output schema of one method, typed by its name. */
export function schemasOf<M extends MethodName>(method: M): MethodSchemas[M] {
  return methodSchemas[method];
}

/**
 * The engine's entry point as transports see it. A caller that names the method
 * in code gets that method's output; one that reads the name off the wire gets
 * one of the outputs. Either way the engine checks the name, then the input
 * against the method's schema, then the handler's answer against its output.
 */
export interface ApiDispatch {
  <M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  /** Name and input as they came off the wire; both are checked before any handler runs. */
  (method: unknown, input: unknown): Promise<ApiOutput>;
}

/** Where browser mode's upload route stored a file when asked not to import it yet (`?import=no`). */
export const StagedUpload = z.object({ path: z.string(), name: z.string() });
export type StagedUpload = z.infer<typeof StagedUpload>;
