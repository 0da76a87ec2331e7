/** What the tree families (boosted trees, forest) share once trained: the check against the preprocessing, and scoring raw rows. */
import { checkEnsemble } from '../export/onnx/trees.js';
import { encodeTrees } from '../train/data/preprocess.js';
import { TreeEnsembleModel } from '../train/trees/model.js';
import type { TreeEnsembleJson } from '../train/trees/types.js';
import type { PreprocessingSpec, RawColumns } from '../train/types.js';
import { marginCount, modelProblem } from './outputs.js';

/** The trees' features must be the spec's, in the spec's order (numbers first, then categories with their "other" code). */
export function checkEnsembleAgainstSpec(model: TreeEnsembleJson, spec: PreprocessingSpec): void {
  if (model.outputs !== marginCount(spec)) {
    modelProblem(`The trees have ${model.outputs} outputs; this ${spec.task} model needs ${marginCount(spec)}.`);
  }
  if (model.baseScore.length !== model.outputs) modelProblem(`The base score should hold ${model.outputs} numbers.`);
  const expected = [
    ...spec.numeric.map((numeric) => ({ name: numeric.name, kind: 'numeric', categoryCount: undefined as number | undefined })),
    ...spec.categorical.map((categorical) => ({
      name: categorical.name,
      kind: 'categorical',
      categoryCount: categorical.levels.length + 1,
    })),
  ];
  if (model.features.length !== expected.length) {
    modelProblem(`The trees use ${model.features.length} features; the preprocessing has ${expected.length}.`);
  }
  model.features.forEach((feature, index) => {
    const want = expected[index]!;
    if (feature.name !== want.name || feature.kind !== want.kind) {
      modelProblem(`Tree feature ${index} is ${feature.name} (${feature.kind}); the preprocessing has ${want.name} (${want.kind}) there.`);
    }
    if (want.categoryCount !== undefined && feature.categoryCount !== want.categoryCount) {
      modelProblem(
        `The trees know ${String(feature.categoryCount)} codes for ${feature.name}; its ${want.categoryCount - 1} levels and "other" make ${want.categoryCount}.`,
      );
    }
  });
  checkEnsemble(model);
}

/** Base score plus the leaves each raw row reaches, rows × outputs. */
export function ensembleOutputs(model: TreeEnsembleJson, spec: PreprocessingSpec, raw: RawColumns): Float64Array {
  return new TreeEnsembleModel(model).predictMargins(encodeTrees(spec, raw));
}
