/**
 * Linear models: logistic regression (sigmoid for two classes, softmax for
 * more) and linear regression, with an L2 penalty, trained in tfjs with Adam
 * on mini-batches and stopped early on the validation loss.
 */
import { z } from 'zod';
import { checkDense, DenseLayer, denseOnnx, densePredict, outputActivation, refitToBestEpoch } from '../dense.js';
import { defineFlavor, isSmallData } from '../flavor.js';
import { pick } from '../../train/random.js';

export const LinearParams = z
  .object({
    l2: z.number().min(0).default(1e-4),
    learningRate: z.number().positive().default(0.05),
    batchSize: z.number().int().min(1).default(512),
    epochs: z.number().int().min(1).max(1000).default(40),
    patience: z.number().int().min(0).default(5),
  })
  .strict();
export type LinearParams = z.infer<typeof LinearParams>;

/** The weights as the export reads them: `score = x · weights + bias`, then the link. */
export const LinearArtifact = z.object({
  kind: z.literal('linear'),
  task: z.enum(['binary', 'multiclass', 'regression']),
  link: z.enum(['sigmoid', 'softmax', 'linear']),
  /** Encoded input columns, in order. */
  columns: z.array(z.string()),
  /** inputs × outputs (one output for binary and regression, one per class for multiclass). */
  weights: z.array(z.array(z.number().finite())),
  bias: z.array(z.number().finite()),
});
export type LinearArtifact = z.infer<typeof LinearArtifact>;

function layersOf(artifact: LinearArtifact): DenseLayer[] {
  return [{ weights: artifact.weights, bias: artifact.bias, activation: artifact.link }];
}

export const linearFlavor = defineFlavor({
  id: 'linear',
  info: {
    name: 'Logistic/linear regression',
    shortLabel: 'Linear',
    classifierLabel: 'Logistic',
    description: 'Fast and easy to read; a baseline.',
    progressUnit: 'epoch',
    usesBackend: true,
    autoRole: 'reference',
  },
  params: LinearParams,
  fields: [
    { key: 'l2', label: 'L2', short: 'L2', help: 'Penalty on the squared weights.', kind: 'number', min: 0, step: 0.0001, summary: true },
    {
      key: 'learningRate',
      label: 'Learning rate',
      short: 'lr',
      help: 'Adam step size.',
      kind: 'number',
      min: 0,
      minExclusive: true,
      step: 0.01,
      summary: false,
    },
    {
      key: 'epochs',
      label: 'Epochs',
      short: 'epochs',
      help: 'Most passes over the data.',
      kind: 'integer',
      min: 1,
      max: 1000,
      summary: false,
    },
    { key: 'batchSize', label: 'Batch size', short: 'batch', help: 'Rows per step.', kind: 'integer', min: 1, summary: false },
    {
      key: 'patience',
      label: 'Patience',
      short: 'patience',
      help: 'Epochs without a better validation loss before stopping; 0: off.',
      kind: 'integer',
      min: 0,
      summary: false,
    },
  ],
  input: 'dense',
  auto: {
    order: 3,
    weight: 1,
    draw: (base, random, context) => {
      const l2 = pick(random, isSmallData(context) ? [1e-3, 3e-3, 1e-2, 3e-2, 0.1] : [1e-6, 1e-5, 1e-4, 1e-3, 1e-2]);
      return { params: { ...base, l2 }, label: `linear l2 ${l2}` };
    },
    refit: refitToBestEpoch,
  },
  divergenceHint: (params) => `Try a lower learning rate (it is ${params.learningRate}).`,
  async fit(data, params, context) {
    // tfjs is loaded only to train: export and scoring never need it.
    const { fitNetwork } = await import('../../train/neural.js');
    const model = await fitNetwork(
      data,
      {
        hidden: [],
        dropout: 0,
        l2: params.l2,
        learningRate: params.learningRate,
        batchSize: params.batchSize,
        epochs: params.epochs,
        patience: params.patience,
        classWeights: false,
        params: { ...params },
      },
      context,
    );
    const [layer] = model.layerArrays();
    const artifact: LinearArtifact = {
      kind: 'linear',
      task: context.task,
      link: outputActivation(context.task),
      columns: [...data.dense.train.columnNames],
      weights: layer!.weights,
      bias: layer!.bias,
    };
    return { ...model, validationUsedInFit: false, artifact };
  },
  artifact: LinearArtifact,
  check: (artifact, spec) => checkDense(artifact, layersOf(artifact), spec),
  predict: (artifact, spec, raw) => densePredict(layersOf(artifact), spec, raw),
  onnx: (graph, artifact, _spec, features) => ({ output: denseOnnx(graph, layersOf(artifact), features), kind: 'margins' }),
});
