/**
 * Linear models in tfjs: logistic regression (sigmoid for two classes,
 * softmax for more) and linear regression, with an L2 penalty, trained with
 * Adam on mini-batches and stopped early on the validation loss.
 */
import type { Task } from '../../../../shared/api/train.js';
import type { FittedModel, Trainer } from '../types.js';
import { fitNetwork, outputActivation } from './neural.js';

/** The weights as the ONNX export reads them: `score = x · weights + bias`, then the link. */
export interface LinearModelJson {
  kind: 'linear';
  task: Task;
  link: 'sigmoid' | 'softmax' | 'linear';
  /** Encoded input columns, in order. */
  columns: string[];
  /** inputs × outputs (one output for binary and regression, one per class for multiclass). */
  weights: number[][];
  bias: number[];
}

export const linearTrainer: Trainer = {
  family: 'linear',
  async fit(data, settings, _features, context): Promise<FittedModel> {
    const params = settings.linear;
    const model = await fitNetwork(
      data,
      settings,
      {
        family: 'linear',
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
    return {
      ...model,
      toJSON: (): LinearModelJson => {
        const [layer] = model.layerArrays();
        return {
          kind: 'linear',
          task: context.task,
          link: outputActivation(context.task),
          columns: [...data.dense.train.columnNames],
          weights: layer!.weights,
          bias: layer!.bias,
        };
      },
    };
  },
};
