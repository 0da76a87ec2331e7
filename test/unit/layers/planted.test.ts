/**
 * Plants each forbidden import in a temporary file inside the layer it breaks, and checks that lint or
 * typecheck refuses it with the rule meant for it; a file with allowed imports must pass. The files are
 * uniquely named and removed whatever happens, so a failed run leaves nothing in the tree.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/engine.js';

const run = promisify(execFile);
const tag = `planted-${process.pid}-${randomBytes(4).toString('hex')}`;
const tscBin = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

interface LintCase {
  name: string;
  /** Folder, relative to the repository root, the file is planted in. */
  folder: string;
  extension?: 'ts' | 'tsx';
  source: string;
  /** The rule that must report it; null for a control that must pass. */
  rule: string | null;
}

const pathZones = 'import-x/no-restricted-paths';
const byName = 'no-restricted-imports';
const importCall = 'no-restricted-syntax';

const lintCases: LintCase[] = [
  // renderer/
  {
    name: 'renderer: dynamic import of the engine',
    folder: 'renderer/src/steps',
    extension: 'tsx',
    source: `export const load = async () => await import('../../../main/engine/engine.js');`,
    rule: pathZones,
  },
  {
    name: 'renderer: static import from main/',
    folder: 'renderer/src',
    source: `export { appRoot } from '../../main/paths.js';`,
    rule: pathZones,
  },
  {
    name: 'renderer: better-sqlite3',
    folder: 'renderer/src',
    source: `import Database from 'better-sqlite3';\nexport const d = Database;`,
    rule: byName,
  },
  {
    name: 'renderer: import() of @duckdb/node-api',
    folder: 'renderer/src',
    source: `export const d = () => import('@duckdb/node-api');`,
    rule: importCall,
  },
  {
    name: 'renderer: onnxruntime-node',
    folder: 'renderer/src',
    source: `import * as ort from 'onnxruntime-node';\nexport const o = ort;`,
    rule: byName,
  },
  {
    name: 'renderer: import() of onnxruntime-node',
    folder: 'renderer/src',
    source: `export const o = () => import('onnxruntime-node');`,
    rule: importCall,
  },
  {
    name: 'renderer: dockerode',
    folder: 'renderer/src',
    source: `import Docker from 'dockerode';\nexport const d = Docker;`,
    rule: byName,
  },
  {
    name: 'renderer: ws',
    folder: 'renderer/src',
    source: `import { WebSocketServer } from 'ws';\nexport const w = WebSocketServer;`,
    rule: byName,
  },
  {
    name: 'renderer: electron',
    folder: 'renderer/src',
    source: `import { ipcRenderer } from 'electron';\nexport const i = ipcRenderer;`,
    rule: byName,
  },
  {
    name: 'renderer: import() of tfjs-node',
    folder: 'renderer/src',
    source: `export const t = () => import('@tensorflow/tfjs-node');`,
    rule: importCall,
  },
  {
    name: 'renderer: webgpu (Dawn for Node)',
    folder: 'renderer/src',
    source: `import { create } from 'webgpu';\nexport const c = create;`,
    rule: byName,
  },
  {
    name: 'renderer: node:fs',
    folder: 'renderer/src',
    source: `import { readFileSync } from 'node:fs';\nexport const r = readFileSync;`,
    rule: byName,
  },
  { name: 'renderer: import() of fs', folder: 'renderer/src', source: `export const f = () => import('fs');`, rule: importCall },
  {
    name: 'renderer: import() with a computed path',
    folder: 'renderer/src',
    source: 'export const f = (name: string) => import(`../../main/${name}.js`);',
    rule: importCall,
  },
  {
    name: 'renderer: a store importing a component',
    folder: 'renderer/src/stores',
    source: `import { formatMetric } from '../components/train/format.js';\nexport const f = formatMetric;`,
    rule: pathZones,
  },
  // shared/
  {
    name: 'shared: better-sqlite3',
    folder: 'shared',
    source: `import type Database from 'better-sqlite3';\nexport type D = Database.Database;`,
    rule: byName,
  },
  {
    name: 'shared: @duckdb/node-api',
    folder: 'shared/api',
    source: `import { DuckDBInstance } from '@duckdb/node-api';\nexport const d = DuckDBInstance;`,
    rule: byName,
  },
  {
    name: 'shared: import() of onnxruntime-node',
    folder: 'shared',
    source: `export const o = () => import('onnxruntime-node');`,
    rule: importCall,
  },
  { name: 'shared: node:path', folder: 'shared', source: `import { join } from 'node:path';\nexport const j = join;`, rule: byName },
  { name: 'shared: import from main/', folder: 'shared', source: `export const p = () => import('../main/paths.js');`, rule: pathZones },
  {
    name: 'shared: import from renderer/',
    folder: 'shared',
    source: `export { api } from '../renderer/src/api/transport.js';`,
    rule: pathZones,
  },
  // main/engine
  { name: 'engine: electron', folder: 'main/engine', source: `import { app } from 'electron';\nexport const a = app;`, rule: byName },
  {
    name: 'engine: import() of electron',
    folder: 'main/engine/export',
    source: `export const e = () => import('electron');`,
    rule: importCall,
  },
  {
    name: 'engine: the CLI',
    folder: 'main/engine/handlers',
    source: `export const c = () => import('../../cli/kiln.js');`,
    rule: pathZones,
  },
  {
    name: 'engine: the host',
    folder: 'main/engine',
    source: `import { startHost } from '../host/server.js';\nexport const h = startHost;`,
    rule: pathZones,
  },
  {
    name: 'engine: import() of the host',
    folder: 'main/engine/train',
    source: `export const h = () => import('../../host/server.js');`,
    rule: pathZones,
  },
  { name: 'engine: the Electron shell', folder: 'main/engine', source: `export * from '../electron/menu.js';`, rule: pathZones },
  {
    name: 'engine: renderer/',
    folder: 'main/engine',
    source: `export const r = () => import('../../renderer/src/api/transport.js');`,
    rule: pathZones,
  },
  // main/server
  {
    name: 'server: the engine',
    folder: 'main/server',
    source: `import { Engine } from '../engine/engine.js';\nexport const e = Engine;`,
    rule: pathZones,
  },
  {
    name: 'server: import() of the CLI',
    folder: 'main/server',
    source: `export const c = () => import('../cli/kiln.js');`,
    rule: pathZones,
  },
  { name: 'server: the host', folder: 'main/server', source: `export * from '../host/server.js';`, rule: pathZones },
  {
    name: 'server: the Electron shell',
    folder: 'main/server',
    source: `export const m = () => import('../electron/menu.js');`,
    rule: pathZones,
  },
  {
    name: 'server: better-sqlite3',
    folder: 'main/server',
    source: `import Database from 'better-sqlite3';\nexport const d = Database;`,
    rule: byName,
  },
  {
    name: 'server: import() of @duckdb/node-api',
    folder: 'main/server',
    source: `export const d = () => import('@duckdb/node-api');`,
    rule: importCall,
  },
  // Controls: what each layer may import passes.
  {
    name: 'control: renderer imports shared/, React and zod',
    folder: 'renderer/src/steps',
    extension: 'tsx',
    source: `import { useState } from 'react';\nimport { z } from 'zod';\nimport { KilnError } from '../../../shared/errors.js';\nexport const c = [useState, z, KilnError];\nexport const later = () => import('../../../shared/recipe.js');`,
    rule: null,
  },
  {
    name: 'control: engine imports native packages and Node built-ins',
    folder: 'main/engine',
    source: `import Database from 'better-sqlite3';\nimport { readFileSync } from 'node:fs';\nexport const c = [Database, readFileSync];\nexport const duck = () => import('@duckdb/node-api');`,
    rule: null,
  },
  {
    name: 'control: server imports shared/, Node built-ins, onnxruntime-node and papaparse',
    folder: 'main/server',
    source: `import { readFile } from 'node:fs/promises';\nimport * as ort from 'onnxruntime-node';\nimport Papa from 'papaparse';\nimport { KilnError } from '../../shared/errors.js';\nexport const c = [readFile, ort, Papa, KilnError];`,
    rule: null,
  },
];

interface TscCase {
  name: string;
  /** The layer's tsconfig, relative to the repository root. */
  tsconfig: string;
  folder: string;
  source: string;
  fails: boolean;
}

const guardMessage = 'renderer/ and shared/ run in the browser';

const tscCases: TscCase[] = [
  {
    name: 'renderer: node:fs',
    tsconfig: 'renderer/tsconfig.json',
    folder: 'renderer/src',
    source: `import { readFileSync } from 'node:fs';\nexport const r = readFileSync;`,
    fails: true,
  },
  {
    name: 'renderer: node:fs beside a file that brings @types/node in',
    tsconfig: 'renderer/tsconfig.json',
    folder: 'renderer/src',
    source: `/// <reference types="node" />\nimport type Database from 'better-sqlite3';\nimport { readFileSync } from 'node:fs';\nexport const r: [typeof readFileSync, Database.Database | null] = [readFileSync, null];`,
    fails: true,
  },
  {
    name: 'renderer: better-sqlite3',
    tsconfig: 'renderer/tsconfig.json',
    folder: 'renderer/src',
    source: `import Database from 'better-sqlite3';\nexport const d = Database;`,
    fails: true,
  },
  {
    name: 'renderer: dynamic import of the engine',
    tsconfig: 'renderer/tsconfig.json',
    folder: 'renderer/src/steps',
    source: `export const load = async () => await import('../../../main/engine/engine.js');`,
    fails: true,
  },
  {
    name: 'shared: node:fs',
    tsconfig: 'shared/tsconfig.json',
    folder: 'shared',
    source: `import { readFileSync } from 'node:fs';\nexport const r = readFileSync;`,
    fails: true,
  },
  {
    name: 'shared: process.env (Node globals are not there either)',
    tsconfig: 'shared/tsconfig.json',
    folder: 'shared',
    source: `export const home = process.env.HOME;`,
    fails: true,
  },
  {
    name: 'control: renderer imports shared/ and zod',
    tsconfig: 'renderer/tsconfig.json',
    folder: 'renderer/src',
    source: `import { z } from 'zod';\nimport { KilnError } from '../../shared/errors.js';\nexport const c = [z.string(), KilnError];`,
    fails: false,
  },
];

/** Folders this test had to create (main/server may not exist yet); removed again, only if still empty. */
const createdFolders: string[] = [];
const planted: string[] = [];

async function plant(folder: string, extension: string, source: string, index: number): Promise<string> {
  const dir = join(repoRoot, folder);
  if (!existsSync(dir)) {
    await mkdir(dir, { recursive: true });
    createdFolders.push(dir);
  }
  const file = join(dir, `${tag}-${index}.${extension}`);
  planted.push(file);
  await writeFile(file, `${source}\n`);
  return file;
}

async function removePlanted(): Promise<void> {
  await Promise.all(planted.map((file) => rm(file, { force: true })));
  for (const dir of createdFolders.reverse()) await rmdir(dir).catch(() => undefined);
}

describe('layer rules refuse planted imports', () => {
  const lintResults = new Map<string, ESLint.LintResult>();

  beforeAll(async () => {
    try {
      const files = await Promise.all(lintCases.map((c, index) => plant(c.folder, c.extension ?? 'ts', c.source, index)));
      const eslint = new ESLint({ cwd: repoRoot });
      const results = await eslint.lintFiles(files);
      for (const result of results) lintResults.set(result.filePath, result);
    } finally {
      await removePlanted();
    }
  }, 120_000);

  it.each(lintCases.map((c, index) => ({ ...c, index })))('lint: $name', ({ folder, extension, rule, index }) => {
    const result = lintResults.get(join(repoRoot, folder, `${tag}-${index}.${extension ?? 'ts'}`));
    expect(result, 'the planted file was linted').toBeDefined();
    const messages = result?.messages ?? [];
    if (rule === null) {
      expect(messages.map((message) => `${message.ruleId}: ${message.message}`)).toEqual([]);
    } else {
      expect(messages.map((message) => message.ruleId)).toContain(rule);
      expect(messages.every((message) => message.severity === 2)).toBe(true);
    }
  });

  it.each(tscCases.map((c, index) => ({ ...c, index })))(
    'typecheck: $name',
    async ({ tsconfig, folder, source, fails, index }) => {
      const file = await plant(folder, 'ts', source, 100 + index);
      // A small tsconfig beside the layer's own, with its options, that checks the planted file alone.
      const layerConfig = join(repoRoot, tsconfig);
      const config = join(dirname(layerConfig), `tsconfig.${tag}-${index}.json`);
      planted.push(config);
      try {
        await writeFile(
          config,
          JSON.stringify({ extends: `./${relative(dirname(config), layerConfig)}`, include: [], files: [relative(dirname(config), file)] }),
        );
        const outcome = await run(process.execPath, [tscBin, '-p', config, '--noEmit', '--pretty', 'false'], { cwd: repoRoot }).then(
          ({ stdout }) => ({ code: 0, output: stdout }),
          (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, output: error.stdout ?? '' }),
        );
        if (fails) {
          expect(outcome.code, outcome.output).not.toBe(0);
          // Built-ins and Node-only packages fail through the guard, with its message; Node globals simply are not there.
          if (source.includes("from '")) expect(outcome.output).toContain(guardMessage);
        } else {
          expect(outcome.output).toBe('');
          expect(outcome.code).toBe(0);
        }
      } finally {
        await removePlanted();
      }
    },
    60_000,
  );

  it('the browser tsconfig sends every Node built-in to the guard', () => {
    const text = readFileSync(join(repoRoot, 'tsconfig.browser.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const paths = (JSON.parse(text) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
    const missing = builtinModules.filter((name) => !(name in paths));
    expect(missing).toEqual([]);
    expect(paths['node:*']).toEqual(['./types/browser-layer-guard.ts']);
  });

  afterAll(removePlanted);
});
