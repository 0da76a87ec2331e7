/**
 * The internal shapes of training, shared by the data loader, the trainers and
 * the run supervisor. Nothing here crosses the UI boundary (see shared/api/train.ts).
 */
import type { BackendName, EpochRecord, FeatureSettings, ModelFamily, Task, TrainSettings } from '../../../shared/api/train.js';
import type { GbdtDataset } from './gbdt/types.js';

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
  signal: AbortSignal;
  onProgress(progress: TrainerProgress): void;
}

/** A fitted model that predicts from encoded data: probabilities (rows × classes) or values (rows). */
export interface FittedModel {
  family: ModelFamily;
  params: Record<string, unknown>;
  /** Classification: row-major probabilities, rows × classes (binary: 2 columns). Regression: one value per row. */
  predict(data: PreparedData, split: 'train' | 'valid' | 'test'): Promise<Float64Array>;
  /** Plain JSON of the weights or trees, stored as the run's artifact and read by the ONNX export. */
  toJSON(): unknown;
  backend: BackendName | 'native';
  device: string;
  history: EpochRecord[];
  trainMs: number;
  /** Frees what the model holds outside the JS heap (tfjs tensors), once it is scored and saved. */
  dispose?(): void;
}

/** Every model family behind one interface. */
export interface Trainer {
  family: ModelFamily;
  fit(data: PreparedData, settings: TrainSettings, features: FeatureSettings, context: TrainerContext): Promise<FittedModel>;
}
