/**
 * Export and profile jobs run in worker processes (main/engine/workers): a
 * worker that crashes becomes a failed job with a readable message while the
 * host keeps serving, and a cancelled job leaves no worker process behind,
 * whether the worker stops when asked or has to be killed. Through the
 * browser-mode host's HTTP API, on a real engine. Needs `npm run build:main`
 * (the worker is forked from dist/).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Job } from '../../../shared/api.js';
import type { ExportBundle } from '../../../shared/api/export.js';
import type { FeatureSuggestion } from '../../../shared/api/train.js';
import type { WireResult } from '../../../shared/client.js';
import type { Engine } from '../../../main/engine/engine.js';
import { ExportRepository } from '../../../main/engine/export/exports.js';
import { startHost, type RunningHost } from '../../../main/host/server.js';
import { adultCsv, createTestEngine, repoRoot, tempDir } from '../../helpers/engine.js';

const token = 'workers-test-token-0123456789';
let engine: Engine;
let home: string;
let cleanup: () => Promise<void>;
let host: RunningHost;
let base: string;
let dataset: Dataset;
let runId: string;
let scratch: string;

async function call<T>(method: string, input: unknown): Promise<T> {
  const response = await fetch(`${base}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ method, input }),
  });
  const body = (await response.json()) as WireResult;
  if (!body.ok) throw new Error(`${method}: ${body.error.message}`);
  return body.value as T;
}

const terminal = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

/** Polls the job through the API until `done` holds for it. */
async function waitUntil(jobId: string, done: (job: Job) => boolean, timeoutMs = 60_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await call<Job>('jobs.get', { jobId });
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state} at ${job.stage} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const finished = (jobId: string) => waitUntil(jobId, (job) => terminal.has(job.state));

/** Worker processes that are children of this test process, by pid. */
function workerPids(parent = process.pid): number[] {
  let listing = '';
  try {
    listing = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], { encoding: 'utf8' });
  } catch {
    // ps exits 1 when the process has no children.
  }
  return listing
    .split('\n')
    .filter((line) => line.includes(join('engine', 'workers', 'main.js')))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** A zombie counts as gone: in a container nothing may reap an orphan that has exited. */
function alive(pid: number): boolean {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .startsWith('Z');
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `work` with a test hook of the worker set in the environment the worker inherits. */
async function withEnv<T>(name: string, value: string, work: () => Promise<T>): Promise<T> {
  process.env[name] = value;
  try {
    return await work();
  } finally {
    delete process.env[name];
  }
}

beforeAll(async () => {
  ({ engine, home, cleanup } = await createTestEngine());
  host = await startHost({ engine, rendererDir: await tempDir('kiln-renderer-'), port: 0, token });
  base = `http://127.0.0.1:${host.port}`;
  scratch = await tempDir('kiln-workers-');
  const project = await call<{ id: string }>('projects.create', { name: 'Workers' });
  const imported = await finished((await call<{ jobId: string }>('datasets.import', { projectId: project.id, path: adultCsv })).jobId);
  expect(imported.error).toBeNull();
  dataset = imported.result as Dataset;
  const suggestion = await call<FeatureSuggestion>('features.suggest', { datasetId: dataset.id, target: 'Y' });
  const trained = await finished(
    (
      await call<{ jobId: string }>('train.start', {
        projectId: project.id,
        datasetId: dataset.id,
        features: suggestion.settings,
        train: { model: 'gbdt', gbdt: { rounds: 20 } },
      })
    ).jobId,
  );
  expect(trained.error).toBeNull();
  runId = (trained.result as { bestRunId: string }).bestRunId;
}, 180_000);

afterAll(async () => {
  await host.close();
  await cleanup();
});

describe('export and profile in worker processes', () => {
  it('turns a crashed export worker into a failed job with its exit code and last output, and the host keeps serving', async () => {
    const out = join(scratch, 'crashed');
    const job = await withEnv('KILN_TEST_WORKER_CRASH_AT', 'export.compute:building', async () =>
      finished((await call<{ jobId: string }>('export.create', { runId, outDir: out })).jobId),
    );
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(
      /^The export worker stopped without a result: it exited with code 3\. Its last output: test crash at export\.compute:building$/,
    );
    expect(existsSync(out)).toBe(false);
    expect(workerPids()).toEqual([]);
    // The worker's scratch folder went with it.
    expect(readdirSync(join(home, 'tmp')).filter((name) => name.startsWith('export-'))).toEqual([]);

    // The host still answers, and the same export now succeeds with parity checked.
    const jobs = await call<Job[]>('jobs.list', {});
    expect(jobs.some((listed) => listed.id === job.id && listed.state === 'failed')).toBe(true);
    const again = await finished((await call<{ jobId: string }>('export.create', { runId, outDir: out })).jobId);
    expect(again.error).toBeNull();
    expect(again.state).toBe('succeeded');
    const bundle = again.result as ExportBundle;
    // The 15% test part of the default split: every row checked.
    expect(bundle.parity.rows).toBeGreaterThan(4000);
    expect(bundle.parity.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(readFileSync(bundle.onnx).byteLength).toBe(bundle.onnxBytes);
    // The held-out rows the worker sent back, kept for test requests: raw values, the target left out.
    const samples = new ExportRepository(engine.workspace.db).sampleRows(bundle.id);
    expect(samples).toHaveLength(5);
    expect(typeof samples[0]!.age).toBe('number');
    expect(typeof samples[0]!.workclass).toBe('string');
    expect(samples[0]).not.toHaveProperty('Y');
  });

  it('passes a bad-input error from the worker through in the user’s words', async () => {
    // A run with no artifacts: the worker reads model.json and fails as the in-process export did.
    const artifacts = join(home, 'artifacts', 'runs', runId);
    const hidden = `${artifacts}.hidden`;
    execFileSync('mv', [artifacts, hidden]);
    try {
      const job = await finished((await call<{ jobId: string }>('export.create', { runId, outDir: join(scratch, 'no-artifacts') })).jobId);
      expect(job.state).toBe('failed');
      expect(job.error).toMatch(/^The run's model\.json is missing \(.*model\.json\); train the run again to export it\.$/);
    } finally {
      execFileSync('mv', [hidden, artifacts]);
    }
    expect(workerPids()).toEqual([]);
  });

  it('cancels a profile: its worker stops and nothing is stored', async () => {
    const { jobId } = await call<{ jobId: string }>('profile.compute', { datasetId: dataset.id, target: 'sex' });
    // The worker's own first stage: it is running.
    await waitUntil(jobId, (job) => job.stage === 'reading' || terminal.has(job.state));
    const pids = workerPids();
    expect(pids).toHaveLength(1);
    await call<Job>('jobs.cancel', { jobId });
    const job = await finished(jobId);
    expect(job.state).toBe('cancelled');
    expect(workerPids()).toEqual([]);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(await call<unknown>('profile.get', { datasetId: dataset.id, target: 'sex' })).toBeNull();
  });

  it('kills a worker that does not answer the cancel, after the grace period', async () => {
    const out = join(scratch, 'hung');
    await withEnv('KILN_TEST_WORKER_HANG_AT', 'export.compute:parity', async () => {
      const { jobId } = await call<{ jobId: string }>('export.create', { runId, outDir: out });
      await waitUntil(jobId, (job) => job.stage === 'parity' || terminal.has(job.state));
      const pids = workerPids();
      expect(pids).toHaveLength(1);
      // The worker runs below the host's priority, every thread of it, onnxruntime's and DuckDB's included (Linux's niceness is per thread).
      const threadNiceness = execFileSync('ps', ['-L', '-o', 'ni=', '-p', String(pids[0])], { encoding: 'utf8' })
        .trim()
        .split(/\s+/)
        .map(Number);
      expect(threadNiceness.length).toBeGreaterThan(1);
      expect(new Set(threadNiceness)).toEqual(new Set([10]));
      await call<Job>('jobs.cancel', { jobId });
      // The host is not blocked by the hung worker while it waits to kill it.
      expect((await call<Job>('jobs.get', { jobId })).state).toBe('running');
      const job = await finished(jobId);
      expect(job.state).toBe('cancelled');
      expect(alive(pids[0]!)).toBe(false);
    });
    expect(workerPids()).toEqual([]);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(home, 'tmp')).filter((name) => name.startsWith('export-'))).toEqual([]);
  });

  it('a worker whose parent dies stops too', async () => {
    // A parent process of its own, killed without warning while its worker waits for work.
    const parentScript = join(scratch, 'parent.mjs');
    const supervisor = pathToFileURL(join(repoRoot, 'dist', 'main', 'engine', 'workers', 'supervisor.js')).href;
    const request = {
      parquetPath: engine.context.datasets.storagePath(dataset.id),
      datasetId: dataset.id,
      version: dataset.version,
      optionsHash: 'orphan',
      rowCount: dataset.rowCount,
      columnCount: dataset.columns.length,
      target: null,
      sample: null,
      workDir: scratch,
    };
    writeFileSync(
      parentScript,
      `import { runInWorker } from ${JSON.stringify(supervisor)};\n` +
        `const job = { signal: new AbortController().signal, progress: (update) => console.log(update.stage) };\n` +
        `runInWorker('profile.compute', ${JSON.stringify(request)}, job).catch(() => {});\n`,
    );
    const parent = spawn(process.execPath, [parentScript], {
      env: { ...process.env, KILN_TEST_WORKER_WAIT_AT_START: 'profile.compute' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let parentOutput = '';
    parent.stdout.on('data', (chunk: Buffer) => (parentOutput += chunk.toString()));
    try {
      // The worker has taken the task and holds it: only its parent's death can end it now.
      await waitFor(() => parentOutput.includes('waiting'), 'the worker starting');
      const [orphan] = workerPids(parent.pid);
      expect(orphan).toBeDefined();
      parent.kill('SIGKILL');
      await waitFor(() => !alive(orphan!), 'the orphaned worker exiting');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
