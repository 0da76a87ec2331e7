import type { BackendInfo, ModelChoice, TrainSettings } from '../../../../shared/api/train.js';
import { useTrain } from '../../stores/train.js';
import { modelTitles } from './format.js';
import { NumberField } from './NumberField.js';

const modelChoices: { value: ModelChoice; description: string }[] = [
  { value: 'auto', description: 'Tries every family and a small search within a time budget; keeps the best.' },
  { value: 'gbdt', description: 'Usually the strongest on tables; handles categories natively.' },
  { value: 'linear', description: 'Fast and easy to read; a baseline.' },
  { value: 'mlp', description: 'A small neural network on the compute backend below.' },
];

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
  const usesBackend = settings.model !== 'gbdt';

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
              <span className="train-model-title">{modelTitles[choice.value]}</span>
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
            <option key={backend.name} value={backend.name} disabled={!backend.available} title={backend.detail}>
              {backendTitles[backend.name]}
              {backend.available ? '' : ' (unavailable)'}
            </option>
          ))}
        </select>
        <ul id="train-backend-list" className="train-backends">
          {backends.map((backend) => (
            <li key={backend.name} className={backend.available ? 'available' : 'unavailable'} title={backend.detail}>
              <span className="train-backend-mark" aria-hidden="true">
                {backend.available ? '●' : '○'}
              </span>
              <span>
                <strong>{backendTitles[backend.name]}</strong>
                <span className="visually-hidden">{backend.available ? ' available:' : ' unavailable:'}</span>{' '}
                <span className="muted">{backend.detail}</span>
              </span>
            </li>
          ))}
        </ul>
        {!usesBackend ? (
          <span className="train-field-hint">Trees train on the CPU with worker threads; the backend applies to the neural models.</span>
        ) : null}
      </div>

      <AdvancedSettings disabled={disabled} onValidity={onValidity} />
    </div>
  );
}

function AdvancedSettings({ disabled, onValidity }: Props) {
  const { settings, updateLinear, updateMlp, updateGbdt, resetAdvanced } = useTrain();
  const show = (family: 'linear' | 'mlp' | 'gbdt') => settings.model === 'auto' || settings.model === family;
  const { mlp, gbdt, linear } = settings;
  const field = { onValidity, disabled };

  return (
    <details className="train-advanced">
      <summary>Advanced</summary>
      {settings.model === 'auto' ? (
        <p className="muted small">Auto runs its own search around good defaults; these values are used when you train one family.</p>
      ) : null}

      {show('gbdt') ? (
        <fieldset className="train-params" disabled={disabled}>
          <legend>Gradient-boosted trees</legend>
          <NumberField
            id="gbdt-rounds"
            label="Rounds"
            value={gbdt.rounds}
            onChange={(rounds) => updateGbdt({ rounds })}
            min={1}
            max={10000}
            integer
            {...field}
          />
          <NumberField
            id="gbdt-learning-rate"
            label="Learning rate"
            value={gbdt.learningRate}
            onChange={(learningRate) => updateGbdt({ learningRate })}
            min={0}
            minExclusive
            max={1}
            step={0.01}
            {...field}
          />
          <NumberField
            id="gbdt-depth"
            label="Depth"
            value={gbdt.maxDepth}
            onChange={(maxDepth) => updateGbdt({ maxDepth })}
            min={0}
            max={16}
            integer
            hint="0: no limit"
            {...field}
          />
          <NumberField
            id="gbdt-subsample"
            label="Subsample"
            value={gbdt.subsample}
            onChange={(subsample) => updateGbdt({ subsample })}
            min={0}
            minExclusive
            max={1}
            step={0.05}
            {...field}
          />
          <NumberField
            id="gbdt-early-stopping"
            label="Early stopping (rounds)"
            value={gbdt.earlyStoppingRounds}
            onChange={(earlyStoppingRounds) => updateGbdt({ earlyStoppingRounds })}
            min={0}
            integer
            hint="0: off"
            {...field}
          />
        </fieldset>
      ) : null}

      {show('linear') ? (
        <fieldset className="train-params" disabled={disabled}>
          <legend>Logistic/linear regression</legend>
          <NumberField
            id="linear-l2"
            label="L2"
            value={linear.l2}
            onChange={(l2) => updateLinear({ l2 })}
            min={0}
            step={0.0001}
            {...field}
          />
          <NumberField
            id="linear-learning-rate"
            label="Learning rate"
            value={linear.learningRate}
            onChange={(learningRate) => updateLinear({ learningRate })}
            min={0}
            minExclusive
            step={0.01}
            {...field}
          />
          <NumberField
            id="linear-epochs"
            label="Epochs"
            value={linear.epochs}
            onChange={(epochs) => updateLinear({ epochs })}
            min={1}
            max={1000}
            integer
            {...field}
          />
        </fieldset>
      ) : null}

      {show('mlp') ? (
        <fieldset className="train-params" disabled={disabled}>
          <legend>Neural network (MLP)</legend>
          <NumberField
            id="mlp-layers"
            label="Hidden layers"
            value={mlp.layers}
            onChange={(layers) => updateMlp({ layers })}
            min={1}
            max={8}
            integer
            {...field}
          />
          <NumberField
            id="mlp-width"
            label="Width"
            value={mlp.width}
            onChange={(width) => updateMlp({ width })}
            min={2}
            max={4096}
            integer
            {...field}
          />
          <NumberField
            id="mlp-dropout"
            label="Dropout"
            value={mlp.dropout}
            onChange={(dropout) => updateMlp({ dropout })}
            min={0}
            max={0.9}
            step={0.05}
            {...field}
          />
          <NumberField
            id="mlp-learning-rate"
            label="Learning rate"
            value={mlp.learningRate}
            onChange={(learningRate) => updateMlp({ learningRate })}
            min={0}
            minExclusive
            step={0.0001}
            {...field}
          />
          <NumberField
            id="mlp-batch-size"
            label="Batch size"
            value={mlp.batchSize}
            onChange={(batchSize) => updateMlp({ batchSize })}
            min={1}
            integer
            {...field}
          />
          <NumberField
            id="mlp-epochs"
            label="Epochs"
            value={mlp.epochs}
            onChange={(epochs) => updateMlp({ epochs })}
            min={1}
            max={1000}
            integer
            {...field}
          />
          <label className="train-check">
            <input type="checkbox" checked={mlp.classWeights} onChange={(event) => updateMlp({ classWeights: event.target.checked })} />
            Class weights (for imbalanced targets)
          </label>
        </fieldset>
      ) : null}

      <button type="button" className="button small" disabled={disabled} onClick={resetAdvanced}>
        Restore defaults
      </button>
    </details>
  );
}
