import type { HandlersFor } from '../../../shared/api.js';
import type { EngineContext } from '../context.js';
import { suggestFeatures } from '../train/features.js';

export function featuresHandlers(context: EngineContext): HandlersFor<'features.suggest'> {
  return {
    'features.suggest': async (input) => suggestFeatures(context, input.datasetId, input.target),
  };
}
