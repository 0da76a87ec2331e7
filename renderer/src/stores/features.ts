import { create } from 'zustand';
import {
  FeatureSettings,
  type Dataset,
  type FeatureChoice,
  type FeatureEncoding,
  type FeatureSuggestion,
  type Task,
} from '../../../shared/api.js';
import { api } from '../api/transport.js';
import { errorText } from './errorText.js';

interface FeaturesState {
  projectId: string | null;
  datasets: Dataset[];
  datasetId: string | null;
  suggestion: FeatureSuggestion | null;
  /** What the user is editing; saved to the recipe's `features` section. */
  settings: FeatureSettings | null;
  loading: boolean;
  saving: boolean;
  savedAt: number | null;
  error: string | null;
  load(projectId: string): Promise<void>;
  chooseDataset(datasetId: string): Promise<void>;
  chooseTarget(target: string): Promise<void>;
  setTask(task: Task): void;
  setPositiveClass(positiveClass: string): void;
  updateFeature(name: string, patch: { include?: boolean; encoding?: Partial<FeatureEncoding> }): void;
  includeAll(include: boolean): void;
  resetToSuggestion(): void;
  clearError(): void;
}

const message = errorText;

const numericType = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|REAL|DOUBLE|DECIMAL.*)$/i;

/** The engine's "no features left" problem is recomputed here as the user edits, so it is not shown twice. */
const noFeaturesPrefix = 'No features are left';

/**
 * The problems that would stop training with the current choices: the
 * engine's findings about the data, plus what an overridden task or the
 * user's feature choices add. The engine checks all of them again before a run.
 */
export function currentProblems(
  suggestion: FeatureSuggestion | null,
  settings: FeatureSettings | null,
  dataset: Dataset | undefined,
): string[] {
  if (!suggestion || !settings) return [];
  const problems = suggestion.problems.filter((problem) => !problem.startsWith(noFeaturesPrefix));
  const detected = suggestion.settings.task;
  const target = dataset?.columns.find((column) => column.name === settings.target);
  if (settings.task !== detected) {
    if (settings.task === 'regression' && target && !numericType.test(target.type)) {
      problems.push(
        `${settings.target} holds text (${target.type}), so it cannot be a regression target; choose binary or multiclass, or convert it to numbers in the Clean step.`,
      );
    }
    if (settings.task === 'binary' && suggestion.classes.length > 2) {
      problems.push(`A binary task needs exactly 2 classes, but ${settings.target} has ${suggestion.classes.length}; choose multiclass.`);
    }
  }
  if (!settings.features.some((feature) => feature.include && feature.name !== settings.target)) {
    problems.push(`${noFeaturesPrefix}: include at least one column besides the target ${settings.target}.`);
  }
  return problems;
}

/**
 * The saved choices where they still fit this dataset and target, the
 * suggestion for anything new: columns added since are suggested, columns
 * gone are dropped.
 */
function merge(suggestion: FeatureSuggestion, saved: FeatureSettings | undefined): FeatureSettings {
  if (!saved || saved.target !== suggestion.settings.target) return suggestion.settings;
  const savedByName = new Map(saved.features.map((feature) => [feature.name, feature]));
  const features: FeatureChoice[] = suggestion.settings.features.map((suggested) => {
    const kept = savedByName.get(suggested.name);
    return kept ? { ...kept, reason: suggested.reason } : suggested;
  });
  const positiveClass =
    saved.positiveClass && suggestion.classes.includes(saved.positiveClass) ? saved.positiveClass : suggestion.settings.positiveClass;
  return { target: saved.target, task: saved.task, features, ...(positiveClass ? { positiveClass } : {}) };
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
/** Each load or choice gets a number; answers to older requests are dropped. */
let requestNumber = 0;

export const useFeatures = create<FeaturesState>((set, get) => {
  /** Saves a moment after the last edit, into the latest recipe, so other steps' sections are kept. */
  const scheduleSave = () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => void save(), 400);
  };

  const save = async () => {
    const { projectId, settings } = get();
    if (!projectId || !settings) return;
    const parsed = FeatureSettings.safeParse(settings);
    if (!parsed.success) return;
    set({ saving: true });
    try {
      const recipe = await api.call('recipe.get', { projectId });
      await api.call('recipe.save', { projectId, recipe: { ...recipe, features: parsed.data } });
      set({ savedAt: Date.now() });
    } catch (error) {
      set({ error: `Could not save the feature choices: ${message(error)}` });
    } finally {
      set({ saving: false });
    }
  };

  const suggest = async (datasetId: string, target: string | undefined, saved: FeatureSettings | undefined) => {
    const request = ++requestNumber;
    set({ loading: true, error: null });
    try {
      const suggestion = await api.call('features.suggest', { datasetId, ...(target ? { target } : {}) });
      if (request !== requestNumber) return;
      const settings = merge(suggestion, saved);
      set({ suggestion, settings });
      if (settings !== saved) scheduleSave();
    } catch (error) {
      if (request === requestNumber) set({ error: message(error) });
    } finally {
      if (request === requestNumber) set({ loading: false });
    }
  };

  const editSettings = (change: (settings: FeatureSettings) => FeatureSettings) => {
    const { settings } = get();
    if (!settings) return;
    set({ settings: change(settings) });
    scheduleSave();
  };

  return {
    projectId: null,
    datasets: [],
    datasetId: null,
    suggestion: null,
    settings: null,
    loading: false,
    saving: false,
    savedAt: null,
    error: null,

    load: async (projectId) => {
      if (get().projectId !== projectId) {
        set({ projectId, datasets: [], datasetId: null, suggestion: null, settings: null, savedAt: null, error: null });
      }
      try {
        const [datasets, recipe] = await Promise.all([api.call('datasets.list', { projectId }), api.call('recipe.get', { projectId })]);
        set({ datasets });
        const current = get().datasetId;
        // Newest first: the latest dataset is usually the cleaned one to train on.
        const datasetId = current && datasets.some((dataset) => dataset.id === current) ? current : (datasets[0]?.id ?? null);
        if (!datasetId) return;
        const dataset = datasets.find((candidate) => candidate.id === datasetId);
        const saved = recipe.features;
        const target = saved && dataset?.columns.some((column) => column.name === saved.target) ? saved.target : undefined;
        set({ datasetId });
        await suggest(datasetId, target, saved);
      } catch (error) {
        set({ error: message(error) });
      }
    },

    chooseDataset: async (datasetId) => {
      const { datasets, settings } = get();
      const dataset = datasets.find((candidate) => candidate.id === datasetId);
      const target = settings && dataset?.columns.some((column) => column.name === settings.target) ? settings.target : undefined;
      set({ datasetId, suggestion: null });
      await suggest(datasetId, target, settings ?? undefined);
    },

    chooseTarget: async (target) => {
      const { datasetId } = get();
      if (!datasetId) return;
      // A new target changes the task, the leakage checks and the features: start from its suggestion.
      await suggest(datasetId, target, undefined);
    },

    setTask: (task) =>
      editSettings((settings) => {
        const { suggestion } = get();
        const positiveClass = task === 'binary' ? (settings.positiveClass ?? suggestion?.settings.positiveClass) : undefined;
        return { target: settings.target, task, features: settings.features, ...(positiveClass ? { positiveClass } : {}) };
      }),

    setPositiveClass: (positiveClass) => editSettings((settings) => ({ ...settings, positiveClass })),

    updateFeature: (name, patch) =>
      editSettings((settings) => ({
        ...settings,
        features: settings.features.map((feature) =>
          feature.name === name
            ? {
                ...feature,
                include: patch.include ?? feature.include,
                encoding: { ...feature.encoding, ...patch.encoding },
              }
            : feature,
        ),
      })),

    includeAll: (include) =>
      editSettings((settings) => ({ ...settings, features: settings.features.map((feature) => ({ ...feature, include })) })),

    resetToSuggestion: () => {
      const { suggestion } = get();
      if (!suggestion) return;
      set({ settings: suggestion.settings });
      scheduleSave();
    },

    clearError: () => set({ error: null }),
  };
});
