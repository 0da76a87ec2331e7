import { create } from 'zustand';
import type { Dataset, DatasetProfile, Job } from '../../../shared/api.js';
import { isJobOf } from '../api/jobs.js';
import { suggestedTarget } from '../../../shared/wizard.js';
import { api } from '../api/transport.js';
import { errorText } from './errorText.js';

interface ProfileState {
  projectId: string | null;
  datasets: Dataset[];
  datasetId: string | null;
  /** Empty string: no target chosen. */
  target: string;
  profile: DatasetProfile | null;
  job: Job | null;
  selectedColumn: string | null;
  error: string | null;
  load(projectId: string): Promise<void>;
  chooseDataset(datasetId: string): Promise<void>;
  chooseTarget(target: string): Promise<void>;
  selectColumn(name: string): void;
  compute(): Promise<void>;
  cancel(): Promise<void>;
  onJob(job: Job): void;
  clearError(): void;
}

let unsubscribe: (() => void) | null = null;

const message = errorText;

/** The target chosen in Explore, kept per project so a new dataset version or a reload keeps it. */
const targetKey = (projectId: string) => `kiln.explore.target.${projectId}`;

export function rememberedTarget(projectId: string | null): string | null {
  if (!projectId) return null;
  try {
    return window.localStorage.getItem(targetKey(projectId));
  } catch {
    return null;
  }
}

function rememberTarget(projectId: string | null, target: string): void {
  if (!projectId) return;
  try {
    window.localStorage.setItem(targetKey(projectId), target);
  } catch {
    // Storage may be off (a private window); the choice then lasts until the page reloads.
  }
}

const running = (job: Job | null) => job !== null && (job.state === 'queued' || job.state === 'running');

export const useProfile = create<ProfileState>((set, get) => {
  const options = () => {
    const { datasetId, target } = get();
    return { datasetId: datasetId ?? '', ...(target ? { target } : {}) };
  };

  /** The cached profile for the current choice, computed on first sight. */
  const fetchOrCompute = async () => {
    const wanted = options();
    if (!wanted.datasetId) return;
    try {
      const profile = await api.call('profile.get', wanted);
      if (JSON.stringify(options()) !== JSON.stringify(wanted)) return;
      if (profile) set({ profile, selectedColumn: get().selectedColumn ?? profile.columns[0]?.name ?? null });
      else await get().compute();
    } catch (error) {
      set({ error: message(error) });
    }
  };

  return {
    projectId: null,
    datasets: [],
    datasetId: null,
    target: '',
    profile: null,
    job: null,
    selectedColumn: null,
    error: null,

    load: async (projectId) => {
      unsubscribe ??= api.subscribe((event) => {
        if (event.type === 'job.updated') get().onJob(event.job);
        if (event.type === 'datasets.changed' && event.projectId === get().projectId) void get().load(event.projectId);
      });
      if (get().projectId !== projectId)
        set({ projectId, datasets: [], datasetId: null, target: '', profile: null, job: null, selectedColumn: null, error: null });
      try {
        const datasets = await api.call('datasets.list', { projectId });
        set({ datasets });
        const current = get().datasetId;
        const latest = datasets[0];
        if ((!current || !datasets.some((dataset) => dataset.id === current)) && latest) await get().chooseDataset(latest.id);
      } catch (error) {
        set({ error: message(error) });
      }
    },

    chooseDataset: async (datasetId) => {
      const dataset = get().datasets.find((candidate) => candidate.id === datasetId);
      const columns = dataset?.columns ?? [];
      const has = (name: string | null | undefined): name is string =>
        typeof name === 'string' && columns.some((column) => column.name === name);
      // The target carries over between versions; a first visit starts from the saved features' target, or the suggestion.
      const remembered = rememberedTarget(get().projectId);
      const target = has(get().target)
        ? get().target
        : remembered === ''
          ? ''
          : has(remembered)
            ? remembered
            : ((await savedTarget(get().projectId, has)) ?? suggestedTarget(columns) ?? '');
      set({ datasetId, target, profile: null, selectedColumn: null, error: null });
      await fetchOrCompute();
    },

    chooseTarget: async (target) => {
      set({ target, error: null });
      rememberTarget(get().projectId, target);
      await fetchOrCompute();
    },

    selectColumn: (name) => set({ selectedColumn: name }),

    compute: async () => {
      if (running(get().job)) return;
      set({ error: null });
      try {
        const { jobId } = await api.call('profile.compute', options());
        const job = await api.call('jobs.get', { jobId });
        // The job may already have finished (a cached profile): treat it as an event.
        set({ job });
        get().onJob(job);
      } catch (error) {
        set({ error: message(error) });
      }
    },

    cancel: async () => {
      const job = get().job;
      if (job) set({ job: await api.call('jobs.cancel', { jobId: job.id }) });
    },

    onJob: (job) => {
      const current = get().job;
      if (!isJobOf(job, 'profile') || !current || current.id !== job.id) return;
      set({ job });
      if (job.state === 'failed') set({ error: job.error ?? 'Profiling failed.' });
      if (job.state === 'succeeded') {
        void api.call('profile.get', options()).then(
          (profile) => {
            if (profile && profile.datasetId === get().datasetId) {
              set({ profile, selectedColumn: get().selectedColumn ?? profile.columns[0]?.name ?? null });
            }
          },
          (error: unknown) => set({ error: message(error) }),
        );
      }
    },

    clearError: () => set({ error: null }),
  };
});

/** The target saved in the Features step, when it is a column of the dataset. */
async function savedTarget(projectId: string | null, has: (name: string | null | undefined) => name is string): Promise<string | null> {
  if (!projectId) return null;
  const recipe = await api.call('recipe.get', { projectId }).catch(() => null);
  const target = recipe?.features?.target;
  return has(target) ? target : null;
}

export function isRunning(job: Job | null): boolean {
  return running(job);
}
