import { create } from 'zustand';
import type { CleanPreview, CleanResult, ColumnInfo, Dataset, Job } from '../../../shared/api.js';
import { isJobOf, jobResult } from '../api/jobs.js';
import { CleanStep, emptyRecipe, type CleanStepType, type Recipe } from '../../../shared/recipe.js';
import { api } from '../api/transport.js';
import { useDatasets } from './datasets.js';

/**
 * A step as the user is editing it. It may be incomplete (no columns chosen
 * yet); only steps that validate are previewed, applied and saved.
 */
export type DraftStep = { type: CleanStepType; id: string; enabled: boolean } & Record<string, unknown>;

export interface DraftCheck {
  valid: boolean;
  /** The first problem, for an incomplete step. */
  problem: string | null;
  step: CleanStep | null;
}

export function checkDraft(draft: DraftStep): DraftCheck {
  const parsed = CleanStep.safeParse(draft);
  if (parsed.success) return { valid: true, problem: null, step: parsed.data };
  return { valid: false, problem: parsed.error.issues[0]?.message ?? 'Incomplete.', step: null };
}

let counter = 0;
function newStepId(type: string): string {
  counter += 1;
  return `${type}-${Date.now().toString(36)}-${counter}`;
}

export function newDraft(type: CleanStepType, columns: ColumnInfo[]): DraftStep {
  const base = { type, id: newStepId(type), enabled: true };
  const first = columns[0]?.name ?? '';
  switch (type) {
    case 'dropColumns':
    case 'castType':
    case 'maskPersonal':
    case 'impute':
    case 'text':
    case 'clipOutliers':
      return {
        ...base,
        columns: [],
        ...(type === 'castType' ? { to: 'DOUBLE' } : {}),
        ...(type === 'maskPersonal' ? { method: 'sha256', keepLast: 4 } : {}),
        ...(type === 'impute' ? { method: 'mostFrequent' } : {}),
        ...(type === 'text' ? { operation: 'trim', find: '', replacement: '' } : {}),
        ...(type === 'clipOutliers' ? { method: 'percentile', low: 0.01, high: 0.99, k: 1.5 } : {}),
      };
    case 'dropMissingRows':
      return { ...base, columns: [], how: 'any' };
    case 'removeDuplicates':
      return { ...base, columns: [] };
    case 'filterRows':
      return { ...base, condition: { column: first, operator: 'notMissing' }, keep: 'matching' };
    case 'parseDate':
      return { ...base, column: first, parts: ['year', 'month', 'day', 'weekday'], dropOriginal: false };
  }
}

/** The columns a step sees: the dataset's, less those dropped and plus those made by earlier steps. */
export function columnsBefore(base: ColumnInfo[], drafts: DraftStep[], index: number): ColumnInfo[] {
  let columns = base;
  for (const draft of drafts.slice(0, index)) {
    const { step } = checkDraft(draft);
    if (!step || !step.enabled) continue;
    if (step.type === 'dropColumns') columns = columns.filter((column) => !step.columns.includes(column.name));
    if (step.type === 'castType')
      columns = columns.map((column) => (step.columns.includes(column.name) ? { ...column, type: step.to } : column));
    if (step.type === 'maskPersonal')
      columns = columns.map((column) => (step.columns.includes(column.name) ? { ...column, type: 'VARCHAR' } : column));
    if (step.type === 'parseDate') {
      const added = step.parts.map((part) => ({ name: `${step.column}_${part}`, type: 'BIGINT' }));
      columns = [...columns.filter((column) => !(step.dropOriginal && column.name === step.column)), ...added];
    }
  }
  return columns;
}

interface CleanState {
  projectId: string | null;
  datasetId: string | null;
  recipe: Recipe;
  drafts: DraftStep[];
  preview: CleanPreview | null;
  previewing: boolean;
  previewError: string | null;
  /** Which step the preview error belongs to, from the error's field (`steps.3.columns`). */
  previewErrorStep: string | null;
  applyJob: Job | null;
  applied: CleanResult | null;
  error: string | null;
  load(projectId: string): Promise<void>;
  chooseDataset(datasetId: string): void;
  add(type: CleanStepType): string;
  update(id: string, patch: Record<string, unknown>): void;
  move(id: string, delta: -1 | 1): void;
  remove(id: string): void;
  apply(): Promise<void>;
  onJob(job: Job): void;
  clearError(): void;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The steps that are complete, in order: what is previewed, applied and saved. */
export function validSteps(drafts: DraftStep[]): CleanStep[] {
  return drafts.map((draft) => checkDraft(draft).step).filter((step): step is CleanStep => step !== null);
}

/** A cleaned dataset is applied from its source, so the picker offers the imported ones first. */
export function sourceDatasets(datasets: Dataset[]): Dataset[] {
  const sources = datasets.filter((dataset) => !dataset.name.endsWith(' · cleaned'));
  return sources.length > 0 ? sources : datasets;
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let previewSerial = 0;

export const useClean = create<CleanState>((set, get) => {
  /** Saves the recipe and refreshes the preview a moment after the last edit, so typing does not flood the engine. */
  const scheduleRefresh = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void refresh(), 350);
  };

  const refresh = async () => {
    const { projectId, datasetId, drafts, recipe } = get();
    if (!projectId) return;
    const steps = validSteps(drafts);
    set({ recipe: { ...recipe, clean: steps } });
    // Other steps save their own sections of the recipe; start from the saved one so theirs are kept.
    api
      .call('recipe.get', { projectId })
      .then((latest) => api.call('recipe.save', { projectId, recipe: { ...latest, clean: steps } }))
      .catch((error: unknown) => set({ error: `Could not save the recipe: ${message(error)}` }));
    if (!datasetId) return;
    const serial = ++previewSerial;
    set({ previewing: true });
    try {
      const preview = await api.call('clean.preview', { datasetId, steps, limit: 200 });
      if (serial === previewSerial) set({ preview, previewing: false, previewError: null, previewErrorStep: null });
    } catch (error) {
      if (serial !== previewSerial) return;
      const field = (error as { field?: string }).field ?? '';
      const index = /^steps\.(\d+)/.exec(field)?.[1];
      const step = index === undefined ? undefined : steps[Number(index)];
      set({ previewing: false, previewError: message(error), previewErrorStep: step?.id ?? null });
    }
  };

  return {
    projectId: null,
    datasetId: null,
    recipe: emptyRecipe(),
    drafts: [],
    preview: null,
    previewing: false,
    previewError: null,
    previewErrorStep: null,
    applyJob: null,
    applied: null,
    error: null,

    load: async (projectId) => {
      if (get().projectId !== projectId) {
        set({ projectId, datasetId: null, recipe: emptyRecipe(), drafts: [], preview: null, applyJob: null, applied: null, error: null });
      }
      try {
        const [recipe, datasets] = await Promise.all([api.call('recipe.get', { projectId }), api.call('datasets.list', { projectId })]);
        const first = sourceDatasets(datasets)[0];
        set({
          recipe,
          drafts: recipe.clean.map((step) => ({ ...step }) as DraftStep),
          datasetId: get().datasetId ?? first?.id ?? null,
        });
        scheduleRefresh();
      } catch (error) {
        set({ error: message(error) });
      }
    },

    chooseDataset: (datasetId) => {
      set({ datasetId, preview: null, applied: null });
      scheduleRefresh();
    },

    add: (type) => {
      const dataset = useDatasets.getState().datasets.find((candidate) => candidate.id === get().datasetId);
      const columns = columnsBefore(dataset?.columns ?? [], get().drafts, get().drafts.length);
      const draft = newDraft(type, columns);
      set({ drafts: [...get().drafts, draft], applied: null });
      scheduleRefresh();
      return draft.id;
    },

    update: (id, patch) => {
      set({ drafts: get().drafts.map((draft) => (draft.id === id ? { ...draft, ...patch } : draft)), applied: null });
      scheduleRefresh();
    },

    move: (id, delta) => {
      const drafts = [...get().drafts];
      const index = drafts.findIndex((draft) => draft.id === id);
      const target = index + delta;
      if (index < 0 || target < 0 || target >= drafts.length) return;
      const [moved] = drafts.splice(index, 1);
      if (moved) drafts.splice(target, 0, moved);
      set({ drafts, applied: null });
      scheduleRefresh();
    },

    remove: (id) => {
      set({ drafts: get().drafts.filter((draft) => draft.id !== id), applied: null });
      scheduleRefresh();
    },

    apply: async () => {
      const { datasetId, drafts } = get();
      if (!datasetId) return;
      set({ error: null, applied: null });
      try {
        const { jobId } = await api.call('clean.apply', { datasetId, steps: validSteps(drafts) });
        set({ applyJob: await api.call('jobs.get', { jobId }) });
      } catch (error) {
        set({ error: message(error) });
      }
    },

    onJob: (job) => {
      if (!isJobOf(job, 'clean') || job.id !== get().applyJob?.id) return;
      set({ applyJob: job });
      if (job.state === 'failed') set({ error: job.error ?? 'Applying the steps failed.' });
      if (job.state === 'succeeded') {
        set({ applied: jobResult(job, 'clean') });
        const projectId = get().projectId;
        if (projectId) void useDatasets.getState().load(projectId);
      }
    },

    clearError: () => set({ error: null }),
  };
});
