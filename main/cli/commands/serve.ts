/**
 * `kiln serve <bundle> [--port P]`: the bundle's own model server, as the
 * image runs it, on 127.0.0.1, until Ctrl+C (which the server takes as its
 * graceful shutdown). The server exits when this process does, however it ends.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { KilnError } from '../../../shared/errors.js';
import type { Command } from '../common.js';
import { isBundle } from './predict.js';

export const DEFAULT_SERVE_PORT = 8080;

export function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SERVE_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KilnError(
      'invalid_argument',
      `--port must be a whole number from 0 to 65535, 0 for any free port (got ${JSON.stringify(text)}).`,
      'port',
    );
  }
  return port;
}

export const serveCommand: Command = async (context) => {
  const [target, extra] = context.args;
  if (!target || extra !== undefined) throw new KilnError('invalid_argument', 'Usage: kiln serve <bundle> [--port P]', 'bundle');
  const port = parsePort(context.port);
  const bundle = resolve(target);
  if (!isBundle(bundle)) {
    throw new KilnError('bad_input', `${target} is not a bundle folder (it needs model.onnx and schema.json; see kiln export).`, 'bundle');
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    context.err(
      `Note: the bundle carries onnxruntime for Linux x64 (the image's platform); on ${process.platform}/${process.arch} run it with Docker.`,
    );
  }
  const child = spawn(process.execPath, [join(bundle, 'server.mjs'), bundle], {
    cwd: bundle,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
    // The IPC channel is how the server learns that this process died: it closes even on SIGKILL, which no handler
    // here can see, and the server then shuts down instead of holding the port under PID 1.
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // The server drains requests in flight on either signal; this process only waits for it.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((resolveExit, reject) => {
      child.once('error', (error) => reject(new KilnError('bad_input', `Could not start the model server: ${error.message}`, 'bundle')));
      child.once('exit', (code, signal) => resolveExit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)));
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
};
