import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from './database.js';

/**
 * The workspace folder (KILN_HOME):
 *   kiln.db     SQLite: projects, datasets and their versions, recipes, splits, profiles, runs, jobs, exports
 *   data/       immutable Parquet tables, named by their version hash
 *   artifacts/  fitted models, exports
 *   uploads/    files received from browser mode before import
 *   tmp/        scratch space; what a dead process left there is removed at start (scratch.ts)
 */
export interface Workspace {
  readonly home: string;
  readonly db: Db;
  readonly dataDir: string;
  readonly artifactsDir: string;
  readonly uploadsDir: string;
  readonly tmpDir: string;
  close(): void;
}

export function openWorkspace(home: string): Workspace {
  const dataDir = join(home, 'data');
  const artifactsDir = join(home, 'artifacts');
  const uploadsDir = join(home, 'uploads');
  const tmpDir = join(home, 'tmp');
  for (const dir of [home, dataDir, artifactsDir, uploadsDir, tmpDir]) mkdirSync(dir, { recursive: true });
  const db = openDatabase(join(home, 'kiln.db'));
  return {
    home,
    db,
    dataDir,
    artifactsDir,
    uploadsDir,
    tmpDir,
    close: () => db.close(),
  };
}
