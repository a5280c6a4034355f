// The browser check on the build page: a build's graph has a `verify` task after
// `assemble`; it passes, with one screenshot per page (and the phone's) shown on the page,
// served as PNGs and put in the zip. (verify-repair.spec.ts: a broken module is repaired;
// verify-skipped.spec.ts: a server without a browser.)
import { test, expect, waitLive, startBuild, waitBuild } from './fixtures';

test('a build is checked in a real browser and its page shows each page it saw', async ({ page, request, server }) => {
  const id = await startBuild(request, server.url, 'a reading list with books and authors, with ratings');
  const b = await waitBuild(request, server.url, id);
  expect(b.status, b.error ?? '').toBe('completed');
  expect(b.verify.outcome, JSON.stringify(b.verify)).toBe('passed');
  const pages = b.spec.pages.length;
  expect(b.verify.screenshots).toHaveLength(pages + 1);

  await page.goto(`/builds/${id}`);
  await waitLive(page);
  // The graph: verify after assemble, before package, and it succeeded.
  await expect(page.locator('svg [data-task-key="verify"]')).toHaveAttribute('data-state', 'succeeded');
  const verify = b.tasks.find((t: any) => t.key === 'verify');
  expect(verify.dependencies).toEqual(['assemble']);
  expect(b.tasks.find((t: any) => t.key === 'package').dependencies).toEqual(['verify']);

  // The panel: passed, one round, every page ticked, a picture of each.
  await expect(page.locator('#verify-outcome')).toHaveAttribute('data-outcome', 'passed');
  await expect(page.locator('#verify-rounds > li')).toHaveCount(1);
  await expect(page.locator('#verify-rounds > li').first()).toHaveAttribute('data-passed', 'true');
  const list = b.spec.pages.find((p: any) => p.kind === 'list');
  await expect(page.locator(`#verify-rounds li[data-page="${list.id}"]`)).toContainText('created, listed, searched, deleted');
  const shots = page.locator('#verify-screenshots img');
  await expect(shots).toHaveCount(pages + 1);
  for (const img of await shots.all()) {
    await img.scrollIntoViewIfNeeded();
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(300);
  }
  const phone = await request.get(`${server.url}/api/nexus-forge/build/${id}/screenshots/phone.png`);
  expect(phone.status()).toBe(200);
  expect(phone.headers()['content-type']).toBe('image/png');
  // Someone else's screenshot is not there for strangers.
  const stranger = await fetch(`${server.url}/api/nexus-forge/build/${id}/screenshots/phone.png`);
  expect(stranger.status).toBe(401);
  const missing = await request.get(`${server.url}/api/nexus-forge/build/${id}/screenshots/nothing.png`);
  expect(missing.status()).toBe(404);
});
