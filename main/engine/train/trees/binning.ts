import type { FeatureBinningJson, GbdtDataset, GbdtFeature } from './types.js';

/**
 * How one feature maps raw values to bins. Value bins are 0..valueBins-1 and
 * the missing bin is `valueBins`, so every feature has valueBins + 1 bins and
 * fits a byte (value bins are capped at 255).
 */
export type FeatureBins =
  | { kind: 'numeric'; valueBins: number; edges: Float64Array }
  | { kind: 'categorical'; valueBins: number; categoryCount: number; binOfCode: Int32Array; codesOfBin: number[][] };

/** Rows looked at to place numeric bin edges; quantiles barely move past this. */
const QUANTILE_SAMPLE_ROWS = 200_000;

export function datasetRowCount(dataset: GbdtDataset): number {
  const first = dataset.features[0];
  if (!first) return 0;
  return first.kind === 'numeric' ? first.values.length : first.codes.length;
}

export function fitBinning(dataset: GbdtDataset, maxBins: number, maxCategoryBins: number, random: () => number): FeatureBins[] {
  return dataset.features.map((feature) =>
    feature.kind === 'numeric' ? fitNumericBins(feature.values, maxBins, random) : fitCategoricalBins(feature, maxCategoryBins),
  );
}

function fitNumericBins(values: Float64Array, maxBins: number, random: () => number): FeatureBins {
  let present = values.filter((value) => !Number.isNaN(value));
  if (present.length > QUANTILE_SAMPLE_ROWS) {
    const sample = new Float64Array(QUANTILE_SAMPLE_ROWS);
    for (let i = 0; i < sample.length; i++) sample[i] = present[Math.floor(random() * present.length)]!;
    present = sample;
  }
  present.sort();
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < present.length; i++) {
    const value = present[i]!;
    if (distinct.length > 0 && distinct[distinct.length - 1] === value) counts[counts.length - 1]!++;
    else {
      distinct.push(value);
      counts.push(1);
    }
  }
  const edges: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 0; i + 1 < distinct.length; i++) edges.push(edgeBetween(distinct[i]!, distinct[i + 1]!));
  } else {
    // Greedy equal-frequency bins; a value heavier than a bin's share gets a
    // bin to itself so that, say, the zeros of capital-gain stay apart.
    let remainingRows = present.length;
    let remainingBins = maxBins;
    let inBin = 0;
    for (let i = 0; i < distinct.length && remainingBins > 1; i++) {
      const target = remainingRows / remainingBins;
      const count = counts[i]!;
      if (inBin > 0 && count >= target) {
        edges.push(edgeBetween(distinct[i - 1]!, distinct[i]!));
        remainingRows -= inBin;
        remainingBins--;
        inBin = 0;
        if (remainingBins <= 1) break;
      }
      inBin += count;
      if (inBin >= remainingRows / remainingBins && i + 1 < distinct.length) {
        edges.push(edgeBetween(distinct[i]!, distinct[i + 1]!));
        remainingRows -= inBin;
        remainingBins--;
        inBin = 0;
      }
    }
  }
  return { kind: 'numeric', valueBins: edges.length + 1, edges: Float64Array.from(edges) };
}

/** The midpoint, unless rounding pushes it onto the upper value (then the lower value, so `x <= edge` still separates them). */
function edgeBetween(lower: number, upper: number): number {
  const middle = lower + (upper - lower) / 2;
  return middle >= lower && middle < upper ? middle : lower;
}

function fitCategoricalBins(feature: Extract<GbdtFeature, { kind: 'categorical' }>, maxCategoryBins: number): FeatureBins {
  const { codes, categoryCount } = feature;
  const binOfCode = new Int32Array(categoryCount);
  if (categoryCount <= maxCategoryBins) {
    for (let code = 0; code < categoryCount; code++) binOfCode[code] = code;
    return { kind: 'categorical', valueBins: categoryCount, categoryCount, binOfCode, codesOfBin: codesByBin(binOfCode, categoryCount) };
  }
  const counts = new Float64Array(categoryCount);
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code >= 0 && code < categoryCount) counts[code]!++;
  }
  const byFrequency = Array.from({ length: categoryCount }, (_, code) => code).sort((a, b) => counts[b]! - counts[a]! || a - b);
  const kept = byFrequency.slice(0, maxCategoryBins - 1).sort((a, b) => a - b);
  const otherBin = maxCategoryBins - 1;
  binOfCode.fill(otherBin);
  kept.forEach((code, bin) => (binOfCode[code] = bin));
  return {
    kind: 'categorical',
    valueBins: maxCategoryBins,
    categoryCount,
    binOfCode,
    codesOfBin: codesByBin(binOfCode, maxCategoryBins),
  };
}

function codesByBin(binOfCode: Int32Array, valueBins: number): number[][] {
  const codesOfBin: number[][] = Array.from({ length: valueBins }, () => []);
  binOfCode.forEach((bin, code) => codesOfBin[bin]!.push(code));
  return codesOfBin;
}

/** First bin whose upper edge is at or above the value; values above every edge fall in the last bin. */
export function numericBin(edges: Float64Array, value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (value <= edges[middle]!) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Bins every row into a row-major byte matrix (rows × features). */
export function binDataset(dataset: GbdtDataset, bins: FeatureBins[], out: Uint8Array): void {
  const featureCount = bins.length;
  dataset.features.forEach((feature, f) => {
    const featureBins = bins[f]!;
    const missingBin = featureBins.valueBins;
    if (feature.kind === 'numeric' && featureBins.kind === 'numeric') {
      const { values } = feature;
      for (let row = 0; row < values.length; row++) {
        const value = values[row]!;
        out[row * featureCount + f] = Number.isNaN(value) ? missingBin : numericBin(featureBins.edges, value);
      }
    } else if (feature.kind === 'categorical' && featureBins.kind === 'categorical') {
      const { codes } = feature;
      const { binOfCode, categoryCount } = featureBins;
      for (let row = 0; row < codes.length; row++) {
        const code = codes[row]!;
        out[row * featureCount + f] = code >= 0 && code < categoryCount ? binOfCode[code]! : missingBin;
      }
    } else {
      throw new Error(`Feature "${feature.name}" changed kind between fitting and binning.`);
    }
  });
}

export function binningToJson(bins: FeatureBins[]): FeatureBinningJson[] {
  return bins.map((featureBins) =>
    featureBins.kind === 'numeric'
      ? { kind: 'numeric', edges: Array.from(featureBins.edges) }
      : {
          kind: 'categorical',
          categoryCount: featureBins.categoryCount,
          binOfCode: Array.from(featureBins.binOfCode),
          valueBins: featureBins.valueBins,
        },
  );
}

export function binningFromJson(json: FeatureBinningJson[]): FeatureBins[] {
  return json.map((entry) => {
    if (entry.kind === 'numeric') {
      const edges = Float64Array.from(entry.edges);
      return { kind: 'numeric', valueBins: edges.length + 1, edges };
    }
    const binOfCode = Int32Array.from(entry.binOfCode);
    return {
      kind: 'categorical',
      valueBins: entry.valueBins,
      categoryCount: entry.categoryCount,
      binOfCode,
      codesOfBin: codesByBin(binOfCode, entry.valueBins),
    };
  });
}
