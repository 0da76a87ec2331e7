import { useId } from 'react';
import type { ColumnInfo } from '../../../../shared/api.js';
import { typeWord } from '../typeWords.js';

/** A set of checkboxes, one per column: keyboard friendly and readable in both themes. */
export function ColumnPicker({
  columns,
  selected,
  onChange,
  label,
  hint,
}: {
  columns: ColumnInfo[];
  selected: string[];
  onChange: (next: string[]) => void;
  label: string;
  hint?: string;
}) {
  const hintId = useId();
  const missing = selected.filter((name) => !columns.some((column) => column.name === name));
  return (
    <fieldset className="clean-columns" aria-describedby={hint ? hintId : undefined}>
      <legend>{label}</legend>
      {hint ? (
        <p className="muted clean-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      <div className="clean-column-grid">
        {[...columns.map((column) => column.name), ...missing].map((name) => (
          <label key={name} className={`clean-column${missing.includes(name) ? ' gone' : ''}`} title={name}>
            <input
              type="checkbox"
              checked={selected.includes(name)}
              onChange={(event) => onChange(event.target.checked ? [...selected, name] : selected.filter((item) => item !== name))}
            />
            <span>{name}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

export function ColumnSelect({
  columns,
  value,
  onChange,
  label,
}: {
  columns: ColumnInfo[];
  value: string;
  onChange: (next: string) => void;
  label: string;
}) {
  const id = useId();
  return (
    <div className="clean-field">
      <label htmlFor={id}>{label}</label>
      <select id={id} className="input" value={value} onChange={(event) => onChange(event.target.value)}>
        {columns.some((column) => column.name === value) ? null : <option value={value}>{value || 'Choose a column'}</option>}
        {columns.map((column) => (
          <option key={column.name} value={column.name}>
            {column.name} ({typeWord(column.type)})
          </option>
        ))}
      </select>
    </div>
  );
}
