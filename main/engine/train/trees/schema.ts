/**
 * The zod form of the saved trees (types.ts), so a stored model is checked
 * field by field when it is read back rather than trusted. Only what scoring
 * and export read is required; the learner's statistics (gain, cover), its
 * bins and its params are kept when present.
 */
import { z } from 'zod';
import type { EnsembleTreeJson, GbdtParams } from './types.js';

const finite = z.number().finite();
const index = z.number().int();

export const TreeJsonSchema = z.object({
  classIndex: index.min(0),
  feature: z.array(index),
  // Largest-double thresholds (every present value left) are finite; JSON cannot hold infinities anyway.
  threshold: z.array(finite),
  categories: z.array(z.array(index)),
  missingLeft: z.array(z.boolean()),
  left: z.array(index),
  right: z.array(index),
  value: z.array(finite),
  gain: z.array(finite).optional(),
  cover: z.array(finite).optional(),
}) satisfies z.ZodType<EnsembleTreeJson>;

export const TreeFeatureSchema = z.object({
  name: z.string(),
  kind: z.enum(['numeric', 'categorical']),
  categoryCount: index.min(0).optional(),
});

const BinningSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('numeric'), edges: z.array(finite) }),
  z.object({ kind: z.literal('categorical'), categoryCount: index, binOfCode: z.array(index), valueBins: index }),
]);

export const GbdtModelSchema = z.object({
  format: z.literal('kiln-gbdt'),
  version: z.literal(1),
  objective: z.enum(['binary', 'multiclass', 'regression']),
  outputs: index.min(1),
  baseScore: z.array(finite),
  features: z.array(TreeFeatureSchema),
  binning: z.array(BinningSchema).optional(),
  trees: z.array(TreeJsonSchema),
  rounds: index.min(0).optional(),
  // Recorded for reading, not for scoring: checked only for being an object.
  params: z.custom<GbdtParams>((value) => typeof value === 'object' && value !== null && !Array.isArray(value)).optional(),
});
