import { create } from 'zustand';
import type { Dataset, ImportOptions, ImportReport, Job, SniffResult, TablePage } from '../../../shared/api.js';
import { isJobOf, jobResult } from '../api/jobs.js';
import { api, connection } from '../api/transport.js';

/** A file (or sample) chosen but not yet imported: its sniffed settings and preview, and the user's overrides. */
export interface ImportDraft {
  source: { kind: 'file'; path: string; name: string } | { kind: 'sample'; sampleId: string; name: string };
  sniff: SniffResult;
  options: ImportOptions;
  sniffing: boolean;
}

interface DatasetsState {
  projectId: string | null;
  datasets: Dataset[];
  selectedId: string | null;
  preview: TablePage | null;
  /** How the selected dataset was imported (bad rows, renamed columns, notes). */
  report: ImportReport | null;
  draft: ImportDraft | null;
  importJob: Job | null;
  error: string | null;
  load(projectId: string): Promise<void>;
  select(datasetId: string): Promise<void>;
  /** Sniffs a file the user chose and shows its preview; `confirmImport` imports it. */
  importFile(projectId: string, file: File): Promise<void>;
  importSample(projectId: string, sampleId: string): Promise<void>;
  /** Sniffs the draft again with changed options (separator, header, encoding, missing markers). */
  resniff(options: ImportOptions): Promise<void>;
  /** Changes options that need no new sniff (types, roles, bad rows). */
  setOptions(options: ImportOptions): void;
  confirmImport(): Promise<void>;
  discardDraft(): void;
  onJob(job: Job): void;
  cancelImport(): Promise<void>;
  clearError(): void;
}

async function sniffSource(source: ImportDraft['source'], options: ImportOptions): Promise<SniffResult> {
  return source.kind === 'file'
    ? api.call('datasets.sniff', { path: source.path, options })
    : api.call('datasets.sniffSample', { sampleId: source.sampleId, options });
}

export const useDatasets = create<DatasetsState>((set, get) => ({
  projectId: null,
  datasets: [],
  selectedId: null,
  preview: null,
  report: null,
  draft: null,
  importJob: null,
  error: null,

  load: async (projectId) => {
    if (get().projectId !== projectId) {
      set({ projectId, datasets: [], selectedId: null, preview: null, report: null, draft: null, importJob: null, error: null });
    }
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
    set({ selectedId: datasetId, preview: null, report: null });
    try {
      const [preview, report] = await Promise.all([
        api.call('datasets.preview', { datasetId, limit: 200 }),
        api.call('datasets.importReport', { datasetId }),
      ]);
      if (get().selectedId === datasetId) set({ preview, report });
    } catch (error) {
      set({ error: message(error) });
    }
  },

  importFile: async (projectId, file) => {
    set({ error: null, draft: null, projectId });
    try {
      const staged = await connection.stageFile(projectId, file);
      const source = { kind: 'file' as const, path: staged.path, name: file.name };
      const sniff = await sniffSource(source, {});
      set({ draft: { source, sniff, options: {}, sniffing: false } });
    } catch (error) {
      set({ error: message(error) });
    }
  },

  importSample: async (projectId, sampleId) => {
    set({ error: null, draft: null, projectId });
    try {
      const source = { kind: 'sample' as const, sampleId, name: sampleId };
      const sniff = await sniffSource(source, {});
      set({ draft: { source, sniff, options: {}, sniffing: false } });
    } catch (error) {
      set({ error: message(error) });
    }
  },

  resniff: async (options) => {
    const draft = get().draft;
    if (!draft) return;
    set({ draft: { ...draft, options, sniffing: true }, error: null });
    try {
      const sniff = await sniffSource(draft.source, options);
      if (get().draft?.source === draft.source) set({ draft: { ...draft, sniff, options, sniffing: false } });
    } catch (error) {
      if (get().draft?.source === draft.source) set({ draft: { ...draft, options, sniffing: false }, error: message(error) });
    }
  },

  setOptions: (options) => {
    const draft = get().draft;
    if (draft) set({ draft: { ...draft, options } });
  },

  confirmImport: async () => {
    const { draft, projectId } = get();
    if (!draft || !projectId) return;
    set({ error: null });
    try {
      const { jobId } =
        draft.source.kind === 'file'
          ? await api.call('datasets.import', { projectId, path: draft.source.path, name: draft.source.name, options: draft.options })
          : await api.call('datasets.importSample', { projectId, sampleId: draft.source.sampleId, options: draft.options });
      set({ importJob: await api.call('jobs.get', { jobId }) });
    } catch (error) {
      set({ error: message(error) });
    }
  },

  discardDraft: () => set({ draft: null }),

  onJob: (job) => {
    const current = get().importJob;
    if (!isJobOf(job, 'import') || job.projectId !== get().projectId) return;
    if (current && current.id !== job.id && !isFinished(current)) return;
    set({ importJob: job });
    if (job.state === 'failed') set({ error: job.error ?? 'The import failed.' });
    const dataset = jobResult(job, 'import');
    if (dataset) {
      set({ draft: null });
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
