import { create } from 'zustand';
import { api } from '../api/transport.js';

/** What work exists in a project, for the Done marks beside the wizard steps. */
export interface ProjectProgress {
  profiled: boolean;
  cleaned: boolean;
  featuresSaved: boolean;
  finishedRuns: number;
  runs: number;
  exports: number;
}

interface ProgressState {
  projectId: string | null;
  progress: ProjectProgress | null;
  load(projectId: string): Promise<void>;
}

const cleanedSuffix = ' · cleaned';

let unsubscribe: (() => void) | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;

function has(value: unknown, key: string): boolean {
  return typeof value === 'object' && value !== null && key in value && (value as Record<string, unknown>)[key] != null;
}

/**
 * Answers each question with one cheap call; a method another step has not
 * shipped yet simply counts as "not done", so the sidebar never shows an error.
 */
async function measure(projectId: string): Promise<ProjectProgress> {
  const [datasets, recipe, runs, exports] = await Promise.all([
    api.call('datasets.list', { projectId }).catch(() => []),
    api.call('recipe.get', { projectId }).catch(() => null),
    api.call('runs.list', { projectId }).catch(() => []),
    api.call('export.list', { projectId }).catch(() => []),
  ]);
  const latest = datasets[0];
  const featureTarget = has(recipe, 'features') ? (recipe as unknown as { features: { target?: unknown } }).features.target : undefined;
  const profileOptions = [
    ...datasets.slice(0, 2).map((dataset) => ({ datasetId: dataset.id })),
    ...(latest && typeof featureTarget === 'string' ? [{ datasetId: latest.id, target: featureTarget }] : []),
  ];
  const profiles = await Promise.all(profileOptions.map((options) => api.call('profile.get', options).catch(() => null)));
  return {
    profiled: profiles.some((profile) => profile !== null),
    cleaned: datasets.some((dataset) => dataset.name.endsWith(cleanedSuffix)) || (recipe?.clean.length ?? 0) > 0,
    featuresSaved: has(recipe, 'features'),
    finishedRuns: runs.filter((run) => run.status === 'succeeded').length,
    runs: runs.length,
    exports: exports.length,
  };
}

export const useProgress = create<ProgressState>((set, get) => {
  // Events come in bursts (a training run sends one per epoch): refresh once they settle.
  const scheduleRefresh = () => {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      const projectId = get().projectId;
      if (projectId) void get().load(projectId);
    }, 400);
  };

  return {
    projectId: null,
    progress: null,
    load: async (projectId) => {
      unsubscribe ??= api.subscribe((event) => {
        const current = get().projectId;
        if (!current) return;
        if (event.type === 'datasets.changed' && event.projectId === current) scheduleRefresh();
        if (event.type === 'runs.changed' && event.projectId === current && event.run.status !== 'running') scheduleRefresh();
        if (
          event.type === 'job.updated' &&
          event.job.projectId === current &&
          event.job.state !== 'running' &&
          event.job.state !== 'queued'
        )
          scheduleRefresh();
      });
      if (get().projectId !== projectId) set({ projectId, progress: null });
      const progress = await measure(projectId);
      if (get().projectId === projectId) set({ progress });
    },
  };
});
