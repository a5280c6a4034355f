// Different prompts built offline, each app loaded from its sandboxed preview URL in
// Chromium: it loads without console errors, and create -> list -> search -> delete works.
// One more case drives a reference field: a photo in an album, the album deleted.
import { test, expect, startBuild, waitBuild } from './fixtures';

const PROMPTS = [
  'a habit tracker with streaks and dark mode',
  'A todo app with projects, priorities, due dates, tags and sorting',
  'a recipe book with ingredients, favourites and a shopping list, in orange',
  'an expense tracker with categories, monthly budgets, charts and export to JSON',
  'inventory management for my small shop with suppliers and low stock alerts, searchable',
  'a simple CRM for a freelancer: contacts, companies and deals with a sales pipeline',
  'a workout log with exercises, statistics and a purple theme',
  'a plant care app to remember when to water my houseplants, with streaks, in green',
  'an app to manage my vinyl records and the shops I buy them from',
  'a notes app called <script>alert("x")</script> & "friends" with tags',
  "Keep track of my car's fuel fill-ups: date, litres, price and odometer",
  'Verwaltung für unseren Sportverein: Mitglieder mit Name, Geburtsdatum, E-Mail und Beitrag bezahlt',
];

type Field = { name: string; label: string; kind: string; required?: boolean; options?: string[] };

function valueFor(f: Field, token: string): string | null {
  switch (f.kind) {
    case 'text': return `${token} ${f.label}`.slice(0, 60);
    case 'long_text': return `Notes about ${token}`;
    case 'number':
      // Some generated modules validate plausibility (a year, a score out of a maximum).
      if (/year|vintage/.test(f.name)) return '2001';
      if (f.name === 'max_score') return '10';
      if (f.name === 'score') return '8';
      return '3';
    case 'date': return '2024-05-01';
    case 'email': return 'test@example.com';
    case 'url': return 'example.com';
    case 'color': return '#123456';
    default: return null;
  }
}

test.describe.configure({ mode: 'serial' });

const names = new Set<string>();
const colours = new Set<string>();

for (const [i, prompt] of PROMPTS.entries()) {
  test(`app ${i + 1}: ${prompt.slice(0, 50)}`, async ({ page, request, server }) => {
    const id = await startBuild(request, server.url, prompt);
    const build = await waitBuild(request, server.url, id);
    expect(build.status, build.error ?? '').toBe('completed');
    names.add(build.spec.name);
    colours.add(build.spec.theme.primary);

    const problems: string[] = [];
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));

    const response = await page.goto(`${server.url}${build.preview_url}`);
    expect(response?.headers()['content-security-policy']).toMatch(/^sandbox allow-scripts allow-forms;.*connect-src 'none'/);
    await page.waitForSelector('[data-testid^="nav-"]');
    // The sandbox gives the app an opaque origin: it cannot reach the dashboard's cookies or API.
    expect(await page.evaluate(() => String(window.origin))).toBe('null');
    const config = await page.evaluate(() => (window as any).NEXUS_CONFIG);
    expect(config.name).toBe(build.spec.name);

    const listPage = config.pages.find((p: any) => p.kind === 'list');
    const entity = config.entities.find((e: any) => e.name === listPage.entity);
    await page.getByTestId(`nav-${listPage.id}`).click();
    const records = page.getByTestId('record');
    await expect(records).toHaveCount(0);

    // Create, with every field filled.
    const token = `Zq${i}`;
    await page.getByTestId(`new-${entity.name}`).click();
    const form = page.getByTestId(`form-${entity.name}`);
    await form.waitFor();
    for (const f of entity.fields as Field[]) {
      const box = form.locator(`[data-field="${f.name}"]`);
      if (f.kind === 'boolean') await box.locator(`input[name="${f.name}"]`).check();
      else if (f.kind === 'select') await box.locator(`select[name="${f.name}"]`).selectOption({ index: 1 });
      else if (f.kind === 'rating') await box.locator('label[for$="-4"]').click();
      else if (f.kind === 'reference') continue; // optional; the case below drives references
      else await box.locator(`[name="${f.name}"]`).fill(valueFor(f, token)!);
    }
    await form.getByTestId('save').click();

    // List.
    await expect(records).toHaveCount(1);
    const title = (await records.first().locator('h3').textContent())!.trim();
    if (entity.fields[0].kind === 'text') expect(title).toContain(token);

    // Search finds it, and only it.
    const search = page.getByTestId('search');
    await search.fill(entity.fields[0].kind === 'text' ? token.toLowerCase() : title.slice(0, 3));
    await expect(records).toHaveCount(1);
    await search.fill('no-such-thing-xyz');
    await expect(records).toHaveCount(0);
    await search.fill('');
    await expect(records).toHaveCount(1);

    // Delete, confirmed inline.
    await records.first().getByTestId('delete').click();
    await page.getByTestId('confirm-delete').click();
    await expect(records).toHaveCount(0);

    expect(problems).toEqual([]);
  });
}

test('different prompts make visibly different apps', async () => {
  expect(names.size).toBe(PROMPTS.length);
  expect(colours.size).toBeGreaterThanOrEqual(6);
});

test('a reference field links a photo to its album and survives the album\'s deletion', async ({ page, request, server }) => {
  const id = await startBuild(request, server.url, 'photography portfolio: albums and photos with camera settings (ISO, aperture, shutter)');
  const build = await waitBuild(request, server.url, id);
  expect(build.status, build.error ?? '').toBe('completed');
  const photo = build.spec.entities.find((e: any) => e.name === 'photo');
  const link = photo.fields.find((f: Field & { entity?: string }) => f.kind === 'reference');
  expect(link.entity).toBe('album');

  const problems: string[] = [];
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
  await page.goto(`${server.url}${build.preview_url}`);
  const records = page.getByTestId('record');

  await page.getByTestId('nav-albums').click();
  await page.getByTestId('new-album').click();
  await page.getByTestId('form-album').locator('[name="name"]').fill('Iceland 2024');
  await page.getByTestId('save').click();
  await expect(records).toHaveCount(1);

  await page.getByTestId('nav-photos').click();
  await page.getByTestId('new-photo').click();
  const form = page.getByTestId('form-photo');
  await form.locator(`[name="${photo.fields[0].name}"]`).fill('Skogafoss');
  const box = form.locator(`[data-field="${link.name}"]`);
  await expect(box).toHaveAttribute('data-kind', 'reference');
  await box.locator('select').selectOption({ label: 'Iceland 2024' });
  await form.getByTestId('save').click();
  await expect(records).toHaveCount(1);
  await expect(records.first()).toContainText('Iceland 2024');

  await page.getByTestId('nav-albums').click();
  await records.first().getByTestId('delete').click();
  await page.getByTestId('confirm-delete').click();
  await expect(records).toHaveCount(0);

  await page.getByTestId('nav-photos').click();
  await expect(records).toHaveCount(1);
  await expect(records.first().locator('h3')).toHaveText('Skogafoss');
  await expect(records.first()).toContainText('Deleted album');
  expect(problems).toEqual([]);
});
