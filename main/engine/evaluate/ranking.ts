/**
 * Threshold curves of one score column against a binary truth. The exact
 * curve has one point per distinct score, so tied scores move together and
 * the trapezoid over it is the tie-aware AUC (the Mann-Whitney statistic with
 * ties counted half), as scikit-learn computes it.
 */
import type { MaybeScore, PrCurve, RocCurve } from './types.js';

export interface ThresholdCounts {
  /** Distinct scores, descending. */
  thresholds: Float64Array;
  /** Cumulative true positives at score >= thresholds[i]. */
  truePositives: Float64Array;
  /** Cumulative false positives at score >= thresholds[i]. */
  falsePositives: Float64Array;
  /** Number of distinct thresholds filled in the arrays above. */
  count: number;
  positives: number;
  negatives: number;
}

/**
 * Sorting the positive and the negative scores apart with the native numeric
 * typed-array sort, then merging them from the top, avoids an index sort with
 * a comparator callback, which is several times slower on a million rows.
 */
export function thresholdCounts(scores: ArrayLike<number>, isPositive: (row: number) => boolean): ThresholdCounts {
  const rows = scores.length;
  let positives = 0;
  for (let row = 0; row < rows; row++) if (isPositive(row)) positives++;
  const negatives = rows - positives;
  const positiveScores = new Float64Array(positives);
  const negativeScores = new Float64Array(negatives);
  let p = 0;
  let n = 0;
  for (let row = 0; row < rows; row++) {
    const score = scores[row] as number;
    if (isPositive(row)) positiveScores[p++] = score;
    else negativeScores[n++] = score;
  }
  positiveScores.sort();
  negativeScores.sort();

  const thresholds = new Float64Array(rows);
  const truePositives = new Float64Array(rows);
  const falsePositives = new Float64Array(rows);
  let count = 0;
  let tp = 0;
  let fp = 0;
  let i = positives - 1;
  let j = negatives - 1;
  while (i >= 0 || j >= 0) {
    const top = Math.max(i >= 0 ? (positiveScores[i] as number) : -Infinity, j >= 0 ? (negativeScores[j] as number) : -Infinity);
    while (i >= 0 && positiveScores[i] === top) {
      tp++;
      i--;
    }
    while (j >= 0 && negativeScores[j] === top) {
      fp++;
      j--;
    }
    thresholds[count] = top;
    truePositives[count] = tp;
    falsePositives[count] = fp;
    count++;
  }
  return { thresholds, truePositives, falsePositives, count, positives, negatives };
}

export function undefinedRankingReason(counts: Pick<ThresholdCounts, 'positives' | 'negatives'>): string | null {
  if (counts.positives === 0) return 'no rows of this class in the true labels, so there is nothing to rank';
  if (counts.negatives === 0) return 'every row belongs to this class, so there is nothing to rank it against';
  return null;
}

export function rocAuc(counts: ThresholdCounts): MaybeScore {
  const reason = undefinedRankingReason(counts);
  if (reason !== null) return { value: null, reason };
  let area = 0;
  let previousTp = 0;
  let previousFp = 0;
  for (let k = 0; k < counts.count; k++) {
    const tp = counts.truePositives[k] as number;
    const fp = counts.falsePositives[k] as number;
    area += (fp - previousFp) * (tp + previousTp);
    previousTp = tp;
    previousFp = fp;
  }
  return { value: area / (2 * counts.positives * counts.negatives), reason: null };
}

/** scikit-learn's average_precision_score: Σ (Rₖ − Rₖ₋₁) · Pₖ over descending thresholds, no interpolation. */
export function averagePrecision(counts: ThresholdCounts): MaybeScore {
  const reason = undefinedRankingReason(counts);
  if (reason !== null) return { value: null, reason };
  let sum = 0;
  let previousTp = 0;
  for (let k = 0; k < counts.count; k++) {
    const tp = counts.truePositives[k] as number;
    const fp = counts.falsePositives[k] as number;
    if (tp !== previousTp) sum += (tp - previousTp) * (tp / (tp + fp));
    previousTp = tp;
  }
  return { value: sum / counts.positives, reason: null };
}

/**
 * Indices of at most `maxPoints` points of a curve that keep its shape: points
 * evenly spaced along its length, so steep stretches keep as much detail as
 * flat ones. The first and last points are always kept.
 */
export function downsampleCurve(x: Float64Array, y: Float64Array, maxPoints: number): number[] {
  const length = x.length;
  if (length <= maxPoints) return Array.from({ length }, (_, k) => k);
  const cumulative = new Float64Array(length);
  for (let k = 1; k < length; k++) {
    cumulative[k] =
      (cumulative[k - 1] as number) + Math.hypot((x[k] as number) - (x[k - 1] as number), (y[k] as number) - (y[k - 1] as number));
  }
  const total = cumulative[length - 1] as number;
  const kept: number[] = [0];
  if (total > 0) {
    let cursor = 1;
    for (let step = 1; step < maxPoints - 1; step++) {
      const target = (step * total) / (maxPoints - 1);
      while (cursor < length - 1 && (cumulative[cursor] as number) < target) cursor++;
      if (cursor >= length - 1) break;
      if (cursor !== kept[kept.length - 1]) kept.push(cursor);
    }
  }
  kept.push(length - 1);
  return kept;
}

/**
 * The ROC curve with intermediate points on straight runs dropped, then
 * downsampled for charts. The AUC is computed elsewhere on every point.
 */
export function rocCurve(counts: ThresholdCounts, maxPoints: number): RocCurve | null {
  if (undefinedRankingReason(counts) !== null) return null;
  const totalPoints = counts.count + 1;
  const tps = new Float64Array(totalPoints);
  const fps = new Float64Array(totalPoints);
  tps.set(counts.truePositives.subarray(0, counts.count), 1);
  fps.set(counts.falsePositives.subarray(0, counts.count), 1);

  // scikit-learn's drop_intermediate: keep (0, 0), the first threshold and the last, and every point where
  // the step changes; runs of equal steps lie on a straight line and add nothing. Exact: the counts are integers.
  const corners: number[] = totalPoints > 2 ? [0, 1] : [0];
  for (let k = 2; k < totalPoints - 1; k++) {
    const fpBend = (fps[k + 1] as number) - 2 * (fps[k] as number) + (fps[k - 1] as number);
    const tpBend = (tps[k + 1] as number) - 2 * (tps[k] as number) + (tps[k - 1] as number);
    if (fpBend !== 0 || tpBend !== 0) corners.push(k);
  }
  corners.push(totalPoints - 1);

  const fpr = new Float64Array(corners.length);
  const tpr = new Float64Array(corners.length);
  corners.forEach((point, k) => {
    fpr[k] = (fps[point] as number) / counts.negatives;
    tpr[k] = (tps[point] as number) / counts.positives;
  });
  const kept = downsampleCurve(fpr, tpr, maxPoints);
  return {
    fpr: kept.map((k) => fpr[k] as number),
    tpr: kept.map((k) => tpr[k] as number),
    thresholds: kept.map((k) => {
      const point = corners[k] as number;
      return point === 0 ? null : (counts.thresholds[point - 1] as number);
    }),
    totalPoints,
  };
}

export function prCurve(counts: ThresholdCounts, maxPoints: number): PrCurve | null {
  if (undefinedRankingReason(counts) !== null) return null;
  const totalPoints = counts.count + 1;
  const recall = new Float64Array(totalPoints);
  const precision = new Float64Array(totalPoints);
  recall[0] = 0;
  precision[0] = 1;
  for (let k = 0; k < counts.count; k++) {
    const tp = counts.truePositives[k] as number;
    recall[k + 1] = tp / counts.positives;
    precision[k + 1] = tp / (tp + (counts.falsePositives[k] as number));
  }
  const kept = downsampleCurve(recall, precision, maxPoints);
  return {
    recall: kept.map((k) => recall[k] as number),
    precision: kept.map((k) => precision[k] as number),
    thresholds: kept.map((k) => (k === 0 ? null : (counts.thresholds[k - 1] as number))),
    totalPoints,
  };
}
