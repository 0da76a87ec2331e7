/* global process, console, Buffer, URL */
/**
 * Import benchmark (not a timed test): generates a CSV of at least 500 MB by
 * repeating the adult sample with noise, then, on that same file and in the same
 * run, measures Kiln's import + profile, bare DuckDB read_csv into a table,
 * pandas read_csv + describe() (Debian's python3-pandas) and papaparse in Node.
 * Each runs in its own child process so its peak memory can be read.
 *
 *   npm run bench                 (builds main first)
 *   KILN_BENCH_MB=800 npm run bench
 *   KILN_BENCH_KEEP=1 ...         keeps the generated file
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const targetBytes = Number(process.env.KILN_BENCH_MB ?? 520) * 1024 * 1024;

/** A deterministic generator, so every run measures the same file. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function generate(path) {
  const lines = readFileSync(join(root, 'resources', 'samples', 'adult.csv'), 'utf8').split('\n');
  const header = lines[0];
  const body = lines.slice(1).filter((line) => line.trim() !== '');
  const next = random(42);
  const out = createWriteStream(path);
  let bytes = 0;
  let rows = 0;
  const write = (text) => (out.write(text) ? Promise.resolve() : new Promise((resolve) => out.once('drain', resolve)));
  await write(`${header}\n`);
  while (bytes < targetBytes) {
    let chunk = '';
    for (const line of body) {
      const fields = line.split(', ');
      // Noise: jitter age, fnlwgt and hours, so the values are not simple repeats.
      fields[0] = String(Math.max(17, Number(fields[0]) + Math.round((next() - 0.5) * 6)));
      fields[2] = String(Math.max(1, Math.round(Number(fields[2]) * (0.9 + next() * 0.2))));
      fields[12] = String(Math.min(99, Math.max(1, Number(fields[12]) + Math.round((next() - 0.5) * 4))));
      chunk += `${fields.join(', ')}\n`;
      rows += 1;
    }
    bytes += Buffer.byteLength(chunk);
    await write(chunk);
  }
  await new Promise((resolve) => out.end(resolve));
  return rows;
}

/** Runs one contender in a child process; it prints one JSON line with its rows and the seconds it measured. */
function measure(label, command, args) {
  const started = process.hrtime.bigint();
  const child = spawnSync('/usr/bin/time', ['-v', command, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr ?? '');
  const lastLine = (child.stdout ?? '').trim().split('\n').pop() ?? '';
  let parsed;
  try {
    parsed = JSON.parse(lastLine);
  } catch {
    parsed = { error: (child.stderr || child.stdout || `exit ${child.status}`).trim().split('\n').slice(-3).join(' ') };
  }
  return { label, wall, peakMb: rss ? Number(rss[1]) / 1024 : null, ...parsed };
}

const kilnScript = `
import { Engine } from ${JSON.stringify(join(root, 'dist', 'main', 'engine', 'engine.js'))};
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
const home = mkdtempSync(join(tmpdir(), 'kiln-bench-home-'));
const engine = new Engine({ home, shell: 'cli' });
const started = performance.now();
const project = await engine.call('projects.create', { name: 'bench' });
const { jobId } = await engine.call('datasets.import', { projectId: project.id, path: process.argv[1] });
const job = await engine.jobs.wait(jobId);
if (job.state !== 'succeeded') throw new Error(job.error ?? job.state);
const imported = performance.now();
let profiled = 'none';
if (process.argv[2] !== 'import-only' && 'profile.compute' in (await import(${JSON.stringify(join(root, 'dist', 'shared', 'api.js'))})).apiMethods) {
  const handle = await engine.call('profile.compute', { datasetId: job.result.id });
  const profileJob = await engine.jobs.wait(handle.jobId);
  if (profileJob.state !== 'succeeded') throw new Error(profileJob.error ?? profileJob.state);
  profiled = 'kiln profile';
}
const done = performance.now();
await engine.close();
rmSync(home, { recursive: true, force: true });
console.log(JSON.stringify({ rows: job.result.rowCount, seconds: (done - started) / 1000, importSeconds: (imported - started) / 1000, profileSeconds: (done - imported) / 1000, profiled }));
`;

const duckScript = `
import { DuckDBInstance } from ${JSON.stringify(join(root, 'node_modules', '@duckdb', 'node-api', 'lib', 'index.js'))};
const started = performance.now();
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run("CREATE TABLE t AS SELECT * FROM read_csv('" + process.argv[1].replaceAll("'", "''") + "')");
const rows = Number((await connection.runAndReadAll('SELECT count(*) FROM t')).getRows()[0][0]);
console.log(JSON.stringify({ rows, seconds: (performance.now() - started) / 1000 }));
`;

const papaScript = `
import { createReadStream } from 'node:fs';
let Papa;
try {
  Papa = (await import('papaparse')).default;
} catch {
  console.log(JSON.stringify({ unavailable: 'papaparse is not installed' }));
  process.exit(0);
}
const started = performance.now();
let rows = 0;
await new Promise((resolve, reject) => {
  Papa.parse(createReadStream(process.argv[1]), {
    header: true,
    dynamicTyping: true,
    skipEmptyLines: true,
    transformHeader: (name) => name.trim(),
    step: () => { rows += 1; },
    complete: resolve,
    error: reject,
  });
});
console.log(JSON.stringify({ rows, seconds: (performance.now() - started) / 1000 }));
`;

const pandasScript = `
import json, sys, time
try:
    import pandas as pd
except ImportError:
    print(json.dumps({"unavailable": "python3-pandas is not installed (apt-get install -y python3-pandas)"}))
    sys.exit(0)
started = time.perf_counter()
frame = pd.read_csv(sys.argv[1], skipinitialspace=True, na_values=["?"])
frame.describe(include="all")
print(json.dumps({"rows": len(frame), "seconds": time.perf_counter() - started}))
`;

const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-'));
try {
  const csv = join(dir, 'adult-large.csv');
  process.stderr.write(`Generating a CSV of at least ${Math.round(targetBytes / 1024 / 1024)} MB in ${dir}…\n`);
  const generatedRows = await generate(csv);
  const size = statSync(csv).size;
  process.stderr.write(`${generatedRows.toLocaleString('en-US')} rows, ${(size / 1024 / 1024).toFixed(0)} MB\n`);
  if (!existsSync(join(root, 'dist', 'main', 'engine', 'engine.js'))) throw new Error('Build first: npm run build:main');

  const loadBefore = loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
  const results = [];
  const run = (label, command, args) => {
    process.stderr.write(`Measuring ${label}…\n`);
    const result = measure(label, command, args);
    results.push(result);
    process.stderr.write(`  ${JSON.stringify(result)}\n`);
  };
  run('Kiln import + profile', process.execPath, ['--input-type=module', '-e', kilnScript, csv]);
  // The import alone in its own process, so its peak memory is its own.
  run('Kiln import only', process.execPath, ['--input-type=module', '-e', kilnScript, csv, 'import-only']);
  run('DuckDB read_csv into a table', process.execPath, ['--input-type=module', '-e', duckScript, csv]);
  run('pandas read_csv + describe()', '/usr/bin/python3', ['-c', pandasScript, csv]);
  run('papaparse (Node, streaming)', process.execPath, ['--input-type=module', '-e', papaScript, csv]);

  const kiln = results[0];
  const kilnImport = results[1];
  const duck = results[2];
  const pandas = results[3];
  const usable = (result) => result && !result.unavailable && !result.error;
  const loadAfter = loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');
  const lines = [
    `File: ${generatedRows.toLocaleString('en-US')} rows, ${(size / 1024 / 1024).toFixed(0)} MB (adult.csv repeated with noise).`,
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GB RAM; load average ${loadBefore} before, ${loadAfter} after (other work on the machine slows every contender).`,
    '',
    '| contender | seconds | rows/s | its time ÷ Kiln’s | its time ÷ DuckDB’s | peak memory (MB) | peak / file size |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    if (!usable(result)) {
      lines.push(`| ${result.label} | — | — | — | — | — | ${result.unavailable ?? `failed: ${result.error}`} |`);
      continue;
    }
    const vsKiln = usable(kiln) ? (result.seconds / kiln.seconds).toFixed(2) : '—';
    const vsDuck = usable(duck) ? (result.seconds / duck.seconds).toFixed(2) : '—';
    lines.push(
      `| ${result.label} | ${result.seconds.toFixed(2)} | ${Math.round(result.rows / result.seconds).toLocaleString('en-US')} | ${vsKiln} | ${vsDuck} | ${result.peakMb?.toFixed(0) ?? '?'} | ${result.peakMb ? (result.peakMb / (size / 1024 / 1024)).toFixed(2) : '?'} |`,
    );
  }
  if (usable(kiln) && kiln.importSeconds !== undefined) {
    lines.push(
      '',
      `Kiln: import ${kiln.importSeconds.toFixed(2)} s, then ${kiln.profiled === 'none' ? 'no profile (the profile module is missing)' : `profile ${kiln.profileSeconds.toFixed(2)} s`}.`,
    );
    const goals = [];
    if (usable(duck) && usable(kilnImport)) {
      goals.push(`import ÷ DuckDB read_csv = ${(kilnImport.seconds / duck.seconds).toFixed(2)} (goal ≤ 1.5)`);
    }
    if (usable(pandas)) goals.push(`pandas ÷ Kiln import + profile = ${(pandas.seconds / kiln.seconds).toFixed(2)} (goal ≥ 2)`);
    if (usable(kilnImport) && kilnImport.peakMb) {
      goals.push(`Kiln import peak memory ÷ file size = ${(kilnImport.peakMb / (size / 1024 / 1024)).toFixed(2)} (goal well under 1)`);
    }
    lines.push(`Goals: ${goals.join('; ')}.`);
  }
  console.log(lines.join('\n'));
} finally {
  if (!process.env.KILN_BENCH_KEEP) await rm(dir, { recursive: true, force: true });
}
