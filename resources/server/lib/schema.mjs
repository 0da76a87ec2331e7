/**
 * Reads and checks schema.json (format in ../SCHEMA.md). The server refuses to
 * start on a schema it cannot honour, naming the field, rather than answering
 * requests wrongly later.
 */
import { readFileSync } from 'node:fs';

/**
 * @typedef {{ name: string, type: 'number' | 'string', role: string }} Input
 * @typedef {{ name: string, role: string }} Output
 * @typedef {{
 *   name: string, runId: string, datasetVersion: string, target: string,
 *   task: 'binary' | 'multiclass' | 'regression', classes: string[], threshold: number,
 *   inputs: Input[], outputs: Output[], missingMarkers: string[],
 *   trainingProfile: { rows?: number, numeric: Record<string, object>, categorical: Record<string, object> },
 * }} Schema
 */

export const SCHEMA_FORMAT_VERSION = 1;
const TASKS = ['binary', 'multiclass', 'regression'];
const INPUT_TYPES = ['number', 'string'];
/** The import's missing markers, used when a schema does not list its own. */
export const DEFAULT_MISSING_MARKERS = ['', '?', 'NA', 'N/A', 'null', 'NULL'];

function fail(path, problem) {
  throw new Error(`schema.json: ${path} ${problem}`);
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isShare(value) {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1;
}

function checkNumericProfile(column, profile) {
  const at = `trainingProfile.numeric.${column}`;
  if (!isObject(profile)) fail(at, 'must be an object with edges and shares');
  const { edges, shares } = profile;
  if (!Array.isArray(edges) || !edges.every((edge) => typeof edge === 'number' && Number.isFinite(edge))) {
    fail(`${at}.edges`, 'must be an array of finite numbers (the inner cut points)');
  }
  for (let index = 1; index < edges.length; index += 1) {
    if (edges[index] <= edges[index - 1]) fail(`${at}.edges`, 'must be strictly ascending');
  }
  if (!Array.isArray(shares) || shares.length !== edges.length + 1 || !shares.every(isShare)) {
    fail(`${at}.shares`, `must be ${edges.length + 1} shares between 0 and 1 (one per bin: edges.length + 1)`);
  }
  if (profile.missingShare !== undefined && !isShare(profile.missingShare)) fail(`${at}.missingShare`, 'must be a share between 0 and 1');
}

function checkCategoricalProfile(column, profile) {
  const at = `trainingProfile.categorical.${column}`;
  if (!isObject(profile) || !isObject(profile.levels)) fail(at, 'must be an object with levels');
  for (const [level, share] of Object.entries(profile.levels)) {
    if (!isShare(share)) fail(`${at}.levels.${level}`, 'must be a share between 0 and 1');
  }
  if (profile.otherShare !== undefined && !isShare(profile.otherShare)) fail(`${at}.otherShare`, 'must be a share between 0 and 1');
  if (profile.missingShare !== undefined && !isShare(profile.missingShare)) fail(`${at}.missingShare`, 'must be a share between 0 and 1');
}

/**
 * The profile keyed by kind and column (SCHEMA.md). The exporter's own form,
 * `{version, rows, features: [{name, kind, ...}]}` with levels as
 * `[{value, share}]`, is accepted too and turned into this one, so its profile
 * can be copied into schema.json as it is.
 */
function normaliseProfile(profile) {
  if (!isObject(profile)) fail('trainingProfile', 'must be an object');
  if (!Array.isArray(profile.features)) return profile;
  const numeric = {};
  const categorical = {};
  profile.features.forEach((feature, index) => {
    if (!isObject(feature) || typeof feature.name !== 'string') fail(`trainingProfile.features[${index}]`, 'must be an object with a name');
    const { name, kind, ...rest } = feature;
    if (kind === 'numeric') numeric[name] = rest;
    else if (kind === 'categorical') {
      const levels = Array.isArray(rest.levels)
        ? Object.fromEntries(rest.levels.map((level) => [level?.value, level?.share]))
        : rest.levels;
      categorical[name] = { ...rest, levels };
    } else fail(`trainingProfile.features[${index}].kind`, 'must be "numeric" or "categorical"');
  });
  return { rows: profile.rows, numeric, categorical };
}

/**
 * @param {unknown} raw parsed schema.json
 * @returns {Schema}
 */
export function checkSchema(raw) {
  if (!isObject(raw)) fail('(root)', 'must be a JSON object');
  if (raw.formatVersion !== undefined && raw.formatVersion !== SCHEMA_FORMAT_VERSION) {
    fail('formatVersion', `is ${JSON.stringify(raw.formatVersion)}; this server reads version ${SCHEMA_FORMAT_VERSION}`);
  }
  if (typeof raw.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(raw.name)) {
    fail('name', 'must be 1–128 letters, digits, ".", "_" or "-" (it appears in URLs)');
  }
  if (!TASKS.includes(raw.task)) fail('task', `must be one of ${TASKS.join(', ')}`);
  const classifier = raw.task !== 'regression';
  const classes = raw.classes ?? [];
  if (!Array.isArray(classes) || !classes.every((name) => typeof name === 'string')) fail('classes', 'must be an array of strings');
  if (classifier && classes.length < 2) fail('classes', `must name at least two classes for a ${raw.task} model`);
  if (raw.task === 'binary' && classes.length !== 2) fail('classes', 'must name exactly two classes for a binary model');
  if (new Set(classes).size !== classes.length) fail('classes', 'must not repeat a class');
  const threshold = raw.threshold ?? 0.5;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) fail('threshold', 'must be a number between 0 and 1');

  if (!Array.isArray(raw.inputs) || raw.inputs.length === 0) fail('inputs', 'must list at least one input column');
  const seen = new Set();
  const inputs = raw.inputs.map((input, index) => {
    if (!isObject(input) || typeof input.name !== 'string' || input.name === '')
      fail(`inputs[${index}].name`, 'must be a non-empty string');
    if (seen.has(input.name)) fail(`inputs[${index}].name`, `repeats "${input.name}"`);
    seen.add(input.name);
    // The exporter names tensor element types; "double" and "float" are numbers to a client.
    const type = input.type === 'double' || input.type === 'float' ? 'number' : input.type;
    if (!INPUT_TYPES.includes(type)) fail(`inputs[${index}].type`, `must be "number" or "string", not ${JSON.stringify(input.type)}`);
    const role = input.role ?? input.encoding ?? (type === 'number' ? 'numeric' : 'categorical');
    if (typeof role !== 'string') fail(`inputs[${index}].role`, 'must be a string');
    return { name: input.name, type, role };
  });

  const defaultOutputs = classifier
    ? [
        { name: 'label', role: 'label' },
        { name: 'probabilities', role: 'probabilities' },
      ]
    : [{ name: 'prediction', role: 'value' }];
  const outputs = raw.outputs ?? defaultOutputs;
  if (
    !Array.isArray(outputs) ||
    !outputs.every((output) => isObject(output) && typeof output.name === 'string' && typeof output.role === 'string')
  ) {
    fail('outputs', 'must be an array of {name, role}');
  }
  const roles = new Set(outputs.map((output) => output.role));
  if (classifier && !roles.has('probabilities')) fail('outputs', 'must include an output with role "probabilities" for a classifier');
  if (!classifier && !roles.has('value')) fail('outputs', 'must include an output with role "value" for a regression model');

  const missingMarkers = raw.missingMarkers ?? DEFAULT_MISSING_MARKERS;
  if (!Array.isArray(missingMarkers) || !missingMarkers.every((marker) => typeof marker === 'string')) {
    fail('missingMarkers', 'must be an array of strings');
  }

  const profile = normaliseProfile(raw.trainingProfile ?? {});
  const numeric = profile.numeric ?? {};
  const categorical = profile.categorical ?? {};
  if (!isObject(numeric)) fail('trainingProfile.numeric', 'must be an object keyed by column');
  if (!isObject(categorical)) fail('trainingProfile.categorical', 'must be an object keyed by column');
  for (const [column, entry] of Object.entries(numeric)) {
    if (!seen.has(column)) fail(`trainingProfile.numeric.${column}`, 'is not one of the inputs');
    checkNumericProfile(column, entry);
  }
  for (const [column, entry] of Object.entries(categorical)) {
    if (!seen.has(column)) fail(`trainingProfile.categorical.${column}`, 'is not one of the inputs');
    checkCategoricalProfile(column, entry);
  }

  return {
    name: raw.name,
    runId: typeof raw.runId === 'string' ? raw.runId : '',
    datasetVersion: typeof raw.datasetVersion === 'string' ? raw.datasetVersion : '',
    target: typeof raw.target === 'string' ? raw.target : '',
    task: raw.task,
    classes,
    threshold,
    inputs,
    outputs: outputs.map((output) => ({ name: output.name, role: output.role })),
    missingMarkers,
    trainingProfile: { rows: typeof profile.rows === 'number' ? profile.rows : undefined, numeric, categorical },
  };
}

export function readSchema(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${error.message}`, { cause: error });
  }
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${error.message}`, { cause: error });
  }
  return checkSchema(raw);
}
