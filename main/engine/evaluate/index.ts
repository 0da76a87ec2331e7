export { evaluateClassification } from './classification.js';
export { evaluateRegression } from './regression.js';
export type * from './types.js';
