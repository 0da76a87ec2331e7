import type { ReactNode } from 'react';
import { wizardSteps, type WizardStepId } from '../../../../shared/wizard.js';
import { useDatasets } from '../../stores/datasets.js';
import { useNavigation } from '../../stores/navigation.js';
import { stepStatus, useProgress } from '../../stores/progress.js';

/**
 * The bar every step ends with, kept in view at the bottom of the page: the step's own action on the left, and
 * "Next: <step>" on the right, where the eye ends. Next is the primary action once this step's work is done; before
 * that the step's own action is, and Next stays a plain button, since skipping a step (Clean) is allowed.
 */
export function StepFooter({
  step,
  children,
  note,
  done: doneHere,
}: {
  step: WizardStepId;
  children?: ReactNode;
  note?: ReactNode;
  /** Set where the step knows before the sidebar does (a save that sends no event). */
  done?: boolean;
}) {
  const goToStep = useNavigation((state) => state.goToStep);
  const datasets = useDatasets((state) => state.datasets.length);
  const progress = useProgress((state) => state.progress);
  const activeJobs = useProgress((state) => state.activeJobs);
  const index = wizardSteps.findIndex((candidate) => candidate.id === step);
  const next = wizardSteps[index + 1];
  const done = doneHere || stepStatus(step, true, datasets, progress, activeJobs) === 'done';
  return (
    <div className="step-footer" role="group" aria-label="Step actions">
      {children}
      {note ? <span className="step-footer-note">{note}</span> : null}
      <span className="step-footer-space" />
      {next ? (
        <button type="button" className={`button${done ? ' primary' : ''}`} onClick={() => goToStep(next.id)}>
          Next: {next.title} →
        </button>
      ) : null}
    </div>
  );
}

/** What a step shows when an earlier step's work is missing: which step, why, and a button to it. */
export function NeedsStep({ title, needs, why }: { title: string; needs: WizardStepId; why: string }) {
  const goToStep = useNavigation((state) => state.goToStep);
  const needed = wizardSteps.find((candidate) => candidate.id === needs);
  return (
    <div className="page-pad">
      <h2>{title}</h2>
      <div className="needs-step" role="status">
        <p>{why}</p>
        <button type="button" className="button primary" onClick={() => goToStep(needs)}>
          Go to {needed?.title ?? needs}
        </button>
      </div>
    </div>
  );
}
