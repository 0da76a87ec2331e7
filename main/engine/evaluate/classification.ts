/**
 * Classification metrics, defined as scikit-learn defines them so that the
 * numbers can be checked against it (see test/unit/evaluate). Probabilities
 * are ranked as given; only the log loss clips and renormalises them.
 */
import { averagePrecision, prCurve, rocAuc, rocCurve, thresholdCounts } from './ranking.js';
import type { AveragedMetrics, ClassificationEvaluation, ClassificationInput, ClassMetrics, ClassRanking, MaybeScore } from './types.js';
import { badInput, plural, requireFinite } from './validate.js';

const LOG_LOSS_EPSILON = 1e-15;
/** Float32 softmax outputs can overshoot [0, 1] by a rounding error; anything further is not a probability. */
const PROBABILITY_TOLERANCE = 1e-6;
const DEFAULT_CURVE_POINTS = 200;

interface CheckedInput {
  rows: number;
  classes: number;
  /** Row-major rows × classes probabilities, widened to float64. */
  proba: Float64Array;
}

function checkInput(input: ClassificationInput): CheckedInput {
  const { labels, yTrue } = input;
  const classes = labels.length;
  if (classes < 2) throw badInput(`Classification needs at least 2 classes; got ${plural(classes, 'label')}.`, 'labels');
  const rows = yTrue.length;
  if (rows === 0) throw badInput('There are no rows to evaluate.', 'yTrue');

  let proba: Float64Array;
  if (input.proba.length === rows * classes) {
    proba = Float64Array.from(input.proba);
  } else if (classes === 2 && input.proba.length === rows) {
    proba = new Float64Array(rows * 2);
    for (let row = 0; row < rows; row++) {
      const positive = input.proba[row] as number;
      proba[row * 2] = 1 - positive;
      proba[row * 2 + 1] = positive;
    }
  } else {
    throw badInput(
      `proba has ${input.proba.length} values but ${plural(rows, 'row')} × ${plural(classes, 'class', 'classes')} needs ${rows * classes}` +
        (classes === 2 ? ` (or ${rows} for the positive class alone).` : '.'),
      'proba',
    );
  }
  requireFinite(proba, classes, 'proba', 'Probabilities');

  let outOfRange = 0;
  let firstOutOfRange = -1;
  for (let index = 0; index < proba.length; index++) {
    const value = proba[index] as number;
    if (value < -PROBABILITY_TOLERANCE || value > 1 + PROBABILITY_TOLERANCE) {
      if (firstOutOfRange < 0) firstOutOfRange = index;
      outOfRange++;
    }
  }
  if (outOfRange > 0) {
    throw badInput(
      `Probabilities must lie in [0, 1]; found ${plural(outOfRange, 'value')} outside (first at row ${Math.floor(firstOutOfRange / classes)}: ` +
        `${proba[firstOutOfRange]}). Were raw scores or logits passed instead of probabilities?`,
      'proba',
    );
  }

  let badLabels = 0;
  let firstBadLabel = -1;
  for (let row = 0; row < rows; row++) {
    const label = yTrue[row] as number;
    if (label < 0 || label >= classes) {
      if (firstBadLabel < 0) firstBadLabel = row;
      badLabels++;
    }
  }
  if (badLabels > 0) {
    throw badInput(
      `yTrue must hold class indices from 0 to ${classes - 1}; ${badLabels} of ${plural(rows, 'row')} do not ` +
        `(first at row ${firstBadLabel}: ${yTrue[firstBadLabel]}).`,
      'yTrue',
    );
  }

  if (input.threshold !== undefined) {
    if (classes !== 2) throw badInput('A decision threshold applies to binary classification only.', 'threshold');
    if (!Number.isFinite(input.threshold) || input.threshold < 0 || input.threshold > 1) {
      throw badInput(`The threshold must be a number from 0 to 1; got ${input.threshold}.`, 'threshold');
    }
  }
  return { rows, classes, proba };
}

function predictClasses(proba: Float64Array, rows: number, classes: number, threshold: number): Int32Array {
  const predicted = new Int32Array(rows);
  if (classes === 2) {
    for (let row = 0; row < rows; row++) predicted[row] = (proba[row * 2 + 1] as number) >= threshold ? 1 : 0;
    return predicted;
  }
  for (let row = 0; row < rows; row++) {
    // The first of tied maxima wins, as numpy's argmax does.
    let best = 0;
    let bestValue = proba[row * classes] as number;
    for (let column = 1; column < classes; column++) {
      const value = proba[row * classes + column] as number;
      if (value > bestValue) {
        best = column;
        bestValue = value;
      }
    }
    predicted[row] = best;
  }
  return predicted;
}

/** Clipped to [ε, 1 − ε], then each row rescaled to sum to 1, as scikit-learn 1.2's log_loss does. */
function logLoss(proba: Float64Array, yTrue: Int32Array, rows: number, classes: number): number {
  let total = 0;
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let column = 0; column < classes; column++) sum += clip(proba[row * classes + column] as number);
    const truth = clip(proba[row * classes + (yTrue[row] as number)] as number);
    total -= Math.log(truth / sum);
  }
  return total / rows;
}

function clip(probability: number): number {
  return Math.min(Math.max(probability, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
}

function confusionMatrix(yTrue: Int32Array, predicted: Int32Array, classes: number): number[][] {
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let row = 0; row < yTrue.length; row++) {
    const countsOfTrueClass = counts[yTrue[row] as number] as number[];
    const column = predicted[row] as number;
    countsOfTrueClass[column] = (countsOfTrueClass[column] as number) + 1;
  }
  return counts;
}

function perClassMetrics(labels: string[], counts: number[][]): ClassMetrics[] {
  return labels.map((label, classIndex) => {
    const truePositives = (counts[classIndex] as number[])[classIndex] as number;
    const support = (counts[classIndex] as number[]).reduce((sum, count) => sum + count, 0);
    const predicted = counts.reduce((sum, row) => sum + (row[classIndex] as number), 0);
    const precision = predicted === 0 ? 0 : truePositives / predicted;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, support, predicted, precision, recall, f1 };
  });
}

function averaged(perClass: ClassMetrics[], weight: (metrics: ClassMetrics) => number): AveragedMetrics {
  let totalWeight = 0;
  const sums = { precision: 0, recall: 0, f1: 0 };
  for (const metrics of perClass) {
    const w = weight(metrics);
    totalWeight += w;
    sums.precision += w * metrics.precision;
    sums.recall += w * metrics.recall;
    sums.f1 += w * metrics.f1;
  }
  if (totalWeight === 0) return { precision: 0, recall: 0, f1: 0 };
  return { precision: sums.precision / totalWeight, recall: sums.recall / totalWeight, f1: sums.f1 / totalWeight };
}

function rankClass(
  labels: string[],
  classIndex: number,
  proba: Float64Array,
  yTrue: Int32Array,
  classes: number,
  maxPoints: number,
): ClassRanking {
  const rows = yTrue.length;
  const scores = new Float64Array(rows);
  for (let row = 0; row < rows; row++) scores[row] = proba[row * classes + classIndex] as number;
  const counts = thresholdCounts(scores, (row) => yTrue[row] === classIndex);
  return {
    label: labels[classIndex] as string,
    classIndex,
    positives: counts.positives,
    negatives: counts.negatives,
    auc: rocAuc(counts),
    averagePrecision: averagePrecision(counts),
    roc: rocCurve(counts, maxPoints),
    pr: prCurve(counts, maxPoints),
  };
}

function macroOverDefined(rankings: ClassRanking[], pick: (ranking: ClassRanking) => MaybeScore): MaybeScore {
  const defined = rankings.filter((ranking) => pick(ranking).value !== null);
  if (defined.length === 0) {
    return { value: null, reason: 'undefined for every class: each needs rows both in and out of it' };
  }
  const value = defined.reduce((sum, ranking) => sum + (pick(ranking).value as number), 0) / defined.length;
  const skipped = rankings.filter((ranking) => pick(ranking).value === null).map((ranking) => ranking.label);
  return {
    value,
    reason:
      skipped.length === 0 ? null : `averaged over ${defined.length} of ${rankings.length} classes; undefined for ${skipped.join(', ')}`,
  };
}

function supportWeighted(rankings: ClassRanking[], pick: (ranking: ClassRanking) => MaybeScore): number | null {
  let total = 0;
  let weight = 0;
  for (const ranking of rankings) {
    const value = pick(ranking).value;
    if (value === null) continue;
    total += ranking.positives * value;
    weight += ranking.positives;
  }
  return weight === 0 ? null : total / weight;
}

export function evaluateClassification(input: ClassificationInput): ClassificationEvaluation {
  const { rows, classes, proba } = checkInput(input);
  const { labels, yTrue } = input;
  const binary = classes === 2;
  const threshold = input.threshold ?? 0.5;
  const maxPoints = Math.max(2, Math.floor(input.maxCurvePoints ?? DEFAULT_CURVE_POINTS));

  const predicted = predictClasses(proba, rows, classes, threshold);
  const counts = confusionMatrix(yTrue, predicted, classes);
  const perClass = perClassMetrics(labels, counts);
  let correct = 0;
  for (let classIndex = 0; classIndex < classes; classIndex++) correct += (counts[classIndex] as number[])[classIndex] as number;
  const accuracy = correct / rows;
  // Classes absent from the truth have no recall to average, as in scikit-learn's balanced_accuracy_score.
  const present = perClass.filter((metrics) => metrics.support > 0);
  const balancedAccuracy = present.reduce((sum, metrics) => sum + metrics.recall, 0) / present.length;
  const macro = averaged(perClass, () => 1);
  const weighted = averaged(perClass, (metrics) => metrics.support);
  const logloss = logLoss(proba, yTrue, rows, classes);

  let rankings: ClassRanking[];
  let auc: MaybeScore;
  let prAuc: MaybeScore;
  let aucWeighted: number | null = null;
  if (binary) {
    const positive = rankClass(labels, 1, proba, yTrue, classes, maxPoints);
    rankings = [positive];
    auc = positive.auc;
    prAuc = positive.averagePrecision;
  } else {
    rankings = labels.map((_, classIndex) => rankClass(labels, classIndex, proba, yTrue, classes, maxPoints));
    auc = macroOverDefined(rankings, (ranking) => ranking.auc);
    prAuc = macroOverDefined(rankings, (ranking) => ranking.averagePrecision);
    aucWeighted = supportWeighted(rankings, (ranking) => ranking.auc);
  }

  const positiveMetrics = perClass[1] as ClassMetrics;
  const headline = binary ? positiveMetrics : macro;
  return {
    task: binary ? 'binary' : 'multiclass',
    rows,
    labels: [...labels],
    positiveLabel: binary ? (labels[1] as string) : null,
    threshold: binary ? threshold : null,
    summary: {
      accuracy,
      balancedAccuracy,
      precision: headline.precision,
      recall: headline.recall,
      f1: headline.f1,
      auc: auc.value,
      prAuc: prAuc.value,
      logloss,
    },
    perClass,
    macro,
    weighted,
    auc,
    aucWeighted,
    prAuc,
    confusionMatrix: { labels: [...labels], counts },
    rankings,
  };
}
