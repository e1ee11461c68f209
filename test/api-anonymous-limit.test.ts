import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createManualClock } from '../src/lib/clock.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKey } from './helpers/keys.ts';
import { loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';

// Requests without a valid key are limited per client address (every test here comes from 127.0.0.1).
const clock = createManualClock(Date.parse('2026-11-26T12:00:00Z'));
const LIMIT = 4;
let t: TestApp;
let api: OpenApiChecker;

before(async () => {
  t = await startTestApp({ api: { rate_limit_per_minute: 100, monthly_quota: 1000, anonymous_rate_limit_per_minute: LIMIT } }, { clock });
  api = await loadOpenApi(t.url); // spends one of the address's requests
});
after(() => t.stop());

const WRONG_KEY = { authorization: 'Bearer cp_live_000000000000000000000000000000000000000000' };

test('without a valid key the address is limited: the OpenAPI document and 401s carry its headers, then a 401 becomes a 429', async () => {
  const doc = await api.fetch('/v1/openapi.json');
  assert.equal(doc.status, 200);
  assert.equal(doc.headers.get('x-ratelimit-limit'), String(LIMIT));
  assert.equal(doc.headers.get('x-ratelimit-remaining'), String(LIMIT - 2));
  assert.equal(doc.headers.get('ratelimit-policy'), `"minute";q=${LIMIT};w=60`);
  assert.match(doc.headers.get('ratelimit') ?? '', new RegExp(`^"minute";r=${LIMIT - 2};t=\\d+$`));

  const missing = await api.fetch('/v1/providers');
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get('x-ratelimit-remaining'), String(LIMIT - 3));
  const wrong = await api.fetch('/v1/providers', { headers: WRONG_KEY });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get('x-ratelimit-remaining'), '0');

  const refused = await api.fetch('/v1/providers', { headers: WRONG_KEY });
  assert.equal(refused.status, 429);
  assert.equal(refused.body.error, 'rate_limit_exceeded');
  assert.match(refused.body.message, /without a valid API key from this address are limited to 4 per minute/);
  // One request is earned back every 60 s / LIMIT.
  assert.equal(refused.headers.get('retry-after'), String(60 / LIMIT));
  assert.equal((await api.fetch('/v1/openapi.json')).status, 429, 'the document shares the budget');
  // The address is the connection's peer: a client cannot pick a fresh one with X-Forwarded-For.
  assert.equal((await api.fetch('/v1/providers', { headers: { ...WRONG_KEY, 'x-forwarded-for': '203.0.113.9' } })).status, 429);

  // A valid key is limited on its own, not by the address.
  const key = await createTestKey(t, { rateLimit: null, monthlyQuota: null });
  const ok = await api.fetch('/v1/providers', { headers: { authorization: `Bearer ${key}` } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('x-ratelimit-limit'), '100');

  clock.advance(60_000 / LIMIT);
  const again = await api.fetch('/v1/providers', { headers: WRONG_KEY });
  assert.equal(again.status, 401, 'after one interval a request is allowed again (and answered 401)');
  assert.equal(again.headers.get('x-ratelimit-remaining'), '0');
});
