/** Every model family behind the one Trainer interface. */
import type { ModelFamily } from '../../../../shared/api/train.js';
import type { Trainer } from '../types.js';
import { gbdtTrainer } from './gbdt.js';
import { linearTrainer } from './linear.js';
import { mlpTrainer } from './mlp.js';

export const trainers: Record<ModelFamily, Trainer> = {
  linear: linearTrainer,
  mlp: mlpTrainer,
  gbdt: gbdtTrainer,
};
