import { useMemo } from 'react';
import type { Job } from '../../../../shared/api.js';
import type { FamilyInfo, Run, Task } from '../../../../shared/api/train.js';
import { ProgressBar } from '../ProgressBar.js';
import { familyShortLabel, progressUnit, useFamilies } from '../../stores/families.js';
import { isJobActive, trainResult, useTrain, type LiveRun } from '../../stores/train.js';
import { bestRun, dataWaitShare, formatEta, formatRate, metricTitle } from './format.js';
import { HistoryChart, type HistorySeries } from './HistoryChart.js';
import { Leaderboard } from './Leaderboard.js';

const jobStateTitles: Record<Job['state'], string> = {
  queued: 'Waiting to start',
  running: 'Training',
  succeeded: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

/** When the device waits for data more than this share of an epoch, say so. */
const highDataWait = 0.4;

/** Names runs by family and the order they started in this job: "GBDT 1", "MLP 2". */
export function runLabels(liveRuns: LiveRun[], jobRuns: Run[], task: Task | undefined, families: FamilyInfo[]): Map<string, string> {
  const order: { id: string; model: Run['model'] }[] = [];
  for (const run of [
    ...jobRuns.map((run) => ({ id: run.id, model: run.model })),
    ...liveRuns.map((live) => ({ id: live.runId, model: live.model })),
  ]) {
    if (!order.some((entry) => entry.id === run.id)) order.push(run);
  }
  return new Map(order.map((entry, index) => [entry.id, `${familyShortLabel(families, entry.model, task)} ${index + 1}`]));
}

export function LivePanel({ task, auto }: { task: Task | undefined; auto: boolean }) {
  const { job, jobRuns, liveRuns, last, cancel } = useTrain();
  const families = useFamilies((state) => state.families);
  const labels = useMemo(() => runLabels(liveRuns, jobRuns, task, families), [liveRuns, jobRuns, task, families]);
  const series = useMemo<HistorySeries[]>(
    () =>
      liveRuns.map((live) => ({
        runId: live.runId,
        label: labels.get(live.runId) ?? live.model,
        metricName: live.metricName,
        unit: progressUnit(families, live.model),
        records: live.records,
      })),
    [liveRuns, labels, families],
  );
  if (!job) return null;

  const active = isJobActive(job);
  const result = trainResult(job);
  const best = result?.bestRunId ?? bestRun(jobRuns)?.id ?? null;
  const currentRun = last ? jobRuns.find((run) => run.id === last.runId) : undefined;
  // The run marked running names the candidate, even before its first progress event (after a reload, between candidates).
  const runningRun = jobRuns.findLast((run) => run.status === 'running');
  const nowTraining = !active ? null : runningRun ? runningRun.id : (last?.runId ?? null);
  const nowTrainingLabel = nowTraining ? (labels.get(nowTraining) ?? runningRun?.model ?? last?.model ?? '—') : '—';
  const metricName = last?.metricName ?? jobRuns[0]?.metricName ?? liveRuns[0]?.metricName ?? '';
  // Once finished, a last epoch's wait says nothing about a job that no longer runs.
  const waitShare = active ? dataWaitShare(last?.record) : null;
  const onGpu = last ? /gpu|tensorflow/i.test(last.backend) : false;
  const hasPoints = liveRuns.some((live) => live.records.length > 0);

  return (
    <section className="train-live" aria-label="Training progress" aria-busy={active}>
      <div className="train-live-head">
        <div className="train-live-title">
          <h3>{auto ? 'Auto search' : 'Training run'}</h3>
          <span className="muted" aria-live="polite">
            {active ? job.message || job.stage : finishedLine(job.state, jobRuns.length, auto)}
          </span>
        </div>
        <span className={`run-status ${job.state}`}>{jobStateTitles[job.state]}</span>
        {active ? (
          <button type="button" className="button" onClick={() => void cancel()}>
            Cancel
          </button>
        ) : null}
      </div>
      {/* Until the job reports its own share (Auto reports it per candidate), the current run's share stands in. */}
      <ProgressBar
        fraction={job.state === 'succeeded' ? 1 : job.fraction || !active ? job.fraction : (last?.fraction ?? null)}
        label="Training progress"
      />

      <dl className="train-stats">
        <div>
          <dt>Backend</dt>
          <dd>
            {last ? (
              <>
                {last.backend}
                <span className="train-device" title={last.device}>
                  {last.device}
                </span>
              </>
            ) : (
              (currentRun?.backend ?? '—')
            )}
          </dd>
        </div>
        <div>
          <dt>Now training</dt>
          <dd>{nowTrainingLabel}</dd>
        </div>
        <div>
          <dt>Throughput</dt>
          <dd>{active ? formatRate(last?.record.rowsPerSecond) : '—'}</dd>
        </div>
        <div>
          <dt>Time left</dt>
          <dd>{active ? formatEta(last?.etaSeconds) : '—'}</dd>
        </div>
        <div>
          <dt>Waiting for data</dt>
          <dd>
            {waitShare === null ? (
              '—'
            ) : (
              <span className="train-wait">
                <span
                  className={`train-wait-bar${waitShare > highDataWait ? ' high' : ''}`}
                  role="meter"
                  aria-label="Share of each epoch spent waiting for data"
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={Math.round(waitShare * 100)}
                >
                  <span style={{ width: `${Math.round(waitShare * 100)}%` }} />
                </span>
                {Math.round(waitShare * 100)}%
              </span>
            )}
          </dd>
        </div>
      </dl>
      {waitShare !== null && waitShare > highDataWait ? (
        <p className="train-hint" role="status">
          {onGpu ? 'The GPU is waiting for data' : 'The model is waiting for data'} {Math.round(waitShare * 100)}% of the time. Larger
          batches keep it busier.
        </p>
      ) : null}

      <div className="train-charts">
        <figure className="train-chart">
          <figcaption>
            Loss <span className="muted small">(dashed: training, solid: validation)</span>
          </figcaption>
          {hasPoints ? <HistoryChart series={series} kind="loss" height={230} /> : <ChartPlaceholder active={active} />}
        </figure>
        <figure className="train-chart">
          <figcaption>Validation {metricTitle(metricName)}</figcaption>
          {hasPoints ? <HistoryChart series={series} kind="metric" height={230} /> : <ChartPlaceholder active={active} />}
        </figure>
      </div>

      {jobRuns.length > 0 ? <Leaderboard runs={jobRuns} labels={labels} bestRunId={best} title={auto ? 'Leaderboard' : 'Run'} /> : null}
    </section>
  );
}

/** The line beside the state once the job is over, instead of the last stage it reported ("Scoring gbdt"). */
function finishedLine(state: Job['state'], runs: number, auto: boolean): string {
  const trained = `${runs} model${runs === 1 ? '' : 's'}`;
  if (state === 'succeeded') return auto ? `Trained and scored ${trained}; the best is starred.` : 'Trained and scored on the test split.';
  if (state === 'cancelled') return 'Stopped by you.';
  if (state === 'interrupted') return 'Kiln stopped while this ran; start it again.';
  return '';
}

function ChartPlaceholder({ active }: { active: boolean }) {
  return (
    <div className="train-chart-empty muted">
      {active ? 'Preparing the data; the curves start with the first epoch.' : 'No epochs were recorded.'}
    </div>
  );
}
