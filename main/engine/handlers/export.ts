import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HandlersFor } from '../../../shared/api.js';
import type { ExportBundle } from '../../../shared/api/export.js';
import { KilnError } from '../../../shared/errors.js';
import type { EngineContext } from '../context.js';
import { createExport } from '../export/bundle.js';
import { buildBundleImage, containerLogs, containerStatus, dockerStatus, runImage, sendTestRow, stopContainer } from '../export/docker.js';

type ExportHandlers = HandlersFor<
  | 'export.create'
  | 'export.list'
  | 'docker.status'
  | 'export.buildImage'
  | 'export.runContainer'
  | 'export.containerStatus'
  | 'export.containerLogs'
  | 'export.stopContainer'
  | 'export.testRequest'
>;

/** `kiln/<model name>:<run id>`, from the bundle's schema.json. */
export function defaultImageTag(bundle: ExportBundle): string {
  let name = 'model';
  try {
    const schema = JSON.parse(readFileSync(join(bundle.bundle, 'schema.json'), 'utf8')) as { name?: unknown };
    if (typeof schema.name === 'string') name = schema.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  } catch {
    // A bundle without a readable schema fails the build with a clearer message than this tag could give.
  }
  return `kiln/${name}:${bundle.runId.toLowerCase()}`;
}

export function exportHandlers(context: EngineContext): ExportHandlers {
  const exportsRepository = context.exports;
  const runs = context.runs;

  const requireBundleFolder = (bundle: ExportBundle) => {
    if (!existsSync(join(bundle.bundle, 'Dockerfile'))) {
      throw new KilnError(
        'not_found',
        `The bundle folder ${bundle.bundle} is gone or has no Dockerfile; export the run again.`,
        'exportId',
      );
    }
  };

  return {
    'export.create': async (input) => {
      const run = runs.get(input.runId);
      const jobId = context.jobs.start('export', run.projectId, (job) => createExport(context, job, input));
      return { jobId };
    },
    'export.list': async (input) => exportsRepository.list(input),
    'docker.status': async () => dockerStatus(),
    'export.buildImage': async (input) => {
      const bundle = exportsRepository.get(input.exportId);
      requireBundleFolder(bundle);
      const tag = input.tag ?? defaultImageTag(bundle);
      const jobId = context.jobs.start('docker-build', exportsRepository.projectOf(bundle.id), async (job) => {
        job.progress({ stage: 'building', fraction: null, message: `Building ${tag} from ${bundle.bundle}` });
        const image = await buildBundleImage({
          bundleDir: bundle.bundle,
          tag,
          baseImage: input.baseImage,
          signal: job.signal,
          onLine: (line) => job.progress({ stage: 'building', message: line }),
        });
        job.progress({
          stage: 'done',
          fraction: 1,
          message: `Built ${image.tag} (${image.id.slice(0, 19)}): ${(image.sizeBytes / 1e6).toFixed(1)} MB`,
        });
        return exportsRepository.setImage(bundle.id, image);
      });
      return { jobId };
    },
    'export.runContainer': async (input) => {
      const bundle = exportsRepository.get(input.exportId);
      if (!bundle.image) throw new KilnError('bad_input', `The export ${bundle.id} has no image yet; build it first.`, 'exportId');
      return runImage({ image: bundle.image.tag, exportId: bundle.id, port: input.port, host: input.host });
    },
    'export.containerStatus': async ({ containerId }) => containerStatus(containerId),
    'export.containerLogs': async ({ containerId, tail }) => ({ lines: await containerLogs(containerId, tail) }),
    'export.stopContainer': async ({ containerId }) => stopContainer(containerId),
    'export.testRequest': async ({ url, exportId }) => {
      const [row] = exportsRepository.sampleRows(exportId);
      if (!row) throw new KilnError('bad_input', `The export ${exportId} kept no rows of the dataset to send.`, 'exportId');
      return sendTestRow(url, row);
    },
  };
}
