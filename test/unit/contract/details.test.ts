import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunDetails, type Evaluation } from '../../../shared/api/evaluation.js';
import { Run } from '../../../shared/api/train.js';
import { evaluateClassification, evaluateRegression } from '../../../main/engine/evaluate/index.js';
import { RunRepository, type RunOutcome } from '../../../main/engine/train/runs.js';
import { openDatabase, type Db } from '../../../main/engine/workspace/database.js';
import { readDetails } from '../../../renderer/src/components/compare/details.js';
import { adultCsv, tempDir } from '../../helpers/engine.js';

type Row = Record<string, string>;

/** The first rows of the bundled adult sample, with the header's padding trimmed. */
function adultRows(count: number): Row[] {
  const text = readFileSync(adultCsv, 'utf8');
  const parsed = Papa.parse<Row>(text, { header: true, skipEmptyLines: true, transformHeader: (name) => name.trim(), preview: count });
  return parsed.data.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value.trim()])));
}

/**
 * Small models fitted on the rows themselves (the evaluators, not the models,
 * are under test): each class's share within a grouping column, and a group mean.
 */
function groupShares(rows: Row[], group: string, target: string, labels: string[]): Float64Array {
  const counts = new Map<string, number[]>();
  for (const row of rows) {
    const entry = counts.get(row[group]!) ?? labels.map(() => 1);
    entry[labels.indexOf(row[target]!)]! += 1;
    counts.set(row[group]!, entry);
  }
  const proba = new Float64Array(rows.length * labels.length);
  rows.forEach((row, index) => {
    const entry = counts.get(row[group]!)!;
    const total = entry.reduce((sum, value) => sum + value, 0);
    entry.forEach((value, k) => (proba[index * labels.length + k] = value / total));
  });
  return proba;
}

function evaluations(rows: Row[]): { binary: Evaluation; multiclass: Evaluation; regression: Evaluation } {
  const income = ['<=50K', '>50K'];
  const binary = evaluateClassification({
    labels: income,
    yTrue: Int32Array.from(rows, (row) => income.indexOf(row.Y!)),
    proba: groupShares(rows, 'education', 'Y', income),
  });
  const relationships = [...new Set(rows.map((row) => row.relationship!))].sort();
  const multiclass = evaluateClassification({
    labels: relationships,
    yTrue: Int32Array.from(rows, (row) => relationships.indexOf(row.relationship!)),
    proba: groupShares(rows, 'marital-status', 'relationship', relationships),
  });
  const hours = Float64Array.from(rows, (row) => Number(row['hours-per-week']));
  const byOccupation = new Map<string, { sum: number; n: number }>();
  rows.forEach((row, index) => {
    const entry = byOccupation.get(row.occupation!) ?? { sum: 0, n: 0 };
    entry.sum += hours[index]!;
    entry.n += 1;
    byOccupation.set(row.occupation!, entry);
  });
  const regression = evaluateRegression({
    yTrue: hours,
    yPred: Float64Array.from(rows, (row) => byOccupation.get(row.occupation!)!.sum / byOccupation.get(row.occupation!)!.n),
    maxResidualPoints: 100,
  });
  return { binary, multiclass, regression };
}

describe('Run.details through its schema', () => {
  const rows = adultRows(800);
  const income = ['<=50K', '>50K'];
  const { binary, multiclass, regression } = evaluations(rows);
  let dir: string;
  let db: Db;
  let runs: RunRepository;
  let counter = 0;

  beforeAll(async () => {
    dir = await tempDir('kiln-contract-details-');
    db = openDatabase(join(dir, 'kiln.db'));
    const now = new Date().toISOString();
    db.prepare(`INSERT INTO projects (id, name, created_at, updated_at) VALUES ('prj_1', 'Details', ?, ?)`).run(now, now);
    db.prepare(
      `INSERT INTO dataset_versions (version, storage_path, row_count, schema_json, created_at) VALUES ('v1', 'adult.parquet', 800, '[]', ?)`,
    ).run(now);
    db.prepare(`INSERT INTO datasets (id, project_id, name, version, created_at) VALUES ('ds_1', 'prj_1', 'adult', 'v1', ?)`).run(now);
    runs = new RunRepository(db);
  });

  afterAll(async () => {
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  function newRun(task: 'binary' | 'multiclass' | 'regression') {
    counter += 1;
    return runs.create({
      id: `run_00000000000${counter}`,
      projectId: 'prj_1',
      datasetId: 'ds_1',
      datasetVersion: 'v1',
      splitId: null,
      splitVersions: { train: 'v1', valid: 'v1', test: null },
      jobId: 'job_1',
      task,
      target: task === 'regression' ? 'hours-per-week' : 'Y',
      model: 'gbdt',
      params: {},
      seed: 1,
      backend: 'native',
      device: 'CPU',
      appVersion: '0.1.0',
      metricName: task === 'binary' ? 'auc' : task === 'multiclass' ? 'accuracy' : 'rmse',
      recipe: {},
    });
  }

  const outcome = (details: unknown): RunOutcome => ({
    params: {},
    backend: 'native',
    device: 'CPU',
    history: [],
    validation: { auc: 0.8 },
    test: null,
    details,
    trainMs: 5,
  });

  it('the evaluators produce what the schema describes, for every task, and JSON gives the same back', () => {
    expect(binary.task).toBe('binary');
    expect(multiclass.task).toBe('multiclass');
    expect(multiclass.task === 'multiclass' && multiclass.labels.length).toBeGreaterThan(2);
    for (const evaluation of [binary, multiclass, regression]) {
      const details = { validation: evaluation, test: evaluation, validationUsedInFit: false };
      const wire: unknown = JSON.parse(JSON.stringify(details));
      expect(RunDetails.parse(wire)).toEqual(details);
    }
  });

  it('a run written with real details reads back equal and typed, and Compare draws from the typed field', () => {
    const details: RunDetails = { validation: binary, test: binary, validationUsedInFit: true };
    const run = newRun('binary');
    const stored = runs.succeed(run.id, outcome(details));
    expect(stored.status).toBe('succeeded');
    expect(stored.details).toEqual(details);
    expect(Run.parse(JSON.parse(JSON.stringify(runs.get(run.id)))).details).toEqual(details);

    const view = readDetails(stored.details);
    expect(view?.task).toBe('binary');
    if (view && view.task === 'binary' && binary.task === 'binary') {
      expect(view.confusion?.counts).toEqual(binary.confusionMatrix.counts);
      expect(view.rankings[0]?.roc?.x).toEqual(binary.rankings[0]?.roc?.fpr);
      expect(view.rankings[0]?.auc).toBe(binary.auc.value);
    }
    const regressionRun = runs.succeed(
      newRun('regression').id,
      outcome({ validation: regression, test: null, validationUsedInFit: false }),
    );
    const residuals = readDetails(regressionRun.details);
    expect(residuals?.task === 'regression' && residuals.residual.length).toBe(100);
  });

  it('details that do not fit the schema fail the run with a plain message instead of being stored', () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      // Typed arrays are not JSON: an evaluator that returned one would break every reader.
      const counts = binary.task === 'binary' ? binary.confusionMatrix.counts.map((row) => Float64Array.from(row)) : [];
      const broken = { validation: { ...binary, confusionMatrix: { labels: income, counts } }, test: null, validationUsedInFit: false };
      expect(JSON.stringify(counts[0])).toBe('{"0":' + String(counts[0]?.[0]) + ',"1":' + String(counts[0]?.[1]) + '}');
      const run = runs.succeed(newRun('binary').id, outcome(broken));
      expect(run.status).toBe('failed');
      expect(run.error).toMatch(/could not record this run’s evaluation/);
      expect(run.details).toBeNull();
      expect(errors.join('\n')).toMatch(/confusionMatrix\.counts/);
    } finally {
      console.error = original;
    }
  });
});
