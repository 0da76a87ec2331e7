import { create } from 'zustand';
import type { Job, JobKind } from '../../../shared/api.js';
import type { WizardStepId } from '../../../shared/wizard.js';
import { suggestedTarget } from '../../../shared/wizard.js';
import { api } from '../api/transport.js';
import { rememberedTarget } from './profile.js';

/** The step whose work a job does, so the sidebar can say "Running" beside it. */
const stepOfJob: Record<JobKind, WizardStepId> = {
  import: 'import',
  profile: 'explore',
  clean: 'clean',
  split: 'clean',
  train: 'train',
  export: 'export',
  'docker-build': 'export',
};

const isActive = (job: Job) => job.state === 'queued' || job.state === 'running';

export type StepStatus = 'done' | 'ready' | 'running' | 'not-built';

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
  /** The project's jobs still queued or running, by id, with the step each belongs to. */
  activeJobs: Record<string, WizardStepId>;
  load(projectId: string): Promise<void>;
}

/** Whether a step's work is done (not merely visited), running now, or still to do. */
export function stepStatus(
  id: WizardStepId,
  built: boolean,
  datasets: number,
  progress: ProjectProgress | null,
  activeJobs: Record<string, WizardStepId>,
): StepStatus {
  if (!built) return 'not-built';
  if (Object.values(activeJobs).includes(id)) return 'running';
  const done: Record<WizardStepId, boolean | undefined> = {
    import: datasets > 0,
    explore: progress?.profiled,
    clean: progress?.cleaned,
    features: progress?.featuresSaved,
    train: (progress?.finishedRuns ?? 0) > 0,
    compare: (progress?.runs ?? 0) >= 2,
    export: (progress?.exports ?? 0) > 0,
  };
  return done[id] ? 'done' : 'ready';
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
  // Explore profiles against the target it shows: the saved one, the one chosen there, or the suggestion.
  const targets = new Set(
    [
      typeof featureTarget === 'string' ? featureTarget : null,
      rememberedTarget(projectId),
      latest ? suggestedTarget(latest.columns) : null,
    ].filter((target): target is string => typeof target === 'string' && target !== ''),
  );
  const profileOptions = [
    ...datasets.slice(0, 2).map((dataset) => ({ datasetId: dataset.id })),
    ...(latest ? [...targets].map((target) => ({ datasetId: latest.id, target })) : []),
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
    activeJobs: {},
    load: async (projectId) => {
      unsubscribe ??= api.subscribe((event) => {
        const current = get().projectId;
        if (!current) return;
        if (event.type === 'job.updated' && event.job.projectId === current) {
          const { [event.job.id]: known, ...others } = get().activeJobs;
          if (isActive(event.job)) {
            if (!known) set({ activeJobs: { ...others, [event.job.id]: stepOfJob[event.job.kind] } });
          } else if (known) set({ activeJobs: others });
        }
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
      if (get().projectId !== projectId) set({ projectId, progress: null, activeJobs: {} });
      const [progress, jobs] = await Promise.all([measure(projectId), api.call('jobs.list', { projectId }).catch(() => [])]);
      if (get().projectId !== projectId) return;
      const activeJobs = Object.fromEntries(jobs.filter(isActive).map((job) => [job.id, stepOfJob[job.kind]]));
      set({ progress, activeJobs });
    },
  };
});
