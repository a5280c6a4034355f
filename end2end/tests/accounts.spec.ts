// Accounts in the browser, from a fresh install: the setup page makes the first admin, who
// signs out and in, makes and revokes an API token, and invites a member; the member signs
// up from the link, sees only their own builds and none of the admin pages; a stranger is
// sent to sign in.
import { test, expect, waitLive } from './fixtures';

// This file's server starts with nobody: the setup page is the way in.
test.use({ serverSeed: false });
test.describe.configure({ mode: 'serial' });

const admin = { username: 'ada', password: 'ada password 123' };
const member = { username: 'max', password: 'max password 456' };
let invitation = '';

test('a fresh install sends everyone to set-up, which makes the first admin', async ({ page, consoleErrors }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await page.locator('#username').fill(admin.username);
  await page.locator('#password').fill(admin.password);
  await page.locator('#password-again').fill('not the same password');
  await page.getByRole('button', { name: 'Create the admin account' }).click();
  await expect(page.locator('#auth-error')).toContainText('differ');
  await page.locator('#password-again').fill(admin.password);
  await page.getByRole('button', { name: 'Create the admin account' }).click();
  await expect(page).toHaveURL(/\/$/);
  await waitLive(page);
  await expect(page.getByRole('link', { name: 'Admin' })).toBeVisible();
  // Set-up is over: the page now sends people to sign in.
  const again = await page.context().browser()!.newContext({ baseURL: page.url() });
  const p2 = await again.newPage();
  await p2.goto('/setup');
  await expect(p2).toHaveURL(/\/sign-in/);
  await again.close();
});

test('what is typed into the sign-in form before the page hydrates is kept', async ({ page, consoleErrors }) => {
  // Hold the bundle back so the person types into the server-rendered form first.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/pkg/nexus-forge.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/sign-in');
  await page.locator('#username').fill(admin.username);
  await page.locator('#password').fill(admin.password);
  release();
  // Hydrated once the theme switch answers a click.
  const app = page.locator('.app');
  await expect(async () => {
    const before = await app.getAttribute('data-theme');
    await page.locator('#theme-toggle').click();
    expect(await app.getAttribute('data-theme')).not.toBe(before);
  }).toPass({ timeout: 15_000 });
  await expect(page.locator('#username')).toHaveValue(admin.username);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
  await waitLive(page);
});

test('the admin signs out, is refused a wrong password, and signs back in where they were going', async ({ page, consoleErrors }) => {
  await page.goto('/sign-in');
  await page.locator('#username').fill(admin.username);
  await page.locator('#password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitLive(page);
  await page.locator('#sign-out').click();
  await expect(page).toHaveURL(/\/sign-in/);
  // A stranger asking for a page is sent to sign in, and comes back to it afterwards.
  await page.goto('/workflows');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fworkflows|\/sign-in\?next=\/workflows/);
  await page.locator('#username').fill(admin.username);
  await page.locator('#password').fill('wrong password!!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#auth-error')).toContainText('wrong username or password');
  // The browser logs the refused request (a 401) itself; that one is expected.
  const refused = consoleErrors.findIndex((e) => e.includes('401'));
  expect(refused).toBeGreaterThanOrEqual(0);
  consoleErrors.splice(refused, 1);
  await page.locator('#password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/workflows$/);
  await waitLive(page);
});

async function signIn(page: import('@playwright/test').Page, who: { username: string; password: string }) {
  await page.goto('/sign-in');
  await page.locator('#username').fill(who.username);
  await page.locator('#password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).not.toHaveURL(/sign-in/);
  await waitLive(page);
}

test('tokens are shown once, work, and stop working when revoked', async ({ page, consoleErrors, server }) => {
  await signIn(page, admin);
  await page.goto('/account');
  await page.locator('#token-name').fill('laptop script');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.locator('#new-token').textContent())!.trim();
  expect(secret).toMatch(/^nf_[0-9a-f]{64}$/);
  const call = () => fetch(`${server.url}/api/nexus-forge/builds`, { headers: { authorization: `Bearer ${secret}` } });
  expect((await call()).status).toBe(200);
  await expect(page.locator('#token-table [data-token="laptop script"]')).toBeVisible();
  await page.getByRole('button', { name: 'Revoke laptop script' }).click();
  await expect(page.locator('#token-table [data-token="laptop script"] .badge')).toHaveText('revoked');
  expect((await call()).status).toBe(401);
});

test('the admin invites a member, and the audit trail shows it', async ({ page, consoleErrors }) => {
  await signIn(page, admin);
  await page.goto('/admin');
  await page.locator('#invitation-note').fill('Max');
  await page.getByRole('button', { name: 'Invite' }).click();
  invitation = (await page.locator('#invitation-link').textContent())!.trim();
  expect(invitation).toMatch(/\/sign-up\?code=[0-9a-f]{64}$/);
  await page.reload();
  await waitLive(page);
  await expect(page.locator('#audit-table [data-action="invitation.create"]')).toBeVisible();
  await expect(page.locator('#audit-table [data-action="session.login"][data-success="false"]').first()).toBeVisible();
});

test('the member signs up from the link and sees only their own work', async ({ browser, server, consoleErrors }) => {
  // The admin has a build; the member must never see it.
  const adminCtx = await browser.newContext({ baseURL: server.url });
  await adminCtx.addCookies([await server.sessionCookie(admin.username, admin.password)]);
  const started = await adminCtx.request.post('/api/fn/start_build', {
    data: { prompt: 'a recipe book', provider: null },
    headers: { origin: server.url },
  });
  expect(started.status()).toBe(200);
  const adminBuild = (await started.json()).build_id;
  await adminCtx.close();

  const ctx = await browser.newContext({ baseURL: server.url });
  const page = await ctx.newPage();
  await page.goto(invitation);
  await page.locator('#username').fill(member.username);
  await page.locator('#password').fill(member.password);
  await page.locator('#password-again').fill(member.password);
  await page.getByRole('button', { name: 'Make the account' }).click();
  await expect(page).toHaveURL(/\/$/);
  await waitLive(page);
  // No admin pages in the navigation, and the pages refuse.
  await expect(page.getByRole('link', { name: 'Admin' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Agents' })).toHaveCount(0);
  await page.goto('/builds');
  await waitLive(page);
  await expect(page.locator(`a[href="/builds/${adminBuild}"]`)).toHaveCount(0);
  const other = await page.goto(`/builds/${adminBuild}`);
  expect(other?.status()).toBe(404);
  // The same link again is used up.
  const late = await browser.newContext({ baseURL: server.url });
  const p2 = await late.newPage();
  await p2.goto(invitation);
  await p2.locator('#username').fill('someone-else');
  await p2.locator('#password').fill('someone password');
  await p2.locator('#password-again').fill('someone password');
  await p2.getByRole('button', { name: 'Make the account' }).click();
  await expect(p2.locator('#auth-error')).toContainText('invitation');
  await late.close();
  await ctx.close();
});

test('a form filled in and sent before its page is live loses nothing and is not sent natively', async ({ page, consoleErrors }) => {
  await signIn(page, admin);
  // Hold back the admin pages' part of the bundle: the person works on the server's HTML.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/split_admin_pages_*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/admin', { waitUntil: 'domcontentloaded' });
  const note = page.locator('#invitation-note');
  await note.fill('Early bird');
  await page.locator('#invitation-admin').check();
  const invite = page.getByRole('button', { name: 'Invite' });
  // Served disabled: neither a click nor Enter can send the form before the page can.
  await expect(invite).toBeDisabled();
  await note.press('Enter');
  expect(new URL(page.url()).search).toBe('');
  release();
  // Hydration would have emptied the field and the box; both come back into the page.
  await invite.click();
  await expect(page.locator('#invitation-link')).toBeVisible();
  const row = page.locator('#invitation-table tr', { hasText: 'Early bird' });
  await expect(row).toHaveCount(1);
  await expect(row.locator('td').first()).toHaveText('admin');
  await expect(page).toHaveURL(/\/admin$/);
});
