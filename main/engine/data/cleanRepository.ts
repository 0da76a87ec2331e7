/**
 * The owner of the `recipes` and `dataset_splits` tables (migration 2): the project's recipe and the splits
 * of its tables. Dataset versions belong to DatasetVersionRepository, projects to ProjectRepository.
 */
import { randomBytes } from 'node:crypto';
import type { DatasetSplit, SplitPart } from '../../../shared/api/clean.js';
import { KilnError } from '../../../shared/errors.js';
import { emptyRecipe, Recipe, type SplitSettings } from '../../../shared/recipe.js';
import { nowIso } from '../ids.js';
import type { Db } from '../workspace/database.js';
import { DatasetVersionRepository, ProjectRepository, type DatasetVersion } from '../workspace/repositories.js';

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
  constructor(
    private readonly db: Db,
    private readonly versions = new DatasetVersionRepository(db),
    private readonly projects = new ProjectRepository(db),
  ) {}

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
      this.projects.touch(projectId);
    })();
    return recipe;
  }

  recordSplit(input: {
    datasetId: string;
    sourceVersion: string;
    settings: SplitSettings;
    train: DatasetVersion;
    valid: DatasetVersion | null;
    test: DatasetVersion | null;
  }): DatasetSplit {
    // ids.ts has no split prefix; same shape as its ids.
    const id = `split_${randomBytes(6).toString('hex')}`;
    this.db.transaction(() => {
      for (const part of [input.train, input.valid, input.test]) if (part) this.versions.record(part);
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
    const record = this.versions.find(version);
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
