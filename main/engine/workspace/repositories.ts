import type { ColumnInfo, Dataset, Project } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import type { StoredTable } from '../data/csvImport.js';
import { newId, nowIso } from '../ids.js';
import type { Db } from './database.js';

interface ProjectRow {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  dataset_count: number;
}

interface DatasetRow {
  id: string;
  project_id: string;
  name: string;
  version: string;
  source_path: string | null;
  source_bytes: number | null;
  created_at: string;
  row_count: number;
  schema_json: string;
  storage_path: string;
}

const toProject = (row: ProjectRow): Project => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  datasetCount: row.dataset_count,
});

const toDataset = (row: DatasetRow): Dataset => ({
  id: row.id,
  projectId: row.project_id,
  name: row.name,
  version: row.version,
  sourcePath: row.source_path,
  sourceBytes: row.source_bytes,
  rowCount: row.row_count,
  columns: JSON.parse(row.schema_json) as ColumnInfo[],
  createdAt: row.created_at,
});

const projectSelect = `SELECT p.*, (SELECT count(*) FROM datasets d WHERE d.project_id = p.id) AS dataset_count FROM projects p`;

export class ProjectRepository {
  constructor(private readonly db: Db) {}

  list(): Project[] {
    return (this.db.prepare(`${projectSelect} ORDER BY p.updated_at DESC`).all() as ProjectRow[]).map(toProject);
  }

  get(projectId: string): Project {
    const row = this.db.prepare(`${projectSelect} WHERE p.id = ?`).get(projectId) as ProjectRow | undefined;
    if (!row) throw new KilnError('not_found', `There is no project ${projectId}.`, 'projectId');
    return toProject(row);
  }

  create(name: string): Project {
    const id = newId('prj');
    const now = nowIso();
    this.db.prepare('INSERT INTO projects (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(id, name, now, now);
    return this.get(id);
  }

  rename(projectId: string, name: string): Project {
    this.get(projectId);
    this.db.prepare('UPDATE projects SET name = ?, updated_at = ? WHERE id = ?').run(name, nowIso(), projectId);
    return this.get(projectId);
  }

  touch(projectId: string): void {
    this.db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(nowIso(), projectId);
  }

  delete(projectId: string): boolean {
    return this.db.prepare('DELETE FROM projects WHERE id = ?').run(projectId).changes > 0;
  }
}

const datasetSelect = `SELECT d.*, v.row_count, v.schema_json, v.storage_path FROM datasets d JOIN dataset_versions v ON v.version = d.version`;

export class DatasetRepository {
  constructor(private readonly db: Db) {}

  list(projectId: string): Dataset[] {
    return (this.db.prepare(`${datasetSelect} WHERE d.project_id = ? ORDER BY d.created_at DESC`).all(projectId) as DatasetRow[]).map(
      toDataset,
    );
  }

  get(datasetId: string): Dataset {
    return toDataset(this.row(datasetId));
  }

  storagePath(datasetId: string): string {
    return this.row(datasetId).storage_path;
  }

  findVersion(version: string): StoredTable | undefined {
    const row = this.db.prepare('SELECT * FROM dataset_versions WHERE version = ?').get(version) as
      { version: string; storage_path: string; row_count: number; schema_json: string } | undefined;
    if (!row) return undefined;
    return {
      version: row.version,
      storagePath: row.storage_path,
      rowCount: row.row_count,
      columns: JSON.parse(row.schema_json) as ColumnInfo[],
      reused: true,
    };
  }

  /** Records a stored table (once per version) and a dataset pointing at it, in one transaction. */
  record(input: { projectId: string; name: string; table: StoredTable; sourcePath: string | null; sourceBytes: number | null }): Dataset {
    const id = newId('ds');
    const now = nowIso();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT OR IGNORE INTO dataset_versions (version, storage_path, row_count, schema_json, created_at) VALUES (?, ?, ?, ?, ?)`,
        )
        .run(input.table.version, input.table.storagePath, input.table.rowCount, JSON.stringify(input.table.columns), now);
      this.db
        .prepare(`INSERT INTO datasets (id, project_id, name, version, source_path, source_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(id, input.projectId, input.name, input.table.version, input.sourcePath, input.sourceBytes, now);
      this.db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(now, input.projectId);
    })();
    return this.get(id);
  }

  private row(datasetId: string): DatasetRow {
    const row = this.db.prepare(`${datasetSelect} WHERE d.id = ?`).get(datasetId) as DatasetRow | undefined;
    if (!row) throw new KilnError('not_found', `There is no dataset ${datasetId}.`, 'datasetId');
    return row;
  }
}
