import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { migrations as defaultMigrations, type Migration } from './migrations.js';

export type Db = Database.Database;

export function migrationHash(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}

export class MigrationMismatchError extends Error {
  constructor(id: number, name: string) {
    super(
      `Migration ${id} (${name}) in this workspace differs from the one in this version of Kiln. ` +
        'Migrations must never be edited; add a new one instead.',
    );
    this.name = 'MigrationMismatchError';
  }
}

/** Opens kiln.db in WAL mode and brings it up to date. */
export function openDatabase(file: string, migrations: readonly Migration[] = defaultMigrations): Db {
  const db = new Database(file);
  // First, so that every later statement (switching to WAL included) waits for a process that holds the lock.
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  try {
    migrate(db, migrations);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Brings the schema up to date. Several processes may open a new workspace at once, so the applied list is
 * read inside the transaction that applies the rest, and that transaction takes the write lock first
 * (BEGIN IMMEDIATE): a second process waits, then finds the migrations applied and applies nothing.
 */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  const ordered = [...migrations].sort((a, b) => a.id - b.id);
  ordered.forEach((migration, index) => {
    if (migration.id !== index + 1)
      throw new Error(`Migrations must be numbered 1, 2, 3…; found ${migration.id} at position ${index + 1}.`);
  });
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      hash TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`);
    const applied = new Map(
      (db.prepare('SELECT id, name, hash FROM schema_migrations').all() as { id: number; name: string; hash: string }[]).map((row) => [
        row.id,
        row,
      ]),
    );
    const insert = db.prepare('INSERT INTO schema_migrations (id, name, hash, applied_at) VALUES (?, ?, ?, ?)');
    for (const migration of ordered) {
      const hash = migrationHash(migration);
      const done = applied.get(migration.id);
      if (done) {
        if (done.hash !== hash) throw new MigrationMismatchError(migration.id, migration.name);
        continue;
      }
      db.exec(migration.sql);
      insert.run(migration.id, migration.name, hash, new Date().toISOString());
    }
  }).immediate();
}
