import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { runCappulse, startServe } from './helpers/serve-process.ts';
import { tempDir } from './helpers/temp.ts';

const dir = tempDir();
after(() => dir.remove());

const CONFIG = `
server: {port: 0}
storage: {path: ./data.db}
providers:
  - slug: local
    kind: http
    base_url: http://127.0.0.1:9/health
`;

test('serve creates and migrates a fresh database, answers /healthz, and exits 0 on SIGTERM within 2 s', async () => {
  writeFileSync(dir.file('cappulse.yaml'), CONFIG);
  const serve = await startServe(['--config', 'cappulse.yaml'], { cwd: dir.path });
  try {
    const res = await fetch(`${serve.url}/healthz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; version: string; uptime_s: number; db: string };
    assert.equal(body.status, 'ok');
    assert.equal(body.db, 'ok');
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    assert.equal(typeof body.uptime_s, 'number');
    assert.ok(existsSync(dir.file('data.db')));
    assert.match(serve.output(), /database_ready .*migrated=[1-9]/);
  } finally {
    const stopped = await serve.stop('SIGTERM');
    assert.equal(stopped.code, 0, serve.output());
    // The promise: a clean stop, promptly. Shutdown does no network work, so 2 s is generous.
    assert.ok(stopped.ms < 2000, `took ${stopped.ms} ms to exit`);
  }
});

test('a second start on the same file migrates nothing and keeps the data', async () => {
  const db = new BetterSqlite3(dir.file('data.db'));
  const before = (db.prepare('select count(*) as n from providers').get() as { n: number }).n;
  db.prepare("insert into models (slug, name, created_at) values ('kept-model', 'kept', 1)").run();
  db.close();
  assert.equal(before, 1);

  const serve = await startServe(['--config', 'cappulse.yaml'], { cwd: dir.path });
  const stopped = await serve.stop('SIGINT');
  assert.equal(stopped.code, 0);
  assert.match(serve.output(), /database_ready .*migrated=0/);
  const again = new BetterSqlite3(dir.file('data.db'), { readonly: true });
  assert.equal((again.prepare("select count(*) as n from models where slug = 'kept-model'").get() as { n: number }).n, 1);
  assert.equal((again.prepare('select count(*) as n from providers').get() as { n: number }).n, 1);
  again.close();
});

test('a database written by a newer CapPulse is refused with a message, not a crash', async () => {
  const file = dir.file('newer.db');
  const seed = runCappulse(['serve', '--config', 'cappulse.yaml', '--db', file, '--port', '0'], { cwd: dir.path });
  await waitFor(() => /listening/.test(seed.output()));
  seed.child.kill('SIGTERM');
  await seed.exited;
  const db = new BetterSqlite3(file);
  db.prepare("insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01T00:00:00.000Z')").run();
  db.close();

  const run = runCappulse(['serve', '--config', 'cappulse.yaml', '--db', file, '--port', '0'], { cwd: dir.path });
  const code = await run.exited;
  assert.equal(code, 1);
  assert.match(run.output(), /written by a newer CapPulse .*9999-from-the-future.*Upgrade CapPulse/);
  assert.doesNotMatch(run.output(), /\n\s+at /, 'no stack trace');
});

test('a started server never prints a provider api_key or a webhook secret, nor stores them', async () => {
  const apiKey = 'sk-test-DO-NOT-PRINT-9f8e7d6c5b4a';
  const webhookSecret = 'whsec_c2VjcmV0LW5ldmVyLXByaW50ZWQtYW55d2hlcmU=';
  writeFileSync(
    dir.file('secrets.yaml'),
    `server: {port: 0, log_level: debug}
storage: {path: ./secrets.db}
defaults: {schedule: "* * * * * *"}
providers:
  - slug: echo
    kind: openai
    base_url: http://127.0.0.1:9/v1
    api_key: \${CAPPULSE_TEST_PROVIDER_KEY}
    headers: {X-Api-Key: "\${CAPPULSE_TEST_PROVIDER_KEY}"}
    models: [{slug: m}]
webhooks:
  allow_private: true
  endpoints:
    - url: http://127.0.0.1:9/hook
      secret: \${CAPPULSE_TEST_WEBHOOK_SECRET}
`,
  );
  const env = { CAPPULSE_TEST_PROVIDER_KEY: apiKey, CAPPULSE_TEST_WEBHOOK_SECRET: webhookSecret };
  const check = runCappulse(['check', '--config', 'secrets.yaml'], { cwd: dir.path, env });
  assert.equal(await check.exited, 0, check.output());
  const serve = await startServe(['--config', 'secrets.yaml'], { cwd: dir.path, env });
  // Let a few scheduled probes (to a closed port) run and log their failures.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  await fetch(`${serve.url}/healthz`);
  const stopped = await serve.stop();
  assert.equal(stopped.code, 0);
  const printed = serve.output() + check.output();
  for (const secret of [apiKey, webhookSecret]) {
    assert.ok(!printed.includes(secret), 'secret in the output');
    for (const file of ['secrets.db', 'secrets.db-wal']) {
      if (existsSync(dir.file(file))) assert.ok(!readFileSync(dir.file(file)).includes(secret), `secret in ${file}`);
    }
  }
});

async function waitFor(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
