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
