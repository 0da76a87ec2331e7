import { create } from 'zustand';
import type { Dataset, Job, TablePage } from '../../../shared/api.js';
import { api, connection } from '../api/transport.js';

interface DatasetsState {
  projectId: string | null;
  datasets: Dataset[];
  selectedId: string | null;
  preview: TablePage | null;
  importJob: Job | null;
  error: string | null;
  load(projectId: string): Promise<void>;
  select(datasetId: string): Promise<void>;
  importFile(projectId: string, file: File): Promise<void>;
  importSample(projectId: string, sampleId: string): Promise<void>;
  onJob(job: Job): void;
  cancelImport(): Promise<void>;
  clearError(): void;
}

export const useDatasets = create<DatasetsState>((set, get) => ({
  projectId: null,
  datasets: [],
  selectedId: null,
  preview: null,
  importJob: null,
  error: null,

  load: async (projectId) => {
    if (get().projectId !== projectId) set({ projectId, datasets: [], selectedId: null, preview: null, importJob: null, error: null });
    try {
      const datasets = await api.call('datasets.list', { projectId });
      set({ datasets });
      const first = datasets[0];
      if (!get().selectedId && first) await get().select(first.id);
    } catch (error) {
      set({ error: message(error) });
    }
  },

  select: async (datasetId) => {
    set({ selectedId: datasetId, preview: null });
    try {
      const preview = await api.call('datasets.preview', { datasetId, limit: 200 });
      if (get().selectedId === datasetId) set({ preview });
    } catch (error) {
      set({ error: message(error) });
    }
  },

  importFile: async (projectId, file) => {
    set({ error: null });
    try {
      const { jobId } = await connection.importFile(projectId, file);
      set({ importJob: await api.call('jobs.get', { jobId }) });
    } catch (error) {
      set({ error: message(error) });
    }
  },

  importSample: async (projectId, sampleId) => {
    set({ error: null });
    try {
      const { jobId } = await api.call('datasets.importSample', { projectId, sampleId });
      set({ importJob: await api.call('jobs.get', { jobId }) });
    } catch (error) {
      set({ error: message(error) });
    }
  },

  onJob: (job) => {
    const current = get().importJob;
    if (job.kind !== 'import' || job.projectId !== get().projectId) return;
    if (current && current.id !== job.id && !isFinished(current)) return;
    set({ importJob: job });
    if (job.state === 'failed') set({ error: job.error ?? 'The import failed.' });
    if (job.state === 'succeeded') {
      const dataset = job.result as Dataset;
      void get()
        .load(job.projectId ?? '')
        .then(() => get().select(dataset.id));
    }
  },

  cancelImport: async () => {
    const job = get().importJob;
    if (job) set({ importJob: await api.call('jobs.cancel', { jobId: job.id }) });
  },

  clearError: () => set({ error: null }),
}));

export function isFinished(job: Job): boolean {
  return job.state !== 'queued' && job.state !== 'running';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
