/**
 * Issue 9's corpus: a folder of odd CSVs, each imported through the engine and through
 * the built CLI. Every file either imports with the shape written next to it or is
 * refused with a message in words: no engine error name, no SQL, no stack frame and no
 * temporary path. The CLI runs from dist/: `npm run build:main` first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../../shared/api.js';
import type { Engine } from '../../../main/engine/engine.js';
import type { ImportedDataset } from '../../../main/engine/handlers/core.js';
import { createTestEngine, repoRoot, tempDir } from '../../helpers/engine.js';

/** What a file must become: its columns and row count, or a refusal whose message matches. */
type Expected = { columns: string[]; rows: number } | { refused: RegExp };

interface CorpusCase {
  name: string;
  content: () => string | Buffer | null;
  expected: Expected;
  /** Why the file is left out of this run, when its content cannot be made here. */
  skipped?: string;
}

const utf16Text = 'name,age\nZoë,31\nJosé,42\n';
const nameHeader = ['null', 'select', 'NA', '?', 'a"b', '', 'dup', 'dup'];
const wideWidth = 5000;

function wideCsv(): string {
  const header = Array.from({ length: wideWidth }, (_, index) => `c${index}`).join(',');
  const line = (row: number) => Array.from({ length: wideWidth }, (_, index) => (index % 2 ? `t${row}` : String(row * index))).join(',');
  return `${header}\n${line(1)}\n${line(2)}\n${line(3)}\n`;
}

let zstdMissing: string | undefined;
function zstd(text: string): Buffer | null {
  const made = spawnSync('zstd', ['-q', '-c'], { input: text });
  if (made.error || made.status !== 0) {
    zstdMissing = 'the zstd command is not installed, so no .csv.zst file can be written';
    return null;
  }
  return made.stdout;
}

const cases: CorpusCase[] = [
  // Issue 9, import section.
  { name: 'region=eu/data.csv', content: () => 'a,b\n1,x\n2,y\n', expected: { columns: ['a', 'b'], rows: 2 } },
  { name: 'year=2020/data.csv', content: () => 'a,b\n1,x\n2,y\n', expected: { columns: ['a', 'b'], rows: 2 } },
  {
    name: 'non-finite.csv',
    content: () => 'x,y,z\n1,inf,1.5\n2,-inf,1e308\n3,nan,2.5\n4,Infinity,3.5\n5,1e999,4.5\n6,2.5,5.5\n',
    expected: { columns: ['x', 'y', 'z'], rows: 6 },
  },
  {
    name: 'utf16-le-bom.csv',
    content: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf16Text, 'utf16le')]),
    expected: { columns: ['name', 'age'], rows: 2 },
  },
  {
    name: 'utf16-be-bom.csv',
    content: () => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(utf16Text, 'utf16le').swap16()]),
    expected: { columns: ['name', 'age'], rows: 2 },
  },
  { name: 'utf16-no-bom.csv', content: () => Buffer.from(utf16Text, 'utf16le'), expected: { refused: /binary data/ } },
  {
    name: 'header-names.csv',
    content: () =>
      `null,select,NA,?,"a""b",,dup,dup\n${nameHeader.map((_, index) => index).join(',')}\n${nameHeader.map((_, index) => index * 2).join(',')}\n`,
    expected: { columns: ['null', 'select', 'NA', '?', 'a"b', 'column_6', 'dup', 'dup_2'], rows: 2 },
  },
  {
    name: 'compressed.csv.gz',
    content: () => gzipSync(`a,b\n${Array.from({ length: 500 }, (_, index) => `${index},v${index % 10}`).join('\n')}\n`),
    expected: { columns: ['a', 'b'], rows: 500 },
  },
  { name: 'compressed.csv.zst', content: () => zstd('a,b\n1,x\n2,y\n3,z\n'), expected: { columns: ['a', 'b'], rows: 3 } },
  // 3 MB on one line: over the default maximum line size of 2 MB.
  {
    name: 'long-line.csv',
    content: () => `a,b\n1,${'x'.repeat(3 * 1024 * 1024)}\n2,y\n`,
    expected: { refused: /longer than the maximum line size.*raise the maximum line size/ },
  },
  {
    name: 'comment-before-header.csv',
    content: () => '# exported by tool 1.2, on 2026-01-01\nid,note\n1,has a # inside\n2,plain\n',
    expected: { columns: ['id', 'note'], rows: 2 },
  },
  {
    name: 'wide-5000.csv',
    content: wideCsv,
    expected: { columns: Array.from({ length: wideWidth }, (_, index) => `c${index}`), rows: 3 },
  },
  // Dialect and bad-input cases the import tests already cover one by one.
  { name: 'semicolon.csv', content: () => 'a;b;c\n1;x;2.5\n2;y;3.5\n', expected: { columns: ['a', 'b', 'c'], rows: 2 } },
  { name: 'tab.csv', content: () => 'a\tb\tc\n1\tx\t2.5\n2\ty\t3.5\n', expected: { columns: ['a', 'b', 'c'], rows: 2 } },
  { name: 'pipe.csv', content: () => 'a|b|c\n1|x|2.5\n2|y|3.5\n', expected: { columns: ['a', 'b', 'c'], rows: 2 } },
  {
    name: 'utf8-bom.csv',
    content: () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,age\nZoë,31\n')]),
    expected: { columns: ['name', 'age'], rows: 1 },
  },
  {
    name: 'latin1.csv',
    content: () => Buffer.from('ville,habitants\nMünchen,1500000\nZürich,400000\n', 'latin1'),
    expected: { columns: ['ville', 'habitants'], rows: 2 },
  },
  {
    name: 'quoted-newlines.csv',
    content: () => 'id,text\n1,"first line\nsecond line"\n2,plain\n',
    expected: { columns: ['id', 'text'], rows: 2 },
  },
  { name: 'empty.csv', content: () => '', expected: { refused: /empty\.csv is empty/ } },
  {
    name: 'binary.csv',
    content: () => Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00, 0xff, 0x10]),
    expected: { refused: /binary data/ },
  },
  { name: 'header-only.csv', content: () => 'a,b,c\n', expected: { refused: /header but no rows/ } },
  {
    name: 'unterminated-quote.csv',
    content: () => 'a,b\n1,"never ends\n2,3\n',
    expected: { refused: /unterminated-quote\.csv has no readable rows.*unterminated quote/ },
  },
  { name: 'one-line.csv', content: () => 'just one line without a break', expected: { refused: /header but no rows/ } },
  { name: 'one-column.csv', content: () => 'value\n1\n2\n3\n', expected: { columns: ['value'], rows: 3 } },
  { name: 'mixed-types.csv', content: () => 'a,b\n1,10\n2,20\n3,thirty\n4,40\n', expected: { columns: ['a', 'b'], rows: 4 } },
  {
    name: 'thousands.csv',
    content: () => 'a,b,c\n"1,234,567",1 234,"1,234.5"\n12,5,7\n',
    expected: { columns: ['a', 'b', 'c'], rows: 2 },
  },
];

const engineErrorNames = /Binder Error|Parser Error|Invalid Input Error|Out of Range Error|Conversion Error|IO Error|Catalog Error/;
const sqlText = /SELECT|read_csv|FROM '|kiln_source_/;

let engine: Engine;
let home: string;
let cleanup: () => Promise<void>;
let folder: string;
let cliHome: string;
let projectId: string;
const paths = new Map<string, string>();

beforeAll(async () => {
  ({ engine, home, cleanup } = await createTestEngine());
  folder = await tempDir('kiln-corpus-');
  cliHome = await tempDir('kiln-corpus-home-');
  projectId = (await engine.call('projects.create', { name: 'Corpus' })).id;
  for (const entry of cases) {
    const content = entry.content();
    if (content === null) {
      entry.skipped = zstdMissing;
      continue;
    }
    const path = join(folder, entry.name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
    paths.set(entry.name, path);
  }
}, 60_000);

afterAll(async () => {
  await cleanup();
});

/** A refusal the user can act on: words, not the engine's report or Kiln's generated SQL. */
function expectUserMessage(message: string): void {
  expect(message).not.toMatch(engineErrorNames);
  expect(message).not.toMatch(sqlText);
  expect(message).not.toContain('    at ');
  for (const temporary of [folder, home, cliHome]) expect(message).not.toContain(temporary);
}

type Outcome = { imported: { columns: string[]; rows: number } } | { refused: string };

async function importThroughEngine(path: string): Promise<Outcome> {
  let job: Job;
  try {
    const { jobId } = await engine.call('datasets.import', { projectId, path });
    job = await engine.jobs.wait(jobId);
  } catch (error) {
    // Some files are refused before a job starts (empty, binary).
    return { refused: error instanceof Error ? error.message : String(error) };
  }
  if (job.state === 'succeeded') {
    const dataset = job.result as ImportedDataset;
    return { imported: { columns: dataset.columns.map((column) => column.name), rows: dataset.rowCount } };
  }
  expect(job.state).toBe('failed');
  return { refused: job.error ?? '' };
}

function runCli(path: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'main', 'cli', 'kiln.js'), 'import', path, '--json'], {
      env: { ...process.env, KILN_HOME: cliHome },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

function expectOutcome(outcome: Outcome, expected: Expected): void {
  if ('refused' in expected) {
    expect(outcome).toHaveProperty('refused');
    if (!('refused' in outcome)) return;
    expect(outcome.refused).toMatch(expected.refused);
    expectUserMessage(outcome.refused);
  } else {
    expect(outcome).toEqual({ imported: expected });
  }
}

describe('import corpus: the engine', () => {
  it.each(cases.map((entry) => [entry.name, entry] as const))(
    '%s',
    async (name, entry) => {
      if (entry.skipped) {
        console.warn(`corpus: ${name} left out: ${entry.skipped}`);
        return;
      }
      const path = paths.get(name);
      if (!path) throw new Error(`no file for ${name}`);
      expectOutcome(await importThroughEngine(path), entry.expected);
    },
    120_000,
  );
});

describe('import corpus: kiln import --json', () => {
  it.each(cases.map((entry) => [entry.name, entry] as const))(
    '%s',
    async (name, entry) => {
      if (entry.skipped) {
        console.warn(`corpus: ${name} left out: ${entry.skipped}`);
        return;
      }
      const path = paths.get(name);
      if (!path) throw new Error(`no file for ${name}`);
      const { code, out, err } = await runCli(path);
      if ('refused' in entry.expected) {
        expect(code, out).toBe(1);
        // stderr carries the progress lines too; the refusal is the one line that starts with "kiln: ".
        const lines = err.trimEnd().split('\n');
        const refusals = lines.filter((line) => line.startsWith('kiln: '));
        expect(refusals, err).toHaveLength(1);
        expect(
          lines.filter((line) => !line.startsWith('kiln: ')).every((line) => /^\[\s*\d+%\] /.test(line)),
          err,
        ).toBe(true);
        expectOutcome({ refused: refusals[0] ?? '' }, entry.expected);
        expectUserMessage(err);
      } else {
        expect(code, err).toBe(0);
        const answer = JSON.parse(out) as { rows: number; columns: { name: string }[] };
        expect({ columns: answer.columns.map((column) => column.name), rows: answer.rows }).toEqual(entry.expected);
      }
    },
    120_000,
  );
});

describe('import: missing and distinct counts read from the Parquet footer', () => {
  it('match count(DISTINCT) for nulls, repeats, text, dates, 0 and -0, and files of several row groups', async () => {
    const { DuckPool } = await import('../../../main/engine/data/duckdb.js');
    const { columnStats } = await import('../../../main/engine/data/csvImport.js');
    const pool = new DuckPool(await tempDir('kiln-footer-tmp-'));
    const names = ['small', 'text', 'wide', 'block', 'zeros', 'day', 'empty'];
    const select = `SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE i % 7 END AS small,
        CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' || (i % 11) END AS text,
        i AS wide,
        -- One value per row group of 1,000 rows: a row group's dictionary is not the file's.
        'b' || (i // 1000) AS block,
        CASE WHEN i % 2 = 0 THEN 0.0::DOUBLE ELSE -0.0::DOUBLE END AS zeros,
        DATE '2026-01-01' + (i % 4)::INTEGER AS day,
        NULL::VARCHAR AS empty
      FROM range(5000) AS t(i)`;
    try {
      await pool.with(undefined, async (connection) => {
        for (const rowGroupSize of [100_000, 1000]) {
          const path = join(folder, `footer-${rowGroupSize}.parquet`);
          await connection.run(`COPY (${select}) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE ${rowGroupSize})`);
          const expected = (
            await connection.runAndReadAll(
              `SELECT ${names.map((name) => `count(*) - count("${name}"), count(DISTINCT "${name}")`).join(', ')} FROM '${path}'`,
            )
          )
            .getRows()[0]
            ?.map(Number);
          const stats = await columnStats(connection, path, names);
          expect(stats.rows).toBe(5000);
          expect(names.flatMap((_, index) => [stats.missing[index], stats.distinct[index]])).toEqual(expected);
        }
      });
    } finally {
      await pool.close();
    }
  });
});
