/**
 * Export: a run becomes a bundle folder (one ONNX file with the whole pipeline,
 * schema.json, the model server, a Dockerfile and clients), optionally a Docker
 * image, and a container the user can start, watch, test and stop.
 */
import { z } from 'zod';
import { JobHandle, JsonCell } from './core.js';
import { Id, method } from './method.js';

export const ParityReport = z.object({
  rows: z.number().int(),
  maxAbsDiff: z.number(),
});
export type ParityReport = z.infer<typeof ParityReport>;

export const ExportBundle = z.object({
  id: z.string(),
  runId: z.string(),
  /** The bundle folder on the engine's machine. */
  bundle: z.string(),
  onnx: z.string(),
  onnxBytes: z.number().int(),
  parity: ParityReport,
  /** Set once an image was built from this bundle. */
  image: z.object({ tag: z.string(), id: z.string(), sizeBytes: z.number().int() }).nullable(),
  createdAt: z.string(),
});
export type ExportBundle = z.infer<typeof ExportBundle>;

export const ContainerInfo = z.object({
  id: z.string(),
  image: z.string(),
  /** e.g. running, exited. */
  state: z.string(),
  url: z.string().nullable(),
  startedAt: z.string().nullable(),
});
export type ContainerInfo = z.infer<typeof ContainerInfo>;

export const DockerStatus = z.object({
  available: z.boolean(),
  /** Available: the engine version. Not available: why not, and what to do. */
  detail: z.string(),
});
export type DockerStatus = z.infer<typeof DockerStatus>;

/** The body of a test request, in MLflow's `dataframe_records` form: one real row of the dataset, column to raw value. */
export const TestRequestBody = z.object({ dataframe_records: z.array(z.record(z.string(), JsonCell)) });
export type TestRequestBody = z.infer<typeof TestRequestBody>;

/** One prediction of the model server: a class with each class's probability, or a number (null where the model gave NaN). */
export const ServerPrediction = z.union([
  z.strictObject({ label: z.string(), probabilities: z.record(z.string(), z.number().nullable()) }),
  z.number().nullable(),
]);
export type ServerPrediction = z.infer<typeof ServerPrediction>;

/**
 * The JSON answers the model server gives to /invocations. Strict, so that an
 * answer read by these schemas is shown exactly as it came back.
 */
export const ServerAnswer = z.union([
  z.strictObject({ predictions: z.array(ServerPrediction), warnings: z.array(z.string()).optional() }),
  z.strictObject({ error: z.string(), column: z.string().optional(), row: z.number().int().optional() }),
]);
export type ServerAnswer = z.infer<typeof ServerAnswer>;

export const TestResponse = z.object({
  status: z.number().int(),
  /** The request that was sent. */
  request: TestRequestBody,
  /** The server's answer when it is one the model server gives; anything else (another server, a proxy's page) as the text that came back. */
  response: z.union([ServerAnswer, z.string()]),
  latencyMs: z.number(),
});
export type TestResponse = z.infer<typeof TestResponse>;

const imageTag = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._\-/:]{0,127}$/, 'An image tag is lower-case letters, digits and . _ - / :, e.g. kiln/adult:1.');

export const exportMethods = {
  'export.create': method(
    z.object({
      runId: Id,
      /** Where to write the bundle; defaults to the workspace's artifacts/exports/<run>. */
      outDir: z.string().min(1).optional(),
    }),
    JobHandle,
    'Write the bundle and check ONNX parity on held-out rows. Returns a job; its result is an ExportBundle.',
  ),
  'export.list': method(
    z.object({ runId: Id.optional(), projectId: Id.optional() }),
    z.array(ExportBundle),
    'Bundles made so far, newest first.',
  ),
  'docker.status': method(z.object({}), DockerStatus, 'Whether a Docker engine answers, and why not.'),
  'export.buildImage': method(
    z.object({ exportId: Id, tag: imageTag.optional(), baseImage: z.string().min(1).optional() }),
    JobHandle,
    'Build the Docker image of a bundle, streaming the build log as job messages. Returns a job; its result is the ExportBundle.',
  ),
  'export.runContainer': method(
    z.object({
      exportId: Id,
      port: z.number().int().min(1024, 'Choose a port from 1024 up.').max(65535),
      /** 127.0.0.1 unless the user asks for every interface. */
      host: z.enum(['127.0.0.1', '0.0.0.0']).default('127.0.0.1'),
    }),
    ContainerInfo,
    'Start a container of the built image.',
  ),
  'export.containerStatus': method(z.object({ containerId: z.string().min(1) }), ContainerInfo, 'A container’s state.'),
  'export.containerLogs': method(
    z.object({ containerId: z.string().min(1), tail: z.number().int().min(1).max(5000).default(200) }),
    z.object({ lines: z.array(z.string()) }),
    'The last lines of a container’s log.',
  ),
  'export.stopContainer': method(z.object({ containerId: z.string().min(1) }), ContainerInfo, 'Stop and remove a container.'),
  'export.testRequest': method(
    z.object({ url: z.string().url(), exportId: Id }),
    TestResponse,
    'Send one real row of the dataset to a running server and return its answer.',
  ),
} as const;
