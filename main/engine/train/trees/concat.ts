/** Joining two splits' tree columns (train + validation) for a refit on every labelled row. */
import { KilnError } from '../../../../shared/errors.js';
import type { GbdtDataset, GbdtFeature } from './types.js';

export function concatTreeData(first: GbdtDataset, second: GbdtDataset): GbdtDataset {
  return {
    features: first.features.map((feature, index): GbdtFeature => {
      const other = second.features[index]!;
      if (feature.kind === 'numeric' && other.kind === 'numeric') {
        const values = new Float64Array(feature.values.length + other.values.length);
        values.set(feature.values);
        values.set(other.values, feature.values.length);
        return { ...feature, values };
      }
      if (feature.kind === 'categorical' && other.kind === 'categorical') {
        const codes = new Int32Array(feature.codes.length + other.codes.length);
        codes.set(feature.codes);
        codes.set(other.codes, feature.codes.length);
        return { ...feature, codes, categoryCount: Math.max(feature.categoryCount, other.categoryCount) };
      }
      throw new KilnError(
        'bad_input',
        `The feature ${feature.name} is ${feature.kind} in training and ${other.kind} in validation.`,
        'features',
      );
    }),
  };
}

export function concatLabels(first: Float64Array, second: Float64Array): Float64Array {
  const labels = new Float64Array(first.length + second.length);
  labels.set(first);
  labels.set(second, first.length);
  return labels;
}
