/** Which component renders each wizard step. A step missing here shows "Not built yet". */
import type { ComponentType } from 'react';
import type { WizardStepId } from '../../../shared/wizard.js';
import { ImportStep } from './ImportStep.js';

export interface StepProps {
  projectId: string;
}

export const stepComponents: Partial<Record<WizardStepId, ComponentType<StepProps>>> = {
  import: ImportStep,
};
