import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder that holds package.json, resources/ and dist/. The same code runs
 * compiled (dist/main/, also inside a packaged app's asar) and from source
 * (main/, under Vitest), so it is found by walking up to package.json.
 */
function findAppRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`Kiln could not find its package.json above ${start}.`);
  }
}

export const appRoot = findAppRoot(fileURLToPath(new URL('.', import.meta.url)));

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
