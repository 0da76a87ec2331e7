/**
 * Issue 9, import: files that used to add a column, break a query, get refused or
 * report raw engine errors. Real DuckDB through the engine, as the app runs it.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportOptions, ImportReport, Job } from '../../../shared/api.js';
import type { Engine } from '../../../main/engine/engine.js';
import type { ImportedDataset } from '../../../main/engine/handlers/core.js';
import { createTestEngine, tempDir, waitForJob } from '../../helpers/engine.js';

let engine: Engine;
let home: string;
let cleanup: () => Promise<void>;
let files: string;
let projectId: string;

beforeAll(async () => {
  ({ engine, home, cleanup } = await createTestEngine());
  files = await tempDir();
  projectId = (await engine.call('projects.create', { name: 'Import reliability' })).id;
});

afterAll(async () => {
  await cleanup();
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(files, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  return path;
}

async function importFile(path: string, options?: ImportOptions): Promise<Job> {
  const { jobId } = await engine.call('datasets.import', { projectId, path, options });
  return waitForJob(engine, jobId);
}

function result(job: Job): ImportedDataset {
  expect(job.error).toBeNull();
  expect(job.state).toBe('succeeded');
  return job.result as ImportedDataset;
}

async function rows(datasetId: string) {
  return (await engine.call('datasets.preview', { datasetId, limit: 1000 })).rows;
}

function column(report: ImportReport, name: string) {
  const found = report.columns.find((entry) => entry.name === name);
  if (!found) throw new Error(`no column ${name}`);
  return found;
}

/** No engine error name, no generated SQL, no stack frame, no temporary path. */
function expectUserMessage(message: string | null | undefined): void {
  expect(message).toBeTruthy();
  expect(message).not.toMatch(/Binder Error|Parser Error|Invalid Input Error|Out of Range Error|Conversion Error|IO Error/);
  expect(message).not.toMatch(/SELECT|read_csv|FROM '|sniff_csv|Error when sniffing file/);
  expect(message).not.toMatch(/\n\s+at /);
}

describe('import: the file decides the columns', () => {
  it('adds no column for a folder named key=value', async () => {
    const text = 'a,b\n1,x\n2,y\n';
    for (const folder of ['region=eu', 'year=2020']) {
      const path = await file(join(folder, 'data.csv'), text);
      const sniffed = await engine.call('datasets.sniff', { path });
      expect(sniffed.columns.map((entry) => entry.name)).toEqual(['a', 'b']);
      const dataset = result(await importFile(path));
      expect(dataset.columns).toEqual([
        { name: 'a', type: 'BIGINT' },
        { name: 'b', type: 'VARCHAR' },
      ]);
      expect(await rows(dataset.id)).toEqual([
        [1, 'x'],
        [2, 'y'],
      ]);
    }
  });

  it('keeps every header name: null, reserved words, markers, quotes, backslashes, empty, duplicates in any case', async () => {
    const header = ['null', 'select', 'from', 'order', 'NA', '?', 'a"b', "it's", 'back\\slash', '', 'dup', 'DUP', 'dup'];
    const csv = `${header.map((name) => (/[",]/.test(name) ? `"${name.replaceAll('"', '""')}"` : name)).join(',')}\n${header.map((_, index) => index).join(',')}\n${header.map((_, index) => index * 2).join(',')}\n`;
    const path = await file('names.csv', csv);
    const sniffed = await engine.call('datasets.sniff', { path });
    expect(sniffed.columns).toHaveLength(header.length);
    const dataset = result(await importFile(path));
    expect(dataset.columns.map((entry) => entry.name)).toEqual([
      'null',
      'select',
      'from',
      'order',
      'NA',
      '?',
      'a"b',
      "it's",
      'back\\slash',
      'column_10',
      'dup',
      'DUP_2',
      'dup_3',
    ]);
    expect(dataset.columns.every((entry) => entry.type === 'BIGINT')).toBe(true);
    expect((await rows(dataset.id))[1]).toEqual(header.map((_, index) => index * 2));
    const profiled = await waitForJob(engine, (await engine.call('profile.compute', { datasetId: dataset.id })).jobId);
    expect(profiled.error).toBeNull();
  });

  it('skips a comment line before the header instead of taking it as the header', async () => {
    const path = await file('comment.csv', '# exported by tool 1.2, on 2026-01-01\nid,note\n1,has a # inside\n2,plain\n');
    const dataset = result(await importFile(path));
    expect(dataset.columns.map((entry) => entry.name)).toEqual(['id', 'note']);
    expect(await rows(dataset.id)).toEqual([
      [1, 'has a # inside'],
      [2, 'plain'],
    ]);
  });
});

describe('import: encodings and compression', () => {
  const text = 'name,age\nZoë,31\nJosé,42\n';
  it.each([
    ['LE', 'utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    ['BE', 'utf-16be', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])],
  ])('reads UTF-16 %s with a byte order mark like the UTF-8 file', async (kind, encoding, bytes) => {
    const path = await file(`utf16-${kind}.csv`, bytes);
    const sniffed = await engine.call('datasets.sniff', { path });
    expect(sniffed.dialect.encoding).toBe(encoding);
    // The preview shows the cells as text; types are in its columns.
    expect(sniffed.rows).toEqual([
      ['Zoë', '31'],
      ['José', '42'],
    ]);
    expect(sniffed.columns.map((entry) => entry.type)).toEqual(['VARCHAR', 'BIGINT']);
    const dataset = result(await importFile(path));
    expect(dataset.columns.map((entry) => entry.name)).toEqual(['name', 'age']);
    expect(await rows(dataset.id)).toEqual([
      ['Zoë', 31],
      ['José', 42],
    ]);
    // The UTF-8 copy is removed once the import is done.
    expect(await readdir(join(home, 'tmp'))).toEqual([]);
  });

  it('still refuses UTF-16 without a byte order mark as binary data', async () => {
    const path = await file('utf16-nobom.csv', Buffer.from(text, 'utf16le'));
    await expect(engine.call('datasets.import', { projectId, path })).rejects.toThrow(/binary data/);
  });

  it('reads .csv.gz, with progress on the compressed bytes', async () => {
    const body = `a,b\n${Array.from({ length: 2000 }, (_, index) => `${index},v${index % 10}`).join('\n')}\n`;
    const path = await file('data.csv.gz', gzipSync(body));
    const messages: string[] = [];
    const stop = engine.onEvent((event) => {
      if (event.type === 'job.updated' && event.job.message) messages.push(event.job.message);
    });
    const dataset = result(await importFile(path));
    stop();
    expect(dataset.rowCount).toBe(2000);
    expect(dataset.columns).toEqual([
      { name: 'a', type: 'BIGINT' },
      { name: 'b', type: 'VARCHAR' },
    ]);
    expect(messages.join('\n')).not.toMatch(/binary/);
  });

  it('reads .csv.zst', async () => {
    const zstd = spawnSync('zstd', ['-q', '-c'], { input: 'a,b\n1,x\n2,y\n' });
    if (zstd.status !== 0) throw new Error('the zstd command is needed to write the test file');
    const path = await file('data.csv.zst', zstd.stdout);
    const dataset = result(await importFile(path));
    expect(await rows(dataset.id)).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
  });
});

describe('import: engine errors in words', () => {
  it('explains a line over the maximum line size, and the option that raises it works', async () => {
    const long = 'x'.repeat(3 * 1024 * 1024);
    const path = await file('long-line.csv', `a,b\n1,${long}\n2,y\n`);
    const job = await importFile(path);
    expect(job.state).toBe('failed');
    expectUserMessage(job.error);
    expect(job.error).toMatch(/longer than the maximum line size.*raise the maximum line size/);
    const dataset = result(await importFile(path, { maxLineBytes: 8 * 1024 * 1024 }));
    expect(dataset.rowCount).toBe(2);
  });

  it('never quotes the engine or its SQL when a file cannot be laid out', async () => {
    const cases: [string, string | Buffer][] = [
      ['unterminated.csv', 'a,b\n1,"never ends\n2,3\n'],
      ['ragged.csv', 'a\n1,2,3,4\n5\n6,7\n"8\n'],
      ['one-line.csv', 'just one line without a break'],
    ];
    for (const [name, content] of cases) {
      const path = await file(name, content);
      for (const attempt of [
        () => engine.call('datasets.sniff', { path }).then(() => null),
        () => importFile(path).then((job) => (job.state === 'failed' ? job.error : null)),
      ]) {
        let message: string | null;
        try {
          message = await attempt();
        } catch (error) {
          message = error instanceof Error ? error.message : String(error);
        }
        if (message !== null) expectUserMessage(message);
      }
    }
  });
});

// Training forks the built worker and the export writes the built model server: `npm run build:main && npm run build:server` first.
describe('import: non-finite numbers', () => {
  it('reads inf, nan and overflowing numbers as missing with a note per column, keeping 1e308', async () => {
    const path = await file('non-finite.csv', 'x,y,z\n1,inf,1.5\n2,-inf,1e308\n3,nan,2.5\n4,Infinity,3.5\n5,1e999,4.5\n6,2.5,5.5\n');
    const dataset = result(await importFile(path));
    expect(dataset.columns).toEqual([
      { name: 'x', type: 'BIGINT' },
      { name: 'y', type: 'DOUBLE' },
      { name: 'z', type: 'DOUBLE' },
    ]);
    expect(column(dataset.importReport, 'y').missing).toBe(5);
    expect(column(dataset.importReport, 'z').missing).toBe(0);
    expect(dataset.importReport.notes).toContainEqual({
      column: 'y',
      message: '5 values were not finite numbers (inf, -inf or nan) in y and are read as missing.',
    });
    expect(dataset.importReport.notes.filter((note) => note.column === 'z')).toEqual([]);
    expect((await rows(dataset.id)).map((row) => row[1])).toEqual([null, null, null, null, null, 2.5]);
    // 1e308 is a finite double and stays; the profile's statistics must survive it.
    expect((await rows(dataset.id)).map((row) => row[2])).toContain(1e308);
    const profiled = await waitForJob(engine, (await engine.call('profile.compute', { datasetId: dataset.id })).jobId);
    expect(profiled.error).toBeNull();
  });

  it('profiles, cleans, trains gbdt and exports a file with such values', async () => {
    const lines = ['x,score,label'];
    for (let index = 0; index < 240; index += 1) {
      const odd = ['inf', '-inf', 'nan', 'Infinity', '1e999'];
      const score = index % 12 === 0 ? odd[(index / 12) % odd.length] : String((index % 17) / 3);
      lines.push(`${index % 9},${score},${index % 2 === 0 ? 'yes' : 'no'}`);
    }
    const path = await file('non-finite-train.csv', `${lines.join('\n')}\n`);
    const dataset = result(await importFile(path));
    expect(column(dataset.importReport, 'score').missing).toBe(20);

    const profiled = await waitForJob(engine, (await engine.call('profile.compute', { datasetId: dataset.id })).jobId);
    expect(profiled.error).toBeNull();
    expect(profiled.state).toBe('succeeded');

    const cleaned = await waitForJob(
      engine,
      (
        await engine.call('clean.apply', {
          datasetId: dataset.id,
          steps: [{ id: 'fill', type: 'impute', enabled: true, columns: ['score'], method: 'mean' }],
        })
      ).jobId,
    );
    expect(cleaned.error).toBeNull();

    const { kiln } = await import('../train/helpers.js');
    const previousHome = process.env.KILN_HOME;
    process.env.KILN_HOME = await tempDir('kiln-nonfinite-home-');
    try {
      const trained = await kiln(['train', path, '--target', 'label', '--model', 'gbdt', '--json']);
      expect(trained.code, trained.err).toBe(0);
      const runId = (JSON.parse(trained.out) as { runId: string }).runId;
      const out = join(files, 'bundle');
      const exported = await kiln(['export', runId, '--out', out, '--json']);
      expect(exported.code, exported.err).toBe(0);
      expect(await readdir(out)).toContain('model.onnx');
    } finally {
      if (previousHome === undefined) delete process.env.KILN_HOME;
      else process.env.KILN_HOME = previousHome;
    }
  }, 180_000);
});

describe('import: wide files', () => {
  it('reports progress that only moves forward and never more rows than a 50-row file can have', async () => {
    const width = 3000;
    // Long names put the whole header beyond the 64 KB head, as in a 20,000-column file.
    const header = Array.from({ length: width }, (_, index) => `a_rather_long_column_name_${index}`).join(',');
    const lines = [header];
    for (let row = 0; row < 50; row += 1) lines.push(Array.from({ length: width }, (_, index) => String((row * index) % 97)).join(','));
    const path = await file('wide-progress.csv', `${lines.join('\n')}\n`);
    const events: { fraction: number | null; message: string }[] = [];
    const { jobId } = await engine.call('datasets.import', { projectId, path });
    const stop = engine.onEvent((event) => {
      if (event.type === 'job.updated' && event.job.id === jobId) events.push({ fraction: event.job.fraction, message: event.job.message });
    });
    const dataset = result(await waitForJob(engine, jobId));
    stop();
    expect(dataset.rowCount).toBe(50);
    expect(dataset.columns).toHaveLength(width);
    const fractions = events.map((event) => event.fraction ?? 0);
    fractions.forEach((fraction, index) => expect(fraction).toBeGreaterThanOrEqual(fractions[index - 1] ?? 0));
    const estimates = events.flatMap((event) => {
      const found = /about ([\d,]+) rows/.exec(event.message);
      return found ? [Number(found[1]?.replaceAll(',', ''))] : [];
    });
    for (const estimate of estimates) expect(estimate).toBeLessThanOrEqual(50 * 1.5);
  }, 120_000);
});
