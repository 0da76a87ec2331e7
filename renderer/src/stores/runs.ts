import { create } from 'zustand';
import type { Run } from '../../../shared/api/train.js';
import { bestRun, higherIsBetter } from '../runs/ranking.js';
import { api } from '../api/transport.js';
import { errorText } from './errorText.js';

/** A column the runs table sorts by: a validation metric by name, or one of the run's own fields. */
export type SortKey = { kind: 'metric'; name: string } | { kind: 'field'; name: 'startedAt' | 'durationMs' | 'model' };

interface RunsState {
  projectId: string | null;
  runs: Run[];
  /** Runs chosen for the charts, in the order they were chosen. */
  selected: string[];
  /** The run whose confusion matrix or residuals are shown. */
  focusId: string | null;
  sort: { key: SortKey; descending: boolean } | null;
  loading: boolean;
  error: string | null;
  load(projectId: string): Promise<void>;
  toggle(runId: string): void;
  focus(runId: string): void;
  sortBy(key: SortKey): void;
  clearError(): void;
}

let unsubscribe: (() => void) | null = null;
let reloadTimer: ReturnType<typeof setTimeout> | null = null;

const message = errorText;

/** Selected first on arrival: the two best finished runs, so the charts have something to say. */
function defaultSelection(runs: Run[]): string[] {
  const finished = runs.filter((run) => run.status === 'succeeded');
  const first = bestRun(finished);
  const second = first ? bestRun(finished.filter((run) => run.id !== first.id && run.metricName === first.metricName)) : null;
  return [first, second].filter((run): run is Run => run !== null).map((run) => run.id);
}

export const useRuns = create<RunsState>((set, get) => ({
  projectId: null,
  runs: [],
  selected: [],
  focusId: null,
  sort: null,
  loading: false,
  error: null,

  load: async (projectId) => {
    unsubscribe ??= api.subscribe((event) => {
      if (event.type !== 'runs.changed' || event.projectId !== get().projectId) return;
      // A run sends many changes while it trains; reload once they settle.
      if (reloadTimer) clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => {
        reloadTimer = null;
        void get().load(event.projectId);
      }, 500);
    });
    if (get().projectId !== projectId) set({ projectId, runs: [], selected: [], focusId: null, sort: null, error: null });
    set({ loading: true });
    try {
      const runs = await api.call('runs.list', { projectId });
      if (get().projectId !== projectId) return;
      const known = new Set(runs.map((run) => run.id));
      let selected = get().selected.filter((id) => known.has(id));
      if (selected.length === 0) selected = defaultSelection(runs);
      const focusId = get().focusId && known.has(get().focusId ?? '') ? get().focusId : (selected[0] ?? null);
      set({ runs, selected, focusId, loading: false });
    } catch (error) {
      set({ error: message(error), loading: false });
    }
  },

  toggle: (runId) => {
    const { selected, focusId } = get();
    const next = selected.includes(runId) ? selected.filter((id) => id !== runId) : [...selected, runId];
    set({ selected: next, focusId: focusId && next.includes(focusId) ? focusId : (next[0] ?? null) });
  },

  focus: (runId) => set({ focusId: runId }),

  sortBy: (key) => {
    const current = get().sort;
    const same = current && current.key.kind === key.kind && current.key.name === key.name;
    // A metric's first click puts the best run on top, whichever way "best" points.
    const bestFirst = key.kind === 'metric' ? higherIsBetter(key.name) : key.name !== 'model';
    set({ sort: { key, descending: same ? !current.descending : bestFirst } });
  },

  clearError: () => set({ error: null }),
}));

function sortValue(run: Run, key: SortKey): number | string | null {
  if (key.kind === 'metric') return run.metrics.validation?.[key.name] ?? null;
  if (key.name === 'durationMs') return run.durationMs;
  return run[key.name];
}

/** The runs in table order; runs without the value go last either way. */
export function sortRuns(runs: Run[], sort: RunsState['sort']): Run[] {
  if (!sort) return runs;
  const direction = sort.descending ? -1 : 1;
  return [...runs].sort((a, b) => {
    const left = sortValue(a, sort.key);
    const right = sortValue(b, sort.key);
    if (left === null || right === null) return left === right ? 0 : left === null ? 1 : -1;
    if (typeof left === 'number' && typeof right === 'number') return (left - right) * direction;
    return String(left).localeCompare(String(right)) * direction;
  });
}
