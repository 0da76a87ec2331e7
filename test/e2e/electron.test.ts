import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronBinary, repoRoot } from './helpers.js';

const electronMain = join(repoRoot, 'dist', 'main', 'electron', 'main.js');

const electron = electronBinary();
const binaryPath = 'path' in electron ? electron.path : undefined;
if (binaryPath === undefined && 'missing' in electron) {
  // Electron's binary is downloaded at install time, which these machines cannot do (ELECTRON_SKIP_BINARY_DOWNLOAD=1).
  console.warn(
    `Electron e2e skipped: no Electron binary here (${electron.missing}). Browser mode is tested in Chromium by browser.test.ts instead.`,
  );
}

describe.skipIf(binaryPath === undefined)('the Electron app', () => {
  let app: ElectronApplication;
  let window: Page;
  let home: string;

  beforeAll(async () => {
    if (!binaryPath) return;
    if (!existsSync(electronMain)) throw new Error(`${electronMain} is missing: run \`npm run build\` before the e2e tests.`);
    home = await mkdtemp(join(tmpdir(), 'kiln-e2e-electron-'));
    app = await _electron.launch({
      executablePath: binaryPath,
      args: ['.'],
      cwd: repoRoot,
      env: { ...process.env, KILN_HOME: home },
      timeout: 60_000,
    });
    window = await app.firstWindow();
    await window.waitForLoadState('domcontentloaded');
  });

  afterAll(async () => {
    await app?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('opens a window titled Kiln on the home screen', async () => {
    expect(await window.title()).toBe('Kiln');
    await window.getByRole('heading', { name: 'Projects', level: 1 }).waitFor({ timeout: 30_000 });
  });

  it('exposes only the contract bridge to the page, not Node', async () => {
    const globals = await window.evaluate(() => {
      const scope = globalThis as unknown as Record<string, unknown>;
      const kiln = scope.kiln as Record<string, unknown> | undefined;
      return {
        kiln: typeof kiln,
        kilnKeys: kiln ? Object.keys(kiln).sort() : [],
        require: typeof scope.require,
        process: typeof scope.process,
      };
    });
    expect(globals).toEqual({
      kiln: 'object',
      kilnKeys: ['call', 'pathForFile', 'showBundleInFolder', 'subscribe'],
      require: 'undefined',
      process: 'undefined',
    });
  });

  it('the bridge reaches the engine', async () => {
    const result = await window.evaluate(async () => {
      const scope = globalThis as unknown as { kiln: { call(method: string, input: unknown): Promise<unknown> } };
      return scope.kiln.call('projects.list', {});
    });
    expect(result).toEqual({ ok: true, value: [] });
  });
});
