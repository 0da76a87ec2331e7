/* global process, console, URL, performance */
/**
 * Load benchmark of the model server (not a timed test). In one run, with wrk
 * (Debian's `wrk`) over 127.0.0.1:
 *   - a bare Node http server answering a constant, the ceiling;
 *   - the model server scoring 1-row and 100-row /invocations requests;
 *   - the model server at about half its single-row peak, for p99 there.
 * Prints a Markdown table: requests/s, p50, p99, the ratio to the bare server.
 * It runs the built server, dist/server/server.mjs: `npm run build` first.
 *
 *   node test/bench/server-load.mjs [--bundle DIR] [--duration 5] [--rounds 3] [--connections 16]
 *
 * Without --bundle it serves the test fixture (test/integration/server/fixture.ts,
 * bundled with esbuild on the fly): a real ONNX graph with a LabelEncoder, an
 * Imputer and a sigmoid. With --bundle it serves an exported bundle and draws
 * rows from resources/samples/adult.csv for the columns the schema names.
 *
 * wrk2 is not in Debian, so "half the peak" is paced with wrk's delay() hook:
 * each connection waits a fixed time between requests. That is closed-loop, so
 * the achieved rate is printed beside the target. On machines with at least two
 * cores the servers are pinned to CPU 0 and wrk to CPU 1 (taskset), so the
 * server and the load generator do not fight over one core.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
}

const duration = Number(option('duration', '5'));
const rounds = Number(option('rounds', '3'));
const connections = Number(option('connections', '16'));
const bundleArgument = option('bundle', undefined);

const serverEntry = join(root, 'dist', 'server', 'server.mjs');
if (!existsSync(serverEntry)) {
  console.error(`${serverEntry} is missing: run npm run build (build:server) first`);
  process.exit(2);
}

if (spawnSync('wrk', ['--version']).error) {
  console.error('wrk is not installed: apt-get install -y wrk');
  process.exit(2);
}

const pin = cpus().length >= 2 && !spawnSync('taskset', ['-c', '0', 'true']).error;
const serverCpu = pin ? ['taskset', '-c', '0'] : [];
const wrkCpu = pin ? ['taskset', '-c', '1'] : [];

const scratch = mkdtempSync(join(tmpdir(), 'kiln-server-bench-'));

async function fixtureBundle() {
  const esbuild = await import('esbuild');
  const out = join(scratch, 'fixture.mjs');
  await esbuild.build({
    entryPoints: [join(root, 'test', 'integration', 'server', 'fixture.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'warning',
  });
  const fixture = await import(pathToFileURL(out).href);
  return fixture.writeBundle(join(scratch, 'bundle'));
}

/** Rows for the schema's inputs: from adult.csv where the column exists there, else a plain default. */
async function sampleRows(bundle, count) {
  const schema = JSON.parse(readFileSync(join(bundle, 'schema.json'), 'utf8'));
  const { default: Papa } = await import('papaparse');
  const parsed = Papa.parse(readFileSync(join(root, 'resources', 'samples', 'adult.csv'), 'utf8'), {
    header: true,
    skipEmptyLines: true,
    transformHeader: (header) => header.trim(),
  });
  const rows = [];
  for (let index = 0; rows.length < count; index += 1) {
    const source = parsed.data[index % parsed.data.length];
    const row = {};
    for (const input of schema.inputs) {
      const raw = source[input.name]?.trim();
      if (input.type === 'number') {
        const value = Number(raw);
        row[input.name] = raw === undefined || raw === '' || raw === '?' || !Number.isFinite(value) ? null : value;
      } else row[input.name] = raw === undefined || raw === '?' ? null : raw;
    }
    rows.push(row);
  }
  return rows;
}

function startProcess(command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      text += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(text);
      if (match) resolve({ child, url: match[1], text });
    });
    child.stderr.on('data', (chunk) => (text += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`${command} exited (${code}) before listening:\n${text}`)));
  });
}

const BARE_SERVER = `
const http = require('node:http');
const body = JSON.stringify({ predictions: [{ label: '<=50K', probabilities: { '<=50K': 0.75, '>50K': 0.25 } }] });
const server = http.createServer({ keepAliveTimeout: 65000 }, (request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

/** A wrk Lua script posting one fixed body, optionally pausing `delayMs` between requests, and printing the numbers as JSON. */
function wrkScript(body, delayMs) {
  const path = join(scratch, `post-${Math.random().toString(36).slice(2)}.lua`);
  const bodyFile = `${path}.json`;
  writeFileSync(bodyFile, body);
  writeFileSync(
    path,
    `
local f = io.open(${JSON.stringify(bodyFile)}, "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
${delayMs > 0 ? `function delay() return ${delayMs} end` : ''}
function done(summary, latency, requests)
  io.write(string.format('KILN_RESULT {"requests":%d,"durationUs":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"non2xx":%d,"errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
`,
  );
  return path;
}

function runWrk(url, body, { connections: count, delayMs = 0, seconds = duration }) {
  const script = wrkScript(body, delayMs);
  const result = spawnSync(
    wrkCpu[0] ?? 'wrk',
    [...wrkCpu.slice(1), ...(pin ? ['wrk'] : []), '-t1', `-c${count}`, `-d${seconds}s`, '--latency', '-s', script, url],
    {
      encoding: 'utf8',
    },
  );
  const line = result.stdout.split('\n').find((text) => text.startsWith('KILN_RESULT '));
  if (!line) throw new Error(`wrk gave no result:\n${result.stdout}\n${result.stderr}`);
  const numbers = JSON.parse(line.slice('KILN_RESULT '.length));
  if (numbers.non2xx > 0 || numbers.errors > 0)
    throw new Error(`wrk saw ${numbers.non2xx} non-2xx answers and ${numbers.errors} socket errors against ${url}`);
  return { rps: numbers.requests / (numbers.durationUs / 1e6), p50: numbers.p50 / 1000, p99: numbers.p99 / 1000, max: numbers.max / 1000 };
}

function median(values) {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)];
}

function medianRun(results) {
  return {
    rps: median(results.map((result) => result.rps)),
    p50: median(results.map((result) => result.p50)),
    p99: median(results.map((result) => result.p99)),
    spread: `${Math.round(Math.min(...results.map((result) => result.rps)))}–${Math.round(Math.max(...results.map((result) => result.rps)))}`,
  };
}

async function main() {
  const bundle = bundleArgument ?? (await fixtureBundle());
  const rows = await sampleRows(bundle, 100);
  const single = JSON.stringify({ dataframe_records: rows.slice(0, 1) });
  const hundred = JSON.stringify({ dataframe_records: rows });

  const bare = await startProcess(serverCpu[0] ?? process.execPath, [
    ...serverCpu.slice(1),
    ...(pin ? [process.execPath] : []),
    '-e',
    BARE_SERVER,
  ]);
  const startedAt = performance.now();
  const model = await startProcess(
    serverCpu[0] ?? process.execPath,
    [...serverCpu.slice(1), ...(pin ? [process.execPath] : []), serverEntry, bundle],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_DIR: join(scratch, 'logs'),
    },
  );
  const startMs = performance.now() - startedAt;
  try {
    // Warm both up (JIT, onnxruntime's first runs) before measuring.
    runWrk(bare.url, single, { connections, seconds: 2 });
    runWrk(`${model.url}/invocations`, single, { connections, seconds: 2 });

    // Rounds alternate bare and model runs, and medians are reported, so a burst of other work on a shared machine skews one run, not the ratio.
    const runs = { bare: [], single: [], hundred: [] };
    for (let round = 0; round < rounds; round += 1) {
      runs.bare.push(runWrk(bare.url, single, { connections }));
      runs.single.push(runWrk(`${model.url}/invocations`, single, { connections }));
      runs.hundred.push(runWrk(`${model.url}/invocations`, hundred, { connections }));
    }
    const bareResult = medianRun(runs.bare);
    const singleResult = medianRun(runs.single);
    const hundredResult = medianRun(runs.hundred);
    const results = [
      { name: 'bare Node http, constant answer', ...bareResult },
      { name: 'model server, 1 row / request', ...singleResult },
      { name: 'model server, 100 rows / request', ...hundredResult, rowsPerSecond: hundredResult.rps * 100 },
    ];

    // Half the single-row peak: each of `paced` connections waits 1 ms between requests, sized so the sum is the target.
    const target = singleResult.rps / 2;
    const delayMs = 1;
    // A lightly loaded request takes about 0.3 ms here, so one connection's cycle is the pause plus that.
    let paced = Math.max(1, Math.round((target * (delayMs + 0.3)) / 1000));
    let halfResult = runWrk(`${model.url}/invocations`, single, { connections: paced, delayMs });
    // One correction: the delay timer is coarse, so scale the connection count by how far off the first try was.
    if (Math.abs(halfResult.rps - target) / target > 0.1) {
      paced = Math.max(1, Math.round((paced * target) / halfResult.rps));
      halfResult = runWrk(`${model.url}/invocations`, single, { connections: paced, delayMs });
    }
    results.push({
      name: `model server, 1 row at ~half peak (target ${Math.round(target)}/s, ${paced} conns × 1 ms pause)`,
      ...halfResult,
    });

    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    console.log(
      `\nModel server load test — ${bundleArgument ? `bundle ${bundleArgument}` : 'fixture model (age + workclass → LabelEncoder, Imputer, sigmoid)'}; ` +
        `wrk 1 thread, ${connections} connections, ${duration} s per run, median of ${rounds} alternating rounds; ${cpus().length} × ${cpu}${pin ? ', servers on CPU 0, wrk on CPU 1' : ''}; Node ${process.version}.` +
        ` Model server start to listening: ${Math.round(startMs)} ms.\n`,
    );
    console.log('| Target | Requests/s | (range over rounds) | p50 (ms) | p99 (ms) | vs bare server |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const result of results) {
      const ratio = `${((result.rps / bareResult.rps) * 100).toFixed(0)}%`;
      const rps = `${Math.round(result.rps).toLocaleString('en-US')}${result.rowsPerSecond ? ` (${Math.round(result.rowsPerSecond).toLocaleString('en-US')} rows/s)` : ''}`;
      console.log(`| ${result.name} | ${rps} | ${result.spread ?? '–'} | ${result.p50.toFixed(2)} | ${result.p99.toFixed(2)} | ${ratio} |`);
    }
    const goals = [
      `single-row at ${((singleResult.rps / bareResult.rps) * 100).toFixed(0)}% of bare (goal ≥ 40%): ${singleResult.rps / bareResult.rps >= 0.4 ? 'met' : 'NOT met'}`,
      `p99 at half peak ${halfResult.p99.toFixed(2)} ms (goal < 10 ms): ${halfResult.p99 < 10 ? 'met' : 'NOT met'}`,
    ];
    console.log(`\n${goals.join('; ')}.`);
  } finally {
    bare.child.kill('SIGTERM');
    model.child.kill('SIGTERM');
    if (!process.env.KILN_BENCH_KEEP) rmSync(scratch, { recursive: true, force: true });
    else if (existsSync(scratch)) console.log(`kept ${scratch}`);
  }
}

main().catch((error) => {
  console.error(error);
  rmSync(scratch, { recursive: true, force: true });
  process.exit(1);
});
