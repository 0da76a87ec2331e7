/**
 * Long tasks: each kind of job and the result it ends with. A job's `kind`
 * decides its `result`'s schema, so a reader who has checked the kind holds a
 * typed result, and the engine checks each result against its kind's schema
 * before it stores or sends it.
 *
 * This file sits above the domain files (it imports their result schemas), so
 * none of them imports it.
 */
import { z } from 'zod';
import { CleanResult, DatasetSplit } from './clean.js';
import { ImportedDataset, JobState } from './core.js';
import { ExportBundle } from './export.js';
import { Id, method } from './method.js';
import { ProfileJobResult } from './profile.js';
import { TrainResult } from './train.js';

/** The schema of each kind's result. A new kind is a line here and one in the union below; the compiler says if that one is missing. */
export const jobResultSchemas = {
  import: ImportedDataset,
  profile: ProfileJobResult,
  clean: CleanResult,
  split: DatasetSplit,
  train: TrainResult,
  export: ExportBundle,
  /** The bundle, now with the image built from it. */
  'docker-build': ExportBundle,
} as const;

export type JobResultSchemas = typeof jobResultSchemas;
export type JobKind = keyof JobResultSchemas;
export const JobKind = z.enum(Object.keys(jobResultSchemas) as [JobKind, ...JobKind[]]);

/** What a finished job of this kind returns. */
export type JobResultOf<K extends JobKind> = z.output<JobResultSchemas[K]>;

const jobFields = {
  id: z.string(),
  projectId: z.string().nullable(),
  state: JobState,
  stage: z.string(),
  /** 0..1, or null while the total is unknown. */
  fraction: z.number().min(0).max(1).nullable(),
  message: z.string(),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
};

/** A job of one kind; its result is null until it has succeeded. */
function jobOf<K extends JobKind>(kind: K) {
  // z.nullable(schema) keeps K's own schema in the type; schema.nullable() here would widen it to every kind's.
  return z.object({ ...jobFields, kind: z.literal(kind), result: z.nullable(jobResultSchemas[kind]) });
}

export const Job = z.discriminatedUnion('kind', [
  jobOf('import'),
  jobOf('profile'),
  jobOf('clean'),
  jobOf('split'),
  jobOf('train'),
  jobOf('export'),
  jobOf('docker-build'),
]);
export type Job = z.infer<typeof Job>;

/** A job of one kind. */
export type JobOf<K extends JobKind> = Extract<Job, { kind: K }>;

// Compiles only while the union above lists every kind of jobResultSchemas.
type Missing = Exclude<JobKind, Job['kind']>;
const everyKindListed: [Missing] extends [never] ? true : Missing = true;
void everyKindListed;

export const jobMethods = {
  'jobs.list': method(z.object({ projectId: Id.optional() }), z.array(Job), 'Recent jobs.'),
  'jobs.get': method(z.object({ jobId: Id }), Job, 'One job.'),
  'jobs.cancel': method(z.object({ jobId: Id }), Job, 'Ask a running job to stop.'),
} as const;
