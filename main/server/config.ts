/** Settings from the environment (and the bundle folder from argv), checked before anything loads. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  maxBodyBytes: 50 * 1024 * 1024,
  logMaxBytes: 10 * 1024 * 1024,
  logFiles: 5,
  driftWindow: 10_000,
  driftMinRows: 100,
  threads: 1,
  shutdownTimeoutMs: 10_000,
  // Node's own defaults (60 s for headers, 5 min per request, no connection cap) let slow clients hold sockets for long.
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  // Longer than the 60 s idle timeout of common load balancers, so the server is not the side that closes first.
  keepAliveTimeoutMs: 65_000,
  maxConnections: 1000,
};

export interface ServerConfig {
  bundle: string;
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Undefined when LOG_DIR=off. */
  logDir: string | undefined;
  logDirExplicit: boolean;
  logMaxBytes: number;
  logFiles: number;
  driftWindow: number;
  driftMinRows: number;
  threads: number;
  shutdownTimeoutMs: number;
  /** Time a client has to send the request headers; 0 for no limit. */
  headersTimeoutMs: number;
  /** Time a client has to send the whole request, body included; 0 for no limit. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection is kept open. */
  keepAliveTimeoutMs: number;
  /** Connections open at once; more are closed as they arrive. */
  maxConnections: number;
}

type Environment = Record<string, string | undefined>;

function integer(env: Environment, name: string, fallback: number, { min, max }: { min: number; max: number }): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * The bundle folder: the first argument, else BUNDLE_DIR, else the folder holding this
 * server if model.onnx sits beside it (or one level up), else the working directory.
 */
function bundleDir(argv: readonly string[], env: Environment): string {
  if (argv[0]) return resolve(argv[0]);
  if (env.BUNDLE_DIR) return resolve(env.BUNDLE_DIR);
  // The server is built into one file, server.mjs, which a bundle holds at its top.
  const serverDir = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(serverDir, 'model.onnx'))) return serverDir;
  if (existsSync(join(dirname(serverDir), 'model.onnx'))) return dirname(serverDir);
  return process.cwd();
}

export function readConfig(argv: readonly string[] = process.argv.slice(2), env: Environment = process.env): ServerConfig {
  const bundle = bundleDir(argv, env);
  const logDir = env.LOG_DIR === undefined ? join(bundle, 'logs') : env.LOG_DIR;
  return {
    bundle,
    host: env.HOST || DEFAULTS.host,
    port: integer(env, 'PORT', DEFAULTS.port, { min: 0, max: 65535 }),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', DEFAULTS.maxBodyBytes, { min: 1, max: 2 ** 31 - 1 }),
    // LOG_DIR=off turns the prediction log off; an unset LOG_DIR means <bundle>/logs.
    logDir: logDir === 'off' || logDir === '' ? undefined : resolve(logDir),
    logDirExplicit: env.LOG_DIR !== undefined,
    logMaxBytes: integer(env, 'LOG_MAX_BYTES', DEFAULTS.logMaxBytes, { min: 1024, max: 2 ** 40 }),
    logFiles: integer(env, 'LOG_FILES', DEFAULTS.logFiles, { min: 1, max: 1000 }),
    driftWindow: integer(env, 'DRIFT_WINDOW', DEFAULTS.driftWindow, { min: 1, max: 10_000_000 }),
    driftMinRows: integer(env, 'DRIFT_MIN_ROWS', DEFAULTS.driftMinRows, { min: 1, max: 10_000_000 }),
    threads: integer(env, 'ORT_THREADS', DEFAULTS.threads, { min: 1, max: 256 }),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', DEFAULTS.shutdownTimeoutMs, { min: 0, max: 3_600_000 }),
    ...timeouts(env),
  };
}

function timeouts(env: Environment): Pick<ServerConfig, 'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections'> {
  const headersTimeoutMs = integer(env, 'HEADERS_TIMEOUT_MS', DEFAULTS.headersTimeoutMs, { min: 0, max: 3_600_000 });
  const requestTimeoutMs = integer(env, 'REQUEST_TIMEOUT_MS', DEFAULTS.requestTimeoutMs, { min: 0, max: 3_600_000 });
  // Node refuses a headers timeout longer than the request timeout: the headers are part of the request.
  if (requestTimeoutMs > 0 && (headersTimeoutMs === 0 || headersTimeoutMs > requestTimeoutMs)) {
    throw new Error(
      `HEADERS_TIMEOUT_MS=${headersTimeoutMs} must be from 1 to REQUEST_TIMEOUT_MS (${requestTimeoutMs}), or set REQUEST_TIMEOUT_MS=0 for no request limit`,
    );
  }
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', DEFAULTS.keepAliveTimeoutMs, { min: 0, max: 3_600_000 }),
    maxConnections: integer(env, 'MAX_CONNECTIONS', DEFAULTS.maxConnections, { min: 1, max: 1_000_000 }),
  };
}
