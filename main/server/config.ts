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
  };
}
