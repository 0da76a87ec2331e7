/**
 * The Features step's defaults: which column is the target, which task that
 * makes, which columns are features and how each is encoded, each with the
 * reason. The same checks on the target guard `train.start`, so a bad target
 * is refused with the same sentence before any training starts.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnProfile, Dataset, DatasetProfile, WarningKind } from '../../../shared/api.js';
import { FeatureEncoding, type FeatureChoice, type FeatureSettings, type FeatureSuggestion, type Task } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { suggestedTarget } from '../../../shared/wizard.js';
import type { EngineContext } from '../context.js';
import { computeProfile } from '../data/profile.js';
import { ProfileStore, profileOptionsHash } from '../data/profileStore.js';
import { quoteIdent } from '../data/sql.js';
import { isNumericColumnType, maxClasses, parquetSource, readClassNames, textExample } from './data/load.js';

/** Fewer rows than this cannot be split into train, validation and test with anything left to learn from. */
export const minTrainingRows = 10;
/** A numeric target with more distinct values than this is a quantity, not a label. */
const classificationIntegerLimit = 20;

/** What the checks need to know about the target column, from one pass over the table. */
export interface TargetFacts {
  name: string;
  type: string;
  rows: number;
  present: number;
  distinct: number;
  numeric: boolean;
  /** Numeric targets: every value is a whole number. */
  wholeNumbers: boolean;
  /** Up to maxClasses + 1 distinct values as text, in label order. */
  classNames: string[];
  /** A value that does not read as a number, when there is one. */
  textExample: string | null;
}

export interface Problem {
  message: string;
  field: string;
}

export function defaultTarget(columns: readonly { name: string }[]): string {
  const suggested = suggestedTarget(columns);
  if (suggested === null) throw new KilnError('bad_input', 'The dataset has no columns.', 'datasetId');
  return suggested;
}

function requireColumn(dataset: Dataset, name: string): { name: string; type: string } {
  const column = dataset.columns.find((candidate) => candidate.name === name);
  if (!column) {
    const names = dataset.columns.map((candidate) => JSON.stringify(candidate.name));
    const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : names.join(', ');
    throw new KilnError(
      'bad_input',
      `There is no column ${JSON.stringify(name)} in ${dataset.name} to use as the target. Its columns are ${shown}.`,
      'target',
    );
  }
  return column;
}

export async function readTargetFacts(
  connection: DuckDBConnection,
  path: string,
  column: { name: string; type: string },
): Promise<TargetFacts> {
  const source = parquetSource(path);
  const ident = quoteIdent(column.name);
  const numeric = isNumericColumnType(column.type);
  const whole = numeric ? `bool_and(CAST(${ident} AS DOUBLE) = floor(CAST(${ident} AS DOUBLE)))` : 'NULL';
  const reader = await connection.runAndReadAll(`SELECT count(*), count(${ident}), count(DISTINCT ${ident}), ${whole} FROM ${source}`);
  const [rows, present, distinct, wholeNumbers] = reader.getRows()[0] ?? [0, 0, 0, null];
  return {
    name: column.name,
    type: column.type,
    rows: Number(rows),
    present: Number(present),
    distinct: Number(distinct),
    numeric,
    wholeNumbers: wholeNumbers === true,
    classNames: await readClassNames(connection, source, column.name),
    textExample: numeric ? null : await textExample(connection, source, column.name),
  };
}

function listValues(values: string[], limit = 5): string {
  const shown = values.slice(0, limit).join(', ');
  return values.length > limit ? `${shown}, …` : shown;
}

/** numeric with many values or fractions → regression; otherwise the class count decides. */
export function detectTask(facts: TargetFacts): { task: Task; reason: string } {
  const { name, distinct } = facts;
  if (facts.present === 0) {
    return { task: facts.numeric ? 'regression' : 'binary', reason: `${name} is missing in every row.` };
  }
  if (facts.numeric && !facts.wholeNumbers) {
    return { task: 'regression', reason: `${name} holds numbers with fractions (${distinct.toLocaleString('en-US')} distinct values).` };
  }
  if (facts.numeric && distinct > classificationIntegerLimit) {
    return {
      task: 'regression',
      reason: `${name} holds ${distinct.toLocaleString('en-US')} distinct numbers, more than ${classificationIntegerLimit}.`,
    };
  }
  const values = `${name} has ${distinct.toLocaleString('en-US')} value${distinct === 1 ? '' : 's'}: ${listValues(facts.classNames)}`;
  return distinct <= 2 ? { task: 'binary', reason: `${values}.` } : { task: 'multiclass', reason: `${values}.` };
}

/** Everything about the target and the row count that would stop training for `task`. */
export function targetProblems(facts: TargetFacts, task: Task): Problem[] {
  const problems: Problem[] = [];
  const { name } = facts;
  if (facts.rows < minTrainingRows) {
    problems.push({
      message: `The dataset has only ${facts.rows} row${facts.rows === 1 ? '' : 's'}; training needs at least ${minTrainingRows} to split into training, validation and test rows.`,
      field: 'datasetId',
    });
  }
  if (facts.present === 0) {
    problems.push({
      message: `${name} is missing in every row, so there is nothing to learn; choose a target that has values.`,
      field: 'target',
    });
    return problems;
  }
  if (task === 'regression') {
    if (!facts.numeric && facts.textExample !== null) {
      problems.push({
        message: `${name} holds text (for example ${JSON.stringify(facts.textExample)}), so it cannot be a regression target; choose binary or multiclass, or convert it to numbers in the Clean step.`,
        field: 'task',
      });
    }
    return problems;
  }
  if (facts.distinct === 1) {
    problems.push({
      message: `${name} has a single class (${JSON.stringify(facts.classNames[0] ?? '')}) in every row, so there is nothing to predict; choose another target.`,
      field: 'target',
    });
  } else if (facts.distinct > maxClasses) {
    problems.push({
      message: `${name} has ${facts.distinct.toLocaleString('en-US')} distinct values, more than the ${maxClasses} classes Kiln can train a classifier for; choose another target${facts.numeric ? ', or regression' : ''}.`,
      field: 'target',
    });
  } else if (task === 'binary' && facts.distinct > 2) {
    problems.push({
      message: `A binary task needs exactly 2 classes, but ${name} has ${facts.distinct}: ${listValues(facts.classNames)}; choose multiclass.`,
      field: 'task',
    });
  }
  return problems;
}

function featureProblems(settings: Pick<FeatureSettings, 'target' | 'features'>, dataset: Dataset): Problem[] {
  const included = settings.features.filter((feature) => feature.include && feature.name !== settings.target);
  if (included.length === 0) {
    const excluded = settings.features.filter((feature) => feature.name !== settings.target);
    const why = excluded
      .filter((feature) => feature.reason)
      .slice(0, 5)
      .map((feature) => `${feature.name}: ${feature.reason ?? ''}`)
      .join(' ');
    return [
      {
        message:
          excluded.length === 0
            ? `No features are left: ${dataset.name} has no column besides the target ${settings.target}.`
            : `No features are left after leaving out ${excluded.length === 1 ? 'the only other column' : `all ${excluded.length} other columns`}; include at least one.${why ? ` ${why}` : ''}`,
        field: 'features',
      },
    ];
  }
  const known = new Set(dataset.columns.map((column) => column.name));
  const unknown = included.filter((feature) => !known.has(feature.name)).map((feature) => JSON.stringify(feature.name));
  return unknown.length === 0
    ? []
    : [
        {
          message: `${dataset.name} has no column ${unknown.join(', ')}; remove ${unknown.length === 1 ? 'it' : 'them'} from the features.`,
          field: 'features',
        },
      ];
}

/** Why a column is left out by default, or null when it is a good feature. */
function exclusionReason(column: ColumnProfile, warnings: Map<WarningKind, string>): string | null {
  for (const kind of ['all_missing', 'constant', 'id_like', 'leakage', 'email', 'phone'] as const) {
    const message = warnings.get(kind);
    if (message !== undefined) return message;
  }
  if (column.kind === 'temporal')
    return `${column.name} is a date or time; turn it into parts (year, month, weekday) in the Clean step to use it.`;
  const dateLike = warnings.get('date_like');
  if (dateLike !== undefined) return dateLike;
  return null;
}

function defaultChoice(column: ColumnProfile, warnings: Map<WarningKind, string>): FeatureChoice {
  const numeric = column.kind === 'numeric';
  const encoding = FeatureEncoding.parse({ kind: numeric ? 'numeric' : 'categorical', impute: numeric ? 'median' : 'mostFrequent' });
  const excluded = exclusionReason(column, warnings);
  if (excluded !== null) return { name: column.name, include: false, encoding, reason: excluded };
  const missing =
    column.missing > 0
      ? ` ${column.missing.toLocaleString('en-US')} missing, filled with the ${numeric ? 'median' : 'most frequent value'}.`
      : '';
  const reason = numeric
    ? `Numbers, standardised for linear and neural models.${missing}`
    : `${column.distinct.toLocaleString('en-US')} distinct values, one-hot encoded; levels under ${encoding.minLevelCount} rows fold into "other".${missing}`;
  return { name: column.name, include: true, encoding, reason };
}

/** The cached profile for (version, target), computed now when there is none. */
async function profileFor(
  context: EngineContext,
  dataset: Dataset,
  target: string,
  signal: AbortSignal | undefined,
): Promise<DatasetProfile> {
  const store = new ProfileStore(context.workspace.db);
  const optionsHash = profileOptionsHash({ target, sample: null });
  const cached = store.find(dataset.version, optionsHash);
  if (cached) return cached;
  const abort = signal ?? new AbortController().signal;
  const profile = await computeProfile(context.duck, {
    parquetPath: context.datasets.storagePath(dataset.id),
    datasetId: dataset.id,
    version: dataset.version,
    optionsHash,
    rowCount: dataset.rowCount,
    columnCount: dataset.columns.length,
    target,
    sample: null,
    job: {
      signal: abort,
      progress: () => undefined,
      throwIfCancelled: () => {
        if (abort.aborted) throw new KilnError('cancelled', 'Suggesting features was cancelled.');
      },
    },
  });
  store.save(profile);
  return profile;
}

/**
 * The rarer of two classes, which is the one people want to find (`>50K`, `bad`), so it is the default positive class.
 * A tie keeps the later class in label order, as before.
 */
async function minorityClass(
  connection: DuckDBConnection,
  path: string,
  target: string,
  classes: readonly string[],
): Promise<string | undefined> {
  const column = quoteIdent(target);
  const reader = await connection.runAndReadAll(
    `SELECT CAST(${column} AS VARCHAR), count(*) FROM ${parquetSource(path)} WHERE ${column} IS NOT NULL GROUP BY 1`,
  );
  const counts = new Map(reader.getRows().map((row) => [String(row[0]), Number(row[1])]));
  const [first, second] = classes;
  if (first === undefined || second === undefined) return second;
  return (counts.get(first) ?? 0) < (counts.get(second) ?? 0) ? first : second;
}

/** Detects the task and proposes features and encodings for `target` (or the likeliest target). */
export async function suggestFeatures(
  context: EngineContext,
  datasetId: string,
  target?: string,
  signal?: AbortSignal,
): Promise<FeatureSuggestion> {
  const dataset = context.datasets.get(datasetId);
  const targetColumn = requireColumn(dataset, target ?? defaultTarget(dataset.columns));
  const path = context.datasets.storagePath(dataset.id);
  const facts = await context.duck.with(signal, (connection) => readTargetFacts(connection, path, targetColumn));
  const { task, reason } = detectTask(facts);
  const profile = await profileFor(context, dataset, targetColumn.name, signal);

  const warningsByColumn = new Map<string, Map<WarningKind, string>>();
  for (const warning of profile.warnings) {
    const forColumn = warningsByColumn.get(warning.column) ?? new Map<WarningKind, string>();
    if (!forColumn.has(warning.kind)) forColumn.set(warning.kind, warning.message);
    warningsByColumn.set(warning.column, forColumn);
  }
  const features = profile.columns
    .filter((column) => column.name !== targetColumn.name)
    .map((column) => defaultChoice(column, warningsByColumn.get(column.name) ?? new Map()));

  const classes = task === 'regression' ? [] : facts.classNames.slice(0, maxClasses);
  const positiveClass =
    task === 'binary' && classes.length === 2
      ? await context.duck.with(signal, (connection) => minorityClass(connection, path, targetColumn.name, classes))
      : undefined;
  const settings: FeatureSettings = {
    target: targetColumn.name,
    task,
    features,
    ...(positiveClass !== undefined ? { positiveClass } : {}),
  };
  const problems = [...targetProblems(facts, task), ...featureProblems(settings, dataset)].map((problem) => problem.message);
  return { settings, taskReason: reason, classes, problems };
}

/**
 * Refuses, with every reason at once, a target, task or feature set that
 * cannot be trained on. Call before a training job starts.
 */
export async function validateTrainingInput(
  context: EngineContext,
  datasetId: string,
  settings: Pick<FeatureSettings, 'target' | 'task' | 'features'>,
  signal?: AbortSignal,
): Promise<void> {
  const dataset = context.datasets.get(datasetId);
  const targetColumn = requireColumn(dataset, settings.target);
  const path = context.datasets.storagePath(dataset.id);
  const facts = await context.duck.with(signal, (connection) => readTargetFacts(connection, path, targetColumn));
  const problems = [...targetProblems(facts, settings.task), ...featureProblems(settings, dataset)];
  const first = problems[0];
  if (first) {
    throw new KilnError(
      'bad_input',
      problems.map((problem) => problem.message).join(' '),
      first.field === 'datasetId' ? 'datasetId' : `features.${first.field}`,
    );
  }
}
