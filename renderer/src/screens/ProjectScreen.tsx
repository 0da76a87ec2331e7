import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Project } from '../../../shared/api.js';
import { wizardSteps, type WizardStepId } from '../../../shared/wizard.js';
import { api } from '../api/transport.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { useDatasets } from '../stores/datasets.js';
import { useNavigation } from '../stores/navigation.js';
import { stepStatus, useProgress, type StepStatus } from '../stores/progress.js';
import { stepComponents } from '../steps/index.js';
import { NotBuiltStep } from '../steps/NotBuiltStep.js';

const statusLabel: Record<StepStatus, string> = {
  done: 'Done',
  ready: 'To do',
  running: 'Running',
  'not-built': 'Not built yet',
};

const noJobs: Record<string, WizardStepId> = {};

export function ProjectScreen({ projectId }: { projectId: string }) {
  const { step, goToStep, goHome } = useNavigation();
  const datasets = useDatasets((state) => state.datasets);
  const loadDatasets = useDatasets((state) => state.load);
  const [project, setProject] = useState<Project | null>(null);
  const [error, setError] = useState<string | null>(null);
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const progress = useProgress((state) => (state.projectId === projectId ? state.progress : null));
  const loadProgress = useProgress((state) => state.load);
  const activeJobs = useProgress((state) => (state.projectId === projectId ? state.activeJobs : noJobs));

  // Recipe saves send no event, so leaving a step is when its work is counted.
  useEffect(() => {
    void loadProgress(projectId);
  }, [projectId, step, loadProgress]);

  useEffect(() => {
    api
      .call('projects.get', { projectId })
      .then(setProject, (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
    void loadDatasets(projectId);
  }, [projectId, loadDatasets]);

  const status = (id: WizardStepId): StepStatus => stepStatus(id, Boolean(stepComponents[id]), datasets.length, progress, activeJobs);

  // Arrow keys move between steps, as in any vertical tab list.
  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const next =
      event.key === 'ArrowDown'
        ? index + 1
        : event.key === 'ArrowUp'
          ? index - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? wizardSteps.length - 1
              : null;
    if (next === null) return;
    event.preventDefault();
    const target = (next + wizardSteps.length) % wizardSteps.length;
    buttons.current[target]?.focus();
    const targetStep = wizardSteps[target];
    if (targetStep) goToStep(targetStep.id);
  };

  if (error) {
    return (
      <div className="page-pad">
        <ErrorMessage message={error} />
        <button type="button" className="button" onClick={goHome}>
          Back to projects
        </button>
      </div>
    );
  }

  const current = wizardSteps.find((candidate) => candidate.id === step) ?? wizardSteps[0];

  return (
    <div className="project">
      <nav className="sidebar" aria-label="Project steps">
        <div className="sidebar-project">
          <button type="button" className="link" onClick={goHome}>
            ← All projects
          </button>
          <h1 className="sidebar-title" title={project?.name}>
            {project?.name ?? '…'}
          </h1>
        </div>
        <ol className="steps" role="tablist" aria-orientation="vertical">
          {wizardSteps.map((candidate, index) => {
            const state = status(candidate.id);
            const selected = candidate.id === current.id;
            return (
              <li key={candidate.id}>
                <button
                  ref={(element) => {
                    buttons.current[index] = element;
                  }}
                  type="button"
                  role="tab"
                  id={`step-${candidate.id}`}
                  aria-selected={selected}
                  aria-controls="step-panel"
                  tabIndex={selected ? 0 : -1}
                  className={`step${selected ? ' current' : ''} ${state}`}
                  onClick={() => goToStep(candidate.id)}
                  onKeyDown={(event) => onKeyDown(event, index)}
                >
                  <span className="step-number" aria-hidden="true">
                    {state === 'done' ? '✓' : index + 1}
                  </span>
                  <span className="step-text">
                    <span className="step-title">{candidate.title}</span>
                    <span className="step-status">{statusLabel[state]}</span>
                  </span>
                </button>
              </li>
            );
          })}
        </ol>
      </nav>
      <section className="step-panel" id="step-panel" role="tabpanel" aria-labelledby={`step-${current.id}`}>
        <CurrentStep step={current} projectId={projectId} />
      </section>
    </div>
  );
}

function CurrentStep({ step, projectId }: { step: (typeof wizardSteps)[number]; projectId: string }) {
  const Step = stepComponents[step.id];
  return Step ? <Step projectId={projectId} /> : <NotBuiltStep step={step} />;
}
