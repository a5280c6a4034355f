// The API's machine-readable description: valid OpenAPI 3.1 by an independent validator,
// true to the server (its examples are checked against live answers), and browsable from
// the dashboard's footer.
import { Validator } from '@seriousme/openapi-schema-validator';
import { test, expect, startBuild, waitBuild } from './fixtures';

test('the OpenAPI document is valid 3.1 and describes what the server answers', async ({ request, server }) => {
  const res = await request.get('/api/openapi.json');
  expect(res.status()).toBe(200);
  const doc = await res.json();
  const validator = new Validator();
  const result = await validator.validate(doc);
  expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe('3.1');

  // A real build's answer has every property the document marks as required, and nothing
  // the document does not know.
  const id = await startBuild(request, server.url, 'a reading list with books and authors');
  const build = await waitBuild(request, server.url, id);
  const op = doc.paths['/api/nexus-forge/build/{id}'].get;
  const ref: string = op.responses['200'].content['application/json'].schema.$ref;
  const schema = doc.components.schemas[ref.split('/').pop()!];
  for (const key of schema.required ?? []) expect(build, `required ${key}`).toHaveProperty(key);
  for (const key of Object.keys(build)) expect(Object.keys(schema.properties), `undocumented ${key}`).toContain(key);
});

test('the footer leads to the API reference', async ({ page, consoleErrors }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'API reference' }).click();
  await expect(page.getByRole('heading', { name: 'Nexus Forge API' })).toBeVisible();
  const start = page.locator('details#post_api_nexus_forge_build');
  await start.locator('summary').click();
  await expect(start.getByText('Body:')).toBeVisible();
  await start.getByRole('link', { name: 'StartBuildRequest' }).click();
  await expect(page.locator('#schema-StartBuildRequest')).toBeAttached();
  expect(consoleErrors).toEqual([]);
});
