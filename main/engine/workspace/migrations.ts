/**
 * Numbered, append-only migrations. Never edit one that has shipped: add a new
 * number. The runner stores each migration's hash and refuses to open a
 * workspace whose applied migration no longer matches the code (like Bruno).
 */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    id: 1,
    name: 'initial',
    sql: `
CREATE TABLE projects (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

-- A stored, immutable table. Its hash is the dataset version: the same content
-- imported twice is stored once.
CREATE TABLE dataset_versions (
  version       TEXT PRIMARY KEY,
  storage_path  TEXT NOT NULL,
  row_count     INTEGER NOT NULL,
  schema_json   TEXT NOT NULL,
  parent_version TEXT REFERENCES dataset_versions(version),
  derivation_json TEXT,
  created_at    TEXT NOT NULL
);

CREATE TABLE datasets (
  id            TEXT PRIMARY KEY,
  project_id    TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  version       TEXT NOT NULL REFERENCES dataset_versions(version),
  source_path   TEXT,
  source_bytes  INTEGER,
  created_at    TEXT NOT NULL
);
CREATE INDEX datasets_project ON datasets(project_id, created_at);

CREATE TABLE runs (
  id            TEXT PRIMARY KEY,
  project_id    TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  dataset_id    TEXT REFERENCES datasets(id) ON DELETE SET NULL,
  status        TEXT NOT NULL,
  model_family  TEXT,
  recipe_json   TEXT,
  params_json   TEXT,
  metrics_json  TEXT,
  seed          INTEGER,
  backend       TEXT,
  app_version   TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  duration_ms   INTEGER
);
CREATE INDEX runs_project ON runs(project_id, started_at);

CREATE TABLE models (
  id             TEXT PRIMARY KEY,
  run_id         TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  format         TEXT NOT NULL,
  artifact_path  TEXT NOT NULL,
  created_at     TEXT NOT NULL
);

CREATE TABLE jobs (
  id           TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  project_id   TEXT REFERENCES projects(id) ON DELETE CASCADE,
  state        TEXT NOT NULL,
  stage        TEXT NOT NULL DEFAULT '',
  fraction     REAL,
  message      TEXT NOT NULL DEFAULT '',
  error        TEXT,
  result_json  TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX jobs_project ON jobs(project_id, created_at);
`,
  },
  {
    id: 2,
    name: 'data-steps',
    sql: `
-- How a dataset was read: dialect, overrides, column roles, missing markers and
-- the bad-row report, as JSON owned by the import module.
ALTER TABLE datasets ADD COLUMN import_json TEXT;

-- Profiles are computed over a whole table once and cached per version and options.
CREATE TABLE profiles (
  version       TEXT NOT NULL REFERENCES dataset_versions(version),
  options_hash  TEXT NOT NULL,
  profile_json  TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (version, options_hash)
);

-- The recipe a project is building in the wizard (versioned JSON, see shared/recipe.ts).
CREATE TABLE recipes (
  project_id   TEXT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  recipe_json  TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);

-- Train/validation/test splits of a derived table, each stored as Parquet.
CREATE TABLE dataset_splits (
  id             TEXT PRIMARY KEY,
  dataset_id     TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  source_version TEXT NOT NULL REFERENCES dataset_versions(version),
  settings_json  TEXT NOT NULL,
  train_version  TEXT NOT NULL REFERENCES dataset_versions(version),
  valid_version  TEXT REFERENCES dataset_versions(version),
  test_version   TEXT REFERENCES dataset_versions(version),
  created_at     TEXT NOT NULL
);
CREATE INDEX dataset_splits_dataset ON dataset_splits(dataset_id, created_at);
`,
  },
  {
    id: 3,
    name: 'training-runs',
    sql: `
-- What a training run needs beyond migration 1's columns: which split and job
-- made it, the task, the device, the per-epoch history, validation and test
-- metrics kept apart, the full evaluation, and why it failed.
ALTER TABLE runs ADD COLUMN split_id TEXT REFERENCES dataset_splits(id) ON DELETE SET NULL;
ALTER TABLE runs ADD COLUMN job_id TEXT;
ALTER TABLE runs ADD COLUMN task TEXT;
ALTER TABLE runs ADD COLUMN target TEXT;
ALTER TABLE runs ADD COLUMN dataset_version TEXT;
ALTER TABLE runs ADD COLUMN split_versions_json TEXT;
ALTER TABLE runs ADD COLUMN device TEXT;
ALTER TABLE runs ADD COLUMN metric_name TEXT;
ALTER TABLE runs ADD COLUMN history_json TEXT;
ALTER TABLE runs ADD COLUMN valid_metrics_json TEXT;
ALTER TABLE runs ADD COLUMN test_metrics_json TEXT;
ALTER TABLE runs ADD COLUMN details_json TEXT;
ALTER TABLE runs ADD COLUMN train_ms REAL;
ALTER TABLE runs ADD COLUMN error TEXT;
CREATE INDEX runs_job ON runs(job_id);
CREATE INDEX models_run ON models(run_id);
`,
  },
  {
    id: 4,
    name: 'exports',
    sql: `
-- Bundles written from runs (ONNX + server + clients), their parity figures,
-- a few real held-out rows for test requests, and the image built from them.
CREATE TABLE exports (
  id              TEXT PRIMARY KEY,
  run_id          TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  project_id      TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  bundle_path     TEXT NOT NULL,
  onnx_path       TEXT NOT NULL,
  onnx_bytes      INTEGER NOT NULL,
  parity_json     TEXT NOT NULL,
  sample_rows_json TEXT NOT NULL,
  image_json      TEXT,
  created_at      TEXT NOT NULL
);
CREATE INDEX exports_run ON exports(run_id, created_at);
CREATE INDEX exports_project ON exports(project_id, created_at);
`,
  },
  {
    id: 5,
    name: 'drop-models',
    sql: `
-- models (migration 1) was written after each run and never read: a run's artifacts are found in its own
-- folder, artifacts/runs/<run id>/. The model registry will bring its own tables.
DROP INDEX IF EXISTS models_run;
DROP TABLE models;
`,
  },
  {
    id: 6,
    name: 'job-owners',
    sql: `
-- The process that runs a job: its pid, and a token naming that process's start (a pid alone can be reused).
-- A process opening the workspace marks interrupted only the jobs whose owner is gone, never another live one's.
-- Rows written before this migration have no owner and are treated as owned by a process that has exited.
ALTER TABLE jobs ADD COLUMN owner_pid INTEGER;
ALTER TABLE jobs ADD COLUMN owner_token TEXT;
`,
  },
];
