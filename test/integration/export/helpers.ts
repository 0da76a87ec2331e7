import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Papa from 'papaparse';
import { repoRoot } from '../../helpers/engine.js';

export const kilnJs = join(repoRoot, 'dist', 'main', 'cli', 'kiln.js');

export interface PredictionsCsv {
  header: string[];
  labels: string[];
  /** One array per row, in header order after `prediction`. */
  probabilities: number[][];
}

export function readPredictionsCsv(text: string): PredictionsCsv {
  const parsed = Papa.parse<string[]>(text.trim(), { skipEmptyLines: true });
  const [header, ...rows] = parsed.data;
  return {
    header: header ?? [],
    labels: rows.map((row) => row[0]!),
    probabilities: rows.map((row) => row.slice(1).map(Number)),
  };
}

/** adult.test.csv's header and cells (trimmed text), as a client would read the file. */
export function readAdultTest(path: string): { columns: string[]; rows: string[][] } {
  const parsed = Papa.parse<string[]>(readFileSync(path, 'utf8'), { skipEmptyLines: 'greedy' });
  const [header, ...rows] = parsed.data;
  return { columns: header!.map((name) => name.trim()), rows: rows.map((row) => row.map((cell) => cell.trim())) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitReady(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/v2/health/ready`);
      if (response.ok) return;
      last = String(response.status);
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms (${last})`);
}

/** `kiln serve` as its own process (it runs until a signal), with its output kept for failures. */
export function spawnServe(bundle: string, port: number, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [kilnJs, 'serve', bundle, '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

export async function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/** Probabilities agree to the last bit when both sides ran the same graph on the same values; text formats may differ. */
export function expectSamePredictions(
  actual: { labels: string[]; probabilities: number[][] },
  expected: PredictionsCsv,
  expect: (value: unknown, message?: string) => { toBe(other: unknown): void; toEqual(other: unknown): void },
): void {
  expect(actual.labels.length).toBe(expected.labels.length);
  expect(actual.labels).toEqual(expected.labels);
  let worst = 0;
  actual.probabilities.forEach((row, index) => {
    row.forEach((value, k) => (worst = Math.max(worst, Math.abs(value - expected.probabilities[index]![k]!))));
  });
  expect(worst, 'largest probability difference').toBe(0);
}
