import { softmaxInto } from './model.js';
import type { GbdtObjective } from './types.js';

/** Smallest hessian kept, so a row the model is sure about still weighs a little and leaves stay finite. */
const MIN_HESSIAN = 1e-16;
const PROBABILITY_FLOOR = 1e-15;

/** Starting margins: the log-odds, log-priors or mean of the training labels. */
export function baseScores(objective: GbdtObjective, labels: Float64Array, outputs: number, weights: Float64Array | undefined): number[] {
  let totalWeight = 0;
  const sums = new Float64Array(outputs);
  for (let row = 0; row < labels.length; row++) {
    const weight = weights ? weights[row]! : 1;
    totalWeight += weight;
    if (objective === 'multiclass') sums[labels[row]!]! += weight;
    else sums[0]! += weight * labels[row]!;
  }
  if (objective === 'regression') return [sums[0]! / totalWeight];
  if (objective === 'binary') {
    const p = clampProbability(sums[0]! / totalWeight);
    return [Math.log(p / (1 - p))];
  }
  return Array.from(sums, (sum) => Math.log(clampProbability(sum / totalWeight)));
}

function clampProbability(p: number): number {
  return Math.min(1 - 1e-7, Math.max(1e-7, p));
}

/**
 * Gradients and hessians of output `k` for every row. For multiclass the
 * softmax of each row must already be in `probabilities` (rows × outputs).
 */
export function fillGradients(
  objective: GbdtObjective,
  labels: Float64Array,
  margins: Float64Array,
  probabilities: Float64Array,
  outputs: number,
  k: number,
  weights: Float64Array | undefined,
  gradients: Float64Array,
  hessians: Float64Array,
): void {
  const rowCount = labels.length;
  for (let row = 0; row < rowCount; row++) {
    const weight = weights ? weights[row]! : 1;
    let gradient: number;
    let hessian: number;
    if (objective === 'binary') {
      const p = 1 / (1 + Math.exp(-margins[row]!));
      gradient = p - labels[row]!;
      hessian = Math.max(p * (1 - p), MIN_HESSIAN);
    } else if (objective === 'multiclass') {
      const p = probabilities[row * outputs + k]!;
      gradient = p - (labels[row] === k ? 1 : 0);
      hessian = Math.max(p * (1 - p), MIN_HESSIAN);
    } else {
      gradient = margins[row]! - labels[row]!;
      hessian = 1;
    }
    gradients[row] = gradient * weight;
    hessians[row] = hessian * weight;
  }
}

export function softmaxAll(margins: Float64Array, outputs: number, out: Float64Array): void {
  for (let at = 0; at < margins.length; at += outputs) softmaxInto(margins, at, outputs, out);
}

/** The loss early stopping watches: log loss, multiclass log loss, or RMSE. One loop per objective keeps each loop monomorphic. */
export function loss(
  objective: GbdtObjective,
  labels: Float64Array,
  margins: Float64Array,
  outputs: number,
  weights?: Float64Array,
): number {
  let total = 0;
  let totalWeight = 0;
  const rowCount = labels.length;
  if (objective === 'binary') {
    for (let row = 0; row < rowCount; row++) {
      const weight = weights ? weights[row]! : 1;
      totalWeight += weight;
      // log(1 + e^-m) for y = 1 and log(1 + e^m) for y = 0, written so that large margins do not overflow.
      const z = labels[row] === 1 ? -margins[row]! : margins[row]!;
      total += weight * (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
    }
    return total / totalWeight;
  }
  if (objective === 'multiclass') {
    for (let row = 0; row < rowCount; row++) {
      const weight = weights ? weights[row]! : 1;
      totalWeight += weight;
      const at = row * outputs;
      let largest = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < outputs; k++) largest = Math.max(largest, margins[at + k]!);
      let sum = 0;
      for (let k = 0; k < outputs; k++) sum += Math.exp(margins[at + k]! - largest);
      // -log softmax of the true class, floored like a probability of 1e-15.
      total += weight * Math.min(largest + Math.log(sum) - margins[at + labels[row]!]!, -Math.log(PROBABILITY_FLOOR));
    }
    return total / totalWeight;
  }
  for (let row = 0; row < rowCount; row++) {
    const weight = weights ? weights[row]! : 1;
    totalWeight += weight;
    const error = margins[row]! - labels[row]!;
    total += weight * error * error;
  }
  return Math.sqrt(total / totalWeight);
}

export function metricName(objective: GbdtObjective): 'auc' | 'accuracy' | 'r2' {
  return objective === 'binary' ? 'auc' : objective === 'multiclass' ? 'accuracy' : 'r2';
}

/** ROC AUC for binary, accuracy for multiclass, R² for regression. */
export function metric(objective: GbdtObjective, labels: Float64Array, margins: Float64Array, outputs: number): number {
  if (objective === 'binary') return rocAuc(labels, margins);
  if (objective === 'multiclass') {
    let correct = 0;
    for (let row = 0; row < labels.length; row++) {
      let best = 0;
      for (let k = 1; k < outputs; k++) if (margins[row * outputs + k]! > margins[row * outputs + best]!) best = k;
      if (best === labels[row]) correct++;
    }
    return correct / labels.length;
  }
  let mean = 0;
  for (const label of labels) mean += label;
  mean /= labels.length;
  let residual = 0;
  let spread = 0;
  for (let row = 0; row < labels.length; row++) {
    residual += (labels[row]! - margins[row]!) ** 2;
    spread += (labels[row]! - mean) ** 2;
  }
  return spread > 0 ? 1 - residual / spread : 0;
}

/**
 * ROC AUC as the Mann-Whitney U statistic, ties counted as half. Sorting the
 * positive and the negative scores apart (native typed-array sorts) and
 * merging them is several times faster than sorting indices with a
 * comparator, which matters since it runs every round.
 */
export function rocAuc(labels: Float64Array, scores: Float64Array): number {
  let positives = 0;
  for (let row = 0; row < labels.length; row++) if (labels[row] === 1) positives++;
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  const positiveScores = new Float64Array(positives);
  const negativeScores = new Float64Array(negatives);
  let p = 0;
  let n = 0;
  for (let row = 0; row < labels.length; row++) {
    if (labels[row] === 1) positiveScores[p++] = scores[row]!;
    else negativeScores[n++] = scores[row]!;
  }
  positiveScores.sort();
  negativeScores.sort();
  let below = 0;
  let belowOrEqual = 0;
  let wins = 0;
  for (let i = 0; i < positives; i++) {
    const score = positiveScores[i]!;
    while (below < negatives && negativeScores[below]! < score) below++;
    if (belowOrEqual < below) belowOrEqual = below;
    while (belowOrEqual < negatives && negativeScores[belowOrEqual]! <= score) belowOrEqual++;
    wins += below + (belowOrEqual - below) / 2;
  }
  return wins / (positives * negatives);
}
