/* global process, console, URL */
/**
 * Wide-file import benchmark (not a timed test): a CSV of KILN_WIDE_COLUMNS
 * columns (20,000 by default) × 50 rows, imported by the built engine in a
 * child process under /usr/bin/time, which gives its wall time and peak memory.
 * Every progress event is recorded, and the run fails if a fraction goes
 * backwards or a row estimate exceeds twice the file's rows.
 *
 *   npm run build:main && node test/bench/wide-import.mjs
 *   KILN_WIDE_COLUMNS=5000 node test/bench/wide-import.mjs
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const columns = Number(process.env.KILN_WIDE_COLUMNS ?? 20_000);
const rows = 50;

const engineScript = `
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from ${JSON.stringify(join(root, 'dist', 'main', 'engine', 'engine.js'))};
const home = mkdtempSync(join(tmpdir(), 'kiln-wide-home-'));
const engine = new Engine({ home, shell: 'test' });
const events = [];
engine.onEvent((event) => {
  if (event.type === 'job.updated') events.push({ fraction: event.job.fraction, message: event.job.message, stage: event.job.stage, at: performance.now() });
});
const started = performance.now();
const project = await engine.call('projects.create', { name: 'wide' });
const { jobId } = await engine.call('datasets.import', { projectId: project.id, path: process.argv[1] });
const job = await engine.jobs.wait(jobId);
const seconds = (performance.now() - started) / 1000;
await engine.close();
rmSync(home, { recursive: true, force: true });
console.log(JSON.stringify({ state: job.state, error: job.error, columns: job.result?.columns?.length, rows: job.result?.rowCount, seconds, events }));
`;

const dir = await mkdtemp(join(tmpdir(), 'kiln-wide-'));
try {
  if (!existsSync(join(root, 'dist', 'main', 'engine', 'engine.js'))) throw new Error('Build first: npm run build:main');
  const header = Array.from({ length: columns }, (_, index) => `c${index}`).join(',');
  const lines = [header];
  for (let row = 0; row < rows; row += 1) {
    lines.push(Array.from({ length: columns }, (_, index) => (index % 3 === 0 ? `t${row % 7}` : String((row * index) % 1000))).join(','));
  }
  const csv = join(dir, 'wide.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);

  const child = spawnSync('/usr/bin/time', ['-v', process.execPath, '--input-type=module', '-e', engineScript, csv], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    cwd: root,
  });
  const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr)?.[1] ?? NaN);
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    console.error(child.stderr.slice(-4000));
    throw new Error(`the import process exited with ${child.status}`);
  }
  const result = JSON.parse(line);
  let previous = -Infinity;
  let backwards = 0;
  let largestEstimate = 0;
  for (const event of result.events) {
    if (event.fraction < previous) backwards += 1;
    previous = Math.max(previous, event.fraction);
    const estimate = /about ([\d,]+) rows/.exec(event.message ?? '')?.[1];
    if (estimate) largestEstimate = Math.max(largestEstimate, Number(estimate.replaceAll(',', '')));
  }
  const stages = [];
  for (const event of result.events) {
    const last = stages.at(-1);
    if (last?.stage === event.stage) last.until = event.at;
    else stages.push({ stage: event.stage, from: event.at, until: event.at });
  }
  console.log(
    `${columns.toLocaleString('en-US')} columns × ${rows} rows: ${result.state} in ${result.seconds.toFixed(1)} s, peak ${(peakKb / 1024).toFixed(0)} MB`,
  );
  // Shared machines make wall times move a lot: the load says how busy this one was.
  console.log(
    `load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(', ')}`,
  );
  console.log(`columns ${result.columns}, rows ${result.rows}${result.error ? `, error: ${result.error}` : ''}`);
  console.log(`progress events ${result.events.length}, backwards ${backwards}, largest row estimate ${largestEstimate}`);
  for (const stage of stages)
    console.log(
      `  ${stage.stage.padEnd(10)} ${((stage.until - stage.from) / 1000).toFixed(1)} s (from ${(stage.from / 1000).toFixed(1)} s)`,
    );
  if (result.state !== 'succeeded' || backwards > 0 || largestEstimate > rows * 2) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
