import { z } from 'zod';

export const Id = z.string().min(1).max(64);

/** One API method: its input schema (checked by the engine), its output schema (the type callers get) and a line of help. */
export function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O, doc: string) {
  return { input, output, doc };
}
