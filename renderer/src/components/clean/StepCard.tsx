import type { ColumnInfo, StepEffect } from '../../../../shared/api.js';
import { cleanStepTitles } from '../../../../shared/recipe.js';
import { checkDraft, type DraftStep } from '../../stores/clean.js';
import { StepForm } from './StepForm.js';

const count = (value: number) => value.toLocaleString('en-US');

function fittedText(effect: StepEffect | undefined): string | null {
  if (!effect?.fitted) return null;
  const parts = Object.entries(effect.fitted).map(([column, value]) => {
    if (Array.isArray(value)) {
      const [low, high] = value;
      const show = (bound: number | null) => (bound === null ? '–' : bound.toLocaleString('en-US', { maximumFractionDigits: 3 }));
      return `${column} to [${show(low)}, ${show(high)}]`;
    }
    return `${column} with ${typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 4 }) : JSON.stringify(value)}`;
  });
  return parts.length > 0 ? `Learnt: ${parts.join('; ')}` : null;
}

function Effect({ effect }: { effect: StepEffect | undefined }) {
  if (!effect) return <span className="clean-effect muted">…</span>;
  if (!effect.enabled) return <span className="clean-effect muted">Skipped (disabled)</span>;
  const rowsChanged = effect.rowsAfter !== effect.rowsBefore;
  const missingChanged = effect.missingAfter !== effect.missingBefore;
  return (
    <span className="clean-effect">
      <span className={rowsChanged ? 'changed' : ''}>
        Rows {count(effect.rowsBefore)} → {count(effect.rowsAfter)}
      </span>
      <span className={missingChanged ? 'changed' : ''}>
        Missing {count(effect.missingBefore)} → {count(effect.missingAfter)}
      </span>
    </span>
  );
}

export function StepCard({
  draft,
  index,
  total,
  columns,
  effect,
  error,
  onUpdate,
  onMove,
  onRemove,
}: {
  draft: DraftStep;
  index: number;
  total: number;
  columns: ColumnInfo[];
  effect: StepEffect | undefined;
  error: string | null;
  onUpdate: (patch: Record<string, unknown>) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
}) {
  const { valid, problem } = checkDraft(draft);
  const title = cleanStepTitles[draft.type];
  const headingId = `clean-step-${draft.id}`;
  const learnt = fittedText(effect);
  return (
    <li className={`clean-step${draft.enabled ? '' : ' disabled'}${valid ? '' : ' incomplete'}`} aria-labelledby={headingId}>
      <div className="clean-step-head">
        <input
          type="checkbox"
          className="clean-enable"
          checked={draft.enabled}
          onChange={(event) => onUpdate({ enabled: event.target.checked })}
          aria-label={`Enable step ${index + 1}: ${title}`}
        />
        <span className="clean-step-number" aria-hidden="true">
          {index + 1}
        </span>
        <h3 id={headingId} className="clean-step-title">
          {title}
        </h3>
        {valid ? <Effect effect={effect} /> : <span className="clean-effect incomplete-note">Incomplete: {problem}</span>}
        <div className="clean-step-actions">
          <button
            type="button"
            className="button ghost small"
            onClick={() => onMove(-1)}
            disabled={index === 0}
            aria-label={`Move step ${index + 1} up`}
          >
            ↑
          </button>
          <button
            type="button"
            className="button ghost small"
            onClick={() => onMove(1)}
            disabled={index === total - 1}
            aria-label={`Move step ${index + 1} down`}
          >
            ↓
          </button>
          <button type="button" className="button ghost small danger" onClick={onRemove} aria-label={`Delete step ${index + 1}: ${title}`}>
            Delete
          </button>
        </div>
      </div>
      {effect && effect.enabled && effect.columns.length > 0 ? (
        <ul className="clean-changes" aria-label="Missing values by column">
          {effect.columns.slice(0, 8).map((change) => (
            <li key={change.column}>
              <span className="clean-change-name">{change.column}</span> {change.before === null ? 'new' : count(change.before)} →{' '}
              {change.after === null ? 'dropped' : count(change.after)}
            </li>
          ))}
          {effect.columns.length > 8 ? <li className="muted">and {effect.columns.length - 8} more columns</li> : null}
        </ul>
      ) : null}
      {learnt && draft.enabled ? <p className="clean-learnt muted">{learnt}</p> : null}
      {error ? (
        <p className="clean-step-error" role="alert">
          {error}
        </p>
      ) : null}
      <details className="clean-step-body" open>
        <summary>Settings</summary>
        <div className="clean-form">
          <StepForm draft={draft} columns={columns} update={onUpdate} />
        </div>
      </details>
    </li>
  );
}
