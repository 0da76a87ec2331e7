import { create } from 'zustand';
import type { WizardStepId } from '../../../shared/wizard.js';

interface NavigationState {
  projectId: string | null;
  step: WizardStepId;
  openProject(projectId: string): void;
  goHome(): void;
  goToStep(step: WizardStepId): void;
}

/** Where the user is. Kept in the URL hash so a reload returns to the same place. */
export const useNavigation = create<NavigationState>((set) => ({
  ...fromHash(),
  openProject: (projectId) => set({ projectId, step: 'import' }),
  goHome: () => set({ projectId: null, step: 'import' }),
  goToStep: (step) => set({ step }),
}));

function fromHash(): { projectId: string | null; step: WizardStepId } {
  const match = /^#\/projects\/([\w-]+)(?:\/(\w+))?/.exec(window.location.hash);
  return { projectId: match?.[1] ?? null, step: (match?.[2] as WizardStepId | undefined) ?? 'import' };
}

useNavigation.subscribe(({ projectId, step }) => {
  const hash = projectId ? `#/projects/${projectId}/${step}` : '#/';
  if (window.location.hash !== hash) window.history.replaceState(null, '', hash);
});
