import { create } from 'zustand';
import type { Dataset, DatasetProfile, Job } from '../../../shared/api.js';
import { isJobOf } from '../api/jobs.js';
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
      const target = dataset?.columns.some((column) => column.name === get().target) ? get().target : '';
      set({ datasetId, target, profile: null, selectedColumn: null, error: null });
      await fetchOrCompute();
    },

    chooseTarget: async (target) => {
      set({ target, error: null });
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

export function isRunning(job: Job | null): boolean {
  return running(job);
}
