import { useEffect, useState } from 'react';

export interface NumberFieldProps {
  id: string;
  label: string;
  value: number;
  onChange(value: number): void;
  /** Called with false while the text typed is not a usable value, so the form can hold back. */
  onValidity(id: string, valid: boolean): void;
  min?: number;
  /** Values must be strictly above `min` (learning rates, subsample). */
  minExclusive?: boolean;
  max?: number;
  step?: number;
  integer?: boolean;
  hint?: string;
  disabled?: boolean;
}

function problemWith(text: string, props: NumberFieldProps): string | null {
  if (text.trim() === '') return 'Enter a number.';
  const value = Number(text);
  if (!Number.isFinite(value)) return 'Enter a number.';
  if (props.integer && !Number.isInteger(value)) return 'Enter a whole number.';
  const { min, max, minExclusive } = props;
  const below = min !== undefined && (minExclusive ? value <= min : value < min);
  const above = max !== undefined && value > max;
  if (!below && !above) return null;
  const upper = max !== undefined ? ` and at most ${max}` : '';
  if (minExclusive) return `Must be above ${min}${upper}.`;
  if (min !== undefined && max !== undefined) return `Between ${min} and ${max}.`;
  return min !== undefined ? `At least ${min}.` : `At most ${max}.`;
}

/**
 * A number input that keeps what the user types (so "0." can become "0.05")
 * and hands the value on only when it is valid, saying why when it is not.
 */
export function NumberField(props: NumberFieldProps) {
  const { id, label, value, onChange, onValidity, min, max, step, hint, disabled } = props;
  const [text, setText] = useState(String(value));
  const [shown, setShown] = useState(value);
  // A new value from outside (defaults restored, settings loaded) replaces the text.
  if (shown !== value) {
    setShown(value);
    if (Number(text) !== value) setText(String(value));
  }
  const problem = problemWith(text, props);
  const valid = problem === null;

  // A field that goes away (another model chosen) no longer holds the form back.
  useEffect(() => {
    onValidity(id, valid);
    return () => onValidity(id, true);
  }, [id, valid, onValidity]);
  const describedBy = problem ? `${id}-problem` : hint ? `${id}-hint` : undefined;

  return (
    <div className="train-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="input"
        type="number"
        inputMode="decimal"
        value={text}
        min={min}
        max={max}
        step={step ?? 'any'}
        disabled={disabled}
        aria-invalid={problem ? true : undefined}
        aria-describedby={describedBy}
        onChange={(event) => {
          const next = event.target.value;
          setText(next);
          if (problemWith(next, props) === null) {
            const parsed = Number(next);
            setShown(parsed);
            onChange(parsed);
          }
        }}
      />
      {problem ? (
        <span id={`${id}-problem`} className="train-field-problem">
          {problem}
        </span>
      ) : hint ? (
        <span id={`${id}-hint`} className="train-field-hint">
          {hint}
        </span>
      ) : null}
    </div>
  );
}
