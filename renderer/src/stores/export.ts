import { create } from 'zustand';
import type { Job, JsonCell } from '../../../shared/api.js';
import { exportMethods, type ContainerInfo, type DockerStatus, type ExportBundle, type TestResponse } from '../../../shared/api/export.js';
import type { Run } from '../../../shared/api/train.js';
import type { KilnEvent } from '../../../shared/events.js';
import { jobResult } from '../api/jobs.js';
import { bestRun } from '../runs/ranking.js';
import { api } from '../api/transport.js';
import { isJobActive } from './train.js';

/** Where each failure is shown: beside the part of the step that failed. */
/** How often the open Export step asks whether Docker still answers: often enough to notice a stopped engine, cheap for the engine. */
export const dockerPollMs = 5_000;

export type ExportSection = 'runs' | 'export' | 'docker' | 'container' | 'test';

export const defaultBaseImage = 'node:20-bookworm-slim';
export const defaultPort = 8080;
/** A build log can run to thousands of lines; the box keeps the tail, which is where errors are. */
export const buildLogLimit = 500;

interface ExportState {
  projectId: string | null;
  /** Finished runs of the project, newest first. */
  runs: Run[];
  runId: string | null;
  /** Bundles of the project, newest first. */
  bundles: ExportBundle[];
  /** One real row of the chosen run's dataset (target left out), for the curl example. */
  sampleRow: Record<string, JsonCell> | null;
  loading: boolean;
  exportJob: Job | null;
  exportJobId: string | null;
  docker: DockerStatus | null;
  dockerChecking: boolean;
  tag: string;
  baseImage: string;
  buildJobId: string | null;
  buildJob: Job | null;
  buildLog: string[];
  port: string;
  exposeAll: boolean;
  container: ContainerInfo | null;
  containerBusy: 'starting' | 'stopping' | null;
  logs: string[] | null;
  logsLoading: boolean;
  test: TestResponse | null;
  testing: boolean;
  errors: Partial<Record<ExportSection, string>>;
  load(projectId: string): Promise<void>;
  chooseRun(runId: string): Promise<void>;
  exportRun(): Promise<void>;
  /** Asks the engine whether Docker answers; a quiet check (the watch's) does not show "Checking…". */
  checkDocker(options?: { quiet?: boolean }): Promise<void>;
  /**
   * Keeps the Docker badge true to the engine while the Export step is open: asks again every few seconds
   * while the page is visible, and at once when the window gets focus back. Returns the stop.
   */
  watchDocker(): () => void;
  setTag(tag: string): void;
  setBaseImage(baseImage: string): void;
  buildImage(): Promise<void>;
  setPort(port: string): void;
  setExposeAll(exposeAll: boolean): void;
  runContainer(): Promise<void>;
  refreshContainer(): Promise<void>;
  loadLogs(): Promise<void>;
  stopContainer(): Promise<void>;
  sendTestRow(): Promise<void>;
  onEvent(event: KilnEvent): void;
  clearError(section: ExportSection): void;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The newest bundle of a run; the step shows it until the user exports again. */
export function bundleOf(state: Pick<ExportState, 'bundles' | 'runId'>): ExportBundle | null {
  return state.bundles.find((bundle) => bundle.runId === state.runId) ?? null;
}

/** A tag the contract accepts, named after the run so two exports do not overwrite each other's image. */
export function defaultTag(runId: string): string {
  const suffix = runId
    .replace(/^run_/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '');
  return `kiln/model:${suffix.slice(0, 12) || 'latest'}`;
}

export function tagProblem(tag: string): string | null {
  if (tag.trim() === '') return 'Give the image a tag, e.g. kiln/adult:1.';
  const checked = exportMethods['export.buildImage'].input.shape.tag.safeParse(tag.trim());
  return checked.success ? null : (checked.error.issues[0]?.message ?? 'This tag is not valid.');
}

export function portProblem(port: string): string | null {
  if (!/^\d+$/.test(port.trim())) return 'The port is a whole number from 1024 to 65535.';
  const checked = exportMethods['export.runContainer'].input.shape.port.safeParse(Number(port));
  return checked.success ? null : 'The port is a whole number from 1024 to 65535.';
}

function withBundle(bundles: ExportBundle[], bundle: ExportBundle): ExportBundle[] {
  return [bundle, ...bundles.filter((existing) => existing.id !== bundle.id)];
}

let unsubscribe: (() => void) | null = null;

export const useExport = create<ExportState>((set, get) => {
  const fail = (section: ExportSection, error: unknown) => set({ errors: { ...get().errors, [section]: message(error) } });
  const clear = (section: ExportSection) => {
    if (get().errors[section] === undefined) return;
    const errors = { ...get().errors };
    delete errors[section];
    set({ errors });
  };

  const loadSampleRow = async (run: Run | undefined) => {
    set({ sampleRow: null });
    if (!run?.datasetId) return;
    const page = await api.call('datasets.preview', { datasetId: run.datasetId, offset: 0, limit: 1 });
    const cells = page.rows[0];
    if (!cells || get().runId !== run.id) return;
    const row: Record<string, JsonCell> = {};
    page.columns.forEach((column, index) => {
      if (column.name !== run.target) row[column.name] = cells[index] ?? null;
    });
    set({ sampleRow: row });
  };

  /** A new run or bundle means a new image and server: what was shown for the old one no longer applies. */
  const resetDownstream = () =>
    set({ buildJobId: null, buildJob: null, buildLog: [], logs: null, test: null, exportJob: null, exportJobId: null });

  return {
    projectId: null,
    runs: [],
    runId: null,
    bundles: [],
    sampleRow: null,
    loading: false,
    exportJob: null,
    exportJobId: null,
    docker: null,
    dockerChecking: false,
    tag: '',
    baseImage: defaultBaseImage,
    buildJobId: null,
    buildJob: null,
    buildLog: [],
    port: String(defaultPort),
    exposeAll: false,
    container: null,
    containerBusy: null,
    logs: null,
    logsLoading: false,
    test: null,
    testing: false,
    errors: {},

    load: async (projectId) => {
      unsubscribe ??= api.subscribe((event) => get().onEvent(event));
      if (get().projectId !== projectId) {
        set({ projectId, runs: [], runId: null, bundles: [], sampleRow: null, container: null, errors: {}, tag: '' });
        resetDownstream();
      }
      set({ loading: true });
      void get().checkDocker();
      try {
        const [runs, bundles] = await Promise.all([api.call('runs.list', { projectId }), api.call('export.list', { projectId })]);
        if (get().projectId !== projectId) return;
        const finished = runs.filter((run) => run.status === 'succeeded');
        const current = get().runId;
        const runId = current && finished.some((run) => run.id === current) ? current : (bestRun(finished)?.id ?? finished[0]?.id ?? null);
        set({ runs: finished, bundles, loading: false });
        clear('runs');
        if (runId !== current && runId) await get().chooseRun(runId);
      } catch (error) {
        set({ loading: false });
        fail('runs', error);
      }
    },

    chooseRun: async (runId) => {
      if (runId === get().runId) return;
      set({ runId, tag: defaultTag(runId) });
      resetDownstream();
      clear('export');
      try {
        await loadSampleRow(get().runs.find((run) => run.id === runId));
      } catch (error) {
        // The curl example falls back to the column names alone; the export itself does not need the row.
        fail('runs', error);
      }
    },

    exportRun: async () => {
      const { runId } = get();
      if (!runId || isJobActive(get().exportJob)) return;
      clear('export');
      resetDownstream();
      try {
        const { jobId } = await api.call('export.create', { runId });
        set({ exportJobId: jobId });
        const job = await api.call('jobs.get', { jobId });
        if (!get().exportJob || !isJobActive(job)) get().onEvent({ type: 'job.updated', job });
      } catch (error) {
        fail('export', error);
      }
    },

    checkDocker: async (options) => {
      const quiet = options?.quiet === true;
      if (!quiet) set({ dockerChecking: true });
      try {
        const docker = await api.call('docker.status', {});
        const previous = get().docker;
        // A poll that finds nothing new leaves the state (and the page) as it is.
        if (previous?.available !== docker.available || previous.detail !== docker.detail) set({ docker });
        if (!quiet) clear('docker');
      } catch (error) {
        fail('docker', error);
      } finally {
        if (!quiet) set({ dockerChecking: false });
      }
    },

    watchDocker: () => {
      const check = () => {
        if (document.visibilityState === 'visible') void get().checkDocker({ quiet: true });
      };
      const timer = setInterval(check, dockerPollMs);
      window.addEventListener('focus', check);
      document.addEventListener('visibilitychange', check);
      return () => {
        clearInterval(timer);
        window.removeEventListener('focus', check);
        document.removeEventListener('visibilitychange', check);
      };
    },

    setTag: (tag) => set({ tag }),
    setBaseImage: (baseImage) => set({ baseImage }),

    buildImage: async () => {
      const bundle = bundleOf(get());
      const { tag, baseImage } = get();
      if (!bundle || isJobActive(get().buildJob)) return;
      const problem = tagProblem(tag);
      if (problem) {
        fail('docker', problem);
        return;
      }
      clear('docker');
      set({ buildJobId: null, buildJob: null, buildLog: [] });
      try {
        const { jobId } = await api.call('export.buildImage', {
          exportId: bundle.id,
          tag: tag.trim(),
          baseImage: baseImage.trim() || defaultBaseImage,
        });
        set({ buildJobId: jobId });
        const job = await api.call('jobs.get', { jobId });
        if (!get().buildJob || !isJobActive(job)) get().onEvent({ type: 'job.updated', job });
      } catch (error) {
        fail('docker', error);
      }
    },

    setPort: (port) => set({ port }),
    setExposeAll: (exposeAll) => set({ exposeAll }),

    runContainer: async () => {
      const bundle = bundleOf(get());
      if (!bundle?.image || get().containerBusy) return;
      const problem = portProblem(get().port);
      if (problem) {
        fail('container', problem);
        return;
      }
      clear('container');
      set({ containerBusy: 'starting', logs: null, test: null });
      try {
        const container = await api.call('export.runContainer', {
          exportId: bundle.id,
          port: Number(get().port),
          host: get().exposeAll ? '0.0.0.0' : '127.0.0.1',
        });
        set({ container });
      } catch (error) {
        fail('container', error);
      } finally {
        set({ containerBusy: null });
      }
    },

    refreshContainer: async () => {
      const container = get().container;
      if (!container || get().containerBusy) return;
      try {
        const next = await api.call('export.containerStatus', { containerId: container.id });
        if (get().container?.id === container.id) set({ container: next });
      } catch (error) {
        fail('container', error);
      }
    },

    loadLogs: async () => {
      const container = get().container;
      if (!container) return;
      set({ logsLoading: true });
      try {
        const { lines } = await api.call('export.containerLogs', { containerId: container.id, tail: 200 });
        set({ logs: lines });
        clear('container');
      } catch (error) {
        fail('container', error);
      } finally {
        set({ logsLoading: false });
      }
    },

    stopContainer: async () => {
      const container = get().container;
      if (!container || get().containerBusy) return;
      clear('container');
      set({ containerBusy: 'stopping' });
      try {
        set({ container: await api.call('export.stopContainer', { containerId: container.id }) });
      } catch (error) {
        fail('container', error);
      } finally {
        set({ containerBusy: null });
      }
    },

    sendTestRow: async () => {
      const bundle = bundleOf(get());
      const url = get().container?.url;
      if (!bundle || !url || get().testing) return;
      clear('test');
      set({ testing: true });
      try {
        set({ test: await api.call('export.testRequest', { url, exportId: bundle.id }) });
      } catch (error) {
        fail('test', error);
      } finally {
        set({ testing: false });
      }
    },

    onEvent: (event) => {
      if (event.type !== 'job.updated') return;
      const job = event.job;
      const { exportJobId, exportJob, buildJobId, buildJob } = get();
      if (job.id === exportJobId) {
        // A late event must not move a finished job back to running.
        if (exportJob && !isJobActive(exportJob) && isJobActive(job)) return;
        set({ exportJob: job });
        if (job.state === 'succeeded') {
          const bundle = jobResult(job, 'export');
          if (bundle) set({ bundles: withBundle(get().bundles, bundle) });
          else fail('export', 'The export finished but its result could not be read; open the step again to list the bundle.');
        } else if (job.state === 'failed') fail('export', job.error ?? 'The export failed.');
        else if (job.state === 'cancelled' || job.state === 'interrupted') fail('export', `The export was ${job.state}.`);
        return;
      }
      if (job.id === buildJobId) {
        if (buildJob && !isJobActive(buildJob) && isJobActive(job)) return;
        const log = get().buildLog;
        // Each progress message is one line of the build log; repeated events for the same line add nothing.
        const line = job.message.replace(/\s+$/, '');
        const grown = isJobActive(job) && line !== '' && log[log.length - 1] !== line ? [...log, line].slice(-buildLogLimit) : log;
        set({ buildJob: job, buildLog: grown });
        if (job.state === 'succeeded') {
          const bundle = jobResult(job, 'docker-build');
          if (bundle) set({ bundles: withBundle(get().bundles, bundle) });
          else fail('docker', 'The image was built but the result could not be read; open the step again to see it.');
        } else if (job.state === 'failed') fail('docker', job.error ?? 'The image build failed; the log above says where.');
        else if (job.state === 'cancelled' || job.state === 'interrupted') fail('docker', `The image build was ${job.state}.`);
      }
    },

    clearError: clear,
  };
});
