/**
 * A random forest on the histogram tree learner (train/trees/forest.ts):
 * seeded bootstrap samples, a random subset of the features at each split,
 * deep trees whose leaves hold target means (class shares for classifiers),
 * averaged over the trees. It exports through the same TreeEnsembleRegressor
 * as the boosted trees; its leaves carry their 1 / trees share, so the
 * ensemble's sum is the average, and it returns probabilities, not margins.
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { EpochRecord, Task } from '../../../../shared/api/train.js';
import { KilnError } from '../../../../shared/errors.js';
import { doubleTensor, int64Tensor } from '../../export/onnx/graph.js';
import { addTreeEnsemble } from '../../export/onnx/trees.js';
import { fitForest, forestPredictions } from '../../train/trees/forest.js';
import { TreeEnsembleModel } from '../../train/trees/model.js';
import { TreeFeatureSchema, TreeJsonSchema } from '../../train/trees/schema.js';
import type { PreparedData } from '../../train/types.js';
import { checkEnsembleAgainstSpec, ensembleOutputs } from '../ensemble.js';
import { defineFlavor, isSmallData } from '../flavor.js';
import { bothColumns, modelProblem } from '../outputs.js';
import { pick } from '../../train/random.js';

export const ForestParams = z
  .object({
    trees: z.number().int().min(1).max(2000).default(100),
    maxDepth: z.number().int().min(1).max(40).default(16),
    minRowsInLeaf: z.number().int().min(1).default(3),
    /** auto: the square root of the features for classifiers, all of them for regression (scikit-learn's defaults). */
    featuresPerSplit: z.enum(['auto', 'sqrt', 'log2', 'third', 'half', 'all']).default('auto'),
    sampleFraction: z.number().gt(0).max(1).default(1),
  })
  .strict();
export type ForestParams = z.infer<typeof ForestParams>;

const ForestArtifact = z.object({
  format: z.literal('kiln-forest'),
  version: z.literal(1),
  task: z.enum(['binary', 'multiclass', 'regression']),
  outputs: z.number().int().min(1),
  baseScore: z.array(z.number().finite()),
  features: z.array(TreeFeatureSchema),
  trees: z.array(TreeJsonSchema),
});
type ForestArtifact = z.infer<typeof ForestArtifact>;

/** Features a split chooses among, out of `count`. */
export function featuresPerSplit(choice: ForestParams['featuresPerSplit'], count: number, task: Task): number {
  const rule = choice === 'auto' ? (task === 'regression' ? 'all' : 'sqrt') : choice;
  const raw =
    rule === 'sqrt'
      ? Math.sqrt(count)
      : rule === 'log2'
        ? Math.log2(count)
        : rule === 'third'
          ? count / 3
          : rule === 'half'
            ? count / 2
            : count;
  return Math.min(count, Math.max(1, Math.round(raw)));
}

function scoreSplit(model: ForestArtifact, task: Task, data: PreparedData, split: 'train' | 'valid' | 'test'): Float64Array {
  const dataset = data.trees[split];
  if (!dataset) throw new KilnError('bad_input', `There is no ${split} split to predict.`, 'split');
  const predictions = forestPredictions(task, new TreeEnsembleModel(model).predictMargins(dataset), model.outputs);
  return task === 'binary' ? bothColumns(predictions) : predictions;
}

export const forestFlavor = defineFlavor({
  id: 'forest',
  info: {
    name: 'Random forest',
    shortLabel: 'Forest',
    description: 'Many deep trees on bootstrap samples, averaged; robust with little tuning.',
    progressUnit: 'round',
    usesBackend: false,
    autoRole: 'candidate',
  },
  params: ForestParams,
  fields: [
    { key: 'trees', label: 'Trees', short: 'trees', help: 'Trees averaged.', kind: 'integer', min: 1, max: 2000, summary: true },
    { key: 'maxDepth', label: 'Depth', short: 'depth', help: 'Depth limit of each tree.', kind: 'integer', min: 1, max: 40, summary: true },
    {
      key: 'minRowsInLeaf',
      label: 'Rows per leaf',
      short: 'leaf rows',
      help: 'Fewest rows in a leaf.',
      kind: 'integer',
      min: 1,
      summary: false,
    },
    {
      key: 'featuresPerSplit',
      label: 'Features per split',
      short: 'features',
      help: 'auto: √features for classifiers, all for regression.',
      kind: 'choice',
      choices: ['auto', 'sqrt', 'log2', 'third', 'half', 'all'],
      summary: false,
    },
    {
      key: 'sampleFraction',
      label: 'Sample size',
      short: 'sample',
      help: 'Bootstrap draws per tree, as a share of the rows.',
      kind: 'number',
      min: 0,
      minExclusive: true,
      max: 1,
      step: 0.05,
      summary: false,
    },
  ],
  input: 'trees',
  auto: {
    order: 2,
    weight: 1,
    draw: (base, random, context) => {
      const small = isSmallData(context);
      const params = {
        ...base,
        maxDepth: pick(random, small ? [4, 6, 8, 10] : [10, 14, 18, 24]),
        minRowsInLeaf: pick(random, small ? [3, 5, 10, 20] : [1, 3, 5, 10]),
        featuresPerSplit: pick(random, ['auto', 'log2', 'third', 'half'] as const),
      };
      return {
        params,
        label: `forest depth ${params.maxDepth}, ${params.minRowsInLeaf} rows per leaf, features ${params.featuresPerSplit}`,
      };
    },
    cost: (params) => params.trees,
  },
  async fit(data, chosen, context) {
    const { task, classes, seed, signal } = context;
    const started = performance.now();
    const trainRows = data.y.train.length;
    const validation =
      data.trees.valid && data.y.valid && data.y.valid.length > 0 ? { data: data.trees.valid, labels: data.y.valid } : undefined;
    const perSplit = featuresPerSplit(chosen.featuresPerSplit, data.trees.train.features.length, task);
    const history: EpochRecord[] = [];
    let treeStarted = performance.now();
    const fitted = await fitForest(
      data.trees.train,
      data.y.train,
      {
        objective: task,
        numClasses: task === 'multiclass' ? classes.length : task === 'binary' ? 2 : 1,
        trees: chosen.trees,
        maxDepth: chosen.maxDepth,
        minRowsInLeaf: chosen.minRowsInLeaf,
        featuresPerSplit: perSplit,
        sampleFraction: chosen.sampleFraction,
        seed,
      },
      {
        ...(validation ? { validation } : {}),
        signal,
        onTree: (progress) => {
          const now = performance.now();
          const computeMs = now - treeStarted;
          treeStarted = now;
          const record: EpochRecord = {
            epoch: progress.tree,
            trainLoss: progress.trainLoss,
            validLoss: progress.validLoss,
            validMetric: progress.validMetric,
            rowsPerSecond: computeMs > 0 ? trainRows / (computeMs / 1000) : null,
            dataWaitMs: 0,
            computeMs,
          };
          history.push(record);
          context.onProgress({ record, fraction: progress.tree / chosen.trees });
        },
      },
    );
    const artifact: ForestArtifact = {
      format: 'kiln-forest',
      version: 1,
      task,
      outputs: fitted.model.outputs,
      baseScore: fitted.model.baseScore,
      features: fitted.model.features,
      // The split statistics are the learner's; a forest's export and scoring do not read them.
      trees: fitted.model.trees.map(({ gain: _gain, cover: _cover, ...tree }) => tree),
    };
    return {
      params: { ...chosen, featuresPerSplitCount: perSplit },
      backend: 'native',
      device: 'CPU (1 thread)',
      history,
      trainMs: performance.now() - started,
      validationUsedInFit: false,
      predict: async (prepared, split) => scoreSplit(artifact, task, prepared, split),
      artifact,
    };
  },
  artifact: ForestArtifact,
  check: (artifact, spec) => {
    if (artifact.task !== spec.task)
      modelProblem(`The forest was trained for ${artifact.task}, but the preprocessing is for ${spec.task}.`);
    checkEnsembleAgainstSpec(artifact, spec);
  },
  predict: (artifact, spec, raw) => {
    const predictions = forestPredictions(spec.task, ensembleOutputs(artifact, spec, raw), artifact.outputs);
    return spec.task === 'binary' ? bothColumns(predictions) : predictions;
  },
  onnx: (graph, artifact, spec, features) => {
    const sums = addTreeEnsemble(graph, artifact, features);
    if (spec.task === 'regression') return { output: sums, kind: 'probabilities' };
    const zero = graph.constant('forest_zero', doubleTensor([0], []));
    if (spec.task === 'binary') {
      const clipped = graph.node('Clip', [sums, zero, graph.constant('forest_one', doubleTensor([1], []))]);
      return { output: clipped, kind: 'probabilities' };
    }
    // As forestPredictions: scores floored at 0, divided by their sum; uniform when the sum is 0.
    const floored = graph.node('Max', [sums, zero]);
    const total = graph.node('ReduceSum', [floored, graph.constant('forest_class_axis', int64Tensor([1]))], { keepdims: { int: 1 } });
    const shares = graph.node('Div', [floored, graph.node('Max', [total, graph.constant('forest_smallest', doubleTensor([1e-300], []))])]);
    const uniform = graph.constant('forest_uniform', doubleTensor([1 / artifact.outputs], []));
    return { output: graph.node('Where', [graph.node('Greater', [total, zero]), shares, uniform]), kind: 'probabilities' };
  },
});
