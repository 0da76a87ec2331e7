import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli/run.js';
import { repoRoot, tempDir } from '../../helpers/engine.js';

const recipe = join(repoRoot, 'resources', 'samples', 'adult.recipe.json');

async function kiln(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (text) => out.push(text), err: (text) => err.push(text) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let previousHome: string | undefined;

beforeEach(async () => {
  previousHome = process.env.KILN_HOME;
  process.env.KILN_HOME = await tempDir('kiln-run-');
});

afterEach(() => {
  if (previousHome === undefined) delete process.env.KILN_HOME;
  else process.env.KILN_HOME = previousHome;
});

describe('kiln run', () => {
  it('imports, cleans and splits adult.csv as the sample recipe says', async () => {
    const { code, out, err } = await kiln(['run', recipe, '--json']);
    expect(code, err).toBe(0);
    const result = JSON.parse(out) as {
      datasetId: string;
      version: string;
      rows: number;
      columns: { name: string }[];
      splits: Record<string, { version: string; rows: number }>;
    };
    expect(result.rows).toBe(32_561);
    expect(result.columns).toHaveLength(15);
    expect(result.version).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(result.splits)).toEqual(['train', 'valid', 'test']);
    const total = Object.values(result.splits).reduce((sum, part) => sum + part.rows, 0);
    expect(total).toBe(32_561);
    expect(Math.abs((result.splits.train?.rows ?? 0) / total - 0.7)).toBeLessThan(0.01);
    expect(err).toMatch(/%/);

    // The same recipe on the same data gives the same versions.
    const again = JSON.parse((await kiln(['run', recipe, '--json'])).out) as typeof result;
    expect(again.version).toBe(result.version);
    expect(again.splits.test?.version).toBe(result.splits.test?.version);

    const exported = join(process.env.KILN_HOME ?? '', 'out', 'features.csv');
    const written = await kiln(['export-data', result.datasetId, exported, '--json']);
    expect(written.code, written.err).toBe(0);
    expect((JSON.parse(written.out) as { rows: number }).rows).toBe(32_561);
  });

  it('names the invalid field of a bad recipe', async () => {
    const dir = await tempDir();
    const bad = join(dir, 'bad.recipe.json');
    await writeFile(
      bad,
      JSON.stringify({
        schemaVersion: 1,
        dataset: { path: 'x.csv' },
        clean: [{ type: 'impute', id: 'a', columns: ['occupation'], method: 'average' }],
      }),
    );
    const { code, err } = await kiln(['run', bad]);
    expect(code).toBe(1);
    expect(err).toContain('clean.0.method');

    await writeFile(bad, JSON.stringify({ schemaVersion: 2, clean: [] }));
    expect((await kiln(['run', bad])).err).toContain('schemaVersion');
    await writeFile(bad, '{ not json');
    expect((await kiln(['run', bad])).err).toMatch(/not valid JSON/);
  });

  it('reports a step that names a missing column, with the step number', async () => {
    const dir = await tempDir();
    const bad = join(dir, 'missing-column.recipe.json');
    await writeFile(
      bad,
      JSON.stringify({
        schemaVersion: 1,
        dataset: { path: join(repoRoot, 'resources', 'samples', 'adult.csv') },
        clean: [{ type: 'dropColumns', id: 'a', columns: ['no such column'] }],
      }),
    );
    const { code, err } = await kiln(['run', bad]);
    expect(code).toBe(1);
    expect(err).toContain('Step 1 (Drop columns): there is no column "no such column"');
  });
});
