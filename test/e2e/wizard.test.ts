/**
 * The wizard leads a first-time user in Chromium: each step ends with a Next
 * button that stays in view at 1440x900, the step marks say Done when the work
 * is done, Explore preselects the target, Train takes a separate test file
 * from the UI, and a finished run's live panel says Finished. Screenshots of
 * every step in both themes go to test/artifacts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { artifactPath, describeInChromium, repoRoot } from './helpers.js';

const viewport = { width: 1440, height: 900 };

async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  if ((await page.locator('html').getAttribute('data-theme')) === theme) return;
  await page.getByRole('button', { name: `Switch to ${theme} theme` }).click();
  await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe(theme);
  await page.mouse.move(5, 890);
}

async function shoot(page: Page, name: string): Promise<void> {
  for (const theme of ['light', 'dark'] as const) {
    await setTheme(page, theme);
    await page.screenshot({ path: await artifactPath(`wizard-${name}-${theme}.png`) });
  }
  await setTheme(page, 'light');
}

/** Fully inside the window without scrolling the page: where a user sees it on arrival. */
async function expectInView(page: Page, name: RegExp | string): Promise<void> {
  const box = await page.getByRole('button', { name }).boundingBox();
  expect(box, `the ${String(name)} button is on the page`).not.toBeNull();
  if (!box) return;
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
}

describeInChromium('The wizard leads, in Chromium', { failureScreenshot: 'wizard-failure.png' }, (kiln) => {
  let page: Page;
  const { pageErrors } = kiln;
  beforeAll(() => {
    ({ page } = kiln);
  });

  it('walks from Import to Train by the Next buttons, each in view, with Explore preselecting the target', async () => {
    await kiln.open();
    await page.getByLabel('Project name').fill('Wizard');
    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByRole('heading', { name: 'Import', level: 2 }).waitFor();

    // Before an import, the later steps say what they need and lead back to it.
    await page.getByRole('tab', { name: /Train/ }).click();
    await page.getByText(/Training needs an imported table/).waitFor();
    await shoot(page, 'train-needs-import');
    await page.getByRole('button', { name: 'Go to Import' }).click();
    await page.getByRole('heading', { name: 'Import', level: 2 }).waitFor();
    await shoot(page, 'import-empty');

    await page.getByRole('button', { name: 'Try the Adult census income sample' }).click();
    await page.getByRole('button', { name: 'Import this file' }).click();
    await page.getByRole('tab', { name: /Import.*Done/ }).waitFor({ timeout: 90_000 });
    // The big drop zone became a small control.
    await page.getByRole('button', { name: /^Replace file/ }).waitFor();
    expect(await page.getByText('Drop a CSV file here').count()).toBe(0);
    // Visiting a step is not doing it.
    await page.getByRole('tab', { name: /Clean.*To do/ }).waitFor();
    await expectInView(page, 'Next: Explore →');
    await shoot(page, 'import');

    await page.getByRole('button', { name: 'Next: Explore →' }).click();
    await page.getByRole('heading', { name: 'Explore', level: 2 }).waitFor();
    // Y is the column named like a label, and the last one.
    await expect.poll(() => page.locator('#explore-target').inputValue()).toBe('Y');
    await page.getByRole('heading', { name: 'Association with the target' }).waitFor({ timeout: 90_000 });
    await expectInView(page, 'Next: Clean →');
    await page.getByRole('tab', { name: /Explore.*Done/ }).waitFor({ timeout: 30_000 });
    await shoot(page, 'explore');

    await page.getByRole('button', { name: 'Next: Clean →' }).click();
    await page.getByRole('heading', { name: 'Clean', level: 2 }).waitFor();
    await expectInView(page, 'Next: Features →');
    await shoot(page, 'clean');

    await page.getByRole('button', { name: 'Next: Features →' }).click();
    await page.getByRole('heading', { name: 'Features', level: 2 }).waitFor();
    await page.locator('.features-task-reason').waitFor({ timeout: 90_000 });
    // The positive class of a binary target is its rarer class.
    await expect.poll(() => page.locator('#features-positive').inputValue()).toBe('>50K');
    await expectInView(page, 'Next: Train →');
    await shoot(page, 'features');

    await page.getByRole('button', { name: 'Next: Train →' }).click();
    await page.getByRole('heading', { name: 'Train', level: 2 }).waitFor();
    await page.getByRole('radio', { name: /^Auto/ }).check();
    await expectInView(page, 'Train with Auto');
    await expectInView(page, 'Next: Compare →');
    await shoot(page, 'train');
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('trains with a separate test file attached in the UI, and the finished panel says Finished', async () => {
    // UCI's adult test file writes each label with a trailing "."; the fixture drops it so the classes match.
    const text = await readFile(join(repoRoot, 'resources', 'samples', 'adult.test.csv'), 'utf8');
    const lines = text.split('\n').slice(0, 1201);
    const testFile = await artifactPath('wizard-adult-test.csv');
    await writeFile(testFile, `${lines.map((line) => line.replace(/\.\s*$/, '')).join('\n')}\n`);

    await page.getByRole('radio', { name: /another file/ }).check();
    // Nothing attached yet: the button says why it waits, beside it.
    const train = page.getByRole('button', { name: /^Train / });
    expect(await train.isDisabled()).toBe(true);
    await page.getByText('Attach the test file, or test on a split of this file.').waitFor();
    await page.locator('.train-test-source [data-testid=file-input]').setInputFiles(testFile);
    await page.getByText('wizard-adult-test.csv').waitFor({ timeout: 60_000 });

    await page.getByRole('radio', { name: /^Logistic|^Linear/ }).check();
    await expect.poll(() => train.isDisabled()).toBe(false);
    await train.click();

    const live = page.getByRole('region', { name: 'Training progress' });
    await live.locator('.train-live-head .run-status', { hasText: 'Finished' }).waitFor({ timeout: 240_000 });
    const head = await live.locator('.train-live-head').innerText();
    expect(head).not.toMatch(/Scoring/);
    expect(head).toMatch(/Trained and scored/);
    // Nothing is waiting for data once the run is over.
    expect(await live.getByRole('meter', { name: /waiting for data/ }).count()).toBe(0);
    await page.getByRole('tab', { name: /Train.*Done/ }).waitFor({ timeout: 30_000 });
    await expectInView(page, 'Next: Compare →');
    await shoot(page, 'train-finished');

    // The run was tested on the attached file: its test split has the file's 1,200 rows.
    const token = await page.evaluate(() =>
      (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem('kiln.token'),
    );
    const call = async <T>(method: string, input: object): Promise<T> => {
      const response = await page.request.post(`${kiln.served.origin}/api/call`, {
        headers: { authorization: `Bearer ${token ?? ''}` },
        data: { method, input },
      });
      expect(response.status()).toBe(200);
      const body = (await response.json()) as { ok: boolean; value: T };
      expect(body.ok).toBe(true);
      return body.value;
    };
    const projects = await call<{ id: string; name: string }[]>('projects.list', {});
    const projectId = projects.find((project) => project.name === 'Wizard')?.id ?? '';
    const runs = await call<{ splitId: string | null; datasetId: string }[]>('runs.list', { projectId });
    const run = runs[0];
    expect(run?.splitId).toBeTruthy();
    const splits = await call<{ id: string; test: { rows: number } | null }[]>('split.list', { datasetId: run?.datasetId ?? '' });
    expect(splits.find((split) => split.id === run?.splitId)?.test?.rows).toBe(1200);
    expect(pageErrors).toEqual([]);
  }, 360_000);
});
