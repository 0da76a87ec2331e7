/**
 * The floor every model has to beat: the training split's class shares (so
 * the majority class is always the prediction) or, for regression, its mean,
 * whatever the row. It is a dense layer with zero weights, so it is checked,
 * scored and exported to ONNX exactly like the linear model, with parity.
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Task } from '../../../../shared/api/train.js';
import type { PreparedData } from '../../train/types.js';
import { checkDense, DenseLayer, denseOnnx, densePredict, outputActivation } from '../dense.js';
import { defineFlavor } from '../flavor.js';
import { predictionsFromMargins } from '../outputs.js';

export const BaselineParams = z.object({}).strict();
export type BaselineParams = z.infer<typeof BaselineParams>;

export const BaselineArtifact = z.object({
  kind: z.literal('baseline'),
  task: z.enum(['binary', 'multiclass', 'regression']),
  /** Encoded input columns, in order: the export's input is the same as the linear model's, and every weight on it is zero. */
  columns: z.array(z.string()),
  /** The margins every row gets: binary the log-odds of class 1, multiclass the log share of each class, regression the mean. */
  margins: z.array(z.number().finite()).min(1),
});
export type BaselineArtifact = z.infer<typeof BaselineArtifact>;

function layersOf(artifact: BaselineArtifact): DenseLayer[] {
  return [
    {
      weights: artifact.columns.map(() => artifact.margins.map(() => 0)),
      bias: artifact.margins,
      activation: outputActivation(artifact.task),
    },
  ];
}

/**
 * The constant margins of the training labels. A class absent from the
 * training rows (a cross-validation fold can lack a rare one) counts as half a
 * row, so its log share stays finite.
 */
export function constantMargins(task: Task, classes: string[], y: Float64Array): number[] {
  if (y.length === 0) return task === 'multiclass' ? classes.map(() => 0) : [0];
  if (task === 'regression') {
    let sum = 0;
    for (const value of y) sum += value;
    return [sum / y.length];
  }
  const counts = classes.map(() => 0);
  for (const value of y) counts[value] = (counts[value] ?? 0) + 1;
  const smoothed = counts.map((count) => Math.max(count, 0.5));
  const total = smoothed.reduce((sum, count) => sum + count, 0);
  const shares = smoothed.map((count) => count / total);
  if (task === 'binary') return [Math.log(shares[1]! / shares[0]!)];
  return shares.map((share) => Math.log(share));
}

function rowsOf(data: PreparedData, split: 'train' | 'valid' | 'test'): number {
  // The encoded rows, not the labels: rows scored for parity or prediction have none.
  return data.dense[split]?.rows ?? 0;
}

export const baselineFlavor = defineFlavor({
  id: 'baseline',
  info: {
    name: 'Baseline (majority class or mean)',
    shortLabel: 'Baseline',
    classifierLabel: 'Majority class',
    description: 'Ignores the features: the most common class, or the mean. Any model worth keeping beats it.',
    progressUnit: 'epoch',
    usesBackend: false,
    autoRole: 'baseline',
  },
  params: BaselineParams,
  fields: [],
  input: 'dense',
  auto: {
    // Auto fits it after the real families' defaults (it takes no time) and never draws it.
    order: 9,
    weight: 0,
    draw: (base) => ({ params: base, label: 'baseline' }),
  },
  async fit(data, _params, context) {
    const started = performance.now();
    const margins = constantMargins(context.task, context.classes, data.y.train);
    const artifact: BaselineArtifact = {
      kind: 'baseline',
      task: context.task,
      columns: [...data.dense.train.columnNames],
      margins,
    };
    const spec = data.spec;
    return {
      artifact,
      params: {},
      backend: 'native',
      device: 'CPU',
      history: [],
      trainMs: performance.now() - started,
      validationUsedInFit: false,
      predict: async (prepared, split) => {
        const rows = rowsOf(prepared, split);
        const width = margins.length;
        const repeated = new Float64Array(rows * width);
        for (let row = 0; row < rows; row++) repeated.set(margins, row * width);
        return predictionsFromMargins(spec, repeated);
      },
    };
  },
  artifact: BaselineArtifact,
  check: (artifact, spec) => checkDense(artifact, layersOf(artifact), spec),
  predict: (artifact, spec, raw) => densePredict(layersOf(artifact), spec, raw),
  onnx: (graph, artifact, _spec, features) => ({ output: denseOnnx(graph, layersOf(artifact), features), kind: 'margins' }),
});
