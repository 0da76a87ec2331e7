/**
 * SQLite records for the Clean and Split steps: the project's recipe, derived
 * dataset versions (with their parent and how they were made) and splits.
 * Uses the tables of migrations 1 and 2.
 */
import { randomBytes } from 'node:crypto';
import type { ColumnInfo } from '../../../shared/api.js';
import type { DatasetSplit, SplitPart } from '../../../shared/api/clean.js';
import { KilnError } from '../../../shared/errors.js';
import { emptyRecipe, Recipe, type SplitSettings } from '../../../shared/recipe.js';
import { newId, nowIso } from '../ids.js';
import type { Db } from '../workspace/database.js';

export interface DerivedTable {
  version: string;
  storagePath: string;
  rowCount: number;
  columns: ColumnInfo[];
  /** Null for a table read straight from a file (a separate test file). */
  parentVersion: string | null;
  derivation: unknown;
}

export interface VersionRecord {
  version: string;
  storagePath: string;
  rowCount: number;
  columns: ColumnInfo[];
  parentVersion: string | null;
  derivation: unknown;
}

interface VersionRow {
  version: string;
  storage_path: string;
  row_count: number;
  schema_json: string;
  parent_version: string | null;
  derivation_json: string | null;
}

interface SplitRow {
  id: string;
  dataset_id: string;
  source_version: string;
  settings_json: string;
  train_version: string;
  valid_version: string | null;
  test_version: string | null;
  created_at: string;
}

export class CleanRepository {
  constructor(private readonly db: Db) {}

  getRecipe(projectId: string): Recipe {
    const row = this.db.prepare('SELECT recipe_json FROM recipes WHERE project_id = ?').get(projectId) as
      { recipe_json: string } | undefined;
    if (!row) return emptyRecipe();
    const parsed = Recipe.safeParse(JSON.parse(row.recipe_json));
    // A recipe saved by another Kiln version that no longer validates is not lost: it stays stored until saved over.
    if (!parsed.success)
      throw new KilnError('bad_input', `The saved recipe of this project no longer validates: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data;
  }

  saveRecipe(projectId: string, recipe: Recipe): Recipe {
    const now = nowIso();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO recipes (project_id, recipe_json, updated_at) VALUES (?, ?, ?)
           ON CONFLICT(project_id) DO UPDATE SET recipe_json = excluded.recipe_json, updated_at = excluded.updated_at`,
        )
        .run(projectId, JSON.stringify(recipe), now);
      this.db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(now, projectId);
    })();
    return recipe;
  }

  findVersion(version: string): VersionRecord | undefined {
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

  /** Records a derived version once; later calls with the same version leave the first record alone. */
  recordVersion(table: DerivedTable): void {
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
        table.parentVersion,
        JSON.stringify(table.derivation),
        nowIso(),
      );
  }

  /** The dataset of a project that points at `version`, if any (the newest). */
  findDatasetId(projectId: string, version: string): string | undefined {
    const row = this.db
      .prepare('SELECT id FROM datasets WHERE project_id = ? AND version = ? ORDER BY created_at DESC LIMIT 1')
      .get(projectId, version) as { id: string } | undefined;
    return row?.id;
  }

  /** Records a derived table and a dataset for it in one transaction; returns the dataset id. */
  recordDerivedDataset(input: { projectId: string; name: string; table: DerivedTable; sourcePath: string | null }): string {
    const id = newId('ds');
    const now = nowIso();
    this.db.transaction(() => {
      this.recordVersion(input.table);
      this.db
        .prepare(
          `INSERT INTO datasets (id, project_id, name, version, source_path, source_bytes, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)`,
        )
        .run(id, input.projectId, input.name, input.table.version, input.sourcePath, now);
      this.db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(now, input.projectId);
    })();
    return id;
  }

  recordSplit(input: {
    datasetId: string;
    sourceVersion: string;
    settings: SplitSettings;
    train: DerivedTable;
    valid: DerivedTable | null;
    test: DerivedTable | null;
  }): DatasetSplit {
    // ids.ts has no split prefix; same shape as its ids.
    const id = `split_${randomBytes(6).toString('hex')}`;
    this.db.transaction(() => {
      for (const part of [input.train, input.valid, input.test]) if (part) this.recordVersion(part);
      this.db
        .prepare(
          `INSERT INTO dataset_splits (id, dataset_id, source_version, settings_json, train_version, valid_version, test_version, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          input.datasetId,
          input.sourceVersion,
          JSON.stringify(input.settings),
          input.train.version,
          input.valid?.version ?? null,
          input.test?.version ?? null,
          nowIso(),
        );
    })();
    return this.getSplit(id);
  }

  getSplit(splitId: string): DatasetSplit {
    const row = this.db.prepare('SELECT * FROM dataset_splits WHERE id = ?').get(splitId) as SplitRow | undefined;
    if (!row) throw new KilnError('not_found', `There is no split ${splitId}.`, 'splitId');
    return this.toSplit(row);
  }

  listSplits(datasetId: string): DatasetSplit[] {
    return (this.db.prepare('SELECT * FROM dataset_splits WHERE dataset_id = ? ORDER BY created_at DESC').all(datasetId) as SplitRow[]).map(
      (row) => this.toSplit(row),
    );
  }

  private part(version: string | null): SplitPart | null {
    if (version === null) return null;
    const record = this.findVersion(version);
    if (!record) throw new KilnError('internal', `The split version ${version} is not recorded.`);
    return { version, rows: record.rowCount, path: record.storagePath };
  }

  private toSplit(row: SplitRow): DatasetSplit {
    const train = this.part(row.train_version);
    if (!train) throw new KilnError('internal', 'A split without a training part.');
    return {
      id: row.id,
      datasetId: row.dataset_id,
      sourceVersion: row.source_version,
      settings: JSON.parse(row.settings_json) as SplitSettings,
      train,
      valid: this.part(row.valid_version),
      test: this.part(row.test_version),
      createdAt: row.created_at,
    };
  }
}
