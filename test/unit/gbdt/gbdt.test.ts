import { describe, expect, it } from 'vitest';
import { KilnError } from '../../../shared/errors.js';
import { fitGbdt, GbdtModel, type GbdtDataset, type GbdtFeature, type GbdtModelJson } from '../../../main/engine/train/trees/index.js';
import { binDataset, fitBinning } from '../../../main/engine/train/trees/binning.js';
import { histogramLayout } from '../../../main/engine/train/trees/histogram.js';
import {
  LocalHistogramBuilder,
  ParallelHistogramBuilder,
  sharedFloat64,
  sharedUint32,
  sharedUint8,
} from '../../../main/engine/train/trees/parallel.js';
import { holdOut, loadAdult } from './adultData.js';

/** Rank-based ROC AUC written here, apart from the library's, so the test does not grade the library with itself. */
function auc(labels: Float64Array, scores: Float64Array): number {
  const order = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Float64Array(order.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    for (let t = i; t <= j; t++) ranks[order[t]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let positives = 0;
  let rankSum = 0;
  labels.forEach((label, row) => {
    if (label === 1) {
      positives++;
      rankSum += ranks[row]!;
    }
  });
  const negatives = labels.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function accuracy(labels: Float64Array, probabilities: Float64Array): number {
  let correct = 0;
  labels.forEach((label, row) => (correct += (probabilities[row]! >= 0.5 ? 1 : 0) === label ? 1 : 0));
  return correct / labels.length;
}

/** The same mulberry32 as the library, kept separate so synthetic data do not depend on library internals. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function numeric(name: string, values: number[]): GbdtFeature {
  return { name, kind: 'numeric', values: Float64Array.from(values) };
}

function categorical(name: string, codes: number[], categoryCount: number): GbdtFeature {
  return { name, kind: 'categorical', codes: Int32Array.from(codes), categoryCount };
}

describe('gradient-boosted trees on adult', () => {
  const { train, test } = loadAdult();
  const { fit, valid } = holdOut(train, 0.15, 7);

  it('beats the accuracy and AUC bars on adult.test with the defaults, early stopping on a 15% validation split', async () => {
    const rounds: number[] = [];
    const result = await fitGbdt(fit.data, fit.labels, {}, { validation: valid, onRound: (progress) => rounds.push(progress.round) });
    const probabilities = result.model.predict(test.data);
    const testAccuracy = accuracy(test.labels, probabilities);
    const testAuc = auc(test.labels, probabilities);
    console.log(
      `adult: ${result.history.length} rounds run, ${result.bestRound} kept, fit ${Math.round(result.fitMs)} ms on ${result.threads} thread(s), ` +
        `test accuracy ${testAccuracy.toFixed(4)}, AUC ${testAuc.toFixed(4)}`,
    );
    expect(testAccuracy).toBeGreaterThanOrEqual(0.868);
    expect(testAuc).toBeGreaterThanOrEqual(0.925);
    expect(rounds).toEqual(result.history.map((_, index) => index + 1));
    const last = result.history[result.history.length - 1]!;
    expect(last.validLoss).toBeLessThan(0.3);
    expect(last.validMetric).toBeGreaterThan(0.9);

    // The validation loss from training (binned rows) equals the one recomputed from raw values with the JSON's rules.
    const validProbabilities = result.model.predict(valid.data);
    let validLoss = 0;
    valid.labels.forEach((label, row) => {
      const p = validProbabilities[row]!;
      validLoss -= label === 1 ? Math.log(p) : Math.log(1 - p);
    });
    expect(validLoss / valid.labels.length).toBeCloseTo(result.history[result.bestRound - 1]!.validLoss!, 9);

    const importance = result.model.featureImportance();
    const byGain = [...importance].sort((a, b) => b.gain - a.gain);
    expect(importance.reduce((sum, entry) => sum + entry.splits, 0)).toBeGreaterThan(100);
    expect(['relationship', 'marital-status', 'capital-gain', 'education-num', 'education']).toContain(byGain[0]!.name);
  });

  it('gives identical predictions for the same seed, with row and column subsampling', async () => {
    const params = { rounds: 25, subsample: 0.7, colsampleByTree: 0.6, seed: 11 };
    const first = await fitGbdt(fit.data, fit.labels, params);
    const second = await fitGbdt(fit.data, fit.labels, params);
    const other = await fitGbdt(fit.data, fit.labels, { ...params, seed: 12 });
    const a = first.model.predict(test.data);
    expect(second.model.predict(test.data)).toEqual(a);
    expect(other.model.predict(test.data)).not.toEqual(a);
    expect(JSON.stringify(second.model.toJSON())).toEqual(JSON.stringify(first.model.toJSON()));
  });

  it('round-trips through JSON text with identical predictions', async () => {
    const { model } = await fitGbdt(fit.data, fit.labels, { rounds: 30 });
    const text = JSON.stringify(model.toJSON());
    const restored = GbdtModel.fromJSON(JSON.parse(text) as GbdtModelJson);
    expect(restored.predict(test.data)).toEqual(model.predict(test.data));
    expect(() => GbdtModel.fromJSON({ ...model.toJSON(), format: 'other' } as unknown as GbdtModelJson)).toThrow(/kiln-gbdt/);
  });

  it('builds the same histograms with worker threads as on one thread, and as good a model', async () => {
    const featureBins = fitBinning(fit.data, 255, 64, () => 0.5);
    const layout = histogramLayout(featureBins);
    const rowCount = fit.labels.length;
    const binned = sharedUint8(rowCount * layout.featureCount);
    binDataset(fit.data, featureBins, binned);
    const rows = sharedUint32(rowCount);
    const gradients = sharedFloat64(rowCount);
    const hessians = sharedFloat64(rowCount);
    const random = seeded(9);
    for (let row = 0; row < rowCount; row++) {
      rows[row] = row;
      gradients[row] = random() - 0.5;
      hessians[row] = random();
    }
    // Ragged node ranges, as a tree level hands over, and more than one hand-over's worth of them.
    const ranges = Array.from({ length: 70 }, (_, t) => [Math.floor((t * rowCount) / 70), Math.floor(((t + 1) * rowCount) / 70) - (t % 3)]);
    const local = new LocalHistogramBuilder(binned, layout, rows, gradients, hessians);
    const expected = ranges.map(([start, end]) => ({ start: start!, end: end!, out: new Float64Array(layout.size) }));
    local.build(expected);
    const parallel = await ParallelHistogramBuilder.start(2, binned, layout, rows, gradients, hessians);
    try {
      const actual = ranges.map(([start, end]) => ({ start: start!, end: end!, out: new Float64Array(layout.size).fill(7) }));
      parallel.build(actual);
      actual.forEach((task, t) => {
        const reference = expected[t]!.out;
        let largest = 0;
        task.out.forEach((value, i) => (largest = Math.max(largest, Math.abs(value - reference[i]!))));
        expect(largest).toBeLessThan(1e-9);
      });
    } finally {
      await parallel.stop();
    }

    // Summing in another order can flip a near-tie between two splits, so the models agree on quality, not bit for bit.
    const single = await fitGbdt(fit.data, fit.labels, { rounds: 20, threads: 1 });
    const workers = await fitGbdt(fit.data, fit.labels, { rounds: 20, threads: 2 });
    expect(workers.threads).toBe(2);
    expect(workers.model.toJSON().trees[0]!.feature.slice(0, 15)).toEqual(single.model.toJSON().trees[0]!.feature.slice(0, 15));
    expect(Math.abs(auc(test.labels, workers.model.predict(test.data)) - auc(test.labels, single.model.predict(test.data)))).toBeLessThan(
      0.003,
    );
  });

  it('stops early when the validation loss stops improving and keeps the best round', async () => {
    // A high learning rate overfits fast, so the validation loss turns within a few dozen rounds.
    const result = await fitGbdt(fit.data, fit.labels, { rounds: 300, learningRate: 0.9, earlyStoppingRounds: 5 }, { validation: valid });
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.length).toBeLessThan(300);
    expect(result.history.length - result.bestRound).toBe(5);
    const losses = result.history.map((progress) => progress.validLoss!);
    expect(Math.min(...losses)).toBe(losses[result.bestRound - 1]);
    expect(result.model.toJSON().trees).toHaveLength(result.bestRound);
  });

  it('stops with a clear error when its AbortSignal fires', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const fitting = fitGbdt(
      fit.data,
      fit.labels,
      { rounds: 1000, earlyStoppingRounds: 0 },
      {
        signal: controller.signal,
        onRound: ({ round }) => {
          seen.push(round);
          if (round === 3) setTimeout(() => controller.abort(), 0);
        },
      },
    );
    await expect(fitting).rejects.toThrow(/cancelled after \d+ rounds/);
    await expect(fitting).rejects.toMatchObject({ code: 'cancelled' });
    expect(seen.length).toBeLessThan(10);
  });
});

describe('gradient-boosted trees on synthetic data', () => {
  it('learns which way missing values go when missingness itself predicts the label', async () => {
    const random = seeded(1);
    const build = (n: number): { data: GbdtDataset; labels: Float64Array } => {
      const x: number[] = [];
      const noise: number[] = [];
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        const missing = random() < 0.4;
        // Present values carry no signal: the label is 1 exactly when x is missing.
        x.push(missing ? Number.NaN : random() * 10);
        noise.push(random());
        labels.push(missing ? 1 : 0);
      }
      return { data: { features: [numeric('x', x), numeric('noise', noise)] }, labels: Float64Array.from(labels) };
    };
    const train = build(2000);
    const test = build(1000);
    const { model } = await fitGbdt(train.data, train.labels, { rounds: 20 });
    const probabilities = model.predict(test.data);
    expect(accuracy(test.labels, probabilities)).toBe(1);
    const root = model.toJSON().trees[0]!;
    expect(root.feature[0]).toBe(0);
    // Every present value goes one way, missing the other.
    expect(root.threshold[0]).toBe(Number.MAX_VALUE);
    expect(root.missingLeft[0]).toBe(false);
  });

  it('solves a categorical problem that needs a subset split', async () => {
    // Label 1 for the categories {1, 4, 6, 9, 11} of 12: no threshold on the codes separates them in one split,
    // and with depth 1 (one split per tree) only a category-set split can reach full accuracy.
    const positive = new Set([1, 4, 6, 9, 11]);
    const random = seeded(2);
    const build = (n: number): { data: GbdtDataset; labels: Float64Array } => {
      const codes: number[] = [];
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        const code = Math.floor(random() * 12);
        codes.push(code);
        labels.push(positive.has(code) ? 1 : 0);
      }
      return { data: { features: [categorical('colour', codes, 12)] }, labels: Float64Array.from(labels) };
    };
    const train = build(3000);
    const test = build(1000);
    const { model } = await fitGbdt(train.data, train.labels, { rounds: 5, maxDepth: 1, learningRate: 0.5 });
    expect(accuracy(test.labels, model.predict(test.data))).toBe(1);
    const first = model.toJSON().trees[0]!;
    const left = new Set(first.categories[0]);
    // Either side may hold the positives; the split must be exactly the positive set or its complement.
    const complement = [0, 2, 3, 5, 7, 8, 10];
    const isPositiveSet = [...positive].every((code) => left.has(code)) && left.size === positive.size;
    const isComplement = complement.every((code) => left.has(code)) && left.size === complement.length;
    expect(isPositiveSet || isComplement).toBe(true);
  });

  it('maps unseen and missing category codes to the learnt missing direction', async () => {
    const codes = Array.from({ length: 400 }, (_, i) => (i % 5 === 4 ? -1 : i % 4));
    const labels = Float64Array.from(codes, (code) => (code === -1 || code === 2 ? 1 : 0));
    const { model } = await fitGbdt({ features: [categorical('c', codes, 4)] }, labels, { rounds: 30, learningRate: 0.5 });
    const p = model.predict({ features: [categorical('c', [-1, 7, 2, 0], 4)] });
    expect(p[0]).toBeGreaterThan(0.9);
    expect(p[1]).toBeGreaterThan(0.9);
    expect(p[2]).toBeGreaterThan(0.9);
    expect(p[3]).toBeLessThan(0.1);
  });

  it('fits a 3-class problem with softmax, one tree per class per round', async () => {
    const random = seeded(3);
    const build = (n: number): { data: GbdtDataset; labels: Float64Array } => {
      const a: number[] = [];
      const b: number[] = [];
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        const x = random() * 2 - 1;
        const y = random() * 2 - 1;
        a.push(x);
        b.push(y);
        labels.push(x + y < -0.3 ? 0 : x - y > 0.2 ? 1 : 2);
      }
      return { data: { features: [numeric('a', a), numeric('b', b)] }, labels: Float64Array.from(labels) };
    };
    const train = build(3000);
    const valid = build(500);
    const test = build(1000);
    const result = await fitGbdt(train.data, train.labels, { objective: 'multiclass', numClasses: 3, rounds: 80 }, { validation: valid });
    const json = result.model.toJSON();
    expect(json.outputs).toBe(3);
    expect(json.trees).toHaveLength(result.bestRound * 3);
    expect(json.trees.slice(0, 3).map((tree) => tree.classIndex)).toEqual([0, 1, 2]);
    const probabilities = result.model.predict(test.data);
    let correct = 0;
    for (let row = 0; row < test.labels.length; row++) {
      const p = probabilities.subarray(row * 3, row * 3 + 3);
      expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 12);
      const predicted = p.indexOf(Math.max(...p));
      if (predicted === test.labels[row]) correct++;
    }
    expect(correct / test.labels.length).toBeGreaterThan(0.93);
    expect(result.metricName).toBe('accuracy');
    expect(result.history[result.history.length - 1]!.validMetric).toBeGreaterThan(0.9);
  });

  it('fits a regression with R² above 0.9', async () => {
    const random = seeded(4);
    const build = (n: number): { data: GbdtDataset; labels: Float64Array } => {
      const x: number[] = [];
      const z: number[] = [];
      const group: number[] = [];
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        const xi = random() * 6 - 3;
        const zi = random() < 0.1 ? Number.NaN : random() * 4;
        const gi = Math.floor(random() * 3);
        x.push(xi);
        z.push(zi);
        group.push(gi);
        labels.push(Math.sin(xi) * 3 + (Number.isNaN(zi) ? 2 : zi) + [0, 5, -5][gi]! + (random() - 0.5) * 0.5);
      }
      return { data: { features: [numeric('x', x), numeric('z', z), categorical('group', group, 3)] }, labels: Float64Array.from(labels) };
    };
    const train = build(4000);
    const test = build(1000);
    const { model, metricName } = await fitGbdt(train.data, train.labels, { objective: 'regression', rounds: 200 });
    expect(metricName).toBe('r2');
    const predicted = model.predict(test.data);
    const mean = test.labels.reduce((sum, value) => sum + value, 0) / test.labels.length;
    let residual = 0;
    let spread = 0;
    test.labels.forEach((label, row) => {
      residual += (label - predicted[row]!) ** 2;
      spread += (label - mean) ** 2;
    });
    expect(1 - residual / spread).toBeGreaterThan(0.9);
  });

  it('grows leaf-wise up to numLeaves', async () => {
    const random = seeded(5);
    const x = Array.from({ length: 2000 }, () => random());
    const labels = Float64Array.from(x, (value) => (value > 0.5 ? 1 : 0));
    const { model } = await fitGbdt({ features: [numeric('x', x)] }, labels, { growth: 'leafwise', numLeaves: 5, maxDepth: 0, rounds: 3 });
    for (const tree of model.toJSON().trees) {
      expect(tree.feature.filter((f) => f === -1).length).toBeLessThanOrEqual(5);
    }
  });

  it('rejects bad input with messages naming the problem', async () => {
    const x = numeric('x', [1, 2, 3, 4]);
    await expect(fitGbdt({ features: [x] }, Float64Array.from([0, 1, 2, 1]), {})).rejects.toThrow(
      /Label 3 is 2; each label must be 0 or 1/,
    );
    await expect(fitGbdt({ features: [] }, Float64Array.from([0, 1]), {})).rejects.toThrow(/no features/);
    await expect(fitGbdt({ features: [x] }, Float64Array.from([0, 1, 0, 1]), { learningRate: 0 })).rejects.toThrow(/learningRate/);
    await expect(fitGbdt({ features: [x] }, Float64Array.from([0, 1, 0]), {})).rejects.toThrow(/3 labels for 4 rows/);
    await expect(
      fitGbdt({ features: [x] }, Float64Array.from([0, 1, 0, 1]), { objective: 'multiclass', numClasses: 2 }),
    ).rejects.toBeInstanceOf(KilnError);
  });
});
