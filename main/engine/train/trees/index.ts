/**
 * Gradient-boosted decision trees, histogram-based (as LightGBM or XGBoost's
 * `hist`), in TypeScript: native categorical splits, missing directions learnt
 * per split, shrinkage, row and column subsampling, early stopping, and
 * worker threads for histograms on large data.
 */
export { fitGbdt, defaultGbdtParams, PARALLEL_MIN_ROWS, PARALLEL_MIN_CORES, type GbdtFitResult } from './train.js';
export { GbdtModel } from './model.js';
export { rocAuc } from './objectives.js';
export type * from './types.js';
