import { describe, expect, it } from 'vitest';
import { checkEvent, encodeEvent, receiveEvents, type KilnEvent } from '../../../shared/events.js';

const job = {
  id: 'job_1',
  kind: 'train',
  projectId: 'prj_1',
  state: 'succeeded',
  stage: 'done',
  fraction: 1,
  message: '',
  error: null,
  result: { runIds: ['run_1'], bestRunId: 'run_1' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
} as const;

const progress = {
  type: 'run.progress',
  runId: 'run_1',
  jobId: 'job_1',
  projectId: 'prj_1',
  model: 'gbdt',
  backend: 'native',
  device: 'CPU',
  metricName: 'auc',
  record: { epoch: 3, trainLoss: 0.4, validLoss: 0.41, validMetric: 0.9, rowsPerSecond: 1e6, dataWaitMs: null, computeMs: 12 },
  fraction: 0.3,
  etaSeconds: 4,
} as const;

describe('events at the transport boundary', () => {
  it('accepts each kind of event the engine sends', () => {
    for (const event of [
      { type: 'job.updated', job },
      { type: 'projects.changed' },
      { type: 'datasets.changed', projectId: 'prj_1' },
      progress,
    ]) {
      expect(checkEvent(JSON.parse(JSON.stringify(event))), event.type).toMatchObject({ ok: true, event });
    }
  });

  it('rejects values that are not events, naming the event and the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ type: 'job.updated', job: { ...job, kind: 'count' } }, /job\.updated.*job\.kind/],
      // A job's result must be its kind's: a train job cannot carry a dataset.
      [{ type: 'job.updated', job: { ...job, result: { id: 'ds_1' } } }, /job\.updated.*job\.result\.runIds/],
      [{ ...progress, fraction: 2 }, /run\.progress.*fraction/],
      [{ ...progress, model: 'svm' }, /run\.progress.*model/],
      [{ type: 'datasets.changed' }, /datasets\.changed.*projectId/],
      [{ type: 'runs.changed', projectId: 'prj_1', run: { id: 'run_1' } }, /runs\.changed.*run\./],
      [{ type: 'engine.exploded' }, /engine\.exploded/],
      [{ projectId: 'prj_1' }, /without a type/],
      [undefined, /without a type/],
    ];
    for (const [value, problem] of cases) {
      const checked = checkEvent(value);
      expect(checked.ok, JSON.stringify(value)).toBe(false);
      if (!checked.ok) expect(checked.problem).toMatch(problem);
    }
  });

  it('a transport listener drops what does not match, delivers the rest, and reports the first drop only', () => {
    const delivered: KilnEvent[] = [];
    const reports: string[] = [];
    const receive = receiveEvents(
      (event) => delivered.push(event),
      (problem) => reports.push(problem),
    );
    receive({ type: 'datasets.changed', projectId: 42 });
    receive({ type: 'projects.changed' });
    receive({ type: 'nope' });
    receive({ type: 'datasets.changed', projectId: 'prj_2' });
    expect(delivered).toEqual([{ type: 'projects.changed' }, { type: 'datasets.changed', projectId: 'prj_2' }]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/datasets\.changed.*projectId/);
  });

  it('the engine side sends the checked JSON form, once per event, and refuses an event that breaks the contract', () => {
    // NaN cannot cross JSON; the wire form is what every client would receive, and it still fits the schema.
    const diverged = { ...progress, record: { ...progress.record, trainLoss: Number.NaN } } as KilnEvent;
    const wire = encodeEvent(diverged);
    expect('text' in wire).toBe(true);
    if ('text' in wire) {
      expect(JSON.parse(wire.text)).toEqual(wire.event);
      expect(wire.event).toMatchObject({ type: 'run.progress', record: { trainLoss: null } });
    }
    expect(encodeEvent(diverged)).toBe(wire);

    const broken = { type: 'job.updated', job: { ...job, state: 'exploded' } } as unknown as KilnEvent;
    const refused = encodeEvent(broken);
    expect('problem' in refused && refused.problem).toMatch(/job\.updated.*job\.state/);
  });
});
