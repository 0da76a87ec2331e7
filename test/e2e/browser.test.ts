import { readFile } from 'node:fs/promises';
import { beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { adultCsv } from '../helpers/engine.js';
import { artifactPath, describeInChromium, type ServedKiln } from './helpers.js';

/** The page's own globals, typed only as far as these tests use them (the project compiles without DOM types). */
interface BrowserGlobals {
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: string[], name: string, options: { type: string }) => unknown;
}

async function createProject(page: Page, name: string): Promise<void> {
  await page.getByLabel('Project name').fill(name);
  await page.getByRole('button', { name: 'New project' }).click();
  await page.getByRole('navigation', { name: 'Project steps' }).getByRole('heading', { name }).waitFor();
  await page.getByRole('heading', { name: 'Import', level: 2 }).waitFor();
}

function currentTheme(page: Page): Promise<string | null> {
  return page.locator('html').getAttribute('data-theme');
}

async function goHome(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Kiln: all projects' }).click();
  await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
}

/** Waits for the adult rows in the grid: the first row is a 39-year-old State-gov worker, 32,561 rows in all. */
async function expectAdultRows(page: Page): Promise<void> {
  const grid = page.getByRole('grid');
  await grid.getByRole('gridcell', { name: 'State-gov', exact: true }).first().waitFor({ timeout: 60_000 });
  await grid.getByRole('gridcell', { name: '39', exact: true }).first().waitFor();
  await page.getByText('32,561').first().waitFor();
  const firstRow = grid.locator('[role=row][aria-rowindex="2"]');
  const cells = await firstRow.getByRole('gridcell').allInnerTexts();
  expect(cells.slice(0, 2)).toEqual(['39', 'State-gov']);
  expect(cells).toHaveLength(15);
  const headers = await grid.getByRole('columnheader').allInnerTexts();
  expect(headers[1]).toMatch(/^age/);
  expect(headers[2]).toMatch(/^workclass/);
}

describeInChromium('browser mode in Chromium', { failureScreenshot: 'browser-failure.png' }, (kiln) => {
  let served: ServedKiln;
  let page: Page;
  const { pageErrors } = kiln;
  beforeAll(() => {
    ({ served, page } = kiln);
  });

  it('opens the printed URL, keeps the token out of the address bar and shows the home screen', async () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    await kiln.open();
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    await page.getByText('No projects yet').waitFor();
    expect(page.url()).not.toContain(served.token);
    expect(await page.title()).toBe('Kiln');
  });

  it('the API refuses the page origin without the token', async () => {
    const response = await page.request.post(`${served.origin}/api/call`, { data: { method: 'projects.list', input: {} } });
    expect(response.status()).toBe(401);
  });

  it('creates a project, uploads adult.csv and shows its first rows in the grid', async () => {
    await createProject(page, 'Census income');
    await page.locator('[data-testid=file-input]').setInputFiles(adultCsv);
    // The file is read and its settings shown before anything is imported.
    const importButton = page.getByRole('button', { name: 'Import this file' });
    await importButton.waitFor({ timeout: 60_000 });
    await page.screenshot({ path: await artifactPath('e2e-import-sniff.png') });
    await importButton.click();
    await expectAdultRows(page);
    await page.getByRole('tab', { name: /Import.*Done/ }).waitFor();

    expect(await currentTheme(page)).toBe('light');
    await page.screenshot({ path: await artifactPath('e2e-import-light.png') });

    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await page.getByRole('button', { name: 'Switch to light theme' }).waitFor();
    expect(await currentTheme(page)).toBe('dark');
    // Off the toggle, so the screenshot shows the resting colours rather than a hover state.
    await page.mouse.move(100, 780);
    await page.screenshot({ path: await artifactPath('e2e-import-dark.png') });
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
  });

  it('imports a file dropped onto the drop zone', async () => {
    await goHome(page);
    await createProject(page, 'Dropped census');
    const text = await readFile(adultCsv, 'utf8');
    const dataTransfer = await page.evaluateHandle((csv) => {
      const scope = globalThis as unknown as BrowserGlobals;
      const transfer = new scope.DataTransfer();
      transfer.items.add(new scope.File([csv], 'adult.csv', { type: 'text/csv' }));
      return transfer;
    }, text);
    const dropZone = page.getByRole('button', { name: /Import a CSV file/ });
    await dropZone.dispatchEvent('dragover', { dataTransfer });
    await dropZone.dispatchEvent('drop', { dataTransfer });
    await dataTransfer.dispose();
    await page.getByRole('button', { name: 'Import this file' }).click();
    await expectAdultRows(page);
    await page.getByRole('heading', { name: 'adult.csv', level: 3 }).waitFor();
  });

  it('shows an error naming the problem when the file is binary', async () => {
    await goHome(page);
    await createProject(page, 'Binary file');
    await page.locator('[data-testid=file-input]').setInputFiles({
      name: 'data.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00]),
    });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const message = await alert.innerText();
    expect(message).toMatch(/(^|\s)data\.csv is not a CSV file: it contains binary data/);
    // The name the user picked, not the name the host stored the upload under.
    expect(message).not.toMatch(/ds_[0-9a-f]+/);
    expect(await page.getByRole('grid').count()).toBe(0);
    await page.screenshot({ path: await artifactPath('e2e-import-error.png') });
  });

  it('lists the projects on the home screen', async () => {
    await goHome(page);
    const projects = page.getByRole('list', { name: 'Your projects' });
    await projects.getByRole('button', { name: /Census income.*1 dataset/ }).waitFor();
    await projects.getByRole('button', { name: /Binary file.*0 datasets/ }).waitFor();
    await page.screenshot({ path: await artifactPath('e2e-home.png') });
    expect(pageErrors).toEqual([]);
  });
});
