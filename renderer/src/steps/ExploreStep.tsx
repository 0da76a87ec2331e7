import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { ColumnProfile, DatasetProfile, ProfileWarning } from '../../../shared/api.js';
import { AssociationChart, measureLabel } from '../components/charts/AssociationChart.js';
import { ColumnChart, formatNumber } from '../components/charts/ColumnChart.js';
import { CorrelationHeatmap } from '../components/charts/CorrelationHeatmap.js';
import { MiniBars } from '../components/charts/MiniBars.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { NeedsStep, StepFooter } from '../components/wizard/StepFooter.js';
import { typeWord } from '../components/typeWords.js';
import { isRunning, useProfile } from '../stores/profile.js';

const percent = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.1 ? 1 : 0)}%`;

const warningTitle: Record<ProfileWarning['kind'], string> = {
  all_missing: 'Empty',
  constant: 'Constant',
  id_like: 'Identifier',
  leakage: 'Leakage',
  skewed: 'Skewed',
  date_like: 'Dates as text',
  email: 'Emails',
  phone: 'Phone numbers',
  mostly_missing: 'Mostly missing',
};

function columnSummary(column: ColumnProfile): string {
  if (column.count === 0) return 'all missing';
  if (column.numeric) {
    const { mean, std } = column.numeric;
    return `mean ${formatNumber(mean)}${std === null ? '' : ` ± ${formatNumber(std)}`}`;
  }
  const top = column.top?.values[0];
  if (top) return `${top.value} (${percent(top.count / column.count)})`;
  return column.range ? `${column.range.min} … ${column.range.max}` : '';
}

function miniValues(column: ColumnProfile): number[] {
  if (column.histogram) return column.histogram.map((bin) => bin.count);
  return column.top?.values.map((entry) => entry.count) ?? [];
}

export function ExploreStep({ projectId }: { projectId: string }) {
  const {
    datasets,
    datasetId,
    target,
    profile,
    job,
    error,
    selectedColumn,
    load,
    chooseDataset,
    chooseTarget,
    selectColumn,
    compute,
    cancel,
    clearError,
  } = useProfile();
  const dataset = datasets.find((candidate) => candidate.id === datasetId);
  const computing = isRunning(job);

  useEffect(() => {
    void load(projectId);
  }, [projectId, load]);

  if (datasets.length === 0 && !error) {
    return (
      <NeedsStep
        title="Explore"
        needs="import"
        why="Explore profiles an imported table. Import a CSV file first; its profile appears here."
      />
    );
  }

  const column = profile?.columns.find((candidate) => candidate.name === selectedColumn) ?? profile?.columns[0];

  return (
    <div className="page-pad explore">
      <div className="step-head">
        <div>
          <h2>Explore</h2>
          <p className="muted">
            A profile of every column, computed with SQL over the whole table and cached for this version of the data.
          </p>
        </div>
      </div>

      <div className="explore-controls">
        <div className="explore-field">
          <label htmlFor="explore-dataset">Dataset</label>
          <select
            id="explore-dataset"
            className="input"
            value={datasetId ?? ''}
            onChange={(event) => void chooseDataset(event.target.value)}
            disabled={computing}
          >
            {datasets.map((candidate) => (
              <option key={candidate.id} value={candidate.id}>
                {candidate.name} · {candidate.rowCount.toLocaleString('en-US')} rows · {candidate.version.slice(0, 8)}
              </option>
            ))}
          </select>
        </div>
        <div className="explore-field">
          <label htmlFor="explore-target">Target</label>
          <select
            id="explore-target"
            className="input"
            value={target}
            onChange={(event) => void chooseTarget(event.target.value)}
            disabled={computing}
          >
            <option value="">(none)</option>
            {dataset?.columns.map((candidate) => (
              <option key={candidate.name} value={candidate.name}>
                {candidate.name}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          className={`button${profile ? '' : ' primary'}`}
          onClick={() => void compute()}
          disabled={computing || !datasetId}
        >
          {profile ? 'Recompute profile' : 'Compute profile'}
        </button>
      </div>

      {computing && job ? (
        <div className="job" aria-live="polite">
          <div className="job-line">
            <span>{job.message || 'Starting…'}</span>
            <button type="button" className="button small" onClick={() => void cancel()}>
              Cancel
            </button>
          </div>
          <ProgressBar fraction={job.fraction} label="Profile progress" />
        </div>
      ) : null}
      {error ? <ErrorMessage message={error} onDismiss={clearError} /> : null}

      {profile ? (
        <>
          <Summary profile={profile} />
          <Warnings warnings={profile.warnings} onSelect={selectColumn} />
          <div className="explore-columns">
            <ColumnList profile={profile} selected={column?.name ?? null} onSelect={selectColumn} />
            {column ? (
              <ColumnDetails column={column} association={profile.associations?.items.find((item) => item.column === column.name)} />
            ) : null}
          </div>
          <div className="explore-charts">
            <section className="explore-card" aria-labelledby="explore-correlation-title">
              <h3 id="explore-correlation-title">Correlations</h3>
              <p className="muted small">
                Pearson r between numeric columns.
                {profile.correlation.omitted > 0
                  ? ` ${profile.correlation.omitted} more numeric columns are left out to keep it readable.`
                  : ''}
              </p>
              {profile.correlation.columns.length >= 2 ? (
                <CorrelationHeatmap correlation={profile.correlation} />
              ) : (
                <p className="muted">Fewer than two numeric columns with spread: nothing to correlate.</p>
              )}
            </section>
            <section className="explore-card" aria-labelledby="explore-association-title">
              <h3 id="explore-association-title">Association with the target</h3>
              {profile.associations ? (
                <>
                  <p className="muted small">{profile.associations.method}</p>
                  <AssociationChart associations={profile.associations} />
                </>
              ) : (
                <p className="muted">Choose a target above to see how strongly each feature relates to it.</p>
              )}
            </section>
          </div>
        </>
      ) : null}
      <StepFooter step="explore" done={profile !== null} />
    </div>
  );
}

function Summary({ profile }: { profile: DatasetProfile }) {
  const cells = profile.profiledRows * profile.columns.length;
  const missing = profile.columns.reduce((sum, column) => sum + column.missing, 0);
  const numeric = profile.columns.filter((column) => column.kind === 'numeric').length;
  return (
    <dl className="facts explore-summary" aria-label="Profile summary">
      <div>
        <dt>Rows</dt>
        <dd>{profile.rowCount.toLocaleString('en-US')}</dd>
      </div>
      <div>
        <dt>Columns</dt>
        <dd>
          {profile.columns.length} ({numeric} numeric)
        </dd>
      </div>
      <div>
        <dt>Missing cells</dt>
        <dd>
          {missing.toLocaleString('en-US')} ({percent(cells === 0 ? 0 : missing / cells)})
        </dd>
      </div>
      <div>
        <dt>Warnings</dt>
        <dd>{profile.warnings.length}</dd>
      </div>
      <div>
        <dt>Computed over</dt>
        <dd title={`Distinct counts ${profile.distinctMethod}, quantiles ${profile.quantileMethod}`}>
          {profile.sample === null ? 'all rows' : `a sample of ${profile.profiledRows.toLocaleString('en-US')} rows`} in{' '}
          {(profile.computeMs / 1000).toFixed(1)} s
        </dd>
      </div>
    </dl>
  );
}

function Warnings({ warnings, onSelect }: { warnings: ProfileWarning[]; onSelect: (column: string) => void }) {
  if (warnings.length === 0)
    return (
      <p className="explore-no-warnings">No warnings: no constant, id-like, leaking, skewed, date-like or personal-data columns found.</p>
    );
  return (
    <section className="explore-warnings" aria-labelledby="explore-warnings-title">
      <h3 id="explore-warnings-title">Warnings</h3>
      <ul>
        {warnings.map((warning, index) => (
          <li key={`${warning.column}-${warning.kind}-${index}`} className={`explore-warning ${warning.kind}`}>
            <span className="explore-warning-kind">{warningTitle[warning.kind]}</span>
            <button type="button" className="link" onClick={() => onSelect(warning.column)}>
              {warning.column}
            </button>
            <span className="explore-warning-text">{warning.message}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const rowHeight = 48;

function ColumnList({
  profile,
  selected,
  onSelect,
}: {
  profile: DatasetProfile;
  selected: string | null;
  onSelect: (name: string) => void;
}) {
  const scroller = useRef<HTMLDivElement | null>(null);
  const columns = profile.columns;
  const virtualizer = useVirtualizer({
    count: columns.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 8,
  });
  const selectedIndex = Math.max(
    0,
    columns.findIndex((column) => column.name === selected),
  );

  // Up and down move through the columns, as in a list box; the moved-to row is scrolled in and focused.
  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const next =
      event.key === 'ArrowDown'
        ? index + 1
        : event.key === 'ArrowUp'
          ? index - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? columns.length - 1
              : null;
    if (next === null || next < 0 || next >= columns.length) return;
    event.preventDefault();
    const nextColumn = columns[next];
    if (!nextColumn) return;
    onSelect(nextColumn.name);
    virtualizer.scrollToIndex(next);
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLButtonElement>(`[data-index="${next}"]`)?.focus());
  };

  return (
    <div className="explore-list" aria-label="Columns">
      <div className="explore-list-head" aria-hidden="true">
        <span>Column</span>
        <span>Missing</span>
        <span>Distinct</span>
        <span>Summary</span>
        <span>Shape</span>
      </div>
      <div className="explore-list-scroll" ref={scroller}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const column = columns[item.index] as ColumnProfile;
            const isSelected = item.index === selectedIndex;
            return (
              <button
                key={column.name}
                type="button"
                data-index={item.index}
                className={`explore-row${isSelected ? ' selected' : ''}`}
                aria-pressed={isSelected}
                tabIndex={isSelected ? 0 : -1}
                style={{ height: item.size, transform: `translateY(${item.start}px)` }}
                onClick={() => onSelect(column.name)}
                onKeyDown={(event) => onKeyDown(event, item.index)}
              >
                <span className="explore-row-name">
                  <span className="explore-row-title" title={column.name}>
                    {column.name}
                  </span>
                  <span className="column-type">{typeWord(column.type)}</span>
                </span>
                <span className={column.missing > 0 ? 'explore-missing has' : 'explore-missing'}>{percent(column.missingShare)}</span>
                <span>{column.distinct.toLocaleString('en-US')}</span>
                <span className="explore-row-summary" title={columnSummary(column)}>
                  {columnSummary(column)}
                </span>
                <MiniBars values={miniValues(column)} />
              </button>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function ColumnDetails({
  column,
  association,
}: {
  column: ColumnProfile;
  association: { measure: keyof typeof measureLabel; value: number } | undefined;
}) {
  const facts: [string, string][] = [
    ['Type', typeWord(column.type)],
    ['Values', column.count.toLocaleString('en-US')],
    ['Missing', `${column.missing.toLocaleString('en-US')} (${percent(column.missingShare)})`],
    ['Distinct', column.distinct.toLocaleString('en-US')],
  ];
  if (column.numeric) {
    const { min, max, mean, std, skewness, quantiles, zeros } = column.numeric;
    facts.push(
      ['Min', formatNumber(min)],
      ['Max', formatNumber(max)],
      ['Mean', formatNumber(mean)],
      ['Std', std === null ? '–' : formatNumber(std)],
      ['Skewness', skewness === null ? '–' : skewness.toFixed(2)],
      ['Zeros', zeros.toLocaleString('en-US')],
      [
        'Quantiles',
        `p1 ${formatNumber(quantiles.p01)} · p5 ${formatNumber(quantiles.p05)} · p25 ${formatNumber(quantiles.p25)} · p50 ${formatNumber(quantiles.p50)} · p75 ${formatNumber(quantiles.p75)} · p95 ${formatNumber(quantiles.p95)} · p99 ${formatNumber(quantiles.p99)}`,
      ],
    );
  }
  if (column.range) facts.push(['Range', `${column.range.min} … ${column.range.max}`]);
  if (association) facts.push(['Association', `${measureLabel[association.measure]} ${association.value.toFixed(3)}`]);
  return (
    <section className="explore-details explore-card" aria-labelledby="explore-details-title" aria-live="polite">
      <h3 id="explore-details-title">{column.name}</h3>
      <dl className="explore-facts">
        {facts.map(([label, value]) => (
          <div key={label} className={label === 'Quantiles' ? 'wide' : undefined}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <ColumnChart column={column} />
    </section>
  );
}
