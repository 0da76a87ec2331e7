import { readFileSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli/run.js';
import { repoRoot, tempDir } from '../../helpers/engine.js';

// Read here rather than through main/paths.ts, so that a wrong app root in the code under test shows up as a failure.
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

interface CliResult {
  code: number;
  out: string[];
  err: string[];
}

async function kiln(...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out, err };
}

describe('kiln CLI', () => {
  let home: string;
  let files: string;
  const previousHome = process.env.KILN_HOME;

  beforeEach(async () => {
    home = await tempDir('kiln-cli-home-');
    files = await tempDir('kiln-cli-files-');
    process.env.KILN_HOME = home;
  });

  afterEach(async () => {
    if (previousHome === undefined) delete process.env.KILN_HOME;
    else process.env.KILN_HOME = previousHome;
    await rm(home, { recursive: true, force: true });
    await rm(files, { recursive: true, force: true });
  });

  it('--version prints the package version', async () => {
    const result = await kiln('--version');
    expect(result.code).toBe(0);
    expect(result.out).toEqual([`kiln ${version}`]);
    expect(result.err).toEqual([]);
    expect(JSON.parse((await kiln('--version', '--json')).out[0] ?? '')).toEqual({ version });
  });

  it('--help prints the usage with the commands', async () => {
    const result = await kiln('--help');
    expect(result.code).toBe(0);
    const text = result.out.join('\n');
    expect(text).toMatch(/^kiln: from a CSV file to a served model/);
    for (const command of ['projects', 'import', '--json', '--version']) expect(text).toContain(command);
  });

  it('projects --json prints a JSON array, empty in a new workspace', async () => {
    const result = await kiln('projects', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out.join('\n'))).toEqual([]);
  });

  it('projects create then projects --json lists the new project', async () => {
    const created = await kiln('projects', 'create', 'Census', 'income');
    expect(created.code).toBe(0);
    expect(created.out[0]).toMatch(/^Created project Census income \(prj_[0-9a-f]+\)$/);

    const listed = await kiln('projects', '--json');
    const projects = JSON.parse(listed.out.join('\n')) as { id: string; name: string; datasetCount: number }[];
    expect(projects).toHaveLength(1);
    expect(projects[0]).toMatchObject({ name: 'Census income', datasetCount: 0 });

    const text = await kiln('projects');
    expect(text.out.join('\n')).toMatch(/^ID\s+NAME\s+DATASETS\s+UPDATED\n.*Census income\s+0/);
  });

  it('projects create without a name fails with a one-line reason naming the field', async () => {
    const result = await kiln('projects', 'create');
    expect(result.code).toBe(2);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(/^kiln: name: A project needs a name\.$/);
  });

  it('an unknown command exits 2 with one line on stderr', async () => {
    const result = await kiln('frobnicate');
    expect(result.code).toBe(2);
    expect(result.out).toEqual([]);
    expect(result.err).toEqual(['kiln: unknown command "frobnicate". See kiln --help.']);
  });

  it('an unknown option exits 2 with one line on stderr', async () => {
    const result = await kiln('projects', '--colour');
    expect(result.code).toBe(2);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toContain('--colour');
  });

  describe('import of a file that is not a usable CSV', () => {
    async function expectRefused(file: string, reason: RegExp): Promise<void> {
      const result = await kiln('import', file, '--project', 'Bad files');
      expect(result.code).toBe(1);
      expect(result.out).toEqual([]);
      expect(result.err).toHaveLength(1);
      expect(result.err[0]).toMatch(/^kiln: /);
      expect(result.err[0]).not.toContain('\n');
      expect(result.err[0]).toMatch(reason);
      expect(await readdir(join(home, 'data'))).toEqual([]);
      expect(await readdir(join(home, 'tmp'))).toEqual([]);
      // The refusal comes before the project would be created.
      expect(JSON.parse((await kiln('projects', '--json')).out.join(''))).toEqual([]);
    }

    it('a missing file', async () => {
      await expectRefused(join(files, 'nope.csv'), /nope\.csv does not exist/);
    });

    it('an empty file', async () => {
      const empty = join(files, 'empty.csv');
      await writeFile(empty, '');
      await expectRefused(empty, /empty\.csv is empty/);
    });

    it('a binary file', async () => {
      const binary = join(files, 'photo.csv');
      await writeFile(
        binary,
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]),
      );
      await expectRefused(binary, /photo\.csv is not a CSV file: it contains binary data/);
    });

    it('no file given is bad usage', async () => {
      const result = await kiln('import');
      expect(result.code).toBe(2);
      expect(result.err).toEqual(['kiln: give the CSV file to import: kiln import <file>.']);
    });
  });
});
