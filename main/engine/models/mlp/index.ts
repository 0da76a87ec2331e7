/**
 * A multilayer perceptron in tfjs: `layers` hidden layers of `width` ReLU
 * units with dropout, Adam, early stopping on the validation loss, and
 * optional inverse-frequency class weights for imbalanced targets.
 */
import { z } from 'zod';
import { checkDense, DenseLayer, denseOnnx, densePredict, outputActivation, refitToBestEpoch } from '../dense.js';
import { defineFlavor, isSmallData } from '../flavor.js';
import { pick } from '../../train/random.js';

export const MlpParams = z
  .object({
    layers: z.number().int().min(1).max(8).default(2),
    width: z.number().int().min(2).max(4096).default(64),
    dropout: z.number().min(0).max(0.9).default(0.1),
    learningRate: z.number().positive().default(1e-3),
    batchSize: z.number().int().min(1).default(256),
    epochs: z.number().int().min(1).max(1000).default(60),
    /** Early stopping: epochs without a better validation loss. */
    patience: z.number().int().min(0).default(6),
    /** Weight classes inversely to their frequency (imbalanced targets). */
    classWeights: z.boolean().default(false),
  })
  .strict();
export type MlpParams = z.infer<typeof MlpParams>;

/** Each layer computes `activation(x · weights + bias)`; the last layer's activation is the link. */
export const MlpArtifact = z.object({
  kind: z.literal('mlp'),
  task: z.enum(['binary', 'multiclass', 'regression']),
  columns: z.array(z.string()),
  layers: z.array(DenseLayer),
});
export type MlpArtifact = z.infer<typeof MlpArtifact>;

export const mlpFlavor = defineFlavor({
  id: 'mlp',
  info: {
    name: 'Neural network (MLP)',
    shortLabel: 'MLP',
    description: 'A small neural network on the compute backend below.',
    progressUnit: 'epoch',
    usesBackend: true,
    autoRole: 'candidate',
  },
  params: MlpParams,
  fields: [
    {
      key: 'layers',
      label: 'Hidden layers',
      short: 'layers',
      help: 'ReLU layers between input and output.',
      kind: 'integer',
      min: 1,
      max: 8,
      summary: true,
    },
    { key: 'width', label: 'Width', short: 'width', help: 'Units per hidden layer.', kind: 'integer', min: 2, max: 4096, summary: true },
    {
      key: 'dropout',
      label: 'Dropout',
      short: 'dropout',
      help: 'Share of units dropped in training.',
      kind: 'number',
      min: 0,
      max: 0.9,
      step: 0.05,
      summary: false,
    },
    {
      key: 'learningRate',
      label: 'Learning rate',
      short: 'lr',
      help: 'Adam step size.',
      kind: 'number',
      min: 0,
      minExclusive: true,
      step: 0.0001,
      summary: false,
    },
    { key: 'batchSize', label: 'Batch size', short: 'batch', help: 'Rows per step.', kind: 'integer', min: 1, summary: false },
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
    {
      key: 'patience',
      label: 'Patience',
      short: 'patience',
      help: 'Epochs without a better validation loss before stopping; 0: off.',
      kind: 'integer',
      min: 0,
      summary: false,
    },
    {
      key: 'classWeights',
      label: 'Class weights',
      short: 'class weights',
      help: 'Weight classes inversely to their frequency.',
      kind: 'boolean',
      summary: false,
    },
  ],
  input: 'dense',
  auto: {
    order: 4,
    weight: 2,
    draw: (base, random, context) => {
      const small = isSmallData(context);
      const params = {
        ...base,
        layers: pick(random, small ? [1, 2] : [1, 2, 3]),
        width: pick(random, small ? [16, 32, 64] : [32, 64, 128, 256]),
        dropout: pick(random, small ? [0.2, 0.3, 0.5] : [0, 0.1, 0.2, 0.3]),
        learningRate: pick(random, [5e-4, 1e-3, 2e-3]),
      };
      return { params, label: `mlp ${params.layers}×${params.width}, dropout ${params.dropout}, lr ${params.learningRate}` };
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
        hidden: Array.from({ length: params.layers }, () => params.width),
        dropout: params.dropout,
        l2: 0,
        learningRate: params.learningRate,
        batchSize: params.batchSize,
        epochs: params.epochs,
        patience: params.patience,
        classWeights: params.classWeights && context.task !== 'regression',
        params: { ...params },
      },
      context,
    );
    const arrays = model.layerArrays();
    const artifact: MlpArtifact = {
      kind: 'mlp',
      task: context.task,
      columns: [...data.dense.train.columnNames],
      layers: arrays.map((layer, index) => ({
        ...layer,
        activation: index + 1 === arrays.length ? outputActivation(context.task) : 'relu',
      })),
    };
    return { ...model, validationUsedInFit: false, artifact };
  },
  artifact: MlpArtifact,
  check: (artifact, spec) => checkDense(artifact, artifact.layers, spec),
  predict: (artifact, spec, raw) => densePredict(artifact.layers, spec, raw),
  onnx: (graph, artifact, _spec, features) => ({ output: denseOnnx(graph, artifact.layers, features), kind: 'margins' }),
});
