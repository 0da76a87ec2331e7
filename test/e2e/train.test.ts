/**
 * The Train and Compare steps in Chromium against browser mode: the adult
 * sample trained with Auto while the curves and the leaderboard fill in, an
 * MLP cancelled after its first epoch, and the runs side by side in Compare.
 */
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { artifactPath, describeInChromium, repoRoot } from './helpers.js';

async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  const current = await page.locator('html').getAttribute('data-theme');
  if (current === theme) return;
  await page.getByRole('button', { name: `Switch to ${theme} theme` }).click();
  await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe(theme);
  // Off the toggle, so the screenshot shows resting colours rather than a hover state.
  await page.mouse.move(5, 790);
}

/** How many runs the live loss chart draws, read from its accessible name. */
async function chartedRuns(chart: Locator): Promise<number> {
  const label = (await chart.getAttribute('aria-label')) ?? '';
  const match = /for (\d+) runs?/.exec(label);
  return match ? Number(match[1]) : 0;
}

describeInChromium('Train and Compare in Chromium', { failureScreenshot: 'train-failure.png' }, (kiln) => {
  let page: Page;
  const { pageErrors } = kiln;
  beforeAll(() => {
    ({ page } = kiln);
  });

  it('imports the adult sample and trains Auto with live curves and a leaderboard', async () => {
    await kiln.open();
    await page.getByLabel('Project name').fill('Census training');
    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByRole('heading', { name: 'Import', level: 2 }).waitFor();
    await page.getByRole('button', { name: 'Try the Adult census income sample' }).click();
    // The import step shows what it sniffed and waits for a confirmation.
    await page.getByRole('button', { name: 'Import this file' }).click();
    await page.getByRole('tab', { name: /Import.*Done/ }).waitFor({ timeout: 90_000 });

    await page.getByRole('tab', { name: /Train/ }).click();
    await page.getByRole('heading', { name: 'Train', level: 2 }).waitFor();
    // No Features step was visited: the step says it uses Kiln's suggestion, which predicts Y.
    await page.getByText(/predict Y \(binary classification\)/).waitFor();
    await page.locator('#train-backend-list').getByText('WebAssembly').waitFor();

    await page.getByRole('radio', { name: /^Auto/ }).check();
    await page.getByLabel('Time budget (seconds)').fill('20');
    await page.getByRole('button', { name: 'Train with Auto' }).click();

    const live = page.getByRole('region', { name: 'Training progress' });
    await live.getByRole('heading', { name: 'Auto search' }).waitFor();
    const lossChart = live.getByRole('img', { name: /Training and validation loss/ });
    await lossChart.waitFor({ timeout: 120_000 });
    await live.getByRole('img', { name: /Validation AUC by/ }).waitFor();
    await expect.poll(() => live.getByText(/rows\/s$/).count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await live.getByRole('heading', { name: 'Leaderboard' }).waitFor({ timeout: 120_000 });
    await page.getByRole('heading', { name: 'Train', level: 2 }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: await artifactPath('train-live-light.png') });

    await live.locator('.run-status', { hasText: 'Finished' }).first().waitFor({ timeout: 180_000 });
    // Auto tried more than one candidate, each drawn as its own series as it trained.
    expect(await chartedRuns(lossChart)).toBeGreaterThan(1);
    const leaderboard = live.getByRole('table', { name: 'Leaderboard' });
    const rows = leaderboard.locator('tbody tr');
    expect(await rows.count()).toBeGreaterThan(1);
    expect(await leaderboard.getByText('Done', { exact: true }).count()).toBeGreaterThan(0);
    await leaderboard.getByText('★ Best').waitFor();
    const bestScore = Number(await leaderboard.locator('tr.best td.numeric').first().innerText());
    expect(bestScore).toBeGreaterThan(0.85);
    expect(bestScore).toBeLessThanOrEqual(1);

    await setTheme(page, 'dark');
    await page.getByRole('heading', { name: 'Train', level: 2 }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: await artifactPath('train-done-dark.png') });
    await setTheme(page, 'light');
    await page.getByRole('tab', { name: /Train.*Done/ }).waitFor();
  }, 420_000);

  it('cancels an MLP run after its first epoch and marks it cancelled', async () => {
    await page.getByRole('radio', { name: /Neural network/ }).check();
    await page.getByText('Advanced').click();
    await page.getByLabel('Epochs', { exact: true }).fill('200');
    await page.getByRole('button', { name: 'Train Neural network (MLP)' }).click();

    const live = page.getByRole('region', { name: 'Training progress' });
    await live.getByRole('heading', { name: 'Training run' }).waitFor();
    // The curves appear with the first progress event: the run is halfway, not yet done.
    await live.getByRole('img', { name: /Training and validation loss/ }).waitFor({ timeout: 120_000 });
    await live.getByRole('button', { name: 'Cancel' }).click();

    await live.locator('.train-live-head .run-status', { hasText: 'Cancelled' }).waitFor({ timeout: 60_000 });
    const run = live.getByRole('table', { name: 'Run' });
    await run.getByText('Cancelled', { exact: true }).waitFor({ timeout: 30_000 });
    expect(await live.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
  }, 240_000);

  it('compares the runs with metrics, curves, a confusion matrix and history', async () => {
    await page.getByRole('tab', { name: /Compare/ }).click();
    await page.getByRole('heading', { name: 'Compare', level: 2 }).waitFor();
    const table = page.locator('table.compare-table');
    await table.waitFor();
    const rows = table.locator('tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(2);
    // Auto may also stop a candidate at its budget; the run the user cancelled is the one named so.
    await table.getByTitle('Cancelled by the user.').waitFor();

    // The two best runs come ticked, so the charts are there on arrival.
    expect(await table.getByRole('checkbox', { checked: true }).count()).toBe(2);
    await page.getByRole('heading', { name: 'Validation metrics' }).waitFor();
    await page.getByRole('heading', { name: 'ROC curves' }).waitFor();
    await page.getByRole('heading', { name: 'Precision-recall curves' }).waitFor();
    await page.getByRole('heading', { name: 'Confusion matrix' }).waitFor();
    const confusion = page.locator('table.confusion');
    expect(await confusion.locator('tbody tr').count()).toBe(2);

    // Sorting by AUC puts the best first; a second click reverses it.
    await table.getByRole('button', { name: /^AUC/ }).click();
    const firstAuc = async () => Number(await rows.first().locator('td.numeric').nth(0).innerText());
    const best = await firstAuc();
    await table.getByRole('button', { name: /^AUC/ }).click();
    expect(await table.locator('th[aria-sort=ascending]').count()).toBe(1);
    await table.getByRole('button', { name: /^AUC/ }).click();
    expect(await firstAuc()).toBe(best);

    // Keyboard: tick a third run with the space bar.
    const unticked = table.getByRole('checkbox', { checked: false }).first();
    await unticked.focus();
    await page.keyboard.press('Space');
    expect(await table.getByRole('checkbox', { checked: true }).count()).toBe(3);
    await page.keyboard.press('Space');

    await page.getByRole('tab', { name: /Compare.*Done/ }).waitFor();
    // The app scrolls inside its own panel, so a taller window is what shows the whole step.
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.screenshot({ path: await artifactPath('compare-light.png') });
    await setTheme(page, 'dark');
    await page.screenshot({ path: await artifactPath('compare-dark.png') });
    await setTheme(page, 'light');
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

describeInChromium('Auto on a small sample in Chromium', { failureScreenshot: 'train-small-failure.png' }, (kiln) => {
  it('trains Auto on ANES 1996 (944 rows) by cross-validation, with both baselines on the leaderboard', async () => {
    const { page, pageErrors } = kiln;
    await kiln.open();
    await page.getByLabel('Project name').fill('Election');
    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByRole('heading', { name: 'Import', level: 2 }).waitFor();
    await page.locator('[data-testid=file-input]').setInputFiles(join(repoRoot, 'resources', 'samples', 'anes96.csv'));
    await page.getByRole('button', { name: 'Import this file' }).click();
    await page.getByRole('tab', { name: /Import.*Done/ }).waitFor({ timeout: 90_000 });

    await page.getByRole('tab', { name: /Train/ }).click();
    await page.getByText(/predict vote \(binary classification\)/).waitFor();
    await page.getByRole('radio', { name: /^Auto/ }).check();
    await page.getByLabel('Time budget (seconds)').fill('10');
    await page.getByRole('button', { name: 'Train with Auto' }).click();

    const live = page.getByRole('region', { name: 'Training progress' });
    const leaderboard = live.getByRole('table', { name: 'Leaderboard' });
    await leaderboard.waitFor({ timeout: 120_000 });
    await leaderboard.getByText('★ Best').waitFor({ timeout: 180_000 });
    await expect.poll(() => leaderboard.locator('.run-status', { hasText: /Running/ }).count(), { timeout: 180_000 }).toBe(0);
    // While Auto searches the star marks the best score so far; Auto's own choice is starred once the job has finished.
    await live.getByText(/^Trained and scored/).waitFor({ timeout: 60_000 });
    // Selected on 5 folds: the score column says so and shows each spread.
    await leaderboard.getByRole('columnheader', { name: '5-fold CV AUC' }).waitFor();
    const baseline = leaderboard.locator('tr[data-model=baseline]');
    await baseline.getByText('(ignores the features)').waitFor();
    expect(await baseline.locator('td.numeric').first().innerText()).toMatch(/^0\.50{0,3} ± 0(\.0+)?$/);
    const reference = leaderboard.locator('tr[data-model=linear]', { hasText: '(reference)' });
    await reference.waitFor();

    // The winner beats the reference by more than its spread, or is the reference itself.
    const cell = async (row: Locator) => {
      const [mean, spread] = (await row.locator('td.numeric').first().innerText()).split(' ± ').map(Number);
      return { mean: mean!, spread: spread! };
    };
    const best = leaderboard.locator('tr.best');
    const bestModel = await best.getAttribute('data-model');
    const chosen = await cell(best);
    const linear = await cell(reference);
    if (bestModel !== 'linear') expect(chosen.mean - linear.mean).toBeGreaterThan(chosen.spread);
    expect(chosen.mean).toBeGreaterThan(0.9);
    await page.getByRole('heading', { name: 'Train', level: 2 }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: await artifactPath('train-small-auto-light.png') });
    expect(pageErrors).toEqual([]);
  }, 420_000);
});
