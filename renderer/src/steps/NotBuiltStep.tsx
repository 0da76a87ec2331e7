import type { wizardSteps } from '../../../shared/wizard.js';

export function NotBuiltStep({ step }: { step: (typeof wizardSteps)[number] }) {
  return (
    <div className="page-pad">
      <h2>{step.title}</h2>
      <p className="muted">{step.summary}</p>
      <div className="notice" role="status">
        <strong>Not built yet.</strong> This step arrives in a later version of Kiln. Until then, the Import step and the <code>kiln</code>{' '}
        command line work.
      </div>
    </div>
  );
}
