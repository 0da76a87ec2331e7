import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MigrationMismatchError, openDatabase, type Db } from '../../../main/engine/workspace/database.js';
import { migrations as shippedMigrations, type Migration } from '../../../main/engine/workspace/migrations.js';
import { tempDir } from '../../helpers/engine.js';

// Migration 2 depends on the table migration 1 creates, so running them out of order would fail.
const testMigrations: Migration[] = [
  { id: 1, name: 'animals', sql: 'CREATE TABLE animals (id INTEGER PRIMARY KEY, name TEXT NOT NULL);' },
  { id: 2, name: 'animals-legs', sql: 'ALTER TABLE animals ADD COLUMN legs INTEGER NOT NULL DEFAULT 4;' },
];

interface AppliedRow {
  id: number;
  name: string;
  hash: string;
}

describe('SQLite workspace database', () => {
  let dir: string;
  let file: string;
  const open: Db[] = [];
  const track = (db: Db) => {
    open.push(db);
    return db;
  };

  beforeEach(async () => {
    dir = await tempDir('kiln-db-');
    file = join(dir, 'kiln.db');
  });

  afterEach(async () => {
    for (const db of open.splice(0)) if (db.open) db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs migrations in id order, even when listed out of order', () => {
    const db = track(openDatabase(file, [testMigrations[1]!, testMigrations[0]!]));
    const applied = db.prepare('SELECT id, name, hash FROM schema_migrations ORDER BY applied_at, id').all() as AppliedRow[];
    expect(applied.map((row) => row.id)).toEqual([1, 2]);
    db.prepare('INSERT INTO animals (name) VALUES (?)').run('cat');
    expect(db.prepare('SELECT name, legs FROM animals').get()).toEqual({ name: 'cat', legs: 4 });
  });

  it('applies the shipped migrations and creates the core tables', () => {
    const db = track(openDatabase(file));
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((row) => row.name);
    for (const table of ['projects', 'datasets', 'dataset_versions', 'runs', 'jobs', 'profiles', 'recipes', 'dataset_splits', 'exports']) {
      expect(tables).toContain(table);
    }
    // Migration 5 dropped it: it was written and never read.
    expect(tables).not.toContain('models');
    const ids = (db.prepare('SELECT id FROM schema_migrations ORDER BY id').all() as { id: number }[]).map((row) => row.id);
    expect(ids).toEqual(shippedMigrations.map((migration) => migration.id));
  });

  it('turns WAL mode and foreign keys on', () => {
    const db = track(openDatabase(file, testMigrations));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('is idempotent when re-opened: nothing re-runs and data stays', () => {
    const first = track(openDatabase(file, testMigrations));
    first.prepare('INSERT INTO animals (name, legs) VALUES (?, ?)').run('spider', 8);
    const before = first.prepare('SELECT id, name, hash FROM schema_migrations ORDER BY id').all() as AppliedRow[];
    first.close();

    const second = track(openDatabase(file, testMigrations));
    const after = second.prepare('SELECT id, name, hash FROM schema_migrations ORDER BY id').all() as AppliedRow[];
    expect(after).toEqual(before);
    expect(second.prepare('SELECT name, legs FROM animals').all()).toEqual([{ name: 'spider', legs: 8 }]);
  });

  it('applies only the new migration when one is appended', () => {
    track(openDatabase(file, [testMigrations[0]!])).close();
    const db = track(openDatabase(file, testMigrations));
    const columns = (db.prepare('PRAGMA table_info(animals)').all() as { name: string }[]).map((row) => row.name);
    expect(columns).toEqual(['id', 'name', 'legs']);
  });

  it('refuses a workspace whose applied migration was edited', () => {
    track(openDatabase(file, testMigrations)).close();
    const edited: Migration[] = [
      { ...testMigrations[0]!, sql: `${testMigrations[0]!.sql}\nCREATE TABLE extra (id INTEGER);` },
      testMigrations[1]!,
    ];
    expect(() => openDatabase(file, edited)).toThrow(MigrationMismatchError);
    expect(() => openDatabase(file, edited)).toThrow(/Migration 1 \(animals\)/);
  });

  it('refuses gaps in migration numbers', () => {
    expect(() => openDatabase(file, [testMigrations[0]!, { ...testMigrations[1]!, id: 3 }])).toThrow(/numbered 1, 2, 3/);
  });

  it('rolls back a migration that fails and records nothing for it', () => {
    const broken: Migration[] = [testMigrations[0]!, { id: 2, name: 'broken', sql: 'ALTER TABLE no_such_table ADD COLUMN x INTEGER;' }];
    expect(() => openDatabase(file, broken)).toThrow(/no_such_table/);
    const db = track(openDatabase(file, [testMigrations[0]!]));
    const ids = (db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((row) => row.id);
    expect(ids).toEqual([1]);
  });
});
