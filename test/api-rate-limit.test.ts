import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../src/app.ts';
import { validateConfig } from '../src/config/load.ts';
import { createManualClock } from '../src/lib/clock.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import { createUsageMeter } from '../src/http/usage-meter.ts';
import { usageCount } from '../src/store/usage.ts';
import { issueApiKey } from '../src/store/keys.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKey } from './helpers/keys.ts';
import { loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';
import { tempDir } from './helpers/temp.ts';

const clock = createManualClock(Date.parse('2026-11-26T12:00:00Z'));
let t: TestApp;
let api: OpenApiChecker;

before(async () => {
  t = await startTestApp({ api: { rate_limit_per_minute: 5, monthly_quota: 1000 } }, { clock });
  api = await loadOpenApi(t.url);
});
after(() => t.stop());

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

test('the N+1th request in a minute gets 429 with the right Retry-After; headers count down', async () => {
  const key = await createTestKey(t, { rateLimit: null, monthlyQuota: null }); // config defaults: 5/min
  for (let i = 1; i <= 5; i++) {
    const res = await api.fetch('/v1/usage', { headers: bearer(key) });
    assert.equal(res.status, 200, `request ${i}`);
    assert.equal(res.headers.get('x-ratelimit-limit'), '5');
    assert.equal(res.headers.get('x-ratelimit-remaining'), String(5 - i));
    assert.equal(res.headers.get('x-ratelimit-reset'), String(Math.ceil((clock.now() + i * 12_000) / 1000)));
    assert.equal(res.headers.get('ratelimit-policy'), '"minute";q=5;w=60, "month";q=1000;w=2592000');
    assert.match(res.headers.get('ratelimit') ?? '', new RegExp(`^"minute";r=${5 - i};t=${i * 12}, "month";r=${1000 - i};t=\\d+$`));
    assert.equal(res.body.rate_limit.remaining, 5 - i);
    assert.equal(res.body.quota.used, i);
  }
  const refused = await api.fetch('/v1/usage', { headers: bearer(key) });
  assert.equal(refused.status, 429);
  assert.equal(refused.body.error, 'rate_limit_exceeded');
  assert.equal(refused.headers.get('retry-after'), '12'); // one request is earned every 60 s / 5
  assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
  clock.advance(11_999);
  assert.equal((await api.fetch('/v1/usage', { headers: bearer(key) })).status, 429);
  clock.advance(1);
  const again = await api.fetch('/v1/usage', { headers: bearer(key) });
  assert.equal(again.status, 200, 'allowed exactly when Retry-After said');
  assert.equal(again.body.quota.used, 6, 'refused requests do not count against the quota');
});

test('requests spread evenly at the limit are never refused', async () => {
  const key = await createTestKey(t, { rateLimit: 5 });
  for (let i = 0; i < 30; i++) {
    const res = await api.fetch('/v1/usage', { headers: bearer(key) });
    assert.equal(res.status, 200, `request ${i + 1}`);
    clock.advance(12_000);
  }
});

test('every authenticated answer carries the rate-limit headers, errors included', async () => {
  const key = await createTestKey(t, { scopes: ['read'] });
  for (const [path, status] of [['/v1/usage', 200], ['/v1/usage?x=1', 400], ['/v1/keys', 403]] as const) {
    const res = await api.fetch(path, { headers: bearer(key) });
    assert.equal(res.status, status);
    for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'ratelimit-policy', 'ratelimit']) assert.ok(res.headers.get(h), `${path}: ${h}`);
  }
});

test('a used-up monthly quota answers 429 quota_exceeded until the month ends', async () => {
  const key = await createTestKey(t, { monthlyQuota: 3 });
  for (let i = 0; i < 3; i++) assert.equal((await api.fetch('/v1/usage', { headers: bearer(key) })).status, 200);
  const res = await api.fetch('/v1/usage', { headers: bearer(key) });
  assert.equal(res.status, 429);
  assert.equal(res.body.error, 'quota_exceeded');
  const monthEnd = Date.parse('2026-12-01T00:00:00Z');
  assert.equal(res.headers.get('retry-after'), String(Math.ceil((monthEnd - clock.now()) / 1000)));
  assert.equal(res.headers.get('x-ratelimit-reset'), String(monthEnd / 1000));
  assert.equal(res.headers.get('x-ratelimit-limit'), '3');
  assert.match(res.body.message, /2026-12-01T00:00:00.000Z/);
});

test('a used-up quota persists across a restart, and a new month starts fresh', async () => {
  const dir = tempDir();
  const own = createManualClock(Date.parse('2026-11-30T23:00:00Z'));
  const config = validateConfig({ server: { port: 0 }, storage: { path: dir.file('cappulse.db') } }, 'test', {});
  const boot = async () => {
    const app = await createApp(config, { clock: own, logger: createMemoryLogger() });
    await app.start();
    return app;
  };
  try {
    let app = await boot();
    let checked = await loadOpenApi(app.url());
    const { key } = await issueApiKey(app.db.kysely, { name: 'q', scopes: ['read'], monthlyQuota: 3 }, own.now());
    for (let i = 0; i < 3; i++) assert.equal((await checked.fetch('/v1/usage', { headers: bearer(key) })).status, 200);
    await app.stop();

    app = await boot();
    checked = await loadOpenApi(app.url());
    let res = await checked.fetch('/v1/usage', { headers: bearer(key) });
    assert.equal(res.status, 429, 'the quota was still used up after the restart');
    assert.equal(res.body.error, 'quota_exceeded');

    own.set(Date.parse('2026-12-01T00:00:00Z'));
    res = await checked.fetch('/v1/usage', { headers: bearer(key) });
    assert.equal(res.status, 200);
    assert.equal(res.body.quota.used, 1);
    assert.equal(res.body.quota.period_start, '2026-12-01T00:00:00.000Z');
    await app.stop();
  } finally {
    dir.remove();
  }
});

test('usage counts flush in batches: what a crash can lose is bounded by maxPending', async () => {
  const { record } = await issueApiKey(t.app.db.kysely, { name: 'meter', scopes: ['read'] }, clock.now());
  const meter = createUsageMeter({ db: t.app.db, logger: createMemoryLogger(), maxPending: 5 });
  assert.equal(await meter.load(record.id, 0), 0);
  for (let i = 0; i < 4; i++) meter.count(record.id, 0, clock.now());
  assert.equal(meter.peek(record.id, 0), 4);
  assert.equal(await usageCount(t.app.db.kysely, record.id, 0), 0, 'below maxPending nothing is written yet');
  meter.count(record.id, 0, clock.now());
  await meter.flush(); // waits for the flush the fifth count started
  assert.equal(await usageCount(t.app.db.kysely, record.id, 0), 5);
  meter.count(record.id, 0, clock.now());
  await meter.stop();
  assert.equal(await usageCount(t.app.db.kysely, record.id, 0), 6, 'stop writes what is pending');
});

test('a key created through the API has its own limits, and GET /v1/usage reports them by value', async () => {
  const admin = await createTestKey(t, { name: 'admin', scopes: ['admin'] });
  const created = await api.fetch('/v1/keys', {
    method: 'POST',
    headers: { ...bearer(admin), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'grafana', scopes: ['read'], rate_limit: 6, monthly_quota: 50, expires_in: '1h' }),
  });
  assert.equal(created.status, 201);
  const { key, id, prefix } = created.body;
  assert.equal(created.body.expires_at, new Date(clock.now() + 3_600_000).toISOString());

  const res = await api.fetch('/v1/usage', { headers: bearer(key) });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, {
    key: { id, name: 'grafana', prefix, scopes: ['read'] },
    // 6 a minute: one request is earned back every 10 s, so the full limit is back 10 s from now.
    rate_limit: { limit: 6, remaining: 5, reset_at: new Date(clock.now() + 10_000).toISOString(), reset_seconds: 10 },
    quota: { limit: 50, used: 1, remaining: 49, period_start: '2026-11-01T00:00:00.000Z', period_end: '2026-12-01T00:00:00.000Z' },
  });
  assert.equal(res.headers.get('x-ratelimit-limit'), '6');
  assert.equal(res.headers.get('ratelimit-policy'), '"minute";q=6;w=60, "month";q=50;w=2592000');

  clock.advance(3_600_000);
  const expired = await api.fetch('/v1/usage', { headers: bearer(key) });
  assert.equal(expired.status, 401, 'expires_in set through the API takes effect');
  assert.match(expired.body.message, /expired at/);
});

test('404 and 405 answers under /v1 carry the rate-limit headers and spend the same budget as any request', async () => {
  const key = await createTestKey(t, { rateLimit: 5, monthlyQuota: 1000 });
  const answers = [
    await api.fetch('/v1/nothing-here', { headers: bearer(key) }),
    await api.fetch('/v1/usage', { method: 'DELETE', headers: bearer(key) }),
    await api.fetch('/v1/usage', { headers: bearer(key) }),
  ];
  assert.deepEqual(answers.map((res) => res.status), [404, 405, 200]);
  assert.deepEqual(answers.map((res) => res.headers.get('x-ratelimit-remaining')), ['4', '3', '2'], 'the key is limited on every /v1 answer');
  assert.equal(answers[2]!.body.quota.used, 3, 'and each of them counted');
  assert.equal(answers[1]!.headers.get('allow'), 'GET, HEAD');
  // A read key learns that a path is missing rather than that it lacks a scope.
  assert.equal((await api.fetch('/v1/nothing-here', { method: 'POST', headers: bearer(key) })).status, 404);
  assert.equal((await api.fetch('/v1/nothing-here', { headers: bearer(key) })).status, 404);
  const spent = await api.fetch('/v1/nothing-here', { headers: bearer(key) });
  assert.equal(spent.status, 429);
  assert.equal(spent.body.error, 'rate_limit_exceeded');
  assert.equal(spent.headers.get('retry-after'), '12');

  // Without a key, the client address's budget, as for a 401.
  const anonymous = await api.fetch('/v1/nothing-here');
  assert.equal(anonymous.status, 404);
  assert.ok(anonymous.headers.get('x-ratelimit-limit'));
  assert.equal(anonymous.headers.get('ratelimit-policy'), `"minute";q=${anonymous.headers.get('x-ratelimit-limit')};w=60`);
});

test('last_used_at is the time of the key\'s last accepted request, shown as of now by GET /v1/keys', async () => {
  const admin = await createTestKey(t, { name: 'lister', scopes: ['admin'] });
  const used = await createTestKey(t, { name: 'used-once' });
  await createTestKey(t, { name: 'never-used' });
  const usedAt = clock.now();
  assert.equal((await api.fetch('/v1/usage', { headers: bearer(used) })).status, 200);
  clock.advance(5_000);
  const list = await api.fetch('/v1/keys?limit=100', { headers: bearer(admin) });
  assert.equal(list.status, 200);
  const byName = new Map<string, { last_used_at: string | null }>(list.body.data.map((key: { name: string; last_used_at: string | null }) => [key.name, key]));
  assert.equal(byName.get('used-once')?.last_used_at, new Date(usedAt).toISOString());
  assert.equal(byName.get('never-used')?.last_used_at, null);
  assert.equal(byName.get('lister')?.last_used_at, new Date(clock.now()).toISOString(), 'the listing request itself counts');
});
