/**
 * The one interface every model family implements, and the erased form the
 * rest of the engine uses. A family is written against its own typed params
 * and artifact; `defineFlavor` wraps it so that callers hand it plain recipe
 * sections and stored JSON, which it checks through the family's own zod
 * schemas before anything typed is touched.
 */
import type { z } from 'zod';
import type { FamilyInfo, ModelFamily, ParamField, ParamSection, ParamValue, Task } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import type { GraphBuilder } from '../export/onnx/graph.js';
import type { FittedModel, PreparedData, PreprocessingSpec, RawColumns, RecordedParams, TrainerContext } from '../train/types.js';

export type Params = Record<string, ParamValue>;

/** One Auto candidate of a family: its params and a few words for progress messages. */
export interface SearchDraw<P> {
  params: P;
  label: string;
}

/** What a family may size its search by. */
export interface SearchContext {
  task: Task;
  trainRows: number;
}

/**
 * Below this many training rows a search space leans to strong regularisation
 * and small, shallow models: with a few thousand rows the deep, loose settings
 * that pay on large tables mostly fit the noise, and win on the folds by luck.
 */
export const SMALL_DATA_ROWS = 5000;

export function isSmallData(context: SearchContext): boolean {
  return context.trainRows < SMALL_DATA_ROWS;
}

/**
 * A family's part of the ONNX graph. `margins` go through the shared tail's
 * sigmoid or softmax; `probabilities` are final (binary: P(class 1) as [N, 1];
 * multiclass: [N, classes]). Regression gives the values either way.
 */
export interface OnnxPart {
  output: string;
  kind: 'margins' | 'probabilities';
}

/** The encoded columns a family reads: one-hot dense matrices, or native columns for trees. */
export type InputKind = 'dense' | 'trees';

export interface FlavorDefinition<P extends Params, A> {
  id: ModelFamily;
  info: Omit<FamilyInfo, 'id' | 'fields'>;
  /** The family's section of `train` in the recipe, with defaults. */
  params: z.ZodType<P>;
  /** How the settings form shows each param; the defaults come from `params`. */
  fields: Omit<ParamField, 'default'>[];
  input: InputKind;
  auto: {
    /** Place in Auto's first round of defaults, lowest first (the likely winner first). */
    order: number;
    /** Relative share of Auto's random draws. */
    weight: number;
    /** A fixed first search step, tried before any draw. */
    firstStep?(base: NoInfer<P>): SearchDraw<NoInfer<P>>;
    draw(base: NoInfer<P>, random: () => number, context: SearchContext): SearchDraw<NoInfer<P>>;
    /** Relative time of a fit against another of this family (trees: 1 / learning rate); 1 when absent. */
    cost?(params: NoInfer<P>): number;
    /**
     * The settings for the final fit on every training row after cross-validation,
     * which has no validation rows to stop by: from what the fold fits recorded
     * (the rounds or epochs early stopping kept). Unchanged when absent.
     */
    refit?(params: NoInfer<P>, folds: RecordedParams[]): NoInfer<P>;
  };
  /** What to suggest when the loss diverges, e.g. a lower learning rate. */
  divergenceHint?(params: NoInfer<P>): string;
  fit(data: PreparedData, params: NoInfer<P>, context: TrainerContext): Promise<FittedModel<NoInfer<A>>>;
  /** The saved artifact's shape: checked when it is written and whenever it is read back. */
  artifact: z.ZodType<A>;
  /** That the artifact fits the preprocessing (task, classes, encoded columns); throws a KilnError. */
  check(artifact: NoInfer<A>, spec: PreprocessingSpec): void;
  /** Probabilities (rows × classes; binary: 2 columns) or values, from raw rows; also the parity check's reference. */
  predict(artifact: NoInfer<A>, spec: PreprocessingSpec, raw: RawColumns): Float64Array;
  /** Adds the model to the graph; `features` is a double [N, F] tensor of the family's input kind. */
  onnx(graph: GraphBuilder, artifact: NoInfer<A>, spec: PreprocessingSpec, features: string): OnnxPart;
}

/** A stored artifact, checked against its preprocessing, ready to score raw rows or to become ONNX. */
export interface LoadedModel {
  predict(raw: RawColumns): Float64Array;
  onnx(graph: GraphBuilder, features: string): OnnxPart;
}

/** A family as training, Auto, export and the handlers see it: plain sections in, checked inside. */
export interface Flavor {
  id: ModelFamily;
  info: FamilyInfo;
  input: InputKind;
  /** The family's recipe section checked and completed with defaults; errors name `train.<family>.<field>`. */
  resolve(section: ParamSection | undefined): ParamSection;
  fit(data: PreparedData, section: ParamSection | undefined, context: TrainerContext): Promise<FittedModel<unknown>>;
  autoOrder: number;
  autoWeight: number;
  firstStep(base: ParamSection | undefined): SearchDraw<ParamSection> | null;
  draw(base: ParamSection | undefined, random: () => number, context: SearchContext): SearchDraw<ParamSection>;
  cost(section: ParamSection | undefined): number;
  refit(section: ParamSection | undefined, folds: RecordedParams[]): ParamSection;
  divergenceHint(section: ParamSection | undefined): string | null;
  load(json: unknown, spec: PreprocessingSpec): LoadedModel;
}

/** The mean of a number every fold fit recorded (e.g. `bestRound`); null when one of them lacks it. */
export function meanRecorded(folds: RecordedParams[], key: string): number | null {
  const values = folds.map((fold) => fold[key]);
  if (values.length === 0 || values.some((value) => typeof value !== 'number' || !Number.isFinite(value))) return null;
  return (values as number[]).reduce((sum, value) => sum + value, 0) / values.length;
}

function problemText(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].join('.');
      if (issue.code === 'unrecognized_keys') return `${prefix}: unknown setting ${issue.keys.map((key) => `${prefix}.${key}`).join(', ')}`;
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

export function defineFlavor<P extends Params, A>(definition: FlavorDefinition<P, A>): Flavor {
  const where = `train.${definition.id}`;
  const parse = (section: ParamSection | undefined): P => {
    const parsed = definition.params.safeParse(section ?? {});
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const field = first && first.path.length > 0 ? `${where}.${first.path.map(String).join('.')}` : where;
      throw new KilnError(
        'bad_input',
        `The ${definition.info.name.toLowerCase()} settings are not valid: ${problemText(parsed.error, where)}.`,
        field,
      );
    }
    return parsed.data;
  };
  const defaults = parse(undefined);
  const loadArtifact = (json: unknown, spec: PreprocessingSpec): A => {
    const parsed = definition.artifact.safeParse(json);
    if (!parsed.success) {
      throw new KilnError(
        'bad_input',
        `The stored ${definition.info.name.toLowerCase()} model is not valid: ${problemText(parsed.error, 'model')}.`,
        'model',
      );
    }
    definition.check(parsed.data, spec);
    return parsed.data;
  };
  return {
    id: definition.id,
    info: {
      id: definition.id,
      ...definition.info,
      fields: definition.fields.map((field) => {
        const value = defaults[field.key];
        if (value === undefined) throw new Error(`The ${definition.id} field ${field.key} has no default in its params schema.`);
        return { ...field, default: value };
      }),
    },
    input: definition.input,
    resolve: parse,
    async fit(data, section, context) {
      const fitted = await definition.fit(data, parse(section), context);
      // What is saved is what a later load accepts: a model that would not load again fails its run now.
      loadArtifact(fitted.artifact, data.spec);
      return fitted;
    },
    autoOrder: definition.auto.order,
    autoWeight: definition.auto.weight,
    firstStep: (base) => definition.auto.firstStep?.(parse(base)) ?? null,
    draw: (base, random, context) => definition.auto.draw(parse(base), random, context),
    cost: (section) => definition.auto.cost?.(parse(section)) ?? 1,
    refit: (section, folds) => {
      const params = parse(section);
      return definition.auto.refit?.(params, folds) ?? params;
    },
    divergenceHint: (section) => definition.divergenceHint?.(parse(section)) ?? null,
    load(json, spec) {
      const artifact = loadArtifact(json, spec);
      return {
        predict: (raw) => definition.predict(artifact, spec, raw),
        onnx: (graph, features) => definition.onnx(graph, artifact, spec, features),
      };
    },
  };
}
