import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { after, before, mock, test } from 'node:test';
import { createManualClock } from '../src/lib/clock.ts';
import { hashApiKey } from '../src/lib/api-key.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKey, createTestKeys, type TestKeys } from './helpers/keys.ts';
import { loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';

const clock = createManualClock(Date.parse('2026-11-26T12:00:00Z'));
let t: TestApp;
let keys: TestKeys;
let api: OpenApiChecker;

before(async () => {
  t = await startTestApp({}, { clock });
  keys = await createTestKeys(t);
  api = await loadOpenApi(t.url);
});
after(() => t.stop());

const bearer = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

test('401 and 403, scenario by scenario, each with the documented error body', async () => {
  const revoked = await createTestKey(t, { name: 'revoked' });
  const expired = await createTestKey(t, { name: 'expired', expiresAt: clock.now() - 1 });
  const revokedId = (await api.fetch('/v1/keys?limit=100', { headers: keys.auth('admin') })).body.data.find((k: { name: string }) => k.name === 'revoked').id;
  await api.fetch(`/v1/keys/${revokedId}`, { method: 'DELETE', headers: keys.auth('admin') });
  const unknown = (await import('../src/lib/api-key.ts')).generateApiKey().key;
  const scenarios: Array<{ name: string; path: string; method?: string; headers: Record<string, string>; body?: string; status: number; error?: string; message?: RegExp }> = [
    { name: 'no header', path: '/v1/usage', headers: {}, status: 401, error: 'unauthorized', message: /missing Authorization/ },
    { name: 'empty header', path: '/v1/usage', headers: { authorization: '' }, status: 401, error: 'unauthorized', message: /missing/ },
    { name: 'basic scheme', path: '/v1/usage', headers: { authorization: 'Basic dXNlcjpwYXNz' }, status: 401, error: 'unauthorized', message: /malformed Authorization/ },
    { name: 'bearer without token', path: '/v1/usage', headers: { authorization: 'Bearer' }, status: 401, error: 'unauthorized', message: /malformed Authorization/ },
    { name: 'not a cappulse key', path: '/v1/usage', headers: bearer('sk-abc123'), status: 401, error: 'unauthorized', message: /malformed API key/ },
    { name: 'bad checksum', path: '/v1/usage', headers: bearer(`${keys.read.slice(0, -1)}${keys.read.endsWith('a') ? 'b' : 'a'}`), status: 401, error: 'unauthorized', message: /malformed API key/ },
    { name: 'unknown key', path: '/v1/usage', headers: bearer(unknown), status: 401, error: 'unauthorized', message: /unknown API key/ },
    { name: 'revoked key', path: '/v1/usage', headers: bearer(revoked), status: 401, error: 'unauthorized', message: /revoked/ },
    { name: 'expired key', path: '/v1/usage', headers: bearer(expired), status: 401, error: 'unauthorized', message: /expired/ },
    { name: 'read key on an admin read', path: '/v1/keys', headers: keys.auth('read'), status: 403, error: 'forbidden', message: /"admin" scope/ },
    { name: 'read key on a write', path: '/v1/keys', method: 'POST', headers: keys.auth('read'), body: '{"name":"x"}', status: 403, error: 'forbidden' },
    { name: 'read key on a revoke', path: `/v1/keys/${revokedId}`, method: 'DELETE', headers: keys.auth('read'), status: 403, error: 'forbidden' },
    { name: 'lower-case scheme is accepted', path: '/v1/usage', headers: { authorization: `bearer ${keys.read}` }, status: 200 },
    { name: 'read key reads', path: '/v1/usage', headers: keys.auth('read'), status: 200 },
    { name: 'admin key reads too', path: '/v1/usage', headers: keys.auth('admin'), status: 200 },
    { name: 'admin key on an admin route', path: '/v1/keys', headers: keys.auth('admin'), status: 200 },
    { name: 'the OpenAPI document needs no key', path: '/v1/openapi.json', headers: {}, status: 200 },
    { name: 'a bad key does not block the document', path: '/v1/openapi.json', headers: bearer('nonsense'), status: 200 },
  ];
  for (const s of scenarios) {
    const res = await api.fetch(s.path, { method: s.method ?? 'GET', headers: s.headers, ...(s.body ? { body: s.body } : {}) });
    assert.equal(res.status, s.status, `${s.name}: ${res.text}`);
    if (s.error) assert.equal(res.body.error, s.error, s.name);
    if (s.message) assert.match(res.body.message, s.message, s.name);
    if (s.status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, s.name);
    if (s.status === 403) assert.ok(res.headers.get('x-ratelimit-limit'), `${s.name}: rate-limit headers on a 403 too`);
    // A refused key is never echoed back.
    for (const key of [keys.read, keys.admin, revoked, expired]) assert.ok(!res.text.includes(key), s.name);
  }
});

test('a key created through the API works at once, and not after it is revoked', async () => {
  const created = await api.fetch('/v1/keys', { method: 'POST', headers: keys.auth('admin'), body: JSON.stringify({ name: 'ci', scopes: ['read'] }) });
  assert.equal(created.status, 201);
  assert.match(created.body.key, /^cp_live_/);
  assert.equal(created.body.prefix, created.body.key.slice(0, 14));
  assert.equal((await api.fetch('/v1/usage', { headers: bearer(created.body.key) })).status, 200);
  const listed = await api.fetch('/v1/keys?limit=100', { headers: keys.auth('admin') });
  const row = listed.body.data.find((k: { id: string }) => k.id === created.body.id);
  assert.ok(row && row.key === undefined, 'listings never carry the secret');
  assert.ok(!listed.text.includes(created.body.key));
  const revoked = await api.fetch(`/v1/keys/${created.body.id}`, { method: 'DELETE', headers: keys.auth('admin') });
  assert.ok(revoked.body.revoked_at);
  const after = await api.fetch('/v1/usage', { headers: bearer(created.body.key) });
  assert.equal(after.status, 401);
  assert.equal((await api.fetch('/v1/keys/key_nope', { method: 'DELETE', headers: keys.auth('admin') })).status, 404);
});

test('a key works until it expires, then answers 401 (time is injected, not waited for)', async () => {
  const created = await api.fetch('/v1/keys', { method: 'POST', headers: keys.auth('admin'), body: JSON.stringify({ name: 'short', expires_in: '1h' }) });
  assert.equal(created.body.expires_at, new Date(clock.now() + 3_600_000).toISOString());
  assert.equal((await api.fetch('/v1/usage', { headers: bearer(created.body.key) })).status, 200);
  clock.advance(3_599_999);
  assert.equal((await api.fetch('/v1/usage', { headers: bearer(created.body.key) })).status, 200);
  clock.advance(1);
  const res = await api.fetch('/v1/usage', { headers: bearer(created.body.key) });
  assert.equal(res.status, 401);
  assert.match(res.body.message, /expired at/);
});

test('the key comparison goes through crypto.timingSafeEqual', async () => {
  // A key no connection has sent yet: a keep-alive connection that repeats the header it last
  // authenticated skips the hash and this compare (api-auth-connections.test.ts).
  const fresh = await createTestKey(t, { name: 'compared' });
  const spy = mock.method(crypto, 'timingSafeEqual');
  syncBuiltinESMExports(); // make the ESM named export see the spy too
  try {
    assert.equal((await api.fetch('/v1/usage', { headers: bearer(fresh) })).status, 200);
    assert.ok(spy.mock.callCount() >= 1, 'timingSafeEqual was not called while authenticating');
    const [left, right] = spy.mock.calls.at(-1)!.arguments as [Buffer, Buffer];
    assert.equal(left.toString('hex'), hashApiKey(fresh));
    assert.equal(right.toString('hex'), hashApiKey(fresh));
  } finally {
    spy.mock.restore();
    syncBuiltinESMExports();
  }
});

test('the database file holds the hash and the prefix, never the key', async () => {
  const created = await api.fetch('/v1/keys', { method: 'POST', headers: keys.auth('admin'), body: JSON.stringify({ name: 'grep-me' }) });
  const key: string = created.body.key;
  t.app.db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  const files = [t.dbPath, `${t.dbPath}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1'));
  const all = files.join('');
  assert.ok(all.includes(hashApiKey(key)), 'the hash is stored');
  assert.ok(all.includes(created.body.prefix), 'the display prefix is stored');
  assert.ok(!all.includes(key), 'the key itself is not');
  assert.ok(!all.includes(key.slice(14)), 'not even the part after the prefix');
  for (const line of t.logs) assert.ok(!line.includes(key), `a log line holds the key: ${line}`);
});
