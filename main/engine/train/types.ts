/**
 * The internal shapes of training, shared by the data loader, the trainers and
 * the run supervisor. Nothing here crosses the UI boundary (see shared/api/train.ts).
 */
import type { BackendName, EpochRecord, ParamValue, Task, TrainSettings } from '../../../shared/api/train.js';
import type { GbdtDataset } from './trees/types.js';

/** One split (train, validation or test) as typed arrays, column by column, before encoding. */
export interface RawColumns {
  rows: number;
  /** Numeric features: NaN marks a missing value. */
  numeric: Map<string, Float64Array>;
  /** Categorical features: the text values, null for missing. */
  categorical: Map<string, (string | null)[]>;
  /** The target: class index (classification) or value (regression). */
  y: Float64Array;
}

/**
 * The preprocessing fitted on the training split: imputation values, scaling,
 * category lists. Plain JSON, stored with the run, and what the ONNX export
 * turns into Imputer/Scaler/OneHotEncoder nodes.
 */
export interface PreprocessingSpec {
  task: Task;
  target: string;
  /** Classification: the class names in label order. */
  classes: string[];
  numeric: { name: string; fill: number; mean: number; std: number; standardize: boolean }[];
  /** `levels` keep their own code/column; anything else, unseen values included, is "other" (the last code). Missing values are imputed first. */
  categorical: { name: string; fill: string; levels: string[] }[];
}

/** Row-major dense features for linear and neural models. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  values: Float32Array;
  /** One name per column, e.g. `age` or `workclass=Private`. */
  columnNames: string[];
}

/** The encoded splits a trainer receives. Trees get native columns; the others get dense matrices. */
export interface PreparedData {
  spec: PreprocessingSpec;
  dense: { train: DenseMatrix; valid: DenseMatrix | null; test: DenseMatrix | null };
  trees: { train: GbdtDataset; valid: GbdtDataset | null; test: GbdtDataset | null };
  y: { train: Float64Array; valid: Float64Array | null; test: Float64Array | null };
}

/** A batch of rows for a neural model. */
export interface Batch {
  x: Float32Array;
  y: Float32Array;
  rows: number;
}

/**
 * Where batches come from. The next batch is prepared while the current one
 * computes; the trainer reports how long it waited for each one.
 */
export interface BatchSource {
  readonly rows: number;
  readonly cols: number;
  /** Shuffled with the seed and the epoch number, so runs repeat exactly. */
  batches(epoch: number, batchSize: number): AsyncIterable<Batch>;
}

export interface TrainerProgress {
  record: EpochRecord;
  /** 0..1 of the planned epochs or rounds. */
  fraction: number;
}

export interface TrainerContext {
  task: Task;
  classes: string[];
  seed: number;
  /** The compute backend asked for; families that do not use one ignore it. */
  backend: TrainSettings['backend'];
  signal: AbortSignal;
  onProgress(progress: TrainerProgress): void;
  /**
   * The fit is a cross-validation fold: only its validation score is read, so
   * a family that would refit on train + validation (the boosted trees) skips it.
   */
  foldOnly?: boolean;
}

/** What a run records as its params: the family's settings plus what the fit found (best round, epochs trained). */
export type RecordedParams = Record<string, ParamValue>;

/** A fitted model: its saved artifact, and predictions on the encoded splits for scoring. */
export interface FittedModel<Artifact> {
  /** What is saved as the run's model and read back, through the family's artifact schema, to predict and to export. */
  artifact: Artifact;
  params: RecordedParams;
  /** Classification: row-major probabilities, rows × classes (binary: 2 columns). Regression: one value per row. */
  predict(data: PreparedData, split: 'train' | 'valid' | 'test'): Promise<Float64Array>;
  backend: BackendName | 'native';
  device: string;
  history: EpochRecord[];
  trainMs: number;
  /**
   * The kept model has trained on the validation rows (refit on train + validation):
   * its validation score would flatter it, so Auto chooses by the history's validation curve and the UI says so.
   */
  validationUsedInFit: boolean;
  /** Frees what the model holds outside the JS heap (tfjs tensors), once it is scored and saved. */
  dispose?(): void;
}
