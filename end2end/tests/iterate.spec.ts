// Changing a finished app by talking to it: a recipe build, then "add a notes field to
// recipes" typed into the build page's box. The revision's page shows what changed, which
// tasks were reused (dashed in the graph) and the files' diffs; its preview has the new field
// in the recipe form, and create -> list -> search -> delete still works with it filled.
import { test, expect, waitLive, startBuild, waitBuild } from './fixtures';

test.describe.configure({ mode: 'serial' });

test('a recipe app gains a notes field from one sentence, rerunning only what it touches', async ({ page, request, server, consoleErrors }) => {
  const first = await startBuild(request, server.url, 'a recipe book with ingredients and cooking times');
  const a = await waitBuild(request, server.url, first);
  expect(a.status, a.error ?? '').toBe('completed');
  const recipeBefore = a.spec.entities.find((e: any) => e.name === 'recipe');
  expect(recipeBefore.fields.some((f: any) => f.name === 'notes'), 'the recipe has no notes yet').toBe(false);

  await page.goto(`/builds/${first}`);
  await waitLive(page);
  await page.locator('#iterate-prompt').fill('add a notes field to recipes');
  await page.locator('#iterate-submit').click();
  await expect(page).not.toHaveURL(new RegExp(`/builds/${first}$`));
  await expect(page).toHaveURL(/\/builds\/[0-9a-f-]{36}$/);
  const second = page.url().split('/').pop()!;

  // It completes live; the revision panel says what changed and what was reused.
  await expect(page.locator('.page-head [data-status]').first()).toHaveAttribute('data-status', 'completed', { timeout: 60_000 });
  await expect(page.locator('#revision-heading')).toHaveText('Revision 2');
  await expect(page.locator('#revision-changes')).toContainText('Recipes: added the field Notes');
  await expect(page.locator('#revision-list li')).toHaveCount(2);
  const b = await waitBuild(request, server.url, second);
  expect(b.revision.reused.length).toBeGreaterThan(0);
  for (const key of b.revision.reused) {
    await expect(page.locator(`svg [data-task-key="${key}"]`)).toHaveAttribute('data-reused', 'true');
  }
  await expect(page.locator('svg [data-task-key="entity-recipe"]')).not.toHaveAttribute('data-reused', 'true');
  const ran = b.tasks.filter((t: any) => t.output?.reused !== true).length;
  const ranBefore = a.tasks.length;
  expect(ran).toBeLessThan(ranBefore);

  // The diff of the recipe module shows the new field as an added line.
  const recipeDiff = page.locator('.file-diff[data-path="js/entities/recipe.js"]');
  await expect(recipeDiff).toBeVisible();
  await recipeDiff.locator('summary').click();
  await expect(recipeDiff.locator('.diff-add').filter({ hasText: 'notes' }).first()).toBeVisible();
  await expect(page.locator('.file-diff[data-path="css/styles.css"]')).toHaveCount(0);

  // The revision's app: the recipe form has a notes field, and the records layout works.
  const problems: string[] = [];
  const app = await page.context().newPage();
  app.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
  app.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
  await app.goto(`${server.url}${b.preview_url}`);
  await app.waitForSelector('[data-testid^="nav-"]');
  const list = b.spec.pages.find((p: any) => p.kind === 'list' && p.entity === 'recipe');
  await app.getByTestId(`nav-${list.id}`).click();
  await app.getByTestId('new-recipe').click();
  const form = app.getByTestId('form-recipe');
  await form.waitFor();
  const notes = form.locator('[data-field="notes"]');
  await expect(notes).toBeVisible();
  const recipe = b.spec.entities.find((e: any) => e.name === 'recipe');
  for (const f of recipe.fields) {
    const box = form.locator(`[data-field="${f.name}"]`);
    if (f.kind === 'boolean') await box.locator(`input[name="${f.name}"]`).check();
    else if (f.kind === 'select') await box.locator(`select[name="${f.name}"]`).selectOption({ index: 1 });
    else if (f.kind === 'rating') await box.locator('label[for$="-4"]').click();
    else if (f.kind === 'reference') continue;
    else if (f.kind === 'number') await box.locator(`[name="${f.name}"]`).fill('3');
    else if (f.kind === 'date') await box.locator(`[name="${f.name}"]`).fill('2024-05-01');
    else if (f.kind === 'url') await box.locator(`[name="${f.name}"]`).fill('example.com');
    else if (f.kind === 'email') await box.locator(`[name="${f.name}"]`).fill('a@example.com');
    else await box.locator(`[name="${f.name}"]`).fill(f.name === 'notes' ? 'Rest the dough overnight' : `Zq ${f.label}`);
  }
  await form.getByTestId('save').click();
  const records = app.getByTestId('record');
  await expect(records).toHaveCount(1);
  await records.first().getByTestId('edit').click();
  await expect(app.getByTestId('form-recipe').locator('[name="notes"]')).toHaveValue('Rest the dough overnight');
  await app.keyboard.press('Escape');
  await app.getByTestId(`nav-${list.id}`).click();
  await app.getByTestId('search').fill('zq');
  await expect(records).toHaveCount(1);
  await app.getByTestId('search').fill('no-such-recipe');
  await expect(records).toHaveCount(0);
  await app.getByTestId('search').fill('');
  await records.first().getByTestId('delete').click();
  await app.getByTestId('confirm-delete').click();
  await expect(records).toHaveCount(0);
  expect(problems).toEqual([]);
  await app.close();
});

test('"make it green" reruns only the design, and the same logo and icons turn green', async ({ page, request, server }) => {
  const first = await startBuild(request, server.url, 'a habit tracker with streaks, in blue');
  const a = await waitBuild(request, server.url, first);
  expect(a.status, a.error ?? '').toBe('completed');
  const res = await request.post(`${server.url}/api/nexus-forge/build/${first}/iterate`, { data: { prompt: 'make it green' } });
  expect(res.status()).toBe(202);
  const b = await waitBuild(request, server.url, (await res.json()).build_id);
  expect(b.status, b.error ?? '').toBe('completed');
  expect(b.spec.theme.primary).not.toBe(a.spec.theme.primary);
  const always = ['check', 'assemble', 'verify', 'package'];
  expect(b.revision.rerun.filter((k: string) => !always.includes(k))).toEqual(['design']);
  expect(b.revision.reused).toContain('assets');

  // In each app the logo and the nav icons are drawn inline in that app's own colours.
  const colours = async (build: any) => {
    const app = await page.context().newPage();
    await app.goto(`${server.url}${build.preview_url}`);
    await app.waitForSelector('svg.brand-logo');
    const seen = await app.evaluate(() => {
      const css = getComputedStyle(document.documentElement);
      const stop = document.querySelector('svg.brand-logo stop') as SVGStopElement;
      const icon = document.querySelector('svg.nav-icon') as SVGElement;
      return {
        primary: css.getPropertyValue('--primary').trim(),
        strong: css.getPropertyValue('--primary-strong').trim(),
        stop: getComputedStyle(stop).stopColor,
        icon: getComputedStyle(icon).color,
      };
    });
    await app.close();
    return seen;
  };
  const rgb = (hex: string) => `rgb(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)})`;
  const before = await colours(a);
  const after = await colours(b);
  expect(before.stop).toBe(rgb(before.primary));
  expect(after.stop).toBe(rgb(after.primary));
  expect(after.icon).toBe(rgb(after.strong));
  expect(after.stop).not.toBe(before.stop);
  expect(after.icon).not.toBe(before.icon);
});
