/**
 * The one way the renderer reads a job's result. A job's kind decides its
 * result's type (shared/api/jobs.ts), and the engine checked the result against
 * that kind's schema when the job produced it, so no store casts or re-parses.
 */
import type { Job, JobKind, JobOf, JobResultOf } from '../../../shared/api.js';

/** Whether the job is of this kind; narrows it, result included. */
export function isJobOf<K extends JobKind>(job: Job | null | undefined, kind: K): job is JobOf<K> {
  return job !== null && job !== undefined && job.kind === kind;
}

/** The result of a job of `kind` once it has succeeded; null for any other job or state. */
export function jobResult<K extends JobKind>(job: Job | null | undefined, kind: K): JobResultOf<K> | null {
  if (!isJobOf(job, kind) || job.state !== 'succeeded') return null;
  // For a generic K, TypeScript cannot see that Extract<Job, { kind: K }>['result'] is K's result; for each concrete kind it is.
  return job.result as JobResultOf<K> | null;
}
