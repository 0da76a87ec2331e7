import { resolve } from 'node:path';
import type { Job } from '../../../shared/api.js';
import type { ExportBundle } from '../../../shared/api/export.js';
import { KilnError } from '../../../shared/errors.js';
import type { Engine } from '../../engine/engine.js';
import { followJob, withEngine, type Command, type CommandContext } from '../common.js';

async function finished<T>(job: Job, what: string): Promise<T> {
  if (job.state === 'cancelled') throw new KilnError('cancelled', `${what} was cancelled.`);
  if (job.state !== 'succeeded') throw new KilnError('bad_input', `${what} ${job.state}: ${job.error ?? job.message}`);
  return job.result as T;
}

/** Every message of the job on stderr: a build log is read line by line, not sampled like progress. */
async function streamJob(engine: Engine, jobId: string, context: CommandContext): Promise<Job> {
  let last = '';
  const unsubscribe = engine.onEvent((event) => {
    if (event.type !== 'job.updated' || event.job.id !== jobId || event.job.state === 'failed') return;
    if (event.job.message && event.job.message !== last) {
      last = event.job.message;
      context.err(event.job.message);
    }
  });
  const abort = () => engine.jobs.cancel(jobId);
  process.once('SIGINT', abort);
  try {
    return await engine.jobs.wait(jobId);
  } finally {
    process.off('SIGINT', abort);
    unsubscribe();
  }
}

/** Writes the run's bundle (parity checked); returns the export. Shared with `kiln predict <run-id>`. */
export async function exportRun(engine: Engine, context: CommandContext, runId: string, outDir: string | undefined): Promise<ExportBundle> {
  const { jobId } = await engine.call('export.create', { runId, ...(outDir === undefined ? {} : { outDir: resolve(outDir) }) });
  return finished<ExportBundle>(await followJob(engine, jobId, context), 'The export');
}

/** What `kiln export --json` prints; scripts depend on these names. */
export function exportJson(bundle: ExportBundle): Record<string, unknown> {
  return {
    exportId: bundle.id,
    runId: bundle.runId,
    bundle: bundle.bundle,
    onnx: bundle.onnx,
    onnxBytes: bundle.onnxBytes,
    parity: { rows: bundle.parity.rows, maxAbsDiff: bundle.parity.maxAbsDiff },
    ...(bundle.image ? { image: bundle.image } : {}),
  };
}

export const exportCommand: Command = async (context) => {
  const [runId, extra] = context.args;
  if (!runId || extra !== undefined) {
    throw new KilnError('invalid_argument', 'Usage: kiln export <run-id> --out <dir> [--docker --tag T --base-image I] [--json]', 'runId');
  }
  if (!context.docker && (context.tag !== undefined || context.baseImage !== undefined)) {
    throw new KilnError('invalid_argument', '--tag and --base-image go with --docker.', 'docker');
  }
  return withEngine(context, async (engine) => {
    let bundle = await exportRun(engine, context, runId, context.outPath);
    if (context.docker) {
      const { jobId } = await engine.call('export.buildImage', {
        exportId: bundle.id,
        ...(context.tag === undefined ? {} : { tag: context.tag }),
        ...(context.baseImage === undefined ? {} : { baseImage: context.baseImage }),
      });
      bundle = await finished<ExportBundle>(await streamJob(engine, jobId, context), 'The image build');
    }
    if (context.json) {
      context.out(JSON.stringify(exportJson(bundle)));
      return 0;
    }
    context.out(`Bundle   ${bundle.bundle}`);
    context.out(`ONNX     ${bundle.onnx} (${(bundle.onnxBytes / 1024).toFixed(0)} KiB, the whole pipeline)`);
    context.out(
      `Parity   ${bundle.parity.rows.toLocaleString('en-US')} held-out rows, largest difference ${bundle.parity.maxAbsDiff.toExponential(2)} (limit 1e-5)`,
    );
    if (bundle.image) {
      context.out(`Image    ${bundle.image.tag} ${bundle.image.id.slice(0, 19)} (${(bundle.image.sizeBytes / 1e6).toFixed(1)} MB)`);
      context.out(`Run it:  docker run --rm -p 127.0.0.1:8080:8080 ${bundle.image.tag}`);
    } else {
      context.out(`Serve:   kiln serve ${bundle.bundle} --port 8080`);
    }
    return 0;
  });
};
