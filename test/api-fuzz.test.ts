import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { API_ROUTES } from '../src/http/app.ts';
import { generateApiKey } from '../src/lib/api-key.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKeys, type TestKeys } from './helpers/keys.ts';
import { loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';

/**
 * Thousands of random requests against the running server: random methods, paths (real route
 * shapes with random parameters, and nonsense under /v1), query strings, Authorization headers
 * and bodies. Every answer must be below 500, carry a request id, have the documented error shape
 * and match the OpenAPI document; the server must still answer afterwards.
 */
const RUNS = 2000;
const BATCH = 10;
let t: TestApp;
let keys: TestKeys;
let api: OpenApiChecker;

before(async () => {
  t = await startTestApp({ server: { max_body_bytes: 2048 } });
  keys = await createTestKeys(t);
  api = await loadOpenApi(t.url);
});
after(() => t.stop());

const segment = fc.oneof(
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.constantFrom('key_x', 'inc_1', '0', '-1', '%2E%2E', '%00', '%E0%A4%A', 'null', 'a'.repeat(300), '%2F', 'evt_abc'),
);
const routePath = fc.tuple(fc.constantFrom(...API_ROUTES.map((r) => r.path), '/v1/openapi.json'), fc.array(segment, { minLength: 3, maxLength: 3 })).map(([path, values]) => {
  let i = 0;
  return path.replace(/:\w+/g, () => values[i++ % values.length]!);
});
const nonsensePath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/v1/${parts.join('/')}`);
const queryString = fc
  .array(fc.tuple(fc.constantFrom('limit', 'cursor', 'window', 'status', 'provider', 'model', 'x', '', 'limit[]'), fc.oneof(fc.string({ maxLength: 10 }), fc.integer({ min: -5, max: 200 }).map(String))), { maxLength: 3 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`));
const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constant('read'),
  fc.constant('admin'),
  fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
  fc.constant(`Bearer ${generateApiKey().key}`),
  fc.constantFrom('Bearer', 'Basic abc', 'bearer  cp_live_', `Bearer cp_live_${'A'.repeat(38)}`),
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.record({ name: fc.string({ maxLength: 20 }), scopes: fc.array(fc.constantFrom('read', 'admin', 'root'), { maxLength: 2 }) }).map((v) => JSON.stringify(v)),
  fc.constant('x'.repeat(5000)),
);
const request = fc.record({
  method: fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
  path: fc.oneof(routePath, routePath, nonsensePath),
  query: queryString,
  authorization,
  contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
  body,
});

/** Sends one random request and returns what differs from the contract (empty when it conforms). */
async function probe(r: typeof request extends fc.Arbitrary<infer T> ? T : never): Promise<string[]> {
  const headers: Record<string, string> = {};
  if (r.authorization === 'read' || r.authorization === 'admin') headers.authorization = keys.auth(r.authorization).authorization!;
  else if (r.authorization !== undefined) headers.authorization = r.authorization;
  if (r.contentType) headers['content-type'] = r.contentType;
  const withBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
  const path = r.path + r.query;
  const res = await fetch(new URL(path, t.url), { method: r.method, headers, ...(withBody ? { body: r.body } : {}) });
  const text = await res.text();
  const problems = api.problems(r.method, path, { status: res.status, headers: res.headers, text });
  if (/\.ts:\d+|node_modules|SQLITE|select .* from/i.test(text)) problems.push(`internal detail leaked: ${text.slice(0, 200)}`);
  return problems.map((p) => `${r.method} ${path} auth=${r.authorization} body=${String(r.body).slice(0, 60)} → ${res.status}: ${p}`);
}

test('thousands of random requests never get a 5xx or an answer that differs from the document', async () => {
  let requests = 0;
  // Batches of concurrent requests: the fuzz stays within seconds and also exercises interleaving.
  const outcome = await fc.check(
    fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const found = (await Promise.all(batch.map(probe))).flat();
      requests += batch.length;
      assert.deepEqual(found, []);
    }),
    { numRuns: RUNS / BATCH },
  );
  assert.ok(!outcome.failed, `${fc.defaultReportMessage(outcome)}\n${String((outcome.errorInstance as Error | undefined)?.message ?? '')}`);
  assert.equal(requests, RUNS);
  const health = await fetch(`${t.url}/healthz`);
  assert.equal(health.status, 200, 'the server is still up');
  assert.ok(api.checked.size >= 5, `responses matched few operations: ${[...api.checked.keys()].join(', ')}`);
});
