/**
 * The recipe: every setting of a project's wizard, as versioned JSON, so a run
 * can be repeated headless (`kiln run recipe.json`). Each section belongs to one
 * step of the wizard; later steps add their own optional section here and bump
 * nothing else. `schemaVersion` changes only when an existing field changes meaning.
 */
import { z } from 'zod';
import { FeatureSettings, TrainSettings } from './api/train.js';

export const recipeSchemaVersion = 1;

const columnName = z.string().min(1, 'Name a column.');
const columnList = z.array(columnName);
const stepId = z.string().min(1, 'Every step needs an id.').max(64);

/** Fields every cleaning step has. */
const stepBase = {
  id: stepId,
  enabled: z.boolean().default(true),
  /** A note the user keeps with the step; not used by the engine. */
  note: z.string().max(500).optional(),
};

export const castTargets = ['BIGINT', 'DOUBLE', 'VARCHAR', 'BOOLEAN', 'DATE', 'TIMESTAMP'] as const;
export const imputeMethods = ['mean', 'median', 'mostFrequent', 'constant'] as const;
export const textOperations = ['trim', 'replace', 'removeTrailing', 'removeLeading', 'lowercase', 'uppercase'] as const;
export const filterOperators = ['=', '!=', '<', '<=', '>', '>=', 'contains', 'startsWith', 'isMissing', 'notMissing', 'in'] as const;
export const dateParts = ['year', 'month', 'day', 'weekday', 'hour'] as const;

export const DropColumnsStep = z.object({
  type: z.literal('dropColumns'),
  ...stepBase,
  columns: columnList.min(1, 'Choose at least one column to drop.'),
});

export const DropMissingRowsStep = z.object({
  type: z.literal('dropMissingRows'),
  ...stepBase,
  /** Empty means every column. */
  columns: columnList.default([]),
  /** `any`: drop a row when any of the columns is missing; `all`: only when all of them are. */
  how: z.enum(['any', 'all']).default('any'),
});

export const ImputeStep = z
  .object({
    type: z.literal('impute'),
    ...stepBase,
    columns: columnList.min(1, 'Choose at least one column to impute.'),
    method: z.enum(imputeMethods),
    /** The fill value for `constant`, as text; it is cast to each column's type. */
    value: z.string().optional(),
  })
  .refine((step) => step.method !== 'constant' || step.value !== undefined, {
    message: 'A constant imputation needs a value.',
    path: ['value'],
  });

export const CastTypeStep = z.object({
  type: z.literal('castType'),
  ...stepBase,
  columns: columnList.min(1, 'Choose at least one column to convert.'),
  to: z.enum(castTargets),
});

export const TextStep = z
  .object({
    type: z.literal('text'),
    ...stepBase,
    columns: columnList.min(1, 'Choose at least one text column.'),
    operation: z.enum(textOperations),
    /** `replace`: the text to find. `removeTrailing`/`removeLeading`: the characters to remove, e.g. `.`. */
    find: z.string().optional(),
    /** `replace`: what replaces it. */
    replacement: z.string().default(''),
  })
  .refine((step) => !['replace', 'removeTrailing', 'removeLeading'].includes(step.operation) || (step.find ?? '').length > 0, {
    message: 'Say which text to find or remove.',
    path: ['find'],
  });

export const FilterCondition = z
  .object({
    column: columnName,
    operator: z.enum(filterOperators),
    /** Compared as the column's type; unused by isMissing/notMissing. */
    value: z.string().optional(),
    /** For `in`. */
    values: z.array(z.string()).optional(),
  })
  .refine((condition) => ['isMissing', 'notMissing', 'in'].includes(condition.operator) || condition.value !== undefined, {
    message: 'This condition needs a value.',
    path: ['value'],
  })
  .refine((condition) => condition.operator !== 'in' || (condition.values ?? []).length > 0, {
    message: 'List at least one value for "in".',
    path: ['values'],
  });
export type FilterCondition = z.infer<typeof FilterCondition>;

export const FilterRowsStep = z.object({
  type: z.literal('filterRows'),
  ...stepBase,
  condition: FilterCondition,
  /** Keep the rows that match (the usual filter) or remove them. A missing value never matches. */
  keep: z.enum(['matching', 'notMatching']).default('matching'),
});

export const RemoveDuplicatesStep = z.object({
  type: z.literal('removeDuplicates'),
  ...stepBase,
  /** Rows are duplicates when these columns are equal; empty means all columns. The first row is kept. */
  columns: columnList.default([]),
});

export const ClipOutliersStep = z
  .object({
    type: z.literal('clipOutliers'),
    ...stepBase,
    columns: columnList.min(1, 'Choose at least one numeric column.'),
    method: z.enum(['percentile', 'iqr']),
    /** Percentile bounds as fractions, e.g. 0.01 and 0.99. */
    low: z.number().min(0).max(1).default(0.01),
    high: z.number().min(0).max(1).default(0.99),
    /** IQR multiplier: values beyond Q1 − k·IQR and Q3 + k·IQR are clipped. */
    k: z.number().positive('k must be above 0.').default(1.5),
  })
  .refine((step) => step.method !== 'percentile' || step.low < step.high, {
    message: 'The low percentile must be below the high one.',
    path: ['low'],
  });

export const ParseDateStep = z.object({
  type: z.literal('parseDate'),
  ...stepBase,
  column: columnName,
  /** A strptime format such as `%d/%m/%Y`; without one, ISO dates and timestamps are read. */
  format: z.string().optional(),
  parts: z.array(z.enum(dateParts)).min(1, 'Choose at least one part.').default(['year', 'month', 'day', 'weekday']),
  dropOriginal: z.boolean().default(false),
});

export const MaskPersonalStep = z.object({
  type: z.literal('maskPersonal'),
  ...stepBase,
  columns: columnList.min(1, 'Choose at least one column to mask.'),
  /** `sha256`: replace with a hash (equal values stay equal). `mask`: keep only the last `keepLast` characters. */
  method: z.enum(['sha256', 'mask']),
  keepLast: z.number().int().min(0).max(64).default(4),
});

export const CleanStep = z.discriminatedUnion('type', [
  DropColumnsStep,
  DropMissingRowsStep,
  ImputeStep,
  CastTypeStep,
  TextStep,
  FilterRowsStep,
  RemoveDuplicatesStep,
  ClipOutliersStep,
  ParseDateStep,
  MaskPersonalStep,
]);
export type CleanStep = z.infer<typeof CleanStep>;
export type CleanStepInput = z.input<typeof CleanStep>;
export type CleanStepType = CleanStep['type'];
export type CleanStepOf<T extends CleanStepType> = Extract<CleanStep, { type: T }>;

export const cleanStepTitles: Record<CleanStepType, string> = {
  dropColumns: 'Drop columns',
  dropMissingRows: 'Drop rows with missing values',
  impute: 'Fill missing values',
  castType: 'Change type',
  text: 'Edit text',
  filterRows: 'Filter rows',
  removeDuplicates: 'Remove duplicates',
  clipOutliers: 'Clip outliers',
  parseDate: 'Parse dates',
  maskPersonal: 'Mask personal data',
};

export const SplitSettings = z
  .object({
    /** The column to predict; needed to stratify. */
    target: z.string().min(1).optional(),
    task: z.enum(['classification', 'regression']).optional(),
    train: z.number().min(0).max(1).default(0.7),
    valid: z.number().min(0).max(1).default(0.15),
    test: z.number().min(0).max(1).default(0.15),
    seed: z.number().int().min(0).max(2_147_483_647).default(42),
    /** Keep each target class's share the same in every split (classification only). */
    stratify: z.boolean().default(true),
    /** A separate test file: it goes through the same cleaning steps and becomes the test split. */
    testFile: z.string().min(1).optional(),
  })
  .refine((split) => split.train > 0, { message: 'The training split cannot be empty.', path: ['train'] })
  .refine((split) => split.testFile !== undefined || Math.abs(split.train + split.valid + split.test - 1) < 1e-6, {
    message: 'train, valid and test must add up to 1.',
    path: ['train'],
  });
export type SplitSettings = z.infer<typeof SplitSettings>;
export type SplitSettingsInput = z.input<typeof SplitSettings>;

export const RecipeDataset = z.object({
  /** The CSV file; in a recipe file, relative paths are relative to the recipe file. */
  path: z.string().min(1, 'Give the path of the CSV file.'),
  name: z.string().min(1).max(255).optional(),
});

export const Recipe = z.object({
  schemaVersion: z.literal(recipeSchemaVersion, { message: `This Kiln reads recipes with schemaVersion ${recipeSchemaVersion}.` }),
  dataset: RecipeDataset.optional(),
  clean: z.array(CleanStep).default([]),
  split: SplitSettings.optional(),
  features: FeatureSettings.optional(),
  train: TrainSettings.optional(),
});
export type Recipe = z.infer<typeof Recipe>;
export type RecipeInput = z.input<typeof Recipe>;

export function emptyRecipe(): Recipe {
  return { schemaVersion: recipeSchemaVersion, clean: [] };
}

/** The zod path of the first problem in a recipe, and what is wrong there, e.g. `clean.0.columns: Choose at least one column`. */
export function describeRecipeError(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  const field = issue ? issue.path.map(String).join('.') : '';
  return { field, message: issue ? (field ? `${field}: ${issue.message}` : issue.message) : 'The recipe is not valid.' };
}
