import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp } from '../src/app.ts';
import { validateConfig } from '../src/config/load.ts';
import { KEY_RECHECK_MS } from '../src/http/auth-key-cache.ts';
import { createManualClock } from '../src/lib/clock.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import { cli } from './helpers/cli.ts';
import { loadOpenApi } from './helpers/openapi.ts';
import { tempDir } from './helpers/temp.ts';

test('cappulse keys create prints the key once; list never shows it; revoke stops it on a running server', async () => {
  const dir = tempDir();
  const db = dir.file('cappulse.db');
  try {
    const ranFrom = Date.now();
    const created = await cli('keys', 'create', '--db', db, '--name', 'grafana', '--scope', 'read', '--rate-limit', '30', '--quota', '500', '--expires', '90d');
    const ranTo = Date.now();
    assert.equal(created.code, 0, created.err);
    const key = /(cp_live_[0-9A-Za-z]{38})/.exec(created.out)?.[1];
    assert.ok(key, created.out);
    const id = /created (key_\w+)/.exec(created.out)?.[1];
    assert.ok(id);
    assert.match(created.out, /only time the key is shown/);

    const listed = await cli('keys', 'list', '--db', db);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, new RegExp(`${id}  ${key.slice(0, 14)}…  grafana  \\[read\\]  active  rate 30/min, quota 500/month`));
    assert.ok(!listed.out.includes(key), 'list never prints the secret');
    const json = await cli('keys', 'list', '--db', db, '--json');
    assert.ok(!json.out.includes(key));
    assert.equal(JSON.parse(json.out)[0].rateLimit, 30);
    // --expires 90d: ninety days from when the command ran (the CLI reads the real clock).
    const expiresAt = JSON.parse(json.out)[0].expiresAt as number;
    const ninetyDays = 90 * 86_400_000;
    assert.ok(expiresAt >= ranFrom + ninetyDays && expiresAt <= ranTo + ninetyDays, `expiresAt ${expiresAt} is not 90 days after the command`);

    // The same key against a server on that file: works, then the CLI revokes it and it stops,
    // within the guard's recheck interval of the server's (injected) clock.
    const clock = createManualClock(Date.now());
    const app = await createApp(validateConfig({ server: { port: 0 }, storage: { path: db } }, 'test', {}), { logger: createMemoryLogger(), clock });
    await app.start();
    try {
      const api = await loadOpenApi(app.url());
      const ok = await api.fetch('/v1/usage', { headers: { authorization: `Bearer ${key}` } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-ratelimit-limit'), '30');
      const revoked = await cli('keys', 'revoke', id, '--db', db);
      assert.equal(revoked.code, 0, revoked.err);
      assert.match(revoked.out, /revoked key_/);
      clock.advance(KEY_RECHECK_MS);
      const refused = await api.fetch('/v1/usage', { headers: { authorization: `Bearer ${key}` } });
      assert.equal(refused.status, 401, 'a CLI revoke takes effect on the running server within KEY_RECHECK_MS');
    } finally {
      await app.stop();
    }
    assert.match((await cli('keys', 'list', '--db', db)).out, /revoked/);
  } finally {
    dir.remove();
  }
});

test('cappulse keys rejects bad input with exit 2 and names the problem', async () => {
  const dir = tempDir();
  const db = dir.file('cappulse.db');
  try {
    const cases: Array<[string[], RegExp]> = [
      [['keys'], /missing subcommand/],
      [['keys', 'rotate'], /unknown subcommand/],
      [['keys', 'create', '--db', db], /--name is required/],
      [['keys', 'create', '--db', db, '--name', 'x', '--scope', 'write'], /not a scope/],
      [['keys', 'create', '--db', db, '--name', 'x', '--rate-limit', '0'], /--rate-limit/],
      [['keys', 'create', '--db', db, '--name', 'x', '--quota', 'lots'], /--quota/],
      [['keys', 'create', '--db', db, '--name', 'x', '--expires', 'soon'], /--expires/],
      [['keys', 'revoke', '--db', db], /give the id/],
    ];
    for (const [argv, message] of cases) {
      const res = await cli(...argv);
      assert.equal(res.code, 2, argv.join(' '));
      assert.match(res.err, message, argv.join(' '));
    }
    const missing = await cli('keys', 'revoke', 'key_nope', '--db', db);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no API key with id "key_nope"/);
    const both = await cli('keys', 'create', '--db', db, '--name', 'ops', '--scope', 'read', '--scope', 'admin', '--json');
    assert.deepEqual(JSON.parse(both.out).scopes, ['read', 'admin']);
  } finally {
    dir.remove();
  }
});
