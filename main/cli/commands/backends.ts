import type { BackendInfo } from '../../../shared/api.js';
import { withEngine, type Command } from '../common.js';
import { renderTable } from '../format.js';

export function describeBackends(backends: BackendInfo[]): string {
  const table = renderTable(
    ['backend', 'available', 'detail'],
    backends.map((backend) => [backend.name, backend.available ? 'yes' : 'no', backend.detail]),
  );
  const first = backends.find((backend) => backend.available);
  return first ? `${table}\n\nAuto picks ${first.name} (${first.detail}).` : table;
}

/** `kiln backends [--json]`: what the neural models can run on here, and why the others are missing. */
export const backendsCommand: Command = async (context) =>
  withEngine(context, async (engine) => {
    const backends = await engine.call('backends.list', {});
    context.out(context.json ? JSON.stringify(backends) : describeBackends(backends));
    return 0;
  });
