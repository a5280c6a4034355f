// The live dashboard: a build started from the form fills in its DAG and completes without
// a reload; preview, zip, cancel; the WebSocket survives a server restart without losing or
// repeating events; agents register through the form; screenshots of the main pages.
import { test, expect, waitLive, startBuild, waitBuild } from './fixtures';
import fs from 'node:fs';

// Each offline answer takes a while, so a build's phases can be watched (and cancelled).
test.use({ serverEnv: { NF_OFFLINE_DELAY_MS: '300', NF_LEASE_SECS: '3' } });
test.describe.configure({ mode: 'serial' });

const shots = 'test-results/screenshots';

test('a build started from the form fills in its DAG and completes live', async ({ page, consoleErrors }) => {
  await page.goto('/builds');
  await waitLive(page);
  await page.evaluate(() => ((window as any).__noReload = true));

  await page.locator('#prompt').fill('a habit tracker with streaks and dark mode');
  await page.locator('#start-build').click();
  await expect(page).toHaveURL(/\/builds\/[0-9a-f-]{36}$/);

  // First only analysis and plan; the plan then extends the graph.
  const nodes = page.locator('svg [data-task-key]');
  await expect(nodes.first()).toBeVisible();
  await expect.poll(() => nodes.count(), { timeout: 30_000 }).toBeGreaterThan(6);
  await expect(page.locator('[data-task-key="entity-habit"]')).toBeVisible();

  // It completes without a reload; every node ends succeeded.
  await expect(page.locator('.page-head [data-status]').first()).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
  await expect(page.locator('svg [data-task-key][data-state="succeeded"]')).toHaveCount(await nodes.count());
  expect(await page.evaluate(() => (window as any).__noReload)).toBe(true);
  await expect(page.locator('#phase-timeline [data-phase="done"]')).toHaveClass(/done/);

  // A node tells its story.
  await page.locator('[data-task-key="analysis"]').click();
  await expect(page.getByText('Starri-Orchestrator').first()).toBeVisible();

  // The files and the code viewer.
  await page.locator('#file-tree [data-path="index.html"]').click();
  await expect(page.locator('#code-view code')).toContainText('<!doctype html', { ignoreCase: true });

  // The preview, in the page and in its own tab.
  const frame = page.frameLocator('#preview-frame');
  await expect(frame.locator('[data-testid^="nav-"]').first()).toBeVisible();
  const [tab] = await Promise.all([page.waitForEvent('popup'), page.locator('#open-preview').click()]);
  await expect(tab.locator('[data-testid^="nav-"]').first()).toBeVisible();
  await tab.close();

  // The zip.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-zip').click()]);
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  const path = await download.path();
  expect(fs.statSync(path!).size).toBeGreaterThan(1000);
  expect(fs.readFileSync(path!).subarray(0, 2).toString()).toBe('PK');
});

test('a second build can be cancelled from its page', async ({ page, consoleErrors }) => {
  await page.goto('/builds');
  await waitLive(page);
  await page.locator('#prompt').fill('an expense tracker with categories and charts');
  await page.locator('#start-build').click();
  await expect(page).toHaveURL(/\/builds\/[0-9a-f-]{36}$/);
  await page.locator('#cancel-build').click();
  await expect(page.locator('.page-head [data-status]').first()).toHaveAttribute('data-status', 'cancelled', { timeout: 20_000 });
  await expect(page.locator('#cancel-build')).toBeHidden();
  await expect(page.locator('#download-zip')).toHaveCount(0);
  await expect(page.locator('#build-error')).toContainText('cancelled');

  // The list says so too.
  await page.goto('/builds');
  await expect(page.locator('#build-list li.build-row[data-status="cancelled"]')).toHaveCount(1);
});

test('the page rides out a server restart without losing or repeating events', async ({ page, server, request }) => {
  await page.goto('/builds');
  await waitLive(page);
  await page.locator('#prompt').fill('a reading list to track books I want to read, with ratings');
  await page.locator('#start-build').click();
  await expect(page).toHaveURL(/\/builds\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop()!;
  await expect(page.locator('[data-task-key="plan"]')).toBeVisible();

  // The server goes away mid-build (its in-flight tasks finish within the grace period) and
  // comes back; the page reconnects on its own and catches up.
  await server.stop('SIGTERM');
  await expect(page.locator('#ws-status')).toHaveText('reconnecting', { timeout: 10_000 });
  await server.start();
  await expect(page.locator('#ws-status')).toHaveText('live', { timeout: 40_000 });
  const build = await waitBuild(request, server.url, id);
  expect(build.status).toBe('completed');
  await expect(page.locator('.page-head [data-status]').first()).toHaveAttribute('data-status', 'completed', { timeout: 30_000 });

  // No event twice, and the same final state as a fresh load.
  const live = await page.locator('.event-list [data-event-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-event-id')));
  expect(new Set(live).size).toBe(live.length);
  const liveNodes = await page.locator('svg [data-task-key]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-task-key')}=${e.getAttribute('data-state')}`).sort());
  const fresh = await page.context().newPage();
  await fresh.goto(`/builds/${id}`);
  await waitLive(fresh);
  const freshEvents = await fresh.locator('.event-list [data-event-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-event-id')));
  const freshNodes = await fresh.locator('svg [data-task-key]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-task-key')}=${e.getAttribute('data-state')}`).sort());
  expect(liveNodes).toEqual(freshNodes);
  expect([...live].sort()).toEqual([...freshEvents].sort());
  await fresh.close();
});

test('agents register through the form, and a bad registration says why', async ({ page, consoleErrors }) => {
  await page.goto('/agents');
  await waitLive(page);

  // Rejected: a name with a space and no capability; each problem next to its field.
  await page.locator('#agent-name').fill('bad name');
  await page.locator('#register-submit').click();
  await expect(page.locator('#agent-name-error')).toContainText('may only hold letters');
  await expect(page.locator('#agent-caps-error')).toContainText('at least one capability');

  // Accepted.
  await page.locator('#agent-name').fill('Scribe');
  await page.getByLabel('text generation').check();
  await page.getByLabel('testing').check();
  await page.locator('#register-submit').click();
  await expect(page.locator('#register-ok')).toHaveText('Registered Scribe.');
  await expect(page.locator('#agent-table tr[data-agent="Scribe"]')).toBeVisible();
  await expect(page.locator('#agent-name-error')).toBeHidden();

  // A taken name is refused.
  await page.locator('#agent-name').fill('Scribe');
  await page.getByLabel('testing').check();
  await page.locator('#register-submit').click();
  await expect(page.locator('#agent-name-error')).toContainText('already registered');
});

test('screenshots of the main pages', async ({ page, request, server, consoleErrors }) => {
  const id = await startBuild(request, server.url, 'a plant care app to remember when to water my houseplants, with streaks, in green');
  await waitBuild(request, server.url, id);
  for (const [name, path] of [
    ['overview', '/'],
    ['builds', '/builds'],
    ['build', `/builds/${id}`],
    ['agents', '/agents'],
    ['workflows', '/workflows'],
    ['events', '/events'],
    ['metrics', '/performance'],
  ]) {
    await page.goto(path);
    await waitLive(page);
    await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  }
  // The README's picture: the top of a finished build at a laptop's size.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`/builds/${id}`);
  await waitLive(page);
  await page.screenshot({ path: `${shots}/readme-build.png` });
  // Phone width: the navigation folds into a menu and nothing overflows.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/builds/${id}`);
  await waitLive(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  await page.getByRole('button', { name: 'Menu' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' })).toBeVisible();
  await page.screenshot({ path: `${shots}/phone-build.png`, fullPage: true });
});
