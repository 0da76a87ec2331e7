/**
 * The training profile: each feature's distribution in the training split,
 * which the server compares recent inputs against (GET /drift). The exporter
 * writes it in this form, into the ONNX metadata and into schema.json.
 */
import * as z from 'zod';

const Share = z
  .number({ error: 'must be a share between 0 and 1' })
  .min(0, 'must be a share between 0 and 1')
  .max(1, 'must be a share between 0 and 1');
const FiniteNumber = z.number().refine(Number.isFinite, 'must be a finite number');

function ascending(edges: readonly number[]): boolean {
  return edges.every((edge, index) => index === 0 || edge > edges[index - 1]!);
}

/** Inner cut points (bins.ts), strictly ascending. */
export const Edges = z
  .array(FiniteNumber, { error: 'must be an array of finite numbers (the inner cut points)' })
  .refine(ascending, 'must be strictly ascending');

/** A numeric profile has one share per bin; the message names the count, since a client fixing schema.json by hand needs it. */
function oneSharePerBin(profile: { edges: number[]; shares: number[] }, context: z.RefinementCtx): void {
  if (profile.shares.length !== profile.edges.length + 1) {
    context.addIssue({
      code: 'custom',
      path: ['shares'],
      message: `must be ${profile.edges.length + 1} shares between 0 and 1 (one per bin: edges.length + 1)`,
    });
  }
}

export const NumericProfile = z
  .object({
    name: z.string(),
    kind: z.literal('numeric'),
    edges: Edges,
    /** Share of all training rows in each bin (edges.length + 1 of them). */
    shares: z.array(Share),
    missingShare: Share,
  })
  .superRefine(oneSharePerBin);
export type NumericProfile = z.infer<typeof NumericProfile>;

export const CategoricalProfile = z.object({
  name: z.string(),
  kind: z.literal('categorical'),
  levels: z.array(z.object({ value: z.string(), share: Share })),
  /** Rows whose value is outside the levels. */
  otherShare: Share,
  missingShare: Share,
});
export type CategoricalProfile = z.infer<typeof CategoricalProfile>;

export const TrainingProfile = z.object({
  version: z.literal(1),
  rows: z.number().int().min(0),
  features: z.array(z.discriminatedUnion('kind', [NumericProfile, CategoricalProfile], { error: 'must be "numeric" or "categorical"' })),
});
export type TrainingProfile = z.infer<typeof TrainingProfile>;

/** The profile as the server keeps it: keyed by kind, then by column (schema.json may also be written this way, see SCHEMA.md). */
export const KeyedNumericProfile = z
  .object(
    {
      edges: Edges,
      shares: z.array(Share),
      missingShare: Share.optional(),
    },
    { error: 'must be an object with edges and shares' },
  )
  .superRefine(oneSharePerBin);
export type KeyedNumericProfile = z.infer<typeof KeyedNumericProfile>;

export const KeyedCategoricalProfile = z.object(
  {
    levels: z.record(z.string(), Share, { error: 'must be an object of level → share' }),
    otherShare: Share.optional(),
    missingShare: Share.optional(),
  },
  { error: 'must be an object with levels' },
);
export type KeyedCategoricalProfile = z.infer<typeof KeyedCategoricalProfile>;

export const KeyedProfile = z.object(
  {
    rows: z.number().int().min(0).optional(),
    numeric: z.record(z.string(), KeyedNumericProfile, { error: 'must be an object keyed by column' }).default({}),
    categorical: z.record(z.string(), KeyedCategoricalProfile, { error: 'must be an object keyed by column' }).default({}),
  },
  { error: 'must be an object' },
);
export type KeyedProfile = z.infer<typeof KeyedProfile>;

/** The exporter's form in the server's form: the same numbers, keyed by column. */
export function keyedProfile(profile: TrainingProfile): KeyedProfile {
  const numeric: Record<string, KeyedNumericProfile> = {};
  const categorical: Record<string, KeyedCategoricalProfile> = {};
  for (const feature of profile.features) {
    if (feature.kind === 'numeric') {
      numeric[feature.name] = { edges: feature.edges, shares: feature.shares, missingShare: feature.missingShare };
    } else {
      categorical[feature.name] = {
        levels: Object.fromEntries(feature.levels.map((level) => [level.value, level.share])),
        otherShare: feature.otherShare,
        missingShare: feature.missingShare,
      };
    }
  }
  return { rows: profile.rows, numeric, categorical };
}
