import { describe, expect, it } from 'vitest';
import { evaluateClassification } from '../../../main/engine/evaluate/index.js';
import { KilnError } from '../../../shared/errors.js';

/*
 * Reference values below were computed with scikit-learn 1.2.1 and numpy 1.24.2 (Debian python3-sklearn)
 * by this script, run with /usr/bin/python3 and printed with repr(float(x)):
 *
 * import json, numpy as np
 * from sklearn.metrics import (accuracy_score, balanced_accuracy_score, precision_recall_fscore_support, roc_auc_score,
 *     average_precision_score, log_loss, confusion_matrix, roc_curve, precision_recall_curve, mean_squared_error,
 *     mean_absolute_error, r2_score, mean_absolute_percentage_error)
 * from sklearn.preprocessing import label_binarize
 * out = {}
 * def r(a): return [float(x) for x in np.asarray(a).ravel()]
 *
 * # A: binary with tied scores
 * rng = np.random.default_rng(7)
 * y = rng.integers(0, 2, 40)
 * p = np.round(0.35 * y + rng.uniform(0, 0.65, 40), 1)
 * pred = (p >= 0.5).astype(int)
 * prfs = precision_recall_fscore_support(y, pred, labels=[0, 1], zero_division=0)
 * fpr, tpr, thr = roc_curve(y, p)
 * prec, rec, pthr = precision_recall_curve(y, p)
 * pred3 = (p >= 0.3).astype(int)
 * out['binary'] = dict(y=r(y), p=r(p), accuracy=accuracy_score(y, pred), balanced=balanced_accuracy_score(y, pred),
 *     precision=r(prfs[0]), recall=r(prfs[1]), f1=r(prfs[2]), support=r(prfs[3]),
 *     macro=r(precision_recall_fscore_support(y, pred, average='macro', zero_division=0)[:3]),
 *     weighted=r(precision_recall_fscore_support(y, pred, average='weighted', zero_division=0)[:3]),
 *     auc=roc_auc_score(y, p), ap=average_precision_score(y, p), logloss=log_loss(y, p, eps=1e-15),
 *     cm=confusion_matrix(y, pred).tolist(), fpr=r(fpr), tpr=r(tpr), thr=r(thr[1:]),
 *     prec=r(prec), rec=r(rec), pthr=r(pthr),
 *     acc03=accuracy_score(y, pred3), f103=float(precision_recall_fscore_support(y, pred3, average='binary')[2]),
 *     ntie=len(np.unique(p)))
 *
 * # B: three classes, probabilities from small integer weights (ties within rows and across rows)
 * rng = np.random.default_rng(11)
 * y = rng.integers(0, 3, 36)
 * w = rng.integers(0, 4, (36, 3)).astype(float) + 1
 * w[np.arange(36), y] += rng.integers(0, 3, 36)
 * P = w / w.sum(axis=1, keepdims=True)
 * pred = P.argmax(axis=1)
 * prfs = precision_recall_fscore_support(y, pred, labels=[0, 1, 2], zero_division=0)
 * Y = label_binarize(y, classes=[0, 1, 2])
 * out['multi'] = dict(y=r(y), P=r(P), accuracy=accuracy_score(y, pred), balanced=balanced_accuracy_score(y, pred),
 *     precision=r(prfs[0]), recall=r(prfs[1]), f1=r(prfs[2]), support=r(prfs[3]),
 *     macro=r(precision_recall_fscore_support(y, pred, average='macro', zero_division=0)[:3]),
 *     weighted=r(precision_recall_fscore_support(y, pred, average='weighted', zero_division=0)[:3]),
 *     auc=roc_auc_score(y, P, multi_class='ovr', average='macro'),
 *     aucw=roc_auc_score(y, P, multi_class='ovr', average='weighted'),
 *     auck=[roc_auc_score(Y[:, k], P[:, k]) for k in range(3)],
 *     ap=average_precision_score(Y, P, average='macro'), apk=r(average_precision_score(Y, P, average=None)),
 *     logloss=log_loss(y, P, eps=1e-15), cm=confusion_matrix(y, pred).tolist(),
 *     fpr1=r(roc_curve(Y[:, 1], P[:, 1])[0]), tpr1=r(roc_curve(Y[:, 1], P[:, 1])[1]),
 *     thr1=r(roc_curve(Y[:, 1], P[:, 1])[2][1:]), nthr1=len(np.unique(P[:, 1])),
 *     prec1=r(precision_recall_curve(Y[:, 1], P[:, 1])[0]), rec1=r(precision_recall_curve(Y[:, 1], P[:, 1])[1]))
 *
 * # C: four labels, class 3 never in y_true
 * rng = np.random.default_rng(5)
 * y = rng.integers(0, 3, 24)
 * w = rng.integers(0, 4, (24, 4)).astype(float) + 1
 * w[np.arange(24), y] += 2
 * P = w / w.sum(axis=1, keepdims=True)
 * pred = P.argmax(axis=1)
 * prfs = precision_recall_fscore_support(y, pred, labels=[0, 1, 2, 3], zero_division=0)
 * auck = [roc_auc_score((y == k).astype(int), P[:, k]) for k in range(3)]
 * apk = [average_precision_score((y == k).astype(int), P[:, k]) for k in range(3)]
 * out['absent'] = dict(y=r(y), P=r(P), pred3=int((pred == 3).sum()), accuracy=accuracy_score(y, pred),
 *     balanced=balanced_accuracy_score(y, pred), f1=r(prfs[2]),
 *     macro=r(precision_recall_fscore_support(y, pred, labels=[0, 1, 2, 3], average='macro', zero_division=0)[:3]),
 *     auck=auck, auc=float(np.mean(auck)), apk=apk, ap=float(np.mean(apk)),
 *     logloss=log_loss(y, P, labels=[0, 1, 2, 3], eps=1e-15))
 */

const BINARY = {
  y: [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1],
  p: [
    0.5, 0.5, 0.7, 0.4, 0.4, 0.7, 0.7, 0.6, 0.4, 0.3, 0.3, 0.5, 0.4, 0.1, 0.4, 0.5, 0.2, 0.4, 0.5, 0.1, 0.5, 0.6, 0.3, 0.6, 0.8, 0.5, 0.4,
    0.4, 0.3, 0.9, 0.6, 0.7, 0.4, 0.6, 0.6, 0.4, 0.9, 0.6, 0.6, 0.7,
  ],
  accuracy: 0.675,
  balanced: 0.6666666666666667,
  precision: [0.5882352941176471, 0.7391304347826086],
  recall: [0.625, 0.7083333333333334],
  f1: [0.6060606060606061, 0.723404255319149],
  support: [16, 24],
  macro: [0.6636828644501278, 0.6666666666666667, 0.6647324306898775],
  weighted: [0.6787723785166241, 0.675, 0.6764667956157318],
  auc: 0.77734375,
  ap: 0.8244400527009222,
  logloss: 0.5646202835401393,
  cm: [
    [10, 6],
    [7, 17],
  ],
  fpr: [0.0, 0.0, 0.0, 0.0, 0.25, 0.375, 0.5625, 0.8125, 0.875, 1.0],
  tpr: [0.0, 0.08333333333333333, 0.125, 0.3333333333333333, 0.5, 0.7083333333333334, 1.0, 1.0, 1.0, 1.0],
  thr: [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
  prec: [0.6, 0.631578947368421, 0.6486486486486487, 0.7272727272727273, 0.7391304347826086, 0.75, 1.0, 1.0, 1.0, 1.0],
  rec: [1.0, 1.0, 1.0, 1.0, 0.7083333333333334, 0.5, 0.3333333333333333, 0.125, 0.08333333333333333, 0.0],
  pthr: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
  acc03: 0.675,
  f103: 0.7868852459016393,
  ntie: 9.0,
};

const MULTI = {
  y: [0, 0, 2, 1, 1, 1, 2, 0, 1, 0, 1, 2, 1, 0, 1, 0, 2, 2, 2, 1, 2, 1, 0, 1, 1, 1, 2, 0, 2, 0, 1, 2, 0, 2, 1, 1],
  P: [
    0.42857142857142855, 0.2857142857142857, 0.2857142857142857, 0.2727272727272727, 0.36363636363636365, 0.36363636363636365,
    0.16666666666666666, 0.16666666666666666, 0.6666666666666666, 0.3333333333333333, 0.4444444444444444, 0.2222222222222222,
    0.36363636363636365, 0.2727272727272727, 0.36363636363636365, 0.42857142857142855, 0.42857142857142855, 0.14285714285714285,
    0.23076923076923078, 0.3076923076923077, 0.46153846153846156, 0.5454545454545454, 0.36363636363636365, 0.09090909090909091, 0.4, 0.3,
    0.3, 0.6, 0.2, 0.2, 0.4, 0.4, 0.2, 0.3333333333333333, 0.16666666666666666, 0.5, 0.4, 0.5, 0.1, 0.125, 0.375, 0.5, 0.5, 0.125, 0.375,
    0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.3, 0.3, 0.4, 0.2222222222222222,
    0.6666666666666666, 0.1111111111111111, 0.4, 0.2, 0.4, 0.4444444444444444, 0.3333333333333333, 0.2222222222222222, 0.4166666666666667,
    0.25, 0.3333333333333333, 0.2, 0.6, 0.2, 0.125, 0.75, 0.125, 0.42857142857142855, 0.2857142857142857, 0.2857142857142857, 0.4, 0.2, 0.4,
    0.16666666666666666, 0.6666666666666666, 0.16666666666666666, 0.3333333333333333, 0.16666666666666666, 0.5, 0.6666666666666666,
    0.1111111111111111, 0.2222222222222222, 0.25, 0.375, 0.375, 0.375, 0.5, 0.125, 0.6666666666666666, 0.16666666666666666,
    0.16666666666666666, 0.2727272727272727, 0.36363636363636365, 0.36363636363636365, 0.42857142857142855, 0.2857142857142857,
    0.2857142857142857, 0.4444444444444444, 0.4444444444444444, 0.1111111111111111,
  ],
  accuracy: 0.5555555555555556,
  balanced: 0.5787878787878787,
  precision: [0.3888888888888889, 0.6, 0.875],
  recall: [0.7, 0.4, 0.6363636363636364],
  f1: [0.5, 0.48, 0.7368421052631579],
  support: [10, 15, 11],
  macro: [0.6212962962962963, 0.5787878787878787, 0.572280701754386],
  weighted: [0.6253858024691358, 0.5555555555555556, 0.5640350877192982],
  auc: 0.7624299774299773,
  aucw: 0.7647730972730973,
  auck: [0.6442307692307692, 0.753968253968254, 0.8890909090909089],
  ap: 0.6998415775834786,
  apk: [0.6109069248455439, 0.6794457299828144, 0.809172077922078],
  logloss: 0.9489207419707975,
  cm: [
    [7, 2, 1],
    [9, 6, 0],
    [2, 2, 7],
  ],
  fpr1: [
    0.0, 0.0, 0.047619047619047616, 0.047619047619047616, 0.09523809523809523, 0.09523809523809523, 0.09523809523809523,
    0.14285714285714285, 0.2857142857142857, 0.3333333333333333, 0.38095238095238093, 0.42857142857142855, 0.47619047619047616,
    0.47619047619047616, 0.7619047619047619, 0.9523809523809523, 0.9523809523809523, 1.0,
  ],
  tpr1: [
    0.0, 0.06666666666666667, 0.13333333333333333, 0.2, 0.26666666666666666, 0.4, 0.5333333333333333, 0.6, 0.6, 0.6666666666666666,
    0.6666666666666666, 0.7333333333333333, 0.8666666666666667, 0.9333333333333333, 0.9333333333333333, 0.9333333333333333, 1.0, 1.0,
  ],
  thr1: [
    0.75, 0.6666666666666666, 0.6, 0.5, 0.4444444444444444, 0.4, 0.375, 0.36363636363636365, 0.3333333333333333, 0.3076923076923077, 0.3,
    0.2857142857142857, 0.2727272727272727, 0.2, 0.16666666666666666, 0.125, 0.1111111111111111,
  ],
  nthr1: 19.0,
  prec1: [
    0.4166666666666667, 0.42857142857142855, 0.4117647058823529, 0.4666666666666667, 0.5185185185185185, 0.5833333333333334,
    0.5652173913043478, 0.55, 0.5555555555555556, 0.5882352941176471, 0.6, 0.75, 0.8, 0.7777777777777778, 0.75, 0.6666666666666666, 0.75,
    0.6666666666666666, 1.0, 1.0,
  ],
  rec1: [
    1.0, 1.0, 0.9333333333333333, 0.9333333333333333, 0.9333333333333333, 0.9333333333333333, 0.8666666666666667, 0.7333333333333333,
    0.6666666666666666, 0.6666666666666666, 0.6, 0.6, 0.5333333333333333, 0.4666666666666667, 0.4, 0.26666666666666666, 0.2,
    0.13333333333333333, 0.06666666666666667, 0.0,
  ],
};

const ABSENT = {
  y: [2, 2, 0, 2, 1, 1, 1, 0, 2, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 2, 0, 1, 2, 0],
  P: [
    0.16666666666666666, 0.16666666666666666, 0.3333333333333333, 0.3333333333333333, 0.06666666666666667, 0.26666666666666666, 0.4,
    0.26666666666666666, 0.3, 0.2, 0.3, 0.2, 0.25, 0.25, 0.4166666666666667, 0.08333333333333333, 0.26666666666666666, 0.3333333333333333,
    0.26666666666666666, 0.13333333333333333, 0.2, 0.6, 0.1, 0.1, 0.16666666666666666, 0.4166666666666667, 0.08333333333333333,
    0.3333333333333333, 0.3333333333333333, 0.08333333333333333, 0.25, 0.3333333333333333, 0.3076923076923077, 0.3076923076923077,
    0.3076923076923077, 0.07692307692307693, 0.42857142857142855, 0.21428571428571427, 0.2857142857142857, 0.07142857142857142, 0.3, 0.3,
    0.2, 0.2, 0.3333333333333333, 0.25, 0.25, 0.16666666666666666, 0.18181818181818182, 0.5454545454545454, 0.09090909090909091,
    0.18181818181818182, 0.1111111111111111, 0.3333333333333333, 0.2222222222222222, 0.3333333333333333, 0.4166666666666667,
    0.16666666666666666, 0.08333333333333333, 0.3333333333333333, 0.6, 0.1, 0.1, 0.2, 0.23076923076923078, 0.3076923076923077,
    0.23076923076923078, 0.23076923076923078, 0.3333333333333333, 0.25, 0.3333333333333333, 0.08333333333333333, 0.46153846153846156,
    0.07692307692307693, 0.15384615384615385, 0.3076923076923077, 0.26666666666666666, 0.06666666666666667, 0.4, 0.26666666666666666,
    0.2857142857142857, 0.14285714285714285, 0.2857142857142857, 0.2857142857142857, 0.25, 0.3333333333333333, 0.08333333333333333,
    0.3333333333333333, 0.18181818181818182, 0.2727272727272727, 0.45454545454545453, 0.09090909090909091, 0.36363636363636365,
    0.2727272727272727, 0.09090909090909091, 0.2727272727272727,
  ],
  pred3: 0.0,
  accuracy: 0.875,
  balanced: 0.8665223665223665,
  f1: [0.8695652173913043, 0.8571428571428571, 0.9090909090909091, 0.0],
  macro: [0.6726190476190477, 0.6498917748917749, 0.6589497459062676],
  auck: [0.9090909090909091, 0.9411764705882353, 0.9861111111111112],
  auc: 0.9454594969300851,
  apk: [0.8969777993842165, 0.9238095238095236, 0.9484126984126984],
  ap: 0.9230666738688128,
  logloss: 0.9912912284577752,
};

const TOLERANCE_DIGITS = 10;

function expectAllClose(actual: readonly (number | null)[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, index) => expect(actual[index]).toBeCloseTo(value, TOLERANCE_DIGITS));
}

function expectBadInput(run: () => unknown, field: string, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(KilnError);
  const error = caught as KilnError;
  expect(error.code).toBe('bad_input');
  expect(error.field).toBe(field);
  expect(error.message).toMatch(message);
}

/** Seeded so the large-input tests are the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function twoColumns(positive: readonly number[]): Float64Array {
  const proba = new Float64Array(positive.length * 2);
  positive.forEach((p, row) => {
    proba[row * 2] = 1 - p;
    proba[row * 2 + 1] = p;
  });
  return proba;
}

describe('evaluateClassification, binary, against scikit-learn', () => {
  const result = evaluateClassification({
    labels: ['no', 'yes'],
    yTrue: Int32Array.from(BINARY.y),
    proba: twoColumns(BINARY.p),
  });

  it('has tied scores in the fixture, so the tie handling is exercised', () => {
    expect(BINARY.ntie).toBeLessThan(BINARY.p.length / 2);
  });

  it('matches accuracy, balanced accuracy and the per-class, macro and weighted precision, recall and F1', () => {
    expect(result.task).toBe('binary');
    expect(result.positiveLabel).toBe('yes');
    expect(result.threshold).toBe(0.5);
    expect(result.summary.accuracy).toBeCloseTo(BINARY.accuracy, TOLERANCE_DIGITS);
    expect(result.summary.balancedAccuracy).toBeCloseTo(BINARY.balanced, TOLERANCE_DIGITS);
    expectAllClose(
      result.perClass.map((metrics) => metrics.precision),
      BINARY.precision,
    );
    expectAllClose(
      result.perClass.map((metrics) => metrics.recall),
      BINARY.recall,
    );
    expectAllClose(
      result.perClass.map((metrics) => metrics.f1),
      BINARY.f1,
    );
    expect(result.perClass.map((metrics) => metrics.support)).toEqual(BINARY.support);
    expectAllClose([result.macro.precision, result.macro.recall, result.macro.f1], BINARY.macro);
    expectAllClose([result.weighted.precision, result.weighted.recall, result.weighted.f1], BINARY.weighted);
    // scikit-learn's default average='binary' reports the positive class.
    expect(result.summary.precision).toBeCloseTo(BINARY.precision[1] as number, TOLERANCE_DIGITS);
    expect(result.summary.recall).toBeCloseTo(BINARY.recall[1] as number, TOLERANCE_DIGITS);
    expect(result.summary.f1).toBeCloseTo(BINARY.f1[1] as number, TOLERANCE_DIGITS);
  });

  it('matches ROC AUC, average precision, log loss and the confusion matrix', () => {
    expect(result.summary.auc).toBeCloseTo(BINARY.auc, TOLERANCE_DIGITS);
    expect(result.auc).toEqual({ value: result.summary.auc, reason: null });
    expect(result.summary.prAuc).toBeCloseTo(BINARY.ap, TOLERANCE_DIGITS);
    expect(result.summary.logloss).toBeCloseTo(BINARY.logloss, TOLERANCE_DIGITS);
    expect(result.confusionMatrix).toEqual({ labels: ['no', 'yes'], counts: BINARY.cm });
    expect(result.aucWeighted).toBeNull();
  });

  it('matches roc_curve and precision_recall_curve point for point', () => {
    const [ranking] = result.rankings;
    expect(ranking?.label).toBe('yes');
    const roc = ranking?.roc;
    const pr = ranking?.pr;
    if (!roc || !pr) throw new Error('curves missing');
    expectAllClose(roc.fpr, BINARY.fpr);
    expectAllClose(roc.tpr, BINARY.tpr);
    expect(roc.thresholds[0]).toBeNull();
    expectAllClose(roc.thresholds.slice(1), BINARY.thr);
    // scikit-learn lists the PR curve from the lowest threshold up; ours runs from the highest down.
    expectAllClose(pr.precision, [...BINARY.prec].reverse());
    expectAllClose(pr.recall, [...BINARY.rec].reverse());
    expect(pr.thresholds[0]).toBeNull();
    expectAllClose(pr.thresholds.slice(1), [...BINARY.pthr].reverse());
  });

  it('applies a custom threshold to the predicted classes', () => {
    const lowered = evaluateClassification({
      labels: ['no', 'yes'],
      yTrue: Int32Array.from(BINARY.y),
      proba: twoColumns(BINARY.p),
      threshold: 0.3,
    });
    expect(lowered.threshold).toBe(0.3);
    expect(lowered.summary.accuracy).toBeCloseTo(BINARY.acc03, TOLERANCE_DIGITS);
    expect(lowered.summary.f1).toBeCloseTo(BINARY.f103, TOLERANCE_DIGITS);
    expect(lowered.summary.auc).toBe(result.summary.auc);
  });

  it('accepts the positive-class column alone, in float32, with the same ranking metrics', () => {
    const single = evaluateClassification({
      labels: ['no', 'yes'],
      yTrue: Int32Array.from(BINARY.y),
      proba: Float32Array.from(BINARY.p),
    });
    // Rounding to float32 keeps the order and the ties, so the ranking metrics are unchanged.
    expect(single.summary.auc).toBeCloseTo(BINARY.auc, TOLERANCE_DIGITS);
    expect(single.summary.prAuc).toBeCloseTo(BINARY.ap, TOLERANCE_DIGITS);
    expect(single.summary.logloss).toBeCloseTo(BINARY.logloss, 6);
    expect(single.confusionMatrix.counts).toEqual(BINARY.cm);
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});

describe('evaluateClassification, three classes, against scikit-learn', () => {
  const result = evaluateClassification({
    labels: ['a', 'b', 'c'],
    yTrue: Int32Array.from(MULTI.y),
    proba: Float64Array.from(MULTI.P),
  });

  it('matches accuracy, balanced accuracy, per-class, macro and weighted scores and the confusion matrix', () => {
    expect(result.task).toBe('multiclass');
    expect(result.positiveLabel).toBeNull();
    expect(result.threshold).toBeNull();
    expect(result.summary.accuracy).toBeCloseTo(MULTI.accuracy, TOLERANCE_DIGITS);
    expect(result.summary.balancedAccuracy).toBeCloseTo(MULTI.balanced, TOLERANCE_DIGITS);
    expectAllClose(
      result.perClass.map((metrics) => metrics.precision),
      MULTI.precision,
    );
    expectAllClose(
      result.perClass.map((metrics) => metrics.recall),
      MULTI.recall,
    );
    expectAllClose(
      result.perClass.map((metrics) => metrics.f1),
      MULTI.f1,
    );
    expect(result.perClass.map((metrics) => metrics.support)).toEqual(MULTI.support);
    expectAllClose([result.macro.precision, result.macro.recall, result.macro.f1], MULTI.macro);
    expectAllClose([result.weighted.precision, result.weighted.recall, result.weighted.f1], MULTI.weighted);
    expectAllClose([result.summary.precision, result.summary.recall, result.summary.f1], MULTI.macro);
    expect(result.confusionMatrix.counts).toEqual(MULTI.cm);
  });

  it('matches one-vs-rest macro and weighted AUC, per-class AUC and average precision, and log loss', () => {
    expect(result.summary.auc).toBeCloseTo(MULTI.auc, TOLERANCE_DIGITS);
    expect(result.auc.reason).toBeNull();
    expect(result.aucWeighted).toBeCloseTo(MULTI.aucw, TOLERANCE_DIGITS);
    expectAllClose(
      result.rankings.map((ranking) => ranking.auc.value),
      MULTI.auck,
    );
    expect(result.summary.prAuc).toBeCloseTo(MULTI.ap, TOLERANCE_DIGITS);
    expectAllClose(
      result.rankings.map((ranking) => ranking.averagePrecision.value),
      MULTI.apk,
    );
    expect(result.summary.logloss).toBeCloseTo(MULTI.logloss, TOLERANCE_DIGITS);
  });

  it("matches roc_curve's dropped intermediate points and precision_recall_curve for one class", () => {
    const ranking = result.rankings[1];
    if (!ranking?.roc || !ranking.pr) throw new Error('curves missing');
    expect(ranking.roc.totalPoints).toBe(MULTI.nthr1 + 1);
    expect(ranking.roc.fpr.length).toBeLessThan(ranking.roc.totalPoints);
    expectAllClose(ranking.roc.fpr, MULTI.fpr1);
    expectAllClose(ranking.roc.tpr, MULTI.tpr1);
    expectAllClose(ranking.roc.thresholds.slice(1), MULTI.thr1);
    expectAllClose(ranking.pr.precision, [...MULTI.prec1].reverse());
    expectAllClose(ranking.pr.recall, [...MULTI.rec1].reverse());
  });
});

describe('evaluateClassification with a class absent from the true labels', () => {
  const result = evaluateClassification({
    labels: ['a', 'b', 'c', 'd'],
    yTrue: Int32Array.from(ABSENT.y),
    proba: Float64Array.from(ABSENT.P),
  });

  it('reports that class as undefined with a reason and averages AUC and average precision over the others', () => {
    const absent = result.rankings[3];
    expect(absent?.positives).toBe(0);
    expect(absent?.auc.value).toBeNull();
    expect(absent?.auc.reason).toMatch(/no rows of this class/);
    expect(absent?.averagePrecision.value).toBeNull();
    expect(absent?.roc).toBeNull();
    expect(absent?.pr).toBeNull();
    expectAllClose(
      result.rankings.slice(0, 3).map((ranking) => ranking.auc.value),
      ABSENT.auck,
    );
    expectAllClose(
      result.rankings.slice(0, 3).map((ranking) => ranking.averagePrecision.value),
      ABSENT.apk,
    );
    expect(result.summary.auc).toBeCloseTo(ABSENT.auc, TOLERANCE_DIGITS);
    expect(result.auc.reason).toBe('averaged over 3 of 4 classes; undefined for d');
    expect(result.summary.prAuc).toBeCloseTo(ABSENT.ap, TOLERANCE_DIGITS);
  });

  it('matches the label-based metrics and log loss of scikit-learn with labels=[0, 1, 2, 3]', () => {
    expect(result.summary.accuracy).toBeCloseTo(ABSENT.accuracy, TOLERANCE_DIGITS);
    expect(result.summary.balancedAccuracy).toBeCloseTo(ABSENT.balanced, TOLERANCE_DIGITS);
    expectAllClose(
      result.perClass.map((metrics) => metrics.f1),
      ABSENT.f1,
    );
    expectAllClose([result.macro.precision, result.macro.recall, result.macro.f1], ABSENT.macro);
    expect(result.summary.logloss).toBeCloseTo(ABSENT.logloss, TOLERANCE_DIGITS);
  });

  it('renormalises rows that do not sum to 1 for the log loss, as log_loss does, and ranks the columns as given', () => {
    const halved = evaluateClassification({
      labels: ['a', 'b', 'c', 'd'],
      yTrue: Int32Array.from(ABSENT.y),
      proba: Float64Array.from(ABSENT.P, (p) => p / 2),
    });
    expect(halved.summary.logloss).toBeCloseTo(ABSENT.logloss, TOLERANCE_DIGITS);
    expect(halved.summary.auc).toBeCloseTo(ABSENT.auc, TOLERANCE_DIGITS);
  });
});

describe('evaluateClassification on known cases', () => {
  it('scores a perfect classifier with AUC 1, average precision 1 and a log loss of about 0', () => {
    const yTrue = Int32Array.from([0, 1, 1, 0, 1, 0, 0, 1]);
    const result = evaluateClassification({
      labels: ['neg', 'pos'],
      yTrue,
      proba: Float64Array.from(yTrue, (label) => label),
    });
    expect(result.summary.auc).toBe(1);
    expect(result.summary.prAuc).toBe(1);
    expect(result.summary.accuracy).toBe(1);
    expect(result.summary.f1).toBe(1);
    expect(result.summary.logloss).toBeGreaterThan(0);
    expect(result.summary.logloss).toBeLessThan(1e-14);
  });

  it('scores a perfect three-class classifier with macro AUC 1', () => {
    const yTrue = Int32Array.from([0, 1, 2, 2, 1, 0]);
    const proba = new Float64Array(yTrue.length * 3);
    yTrue.forEach((label, row) => (proba[row * 3 + label] = 1));
    const result = evaluateClassification({ labels: ['x', 'y', 'z'], yTrue, proba });
    expect(result.summary.auc).toBe(1);
    expect(result.summary.accuracy).toBe(1);
    expect(result.summary.logloss).toBeLessThan(1e-14);
  });

  it('scores a constant scorer with AUC 0.5 and average precision equal to the prevalence', () => {
    const yTrue = Int32Array.from([1, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
    const result = evaluateClassification({
      labels: ['neg', 'pos'],
      yTrue,
      proba: new Float64Array(yTrue.length).fill(0.3),
    });
    expect(result.summary.auc).toBe(0.5);
    expect(result.summary.prAuc).toBeCloseTo(0.3, 12);
    expect(result.rankings[0]?.roc).toEqual({ fpr: [0, 1], tpr: [0, 1], thresholds: [null, 0.3], totalPoints: 2 });
    // Everything is predicted negative at the default threshold: precision of the positive class is 0, not NaN.
    expect(result.summary.precision).toBe(0);
    expect(result.summary.logloss).toBeCloseTo(-(0.3 * Math.log(0.3) + 0.7 * Math.log(0.7)), 12);
  });

  it('leaves AUC undefined with a reason when every row has the same class', () => {
    const yTrue = new Int32Array(6).fill(1);
    const result = evaluateClassification({
      labels: ['neg', 'pos'],
      yTrue,
      proba: Float64Array.from([0.9, 0.8, 0.4, 0.7, 0.6, 0.2]),
    });
    expect(result.summary.auc).toBeNull();
    expect(result.auc.reason).toMatch(/every row belongs to this class/);
    expect(result.summary.prAuc).toBeNull();
    expect(result.rankings[0]?.roc).toBeNull();
    expect(result.summary.accuracy).toBeCloseTo(4 / 6, 12);
    // Only the class present in the truth has a recall to balance.
    expect(result.summary.balancedAccuracy).toBeCloseTo(4 / 6, 12);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});

describe('evaluateClassification on large inputs', () => {
  function tiedBinary(rows: number, seed: number): { yTrue: Int32Array; proba: Float32Array } {
    const random = mulberry32(seed);
    const yTrue = new Int32Array(rows);
    const proba = new Float32Array(rows);
    for (let row = 0; row < rows; row++) {
      const label = random() < 0.3 ? 1 : 0;
      yTrue[row] = label;
      // Three decimals leave about a thousand distinct scores, so most rows are tied with others.
      proba[row] = Math.round(Math.min(1, Math.max(0, random() * 0.8 + label * 0.25)) * 1000) / 1000;
    }
    return { yTrue, proba };
  }

  it('downsamples the curves to at most 200 points while the AUC stays exact over all rows', () => {
    const { yTrue, proba } = tiedBinary(200_000, 42);
    const result = evaluateClassification({ labels: ['neg', 'pos'], yTrue, proba });

    // Independent count: for every positive, negatives scored below count 1 and ties count 1/2.
    const negativesAt = new Float64Array(1001);
    const positivesAt = new Float64Array(1001);
    for (let row = 0; row < yTrue.length; row++) {
      const bucket = Math.round((proba[row] as number) * 1000);
      const counts = yTrue[row] === 1 ? positivesAt : negativesAt;
      counts[bucket] = (counts[bucket] as number) + 1;
    }
    let pairs = 0;
    let negativesBelow = 0;
    let positives = 0;
    let negatives = 0;
    for (let bucket = 0; bucket <= 1000; bucket++) {
      pairs += (positivesAt[bucket] as number) * (negativesBelow + (negativesAt[bucket] as number) / 2);
      negativesBelow += negativesAt[bucket] as number;
      positives += positivesAt[bucket] as number;
      negatives += negativesAt[bucket] as number;
    }
    expect(result.summary.auc).toBeCloseTo(pairs / (positives * negatives), 12);

    const ranking = result.rankings[0];
    if (!ranking?.roc || !ranking.pr) throw new Error('curves missing');
    expect(ranking.roc.totalPoints).toBeGreaterThan(200);
    expect(ranking.roc.fpr.length).toBeLessThanOrEqual(200);
    expect(ranking.pr.recall.length).toBeLessThanOrEqual(200);
    expect([ranking.roc.fpr[0], ranking.roc.tpr[0]]).toEqual([0, 0]);
    expect([ranking.roc.fpr.at(-1), ranking.roc.tpr.at(-1)]).toEqual([1, 1]);
    expect(ranking.pr.recall.at(-1)).toBe(1);
    for (let k = 1; k < ranking.roc.fpr.length; k++) {
      expect(ranking.roc.fpr[k]).toBeGreaterThanOrEqual(ranking.roc.fpr[k - 1] as number);
      expect(ranking.roc.tpr[k]).toBeGreaterThanOrEqual(ranking.roc.tpr[k - 1] as number);
      expect(ranking.roc.thresholds[k]).toBeLessThan((ranking.roc.thresholds[k - 1] ?? Infinity) as number);
    }
    // The trapezoid under the kept points is close to the exact area: the chart does not misrepresent it.
    let area = 0;
    for (let k = 1; k < ranking.roc.fpr.length; k++) {
      const width = (ranking.roc.fpr[k] as number) - (ranking.roc.fpr[k - 1] as number);
      area += (width * ((ranking.roc.tpr[k] as number) + (ranking.roc.tpr[k - 1] as number))) / 2;
    }
    expect(Math.abs(area - (result.summary.auc as number))).toBeLessThan(1e-3);
  });

  // Speed belongs in benchmarks; this checks that a million rows work, not how fast.
  it('evaluates a million binary rows and a million three-class rows', () => {
    const { yTrue, proba } = tiedBinary(1_000_000, 7);
    const binary = evaluateClassification({ labels: ['neg', 'pos'], yTrue, proba });
    expect(binary.rows).toBe(1_000_000);

    const random = mulberry32(9);
    const labels3 = new Int32Array(1_000_000);
    const proba3 = new Float32Array(3_000_000);
    for (let row = 0; row < labels3.length; row++) {
      const label = Math.floor(random() * 3);
      labels3[row] = label;
      const weights = [random(), random(), random()];
      weights[label] = (weights[label] as number) + 0.5;
      const total = weights.reduce((sum, weight) => sum + weight, 0);
      weights.forEach((weight, column) => (proba3[row * 3 + column] = weight / total));
    }
    const multi = evaluateClassification({ labels: ['a', 'b', 'c'], yTrue: labels3, proba: proba3 });
    expect(multi.summary.auc).toBeGreaterThan(0.5);
  });
});

describe('evaluateClassification rejects bad input with a clear message', () => {
  const labels = ['neg', 'pos'];
  const yTrue = Int32Array.from([0, 1, 0, 1, 1]);

  it('names how many rows hold NaN probabilities', () => {
    const proba = Float64Array.from([0.1, Number.NaN, 0.3, Number.NaN, 0.9]);
    expectBadInput(
      () => evaluateClassification({ labels, yTrue, proba }),
      'proba',
      /^Probabilities: 2 of 5 rows hold NaN or infinite values \(first at row 1\)\.$/,
    );
  });

  it('names the lengths when proba does not match rows × classes', () => {
    expectBadInput(
      () => evaluateClassification({ labels, yTrue, proba: new Float64Array(7) }),
      'proba',
      /proba has 7 values but 5 rows × 2 classes needs 10 \(or 5 for the positive class alone\)/,
    );
    expectBadInput(
      () => evaluateClassification({ labels: ['a', 'b', 'c'], yTrue, proba: new Float64Array(10) }),
      'proba',
      /proba has 10 values but 5 rows × 3 classes needs 15\.$/,
    );
  });

  it('rejects class indices outside the labels, fewer than two labels, and no rows', () => {
    expectBadInput(
      () => evaluateClassification({ labels, yTrue: Int32Array.from([0, 2, 1]), proba: new Float64Array(3) }),
      'yTrue',
      /class indices from 0 to 1; 1 of 3 rows do not \(first at row 1: 2\)/,
    );
    expectBadInput(
      () => evaluateClassification({ labels: ['only'], yTrue: new Int32Array(2), proba: new Float64Array(2) }),
      'labels',
      /at least 2 classes; got 1 label/,
    );
    expectBadInput(() => evaluateClassification({ labels, yTrue: new Int32Array(0), proba: new Float64Array(0) }), 'yTrue', /no rows/);
  });

  it('rejects scores outside [0, 1] and thresholds that do not apply', () => {
    expectBadInput(
      () => evaluateClassification({ labels, yTrue, proba: Float64Array.from([0.1, 2.5, 0.3, -1, 0.9]) }),
      'proba',
      /must lie in \[0, 1\].*first at row 1: -1\.5.*logits/,
    );
    expectBadInput(
      () => evaluateClassification({ labels, yTrue, proba: new Float64Array(5), threshold: 1.5 }),
      'threshold',
      /from 0 to 1; got 1\.5/,
    );
    expectBadInput(
      () =>
        evaluateClassification({
          labels: ['a', 'b', 'c'],
          yTrue,
          proba: new Float64Array(15).fill(1 / 3),
          threshold: 0.5,
        }),
      'threshold',
      /binary classification only/,
    );
  });
});
