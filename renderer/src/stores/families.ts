/**
 * The model families as the engine's registry describes them (names, units,
 * settings and defaults), loaded once; the Train and Compare steps render
 * every family from this rather than knowing any by name.
 */
import { create } from 'zustand';
import type { FamilyInfo, ModelFamily, Task } from '../../../shared/api/train.js';
import { api } from '../api/transport.js';

interface FamiliesState {
  families: FamilyInfo[];
  error: string | null;
  load(): Promise<void>;
}

let loading: Promise<void> | null = null;

export const useFamilies = create<FamiliesState>((set, get) => ({
  families: [],
  error: null,
  load: () => {
    if (get().families.length > 0) return Promise.resolve();
    loading ??= api
      .call('models.families', {})
      .then((families) => set({ families, error: null }))
      .catch((error: unknown) => {
        loading = null;
        set({ error: error instanceof Error ? error.message : String(error) });
      });
    return loading;
  },
}));

export function familyInfo(families: FamilyInfo[], id: ModelFamily): FamilyInfo | undefined {
  return families.find((family) => family.id === id);
}

/** "Gradient-boosted trees"; the id until the families are loaded. */
export function familyName(families: FamilyInfo[], id: ModelFamily): string {
  return familyInfo(families, id)?.name ?? id;
}

/** "GBDT", or "Logistic" for a linear classifier. */
export function familyShortLabel(families: FamilyInfo[], id: ModelFamily, task?: Task): string {
  const info = familyInfo(families, id);
  if (!info) return id;
  return task && task !== 'regression' && info.classifierLabel ? info.classifierLabel : info.shortLabel;
}

export function progressUnit(families: FamilyInfo[], id: ModelFamily): FamilyInfo['progressUnit'] {
  return familyInfo(families, id)?.progressUnit ?? 'epoch';
}
