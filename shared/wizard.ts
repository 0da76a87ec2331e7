/** The steps of a project, in order. Shared so the CLI, recipes and UI agree on names. */
export const wizardSteps = [
  { id: 'import', title: 'Import', summary: 'Bring a CSV file into the project.' },
  { id: 'explore', title: 'Explore', summary: 'Profile every column: types, missing values, distributions.' },
  { id: 'clean', title: 'Clean', summary: 'Fix types, missing values and outliers as recorded steps.' },
  { id: 'features', title: 'Features', summary: 'Choose the target and the features, and how each is encoded.' },
  { id: 'train', title: 'Train', summary: 'Train models and watch them learn.' },
  { id: 'compare', title: 'Compare', summary: 'Compare runs side by side.' },
  { id: 'export', title: 'Export', summary: 'Export one ONNX file, a model server image and clients.' },
] as const;

export type WizardStepId = (typeof wizardSteps)[number]['id'];

const targetNames = /^(target|label|y|class)$/i;
const targetWords = /(^|[\s_\-.])(target|label|class)([\s_\-.]|$)/i;

/** The column most likely meant as the target: one named like a label, else the last column; null for no columns. */
export function suggestedTarget(columns: readonly { name: string }[]): string | null {
  const exact = columns.find((column) => targetNames.test(column.name.trim()));
  if (exact) return exact.name;
  const worded = columns.find((column) => targetWords.test(column.name));
  return worded?.name ?? columns.at(-1)?.name ?? null;
}
