/**
 * Shared set-up for the end-to-end tests: the built browser-mode host started as
 * a real process, Debian's Chromium driven by playwright-core, and where the
 * screenshots go. Every Chromium e2e file gets all of it from describeInChromium.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { repoRoot } from '../helpers/engine.js';

export { repoRoot };

export const chromiumPath = '/usr/bin/chromium';
export const artifactsDir = join(repoRoot, 'test', 'artifacts');
export const hostEntry = join(repoRoot, 'dist', 'main', 'host', 'main.js');

/** The flags DESIGN.md names: headless on a machine with no GPU, no sandbox for root, and no calls home. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** CI (and anyone who sets KILN_REQUIRE_E2E) must not pass by skipping the browser tests. */
export const e2eRequired = Boolean(process.env.CI || process.env.KILN_REQUIRE_E2E);

export function chromiumInstalled(): boolean {
  return existsSync(chromiumPath);
}

/** Where `require('electron')` points, or why there is no usable Electron binary here. */
export function electronBinary(): { path: string } | { missing: string } {
  try {
    const resolved = createRequire(import.meta.url)('electron') as unknown;
    if (typeof resolved !== 'string') return { missing: 'require("electron") did not return a path to the binary' };
    if (!existsSync(resolved)) return { missing: `the Electron binary ${resolved} does not exist` };
    return { path: resolved };
  } catch (error) {
    return { missing: error instanceof Error ? error.message : String(error) };
  }
}

export interface ServedKiln {
  /** The URL the host printed, with the token. */
  url: string;
  origin: string;
  token: string;
  home: string;
  /** Everything the process printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `node dist/main/host/main.js` (what `npm run serve` runs after building) on a free port with a fresh workspace. */
export async function startServedKiln(timeoutMs = 30_000): Promise<ServedKiln> {
  if (!existsSync(hostEntry)) throw new Error(`${hostEntry} is missing: run \`npm run build\` before the e2e tests.`);
  const home = await mkdtemp(join(tmpdir(), 'kiln-e2e-home-'));
  const child: ChildProcess = spawn(process.execPath, [hostEntry], {
    cwd: repoRoot,
    env: { ...process.env, KILN_HOME: home, KILN_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`the host printed no URL within ${timeoutMs} ms. Output:\n${printed}`)), timeoutMs);
    const onData = () => {
      const match = /^Open (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m.exec(printed);
      if (match?.[1]) finish(match[1]);
    };
    const onExit = (code: number | null) =>
      finish(new Error(`the host exited with code ${String(code)} before printing its URL. Output:\n${printed}`));
    function finish(result: string | Error) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (typeof result === 'string') resolve(result);
      else {
        child.kill('SIGKILL');
        reject(result);
      }
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    onData();
  });

  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    home,
    output: () => printed,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Debian Chromium with a fresh profile, so no state leaks between runs. */
export async function launchChromium(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'kiln-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export async function artifactPath(name: string): Promise<string> {
  await mkdir(artifactsDir, { recursive: true });
  return join(artifactsDir, name);
}

/** What a Chromium e2e suite works with; set up before its first test and torn down after its last. */
export interface ChromiumSession {
  readonly served: ServedKiln;
  readonly page: Page;
  /** Uncaught errors of the page, which a suite expects to stay empty. */
  readonly pageErrors: string[];
  /** Opens the URL the host printed, token included. */
  open(): Promise<void>;
}

/**
 * The one Chromium fixture: a fresh host on a temporary KILN_HOME, Debian's Chromium at 1440x900 with a fresh
 * profile, one page, a screenshot of the page when a test fails, and everything stopped and removed at the end.
 * Without Chromium the suite is skipped, or fails where CI or KILN_REQUIRE_E2E says it must run.
 */
export function describeInChromium(
  title: string,
  options: { failureScreenshot: string; fullPage?: boolean },
  body: (kiln: ChromiumSession) => void,
): void {
  if (!chromiumInstalled()) {
    const missing = `Chromium e2e: ${chromiumPath} is missing. Install it with \`apt-get install -y chromium\`.`;
    if (e2eRequired) {
      describe(title, () => {
        it('needs Debian Chromium', () => {
          throw new Error(`${missing} CI or KILN_REQUIRE_E2E is set, so the e2e test may not be skipped.`);
        });
      });
      return;
    }
    console.warn(`${missing} Skipping "${title}" (set KILN_REQUIRE_E2E=1 to make this a failure).`);
  }
  const run = chromiumInstalled() ? describe : describe.skip;
  run(title, () => {
    let served: ServedKiln | undefined;
    let browser: Browser | undefined;
    let page: Page | undefined;
    const pageErrors: string[] = [];
    const ready = <T>(value: T | undefined, what: string): T => {
      if (value === undefined) throw new Error(`The e2e fixture has no ${what}: its set-up failed or has not run.`);
      return value;
    };
    const session: ChromiumSession = {
      get served() {
        return ready(served, 'host');
      },
      get page() {
        return ready(page, 'page');
      },
      pageErrors,
      open: async () => {
        await session.page.goto(session.served.url);
      },
    };

    beforeAll(async () => {
      served = await startServedKiln();
      browser = await launchChromium();
      page = await browser.context.newPage();
      page.setDefaultTimeout(30_000);
      page.on('pageerror', (error) => pageErrors.push(error.message));
    });

    // What the page showed when a step failed, next to the other screenshots.
    afterEach(async ({ task }) => {
      if (task.result?.state === 'fail' && page)
        await page
          .screenshot({ path: await artifactPath(options.failureScreenshot), fullPage: options.fullPage ?? false })
          .catch(() => undefined);
    });

    afterAll(async () => {
      await browser?.close();
      await served?.stop();
    });

    body(session);
  });
}
