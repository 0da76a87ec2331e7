/**
 * A multilayer perceptron in tfjs: `layers` hidden layers of `width` ReLU
 * units with dropout, Adam, early stopping on the validation loss, and
 * optional inverse-frequency class weights for imbalanced targets.
 */
import type { Task } from '../../../../shared/api/train.js';
import type { FittedModel, Trainer } from '../types.js';
import { fitNetwork, outputActivation } from './neural.js';

/** Each layer computes `activation(x · weights + bias)`; the last layer's activation is the link. */
export interface MlpModelJson {
  kind: 'mlp';
  task: Task;
  columns: string[];
  layers: { weights: number[][]; bias: number[]; activation: 'relu' | 'sigmoid' | 'softmax' | 'linear' }[];
}

export const mlpTrainer: Trainer = {
  family: 'mlp',
  async fit(data, settings, _features, context): Promise<FittedModel> {
    const params = settings.mlp;
    const model = await fitNetwork(
      data,
      settings,
      {
        family: 'mlp',
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
    return {
      ...model,
      toJSON: (): MlpModelJson => {
        const arrays = model.layerArrays();
        return {
          kind: 'mlp',
          task: context.task,
          columns: [...data.dense.train.columnNames],
          layers: arrays.map((layer, index) => ({
            ...layer,
            activation: index + 1 === arrays.length ? outputActivation(context.task) : 'relu',
          })),
        };
      },
    };
  },
};
