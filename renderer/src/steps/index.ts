/** Which component renders each wizard step. A step missing here shows "Not built yet". */
import type { ComponentType } from 'react';
import type { WizardStepId } from '../../../shared/wizard.js';
import { CleanStep } from './CleanStep.js';
import { CompareStep } from './CompareStep.js';
import { ExploreStep } from './ExploreStep.js';
import { ExportStep } from './ExportStep.js';
import { FeaturesStep } from './FeaturesStep.js';
import { ImportStep } from './ImportStep.js';
import { TrainStep } from './TrainStep.js';

export interface StepProps {
  projectId: string;
}

export const stepComponents: Partial<Record<WizardStepId, ComponentType<StepProps>>> = {
  import: ImportStep,
  explore: ExploreStep,
  clean: CleanStep,
  features: FeaturesStep,
  train: TrainStep,
  compare: CompareStep,
  export: ExportStep,
};
