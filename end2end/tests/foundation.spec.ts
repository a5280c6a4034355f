// The foundation: server-rendered data from Postgres, hydration, and the live WebSocket.
import { test, expect, waitLive, signedInContext } from './fixtures';

const seeded = ['Starri-Orchestrator', 'Jules-CodeGen', 'Gemini-Designer', 'Imagen-Asset-Gen'];

test('the server-rendered overview lists the seeded agents without JavaScript', async ({ browser, server }) => {
  const context = await signedInContext(browser, server, { javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  const cards = page.locator('#agent-list .agent-card');
  await expect(cards).toHaveCount(seeded.length);
  for (const name of seeded) {
    await expect(page.locator(`.agent-card[data-agent="${name}"]`)).toBeVisible();
  }
  await expect(page.locator('#ws-status')).toHaveText('connecting');
  await context.close();
});

test('a click works once the page is hydrated', async ({ page, consoleErrors }) => {
  await page.goto('/');
  await waitLive(page);
  const card = page.locator('.agent-card[data-agent="Jules-CodeGen"]');
  const chips = card.locator('.chips');
  await expect(chips).toBeHidden();
  await card.getByRole('button', { name: 'Show capabilities' }).click();
  await expect(chips).toBeVisible();
  await expect(chips.locator('.chip')).toContainText(['code_generation', 'testing', 'api_integration']);

  const app = page.locator('.app');
  await expect(app).toHaveAttribute('data-theme', 'dark');
  await page.locator('#theme-toggle').click();
  await expect(app).toHaveAttribute('data-theme', 'light');
});

test('the page subscribes over the WebSocket', async ({ page, consoleErrors }) => {
  const frames: string[] = [];
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => frames.push(String(f.payload)));
  });
  await page.goto('/');
  await waitLive(page);
  const types = frames.map((f) => JSON.parse(f).type);
  expect(types[0]).toBe('hello');
  expect(types).toContain('subscribed');
});

// No console-error check here: the browser itself logs the document's 404.
test('an unknown page is a 404 with a way back', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('the bundle arrives compressed, from addresses named by its hash, cached for good', async ({ page }) => {
  const wasm = page.waitForResponse((r) => r.url().endsWith('/pkg/nexus-forge.wasm'));
  const css = page.waitForResponse((r) => r.url().endsWith('/pkg/nexus-forge.css'));
  await page.goto('/');
  for (const res of [await wasm, await css]) {
    expect(new URL(res.url()).pathname).toMatch(/^\/pkg\/[0-9a-f]{16}\/pkg\/nexus-forge\.(wasm|css)$/);
    const headers = await res.allHeaders();
    expect(headers['content-encoding']).toBe('br');
    expect(headers['cache-control']).toBe('public, max-age=31536000, immutable');
  }
  expect((await (await wasm).allHeaders())['content-type']).toBe('application/wasm');
});

test('the first page loads the shell and its own pages; another group of pages only when shown', async ({ page, consoleErrors }) => {
  const wasm: string[] = [];
  page.on('request', (r) => {
    const m = new URL(r.url()).pathname.match(/^\/pkg\/[0-9a-f]{16}\/pkg\/([^/]+\.wasm)$/);
    if (m) wasm.push(m[1]);
  });
  const res = await page.goto('/');
  // The server names the overview's own file in its <head>, so it downloads beside the shell.
  const html = await res!.text();
  const preload = html.match(/<link [^>]*href="\/pkg\/[0-9a-f]{16}\/pkg\/split_home_pages_\w+\.wasm"[^>]*>/);
  expect(preload?.[0]).toContain('rel="preload"');
  expect(html).not.toContain('split_admin_pages_');
  await waitLive(page);
  expect(wasm).toContain('nexus-forge.wasm');
  expect(wasm.some((f) => f.startsWith('split_home_pages_'))).toBe(true);
  expect(wasm.some((f) => f.startsWith('split_admin_pages_'))).toBe(false);
  // The account page is in another group: its file comes when the page is first shown.
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page.getByRole('heading', { name: 'Account', level: 1 })).toBeVisible();
  expect(wasm.some((f) => f.startsWith('split_admin_pages_'))).toBe(true);
  // And the page works: its form answers.
  await page.locator('#token-name').fill('from a lazy page');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.locator('#new-token')).toHaveText(/^nf_[0-9a-f]{64}$/);
});
