import type { FeatureChoice, FeatureEncoding } from '../../../../shared/api.js';

const numericImpute: { value: FeatureEncoding['impute']; label: string }[] = [
  { value: 'median', label: 'Median' },
  { value: 'mean', label: 'Mean' },
  { value: 'mostFrequent', label: 'Most frequent' },
  { value: 'constant', label: 'Constant' },
];
const categoricalImpute: { value: FeatureEncoding['impute']; label: string }[] = [
  { value: 'mostFrequent', label: 'Most frequent' },
  { value: 'constant', label: 'Constant' },
];

export interface FeatureTableProps {
  features: FeatureChoice[];
  /** The engine's suggestion, whose reasons explain the defaults. */
  suggested: FeatureChoice[];
  target: string;
  onChange(name: string, patch: { include?: boolean; encoding?: Partial<FeatureEncoding> }): void;
}

function wholeNumber(text: string, fallback: number, min: number, max: number): number {
  const value = Number.parseInt(text, 10);
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/** The default's reason while it still describes the row; a plain account of the user's change otherwise. */
function reasonFor(feature: FeatureChoice, suggested: FeatureChoice | undefined): { text: string; leftOut: boolean } | null {
  if (!feature.include) {
    if (suggested && !suggested.include && suggested.reason) return { text: suggested.reason, leftOut: true };
    return { text: 'Left out by you.', leftOut: true };
  }
  if (suggested && !suggested.include)
    return { text: `Included by you; the default left it out: ${suggested.reason ?? ''}`, leftOut: false };
  if (suggested?.reason && suggested.encoding.kind === feature.encoding.kind) return { text: suggested.reason, leftOut: false };
  return {
    text:
      feature.encoding.kind === 'numeric'
        ? 'Numbers, standardised for linear and neural models.'
        : 'Categories, one-hot encoded; rare levels fold into "other".',
    leftOut: false,
  };
}

function FeatureRow({
  feature,
  suggested,
  onChange,
}: {
  feature: FeatureChoice;
  suggested: FeatureChoice | undefined;
  onChange: FeatureTableProps['onChange'];
}) {
  const { encoding } = feature;
  const numeric = encoding.kind === 'numeric';
  const id = `feature-${feature.name}`;
  const label = (what: string) => `${what} for ${feature.name}`;
  const change = (patch: Partial<FeatureEncoding>) => onChange(feature.name, { encoding: patch });
  const imputeChoices = numeric ? numericImpute : categoricalImpute;
  const reason = reasonFor(feature, suggested);
  const impute = imputeChoices.some((choice) => choice.value === encoding.impute) ? encoding.impute : 'mostFrequent';
  return (
    <tr className={feature.include ? 'feature-row' : 'feature-row excluded'}>
      <td className="feature-include">
        <input
          id={id}
          type="checkbox"
          checked={feature.include}
          onChange={(event) => onChange(feature.name, { include: event.target.checked })}
          aria-describedby={reason ? `${id}-reason` : undefined}
        />
      </td>
      <th scope="row" className="feature-name">
        <label htmlFor={id}>{feature.name}</label>
      </th>
      <td>
        <select
          className="input compact"
          aria-label={label('Kind')}
          value={encoding.kind}
          disabled={!feature.include}
          onChange={(event) => {
            const kind = event.target.value as FeatureEncoding['kind'];
            change({ kind, impute: kind === 'numeric' ? 'median' : 'mostFrequent', imputeValue: undefined });
          }}
        >
          <option value="numeric">Numeric</option>
          <option value="categorical">Categorical</option>
        </select>
      </td>
      <td>
        <div className="feature-impute">
          <select
            className="input compact"
            aria-label={label('Fill missing values')}
            value={impute}
            disabled={!feature.include}
            onChange={(event) => change({ impute: event.target.value as FeatureEncoding['impute'] })}
          >
            {imputeChoices.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
          {impute === 'constant' ? (
            <input
              className="input compact feature-constant"
              aria-label={label('Fill value')}
              disabled={!feature.include}
              inputMode={numeric ? 'decimal' : 'text'}
              value={encoding.imputeValue === undefined ? '' : String(encoding.imputeValue)}
              placeholder={numeric ? '0' : 'missing'}
              onChange={(event) => {
                const text = event.target.value;
                const value = numeric && text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
                change({ imputeValue: text === '' ? undefined : value });
              }}
            />
          ) : null}
        </div>
      </td>
      <td className="feature-center">
        {numeric ? (
          <input
            type="checkbox"
            aria-label={label('Standardise')}
            checked={encoding.standardize}
            disabled={!feature.include}
            onChange={(event) => change({ standardize: event.target.checked })}
          />
        ) : (
          <span className="muted" aria-hidden="true">
            –
          </span>
        )}
      </td>
      <td>
        {numeric ? (
          <span className="muted" aria-hidden="true">
            –
          </span>
        ) : (
          <div className="feature-levels">
            <input
              className="input compact number"
              type="number"
              min={1}
              aria-label={label('Minimum rows per level')}
              disabled={!feature.include}
              value={encoding.minLevelCount}
              onChange={(event) => change({ minLevelCount: wholeNumber(event.target.value, encoding.minLevelCount, 1, 1_000_000) })}
            />
            <input
              className="input compact number"
              type="number"
              min={2}
              max={1000}
              aria-label={label('Most levels')}
              disabled={!feature.include}
              value={encoding.maxLevels}
              onChange={(event) => change({ maxLevels: wholeNumber(event.target.value, encoding.maxLevels, 2, 1000) })}
            />
          </div>
        )}
      </td>
      <td className="feature-reason" id={`${id}-reason`}>
        {reason ? <span className={reason.leftOut ? 'feature-left-out' : 'muted'}>{reason.text}</span> : null}
      </td>
    </tr>
  );
}

/** One row per column but the target: include it, how to encode it, and why a default left it out. */
export function FeatureTable({ features, suggested, target, onChange }: FeatureTableProps) {
  const shown = features.filter((feature) => feature.name !== target);
  const suggestedByName = new Map(suggested.map((feature) => [feature.name, feature]));
  return (
    <div className="feature-table-wrap">
      <table className="feature-table">
        <caption className="visually-hidden">Features and their encodings</caption>
        <thead>
          <tr>
            <th scope="col">Use</th>
            <th scope="col">Column</th>
            <th scope="col">Kind</th>
            <th scope="col">Missing values</th>
            <th scope="col">Standardise</th>
            <th scope="col" title="Levels with fewer training rows than the first number, or beyond the second, fold into “other”.">
              Min rows / max levels
            </th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((feature) => (
            <FeatureRow key={feature.name} feature={feature} suggested={suggestedByName.get(feature.name)} onChange={onChange} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
