// A model that writes an entity module which passes every static check but saves nothing:
// the browser check sends it back to the model with its report, then replaces it with the
// offline module, the build page shows each round, and the app works.
import http from 'node:http';
import { test, expect, waitLive, waitBuild } from './fixtures';

// A fake OpenAI-compatible model: every entity module it writes refuses every record (its
// `validate` says the first field is never valid); anything else it answers with prose,
// which the pipeline rejects and writes offline instead.
const FAKE_PORT = 20000 + (process.pid % 20000);
function brokenModule(entity: any): string {
  const fields = entity.fields.map((f: any) => {
    const o: any = { name: f.name, label: f.label, kind: f.kind, required: !!f.required };
    if (f.options) o.options = f.options;
    if (f.entity) o.entity = f.entity;
    return JSON.stringify(o);
  });
  return [
    '(function () {',
    '  "use strict";',
    '  NexusApp.registerEntity({',
    `    name: ${JSON.stringify(entity.name)},`,
    `    label: ${JSON.stringify(entity.label)},`,
    `    plural: ${JSON.stringify(entity.plural)},`,
    `    fields: [${fields.join(', ')}],`,
    '    validate: function (v) {',
    `      var errors = {}; errors[${JSON.stringify(entity.fields[0].name)}] = "Never valid (broken on purpose).";`,
    '      return errors;',
    '    }',
    '  });',
    '})();',
  ].join('\n');
}
const fake = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    const messages: any[] = JSON.parse(body).messages ?? [];
    const system = String(messages[0]?.content ?? '');
    let answer = 'I would rather talk about the weather.';
    const asked = messages.map((m) => String(m.content)).find((c) => c.includes('The entity:\n'));
    if (system.includes('entity module') && asked) {
      const line = asked.split('The entity:\n')[1].split('\n')[0];
      answer = brokenModule(JSON.parse(line));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id: 'chatcmpl-fake', object: 'chat.completion', model: 'fake',
      choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
    }));
  });
});
fake.on('error', () => {});
fake.listen(FAKE_PORT, '127.0.0.1');
test.afterAll(() => { fake.close(); });

test.use({ serverEnv: { NF_LLM_PROVIDER: 'openai', OPENAI_BASE_URL: `http://127.0.0.1:${FAKE_PORT}/v1`, NF_LLM_MAX_RETRIES: '0' } });

test('the check sends it back to the model, then to the offline generator, and the app works', async ({ page, request, server }) => {
  test.setTimeout(180_000);
  const res = await request.post(`${server.url}/api/nexus-forge/build`, {
    data: { prompt: 'a reading list with books', config: { provider: 'openai', max_model_failures: 1000 } },
  });
  expect(res.status()).toBe(202);
  const id = (await res.json()).build_id;
  const b = await waitBuild(request, server.url, id, 150_000);
  expect(b.status, b.error ?? '').toBe('completed');
  const v = b.verify;
  expect(v.outcome, JSON.stringify(v)).toBe('passed');
  expect(v.rounds).toHaveLength(3);
  expect(v.rounds[0].passed).toBe(false);
  expect(v.rounds[0].problems.some((p: any) => p.kind === 'flow' && p.message.includes('Never valid'))).toBe(true);
  // Every entity module went back to the model once, then was replaced by the offline one.
  const modules = b.spec.entities.length;
  expect(v.rounds[0].repairs.map((r: any) => r.via)).toEqual(Array(modules).fill('model'));
  expect(v.rounds[1].repairs.map((r: any) => r.via)).toEqual(Array(modules).fill('offline'));
  expect(v.rounds[2].passed).toBe(true);

  // The build page shows each round and what was sent back.
  await page.goto(`/builds/${id}`);
  await waitLive(page);
  await expect(page.locator('#verify-outcome')).toHaveAttribute('data-outcome', 'passed');
  await expect(page.locator('#verify-rounds > li')).toHaveCount(3);
  await expect(page.locator('#verify-rounds > li[data-round="1"]')).toContainText('Never valid');
  await expect(page.locator('#verify-rounds li[data-via="model"]')).toHaveCount(modules);
  await expect(page.locator('#verify-rounds li[data-via="offline"]')).toHaveCount(modules);

  // The app saves a book now (its required fields filled, as a person would).
  const app = await page.context().newPage();
  await app.goto(`${server.url}${b.preview_url}`);
  const list = b.spec.pages.find((p: any) => p.kind === 'list' && p.entity === 'book');
  await app.getByTestId(`nav-${list.id}`).click();
  await app.getByTestId('new-book').click();
  const form = app.getByTestId('form-book');
  for (const f of b.spec.entities.find((e: any) => e.name === 'book').fields) {
    if (!f.required) continue;
    const box = form.locator(`[data-field="${f.name}"]`);
    if (f.kind === 'select' || f.kind === 'reference') await box.locator('select').selectOption({ index: 1 });
    else if (f.kind === 'rating') await box.locator('label[for$="-4"]').click();
    else if (f.kind === 'boolean') await box.locator('input').check();
    else await box.locator(`[name="${f.name}"]`).fill({ number: '3', date: '2024-05-01', email: 'a@example.com', url: 'example.com' }[f.kind as string] ?? 'Dune');
  }
  await form.getByTestId('save').click();
  await expect(app.getByTestId('record')).toHaveCount(1);
  await expect(app.getByTestId('record').first()).toContainText('Dune');
});
