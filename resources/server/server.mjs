#!/usr/bin/env node
/**
 * Kiln model server: serves one bundle folder (model.onnx + schema.json).
 *
 *   node server.mjs [bundle-dir]
 *
 * Settings come from the environment (see README.md): PORT, HOST, MAX_BODY_BYTES,
 * LOG_DIR, LOG_MAX_BYTES, LOG_FILES, DRIFT_WINDOW, DRIFT_MIN_ROWS, ORT_THREADS,
 * SHUTDOWN_TIMEOUT_MS. Nothing here needs root: the default port is above 1024
 * and logs go to a folder the user can write.
 */
import { createServer } from 'node:http';
import { accessSync, constants, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from './lib/app.mjs';
import { readConfig } from './lib/config.mjs';
import { DriftMonitor } from './lib/drift.mjs';
import { Metrics } from './lib/metrics.mjs';
import { loadModel } from './lib/model.mjs';
import { PredictionLog } from './lib/predictionLog.mjs';
import { readSchema } from './lib/schema.mjs';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { URL } from 'node:url';

const VERSION = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version;

function writableDir(dir) {
  mkdirSync(dir, { recursive: true });
  accessSync(dir, constants.W_OK);
  return dir;
}

/** The prediction log, or undefined when LOG_DIR=off. A read-only bundle folder (a non-root container) falls back to the temp folder. */
function openLog(config) {
  if (config.logDir === undefined) return undefined;
  const options = { maxBytes: config.logMaxBytes, keep: config.logFiles };
  try {
    return new PredictionLog({ ...options, dir: writableDir(config.logDir) });
  } catch (error) {
    if (config.logDirExplicit) throw new Error(`LOG_DIR ${config.logDir} is not writable: ${error.message}`, { cause: error });
    const fallback = join(tmpdir(), 'kiln-model-server', 'logs');
    process.stderr.write(`prediction log: ${config.logDir} is not writable (${error.code ?? error.message}); writing to ${fallback}\n`);
    return new PredictionLog({ ...options, dir: writableDir(fallback) });
  }
}

/**
 * Loads the bundle and listens. Resolves once the port is open.
 * @param {ReturnType<typeof readConfig>} config
 */
export async function startServer(config) {
  const schema = readSchema(join(config.bundle, 'schema.json'));
  const model = await loadModel(join(config.bundle, 'model.onnx'), schema, { threads: config.threads });
  const metrics = new Metrics(schema);
  const drift = new DriftMonitor(schema, { window: config.driftWindow, minRows: config.driftMinRows });
  const log = openLog(config);
  const app = createApp({ schema, model, metrics, drift, log, maxBodyBytes: config.maxBodyBytes, version: VERSION });

  const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
    app.handle(request, response).catch((error) => {
      process.stderr.write(`unhandled error answering ${request.method} ${request.url}: ${error.stack ?? error.message}\n`);
      response.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let closing;
  /** Stops accepting, lets in-flight requests finish, then flushes the log. Resolves true if all finished in time. */
  function close() {
    closing ??= new Promise((resolve) => {
      app.state.shuttingDown = true;
      let finished = true;
      const timer =
        config.shutdownTimeoutMs > 0
          ? setTimeout(() => {
              finished = false;
              server.closeAllConnections();
            }, config.shutdownTimeoutMs)
          : undefined;
      server.close(async () => {
        clearTimeout(timer);
        await log?.close();
        await model.close().catch(() => {});
        resolve(finished);
      });
      // Keep-alive connections with no request in progress would hold close() open; busy ones close after their response.
      server.closeIdleConnections();
      server.on('request', (_request, response) => response.on('finish', () => server.closeIdleConnections()));
      const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
      idleSweep.unref();
      server.once('close', () => clearInterval(idleSweep));
    });
    return closing;
  }

  return { server, schema, address: server.address(), close, log };
}

async function main() {
  const loadStarted = performance.now();
  let config;
  let running;
  try {
    config = readConfig();
    running = await startServer(config);
  } catch (error) {
    process.stderr.write(`kiln model server: cannot start: ${error.message}\n`);
    process.exit(2);
  }
  const { address, schema } = running;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const ready = performance.now() - loadStarted;
  process.stdout.write(
    `kiln model server: "${schema.name}" (${schema.task}) listening on http://${shownHost}:${address.port}` +
      ` (ready in ${Math.round(performance.now())} ms since process start, ${Math.round(ready)} ms to load)` +
      `${running.log ? `; prediction log ${running.log.path}` : ''}\n`,
  );
  const stop = async (signal) => {
    process.stdout.write(`kiln model server: ${signal}, finishing in-flight requests\n`);
    const finished = await running.close();
    process.stdout.write(`kiln model server: stopped${finished ? '' : ' (in-flight requests cut off after SHUTDOWN_TIMEOUT_MS)'}\n`);
    process.exit(finished ? 0 : 1);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

// Run as a program, not when imported (tests and `kiln serve` may start it in-process).
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) main();
