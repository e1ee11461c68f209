import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { after, before, mock, test } from 'node:test';
import { openDatabase } from '../src/db/connect.ts';
import { sameText } from '../src/http/auth-connections.ts';
import { KEY_RECHECK_MS } from '../src/http/auth-key-cache.ts';
import { createManualClock } from '../src/lib/clock.ts';
import { issueApiKey, revokeApiKey } from '../src/store/keys.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKey } from './helpers/keys.ts';
import { loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';

// The guard remembers, per keep-alive connection, the Authorization header it last authenticated
// and skips hashing it again (src/http/auth-connections.ts). These tests hold one connection open
// (an agent with a single socket) and show what must not change: revokes, expiry, scopes and a
// different key on the same connection are all decided as on a fresh connection.
const clock = createManualClock(Date.parse('2026-11-26T12:00:00Z'));
let t: TestApp;
let api: OpenApiChecker;

before(async () => {
  t = await startTestApp({}, { clock });
  api = await loadOpenApi(t.url);
});
after(() => t.stop());

interface Answer {
  status: number;
  body: { error?: string; message?: string };
  /** Whether the request went over a connection an earlier request had used. */
  reused: boolean;
}

/** One keep-alive connection: every request of this client goes over the same socket while it stays open. */
function connection() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, key: string, scheme = 'Bearer') =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.get(`${t.url}${path}`, { agent, headers: { authorization: `${scheme} ${key}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          // node:http answers are not seen by the fetch preload: check them against the document here.
          const headers = new Headers(Object.entries(res.headers).map(([name, value]) => [name, String(value)] as [string, string]));
          const problems = api.problems('GET', path, { status: res.statusCode!, headers, text });
          if (problems.length > 0) reject(new Error(`GET ${path} differs from the OpenAPI document: ${problems.join('; ')}`));
          else resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer['body'], reused: req.reusedSocket });
        });
      });
      req.on('error', reject);
    });
  return { get, close: () => agent.destroy() };
}

/** Counts node:crypto's one-shot `hash` calls (the guard's SHA-256 of a presented key) while `work` runs. */
async function countHashes(work: () => Promise<void>): Promise<number> {
  const spy = mock.method(crypto, 'hash');
  syncBuiltinESMExports(); // make the ESM named export see the spy too
  try {
    await work();
    return spy.mock.callCount();
  } finally {
    spy.mock.restore();
    syncBuiltinESMExports();
  }
}

test('a connection that repeats its key is not hashed again; a new connection is', async () => {
  const key = await createTestKey(t, { name: 'repeat' });
  const first = connection();
  const second = connection();
  try {
    assert.equal(await countHashes(async () => assert.equal((await first.get('/v1/usage', key)).status, 200)), 1, 'the first request hashes the key');
    const again = await countHashes(async () => {
      for (let i = 0; i < 3; i++) {
        const answer = await first.get('/v1/usage', key);
        assert.equal(answer.status, 200);
        assert.ok(answer.reused, 'the same connection');
      }
    });
    assert.equal(again, 0, 'the same header on the same connection skips the hash');
    assert.equal(await countHashes(async () => assert.equal((await second.get('/v1/usage', key)).status, 200)), 1, 'another connection hashes it');
  } finally {
    first.close();
    second.close();
  }
});

test('a key revoked by another process is refused on a connection that authenticated with it', async () => {
  // What `cappulse keys revoke` does against a running server: its own connection to the file.
  const other = openDatabase(t.dbPath);
  const { key, record } = await issueApiKey(other.kysely, { name: 'revoked-while-connected', scopes: ['read'] }, clock.now());
  const c = connection();
  try {
    assert.equal((await c.get('/v1/usage', key)).status, 200);
    assert.equal((await c.get('/v1/usage', key)).status, 200);
    await revokeApiKey(other.kysely, record.id, clock.now());
    clock.advance(KEY_RECHECK_MS);
    const refused = await c.get('/v1/usage', key);
    assert.ok(refused.reused);
    assert.equal(refused.status, 401);
    assert.match(refused.body.message ?? '', /revoked/);
  } finally {
    c.close();
    await other.close();
  }
});

test('a key revoked through the API is refused at once on a connection that authenticated with it', async () => {
  const admin = await createTestKey(t, { name: 'revoker', scopes: ['admin'] });
  const { key, record } = await issueApiKey(t.app.db.kysely, { name: 'revoked-by-api', scopes: ['read'] }, clock.now());
  const c = connection();
  try {
    assert.equal((await c.get('/v1/usage', key)).status, 200);
    const revoke = await fetch(`${t.url}/v1/keys/${record.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(revoke.status, 200);
    const refused = await c.get('/v1/usage', key);
    assert.ok(refused.reused);
    assert.equal(refused.status, 401);
  } finally {
    c.close();
  }
});

test('a key that expires while its connection is open is refused on that connection', async () => {
  const key = await createTestKey(t, { name: 'expiring', expiresAt: clock.now() + 1_000 });
  const c = connection();
  try {
    assert.equal((await c.get('/v1/usage', key)).status, 200);
    clock.advance(999);
    assert.equal((await c.get('/v1/usage', key)).status, 200);
    clock.advance(1);
    const refused = await c.get('/v1/usage', key);
    assert.ok(refused.reused);
    assert.equal(refused.status, 401);
    assert.match(refused.body.message ?? '', /expired/);
  } finally {
    c.close();
  }
});

test('another key on the same connection is judged on its own, and so is the first one again', async () => {
  const read = await createTestKey(t, { name: 'conn-read', scopes: ['read'] });
  const admin = await createTestKey(t, { name: 'conn-admin', scopes: ['admin'] });
  const c = connection();
  try {
    assert.equal((await c.get('/v1/keys', read)).status, 403);
    const adminAnswer = await c.get('/v1/keys', admin);
    assert.ok(adminAnswer.reused);
    assert.equal(adminAnswer.status, 200, 'the admin key is not mistaken for the read key');
    assert.equal((await c.get('/v1/keys', read)).status, 403, 'nor the read key for the admin key');
    assert.equal((await c.get('/v1/usage', admin, 'bearer')).status, 200, 'the same key with another spelling of the scheme');
  } finally {
    c.close();
  }
});

test('a header that differs in one character from the one the connection authenticated is refused', async () => {
  const key = await createTestKey(t, { name: 'one-off' });
  const c = connection();
  try {
    assert.equal((await c.get('/v1/usage', key)).status, 200);
    for (const at of [8, 20, key.length - 1]) {
      const changed = `${key.slice(0, at)}${key[at] === 'A' ? 'B' : 'A'}${key.slice(at + 1)}`;
      const answer = await c.get('/v1/usage', changed);
      assert.ok(answer.reused);
      assert.equal(answer.status, 401, `character ${at} changed`);
    }
    assert.equal((await c.get('/v1/usage', key)).status, 200, 'and the right one still works');
  } finally {
    c.close();
  }
});

test('sameText reads every character of both texts, wherever they first differ', () => {
  // Its time must not tell how much of a key was right: a short-circuiting compare (=== or a loop
  // that stops at the first difference) reads fewer characters the earlier the texts differ.
  const key = 'Bearer cp_live_0123456789abcdefghijABCDEFGHIJ012345';
  const spy = mock.method(String.prototype, 'charCodeAt');
  try {
    for (const at of [0, 7, 20, key.length - 1]) {
      const other = `${key.slice(0, at)}${key[at] === 'x' ? 'y' : 'x'}${key.slice(at + 1)}`;
      spy.mock.resetCalls();
      assert.equal(sameText(key, other), false);
      assert.equal(spy.mock.callCount(), 2 * key.length, `texts that differ at ${at}`);
    }
    spy.mock.resetCalls();
    assert.equal(sameText(key, key.slice()), true);
    assert.equal(spy.mock.callCount(), 2 * key.length, 'equal texts');
  } finally {
    spy.mock.restore();
  }
});

test('sameText: equal only when every character is', () => {
  assert.equal(sameText('', ''), true);
  assert.equal(sameText('Bearer cp_live_abc', 'Bearer cp_live_abc'), true);
  for (let i = 0; i < 5; i++) assert.equal(sameText('abcde', `${'abcde'.slice(0, i)}X${'abcde'.slice(i + 1)}`), false, `differs at ${i}`);
  assert.equal(sameText('abc', 'abcd'), false);
  assert.equal(sameText('abcd', 'abc'), false);
  assert.equal(sameText('é', 'e'), false);
});
