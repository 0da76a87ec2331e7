import { create } from 'zustand';
import type { Project } from '../../../shared/api.js';
import { api } from '../api/transport.js';

interface ProjectsState {
  projects: Project[];
  loading: boolean;
  error: string | null;
  load(): Promise<void>;
  create(name: string): Promise<Project>;
}

export const useProjects = create<ProjectsState>((set) => ({
  projects: [],
  loading: false,
  error: null,
  load: async () => {
    set({ loading: true });
    try {
      set({ projects: await api.call('projects.list', {}), error: null });
    } catch (error) {
      set({ error: error instanceof Error ? error.message : String(error) });
    } finally {
      set({ loading: false });
    }
  },
  create: async (name) => {
    const project = await api.call('projects.create', { name });
    set((state) => ({ projects: [project, ...state.projects.filter((existing) => existing.id !== project.id)] }));
    return project;
  },
}));
