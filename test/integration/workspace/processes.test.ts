/**
 * Several Kiln processes on one workspace (issue 9): concurrent first starts, a second process starting
 * while another trains, and a process killed with a job running. Real processes (the built CLI), real SQLite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Job } from '../../../shared/api.js';
import { Engine } from '../../../main/engine/engine.js';
import { migrations } from '../../../main/engine/workspace/migrations.js';
import { adultCsv, repoRoot, tempDir, waitForJob } from '../../helpers/engine.js';
import { adultFeatures, importFile, trainSettings } from '../train/helpers.js';

const cliEntry = join(repoRoot, 'dist', 'main', 'cli', 'kiln.js');
const homes: string[] = [];
afterAll(async () => {
  for (const home of homes) await rm(home, { recursive: true, force: true });
});

async function newHome(): Promise<string> {
  const home = await tempDir('kiln-processes-');
  homes.push(home);
  return home;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

function startCli(home: string, args: string[]): { child: ChildProcess; exited: Promise<Exit> } {
  if (!existsSync(cliEntry)) throw new Error(`${cliEntry} is missing: run \`npm run build:main\` first.`);
  const child = spawn(process.execPath, [cliEntry, ...args], {
    env: { ...process.env, KILN_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out, err })));
  return { child, exited };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads kiln.db as another reader would, without migrating or marking anything. */
function query<T>(home: string, sql: string, ...params: unknown[]): T[] {
  const file = join(home, 'kiln.db');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(sql).all(...params) as T[];
  } catch {
    // The schema may not exist yet while the other process is creating it.
    return [];
  } finally {
    db.close();
  }
}

function jobsFrom(exit: Exit): Job[] {
  expect(exit.code, exit.err).toBe(0);
  return JSON.parse(exit.out) as Job[];
}

const scratchOf = (home: string, jobId: string) => readdirSync(join(home, 'data')).filter((name) => name.startsWith(`.${jobId}.`));

describe('several processes on one workspace', () => {
  it('four first starts at once on a new KILN_HOME all succeed, with the schema applied once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const home = await newHome();
      const exits = await Promise.all(Array.from({ length: 4 }, () => startCli(home, ['projects', '--json']).exited));
      for (const exit of exits) {
        expect(exit.err).toBe('');
        expect(exit.code).toBe(0);
        expect(JSON.parse(exit.out)).toEqual([]);
      }
      const applied = query<{ id: number }>(home, 'SELECT id FROM schema_migrations ORDER BY id').map((row) => row.id);
      expect(applied).toEqual(migrations.map((migration) => migration.id));
      const runColumns = query<{ name: string }>(home, 'PRAGMA table_info(runs)').map((row) => row.name);
      expect(runColumns.filter((name) => name === 'split_id')).toHaveLength(1);
      const jobColumns = query<{ name: string }>(home, 'PRAGMA table_info(jobs)').map((row) => row.name);
      expect(jobColumns).toEqual(expect.arrayContaining(['owner_pid', 'owner_token']));
    }
  }, 180_000);

  it('a process that opens a new workspace while another holds the migration lock waits for it and applies nothing twice', async () => {
    const home = await newHome();
    const file = join(home, 'kiln.db');
    // Another Kiln, caught between creating the migrations table and applying the migrations, with the write lock held.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
        import Database from 'better-sqlite3';
        import { migrate } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/main/engine/workspace/database.js')).href)};
        import { migrations } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/main/engine/workspace/migrations.js')).href)};
        const db = new Database(${JSON.stringify(file)});
        db.pragma('journal_mode = WAL');
        db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL, applied_at TEXT NOT NULL)');
        db.exec('BEGIN IMMEDIATE');
        process.stdout.write('locked\\n');
        setTimeout(() => { migrate(db, migrations); db.exec('COMMIT'); db.close(); }, 1500);
        `,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const holderExit = new Promise<number | null>((resolve) => holder.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => holder.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve()));
    const opened = await startCli(home, ['projects', '--json']).exited;
    expect(await holderExit).toBe(0);
    expect(opened.err).toBe('');
    expect(opened.code).toBe(0);
    const applied = query<{ id: number }>(home, 'SELECT id FROM schema_migrations ORDER BY id').map((row) => row.id);
    expect(applied).toEqual(migrations.map((migration) => migration.id));
  }, 60_000);

  it("a second process starting leaves another live process's training job, run and scratch alone", async () => {
    const home = await newHome();
    const engine = new Engine({ home, shell: 'test' });
    try {
      const adult = await importFile(engine, adultCsv);
      let epochs = 0;
      const stop = engine.onEvent((event) => {
        if (event.type === 'run.progress') epochs += 1;
      });
      const { jobId } = await engine.call('train.start', {
        projectId: adult.projectId,
        datasetId: adult.id,
        features: adultFeatures(),
        train: trainSettings({ model: 'mlp', mlp: { epochs: 60, patience: 60 } }),
      });
      await waitFor('the first epoch', () => (epochs > 0 ? true : undefined), 120_000);
      // A temporary file named after the running job, as an import writes its scratch Parquet.
      const scratch = join(home, 'data', `.${jobId}.0123456789ab.parquet.tmp`);
      writeFileSync(scratch, 'in use');

      const listed = jobsFrom(await startCli(home, ['jobs', '--json']).exited);
      const seen = listed.find((job) => job.id === jobId);
      expect(seen?.state).toBe('running');
      expect(engine.jobs.get(jobId).state).toBe('running');
      expect(query<{ status: string }>(home, 'SELECT status FROM runs WHERE job_id = ?', jobId)).toEqual([{ status: 'running' }]);
      expect(existsSync(scratch)).toBe(true);

      const job = await waitForJob(engine, jobId);
      stop();
      expect(job.state).toBe('succeeded');
      const runs = await engine.call('runs.list', { projectId: adult.projectId });
      expect(runs.map((run) => run.status)).toEqual(['succeeded']);
      // Only the second process saw the job as interrupted, if it wrongly did: SQLite never held that state.
      expect(query<{ state: string }>(home, 'SELECT state FROM jobs WHERE id = ?', jobId)).toEqual([{ state: 'succeeded' }]);
    } finally {
      await engine.close();
    }
  }, 300_000);

  it('a process killed with a training run marks the job and run interrupted at the next start', async () => {
    const home = await newHome();
    const training = startCli(home, ['train', adultCsv, '--target', 'Y', '--model', 'auto', '--budget', '120']);
    const running = await waitFor(
      'the training run to be running',
      () => query<{ job_id: string }>(home, `SELECT job_id FROM runs WHERE status = 'running'`)[0],
      120_000,
    );
    training.child.kill('SIGKILL');
    await training.exited;

    const listed = jobsFrom(await startCli(home, ['jobs', '--json']).exited);
    const train = listed.find((job) => job.id === running.job_id);
    expect(train?.kind).toBe('train');
    expect(train?.state).toBe('interrupted');
    expect(query<{ status: string }>(home, 'SELECT status FROM runs WHERE job_id = ?', running.job_id)).toEqual([
      { status: 'interrupted' },
    ]);
  }, 300_000);

  it("a killed import's scratch Parquet is swept at the next start, and the job is interrupted", async () => {
    const home = await newHome();
    const files = await newHome();
    const line = '1,some text that makes the file longer,3.25,another column\n';
    const path = join(files, 'large.csv');
    await writeFile(path, `a,b,c,d\n${line.repeat(1_500_000)}`);
    const importing = startCli(home, ['import', path, '--project', 'Killed']);
    const jobId = await waitFor(
      'the import to write its scratch Parquet',
      () => {
        const job = query<{ id: string }>(home, `SELECT id FROM jobs WHERE kind = 'import' AND state = 'running'`)[0];
        return job && scratchOf(home, job.id).length > 0 ? job.id : undefined;
      },
      120_000,
    );
    importing.child.kill('SIGKILL');
    await importing.exited;
    expect(scratchOf(home, jobId).length).toBeGreaterThan(0);

    const listed = jobsFrom(await startCli(home, ['jobs', '--json']).exited);
    expect(listed.find((job) => job.id === jobId)?.state).toBe('interrupted');
    expect(scratchOf(home, jobId)).toEqual([]);
  }, 300_000);
});
