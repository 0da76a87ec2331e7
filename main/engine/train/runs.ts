/**
 * SQLite records of training runs (MLflow-like tracking): what each run was
 * given (recipe, dataset and split versions, seed, params, backend, app
 * version), what it did (history, duration) and what it got (validation and
 * test metrics kept apart, the full evaluation, the model artifacts).
 */
import { RunDetails } from '../../../shared/api/evaluation.js';
import type { EpochRecord, MetricSummary, ModelFamily, Run, RunStatus, Task } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { nowIso } from '../ids.js';
import type { Db } from '../workspace/database.js';

interface RunRow {
  id: string;
  project_id: string;
  dataset_id: string | null;
  status: RunStatus;
  model_family: ModelFamily;
  recipe_json: string | null;
  params_json: string | null;
  seed: number | null;
  backend: string | null;
  app_version: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  split_id: string | null;
  job_id: string | null;
  task: Task;
  target: string;
  dataset_version: string | null;
  device: string | null;
  metric_name: string;
  history_json: string | null;
  valid_metrics_json: string | null;
  test_metrics_json: string | null;
  details_json: string | null;
  train_ms: number | null;
  error: string | null;
}

const parseJson = <T>(text: string | null, fallback: T): T => (text === null ? fallback : (JSON.parse(text) as T));

/** Details written before their schema existed may not fit it; such a run shows no curves rather than failing to load. */
function storedDetails(text: string | null): RunDetails | null {
  if (text === null) return null;
  const parsed = RunDetails.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}

/**
 * The worker's evaluation crosses a process boundary: it is checked before it
 * is stored, so what Compare reads fits the contract. Returns why it does not.
 */
function detailsProblem(details: unknown): string | null {
  const parsed = RunDetails.nullable().safeParse(details ?? null);
  if (parsed.success) return null;
  return parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'details'}: ${issue.message}`)
    .join('; ');
}

function toRun(row: RunRow): Run {
  return {
    id: row.id,
    projectId: row.project_id,
    datasetId: row.dataset_id,
    datasetVersion: row.dataset_version,
    splitId: row.split_id,
    jobId: row.job_id,
    status: row.status,
    task: row.task,
    target: row.target,
    model: row.model_family,
    params: parseJson<Record<string, unknown>>(row.params_json, {}),
    seed: row.seed ?? 0,
    backend: row.backend ?? '',
    device: row.device ?? '',
    appVersion: row.app_version,
    metricName: row.metric_name,
    history: parseJson<EpochRecord[]>(row.history_json, []),
    metrics: {
      validation: parseJson<MetricSummary | null>(row.valid_metrics_json, null),
      test: parseJson<MetricSummary | null>(row.test_metrics_json, null),
    },
    details: storedDetails(row.details_json),
    trainMs: row.train_ms,
    durationMs: row.duration_ms,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
  };
}

export interface NewRun {
  /** Made by the worker (ids.ts), so its artifacts folder and its messages agree from the start. */
  id: string;
  projectId: string;
  datasetId: string;
  datasetVersion: string;
  splitId: string | null;
  /** The versions of the train, valid and test tables the run read. */
  splitVersions: { train: string; valid: string | null; test: string | null };
  jobId: string;
  task: Task;
  target: string;
  model: ModelFamily;
  params: Record<string, unknown>;
  seed: number;
  backend: string;
  device: string;
  appVersion: string;
  metricName: string;
  recipe: unknown;
}

export interface RunOutcome {
  params: Record<string, unknown>;
  backend: string;
  device: string;
  history: EpochRecord[];
  validation: MetricSummary | null;
  test: MetricSummary | null;
  details: unknown;
  trainMs: number;
}

export class RunRepository {
  constructor(private readonly db: Db) {}

  /**
   * Runs still `running` when the engine starts whose job is not running in a live process (this one or
   * another on the same workspace) belong to a process that died.
   */
  markInterrupted(jobIsRunning: (jobId: string) => boolean): number {
    const open = this.db.prepare(`SELECT id, job_id FROM runs WHERE status = 'running'`).all() as { id: string; job_id: string | null }[];
    const interrupt = this.db.prepare(
      `UPDATE runs SET status = 'interrupted', error = 'Kiln stopped while this run was training.', finished_at = ?
       WHERE id = ? AND status = 'running'`,
    );
    const now = nowIso();
    let changes = 0;
    this.db.transaction(() => {
      for (const run of open) if (run.job_id === null || !jobIsRunning(run.job_id)) changes += interrupt.run(now, run.id).changes;
    })();
    return changes;
  }

  create(input: NewRun): Run {
    const id = input.id;
    this.db
      .prepare(
        `INSERT INTO runs (id, project_id, dataset_id, status, model_family, recipe_json, params_json, seed, backend, app_version,
           started_at, split_id, job_id, task, target, dataset_version, split_versions_json, device, metric_name, history_json)
         VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]')`,
      )
      .run(
        id,
        input.projectId,
        input.datasetId,
        input.model,
        JSON.stringify(input.recipe),
        JSON.stringify(input.params),
        input.seed,
        input.backend,
        input.appVersion,
        nowIso(),
        input.splitId,
        input.jobId,
        input.task,
        input.target,
        input.datasetVersion,
        JSON.stringify(input.splitVersions),
        input.device,
        input.metricName,
      );
    return this.get(id);
  }

  /** The history so far, so a UI that reloads mid-run still sees the curves. */
  saveHistory(runId: string, history: EpochRecord[]): void {
    this.db.prepare(`UPDATE runs SET history_json = ? WHERE id = ? AND status = 'running'`).run(JSON.stringify(history), runId);
  }

  succeed(runId: string, outcome: RunOutcome): Run {
    const problem = detailsProblem(outcome.details);
    if (problem !== null) {
      // A bug in an evaluator, not the user's data: the run fails with a plain message and the detail goes to the log.
      console.error(`kiln: run ${runId} produced an evaluation that does not match its schema (${problem})`);
      return this.end(
        runId,
        'failed',
        'Kiln could not record this run’s evaluation (an internal error); the log has the detail.',
        outcome.history,
      );
    }
    const started = this.get(runId);
    const finishedAt = nowIso();
    this.db
      .prepare(
        `UPDATE runs SET status = 'succeeded', params_json = ?, backend = ?, device = ?, history_json = ?, valid_metrics_json = ?,
           test_metrics_json = ?, metrics_json = ?, details_json = ?, train_ms = ?, finished_at = ?, duration_ms = ?, error = NULL
         WHERE id = ?`,
      )
      .run(
        JSON.stringify(outcome.params),
        outcome.backend,
        outcome.device,
        JSON.stringify(outcome.history),
        outcome.validation === null ? null : JSON.stringify(outcome.validation),
        outcome.test === null ? null : JSON.stringify(outcome.test),
        JSON.stringify({ validation: outcome.validation, test: outcome.test }),
        JSON.stringify(outcome.details ?? null),
        outcome.trainMs,
        finishedAt,
        Date.parse(finishedAt) - Date.parse(started.startedAt),
        runId,
      );
    return this.get(runId);
  }

  /** Ends a run that did not succeed; a run already ended keeps its state. */
  end(runId: string, status: Exclude<RunStatus, 'running' | 'succeeded'>, error: string, history?: EpochRecord[]): Run {
    const started = this.get(runId);
    if (started.status !== 'running') return started;
    const finishedAt = nowIso();
    this.db
      .prepare(
        `UPDATE runs SET status = ?, error = ?, finished_at = ?, duration_ms = ?, history_json = coalesce(?, history_json)
         WHERE id = ?`,
      )
      .run(
        status,
        error,
        finishedAt,
        Date.parse(finishedAt) - Date.parse(started.startedAt),
        history ? JSON.stringify(history) : null,
        runId,
      );
    return this.get(runId);
  }

  get(runId: string): Run {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
    if (!row) throw new KilnError('not_found', `There is no run ${runId}.`, 'runId');
    return toRun(row);
  }

  list(projectId: string): Run[] {
    return (this.db.prepare('SELECT * FROM runs WHERE project_id = ? ORDER BY started_at DESC, rowid DESC').all(projectId) as RunRow[]).map(
      toRun,
    );
  }

  listByJob(jobId: string): Run[] {
    return (this.db.prepare('SELECT * FROM runs WHERE job_id = ? ORDER BY started_at, rowid').all(jobId) as RunRow[]).map(toRun);
  }

  /** Every run, newest first, for `kiln runs` across projects. */
  listAll(limit = 200): Run[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?').all(limit) as RunRow[]).map(toRun);
  }
}
