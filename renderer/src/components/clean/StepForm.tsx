import { useId, type ReactNode } from 'react';
import type { ColumnInfo } from '../../../../shared/api.js';
import { castTargets, dateParts, filterOperators, imputeMethods, textOperations } from '../../../../shared/recipe.js';
import type { DraftStep } from '../../stores/clean.js';
import { ColumnPicker, ColumnSelect } from './ColumnPicker.js';
import { typeWordLabels } from '../typeWords.js';

type Update = (patch: Record<string, unknown>) => void;

const imputeLabels: Record<(typeof imputeMethods)[number], string> = {
  mean: 'Mean',
  median: 'Median',
  mostFrequent: 'Most frequent value',
  constant: 'A constant',
};

const textLabels: Record<(typeof textOperations)[number], string> = {
  trim: 'Trim spaces',
  replace: 'Replace text',
  removeTrailing: 'Remove a trailing text (e.g. a final ".")',
  removeLeading: 'Remove a leading text',
  lowercase: 'Lower case',
  uppercase: 'Upper case',
};

const operatorLabels: Record<(typeof filterOperators)[number], string> = {
  '=': 'equals',
  '!=': 'does not equal',
  '<': 'is less than',
  '<=': 'is at most',
  '>': 'is greater than',
  '>=': 'is at least',
  contains: 'contains',
  startsWith: 'starts with',
  isMissing: 'is missing',
  notMissing: 'is not missing',
  in: 'is one of',
};

function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="clean-field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

function Choice<T extends string>({
  label,
  value,
  options,
  labels,
  onChange,
}: {
  label: string;
  value: T;
  options: readonly T[];
  labels?: Record<T, string>;
  onChange: (next: T) => void;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} className="input" value={value} onChange={(event) => onChange(event.target.value as T)}>
          {options.map((option) => (
            <option key={option} value={option}>
              {labels?.[option] ?? option}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function Text({
  label,
  value,
  onChange,
  placeholder,
}: {
  label: string;
  value: string;
  onChange: (next: string) => void;
  placeholder?: string;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <input id={id} className="input" value={value} placeholder={placeholder} onChange={(event) => onChange(event.target.value)} />
      )}
    </Field>
  );
}

function NumberInput({
  label,
  value,
  onChange,
  min,
  max,
  step,
}: {
  label: string;
  value: number;
  onChange: (next: number) => void;
  min?: number;
  max?: number;
  step?: number;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <input
          id={id}
          className="input number"
          type="number"
          value={Number.isFinite(value) ? value : ''}
          min={min}
          max={max}
          step={step}
          onChange={(event) => onChange(event.target.valueAsNumber)}
        />
      )}
    </Field>
  );
}

const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
const num = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);
const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** The settings of one step, as a small form; every change goes straight to the store. */
export function StepForm({ draft, columns, update }: { draft: DraftStep; columns: ColumnInfo[]; update: Update }) {
  const selected = list(draft.columns);
  const pick = (label: string, hint?: string) => (
    <ColumnPicker
      columns={columns}
      selected={selected}
      onChange={(next) => update({ columns: next })}
      label={label}
      {...(hint ? { hint } : {})}
    />
  );
  switch (draft.type) {
    case 'dropColumns':
      return pick('Columns to drop');
    case 'dropMissingRows':
      return (
        <>
          <Choice
            label="Drop a row when"
            value={str(draft.how, 'any') as 'any' | 'all'}
            options={['any', 'all'] as const}
            labels={{ any: 'any chosen column is missing', all: 'all chosen columns are missing' }}
            onChange={(how) => update({ how })}
          />
          {pick('Columns', 'None chosen means every column.')}
        </>
      );
    case 'impute':
      return (
        <>
          <div className="clean-row">
            <Choice
              label="Fill with"
              value={str(draft.method, 'mostFrequent') as (typeof imputeMethods)[number]}
              options={imputeMethods}
              labels={imputeLabels}
              onChange={(method) => update({ method })}
            />
            {draft.method === 'constant' ? <Text label="Value" value={str(draft.value)} onChange={(value) => update({ value })} /> : null}
          </div>
          {pick('Columns to fill', draft.method === 'mean' || draft.method === 'median' ? 'Numeric columns only.' : undefined)}
        </>
      );
    case 'castType':
      return (
        <>
          <Choice
            label="Convert to"
            value={str(draft.to, 'DOUBLE') as (typeof castTargets)[number]}
            options={castTargets}
            labels={typeWordLabels(castTargets)}
            onChange={(to) => update({ to })}
          />
          {pick('Columns', 'Values that do not convert become missing; the counts above show how many.')}
        </>
      );
    case 'text':
      return (
        <>
          <div className="clean-row">
            <Choice
              label="Operation"
              value={str(draft.operation, 'trim') as (typeof textOperations)[number]}
              options={textOperations}
              labels={textLabels}
              onChange={(operation) => update({ operation })}
            />
            {['replace', 'removeTrailing', 'removeLeading'].includes(str(draft.operation)) ? (
              <Text
                label={draft.operation === 'replace' ? 'Find' : 'Text to remove'}
                value={str(draft.find)}
                onChange={(find) => update({ find })}
                placeholder="."
              />
            ) : null}
            {draft.operation === 'replace' ? (
              <Text label="Replace with" value={str(draft.replacement)} onChange={(replacement) => update({ replacement })} />
            ) : null}
          </div>
          {pick('Text columns', undefined)}
        </>
      );
    case 'filterRows': {
      const condition = (draft.condition ?? {}) as { column?: string; operator?: string; value?: string; values?: string[] };
      const setCondition = (patch: Record<string, unknown>) => update({ condition: { ...condition, ...patch } });
      const operator = (condition.operator ?? '=') as (typeof filterOperators)[number];
      return (
        <div className="clean-row">
          <Choice
            label="Keep rows that"
            value={str(draft.keep, 'matching') as 'matching' | 'notMatching'}
            options={['matching', 'notMatching'] as const}
            labels={{ matching: 'match', notMatching: 'do not match' }}
            onChange={(keep) => update({ keep })}
          />
          <ColumnSelect columns={columns} value={condition.column ?? ''} onChange={(column) => setCondition({ column })} label="Column" />
          <Choice
            label="Condition"
            value={operator}
            options={filterOperators}
            labels={operatorLabels}
            onChange={(next) => setCondition({ operator: next })}
          />
          {operator === 'in' ? (
            <Text
              label="Values (comma separated)"
              value={(condition.values ?? []).join(', ')}
              onChange={(text) =>
                setCondition({
                  values: text
                    .split(',')
                    .map((item) => item.trim())
                    .filter(Boolean),
                })
              }
            />
          ) : operator === 'isMissing' || operator === 'notMissing' ? null : (
            <Text label="Value" value={condition.value ?? ''} onChange={(value) => setCondition({ value })} />
          )}
        </div>
      );
    }
    case 'removeDuplicates':
      return pick('Compare these columns', 'None chosen means rows must match in every column. The first row is kept.');
    case 'clipOutliers':
      return (
        <>
          <div className="clean-row">
            <Choice
              label="Bounds"
              value={str(draft.method, 'percentile') as 'percentile' | 'iqr'}
              options={['percentile', 'iqr'] as const}
              labels={{ percentile: 'Percentiles', iqr: 'Interquartile range' }}
              onChange={(method) => update({ method })}
            />
            {draft.method === 'iqr' ? (
              <NumberInput label="k (× IQR)" value={num(draft.k, 1.5)} min={0.1} step={0.5} onChange={(k) => update({ k })} />
            ) : (
              <>
                <NumberInput
                  label="Low (0–1)"
                  value={num(draft.low, 0.01)}
                  min={0}
                  max={1}
                  step={0.01}
                  onChange={(low) => update({ low })}
                />
                <NumberInput
                  label="High (0–1)"
                  value={num(draft.high, 0.99)}
                  min={0}
                  max={1}
                  step={0.01}
                  onChange={(high) => update({ high })}
                />
              </>
            )}
          </div>
          {pick('Numeric columns')}
        </>
      );
    case 'parseDate': {
      const parts = list(draft.parts);
      return (
        <>
          <div className="clean-row">
            <ColumnSelect columns={columns} value={str(draft.column)} onChange={(column) => update({ column })} label="Date column" />
            <Text
              label="Format (optional)"
              value={str(draft.format)}
              placeholder="%d/%m/%Y"
              onChange={(format) => update({ format: format === '' ? undefined : format })}
            />
          </div>
          <fieldset className="clean-columns">
            <legend>Parts to add as columns</legend>
            <div className="clean-column-grid">
              {dateParts.map((part) => (
                <label key={part} className="clean-column">
                  <input
                    type="checkbox"
                    checked={parts.includes(part)}
                    onChange={(event) => update({ parts: event.target.checked ? [...parts, part] : parts.filter((item) => item !== part) })}
                  />
                  <span>{part === 'weekday' ? 'weekday (Mon = 1)' : part}</span>
                </label>
              ))}
            </div>
          </fieldset>
          <label className="clean-check">
            <input
              type="checkbox"
              checked={draft.dropOriginal === true}
              onChange={(event) => update({ dropOriginal: event.target.checked })}
            />
            Drop the original column
          </label>
        </>
      );
    }
    case 'maskPersonal':
      return (
        <>
          <div className="clean-row">
            <Choice
              label="Method"
              value={str(draft.method, 'sha256') as 'sha256' | 'mask'}
              options={['sha256', 'mask'] as const}
              labels={{ sha256: 'Hash (SHA-256; equal values stay equal)', mask: 'Mask all but the last characters' }}
              onChange={(method) => update({ method })}
            />
            {draft.method === 'mask' ? (
              <NumberInput
                label="Keep last"
                value={num(draft.keepLast, 4)}
                min={0}
                max={64}
                step={1}
                onChange={(keepLast) => update({ keepLast })}
              />
            ) : null}
          </div>
          {pick('Columns')}
        </>
      );
  }
}
