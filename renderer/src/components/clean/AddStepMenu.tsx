import { useId, useState } from 'react';
import { cleanStepTitles, type CleanStepType } from '../../../../shared/recipe.js';

const order: CleanStepType[] = [
  'impute',
  'dropMissingRows',
  'text',
  'filterRows',
  'dropColumns',
  'castType',
  'removeDuplicates',
  'clipOutliers',
  'parseDate',
  'maskPersonal',
];

/** Choose a step type and add it at the end; a native select keeps it usable from the keyboard. */
export function AddStepMenu({ onAdd, disabled }: { onAdd: (type: CleanStepType) => void; disabled: boolean }) {
  const id = useId();
  const [type, setType] = useState<CleanStepType>('impute');
  return (
    <div className="clean-add">
      <label htmlFor={id}>Add a step</label>
      <select id={id} className="input" value={type} onChange={(event) => setType(event.target.value as CleanStepType)} disabled={disabled}>
        {order.map((option) => (
          <option key={option} value={option}>
            {cleanStepTitles[option]}
          </option>
        ))}
      </select>
      <button type="button" className="button" onClick={() => onAdd(type)} disabled={disabled}>
        Add step
      </button>
    </div>
  );
}
