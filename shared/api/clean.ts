/** The recipe, cleaning steps, splits and table export. */
import { z } from 'zod';
import { CleanStep, Recipe, SplitSettings } from '../recipe.js';
import { ColumnInfo, Dataset, JobHandle, TablePage } from './core.js';
import { Id, method } from './method.js';

export const ColumnMissingChange = z.object({
  column: z.string(),
  before: z.number().int().nullable(),
  after: z.number().int().nullable(),
});
export type ColumnMissingChange = z.infer<typeof ColumnMissingChange>;

/** A fill value an impute step learnt (or was given and cast to the column's type); never missing, or the step refuses to run. */
export const FittedFill = z.union([z.string(), z.number(), z.boolean()]);
export type FittedFill = z.infer<typeof FittedFill>;

/** The low and high bound a clip step learnt; null when the column had no numbers to learn them from, and it is left as it is. */
export const FittedBounds = z.tuple([z.number().nullable(), z.number().nullable()]);
export type FittedBounds = z.infer<typeof FittedBounds>;

/**
 * What one step learnt from the data it saw, by column: impute steps a fill
 * value, clip steps bounds. The export rebuilds the same preprocessing from it.
 */
export const StepFitted = z.record(z.string(), z.union([FittedFill, FittedBounds]));
export type StepFitted = z.infer<typeof StepFitted>;

/** What one step did to the table it saw. */
export const StepEffect = z.object({
  stepId: z.string(),
  enabled: z.boolean(),
  rowsBefore: z.number().int(),
  rowsAfter: z.number().int(),
  /** Missing cells over all columns. */
  missingBefore: z.number().int(),
  missingAfter: z.number().int(),
  /** Columns whose missing count changed, appeared (before is null) or went (after is null). */
  columns: z.array(ColumnMissingChange),
  /** Values the step learnt from the data it saw (means, medians, bounds), for display; null for steps that learn nothing. */
  fitted: StepFitted.nullable(),
});
export type StepEffect = z.infer<typeof StepEffect>;

export const CleanPreview = z.object({
  effects: z.array(StepEffect),
  result: TablePage,
});
export type CleanPreview = z.infer<typeof CleanPreview>;

export const CleanResult = z.object({
  dataset: Dataset,
  /** True when the same steps had already been applied to the same version. */
  reused: z.boolean(),
});
export type CleanResult = z.infer<typeof CleanResult>;

export const SplitPart = z.object({ version: z.string(), rows: z.number().int(), path: z.string() });
export type SplitPart = z.infer<typeof SplitPart>;

export const DatasetSplit = z.object({
  id: z.string(),
  datasetId: z.string(),
  sourceVersion: z.string(),
  settings: SplitSettings,
  train: SplitPart,
  valid: SplitPart.nullable(),
  test: SplitPart.nullable(),
  createdAt: z.string(),
});
export type DatasetSplit = z.infer<typeof DatasetSplit>;

export const ExportResult = z.object({ path: z.string(), rows: z.number().int(), bytes: z.number().int(), columns: z.array(ColumnInfo) });
export type ExportResult = z.infer<typeof ExportResult>;

const steps = z.array(CleanStep).max(200, 'Keep a recipe under 200 cleaning steps.');

export const cleanMethods = {
  'recipe.get': method(z.object({ projectId: Id }), Recipe, "The project's recipe (an empty one when none is saved)."),
  'recipe.save': method(z.object({ projectId: Id, recipe: Recipe }), Recipe, "Save the project's recipe."),
  'clean.preview': method(
    z.object({ datasetId: Id, steps, limit: z.number().int().min(1).max(1000).default(100) }),
    CleanPreview,
    'Each step’s effect on rows and missing values, and the first rows of the result.',
  ),
  'clean.apply': method(
    z.object({ datasetId: Id, steps }),
    JobHandle,
    'Write the cleaned table as a new dataset version. Returns a job; its result is a CleanResult.',
  ),
  'split.create': method(
    z.object({ datasetId: Id }).and(SplitSettings),
    JobHandle,
    'Split a dataset into train, validation and test tables. Returns a job; its result is a DatasetSplit.',
  ),
  'split.list': method(z.object({ datasetId: Id }), z.array(DatasetSplit), 'Splits made of a dataset, newest first.'),
  'datasets.exportTable': method(
    z.object({ datasetId: Id, format: z.enum(['parquet', 'csv']), path: z.string().min(1, 'Give the path to write to.') }),
    ExportResult,
    'Write a dataset to a Parquet or CSV file.',
  ),
} as const;
