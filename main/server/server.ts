#!/usr/bin/env node
/**
 * Kiln model server: serves one bundle folder (model.onnx + schema.json).
 * `npm run build` bundles it into one file, dist/server/server.mjs, which an
 * export copies into the bundle; at run time it needs Node, onnxruntime-node
 * and papaparse, nothing else.
 *
 *   node server.mjs [bundle-dir]
 *
 * Settings come from the environment (see resources/server/README.md): PORT, HOST, MAX_BODY_BYTES,
 * LOG_DIR, LOG_MAX_BYTES, LOG_FILES, DRIFT_WINDOW, DRIFT_MIN_ROWS, ORT_THREADS,
 * SHUTDOWN_TIMEOUT_MS, HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS,
 * MAX_CONNECTIONS. Nothing here needs root: the default port is above 1024
 * and logs go to a folder the user can write.
 */
import { accessSync, constants, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import serverPackage from '../../resources/server/package.json' with { type: 'json' };
import { BundleSchemaError, parseBundleSchema, type ServingSchema } from '../../shared/serving/schema.js';
import { createApp } from './app.js';
import { readConfig, type ServerConfig } from './config.js';
import { DriftMonitor } from './drift.js';
import { messageOf } from './errors.js';
import { Metrics } from './metrics.js';
import { loadModel } from './model.js';
import { PredictionLog } from './predictionLog.js';

const VERSION = serverPackage.version;

function writableDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  accessSync(dir, constants.W_OK);
  return dir;
}

/** The prediction log, or undefined when LOG_DIR=off. A read-only bundle folder (a non-root container) falls back to the temp folder. */
function openLog(config: ServerConfig): PredictionLog | undefined {
  if (config.logDir === undefined) return undefined;
  const options = { maxBytes: config.logMaxBytes, keep: config.logFiles };
  try {
    return new PredictionLog({ ...options, dir: writableDir(config.logDir) });
  } catch (error) {
    if (config.logDirExplicit) throw new Error(`LOG_DIR ${config.logDir} is not writable: ${messageOf(error)}`, { cause: error });
    const fallback = join(tmpdir(), 'kiln-model-server', 'logs');
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(`prediction log: ${config.logDir} is not writable (${code ?? messageOf(error)}); writing to ${fallback}\n`);
    return new PredictionLog({ ...options, dir: writableDir(fallback) });
  }
}

/** schema.json through the serving rules' BundleSchema; the message names the field at fault. */
export function readSchema(path: string): ServingSchema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${messageOf(error)}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${messageOf(error)}`, { cause: error });
  }
  try {
    return parseBundleSchema(raw);
  } catch (error) {
    if (error instanceof BundleSchemaError) throw new Error(error.message, { cause: error });
    throw error;
  }
}

export interface RunningServer {
  server: Server;
  schema: ServingSchema;
  address: AddressInfo;
  /** Stops accepting, lets in-flight requests finish, then flushes the log. Resolves true if all finished in time. */
  close: () => Promise<boolean>;
  log: PredictionLog | undefined;
}

/** Loads the bundle and listens. Resolves once the port is open. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const schema = readSchema(join(config.bundle, 'schema.json'));
  const model = await loadModel(join(config.bundle, 'model.onnx'), schema, { threads: config.threads });
  const metrics = new Metrics(schema);
  const drift = new DriftMonitor(schema, { window: config.driftWindow, minRows: config.driftMinRows });
  const log = openLog(config);
  const app = createApp({ schema, model, metrics, drift, log, maxBodyBytes: config.maxBodyBytes, version: VERSION });

  const limits = [config.headersTimeoutMs, config.requestTimeoutMs].filter((ms) => ms > 0);
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // Node checks the two timeouts on this interval (30 s by default), so a limit is kept to within a quarter of itself.
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(Math.min(...limits, 120_000) / 4))),
    },
    (request, response) => {
      app.handle(request, response).catch((error: unknown) => {
        const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
        process.stderr.write(`unhandled error answering ${request.method} ${request.url}: ${detail}\n`);
        response.destroy();
      });
    },
  );
  server.maxConnections = config.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let closing: Promise<boolean> | undefined;
  function close(): Promise<boolean> {
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
      server.close(() => {
        clearTimeout(timer);
        void (async () => {
          await log?.close();
          await model.close().catch(() => {});
          resolve(finished);
        })();
      });
      // Keep-alive connections with no request in progress would hold close() open; busy ones close after their response.
      server.closeIdleConnections();
      server.on('request', (_request, response: ServerResponse) => response.on('finish', () => server.closeIdleConnections()));
      const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
      idleSweep.unref();
      server.once('close', () => clearInterval(idleSweep));
    });
    return closing;
  }

  return { server, schema, address: server.address() as AddressInfo, close, log };
}

async function main(): Promise<void> {
  const loadStarted = performance.now();
  let running: RunningServer;
  try {
    running = await startServer(readConfig());
  } catch (error) {
    process.stderr.write(`kiln model server: cannot start: ${messageOf(error)}\n`);
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
  const stop = async (reason: string) => {
    process.stdout.write(`kiln model server: ${reason}, finishing in-flight requests\n`);
    const finished = await running.close();
    process.stdout.write(`kiln model server: stopped${finished ? '' : ' (in-flight requests cut off after SHUTDOWN_TIMEOUT_MS)'}\n`);
    process.exit(finished ? 0 : 1);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // Started by `kiln serve` with an IPC channel: it closes when that process dies, even by SIGKILL, and the
  // server must not outlive it holding the port. Standalone (the image) there is no channel and this never fires.
  if (process.channel) {
    process.once('disconnect', () => void stop('parent exited'));
    // The channel must not keep the server alive on its own once it is closing.
    process.channel.unref();
  }
}

// Run as a program, not when imported (tests and `kiln serve` may start it in-process).
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) void main();
