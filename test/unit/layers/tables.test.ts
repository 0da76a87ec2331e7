/**
 * One owner per SQLite table: only the owner's file names the table in SQL. Every table the shipped
 * migrations create must have an owner here, so a new table cannot slip in without one.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/engine/workspace/database.js';
import { repoRoot } from '../../helpers/engine.js';

const owners: Record<string, string> = {
  projects: 'main/engine/workspace/repositories.ts',
  datasets: 'main/engine/workspace/repositories.ts',
  dataset_versions: 'main/engine/workspace/repositories.ts',
  recipes: 'main/engine/data/cleanRepository.ts',
  dataset_splits: 'main/engine/data/cleanRepository.ts',
  profiles: 'main/engine/data/profileStore.ts',
  runs: 'main/engine/train/runs.ts',
  jobs: 'main/engine/jobs/jobs.ts',
  exports: 'main/engine/export/exports.ts',
  schema_migrations: 'main/engine/workspace/database.ts',
};

/** The migrations create the tables; they are the one other place that names them. */
const migrationsFile = 'main/engine/workspace/migrations.ts';

/**
 * Known exceptions, each to be removed by the branch that owns the file. Each must still occur, so a
 * fixed one fails here until it is taken off the list.
 */
const pending: { file: string; table: string; why: string }[] = [];

const sqlNaming = /\b(?:from|join|into|update|table(?:\s+if\s+(?:not\s+)?exists)?)\s+["`]?([a-z_][a-z0-9_]*)\b/gi;

/** The tables a source text names in SQL (a FROM, JOIN, INTO, UPDATE or TABLE followed by the name). */
export function tablesNamedIn(source: string, tables: Iterable<string>): Set<string> {
  const known = new Set(tables);
  const found = new Set<string>();
  for (const match of source.matchAll(sqlNaming)) {
    const name = match[1]?.toLowerCase();
    if (name && known.has(name)) found.add(name);
  }
  return found;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ts|mts|js|mjs)$/.test(entry.name))
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)));
}

describe('one owner per table', () => {
  it('finds a table named in SQL, and only in SQL', () => {
    const tables = Object.keys(owners);
    expect([...tablesNamedIn(`db.prepare('SELECT import_json FROM datasets WHERE id = ?')`, tables)]).toEqual(['datasets']);
    expect([...tablesNamedIn('INSERT OR IGNORE INTO dataset_versions (version) VALUES (?)', tables)]).toEqual(['dataset_versions']);
    expect([...tablesNamedIn(`SELECT d.* FROM datasets d JOIN "runs" r ON r.dataset_id = d.id`, tables)].sort()).toEqual([
      'datasets',
      'runs',
    ]);
    expect([...tablesNamedIn('UPDATE jobs SET state = ?', tables)]).toEqual(['jobs']);
    expect(tablesNamedIn('// the runs of a project, and the datasets it has', tables).size).toBe(0);
  });

  it('every table the migrations create has an owner', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kiln-tables-'));
    try {
      const db = openDatabase(join(home, 'kiln.db'));
      const tables = (
        db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]
      ).map((row) => row.name);
      db.close();
      expect(tables.filter((name) => !(name in owners))).toEqual([]);
      expect(Object.keys(owners).filter((name) => !tables.includes(name))).toEqual([]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('no file but its owner names a table in SQL', async () => {
    const files = await sourceFiles(join(repoRoot, 'main'));
    expect(files.length).toBeGreaterThan(50);
    const tables = Object.keys(owners);
    const breaches: string[] = [];
    const stillPending = new Set<string>();
    for (const file of files) {
      if (file === migrationsFile) continue;
      const named = tablesNamedIn(await readFile(join(repoRoot, file), 'utf8'), tables);
      for (const table of named) {
        if (owners[table] === file) continue;
        const exception = pending.find((entry) => entry.file === file && entry.table === table);
        if (exception) stillPending.add(`${file}:${table}`);
        else breaches.push(`${file} names ${table} (owned by ${owners[table]})`);
      }
    }
    expect(breaches).toEqual([]);
    expect(
      pending.filter((entry) => !stillPending.has(`${entry.file}:${entry.table}`)).map((entry) => `${entry.file}: ${entry.why}`),
    ).toEqual([]);
  });
});
