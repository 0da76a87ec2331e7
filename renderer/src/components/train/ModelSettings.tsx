import type { BackendInfo, ModelChoice, ModelFamily, ParamField, ParamValue, TrainSettings } from '../../../../shared/api/train.js';
import { useFamilies } from '../../stores/families.js';
import { useTrain } from '../../stores/train.js';
import { NumberField } from './NumberField.js';

const backendTitles: Record<BackendInfo['name'], string> = {
  tensorflow: 'TensorFlow (native)',
  webgpu: 'WebGPU',
  wasm: 'WebAssembly',
  cpu: 'Plain JavaScript (CPU)',
};

interface Props {
  disabled: boolean;
  onValidity(id: string, valid: boolean): void;
}

export function ModelSettings({ disabled, onValidity }: Props) {
  const { settings, backends, updateSettings } = useTrain();
  const families = useFamilies((state) => state.families);
  const chosen = families.find((family) => family.id === settings.model);
  const usesBackend = chosen ? chosen.usesBackend : true;
  const modelChoices: { value: ModelChoice; title: string; description: string }[] = [
    { value: 'auto', title: 'Auto', description: 'Tries every family and a small search within a time budget; keeps the best.' },
    ...families.map((family) => ({ value: family.id, title: family.name, description: family.description })),
  ];

  return (
    <div className="train-settings">
      <fieldset className="train-models" disabled={disabled}>
        <legend>Model</legend>
        {modelChoices.map((choice) => (
          <label key={choice.value} className={`train-model${settings.model === choice.value ? ' selected' : ''}`}>
            <input
              type="radio"
              name="train-model"
              value={choice.value}
              checked={settings.model === choice.value}
              onChange={() => updateSettings({ model: choice.value })}
            />
            <span className="train-model-text">
              <span className="train-model-title">{choice.title}</span>
              <span className="train-model-description">{choice.description}</span>
            </span>
          </label>
        ))}
      </fieldset>

      <div className="train-field-row">
        {settings.model === 'auto' ? (
          <NumberField
            id="train-budget"
            label="Time budget (seconds)"
            value={settings.budgetSeconds}
            onChange={(budgetSeconds) => updateSettings({ budgetSeconds })}
            onValidity={onValidity}
            min={5}
            max={24 * 3600}
            integer
            step={5}
            disabled={disabled}
          />
        ) : null}
        <NumberField
          id="train-seed"
          label="Seed"
          value={settings.seed}
          onChange={(seed) => updateSettings({ seed })}
          onValidity={onValidity}
          min={0}
          integer
          step={1}
          hint="Same seed, same data, same backend: same model."
          disabled={disabled}
        />
      </div>

      <div className="train-field">
        <label htmlFor="train-backend">Compute backend</label>
        <select
          id="train-backend"
          className="input"
          value={settings.backend}
          disabled={disabled}
          aria-describedby="train-backend-list"
          onChange={(event) => updateSettings({ backend: event.target.value as TrainSettings['backend'] })}
        >
          <option value="auto">Fastest available</option>
          {backends.map((backend) => (
            <option key={backend.name} value={backend.name} disabled={!backend.available}>
              {backendTitles[backend.name]}
              {backend.available ? '' : ' (unavailable)'}
            </option>
          ))}
        </select>
        <ul id="train-backend-list" className="train-backends">
          {backends.map((backend) => (
            <li key={backend.name} className={backend.available ? 'available' : 'unavailable'}>
              <span className="train-backend-mark" aria-hidden="true">
                {backend.available ? '●' : '○'}
              </span>
              <span>
                <strong>{backendTitles[backend.name]}</strong>
                <span className="visually-hidden">{backend.available ? ' available:' : ' unavailable:'}</span>{' '}
                <span className="muted">{backendDetail(backend)}</span>
              </span>
            </li>
          ))}
        </ul>
        {!usesBackend ? (
          <span className="train-field-hint">This family trains natively on the CPU; the backend applies to the neural models.</span>
        ) : null}
      </div>

      <AdvancedSettings disabled={disabled} onValidity={onValidity} />
    </div>
  );
}

function ParamInput({
  family,
  field,
  value,
  disabled,
  onValidity,
}: {
  family: ModelFamily;
  field: ParamField;
  value: ParamValue;
  disabled: boolean;
  onValidity(id: string, valid: boolean): void;
}) {
  const updateParams = useTrain((state) => state.updateParams);
  const id = `${family}-${field.key}`;
  if (field.kind === 'boolean') {
    return (
      <label className="train-check" title={field.help}>
        <input
          id={id}
          type="checkbox"
          checked={value === true}
          disabled={disabled}
          onChange={(event) => updateParams(family, { [field.key]: event.target.checked })}
        />
        {field.label}
      </label>
    );
  }
  if (field.kind === 'choice') {
    return (
      <div className="train-field">
        <label htmlFor={id}>{field.label}</label>
        <select
          id={id}
          className="input"
          value={String(value)}
          disabled={disabled}
          onChange={(event) => updateParams(family, { [field.key]: event.target.value })}
        >
          {(field.choices ?? []).map((choice) => (
            <option key={choice} value={choice}>
              {choice}
            </option>
          ))}
        </select>
        <span className="train-field-hint">{field.help}</span>
      </div>
    );
  }
  return (
    <NumberField
      id={id}
      label={field.label}
      value={typeof value === 'number' ? value : Number(field.default)}
      onChange={(next) => updateParams(family, { [field.key]: next })}
      onValidity={onValidity}
      integer={field.kind === 'integer'}
      hint={field.help}
      disabled={disabled}
      {...(field.min === undefined ? {} : { min: field.min })}
      {...(field.minExclusive ? { minExclusive: true } : {})}
      {...(field.max === undefined ? {} : { max: field.max })}
      {...(field.step === undefined ? {} : { step: field.step })}
    />
  );
}

function AdvancedSettings({ disabled, onValidity }: Props) {
  const { settings, resetAdvanced } = useTrain();
  const families = useFamilies((state) => state.families);
  const shown = families.filter((family) => settings.model === 'auto' || settings.model === family.id);

  return (
    <details className="train-advanced">
      <summary>Advanced</summary>
      {settings.model === 'auto' ? (
        <p className="muted small">Auto runs its own search around good defaults; these values are used when you train one family.</p>
      ) : null}
      {shown.map((family) => (
        <fieldset key={family.id} className="train-params" disabled={disabled}>
          <legend>{family.name}</legend>
          {family.fields.map((field) => (
            <ParamInput
              key={field.key}
              family={family.id}
              field={field}
              value={settings[family.id]?.[field.key] ?? field.default}
              disabled={disabled}
              onValidity={onValidity}
            />
          ))}
        </fieldset>
      ))}
      <button type="button" className="button small" disabled={disabled} onClick={resetAdvanced}>
        Restore defaults
      </button>
    </details>
  );
}

/**
 * What a user needs to know about a backend. How to install a missing one (packages, system libraries) is for
 * `kiln backends` and the docs, so an unavailable backend shows only why, in short.
 */
export function backendDetail(backend: { available: boolean; detail: string }): string {
  if (backend.available) return backend.detail;
  if (/gpu|adapter|vulkan/i.test(backend.detail)) return 'No usable GPU was found. `kiln backends` says what it needs.';
  const reason = backend.detail.split(':')[0]?.trim() ?? '';
  const sentence = reason ? `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.` : 'Not available here.';
  return `${sentence} \`kiln backends\` says how to add it.`;
}
