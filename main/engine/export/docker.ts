/**
 * Docker through dockerode: whether an engine answers, building a bundle's
 * image (the bundle folder is the build context; its node_modules are already
 * there, so only the base image must be present or pullable), running it on
 * a port bound to 127.0.0.1 by default, its status and logs, stopping it, and
 * sending it a real row.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import Docker from 'dockerode';
import type { JsonCell } from '../../../shared/api/core.js';
import {
  ServerAnswer,
  type ContainerInfo,
  type DockerStatus,
  type TestRequestBody,
  type TestResponse,
} from '../../../shared/api/export.js';
import { KilnError } from '../../../shared/errors.js';
import { CONTAINER_PORT, DEFAULT_BASE_IMAGE } from './dockerfile.js';
import type { RawRow } from './onnx/rows.js';

const CONTAINER_PORT_KEY = `${CONTAINER_PORT}/tcp`;
/** The label that marks containers Kiln started, with the export they serve. */
export const EXPORT_LABEL = 'ai.kiln.export';

export function dockerClient(): Docker {
  // Without options, docker-modem honours DOCKER_HOST and falls back to /var/run/docker.sock.
  return new Docker();
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function dockerStatus(docker: Docker = dockerClient()): Promise<DockerStatus> {
  try {
    await withTimeout(docker.ping(), 5000, 'The Docker engine');
    const version = await withTimeout(docker.version(), 5000, 'The Docker engine');
    return { available: true, detail: `Docker ${version.Version} (API ${version.ApiVersion}, ${version.Os}/${version.Arch})` };
  } catch (error) {
    const message = reason(error);
    const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
    let advice: string;
    if (/ENOENT/.test(message))
      advice = `No Docker engine listens at ${where}. Install Docker (Docker Desktop, or docker.io on Debian/Ubuntu) and start it.`;
    else if (/EACCES|permission denied/i.test(message))
      advice = `Kiln may not use ${where}: add your user to the docker group (then log in again), or set DOCKER_HOST.`;
    else if (/ECONNREFUSED/.test(message))
      advice = `The Docker engine at ${where} refused the connection: start it (systemctl start docker, or open Docker Desktop).`;
    else advice = `Check that the Docker engine is running (docker version) and that DOCKER_HOST, if set, is right.`;
    return { available: false, detail: `${advice} (${message})` };
  }
}

async function requireDocker(docker: Docker): Promise<void> {
  const status = await dockerStatus(docker);
  if (!status.available) throw new KilnError('bad_input', `Docker is not available: ${status.detail}`, 'docker');
}

export interface BuiltImage {
  tag: string;
  id: string;
  sizeBytes: number;
}

interface BuildEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** Builds the bundle folder's Dockerfile; each log line goes to onLine as it arrives. */
export async function buildBundleImage(options: {
  bundleDir: string;
  tag: string;
  baseImage?: string | undefined;
  signal: AbortSignal;
  onLine: (line: string) => void;
  docker?: Docker;
}): Promise<BuiltImage> {
  const docker = options.docker ?? dockerClient();
  await requireDocker(docker);
  const baseImage = options.baseImage ?? DEFAULT_BASE_IMAGE;
  // dockerode packs these with tar-fs and leaves out what the bundle's .dockerignore names.
  const src = await readdir(options.bundleDir);
  const buildId = randomBytes(8).toString('hex');
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(
      { context: options.bundleDir, src },
      { t: options.tag, buildargs: { BASE_IMAGE: baseImage, KILN_BUILD: buildId }, rm: true, forcerm: true },
    );
  } catch (error) {
    throw new KilnError('bad_input', `Docker refused the build: ${reason(error)}`, 'docker');
  }
  const lines: string[] = [];
  let failure: string | null = null;
  await new Promise<void>((resolve, reject) => {
    let pending = '';
    const abort = () => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      reject(new KilnError('cancelled', 'Cancelled.'));
    };
    if (options.signal.aborted) return abort();
    options.signal.addEventListener('abort', abort, { once: true });
    const handle = (text: string) => {
      if (text.trim() === '') return;
      let event: BuildEvent;
      try {
        event = JSON.parse(text) as BuildEvent;
      } catch {
        return;
      }
      if (event.error || event.errorDetail?.message) failure = event.errorDetail?.message ?? event.error ?? 'unknown error';
      const message = event.stream ?? event.status ?? event.error;
      if (message) {
        for (const line of message.split('\n')) {
          if (line.trim() === '') continue;
          lines.push(line);
          options.onLine(line);
        }
      }
    };
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      parts.forEach(handle);
    });
    stream.on('end', () => {
      handle(pending);
      options.signal.removeEventListener('abort', abort);
      resolve();
    });
    stream.on('error', (error: Error) => {
      options.signal.removeEventListener('abort', abort);
      reject(error);
    });
  });
  // The first stage's image is only a step towards the second; left behind, each build would keep its size again.
  await docker.pruneImages({ filters: { label: [`ai.kiln.build=${buildId}`] } }).catch(() => undefined);
  if (failure !== null) {
    const missingBase = /pull access denied|not found|manifest unknown|no such host|connection refused|dial tcp/i.test(failure);
    const hint = missingBase
      ? ` The base image ${baseImage} is neither on this machine nor reachable; pull it first (docker pull ${baseImage}) or choose a base image you have.`
      : '';
    throw new KilnError('bad_input', `The image build failed: ${failure}.${hint}`, 'baseImage');
  }
  let inspected;
  try {
    inspected = await docker.getImage(options.tag).inspect();
  } catch (error) {
    throw new KilnError(
      'internal',
      `The build ended but the image ${options.tag} is not there (${reason(error)}); its log ended with: ${lines.slice(-3).join(' | ')}`,
    );
  }
  return { tag: options.tag, id: inspected.Id, sizeBytes: inspected.Size };
}

function containerUrl(inspected: Docker.ContainerInspectInfo): string | null {
  const bindings = inspected.HostConfig.PortBindings as Record<string, { HostIp?: string; HostPort?: string }[] | undefined> | undefined;
  const binding = bindings?.[CONTAINER_PORT_KEY]?.[0];
  if (!binding?.HostPort) return null;
  const host = !binding.HostIp || binding.HostIp === '0.0.0.0' ? '127.0.0.1' : binding.HostIp;
  return `http://${host}:${binding.HostPort}`;
}

function toContainerInfo(inspected: Docker.ContainerInspectInfo): ContainerInfo {
  const startedAt = inspected.State.StartedAt && !inspected.State.StartedAt.startsWith('0001-') ? inspected.State.StartedAt : null;
  return {
    id: inspected.Id,
    image: inspected.Config.Image,
    state: inspected.State.Status,
    url: inspected.State.Running ? containerUrl(inspected) : null,
    startedAt,
  };
}

async function inspectContainer(docker: Docker, containerId: string): Promise<Docker.ContainerInspectInfo> {
  try {
    return await docker.getContainer(containerId).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) {
      throw new KilnError('not_found', `There is no container ${containerId} (it may have been stopped and removed).`, 'containerId');
    }
    throw new KilnError('bad_input', `Docker could not inspect ${containerId}: ${reason(error)}`, 'containerId');
  }
}

export async function containerStatus(containerId: string, docker: Docker = dockerClient()): Promise<ContainerInfo> {
  return toContainerInfo(await inspectContainer(docker, containerId));
}

/** Docker multiplexes stdout and stderr of a container without a TTY: 8-byte headers, then the payload. */
export function demuxLogs(buffer: Buffer): string {
  const parts: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length && buffer[0 + offset]! <= 2 && buffer[offset + 1] === 0) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size).toString('utf8'));
    offset += 8 + size;
  }
  return offset === 0 ? buffer.toString('utf8') : parts.join('');
}

export async function containerLogs(containerId: string, tail: number, docker: Docker = dockerClient()): Promise<string[]> {
  await inspectContainer(docker, containerId);
  const output = (await docker.getContainer(containerId).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown;
  const text = Buffer.isBuffer(output) ? demuxLogs(output) : String(output);
  return text.split('\n').filter((line) => line !== '');
}

async function waitReady(url: string, container: Docker.Container, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const inspected = await container.inspect();
    if (!inspected.State.Running) {
      const logs = demuxLogs((await container.logs({ stdout: true, stderr: true, tail: 20 })) as unknown as Buffer);
      throw new KilnError(
        'bad_input',
        `The container stopped (exit code ${inspected.State.ExitCode}) before it was ready: ${logs.trim().split('\n').slice(-5).join(' | ')}`,
        'exportId',
      );
    }
    try {
      const response = await fetch(`${url}/v2/health/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
      last = `ready answered ${response.status}`;
    } catch (error) {
      last = reason(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new KilnError('bad_input', `The container did not become ready at ${url} within ${timeoutMs / 1000} s (${last}).`, 'exportId');
}

export async function runImage(options: {
  image: string;
  exportId: string;
  port: number;
  host: '127.0.0.1' | '0.0.0.0';
  docker?: Docker;
  readyTimeoutMs?: number;
}): Promise<ContainerInfo> {
  const docker = options.docker ?? dockerClient();
  await requireDocker(docker);
  const container = await docker.createContainer({
    Image: options.image,
    ExposedPorts: { [CONTAINER_PORT_KEY]: {} },
    Labels: { [EXPORT_LABEL]: options.exportId },
    HostConfig: { PortBindings: { [CONTAINER_PORT_KEY]: [{ HostIp: options.host, HostPort: String(options.port) }] } },
  });
  try {
    await container.start();
  } catch (error) {
    await container.remove({ force: true }).catch(() => undefined);
    const message = reason(error);
    if (/port is already allocated|address already in use/i.test(message)) {
      throw new KilnError('bad_input', `Port ${options.port} on ${options.host} is already in use; choose another port.`, 'port');
    }
    throw new KilnError('bad_input', `Docker could not start the container: ${message}`, 'port');
  }
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitReady(url, container, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await container.remove({ force: true }).catch(() => undefined);
    throw error;
  }
  return toContainerInfo(await container.inspect());
}

export async function stopContainer(containerId: string, docker: Docker = dockerClient()): Promise<ContainerInfo> {
  const before = toContainerInfo(await inspectContainer(docker, containerId));
  const container = docker.getContainer(containerId);
  try {
    // The server drains requests on SIGTERM; 10 s is its own shutdown limit.
    await container.stop({ t: 10 });
  } catch (error) {
    // 304: already stopped.
    if ((error as { statusCode?: number }).statusCode !== 304)
      throw new KilnError('bad_input', `Docker could not stop ${containerId}: ${reason(error)}`, 'containerId');
  }
  await container.remove({ force: true });
  return { ...before, state: 'removed', url: null };
}

/** Sends one real held-out row to a server's /invocations (MLflow dataframe_records) and returns what happened. */
export async function sendTestRow(url: string, row: RawRow): Promise<TestResponse> {
  const request: TestRequestBody = { dataframe_records: [jsonRow(row)] };
  const target = `${url.replace(/\/+$/, '')}/invocations`;
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new KilnError('bad_input', `Nothing answered at ${target}: ${reason(error)}. Is the container running?`, 'url');
  }
  const text = await response.text();
  const latencyMs = performance.now() - started;
  return { status: response.status, request, response: readServerAnswer(text), latencyMs };
}

/** JSON has no undefined: a cell left out of a row is left out of the body, as JSON.stringify would. */
function jsonRow(row: RawRow): Record<string, JsonCell> {
  const cells: Record<string, JsonCell> = {};
  for (const [column, value] of Object.entries(row)) if (value !== undefined) cells[column] = value;
  return cells;
}

/** The URL is the user's, so anything may answer: what is not an answer of the model server is kept as the text that came. */
function readServerAnswer(text: string): TestResponse['response'] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text;
  }
  const known = ServerAnswer.safeParse(body);
  return known.success ? known.data : text;
}
