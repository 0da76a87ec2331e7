/**
 * The event stream from the engine to every connected UI. Events are checked
 * against these schemas where they cross a transport: the engine's side checks
 * what it sends, the UI's side what it receives, and an event that does not
 * match is dropped rather than handed to a store.
 */
import { z } from 'zod';
import { Job } from './api/jobs.js';
import { EpochRecord, ModelFamily, Run } from './api/train.js';

export const KilnEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job.updated'), job: Job }),
  z.object({ type: z.literal('projects.changed') }),
  z.object({ type: z.literal('datasets.changed'), projectId: z.string() }),
  /** A training run's live progress: one event per epoch or boosting round. */
  z.object({
    type: z.literal('run.progress'),
    runId: z.string(),
    jobId: z.string(),
    projectId: z.string(),
    model: ModelFamily,
    backend: z.string(),
    device: z.string(),
    metricName: z.string(),
    record: EpochRecord,
    /** 0..1 within this run. */
    fraction: z.number().min(0).max(1),
    etaSeconds: z.number().nullable(),
  }),
  /** A run was created or finished; the UI reloads its list. */
  z.object({ type: z.literal('runs.changed'), projectId: z.string(), run: Run }),
]);
export type KilnEvent = z.infer<typeof KilnEvent>;
export type KilnEventType = KilnEvent['type'];

export type KilnEventListener = (event: KilnEvent) => void;
export type Unsubscribe = () => void;

export type EventCheck = { ok: true; event: KilnEvent } | { ok: false; problem: string };

/** Checks a value that arrived from a transport (parsed JSON, or a structured clone over IPC). */
export function checkEvent(value: unknown): EventCheck {
  const parsed = KilnEvent.safeParse(value);
  if (parsed.success) return { ok: true, event: parsed.data };
  const type = typeof value === 'object' && value !== null && 'type' in value ? String(value.type) : 'without a type';
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'event'}: ${issue.message}`)
    .join('; ');
  return { ok: false, problem: `event ${type} (${issues})` };
}

export interface WireEvent {
  /** The event as it travels: JSON, so NaN and Infinity have already become null, as every transport would make them. */
  event: KilnEvent;
  text: string;
}

const encoded = new WeakMap<KilnEvent, WireEvent | { problem: string }>();

/**
 * The checked wire form of an event the engine emits, or why it cannot be
 * sent. Every connected client gets the same event object, so it is encoded
 * and checked once.
 */
export function encodeEvent(event: KilnEvent): WireEvent | { problem: string } {
  const cached = encoded.get(event);
  if (cached) return cached;
  const checked = checkEvent(JSON.parse(JSON.stringify(event)));
  // The checked copy is what is sent: keys the schema does not know stay behind.
  const result = checked.ok ? { event: checked.event, text: JSON.stringify(checked.event) } : { problem: checked.problem };
  encoded.set(event, result);
  return result;
}

/**
 * Wraps a listener for events from a transport: values that are not events are
 * dropped, and the first of them is reported (a mismatch is a version or
 * engine bug, and one report says so without flooding the console).
 */
export function receiveEvents(listener: KilnEventListener, report: (problem: string) => void): (value: unknown) => void {
  let reported = false;
  return (value) => {
    const checked = checkEvent(value);
    if (checked.ok) {
      listener(checked.event);
      return;
    }
    if (reported) return;
    reported = true;
    report(checked.problem);
  };
}
