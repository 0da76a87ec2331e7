#!/usr/bin/env node
/**
 * `npm start`: opens the desktop app. Where the Electron binary is missing and
 * cannot be fetched (offline machines), it says so in one line and points to
 * browser mode instead of failing with a stack trace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { appRoot } from '../paths.js';

const require = createRequire(import.meta.url);

function electronBinary(): string | undefined {
  try {
    const path = require('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();
if (!binary) {
  console.error(
    'kiln: the Electron binary is not installed and could not be downloaded; run `npm run serve` to use Kiln in your browser instead.',
  );
  process.exit(1);
}

// Native modules (better-sqlite3) must be built for Electron's ABI, the standard way.
const marker = join(appRoot, 'node_modules', '.kiln-electron-deps');
const electronVersion = (require('electron/package.json') as { version: string }).version;
if (!existsSync(marker) || readFileSync(marker, 'utf8') !== electronVersion) {
  console.error('kiln: rebuilding native modules for Electron (once per Electron version)…');
  const result = spawnSync('npx', ['electron-builder', 'install-app-deps'], { cwd: appRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('kiln: `electron-builder install-app-deps` failed; see the output above.');
    process.exit(result.status ?? 1);
  }
  writeFileSync(marker, electronVersion);
}

const child = spawn(binary, [appRoot], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
