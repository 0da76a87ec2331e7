import { appendFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportOptions, ImportReport, Job } from '../../../shared/api.js';
import type { Engine } from '../../../main/engine/engine.js';
import type { ImportedDataset } from '../../../main/engine/handlers/core.js';
import { adultCsv, createTestEngine, tempDir, waitForJob } from '../../helpers/engine.js';

let engine: Engine;
let home: string;
let cleanup: () => Promise<void>;
let files: string;
let projectId: string;

beforeAll(async () => {
  ({ engine, home, cleanup } = await createTestEngine());
  files = await tempDir();
  projectId = (await engine.call('projects.create', { name: 'Import tests' })).id;
});

afterAll(async () => {
  await cleanup();
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(files, name);
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

function column(report: ImportReport, name: string) {
  const found = report.columns.find((entry) => entry.name === name);
  if (!found) throw new Error(`no column ${name} in ${report.columns.map((entry) => entry.name).join(', ')}`);
  return found;
}

async function rows(datasetId: string) {
  return (await engine.call('datasets.preview', { datasetId, limit: 1000 })).rows;
}

describe('import: the adult sample', () => {
  it('reads 32,561 rows and 15 columns with ? counted as missing', async () => {
    const dataset = result(await importFile(adultCsv));
    expect(dataset.rowCount).toBe(32561);
    expect(dataset.columns).toHaveLength(15);
    const report = dataset.importReport;
    expect(column(report, 'workclass').missing).toBe(1836);
    expect(column(report, 'occupation').missing).toBe(1843);
    expect(column(report, 'native-country').missing).toBe(583);
    expect(column(report, 'age')).toMatchObject({ type: 'BIGINT', missing: 0, distinct: 73 });
    expect(column(report, 'sex').distinct).toBe(2);
    expect(report.dialect).toMatchObject({ delimiter: ',', header: true, encoding: 'utf-8' });
    expect(report.badRows.count).toBe(0);
    const first = (await rows(dataset.id))[0];
    // Values are trimmed: the file separates fields with ", ".
    expect(first?.slice(0, 2)).toEqual([39, 'State-gov']);
    expect(await engine.call('datasets.importReport', { datasetId: dataset.id })).toMatchObject({ badRows: { count: 0 } });
  });

  it('re-importing the same file reuses the version without copying it', async () => {
    const dataBefore = await readdir(join(home, 'data'));
    const dataset = result(await importFile(adultCsv));
    expect(dataset.importReport.reused).toBe(true);
    expect(column(dataset.importReport, 'workclass').missing).toBe(1836);
    expect(await readdir(join(home, 'data'))).toEqual(dataBefore);
    const all = await engine.call('datasets.list', { projectId });
    expect(new Set(all.map((entry) => entry.version)).size).toBe(1);
  });

  it('sniffs the sample before importing it', async () => {
    const sniffed = await engine.call('datasets.sniff', { path: adultCsv });
    expect(sniffed.dialect.delimiter).toBe(',');
    expect(sniffed.columns).toHaveLength(15);
    expect(sniffed.columns[0]).toMatchObject({ name: 'age', type: 'BIGINT', role: 'feature' });
    expect(sniffed.rows).toHaveLength(50);
    expect(sniffed.rows[0]?.[1]).toBe('State-gov');
  });
});

describe('import: dialects and encodings', () => {
  it.each([
    ['semicolon', 'a;b;c\n1;x;2.5\n2;y;3.5\n', ';'],
    ['tab', 'a\tb\tc\n1\tx\t2.5\n2\ty\t3.5\n', '\t'],
    ['pipe', 'a|b|c\n1|x|2.5\n2|y|3.5\n', '|'],
  ])('detects a %s separator', async (kind, content, delimiter) => {
    const path = await file(`${kind}.csv`, content);
    const sniffed = await engine.call('datasets.sniff', { path });
    expect(sniffed.dialect.delimiter).toBe(delimiter);
    const dataset = result(await importFile(path));
    expect(dataset.columns.map((entry) => entry.name)).toEqual(['a', 'b', 'c']);
    expect(dataset.columns.map((entry) => entry.type)).toEqual(['BIGINT', 'VARCHAR', 'DOUBLE']);
    expect(await rows(dataset.id)).toEqual([
      [1, 'x', 2.5],
      [2, 'y', 3.5],
    ]);
  });

  it('honours a separator and header override', async () => {
    const path = await file('override.csv', '1;2\n3;4\n');
    const dataset = result(await importFile(path, { delimiter: ';', header: false }));
    expect(dataset.columns.map((entry) => entry.name)).toEqual(['column_1', 'column_2']);
    expect(dataset.rowCount).toBe(2);
  });

  it('keeps quoted newlines inside a value', async () => {
    const path = await file('quoted.csv', 'id,text\n1,"first line\nsecond line"\n2,plain\n');
    const dataset = result(await importFile(path));
    expect(dataset.rowCount).toBe(2);
    expect((await rows(dataset.id))[0]).toEqual([1, 'first line\nsecond line']);
  });

  it('does not put a UTF-8 byte order mark into the first column name', async () => {
    const path = await file('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,age\nZoë,31\n')]));
    const dataset = result(await importFile(path));
    expect(dataset.columns.map((entry) => entry.name)).toEqual(['name', 'age']);
    expect((await rows(dataset.id))[0]).toEqual(['Zoë', 31]);
  });

  it('detects Latin-1 when the file is not valid UTF-8', async () => {
    const path = await file('latin1.csv', Buffer.from('ville,habitants\nMünchen,1500000\nZürich,400000\n', 'latin1'));
    const sniffed = await engine.call('datasets.sniff', { path });
    expect(sniffed.dialect.encoding).toBe('latin-1');
    const dataset = result(await importFile(path));
    expect((await rows(dataset.id)).map((row) => row[0])).toEqual(['München', 'Zürich']);
  });

  it('uses the missing markers the user gives', async () => {
    const path = await file('markers.csv', 'a,b\n1,-\n2,x\n-,y\n');
    const dataset = result(await importFile(path, { missing: ['-'] }));
    expect(dataset.columns.map((entry) => entry.type)).toEqual(['BIGINT', 'VARCHAR']);
    expect(column(dataset.importReport, 'a').missing).toBe(1);
    expect(column(dataset.importReport, 'b').missing).toBe(1);
  });

  it('applies type overrides and roles, and reports values that did not convert', async () => {
    const path = await file('types.csv', 'id,code,label\n1,007,a\n2,x,b\n');
    const dataset = result(
      await importFile(path, { columns: { code: { type: 'BIGINT' }, id: { role: 'id' }, label: { role: 'target' } } }),
    );
    expect(dataset.columns.map((entry) => entry.type)).toEqual(['BIGINT', 'BIGINT', 'VARCHAR']);
    expect(dataset.importReport.columns.map((entry) => entry.role)).toEqual(['id', 'feature', 'target']);
    expect(dataset.importReport.notes).toContainEqual({
      column: 'code',
      message: expect.stringContaining('1 values could not be read as BIGINT'),
    });
  });
});

describe('import: bad input', () => {
  it('refuses an empty file', async () => {
    const path = await file('empty.csv', '');
    await expect(engine.call('datasets.import', { projectId, path })).rejects.toThrow(/empty\.csv is empty/);
  });

  it('refuses a binary file', async () => {
    const path = await file('binary.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00, 0xff, 0x10]));
    await expect(engine.call('datasets.import', { projectId, path })).rejects.toThrow(/binary data/);
    await expect(engine.call('datasets.sniff', { path })).rejects.toThrow(/binary data/);
  });

  it('explains a header with no rows, and leaves nothing behind', async () => {
    const path = await file('header-only.csv', 'a,b,c\n');
    const before = await readdir(join(home, 'data'));
    const job = await importFile(path);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/header but no rows/);
    expect(await readdir(join(home, 'data'))).toEqual(before);
    const sniffed = await engine.call('datasets.sniff', { path });
    expect(sniffed.notes[0]?.message).toMatch(/header but no rows/);
  });

  it('makes duplicate and empty column names unique and reports how', async () => {
    const path = await file('names.csv', 'col,col,,b\n1,2,3,4\n');
    const dataset = result(await importFile(path));
    expect(dataset.columns.map((entry) => entry.name)).toEqual(['col', 'col_2', 'column_3', 'b']);
    expect(dataset.importReport.renamed).toEqual([
      { position: 2, from: 'col', to: 'col_2' },
      { position: 3, from: '', to: 'column_3' },
    ]);
    expect((await rows(dataset.id))[0]).toEqual([1, 2, 3, 4]);
  });

  it('keeps an entirely missing column as text, with a note', async () => {
    const path = await file('all-missing.csv', 'a,b\n1,?\n2,NA\n3,\n');
    const dataset = result(await importFile(path));
    expect(dataset.columns).toEqual([
      { name: 'a', type: 'BIGINT' },
      { name: 'b', type: 'VARCHAR' },
    ]);
    expect(column(dataset.importReport, 'b').missing).toBe(3);
    expect(dataset.importReport.notes).toContainEqual({ column: 'b', message: expect.stringMatching(/Every value is missing/) });
  });

  it('imports 5,000 columns', async () => {
    const width = 5000;
    const header = Array.from({ length: width }, (_, index) => `c${index}`).join(',');
    const line = (row: number) => Array.from({ length: width }, (_, index) => (index % 2 ? `t${row}` : String(row * index))).join(',');
    const path = await file('wide.csv', `${header}\n${line(1)}\n${line(2)}\n${line(3)}\n`);
    const dataset = result(await importFile(path));
    expect(dataset.columns).toHaveLength(width);
    expect(dataset.rowCount).toBe(3);
    expect(dataset.columns[4998]).toEqual({ name: 'c4998', type: 'BIGINT' });
    expect(dataset.columns[4999]).toEqual({ name: 'c4999', type: 'VARCHAR' });
    expect(column(dataset.importReport, 'c4999').distinct).toBe(3);
  });

  it('imports a single column', async () => {
    const path = await file('single.csv', 'value\n1\n2\n3\n');
    const dataset = result(await importFile(path));
    expect(dataset.columns).toEqual([{ name: 'value', type: 'BIGINT' }]);
    expect(dataset.rowCount).toBe(3);
  });

  it('keeps a column of mixed numbers and text as text, with a note', async () => {
    const path = await file('mixed.csv', 'a,b\n1,10\n2,20\n3,thirty\n4,40\n');
    const dataset = result(await importFile(path));
    expect(dataset.columns.map((entry) => entry.type)).toEqual(['BIGINT', 'VARCHAR']);
    expect(dataset.importReport.notes).toContainEqual({
      column: 'b',
      message: expect.stringMatching(/Mixed values: 3 of 4 are numbers.*"thirty"/),
    });
  });

  it('reads numbers with thousands separators as numbers', async () => {
    const path = await file('thousands.csv', 'a,b,c\n"1,234,567",1 234,"1,234.5"\n12,5,7\n');
    const dataset = result(await importFile(path));
    expect(dataset.columns.map((entry) => entry.type)).toEqual(['BIGINT', 'BIGINT', 'DOUBLE']);
    expect(await rows(dataset.id)).toEqual([
      [1234567, 1234, 1234.5],
      [12, 5, 7],
    ]);
    expect(dataset.importReport.notes.filter((note) => /thousands/.test(note.message)).map((note) => note.column)).toEqual(['a', 'b', 'c']);
  });

  it('does not read a decimal comma as a thousands separator', async () => {
    const path = await file('decimal-comma.csv', 'a;b\n2,5;x\n3,25;y\n');
    const dataset = result(await importFile(path));
    expect(dataset.columns[0]?.type).toBe('VARCHAR');
  });

  it('skips bad rows, counting them with their line numbers', async () => {
    const path = await file('bad-rows.csv', 'a,b,c\n1,x,2\n2,y\n3,z,4\n4,w,5,6\n5,v,6\n');
    const dataset = result(await importFile(path, { badRows: 'skip' }));
    expect(dataset.rowCount).toBe(3);
    expect(dataset.importReport.badRows.count).toBe(2);
    expect(dataset.importReport.badRows.lines.map((row) => [row.line, row.text])).toEqual([
      [3, '2,y'],
      [5, '4,w,5,6'],
    ]);
    const stored = await engine.call('datasets.importReport', { datasetId: dataset.id });
    expect(stored?.badRows.count).toBe(2);
  });

  it('stops at bad rows when asked, quoting the first bad line', async () => {
    const path = await file('bad-rows-stop.csv', 'a,b,c\n1,x,2\n2,y\n3,z,4\n');
    const before = await readdir(join(home, 'data'));
    const job = await importFile(path, { badRows: 'stop' });
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/1 bad row: line 3 has 2 fields where 3 were expected: 2,y/);
    expect(await readdir(join(home, 'data'))).toEqual(before);
  });

  it('fails clearly when the file changes while it is read, leaving nothing behind', async () => {
    const line = '1,some text that makes the file longer,3.25\n';
    const path = await file('changing.csv', `a,b,c\n${line.repeat(200_000)}`);
    const before = await readdir(join(home, 'data'));
    const { jobId } = await engine.call('datasets.import', { projectId, path });
    await appendFile(path, line);
    const job = await waitForJob(engine, jobId);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/changing\.csv changed while Kiln was reading it/);
    expect(await readdir(join(home, 'data'))).toEqual(before);
    expect(await readdir(join(home, 'tmp'))).toEqual([]);
  });

  it('cancelling an import leaves nothing behind', async () => {
    const line = '1,some text that makes the file longer,3.25,another column\n';
    const path = await file('large.csv', `a,b,c,d\n${line.repeat(1_500_000)}`);
    const before = await readdir(join(home, 'data'));
    const { jobId } = await engine.call('datasets.import', { projectId, path });
    await new Promise<void>((resolve) => {
      const stop = engine.onEvent((event) => {
        if (event.type === 'job.updated' && event.job.id === jobId && (event.job.stage === 'reading' || event.job.stage === 'hashing')) {
          stop();
          resolve();
        }
      });
    });
    await engine.call('jobs.cancel', { jobId });
    const job = await waitForJob(engine, jobId);
    expect(job.state).toBe('cancelled');
    expect(await readdir(join(home, 'data'))).toEqual(before);
    expect(await readdir(join(home, 'tmp'))).toEqual([]);
  });
});
