/**
 * Drift: the population stability index (PSI) per feature between the most
 * recent inputs and the training profile embedded in schema.json.
 *
 * Recent inputs live in a ring per column (the last `window` rows), so memory is
 * bounded and old traffic ages out. PSI = Σ (a − e) · ln(a / e) over the bins,
 * with a and e floored at 1e-4 so an empty bin does not make it infinite.
 * Conventional reading: < 0.1 stable, 0.1–0.25 moderate, > 0.25 significant.
 */

export const PSI_MODERATE = 0.1;
export const PSI_SIGNIFICANT = 0.25;
const SHARE_FLOOR = 1e-4;

export function verdictFor(psi) {
  if (psi > PSI_SIGNIFICANT) return 'significant';
  if (psi >= PSI_MODERATE) return 'moderate';
  return 'stable';
}

/** Both vectors are normalised first, so profiles whose shares sum to 0.999 (rounding) compare fairly. */
export function populationStabilityIndex(expected, actual) {
  const expectedTotal = expected.reduce((sum, value) => sum + value, 0);
  const actualTotal = actual.reduce((sum, value) => sum + value, 0);
  if (expectedTotal <= 0 || actualTotal <= 0) return 0;
  let psi = 0;
  for (let index = 0; index < expected.length; index += 1) {
    const e = Math.max(expected[index] / expectedTotal, SHARE_FLOOR);
    const a = Math.max(actual[index] / actualTotal, SHARE_FLOOR);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/**
 * Bin of x under inner cut points `edges`: bin b holds edges[b−1] < x ≤ edges[b], the
 * first and last bins are open, so there are edges.length + 1 bins. That is the number
 * of edges below x, the same rule the exporter profiles training data with.
 */
export function numericBin(edges, x) {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (x <= edges[middle]) high = middle;
    else low = middle + 1;
  }
  return low;
}

function round(value, digits = 6) {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function formatEdge(value) {
  return Number.isInteger(value) ? String(value) : String(round(value, 4));
}

class Ring {
  constructor(window, numeric) {
    this.values = numeric ? new Float64Array(window) : new Array(window).fill('');
    this.next = 0;
    this.size = 0;
  }

  push(values, rowCount) {
    const capacity = this.values.length;
    const start = Math.max(0, rowCount - capacity);
    for (let row = start; row < rowCount; row += 1) {
      this.values[this.next] = values[row];
      this.next = this.next + 1 === capacity ? 0 : this.next + 1;
    }
    this.size = Math.min(capacity, this.size + rowCount - start);
  }
}

export class DriftMonitor {
  /**
   * @param {import('./schema.mjs').Schema} schema
   * @param {{ window: number, minRows: number }} options
   */
  constructor(schema, options) {
    this.window = options.window;
    this.minRows = options.minRows;
    this.features = [];
    for (const input of schema.inputs) {
      const numeric = input.type === 'number' ? schema.trainingProfile.numeric[input.name] : undefined;
      const categorical = input.type === 'string' ? schema.trainingProfile.categorical[input.name] : undefined;
      const profile = numeric ?? categorical;
      this.features.push({
        name: input.name,
        kind: numeric ? 'numeric' : categorical ? 'categorical' : input.type === 'number' ? 'numeric' : 'categorical',
        profile,
        ring: profile ? new Ring(this.window, Boolean(numeric)) : undefined,
      });
    }
    this.rowsSeen = 0;
  }

  /** @param {import('./rows.mjs').Batch} batch */
  add(batch) {
    for (const feature of this.features) {
      if (feature.ring) feature.ring.push(batch.columns.get(feature.name), batch.rowCount);
    }
    this.rowsSeen += batch.rowCount;
  }

  numericFeature(feature) {
    const { edges, shares, missingShare } = feature.profile;
    const bins = shares.length;
    const counts = new Array(bins + 1).fill(0);
    const { values, size } = feature.ring;
    for (let index = 0; index < size; index += 1) {
      const value = values[index];
      counts[Number.isNaN(value) ? bins : numericBin(edges, value)] += 1;
    }
    const names = shares.map(
      (_, bin) => `${bin === 0 ? '(-∞' : `(${formatEdge(edges[bin - 1])}`}, ${bin === bins - 1 ? '+∞)' : `${formatEdge(edges[bin])}]`}`,
    );
    return this.compare(feature, names, [...shares], counts, missingShare);
  }

  categoricalFeature(feature) {
    const { levels, otherShare, missingShare } = feature.profile;
    const names = Object.keys(levels);
    const index = new Map(names.map((name, position) => [name, position]));
    const other = names.length;
    const missing = names.length + 1;
    const counts = new Array(names.length + 2).fill(0);
    const { values, size } = feature.ring;
    for (let row = 0; row < size; row += 1) {
      const value = values[row];
      counts[value === '' ? missing : (index.get(value) ?? other)] += 1;
    }
    const expected = [...names.map((name) => levels[name]), otherShare ?? 0];
    return this.compare(feature, [...names, '(other)'], expected, counts, missingShare);
  }

  /**
   * `counts` has one more slot than `expected`: the missing values. Missing is a bin of its
   * own only when the profile says how often it was missing in training; otherwise it is left out.
   */
  compare(feature, names, expected, counts, missingShare) {
    const missingCount = counts.pop();
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
      name: feature.name,
      kind: feature.kind,
      rows,
      psi: rows > 0 ? round(psi) : null,
      verdict: enough ? verdictFor(psi) : 'insufficient_data',
      bins: binNames.map((name, bin) => ({
        bin: name,
        expected: round(expected[bin] / expectedTotal),
        actual: rows > 0 ? round(counts[bin] / rows) : 0,
      })),
    };
  }

  /** PSI per profiled feature without the bin details, for /metrics. */
  psiByFeature() {
    const result = [];
    for (const feature of this.features) {
      if (!feature.ring || feature.ring.size === 0) continue;
      const report = feature.kind === 'numeric' ? this.numericFeature(feature) : this.categoricalFeature(feature);
      result.push({ name: feature.name, psi: report.psi ?? 0 });
    }
    return result;
  }

  report() {
    const features = this.features.map((feature) => {
      if (!feature.ring) return { name: feature.name, kind: feature.kind, rows: 0, psi: null, verdict: 'no_training_profile', bins: [] };
      return feature.kind === 'numeric' ? this.numericFeature(feature) : this.categoricalFeature(feature);
    });
    features.sort((left, right) => (right.psi ?? -1) - (left.psi ?? -1));
    const rows = features.reduce((most, feature) => Math.max(most, feature.rows), 0);
    const scored = features.filter((feature) => feature.psi !== null);
    const worst = scored[0];
    let verdict;
    let message;
    if (scored.length === 0) {
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
