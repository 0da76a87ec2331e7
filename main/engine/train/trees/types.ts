/**
 * Public shapes of the gradient-boosted trees: the column-major input, the
 * hyperparameters, the per-round progress and the JSON model.
 *
 * The JSON model is meant to be turned into an ONNX TreeEnsemble later, so its
 * split rules are stated in raw units: a numeric row goes left when
 * `x <= threshold`, a categorical row goes left when its code is in
 * `categories`, and a missing value (NaN, code -1, or a code the model never
 * saw) follows `missingLeft`.
 */

export interface NumericFeature {
  name: string;
  kind: 'numeric';
  /** One value per row; NaN marks a missing value. */
  values: Float64Array;
}

export interface CategoricalFeature {
  name: string;
  kind: 'categorical';
  /** One code per row in 0..categoryCount-1; -1 marks a missing value. */
  codes: Int32Array;
  categoryCount: number;
}

export type GbdtFeature = NumericFeature | CategoricalFeature;

/** Column-major rows: every feature holds the same number of rows. */
export interface GbdtDataset {
  features: GbdtFeature[];
}

export type GbdtObjective = 'binary' | 'multiclass' | 'regression';

/**
 * Depth-wise growth (XGBoost's default) is the default here: it matches the
 * reference scores' settings (depth 6) and gives balanced trees whose size is
 * known in advance. Leaf-wise growth (LightGBM's default) is there for the
 * search to try; `numLeaves` bounds it.
 */
export type GbdtGrowth = 'depthwise' | 'leafwise';

export interface GbdtParams {
  objective: GbdtObjective;
  /** Required for multiclass: labels are 0..numClasses-1. */
  numClasses: number;
  /** Most boosting rounds; early stopping may keep fewer. */
  rounds: number;
  learningRate: number;
  growth: GbdtGrowth;
  /** Depth limit; 0 means none (only meaningful with leaf-wise growth). */
  maxDepth: number;
  /** Leaf limit for leaf-wise growth; 0 means none (depth-wise growth). */
  numLeaves: number;
  /** L2 penalty on leaf values. */
  lambda: number;
  /** Smallest loss reduction that a split must bring (XGBoost's gamma). */
  gamma: number;
  /** Smallest hessian sum in a child. */
  minChildWeight: number;
  /** Fewest rows in a child. */
  minDataInLeaf: number;
  /** Fraction of rows drawn for each tree. */
  subsample: number;
  /** Fraction of features drawn for each tree. */
  colsampleByTree: number;
  /** Most value bins for a numeric feature (a missing bin comes on top). */
  maxBins: number;
  /** Most categories with a bin of their own; rarer ones share an "other" bin. */
  maxCategoryBins: number;
  /** Categories with fewer rows than this in a node are left out of its categorical split (they go right). */
  minDataPerCategory: number;
  /** Added to the hessian when ordering categories by G/H, so rare categories do not sort to the ends. */
  catSmooth: number;
  /** Extra L2 penalty when scoring a categorical split, which overfits more easily than a threshold. */
  catL2: number;
  /** Most categories on one side of a categorical split. */
  maxCatThreshold: number;
  /** Stop after this many rounds without a better validation loss; 0 turns early stopping off. */
  earlyStoppingRounds: number;
  seed: number;
  /**
   * Threads for histogram building, the calling thread included. 0 means
   * automatic: worker threads only when there are enough rows to pay for them.
   */
  threads: number;
}

export interface GbdtRoundProgress {
  round: number;
  trainLoss: number;
  validLoss: number | null;
  validMetric: number | null;
}

export interface GbdtFitOptions {
  validation?: { data: GbdtDataset; labels: Float64Array };
  /** Per-row training weights (class weights, for example). */
  weights?: Float64Array;
  onRound?: (progress: GbdtRoundProgress) => void;
  signal?: AbortSignal;
}

/** One tree as parallel arrays; node 0 is the root and `feature[i] === -1` marks a leaf. */
export interface GbdtTreeJson {
  /** For multiclass, the class whose margin this tree adds to; 0 otherwise. */
  classIndex: number;
  feature: number[];
  /** Numeric splits: go left when `x <= threshold`. 0 for leaves and categorical splits. */
  threshold: number[];
  /** Categorical splits: the codes that go left. Empty for leaves and numeric splits. */
  categories: number[][];
  missingLeft: boolean[];
  left: number[];
  right: number[];
  /** Leaf value (learning rate applied); 0 for split nodes. */
  value: number[];
  /** Loss reduction of each split; 0 for leaves. */
  gain: number[];
  /** Hessian sum of the training rows that reached the node. */
  cover: number[];
}

export interface NumericBinningJson {
  kind: 'numeric';
  /** Upper edges of the value bins but the last: bin b holds edges[b-1] < x <= edges[b]. */
  edges: number[];
}

export interface CategoricalBinningJson {
  kind: 'categorical';
  categoryCount: number;
  /** Bin of each code; codes folded into "other" share its bin. */
  binOfCode: number[];
  valueBins: number;
}

export type FeatureBinningJson = NumericBinningJson | CategoricalBinningJson;

/** A tree as scoring and export need it; the split statistics are the learner's, for importance, and may be left out. */
export type EnsembleTreeJson = Omit<GbdtTreeJson, 'gain' | 'cover'> & Partial<Pick<GbdtTreeJson, 'gain' | 'cover'>>;

/** What scoring a set of trees needs: each output is its base score plus the values of the leaves its trees reach. */
export interface TreeEnsembleJson {
  /** Margins per row: numClasses for multiclass, 1 otherwise. */
  outputs: number;
  /** Starting margin per output. */
  baseScore: number[];
  features: { name: string; kind: 'numeric' | 'categorical'; categoryCount?: number }[];
  trees: EnsembleTreeJson[];
}

export interface GbdtModelJson extends TreeEnsembleJson {
  format: 'kiln-gbdt';
  version: 1;
  objective: GbdtObjective;
  binning: FeatureBinningJson[];
  trees: GbdtTreeJson[];
  /** Rounds kept (after early stopping); each round holds `outputs` trees. */
  rounds: number;
  params: GbdtParams;
}

export interface FeatureImportance {
  name: string;
  gain: number;
  splits: number;
}
