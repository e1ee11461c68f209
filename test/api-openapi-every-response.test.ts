import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';

/**
 * The suite's preload (test/helpers/check-api-responses.mjs, in package.json's `test` script)
 * checks every CapPulse /v1 answer any test fetches against the OpenAPI document. Shown here with
 * a server that answers like CapPulse but not as documented, and one that answers like a fake
 * provider: the first must fail the fetch, the second must pass untouched.
 */
let url = '';
const server = http.createServer((req, res) => {
  const id = req.url === '/v1/usage' ? 'req_0123456789abcdef' : 'req_fake_openai';
  res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': id });
  res.end('{"unexpected":true}');
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test('the test suite checks every CapPulse answer against the OpenAPI document', async () => {
  assert.equal(globalThis.fetch.name, 'checkedFetch', 'run through `npm test`: its script preloads test/helpers/check-api-responses.mjs');
  await assert.rejects(fetch(`${url}/v1/usage`), /GET \/v1\/usage → 200 does not match the OpenAPI document[\s\S]*getUsage 200 body differs/);
});

test('answers of fake providers, which serve /v1 paths too, are left alone', async () => {
  const res = await fetch(`${url}/v1/models`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { unexpected: true });
});

test('the document the preload checks against is the one the server serves', async () => {
  const { startTestApp } = await import('./helpers/app.ts');
  const { API_ROUTES } = await import('../src/http/app.ts');
  const { openApiRoute } = await import('../src/http/routes/openapi.ts');
  const { VERSION } = await import('../src/version.ts');
  // @ts-expect-error: plain JavaScript without declarations, as the preload must be.
  const { servedDocument } = await import('./helpers/check-api-responses.mjs');
  const t = await startTestApp({});
  try {
    const res = await fetch(`${t.url}/v1/openapi.json`);
    assert.equal(res.status, 200);
    const served = (await res.json()) as { paths: Record<string, unknown> };
    assert.ok(Object.keys(served.paths).length > 10);
    assert.deepEqual(served, servedDocument(API_ROUTES, openApiRoute, VERSION));
  } finally {
    await t.stop();
  }
});
