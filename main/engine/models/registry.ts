/**
 * The model families. Training, Auto, export, parity, the CLI and the UI ask
 * here; adding a family is its folder under models/ plus one line below.
 */
import type { ModelFamily } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { baselineFlavor } from './baseline/index.js';
import type { Flavor } from './flavor.js';
import { forestFlavor } from './forest/index.js';
import { gbdtFlavor } from './gbdt/index.js';
import { linearFlavor } from './linear/index.js';
import { mlpFlavor } from './mlp/index.js';

const registered: Record<ModelFamily, Flavor> = {
  linear: linearFlavor,
  mlp: mlpFlavor,
  gbdt: gbdtFlavor,
  forest: forestFlavor,
  baseline: baselineFlavor,
};

/** Every family, in the order the UI lists them (Auto's order, likely winner first). */
export const flavors: readonly Flavor[] = Object.values(registered).sort((a, b) => a.autoOrder - b.autoOrder);

/** The family of a run or a stored model; an unknown name is a clear error, not a crash. */
export function flavorOf(family: string): Flavor {
  const flavor = (registered as Record<string, Flavor | undefined>)[family];
  if (!flavor) {
    throw new KilnError(
      'bad_input',
      `Unknown model family ${JSON.stringify(family)}: expected ${flavors.map((known) => known.id).join(', ')}.`,
      'family',
    );
  }
  return flavor;
}
