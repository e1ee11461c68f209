import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openDatabase, type Db } from '../src/db/connect.ts';
import { KEY_RECHECK_MS } from '../src/http/auth-key-cache.ts';
import { createManualClock } from '../src/lib/clock.ts';
import { findApiKey, issueApiKey, revokeApiKey } from '../src/store/keys.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

// The guard keeps key rows in memory. A revoke made through another connection to the same file
// (what `cappulse keys revoke` does against a running server) must reach it within KEY_RECHECK_MS
// of the app's clock; the clock is injected and moved by hand, nothing here waits.
const clock = createManualClock(Date.parse('2026-11-26T12:00:00Z'));
let t: TestApp;
let other: Db;

before(async () => {
  t = await startTestApp({}, { clock });
  other = openDatabase(t.dbPath);
});
after(async () => {
  await other.close();
  await t.stop();
});

const usage = (key: string) => fetch(`${t.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } });

test('a revoke from another connection is refused once the recheck interval has passed', async () => {
  const { key, record } = await issueApiKey(other.kysely, { name: 'elsewhere', scopes: ['read'] }, clock.now());
  assert.equal((await usage(key)).status, 200, 'a key created by another process works at once');
  await revokeApiKey(other.kysely, record.id, clock.now());
  assert.ok((await findApiKey(t.app.db.kysely, record.id))?.revokedAt, 'the server connection sees the committed revoke');
  // Within the interval the cached row may still be used; at its end it must not be.
  clock.advance(KEY_RECHECK_MS);
  const refused = await usage(key);
  assert.equal(refused.status, 401);
  assert.match(((await refused.json()) as { message: string }).message, /revoked/);
});

test('a clock set back does not postpone the recheck', async () => {
  const { key, record } = await issueApiKey(other.kysely, { name: 'clock-back', scopes: ['read'] }, clock.now());
  assert.equal((await usage(key)).status, 200);
  await revokeApiKey(other.kysely, record.id, clock.now());
  clock.set(clock.now() - 3_600_000);
  assert.equal((await usage(key)).status, 401);
});
