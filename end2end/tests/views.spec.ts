// The views besides the lists, each built from one prompt through the product and driven
// in its sandboxed preview: drag a card to another column, add on a calendar day, run a
// 3-second timer to its end, answer a quiz round, see a chart's points change, tick and
// clear a checklist. Every change shows on the entity's list page too (one store), every
// view fits a phone's width, and nothing logs an error or a warning. Two of them are also
// the README's pictures of a board and a calendar.
import { test, expect, startBuild, waitBuild } from './fixtures';
import type { APIRequestContext, Locator, Page } from '@playwright/test';

const shots = 'test-results/screenshots';

test.describe.configure({ mode: 'serial' });

/** Builds `prompt`, opens its preview and the page of `kind`; returns the build and page. */
async function openView(page: Page, request: APIRequestContext, baseURL: string, prompt: string, kind: string) {
  const warnings: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  const id = await startBuild(request, baseURL, prompt);
  const build = await waitBuild(request, baseURL, id);
  expect(build.status, build.error ?? '').toBe('completed');
  const view = build.spec.pages.find((p: any) => p.kind === kind);
  expect(view, `a ${kind} page for “${prompt}”: ${JSON.stringify(build.spec.pages)}`).toBeTruthy();
  // A view is a page besides its entity's list, never instead of it.
  expect(build.spec.pages.some((p: any) => p.kind === 'list' && p.entity === view.entity)).toBe(true);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${baseURL}${build.preview_url}`);
  await page.waitForSelector('[data-testid^="nav-"]');
  await page.getByTestId(`nav-${view.id}`).click();
  await expect(page.getByTestId(`view-${kind}`)).toBeVisible();
  const list = build.spec.pages.find((p: any) => p.kind === 'list' && p.entity === view.entity);
  const entity = build.spec.entities.find((e: any) => e.name === view.entity);
  return { build, view, list, entity, warnings };
}

/** Fills every field a view's add form shows that is still empty (or given in `values`). */
async function fillForm(form: Locator, values: Record<string, string> = {}) {
  for (const box of await form.locator('[data-field]').all()) {
    const name = (await box.getAttribute('data-field'))!;
    const kind = await box.getAttribute('data-kind');
    if (kind === 'boolean') continue;
    if (kind === 'rating') {
      await box.locator('label[for$="-4"]').click();
      continue;
    }
    if (kind === 'select') {
      await box.locator('select').selectOption({ index: 1 });
      continue;
    }
    const input = box.locator(`[name="${name}"]`);
    if (values[name] !== undefined) await input.fill(values[name]);
    else if ((await input.inputValue()) === '') {
      const v = { number: '3', date: '2024-05-01', email: 'a@example.com', url: 'example.com' }[kind ?? ''];
      await input.fill(v ?? `Test ${name}`);
    }
  }
}

/** A picture for the README, once the last toast has gone. */
async function readmeShot(page: Page, name: string) {
  await page.mouse.move(0, 0);
  await expect(page.locator('.toast.show')).toHaveCount(0);
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${shots}/readme-${name}.png` });
}

/** At a phone's width the page scrolls only downwards. */
async function fitsPhone(page: Page, name: string) {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name}: horizontal overflow at 390 px`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${shots}/phone-${name}.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Day `dayOfMonth` of this month as YYYY-MM-DD, by the page's clock. */
async function dayOfThisMonth(page: Page, dayOfMonth: number): Promise<string> {
  return page.evaluate((d) => {
    const now = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(d)}`;
  }, dayOfMonth);
}

test('board: cards move between columns by dragging and by keyboard', async ({ page, request, server, consoleErrors }) => {
  const prompt = 'a kanban board for my side projects with columns todo, doing and done';
  const { view, list, entity, warnings } = await openView(page, request, server.url, prompt, 'board');
  const columns = page.getByTestId('board-column');
  await expect(columns.locator('h2')).toHaveText(['Todo', 'Doing', 'Done']);
  const title = entity.fields[0].name;

  // Add three cards in Todo.
  for (const name of ['Launch the website', 'Write the docs', 'Plan the beta']) {
    await columns.nth(0).getByTestId('board-add').click();
    const form = columns.nth(0).getByTestId('view-form');
    await fillForm(form, { [title]: name });
    await form.getByTestId('view-save').click();
  }
  await expect(columns.nth(0).getByTestId('board-card')).toHaveCount(3);
  await expect(columns.nth(0).getByTestId('column-count')).toHaveText('3');

  // Drag one to Doing.
  const card = columns.nth(0).getByTestId('board-card').filter({ hasText: 'Launch the website' });
  await card.dragTo(columns.nth(1));
  await expect(columns.nth(1).getByTestId('board-card')).toHaveText([/Launch the website/]);
  await expect(columns.nth(0).getByTestId('column-count')).toHaveText('2');
  await expect(columns.nth(1).getByTestId('column-count')).toHaveText('1');

  // By keyboard: focus a card, arrow right twice; the focus follows it.
  await columns.nth(0).getByTestId('board-card').filter({ hasText: 'Write the docs' }).focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(columns.nth(2).getByTestId('board-card')).toHaveText([/Write the docs/]);
  await expect(page.locator(':focus')).toHaveAttribute('data-testid', 'board-card');
  await expect(page.locator(':focus')).toContainText('Write the docs');
  // And with the card's buttons.
  await columns.nth(2).getByTestId('board-card').getByTestId('move-left').click();
  await columns.nth(1).getByTestId('board-card').filter({ hasText: 'Write the docs' }).getByTestId('move-right').click();
  await expect(columns.nth(2).getByTestId('board-card')).toHaveText([/Write the docs/]);

  // The store is shared: the list page shows the moved card's new column.
  await page.getByTestId(`nav-${list.id}`).click();
  await expect(page.getByTestId('record').filter({ hasText: 'Launch the website' })).toContainText('Doing');
  await expect(page.getByTestId('record').filter({ hasText: 'Write the docs' })).toContainText('Done');
  await page.getByTestId(`nav-${view.id}`).click();
  await expect(columns.nth(1).getByTestId('board-card')).toHaveText([/Launch the website/]);

  await readmeShot(page, 'board');
  await fitsPhone(page, 'board');
  expect(warnings).toEqual([]);
});

test('calendar: add on a day, see ranges, move by keyboard, month and week', async ({ page, request, server, consoleErrors }) => {
  const prompt = 'a calendar for my team holidays';
  const { view, list, entity, warnings } = await openView(page, request, server.url, prompt, 'calendar');
  const cfg = view.view;
  const title = entity.fields[0].name;
  await expect(page.getByTestId('cal-day')).not.toHaveCount(0);

  // Add on the 15th.
  const day15 = await dayOfThisMonth(page, 15);
  const cell = page.locator(`[data-testid="cal-day"][data-day="${day15}"]`);
  await cell.click();
  await expect(page.getByTestId('cal-selected')).toContainText('15');
  const form = page.getByTestId('view-form');
  await fillForm(form, { [title]: 'Ana in Lisbon' });
  await form.getByTestId('view-save').click();
  await expect(cell.getByTestId('cal-item')).toHaveText(['Ana in Lisbon']);
  await expect(page.getByTestId('cal-record')).toContainText(['Ana in Lisbon']);

  // A holiday over several days, added on the list page, spans its days.
  if (cfg.end_field) {
    await page.getByTestId(`nav-${list.id}`).click();
    await page.getByTestId(`new-${entity.name}`).click();
    const full = page.getByTestId(`form-${entity.name}`);
    await fillForm(full, {
      [title]: 'Ben in Oslo',
      [cfg.date_field]: await dayOfThisMonth(page, 3),
      [cfg.end_field]: await dayOfThisMonth(page, 7),
    });
    await full.getByTestId('save').click();
    await expect(page.getByTestId('record')).toHaveCount(2);
    await page.getByTestId(`nav-${view.id}`).click();
    await expect(page.locator('[data-testid="cal-item"]', { hasText: 'Ben in Oslo' })).toHaveCount(5);
  }

  // Keyboard: arrows move the focus between days; Enter opens the day.
  await cell.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.locator(':focus')).toHaveAttribute('data-day', await dayOfThisMonth(page, 16));
  await page.keyboard.press('ArrowDown');
  await expect(page.locator(':focus')).toHaveAttribute('data-day', await dayOfThisMonth(page, 23));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('cal-selected')).toContainText('23');

  // The week view of the 15th shows the holiday; the next week does not.
  await page.locator(`[data-testid="cal-day"][data-day="${day15}"]`).click();
  await page.getByTestId('cal-week').click();
  await expect(page.getByTestId('cal-day')).toHaveCount(7);
  await expect(page.locator(`[data-day="${day15}"]`).getByTestId('cal-item')).toHaveText(['Ana in Lisbon']);
  await page.getByTestId('cal-next').click();
  await expect(page.locator(`[data-day="${day15}"]`)).toHaveCount(0);
  await page.getByTestId('cal-month').click();
  await page.getByTestId('cal-today').click();
  await expect(page.locator(`[data-day="${day15}"]`)).toHaveCount(1);

  await page.locator(`[data-testid="cal-day"][data-day="${day15}"]`).click();
  await readmeShot(page, 'calendar');
  await fitsPhone(page, 'calendar');
  expect(warnings).toEqual([]);
});

test('timer: a 3-second countdown runs to its end and logs a session', async ({ page, request, server, consoleErrors }) => {
  const prompt = 'a pomodoro timer with a log of completed focus sessions';
  const { view, list, warnings } = await openView(page, request, server.url, prompt, 'timer');
  expect(view.view.timer).toBe('countdown');
  await expect(page.getByTestId('timer-display')).toHaveText(`${String(view.view.minutes).padStart(2, '0')}:00`);
  await expect(page.getByTestId('timer-entry')).toHaveCount(0);

  await page.getByTestId('timer-label').fill('Deep work');
  await page.getByTestId('timer-minutes').fill('0');
  await page.getByTestId('timer-seconds').fill('3');
  await expect(page.getByTestId('timer-display')).toHaveText('00:03');
  await page.getByTestId('timer-start').click();
  await expect(page.getByTestId('timer-start')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('timer-display')).not.toHaveText('00:03');
  // It ends by itself and its record is in the log.
  await expect(page.getByTestId('timer-entry')).toHaveCount(1, { timeout: 10_000 });
  await expect(page.getByTestId('timer-entry')).toContainText(['Deep work']);
  await expect(page.getByTestId('timer-entry')).toContainText(['00:03']);
  await expect(page.getByTestId('timer-display')).toHaveText('00:03');
  await expect(page.getByTestId('timer-start')).toHaveAttribute('aria-pressed', 'false');

  // Pause, resume, finish early: a second record.
  await page.getByTestId('timer-start').click();
  await page.getByTestId('timer-start').click();
  await expect(page.getByTestId('timer-start')).toContainText('Resume');
  await page.getByTestId('timer-finish').click();
  await expect(page.getByTestId('timer-entry')).toHaveCount(1);
  await page.getByTestId('timer-start').click();
  await page.waitForTimeout(1200);
  await page.getByTestId('timer-finish').click();
  await expect(page.getByTestId('timer-entry')).toHaveCount(2);

  await page.getByTestId(`nav-${list.id}`).click();
  await expect(page.getByTestId('record')).toHaveCount(2);
  await page.getByTestId(`nav-${view.id}`).click();
  await fitsPhone(page, 'timer');
  expect(warnings).toEqual([]);
});

test('study: a quiz round is scored and the missed question comes back', async ({ page, request, server, consoleErrors }) => {
  const prompt = 'a quiz game about world capitals';
  const { view, warnings } = await openView(page, request, server.url, prompt, 'study');
  const cfg = view.view;
  expect(cfg.study).toBe('quiz');
  const cards: [string, string][] = [
    ['Capital of France?', 'Paris'],
    ['Capital of Peru?', 'Lima'],
    ['Capital of Japan?', 'Tokyo'],
  ];
  for (const [q, a] of cards) {
    if (!(await page.getByTestId('view-form').count())) await page.getByTestId('study-add').click();
    const form = page.getByTestId('view-form');
    await fillForm(form, { [cfg.front_field]: q, [cfg.back_field]: a });
    await form.getByTestId('view-save').click();
  }
  await page.getByTestId('study-start').click();
  let missed = '';
  for (let i = 0; i < cards.length; i++) {
    await expect(page.getByTestId('study-progress')).toContainText(`${i + 1} of 3`);
    const question = (await page.getByTestId('study-front').textContent())!.trim();
    const answer = cards.find(([q]) => q === question)![1];
    await expect(page.getByTestId('study-choice')).toHaveCount(3);
    if (i === 1) {
      missed = question;
      await page.getByTestId('study-choice').filter({ hasNotText: answer }).first().click();
      await expect(page.getByRole('status').filter({ hasText: 'Not quite' })).toContainText(answer);
    } else {
      await page.getByTestId('study-choice').filter({ hasText: answer }).click();
    }
    await page.getByTestId('study-next').click();
  }
  await expect(page.getByTestId('study-score')).toContainText('2 of 3');
  await page.getByTestId('study-repeat').click();
  await expect(page.getByTestId('study-progress')).toContainText('1 of 1');
  await expect(page.getByTestId('study-front')).toHaveText(missed);
  await fitsPhone(page, 'study');
  expect(warnings).toEqual([]);
});

test('chart: points follow the records and the range', async ({ page, request, server, consoleErrors }) => {
  const prompt = 'track my weight over time with a chart';
  const { view, list, warnings } = await openView(page, request, server.url, prompt, 'chart');
  const cfg = view.view;
  const points = page.getByTestId('chart-point');
  await expect(points).toHaveCount(0);
  const today = await page.evaluate(() => new Date().toISOString().slice(0, 10));
  const old = await page.evaluate(() => new Date(Date.now() - 200 * 86400000).toISOString().slice(0, 10));
  const form = page.getByTestId('view-form');
  for (const [value, date] of [['72.5', old], ['71.8', today]]) {
    await fillForm(form, { [cfg.value_field]: value, [cfg.date_field]: date });
    await form.getByTestId('view-save').click();
  }
  await expect(points).toHaveCount(2);
  // A record added on the list page shows on the chart too.
  await page.getByTestId(`nav-${list.id}`).click();
  await expect(page.getByTestId('record')).toHaveCount(2);
  await page.getByTestId(`nav-${view.id}`).click();
  await fillForm(form, { [cfg.value_field]: '71.2', [cfg.date_field]: today });
  await form.getByTestId('view-save').click();
  await expect(points).toHaveCount(cfg.chart === 'bar' ? 2 : 3);
  // The last 30 days leave out the reading from 200 days ago.
  await page.locator('[data-testid="chart-range"][data-range="30"]').click();
  await expect(points).toHaveCount(cfg.chart === 'bar' ? 1 : 2);
  await page.locator('[data-testid="chart-range"][data-range="all"]').click();
  await expect(points).toHaveCount(cfg.chart === 'bar' ? 2 : 3);
  await fitsPhone(page, 'chart');
  expect(warnings).toEqual([]);
});

test('checklist: add, reorder, tick and clear what is done', async ({ page, request, server, consoleErrors }) => {
  const prompt = 'a shopping list I can tick off at the store';
  const { view, list, entity, warnings } = await openView(page, request, server.url, prompt, 'checklist');
  const title = entity.fields[0].name;
  const items = page.getByTestId('checklist-item');
  for (const item of ['Milk', 'Bread', 'Apples']) {
    const form = page.getByTestId('view-form');
    await fillForm(form, { [title]: item });
    await form.getByTestId('view-save').click();
    await expect(items.last()).toContainText(item);
  }
  await expect(items).toHaveCount(3);
  // Reorder: Apples up by button, Milk down by keyboard.
  await items.nth(2).getByTestId('move-up').click();
  await expect(items).toContainText(['Milk', 'Apples', 'Bread']);
  await items.nth(0).getByTestId('checklist-toggle').focus();
  await page.keyboard.press('Alt+ArrowDown');
  await expect(items).toContainText(['Apples', 'Milk', 'Bread']);
  // Tick two, clear them.
  await items.filter({ hasText: 'Milk' }).getByTestId('checklist-toggle').check();
  await items.filter({ hasText: 'Bread' }).getByTestId('checklist-toggle').check();
  await expect(page.getByTestId('checklist-clear')).toContainText('(2)');
  await page.getByTestId('checklist-clear').click();
  await expect(items).toHaveCount(1);
  await expect(items).toContainText(['Apples']);
  await page.getByTestId(`nav-${list.id}`).click();
  await expect(page.getByTestId('record')).toHaveCount(1);
  await page.getByTestId(`nav-${view.id}`).click();
  await fitsPhone(page, 'checklist');
  expect(warnings).toEqual([]);
});

test('views from German, French and Spanish prompts', async ({ page, request, server, consoleErrors }) => {
  const board = await openView(page, request, server.url,
    'Ein Kanban-Board für meine Projekte mit den Spalten Offen, In Arbeit und Erledigt', 'board');
  await expect(page.getByTestId('board-column').locator('h2')).toHaveText(['Offen', 'In Arbeit', 'Erledigt']);
  await fitsPhone(page, 'board-de');
  for (const [prompt, kind] of [
    ['un calendrier des congés de l\'équipe', 'calendar'],
    ['una lista de la compra para el supermercado', 'checklist'],
  ]) {
    const v = await openView(page, request, server.url, prompt, kind);
    await fitsPhone(page, `${kind}-${v.view.id}`);
    expect(v.warnings).toEqual([]);
  }
  expect(board.warnings).toEqual([]);
});
