/**
 * schema.json, what the model server reads beside model.onnx
 * (resources/server/SCHEMA.md). The exporter checks the schema it built
 * through BundleSchema before writing it; the server and `kiln predict` read
 * schema.json through the same BundleSchema, which also accepts the lenient
 * forms SCHEMA.md allows (defaults, "double"/"float" inputs, a profile keyed by
 * column) and gives one normalised ServingSchema. A wrong field is refused
 * with a message naming it, rather than answering requests wrongly later.
 */
import * as z from 'zod';
import type { InputType } from './cells.js';
import { DEFAULT_MISSING_MARKERS } from './markers.js';
import { KeyedProfile, keyedProfile, TrainingProfile } from './profile.js';

export const SCHEMA_FORMAT_VERSION = 1;
export const TASKS = ['binary', 'multiclass', 'regression'] as const;
export type ServingTask = (typeof TASKS)[number];
export const DEFAULT_THRESHOLD = 0.5;

/** The output roles the server reads; the graph's outputs are named in schema.json. */
export type OutputRole = 'label' | 'probabilities' | 'value';

export interface ServingInput {
  name: string;
  type: InputType;
  /** Free text such as numeric or categorical, shown in the OpenAPI document. */
  role: string;
}

export interface ServingOutput {
  name: string;
  role: string;
}

const Input = z.object(
  {
    name: z.string({ error: 'must be a non-empty string' }).min(1, 'must be a non-empty string'),
    // The exporter names tensor element types; "double" and "float" are numbers to a client.
    type: z.enum(['number', 'string', 'double', 'float'], {
      error: (issue) => `must be "number" or "string", not ${JSON.stringify(issue.input) ?? 'nothing'}`,
    }),
    role: z.string({ error: 'must be a string' }).optional(),
    encoding: z.string({ error: 'must be a string' }).optional(),
  },
  { error: 'must be an object with a name and a type' },
);

const Output = z.object(
  { name: z.string({ error: 'must be a string' }), role: z.string({ error: 'must be a string' }) },
  { error: 'must be an object with a name and a role' },
);
const Strings = z.array(z.string({ error: 'must be a string' }), { error: 'must be an array of strings' });

const Fields = z.object(
  {
    formatVersion: z
      .literal(SCHEMA_FORMAT_VERSION, {
        error: (issue) => `is ${JSON.stringify(issue.input)}; this server reads version ${SCHEMA_FORMAT_VERSION}`,
      })
      .optional(),
    name: z
      .string({ error: 'must be 1–128 letters, digits, ".", "_" or "-" (it appears in URLs)' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1–128 letters, digits, ".", "_" or "-" (it appears in URLs)'),
    runId: z.string().catch(''),
    datasetVersion: z.string().catch(''),
    target: z.string().catch(''),
    task: z.enum(TASKS, { error: `must be one of ${TASKS.join(', ')}` }),
    classes: Strings.nullish(),
    threshold: z
      .number({ error: 'must be a number between 0 and 1' })
      .gt(0, 'must be a number between 0 and 1')
      .lt(1, 'must be a number between 0 and 1')
      .nullish(),
    inputs: z.array(Input, { error: 'must list at least one input column' }).min(1, 'must list at least one input column'),
    outputs: z.array(Output, { error: 'must be an array of {name, role}' }).nullish(),
    missingMarkers: Strings.nullish(),
    trainingProfile: z.unknown().optional(),
  },
  { error: 'must be a JSON object' },
);

function classifierOutputs(): ServingOutput[] {
  return [
    { name: 'label', role: 'label' },
    { name: 'probabilities', role: 'probabilities' },
  ];
}

/** The profile in either form (SCHEMA.md), as the server keeps it; problems are added to `context` under trainingProfile. */
function readProfile(raw: unknown, context: z.RefinementCtx): KeyedProfile | undefined {
  // Absent (or null, as some writers spell absent): drift then reports no_training_profile.
  if (raw === undefined || raw === null) return { numeric: {}, categorical: {} };
  const exporterForm = typeof raw === 'object' && raw !== null && Array.isArray((raw as { features?: unknown }).features);
  const parsed = exporterForm ? TrainingProfile.safeParse(raw) : KeyedProfile.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      context.addIssue({ code: 'custom', path: ['trainingProfile', ...issue.path], message: issue.message });
    }
    return undefined;
  }
  return 'features' in parsed.data ? keyedProfile(parsed.data) : parsed.data;
}

/** The schema of schema.json. Its output is the normalised ServingSchema. */
export const BundleSchema = Fields.transform((raw, context) => {
  const classifier = raw.task !== 'regression';
  const classes = raw.classes ?? [];
  const problem = (path: (string | number)[], message: string) => {
    context.addIssue({ code: 'custom', path, message });
    return z.NEVER;
  };
  if (classifier && classes.length < 2) return problem(['classes'], `must name at least two classes for a ${raw.task} model`);
  if (raw.task === 'binary' && classes.length !== 2) return problem(['classes'], 'must name exactly two classes for a binary model');
  if (new Set(classes).size !== classes.length) return problem(['classes'], 'must not repeat a class');

  const seen = new Set<string>();
  const inputs: ServingInput[] = [];
  for (const [index, input] of raw.inputs.entries()) {
    if (seen.has(input.name)) return problem(['inputs', index, 'name'], `repeats "${input.name}"`);
    seen.add(input.name);
    const type: InputType = input.type === 'string' ? 'string' : 'number';
    inputs.push({ name: input.name, type, role: input.role ?? input.encoding ?? (type === 'number' ? 'numeric' : 'categorical') });
  }

  const outputs = raw.outputs ?? (classifier ? classifierOutputs() : [{ name: 'prediction', role: 'value' }]);
  const roles = new Set(outputs.map((output) => output.role));
  if (classifier && !roles.has('probabilities')) {
    return problem(['outputs'], 'must include an output with role "probabilities" for a classifier');
  }
  if (!classifier && !roles.has('value')) return problem(['outputs'], 'must include an output with role "value" for a regression model');

  const profile = readProfile(raw.trainingProfile, context);
  if (profile === undefined) return z.NEVER;
  for (const kind of ['numeric', 'categorical'] as const) {
    for (const column of Object.keys(profile[kind])) {
      if (!seen.has(column)) return problem(['trainingProfile', kind, column], 'is not one of the inputs');
    }
  }

  return {
    name: raw.name,
    runId: raw.runId,
    datasetVersion: raw.datasetVersion,
    target: raw.target,
    task: raw.task,
    classes,
    threshold: raw.threshold ?? DEFAULT_THRESHOLD,
    inputs,
    outputs: outputs.map((output) => ({ name: output.name, role: output.role })),
    missingMarkers: raw.missingMarkers ?? [...DEFAULT_MISSING_MARKERS],
    trainingProfile: profile,
  };
});

/** schema.json as a writer may write it (SCHEMA.md). */
export type BundleSchemaFile = z.input<typeof BundleSchema>;
/** schema.json as the server uses it: every default filled in, the profile keyed by column. */
export type ServingSchema = z.output<typeof BundleSchema>;

/** A schema.json that BundleSchema refuses; the message starts with the field. */
export class BundleSchemaError extends Error {
  readonly field: string;

  constructor(field: string, problem: string) {
    super(`schema.json: ${field} ${problem}`);
    this.name = 'BundleSchemaError';
    this.field = field;
  }
}

/** A zod path as a person writes it: inputs[0].type, trainingProfile.numeric.age. */
export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** Reads parsed schema.json; throws BundleSchemaError naming the first wrong field. */
export function parseBundleSchema(raw: unknown): ServingSchema {
  const parsed = BundleSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new BundleSchemaError(fieldPath(issue.path), issue.message);
}
