// A server with no browser: the build completes, and its page and events say the browser
// check was skipped.
import { test, expect, waitLive, startBuild, waitBuild } from './fixtures';

test.use({ serverEnv: { NF_CHROMIUM: '/nonexistent/chromium' } });

test('the build completes and its page says the check was skipped', async ({ page, request, server }) => {
  const id = await startBuild(request, server.url, 'a habit tracker with streaks');
  const b = await waitBuild(request, server.url, id);
  expect(b.status, b.error ?? '').toBe('completed');
  expect(b.download_url).toBeTruthy();
  expect(b.verify.outcome).toBe('skipped');
  const events = await (await request.get(`${server.url}/api/coordination/events?build_id=${id}&limit=200`)).json();
  const skipped = events.events.filter((e: any) => e.kind === 'build.verify_skipped');
  expect(skipped).toHaveLength(1);
  expect(skipped[0].payload.reason).toContain('/nonexistent/chromium');

  await page.goto(`/builds/${id}`);
  await waitLive(page);
  await expect(page.locator('#verify-outcome')).toHaveAttribute('data-outcome', 'skipped');
  await expect(page.locator('#verify-reason')).toContainText('does not exist');
  await expect(page.locator('svg [data-task-key="verify"]')).toHaveAttribute('data-state', 'succeeded');
});
