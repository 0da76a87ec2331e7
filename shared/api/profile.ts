/** Profiles of a dataset: per-column statistics, correlations, association with a target, warnings. */
import { z } from 'zod';
import { JobHandle } from './core.js';
import { Id, method } from './method.js';

export const ColumnKind = z.enum(['numeric', 'categorical', 'boolean', 'temporal']);
export type ColumnKind = z.infer<typeof ColumnKind>;

export const NumericSummary = z.object({
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  /** Sample standard deviation; null with fewer than two values. */
  std: z.number().nullable(),
  /** Sample skewness; null when the column has no spread. */
  skewness: z.number().nullable(),
  quantiles: z.object({
    p01: z.number(),
    p05: z.number(),
    p25: z.number(),
    p50: z.number(),
    p75: z.number(),
    p95: z.number(),
    p99: z.number(),
  }),
  zeros: z.number().int(),
});
export type NumericSummary = z.infer<typeof NumericSummary>;

/** A histogram bin covers [low, high) (the last one includes its high edge); integer bins of width one have low === high. */
export const HistogramBin = z.object({ low: z.number(), high: z.number(), count: z.number().int() });
export type HistogramBin = z.infer<typeof HistogramBin>;

export const TopValues = z.object({
  values: z.array(z.object({ value: z.string(), count: z.number().int() })),
  /** Non-missing rows whose value is not among `values`. */
  other: z.number().int(),
});
export type TopValues = z.infer<typeof TopValues>;

export const ColumnProfile = z.object({
  name: z.string(),
  /** The DuckDB type of the stored column. */
  type: z.string(),
  kind: ColumnKind,
  count: z.number().int(),
  missing: z.number().int(),
  missingShare: z.number(),
  distinct: z.number().int(),
  numeric: NumericSummary.nullable(),
  /** Earliest and latest value of a date or timestamp column, as ISO text. */
  range: z.object({ min: z.string(), max: z.string() }).nullable(),
  histogram: z.array(HistogramBin).nullable(),
  top: TopValues.nullable(),
});
export type ColumnProfile = z.infer<typeof ColumnProfile>;

export const WarningKind = z.enum([
  'all_missing',
  'constant',
  'id_like',
  'leakage',
  'skewed',
  'date_like',
  'email',
  'phone',
  'mostly_missing',
]);
export type WarningKind = z.infer<typeof WarningKind>;

export const ProfileWarning = z.object({ column: z.string(), kind: WarningKind, message: z.string() });
export type ProfileWarning = z.infer<typeof ProfileWarning>;

export const AssociationMeasure = z.enum(['cramers_v', 'eta', 'abs_pearson']);
export type AssociationMeasure = z.infer<typeof AssociationMeasure>;

export const Associations = z.object({
  target: z.string(),
  /** A categorical target is text or boolean, or whole numbers with at most 20 distinct values. */
  targetKind: z.enum(['categorical', 'numeric']),
  /** How the measures were computed, in words, for people. */
  method: z.string(),
  /** Strongest first. Values are in 0..1. */
  items: z.array(z.object({ column: z.string(), measure: AssociationMeasure, value: z.number() })),
});
export type Associations = z.infer<typeof Associations>;

export const DatasetProfile = z.object({
  datasetId: z.string(),
  version: z.string(),
  optionsHash: z.string(),
  createdAt: z.string(),
  computeMs: z.number(),
  /** Rows in the stored table. */
  rowCount: z.number().int(),
  /** Rows the statistics were computed over: all of them unless a sample was asked for. */
  profiledRows: z.number().int(),
  sample: z.number().int().nullable(),
  target: z.string().nullable(),
  /** Distinct counts are exact up to a million profiled rows, HyperLogLog estimates above. */
  distinctMethod: z.enum(['exact', 'approximate']),
  /** Quantiles are exact up to a million profiled rows, approximate (t-digest) above. */
  quantileMethod: z.enum(['exact', 'approximate']),
  columns: z.array(ColumnProfile),
  correlation: z.object({
    method: z.literal('pearson'),
    columns: z.array(z.string()),
    /** Symmetric, 1 on the diagonal; null where a pair has fewer than two rows in common or no spread. */
    matrix: z.array(z.array(z.number().nullable())),
    /** Numeric columns left out of the matrix to keep it readable (only the first 60 with spread are kept). */
    omitted: z.number().int(),
  }),
  associations: Associations.nullable(),
  warnings: z.array(ProfileWarning),
});
export type DatasetProfile = z.infer<typeof DatasetProfile>;

export const ProfileOptions = z.object({
  datasetId: Id,
  /** The column to measure every feature's association with. */
  target: z.string().min(1).max(1000).optional(),
  /** Profile a seeded random sample of this many rows instead of the whole table. */
  sample: z.number().int().min(10, 'A sample needs at least 10 rows.').max(1_000_000_000).optional(),
});
export type ProfileOptions = z.infer<typeof ProfileOptions>;

export const ProfileJobResult = z.object({
  datasetId: z.string(),
  version: z.string(),
  optionsHash: z.string(),
  /** True when an earlier profile with the same version and options was reused. */
  fromCache: z.boolean(),
});
export type ProfileJobResult = z.infer<typeof ProfileJobResult>;

export const profileMethods = {
  'profile.compute': method(
    ProfileOptions,
    JobHandle,
    'Profile a dataset with SQL over the whole table (or a sample). Returns a job; its result is a ProfileJobResult, and profile.get then returns the profile.',
  ),
  'profile.get': method(
    ProfileOptions,
    DatasetProfile.nullable(),
    'The cached profile for these options, or null when none has been computed yet.',
  ),
} as const;
