import type { FeatureBins } from './binning.js';
import { findBestSplit, type HistogramLayout, type SplitChoice } from './histogram.js';
import type { GbdtParams, GbdtTreeJson } from './types.js';

/** One histogram to build: the rows `rows[start..end)` into `out`. */
export interface HistogramTask {
  start: number;
  end: number;
  out: Float64Array;
}

/** Builds several node histograms at once, so a worker pool pays one round trip per tree level. */
export interface HistogramBuilder {
  build(tasks: HistogramTask[]): void;
}

/** A fitted tree: its JSON form plus the bin tables used to route binned rows during training. */
export interface Tree {
  json: GbdtTreeJson;
  /** Per split node, 1 where a bin goes left; null for leaves. */
  goesLeft: (Uint8Array | null)[];
}

export interface LeafRange {
  start: number;
  end: number;
  value: number;
}

export interface GrowContext {
  binned: Uint8Array;
  layout: HistogramLayout;
  featureBins: FeatureBins[];
  /** Row ids of the rows drawn for this tree in `rows[0..rowCount)`; reordered in place as nodes split. */
  rows: Uint32Array;
  scratch: Uint32Array;
  rowCount: number;
  gradients: Float64Array;
  hessians: Float64Array;
  params: GbdtParams;
  featureAllowed: Uint8Array;
  /** A fresh draw of the features one node may split on (a forest's per-split sampling); `featureAllowed` when absent. */
  featuresForNode?: () => Uint8Array;
  builder: HistogramBuilder;
  histograms: HistogramPool;
}

export class HistogramPool {
  private readonly free: Float64Array[] = [];
  constructor(private readonly size: number) {}
  take(): Float64Array {
    const hist = this.free.pop();
    if (hist) {
      hist.fill(0);
      return hist;
    }
    return new Float64Array(this.size);
  }
  give(hist: Float64Array): void {
    this.free.push(hist);
  }
}

interface OpenLeaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  /** Null for nodes that cannot split (depth or row limits): their histograms are never built. */
  hist: Float64Array | null;
  gradient: number;
  hessian: number;
  count: number;
  split: SplitChoice | null;
}

/** Grows one tree on the current gradients and returns it with the row range of each leaf. */
export function growTree(context: GrowContext, classIndex: number): { tree: Tree; leaves: LeafRange[] } {
  const { params, layout, histograms } = context;
  const json: GbdtTreeJson = {
    classIndex,
    feature: [],
    threshold: [],
    categories: [],
    missingLeft: [],
    left: [],
    right: [],
    value: [],
    gain: [],
    cover: [],
  };
  const goesLeft: (Uint8Array | null)[] = [];
  const leaves: LeafRange[] = [];
  const newNode = (cover: number): number => {
    json.feature.push(-1);
    json.threshold.push(0);
    json.categories.push([]);
    json.missingLeft.push(false);
    json.left.push(-1);
    json.right.push(-1);
    json.value.push(0);
    json.gain.push(0);
    json.cover.push(cover);
    goesLeft.push(null);
    return json.feature.length - 1;
  };
  const mayGrowBelow = (depth: number, count: number): boolean =>
    (params.maxDepth <= 0 || depth < params.maxDepth) && count >= 2 * Math.max(1, params.minDataInLeaf);
  const chooseSplit = (leaf: OpenLeaf): SplitChoice | null =>
    leaf.hist && mayGrowBelow(leaf.depth, leaf.count)
      ? findBestSplit(
          leaf.hist,
          layout,
          leaf.gradient,
          leaf.hessian,
          leaf.count,
          params,
          context.featuresForNode?.() ?? context.featureAllowed,
        )
      : null;
  const closeLeaf = (leaf: OpenLeaf): void => {
    const value = leaf.hessian + params.lambda > 0 ? (-leaf.gradient / (leaf.hessian + params.lambda)) * params.learningRate : 0;
    json.value[leaf.node] = value;
    leaves.push({ start: leaf.start, end: leaf.end, value });
    if (leaf.hist) histograms.give(leaf.hist);
  };

  const rootHist = histograms.take();
  context.builder.build([{ start: 0, end: context.rowCount, out: rootHist }]);
  let gradient = 0;
  let hessian = 0;
  // Any one feature's bins cover every row once, so its sums are the node's sums.
  const firstFeatureEnd = (layout.offsets[0]! + layout.valueBins[0]! + 1) * 3;
  for (let at = layout.offsets[0]! * 3; at < firstFeatureEnd; at += 3) {
    gradient += rootHist[at]!;
    hessian += rootHist[at + 1]!;
  }
  const root: OpenLeaf = {
    node: newNode(hessian),
    start: 0,
    end: context.rowCount,
    depth: 0,
    hist: rootHist,
    gradient,
    hessian,
    count: context.rowCount,
    split: null,
  };
  root.split = chooseSplit(root);

  const splitAll = (parents: OpenLeaf[]): OpenLeaf[] => {
    const tasks: HistogramTask[] = [];
    const pairs: { parent: OpenLeaf; small: OpenLeaf; large: OpenLeaf }[] = [];
    for (const parent of parents) {
      const split = parent.split!;
      const middle = partition(context, parent.start, parent.end, split.feature, split.goesLeft);
      const leftCount = middle - parent.start;
      const rightHessian = parent.hessian - split.leftHessian;
      const left: OpenLeaf = {
        node: newNode(split.leftHessian),
        start: parent.start,
        end: middle,
        depth: parent.depth + 1,
        hist: parent.hist,
        gradient: split.leftGradient,
        hessian: split.leftHessian,
        count: leftCount,
        split: null,
      };
      const right: OpenLeaf = {
        node: newNode(rightHessian),
        start: middle,
        end: parent.end,
        depth: parent.depth + 1,
        hist: parent.hist,
        gradient: parent.gradient - split.leftGradient,
        hessian: rightHessian,
        count: parent.end - middle,
        split: null,
      };
      recordSplit(json, goesLeft, context.featureBins, parent.node, split, left.node, right.node);
      const [small, large] = left.count <= right.count ? [left, right] : [right, left];
      if (mayGrowBelow(large.depth, large.count)) {
        small.hist = histograms.take();
        tasks.push({ start: small.start, end: small.end, out: small.hist });
      } else {
        // Neither child can split (the larger one has the more rows, at the same depth): skip their histograms.
        histograms.give(parent.hist!);
        small.hist = null;
        large.hist = null;
      }
      pairs.push({ parent, small, large });
    }
    if (tasks.length > 0) context.builder.build(tasks);
    const children: OpenLeaf[] = [];
    for (const { parent, small, large } of pairs) {
      if (small.hist) {
        // The subtraction trick: the larger child's histogram is the parent's minus the smaller one's, built in place.
        const parentHist = parent.hist!;
        const smallHist = small.hist;
        for (let i = 0; i < parentHist.length; i++) parentHist[i]! -= smallHist[i]!;
        large.hist = parentHist;
        small.split = chooseSplit(small);
        large.split = chooseSplit(large);
      }
      const [left, right] = small.start === parent.start ? [small, large] : [large, small];
      children.push(left, right);
    }
    return children;
  };

  if (params.growth === 'leafwise') {
    const open: OpenLeaf[] = [root];
    let leafCount = 1;
    const maxLeaves = params.numLeaves > 0 ? params.numLeaves : Number.POSITIVE_INFINITY;
    while (leafCount < maxLeaves) {
      let best = -1;
      open.forEach((leaf, index) => {
        if (leaf.split && (best < 0 || leaf.split.gain > open[best]!.split!.gain)) best = index;
      });
      if (best < 0) break;
      const [chosen] = open.splice(best, 1);
      open.push(...splitAll([chosen!]));
      leafCount++;
    }
    for (const leaf of open) closeLeaf(leaf);
  } else {
    let level: OpenLeaf[] = [root];
    while (level.length > 0) {
      const splitting = level.filter((leaf) => leaf.split !== null);
      for (const leaf of level) if (leaf.split === null) closeLeaf(leaf);
      level = splitting.length > 0 ? splitAll(splitting) : [];
    }
  }
  return { tree: { json, goesLeft }, leaves };
}

/** Stable in-place partition of `rows[start..end)`: rows going left first. Returns where the right rows begin. */
function partition(context: GrowContext, start: number, end: number, feature: number, goesLeft: Uint8Array): number {
  const { rows, scratch, binned } = context;
  const featureCount = context.layout.featureCount;
  let leftEnd = start;
  let rightCount = 0;
  for (let i = start; i < end; i++) {
    const row = rows[i]!;
    if (goesLeft[binned[row * featureCount + feature]!]) rows[leftEnd++] = row;
    else scratch[rightCount++] = row;
  }
  rows.set(scratch.subarray(0, rightCount), leftEnd);
  return leftEnd;
}

/** Writes a split in raw units: a threshold value for numbers, the codes going left for categories. */
function recordSplit(
  json: GbdtTreeJson,
  goesLeft: (Uint8Array | null)[],
  featureBins: FeatureBins[],
  node: number,
  split: SplitChoice,
  left: number,
  right: number,
): void {
  const bins = featureBins[split.feature]!;
  json.feature[node] = split.feature;
  json.missingLeft[node] = split.missingLeft;
  json.left[node] = left;
  json.right[node] = right;
  json.gain[node] = split.gain;
  goesLeft[node] = split.goesLeft;
  if (bins.kind === 'numeric') {
    // Every present value left (only missing rows go right): no finite edge says that, the largest double does.
    json.threshold[node] = split.thresholdBin < bins.edges.length ? bins.edges[split.thresholdBin]! : Number.MAX_VALUE;
  } else {
    json.categories[node] = split.leftBins.flatMap((bin) => bins.codesOfBin[bin]!).sort((a, b) => a - b);
  }
}

/** Routes one binned row down a tree and returns its leaf value. */
export function treeValueBinned(tree: Tree, binned: Uint8Array, featureCount: number, row: number): number {
  const { feature, left, right, value } = tree.json;
  let node = 0;
  for (;;) {
    const f = feature[node]!;
    if (f < 0) return value[node]!;
    node = tree.goesLeft[node]![binned[row * featureCount + f]!] ? left[node]! : right[node]!;
  }
}
