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
];
