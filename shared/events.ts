/** The typed event stream from the engine to every connected UI. */
import type { Job } from './api.js';

export type KilnEvent = { type: 'job.updated'; job: Job } | { type: 'projects.changed' } | { type: 'datasets.changed'; projectId: string };

export type KilnEventListener = (event: KilnEvent) => void;
export type Unsubscribe = () => void;
