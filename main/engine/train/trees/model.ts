import { KilnError } from '../../../../shared/errors.js';
import { datasetRowCount } from './binning.js';
import type { EnsembleTreeJson, FeatureImportance, GbdtDataset, GbdtModelJson, TreeEnsembleJson } from './types.js';

/** A tree ready to route raw rows: categorical splits get a membership table per node. */
interface RawTree {
  classIndex: number;
  feature: Int32Array;
  threshold: Float64Array;
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  /** For categorical split nodes, 1 at the codes that go left. */
  categoryLeft: (Uint8Array | null)[];
}

/**
 * Trees that score raw feature values with the same rules the JSON states, so
 * what is served (or exported) is what was validated. Boosted trees and
 * forests both score this way; they differ in how the trees were grown.
 */
export class TreeEnsembleModel {
  private readonly trees: RawTree[];

  constructor(readonly ensemble: TreeEnsembleJson) {
    this.trees = ensemble.trees.map((tree) => toRawTree(tree, ensemble));
  }

  /** Raw margins, row-major (rows × outputs). */
  predictMargins(dataset: GbdtDataset): Float64Array {
    checkFeatures(dataset, this.ensemble);
    const rowCount = datasetRowCount(dataset);
    const { outputs, baseScore } = this.ensemble;
    const margins = new Float64Array(rowCount * outputs);
    for (let row = 0; row < rowCount; row++) for (let k = 0; k < outputs; k++) margins[row * outputs + k] = baseScore[k]!;
    const columns = dataset.features.map((feature) => (feature.kind === 'numeric' ? feature.values : feature.codes));
    const categoryCounts = this.ensemble.features.map((feature) => feature.categoryCount ?? 0);
    for (const tree of this.trees) {
      const { feature, threshold, missingLeft, left, right, value, categoryLeft } = tree;
      for (let row = 0; row < rowCount; row++) {
        let node = 0;
        for (;;) {
          const f = feature[node]!;
          if (f < 0) break;
          const x = columns[f]![row]!;
          const members = categoryLeft[node];
          let goLeft: boolean;
          if (members) {
            goLeft = x >= 0 && x < categoryCounts[f]! ? members[x] === 1 : missingLeft[node] === 1;
          } else {
            goLeft = Number.isNaN(x) ? missingLeft[node] === 1 : x <= threshold[node]!;
          }
          node = goLeft ? left[node]! : right[node]!;
        }
        margins[row * outputs + tree.classIndex]! += value[node]!;
      }
    }
    return margins;
  }
}

/** Gradient-boosted trees: margins through the objective's link. */
export class GbdtModel extends TreeEnsembleModel {
  constructor(readonly json: GbdtModelJson) {
    super(json);
  }

  static fromJSON(json: GbdtModelJson): GbdtModel {
    if (json.format !== 'kiln-gbdt' || json.version !== 1) {
      throw new KilnError('bad_input', 'This is not a Kiln gradient-boosted trees model (format kiln-gbdt, version 1).', 'model');
    }
    return new GbdtModel(json);
  }

  toJSON(): GbdtModelJson {
    return this.json;
  }

  get outputs(): number {
    return this.json.outputs;
  }

  /**
   * Binary: probability of class 1 per row. Multiclass: class probabilities,
   * row-major (rows × classes). Regression: the predicted values.
   */
  predict(dataset: GbdtDataset): Float64Array {
    const margins = this.predictMargins(dataset);
    return transformMargins(this.json.objective, margins, this.json.outputs);
  }

  featureImportance(): FeatureImportance[] {
    const importance = this.json.features.map((feature) => ({ name: feature.name, gain: 0, splits: 0 }));
    for (const tree of this.json.trees) {
      tree.feature.forEach((f, node) => {
        if (f < 0) return;
        importance[f]!.gain += tree.gain[node]!;
        importance[f]!.splits++;
      });
    }
    return importance;
  }
}

export function transformMargins(objective: GbdtModelJson['objective'], margins: Float64Array, outputs: number): Float64Array {
  if (objective === 'regression') return margins.slice();
  if (objective === 'binary') return margins.map((margin) => 1 / (1 + Math.exp(-margin)));
  const probabilities = new Float64Array(margins.length);
  for (let at = 0; at < margins.length; at += outputs) softmaxInto(margins, at, outputs, probabilities);
  return probabilities;
}

export function softmaxInto(margins: Float64Array, at: number, outputs: number, out: Float64Array): void {
  let largest = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < outputs; k++) largest = Math.max(largest, margins[at + k]!);
  let total = 0;
  for (let k = 0; k < outputs; k++) {
    const e = Math.exp(margins[at + k]! - largest);
    out[at + k] = e;
    total += e;
  }
  for (let k = 0; k < outputs; k++) out[at + k]! /= total;
}

function toRawTree(tree: EnsembleTreeJson, model: TreeEnsembleJson): RawTree {
  return {
    classIndex: tree.classIndex,
    feature: Int32Array.from(tree.feature),
    threshold: Float64Array.from(tree.threshold),
    missingLeft: Uint8Array.from(tree.missingLeft, (flag) => (flag ? 1 : 0)),
    left: Int32Array.from(tree.left),
    right: Int32Array.from(tree.right),
    value: Float64Array.from(tree.value),
    categoryLeft: tree.feature.map((f, node) => {
      const feature = model.features[f];
      if (f < 0 || !feature || feature.kind !== 'categorical') return null;
      const members = new Uint8Array(feature.categoryCount ?? 0);
      for (const code of tree.categories[node]!) members[code] = 1;
      return members;
    }),
  };
}

function checkFeatures(dataset: GbdtDataset, model: TreeEnsembleJson): void {
  if (dataset.features.length !== model.features.length) {
    throw new KilnError('bad_input', `The model expects ${model.features.length} features but got ${dataset.features.length}.`, 'features');
  }
  const rowCount = datasetRowCount(dataset);
  dataset.features.forEach((feature, f) => {
    const expected = model.features[f]!;
    if (feature.kind !== expected.kind) {
      throw new KilnError('bad_input', `Feature ${f} should be "${expected.name}" (${expected.kind}) but is ${feature.kind}.`, 'features');
    }
    const length = feature.kind === 'numeric' ? feature.values.length : feature.codes.length;
    if (length !== rowCount) {
      throw new KilnError('bad_input', `Feature "${feature.name}" has ${length} rows where the others have ${rowCount}.`, 'features');
    }
  });
}
