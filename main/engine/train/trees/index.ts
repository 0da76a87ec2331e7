/**
 * The histogram tree learner (as LightGBM or XGBoost's `hist`), in
 * TypeScript, shared by the tree families: native categorical splits, missing
 * directions learnt per split, worker threads for histograms on large data.
 * Boosting (train.ts: shrinkage, row and column subsampling, early stopping)
 * and bagging (forest.ts: bootstrap samples, features drawn per split) grow
 * their trees with the same code and score them with TreeEnsembleModel.
 */
export { fitGbdt, defaultGbdtParams, PARALLEL_MIN_ROWS, PARALLEL_MIN_CORES, type GbdtFitResult } from './train.js';
export { fitForest, forestPredictions, type ForestParams } from './forest.js';
export { GbdtModel, TreeEnsembleModel } from './model.js';
export { rocAuc } from './objectives.js';
export type * from './types.js';
