/**
 * The owners of the `projects`, `datasets` and `dataset_versions` tables: no other module names them in SQL
 * (test/unit/layers/tables.test.ts checks it). Reached through the engine context.
 */
import { ImportReport, type ColumnInfo, type Dataset, type Project } from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import { newId, nowIso } from '../ids.js';
import type { Db } from './database.js';

/** A stored, immutable table: an imported file or a table derived from another version. */
export interface DatasetVersion {
  version: string;
  storagePath: string;
  rowCount: number;
  columns: ColumnInfo[];
  /** Null for a table read straight from a file. */
  parentVersion: string | null;
  /** How it was made from its parent (owned by the module that made it), or null. */
  derivation: unknown;
}

/** An imported table has no parent and no derivation yet. */
export type NewDatasetVersion = Omit<DatasetVersion, 'parentVersion' | 'derivation'> &
  Partial<Pick<DatasetVersion, 'parentVersion' | 'derivation'>>;

interface VersionRow {
  version: string;
  storage_path: string;
  row_count: number;
  schema_json: string;
  parent_version: string | null;
  derivation_json: string | null;
}

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

/** `dataset_versions`: each version is recorded once, and the first record of a version is kept. */
export class DatasetVersionRepository {
  constructor(private readonly db: Db) {}

  find(version: string): DatasetVersion | undefined {
    const row = this.db.prepare('SELECT * FROM dataset_versions WHERE version = ?').get(version) as VersionRow | undefined;
    if (!row) return undefined;
    return {
      version: row.version,
      storagePath: row.storage_path,
      rowCount: row.row_count,
      columns: JSON.parse(row.schema_json) as ColumnInfo[],
      parentVersion: row.parent_version,
      derivation: row.derivation_json === null ? null : (JSON.parse(row.derivation_json) as unknown),
    };
  }

  /** Later calls with the same version leave the first record alone: the content, and so the record, is the same. */
  record(table: NewDatasetVersion): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO dataset_versions (version, storage_path, row_count, schema_json, parent_version, derivation_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        table.version,
        table.storagePath,
        table.rowCount,
        JSON.stringify(table.columns),
        table.parentVersion ?? null,
        table.derivation === undefined || table.derivation === null ? null : JSON.stringify(table.derivation),
        nowIso(),
      );
  }
}

const datasetSelect = `SELECT d.*, v.row_count, v.schema_json, v.storage_path FROM datasets d JOIN dataset_versions v ON v.version = d.version`;

export class DatasetRepository {
  constructor(
    private readonly db: Db,
    private readonly versions: DatasetVersionRepository,
    private readonly projects: ProjectRepository,
  ) {}

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

  /** The newest dataset of a project that points at `version`, if any. */
  findIdByVersion(projectId: string, version: string): string | undefined {
    const row = this.db
      .prepare('SELECT id FROM datasets WHERE project_id = ? AND version = ? ORDER BY created_at DESC LIMIT 1')
      .get(projectId, version) as { id: string } | undefined;
    return row?.id;
  }

  /** Records a table (once per version) and a dataset pointing at it, in one transaction. */
  record(input: {
    projectId: string;
    name: string;
    table: NewDatasetVersion;
    sourcePath: string | null;
    sourceBytes: number | null;
  }): Dataset {
    const id = newId('ds');
    this.db.transaction(() => {
      this.versions.record(input.table);
      this.db
        .prepare(`INSERT INTO datasets (id, project_id, name, version, source_path, source_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(id, input.projectId, input.name, input.table.version, input.sourcePath, input.sourceBytes, nowIso());
      this.projects.touch(input.projectId);
    })();
    return this.get(id);
  }

  /** How the dataset was read (dialect, overrides, roles, missing markers, bad rows), as the import wrote it. */
  saveImportReport(datasetId: string, report: ImportReport): void {
    this.db.prepare('UPDATE datasets SET import_json = ? WHERE id = ?').run(JSON.stringify(report), datasetId);
  }

  /** Null for a dataset that was not imported from a file (a cleaned one) or whose report no longer validates. */
  importReport(datasetId: string): ImportReport | null {
    const row = this.db.prepare('SELECT import_json FROM datasets WHERE id = ?').get(datasetId) as
      { import_json: string | null } | undefined;
    if (!row?.import_json) return null;
    const parsed = ImportReport.safeParse(JSON.parse(row.import_json));
    return parsed.success ? parsed.data : null;
  }

  private row(datasetId: string): DatasetRow {
    const row = this.db.prepare(`${datasetSelect} WHERE d.id = ?`).get(datasetId) as DatasetRow | undefined;
    if (!row) throw new KilnError('not_found', `There is no dataset ${datasetId}.`, 'datasetId');
    return row;
  }
}
