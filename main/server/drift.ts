/**
 * Drift: the population stability index (PSI) per feature between the most
 * recent inputs and the training profile embedded in schema.json.
 *
 * Recent inputs live in a ring per column (the last `window` rows), so memory is
 * bounded and old traffic ages out. PSI = Σ (a − e) · ln(a / e) over the bins,
 * with a and e floored at 1e-4 so an empty bin does not make it infinite.
 * Conventional reading: < 0.1 stable, 0.1–0.25 moderate, > 0.25 significant.
 */
import { binCount, numericBin } from '../../shared/serving/bins.js';
import type { KeyedCategoricalProfile, KeyedNumericProfile } from '../../shared/serving/profile.js';
import type { ServingSchema } from '../../shared/serving/schema.js';
import type { Batch, Column } from './rows.js';

export const PSI_MODERATE = 0.1;
export const PSI_SIGNIFICANT = 0.25;
const SHARE_FLOOR = 1e-4;

export type Verdict = 'stable' | 'moderate' | 'significant';
type FeatureVerdict = Verdict | 'insufficient_data' | 'no_training_profile';

export function verdictFor(psi: number): Verdict {
  if (psi > PSI_SIGNIFICANT) return 'significant';
  if (psi >= PSI_MODERATE) return 'moderate';
  return 'stable';
}

/** Both vectors are normalised first, so profiles whose shares sum to 0.999 (rounding) compare fairly. */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[]): number {
  const expectedTotal = expected.reduce((sum, value) => sum + value, 0);
  const actualTotal = actual.reduce((sum, value) => sum + value, 0);
  if (expectedTotal <= 0 || actualTotal <= 0) return 0;
  let psi = 0;
  for (let index = 0; index < expected.length; index += 1) {
    const e = Math.max(expected[index]! / expectedTotal, SHARE_FLOOR);
    const a = Math.max(actual[index]! / actualTotal, SHARE_FLOOR);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

function round(value: number, digits = 6): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function formatEdge(value: number): string {
  return Number.isInteger(value) ? String(value) : String(round(value, 4));
}

class Ring<T extends Column> {
  next = 0;
  size = 0;

  constructor(readonly values: T) {}

  push(values: T, rowCount: number): void {
    const capacity = this.values.length;
    const start = Math.max(0, rowCount - capacity);
    for (let row = start; row < rowCount; row += 1) {
      this.values[this.next] = values[row]!;
      this.next = this.next + 1 === capacity ? 0 : this.next + 1;
    }
    this.size = Math.min(capacity, this.size + rowCount - start);
  }
}

type Feature =
  | { name: string; kind: 'numeric'; profile: KeyedNumericProfile; ring: Ring<Float64Array> }
  | { name: string; kind: 'categorical'; profile: KeyedCategoricalProfile; ring: Ring<string[]> }
  | { name: string; kind: 'numeric' | 'categorical'; profile: undefined; ring: undefined };

export interface FeatureReport {
  name: string;
  kind: 'numeric' | 'categorical';
  rows: number;
  psi: number | null;
  verdict: FeatureVerdict;
  bins: { bin: string; expected: number; actual: number }[];
}

export interface DriftReport {
  verdict: FeatureVerdict;
  message: string;
  rows: number;
  window: number;
  minRows: number;
  rowsSeen: number;
  maxPsi: number | null;
  thresholds: { moderate: number; significant: number };
  features: FeatureReport[];
}

export class DriftMonitor {
  readonly window: number;
  readonly minRows: number;
  private readonly features: Feature[] = [];
  private rowsSeen = 0;

  constructor(schema: ServingSchema, options: { window: number; minRows: number }) {
    this.window = options.window;
    this.minRows = options.minRows;
    for (const input of schema.inputs) {
      const numeric = input.type === 'number' ? schema.trainingProfile.numeric[input.name] : undefined;
      const categorical = input.type === 'string' ? schema.trainingProfile.categorical[input.name] : undefined;
      if (numeric) {
        this.features.push({ name: input.name, kind: 'numeric', profile: numeric, ring: new Ring(new Float64Array(this.window)) });
      } else if (categorical) {
        this.features.push({
          name: input.name,
          kind: 'categorical',
          profile: categorical,
          ring: new Ring(new Array<string>(this.window).fill('')),
        });
      } else {
        this.features.push({
          name: input.name,
          kind: input.type === 'number' ? 'numeric' : 'categorical',
          profile: undefined,
          ring: undefined,
        });
      }
    }
  }

  add(batch: Batch): void {
    for (const feature of this.features) {
      if (feature.kind === 'numeric' && feature.ring) feature.ring.push(batch.columns.get(feature.name) as Float64Array, batch.rowCount);
      else if (feature.kind === 'categorical' && feature.ring)
        feature.ring.push(batch.columns.get(feature.name) as string[], batch.rowCount);
    }
    this.rowsSeen += batch.rowCount;
  }

  private numericFeature(name: string, profile: KeyedNumericProfile, ring: Ring<Float64Array>): FeatureReport {
    const { edges, shares, missingShare } = profile;
    const bins = binCount(edges);
    const counts = new Array<number>(bins + 1).fill(0);
    for (let index = 0; index < ring.size; index += 1) {
      const value = ring.values[index]!;
      counts[Number.isNaN(value) ? bins : numericBin(edges, value)]! += 1;
    }
    const names = shares.map(
      (_, bin) => `${bin === 0 ? '(-∞' : `(${formatEdge(edges[bin - 1]!)}`}, ${bin === bins - 1 ? '+∞)' : `${formatEdge(edges[bin]!)}]`}`,
    );
    return this.compare(name, 'numeric', names, [...shares], counts, missingShare);
  }

  private categoricalFeature(name: string, profile: KeyedCategoricalProfile, ring: Ring<string[]>): FeatureReport {
    const { levels, otherShare, missingShare } = profile;
    const names = Object.keys(levels);
    const index = new Map(names.map((level, position) => [level, position]));
    const other = names.length;
    const missing = names.length + 1;
    const counts = new Array<number>(names.length + 2).fill(0);
    for (let row = 0; row < ring.size; row += 1) {
      const value = ring.values[row]!;
      counts[value === '' ? missing : (index.get(value) ?? other)]! += 1;
    }
    const expected = [...names.map((level) => levels[level]!), otherShare ?? 0];
    return this.compare(name, 'categorical', [...names, '(other)'], expected, counts, missingShare);
  }

  private featureReport(feature: Feature): FeatureReport | undefined {
    if (feature.kind === 'numeric' && feature.ring) return this.numericFeature(feature.name, feature.profile, feature.ring);
    if (feature.kind === 'categorical' && feature.ring) return this.categoricalFeature(feature.name, feature.profile, feature.ring);
    return undefined;
  }

  /**
   * `counts` has one more slot than `expected`: the missing values. Missing is a bin of its
   * own only when the profile says how often it was missing in training; otherwise it is left out.
   */
  private compare(
    name: string,
    kind: 'numeric' | 'categorical',
    names: string[],
    expected: number[],
    counts: number[],
    missingShare: number | undefined,
  ): FeatureReport {
    const missingCount = counts.pop()!;
    const binNames = [...names];
    if (missingShare !== undefined) {
      expected.push(missingShare);
      counts.push(missingCount);
      binNames.push('(missing)');
    }
    const rows = counts.reduce((sum, count) => sum + count, 0);
    const psi = populationStabilityIndex(expected, counts);
    const expectedTotal = expected.reduce((sum, value) => sum + value, 0) || 1;
    const enough = rows >= this.minRows;
    return {
      name,
      kind,
      rows,
      psi: rows > 0 ? round(psi) : null,
      verdict: enough ? verdictFor(psi) : 'insufficient_data',
      bins: binNames.map((bin, position) => ({
        bin,
        expected: round(expected[position]! / expectedTotal),
        actual: rows > 0 ? round(counts[position]! / rows) : 0,
      })),
    };
  }

  /** PSI per profiled feature without the bin details, for /metrics. */
  psiByFeature(): { name: string; psi: number }[] {
    const result: { name: string; psi: number }[] = [];
    for (const feature of this.features) {
      if (!feature.ring || feature.ring.size === 0) continue;
      const report = this.featureReport(feature);
      if (report) result.push({ name: feature.name, psi: report.psi ?? 0 });
    }
    return result;
  }

  report(): DriftReport {
    const features = this.features.map(
      (feature): FeatureReport =>
        this.featureReport(feature) ?? {
          name: feature.name,
          kind: feature.kind,
          rows: 0,
          psi: null,
          verdict: 'no_training_profile',
          bins: [],
        },
    );
    features.sort((left, right) => (right.psi ?? -1) - (left.psi ?? -1));
    const rows = features.reduce((most, feature) => Math.max(most, feature.rows), 0);
    const scored = features.filter((feature): feature is FeatureReport & { psi: number } => feature.psi !== null);
    const worst = scored[0];
    let verdict: FeatureVerdict;
    let message: string;
    if (worst === undefined) {
      verdict = this.features.some((feature) => feature.ring) ? 'insufficient_data' : 'no_training_profile';
      message =
        verdict === 'no_training_profile'
          ? 'schema.json has no training profile, so drift cannot be measured.'
          : 'No inputs scored yet; drift is measured over the most recent rows.';
    } else if (rows < this.minRows) {
      verdict = 'insufficient_data';
      message = `Only ${rows} recent rows; drift is reported from ${this.minRows} rows on.`;
    } else {
      verdict = verdictFor(worst.psi);
      const where = `largest PSI ${worst.psi.toFixed(3)} on "${worst.name}" over the last ${rows} rows`;
      message =
        verdict === 'significant'
          ? `Inputs have drifted significantly from the training data (${where}): consider retraining.`
          : verdict === 'moderate'
            ? `Inputs have drifted moderately from the training data (${where}): watch it.`
            : `Inputs look like the training data (${where}).`;
    }
    return {
      verdict,
      message,
      rows,
      window: this.window,
      minRows: this.minRows,
      rowsSeen: this.rowsSeen,
      maxPsi: worst ? worst.psi : null,
      thresholds: { moderate: PSI_MODERATE, significant: PSI_SIGNIFICANT },
      features,
    };
  }
}
