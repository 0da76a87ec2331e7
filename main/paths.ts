import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder that holds package.json, resources/ and dist/. Compiled code lives
 * in dist/main/, so it is two levels up from this file at run time (and in the
 * asar archive of a packaged app, where the layout is the same).
 */
export const appRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export const resourcesDir = join(appRoot, 'resources');
export const samplesDir = join(resourcesDir, 'samples');
export const rendererDir = join(appRoot, 'dist', 'renderer');

interface PackageJson {
  name: string;
  productName?: string;
  version: string;
}

let cachedPackage: PackageJson | undefined;
export function packageInfo(): PackageJson {
  cachedPackage ??= JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as PackageJson;
  return cachedPackage;
}

/** KILN_HOME wins; otherwise the shell's default (Electron passes its userData folder). */
export function resolveKilnHome(shellDefault?: string): string {
  const fromEnv = process.env.KILN_HOME;
  if (fromEnv && fromEnv.trim() !== '') return resolve(fromEnv);
  return shellDefault ?? join(homedir(), '.kiln');
}
