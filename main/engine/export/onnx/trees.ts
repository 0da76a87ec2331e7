/**
 * A tree ensemble (boosted trees or a forest) as one ai.onnx.ml
 * TreeEnsembleRegressor that returns the summed outputs (rows × outputs) plus
 * the base score: margins for boosted trees, probabilities or values for a
 * forest, whose leaves already hold their share (1 / trees) of the average.
 *
 * Why the regressor for classifiers too: the margins then go through the same
 * double-precision sigmoid/softmax, threshold and label lookup as the linear
 * and neural models, so one post-processing block serves every family, the
 * binary threshold is the run's own (TreeEnsembleClassifier fixes it at 0.5),
 * and none of the classifier's binary-case quirks (how it splits base values
 * and scores between the two classes) can make it disagree with the app.
 *
 * Why the base score is added outside: the ensemble's output is float32 in
 * ai.onnx.ml 3. Leaving the base score (for regression, the target's mean)
 * out of the ensemble and adding it in double afterwards keeps the float32
 * rounding to the size of the trees' correction rather than of the whole value.
 *
 * Thresholds and leaf values go in as doubles (`nodes_values_as_tensor`,
 * `target_weights_as_tensor`) and the features come in as doubles, so
 * `x <= threshold` is decided exactly as the app decides it: a float32
 * threshold could send a value that lies just above a bin edge to the left.
 *
 * Categorical splits: TreeEnsemble in ai.onnx.ml 3 has only BRANCH_EQ for a
 * single value, so a split on a set of codes becomes a chain of BRANCH_EQ
 * nodes, one per code, whose true branches all point at the same child (ORT
 * accepts such shared children; the tests check it). The chain is written
 * over the smaller side of the split: the codes that go left, or the codes
 * that go right with the branches swapped. Missing categories reach the trees
 * as NaN, which equals nothing, so `nodes_missing_value_tracks_true` on each
 * link routes them: on a chain over the left codes, tracking true sends NaN
 * left at the first link; on a chain over the right codes, not tracking sends
 * NaN through every link to the left child.
 */
import { KilnError } from '../../../../shared/errors.js';
import type { TreeEnsembleJson } from '../../train/trees/types.js';
import { doubleTensor, type GraphBuilder, ML_DOMAIN, TensorType } from './graph.js';

interface EnsembleArrays {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  modes: string[];
  values: number[];
  trueIds: number[];
  falseIds: number[];
  missingTracksTrue: number[];
  targetTreeIds: number[];
  targetNodeIds: number[];
  targetIds: number[];
  targetWeights: number[];
}

function emptyArrays(): EnsembleArrays {
  return {
    treeIds: [],
    nodeIds: [],
    featureIds: [],
    modes: [],
    values: [],
    trueIds: [],
    falseIds: [],
    missingTracksTrue: [],
    targetTreeIds: [],
    targetNodeIds: [],
    targetIds: [],
    targetWeights: [],
  };
}

function checkTree(model: TreeEnsembleJson, treeIndex: number): void {
  const tree = model.trees[treeIndex]!;
  const count = tree.feature.length;
  const lengths = [tree.threshold, tree.categories, tree.missingLeft, tree.left, tree.right, tree.value].map((array) => array.length);
  if (count === 0 || lengths.some((length) => length !== count)) {
    throw new KilnError('bad_input', `Tree ${treeIndex} of the model has arrays of different lengths or no nodes.`, 'model');
  }
  if (tree.classIndex < 0 || tree.classIndex >= model.outputs) {
    throw new KilnError('bad_input', `Tree ${treeIndex} adds to output ${tree.classIndex}, but the model has ${model.outputs}.`, 'model');
  }
  tree.feature.forEach((feature, node) => {
    if (feature < 0) return;
    if (feature >= model.features.length) {
      throw new KilnError(
        'bad_input',
        `Tree ${treeIndex} node ${node} splits on feature ${feature}, which the model does not have.`,
        'model',
      );
    }
    for (const child of [tree.left[node]!, tree.right[node]!]) {
      if (!Number.isInteger(child) || child <= node || child >= count) {
        throw new KilnError('bad_input', `Tree ${treeIndex} node ${node} points at node ${child}, outside the tree.`, 'model');
      }
    }
  });
}

/** Appends one tree; split nodes keep their ids, and chain links for categorical splits take ids after the tree's own. */
function addTree(model: TreeEnsembleJson, treeIndex: number, arrays: EnsembleArrays): void {
  const tree = model.trees[treeIndex]!;
  let nextId = tree.feature.length;
  const push = (nodeId: number, featureId: number, mode: string, value: number, trueId: number, falseId: number, tracks: boolean) => {
    arrays.treeIds.push(treeIndex);
    arrays.nodeIds.push(nodeId);
    arrays.featureIds.push(featureId);
    arrays.modes.push(mode);
    arrays.values.push(value);
    arrays.trueIds.push(trueId);
    arrays.falseIds.push(falseId);
    arrays.missingTracksTrue.push(tracks ? 1 : 0);
  };
  tree.feature.forEach((feature, node) => {
    if (feature < 0) {
      push(node, 0, 'LEAF', 0, 0, 0, false);
      arrays.targetTreeIds.push(treeIndex);
      arrays.targetNodeIds.push(node);
      arrays.targetIds.push(tree.classIndex);
      arrays.targetWeights.push(tree.value[node]!);
      return;
    }
    const left = tree.left[node]!;
    const right = tree.right[node]!;
    const missingLeft = tree.missingLeft[node]!;
    const described = model.features[feature]!;
    if (described.kind === 'numeric') {
      push(node, feature, 'BRANCH_LEQ', tree.threshold[node]!, left, right, missingLeft);
      return;
    }
    const categoryCount = described.categoryCount ?? 0;
    const leftCodes = [...new Set(tree.categories[node]!)].filter((code) => code >= 0 && code < categoryCount).sort((a, b) => a - b);
    const leftSet = new Set(leftCodes);
    const rightCodes = Array.from({ length: categoryCount }, (_, code) => code).filter((code) => !leftSet.has(code));
    const overLeft = leftCodes.length <= rightCodes.length;
    const chainCodes = overLeft ? leftCodes : rightCodes;
    const matchTarget = overLeft ? left : right;
    const exitTarget = overLeft ? right : left;
    const tracks = overLeft ? missingLeft : !missingLeft;
    if (chainCodes.length === 0) {
      // Every code goes one way: a link on code -1, which no row carries, sends all rows on and NaN as the split says.
      push(node, feature, 'BRANCH_EQ', -1, matchTarget, exitTarget, tracks);
      return;
    }
    chainCodes.forEach((code, link) => {
      const id = link === 0 ? node : nextId - 1;
      const last = link + 1 === chainCodes.length;
      const following = last ? exitTarget : nextId++;
      push(id, feature, 'BRANCH_EQ', code, matchTarget, following, tracks);
    });
  });
}

/** That every tree's arrays agree and every split points forward inside its tree, so routing a row always ends at a leaf. */
export function checkEnsemble(model: TreeEnsembleJson): void {
  model.trees.forEach((_, treeIndex) => checkTree(model, treeIndex));
}

/** Adds the ensemble to the graph; `features` is a double [N, F] tensor in the model's feature order. Returns double margins [N, outputs]. */
export function addTreeEnsemble(graph: GraphBuilder, model: TreeEnsembleJson, features: string): string {
  const arrays = emptyArrays();
  model.trees.forEach((_, treeIndex) => {
    checkTree(model, treeIndex);
    addTree(model, treeIndex, arrays);
  });
  if (model.trees.length === 0) {
    // A model with no trees predicts its base score: one leaf worth nothing keeps the ensemble (and its row count) in place.
    arrays.treeIds.push(0);
    arrays.nodeIds.push(0);
    arrays.featureIds.push(0);
    arrays.modes.push('LEAF');
    arrays.values.push(0);
    arrays.trueIds.push(0);
    arrays.falseIds.push(0);
    arrays.missingTracksTrue.push(0);
    arrays.targetTreeIds.push(0);
    arrays.targetNodeIds.push(0);
    arrays.targetIds.push(0);
    arrays.targetWeights.push(0);
  }
  const ensemble = graph.node(
    'TreeEnsembleRegressor',
    [features],
    {
      n_targets: { int: model.outputs },
      aggregate_function: { string: 'SUM' },
      post_transform: { string: 'NONE' },
      nodes_treeids: { ints: arrays.treeIds },
      nodes_nodeids: { ints: arrays.nodeIds },
      nodes_featureids: { ints: arrays.featureIds },
      nodes_modes: { strings: arrays.modes },
      nodes_values_as_tensor: { tensor: doubleTensor(arrays.values) },
      nodes_truenodeids: { ints: arrays.trueIds },
      nodes_falsenodeids: { ints: arrays.falseIds },
      nodes_missing_value_tracks_true: { ints: arrays.missingTracksTrue },
      target_treeids: { ints: arrays.targetTreeIds },
      target_nodeids: { ints: arrays.targetNodeIds },
      target_ids: { ints: arrays.targetIds },
      target_weights_as_tensor: { tensor: doubleTensor(arrays.targetWeights) },
    },
    { domain: ML_DOMAIN },
  );
  const margins = graph.node('Cast', [ensemble], { to: { int: TensorType.DOUBLE } });
  const base = graph.constant('base_score', doubleTensor(model.baseScore, [1, model.outputs]));
  return graph.node('Add', [margins, base]);
}
