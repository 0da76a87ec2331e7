/**
 * The training profile embedded in the ONNX metadata, which a model server
 * compares recent inputs against (population stability index per feature).
 * Numbers are cut at training quantiles so each bin starts with a fair share;
 * categories keep the model's levels, with everything else pooled as
 * "(other)". Missing values get a share of their own on both kinds, since a
 * rise in missing inputs is drift too.
 */
import { binCount, numericBin } from '../../../../shared/serving/bins.js';
import type { CategoricalProfile, NumericProfile, TrainingProfile } from '../../../../shared/serving/profile.js';
import type { PreprocessingSpec, RawColumns } from '../../train/types.js';

export type { CategoricalProfile, NumericProfile, TrainingProfile };

/** Ten bins match the usual PSI practice and keep each bin large enough to be stable. */
export const DEFAULT_PROFILE_BINS = 10;

function numericProfile(name: string, values: Float64Array, bins: number): NumericProfile {
  const present = Float64Array.from(values.filter((value) => !Number.isNaN(value))).sort();
  const edges: number[] = [];
  for (let cut = 1; cut < bins && present.length > 0; cut++) {
    const edge = present[Math.min(present.length - 1, Math.floor((cut * present.length) / bins) - 1)]!;
    // Heavy ties (a column of mostly zeros) give equal quantiles; one edge each keeps the bins distinct.
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  const counts = new Float64Array(binCount(edges));
  for (const value of present) counts[numericBin(edges, value)]! += 1;
  const total = values.length || 1;
  return {
    name,
    kind: 'numeric',
    edges,
    shares: Array.from(counts, (count) => count / total),
    missingShare: (values.length - present.length) / total,
  };
}

function categoricalProfile(name: string, values: (string | null)[], levels: string[]): CategoricalProfile {
  const counts = new Map(levels.map((level) => [level, 0]));
  let other = 0;
  let missing = 0;
  for (const value of values) {
    if (value === null) missing++;
    else if (counts.has(value)) counts.set(value, counts.get(value)! + 1);
    else other++;
  }
  const total = values.length || 1;
  return {
    name,
    kind: 'categorical',
    levels: levels.map((level) => ({ value: level, share: counts.get(level)! / total })),
    otherShare: other / total,
    missingShare: missing / total,
  };
}

/** Profiles the training split's raw features, in the spec's order. */
export function computeTrainingProfile(spec: PreprocessingSpec, train: RawColumns, bins = DEFAULT_PROFILE_BINS): TrainingProfile {
  const features: TrainingProfile['features'] = [];
  for (const numeric of spec.numeric) {
    const values = train.numeric.get(numeric.name);
    if (values) features.push(numericProfile(numeric.name, values, bins));
  }
  for (const categorical of spec.categorical) {
    const values = train.categorical.get(categorical.name);
    if (values) features.push(categoricalProfile(categorical.name, values, categorical.levels));
  }
  return { version: 1, rows: train.rows, features };
}
