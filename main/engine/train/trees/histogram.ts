import type { FeatureBins } from './binning.js';
import type { GbdtParams } from './types.js';

/**
 * Where each feature's bins sit in a histogram. A histogram holds, for every
 * bin of every feature, three numbers in a row: gradient sum, hessian sum and
 * row count.
 */
export interface HistogramLayout {
  featureCount: number;
  /** First bin of each feature in the histogram (in bins, not in numbers). */
  offsets: Int32Array;
  valueBins: Int32Array;
  categorical: Uint8Array;
  /** Length of one histogram in numbers (bins × 3). */
  size: number;
}

export function histogramLayout(bins: FeatureBins[]): HistogramLayout {
  const offsets = new Int32Array(bins.length);
  const valueBins = new Int32Array(bins.length);
  const categorical = new Uint8Array(bins.length);
  let total = 0;
  bins.forEach((featureBins, f) => {
    offsets[f] = total;
    valueBins[f] = featureBins.valueBins;
    categorical[f] = featureBins.kind === 'categorical' ? 1 : 0;
    total += featureBins.valueBins + 1;
  });
  return { featureCount: bins.length, offsets, valueBins, categorical, size: total * 3 };
}

/**
 * Adds the rows `rows[start..end)` into `out` (which the caller zeroes). The
 * binned matrix is row-major so that one row's bins are read together; this
 * is the hot loop of training. Its twin for worker threads is in parallel.ts.
 */
export function accumulateHistogram(
  binned: Uint8Array,
  featureCount: number,
  offsets: Int32Array,
  rows: Uint32Array,
  start: number,
  end: number,
  gradients: Float64Array,
  hessians: Float64Array,
  out: Float64Array,
): void {
  for (let i = start; i < end; i++) {
    const row = rows[i]!;
    const gradient = gradients[row]!;
    const hessian = hessians[row]!;
    const base = row * featureCount;
    for (let f = 0; f < featureCount; f++) {
      const at = (offsets[f]! + binned[base + f]!) * 3;
      out[at]! += gradient;
      out[at + 1]! += hessian;
      out[at + 2]!++;
    }
  }
}

export interface SplitChoice {
  feature: number;
  gain: number;
  /** 1 where a bin (the missing bin last) goes left. */
  goesLeft: Uint8Array;
  missingLeft: boolean;
  /** Numeric: the last value bin that goes left. -1 for categorical splits. */
  thresholdBin: number;
  /** Categorical: the value bins that go left. */
  leftBins: number[];
  leftGradient: number;
  leftHessian: number;
  leftCount: number;
}

/** Up to this many usable categories, each is tried alone against the rest rather than sorted (LightGBM's max_cat_to_onehot). */
const ONE_VS_REST_CATEGORIES = 4;

function score(gradient: number, hessian: number, lambda: number): number {
  return (gradient * gradient) / (hessian + lambda);
}

/**
 * The best split of a node over the allowed features, or null when none
 * reduces the loss by more than gamma within the child constraints. The
 * missing direction is learnt: each candidate is scored with the missing rows
 * on the left and on the right.
 */
export function findBestSplit(
  hist: Float64Array,
  layout: HistogramLayout,
  totalGradient: number,
  totalHessian: number,
  totalCount: number,
  params: GbdtParams,
  featureAllowed: Uint8Array,
): SplitChoice | null {
  const { lambda, minChildWeight } = params;
  const minData = Math.max(1, params.minDataInLeaf);
  const parentScore = score(totalGradient, totalHessian, lambda);
  let bestGain = Math.max(params.gamma, 1e-12);
  let bestFeature = -1;
  let bestThresholdBin = -1;
  let bestMissingLeft = false;
  let bestLeftBins: number[] = [];
  let bestLeftG = 0;
  let bestLeftH = 0;
  let bestLeftC = 0;

  for (let f = 0; f < layout.featureCount; f++) {
    if (!featureAllowed[f]) continue;
    const base = layout.offsets[f]! * 3;
    const valueBins = layout.valueBins[f]!;
    const missingAt = base + valueBins * 3;
    const missingG = hist[missingAt]!;
    const missingH = hist[missingAt + 1]!;
    const missingC = hist[missingAt + 2]!;

    if (!layout.categorical[f]) {
      let leftG = 0;
      let leftH = 0;
      let leftC = 0;
      // The last step (b = valueBins - 1) puts every present value left; it
      // only makes a split when missing rows go right.
      for (let b = 0; b < valueBins; b++) {
        const at = base + b * 3;
        leftG += hist[at]!;
        leftH += hist[at + 1]!;
        leftC += hist[at + 2]!;
        if (hist[at + 2] === 0 && b < valueBins - 1) continue;
        const last = b === valueBins - 1;
        for (let side = 0; side < 2; side++) {
          const withMissing = side === 1;
          if (withMissing && (missingC === 0 || last)) continue;
          if (last && missingC === 0) continue;
          const lg = withMissing ? leftG + missingG : leftG;
          const lh = withMissing ? leftH + missingH : leftH;
          const lc = withMissing ? leftC + missingC : leftC;
          const rc = totalCount - lc;
          if (lc < minData || rc < minData) continue;
          const rh = totalHessian - lh;
          if (lh < minChildWeight || rh < minChildWeight) continue;
          const gain = score(lg, lh, lambda) + score(totalGradient - lg, rh, lambda) - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestThresholdBin = b;
            // With no missing rows here, unseen missing values follow the bigger side.
            bestMissingLeft = missingC === 0 ? lh >= rh : withMissing;
            bestLeftG = lg;
            bestLeftH = lh;
            bestLeftC = lc;
          }
        }
      }
      continue;
    }

    // Categorical: LightGBM's scan. Categories are ordered by G/(H + smooth),
    // so the best subset is a prefix from either end of that order.
    const used: number[] = [];
    for (let b = 0; b < valueBins; b++) {
      const count = hist[base + b * 3 + 2]!;
      if (count > 0 && count >= params.minDataPerCategory) used.push(b);
    }
    if (used.length < 2 && !(used.length === 1 && missingC > 0)) continue;
    const categoryLambda = lambda + params.catL2;
    const tryLeft = (lg: number, lh: number, lc: number, chosen: () => number[]): void => {
      for (let side = 0; side < 2; side++) {
        const withMissing = side === 1;
        if (withMissing && missingC === 0) continue;
        const g = withMissing ? lg + missingG : lg;
        const h = withMissing ? lh + missingH : lh;
        const c = withMissing ? lc + missingC : lc;
        const rc = totalCount - c;
        if (c < minData || rc < minData) continue;
        const rh = totalHessian - h;
        if (h < minChildWeight || rh < minChildWeight) continue;
        const gain = score(g, h, categoryLambda) + score(totalGradient - g, rh, categoryLambda) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestThresholdBin = -1;
          bestMissingLeft = missingC === 0 ? h >= rh : withMissing;
          bestLeftBins = chosen();
          bestLeftG = g;
          bestLeftH = h;
          bestLeftC = c;
        }
      }
    };
    if (used.length <= ONE_VS_REST_CATEGORIES) {
      for (const b of used) {
        const at = base + b * 3;
        tryLeft(hist[at]!, hist[at + 1]!, hist[at + 2]!, () => [b]);
      }
      continue;
    }
    const ratio = (b: number): number => hist[base + b * 3]! / (hist[base + b * 3 + 1]! + params.catSmooth);
    used.sort((a, b) => ratio(a) - ratio(b) || a - b);
    const limit = Math.min(params.maxCatThreshold, used.length - 1);
    for (let direction = 0; direction < 2; direction++) {
      let lg = 0;
      let lh = 0;
      let lc = 0;
      for (let i = 0; i < limit; i++) {
        const index = direction === 0 ? i : used.length - 1 - i;
        const at = base + used[index]! * 3;
        lg += hist[at]!;
        lh += hist[at + 1]!;
        lc += hist[at + 2]!;
        tryLeft(lg, lh, lc, () =>
          direction === 0 ? used.slice(0, i + 1).sort((a, b) => a - b) : used.slice(used.length - 1 - i).sort((a, b) => a - b),
        );
      }
    }
  }

  if (bestFeature < 0) return null;
  const valueBins = layout.valueBins[bestFeature]!;
  const goesLeft = new Uint8Array(valueBins + 1);
  if (bestThresholdBin >= 0) goesLeft.fill(1, 0, bestThresholdBin + 1);
  else for (const b of bestLeftBins) goesLeft[b] = 1;
  goesLeft[valueBins] = bestMissingLeft ? 1 : 0;
  return {
    feature: bestFeature,
    gain: bestGain,
    goesLeft,
    missingLeft: bestMissingLeft,
    thresholdBin: bestThresholdBin,
    leftBins: bestLeftBins,
    leftGradient: bestLeftG,
    leftHessian: bestLeftH,
    leftCount: bestLeftC,
  };
}
