import type { HandlersFor } from '../../../shared/api.js';
import type { EngineContext } from '../context.js';
import { listBackends } from '../train/backends.js';

/** The neural models' compute backends; probed once per process, since loading Dawn or libtensorflow is slow. */
export function backendsHandlers(_context: EngineContext): HandlersFor<'backends.list'> {
  return {
    'backends.list': async () => listBackends(),
  };
}
