import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from '../src/db/connect.ts';
import { issueApiKey } from '../src/store/keys.ts';
import { enqueueEvent } from '../src/store/events.ts';
import { startFakeProvider } from './helpers/fake-provider.ts';
import { startReceiver, verifyCaptured } from './helpers/receiver.ts';
import { bundleCli } from './helpers/bundled-cli.ts';
import { tempDir } from './helpers/temp.ts';

/**
 * A real `cappulse serve` killed with SIGKILL at random moments, again and again, while events
 * keep arriving: from a real incident (the server probes a provider that answers 503 overloaded
 * every second, so its status engine opens an incident), through the status engine's entry point
 * (enqueueEvent, from this process, into the same file) and through the server's own test route. At the end every event has reached
 * every subscribed endpoint at least once, duplicates carry the same webhook-id and bytes, and
 * the SQLite file is intact.
 */
const KILLS = 21;
const ENDPOINTS = [
  { path: '/all-1', events: ['incident.created', 'incident.updated', 'provider.degraded', 'provider.recovered', 'webhook.test'] },
  { path: '/all-2', events: ['incident.created', 'incident.updated', 'provider.degraded', 'provider.recovered', 'webhook.test'] },
  { path: '/created-only', events: ['incident.created'] },
];
const TYPES = ['incident.created', 'incident.updated', 'provider.degraded', 'provider.recovered'] as const;

function serve(bundle: string, config: string, cwd: string) {
  const child = spawn(process.execPath, [bundle, 'serve', '--config', config], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => output, exited };
}

test('SIGKILL at random moments loses no webhook', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('cappulse-crash-');
  const receiver = await startReceiver();
  const provider = await startFakeProvider({ status: 503, headers: { 'content-type': 'application/json' }, chunks: ['{"error":{"message":"overloaded","type":"overloaded_error"}}'] });
  const cli = await bundleCli();
  const secrets = ENDPOINTS.map((_, i) => `whsec_${Buffer.alloc(24, i + 1).toString('base64')}`);
  for (const e of ENDPOINTS) {
    // Slow, sometimes failing answers, so kills land in the middle of POSTs and retries.
    receiver.hold(e.path, 30);
    receiver.script(e.path, Array.from({ length: 400 }, (_, i) => (i % 9 === 4 ? 503 : 200)));
  }
  const dbPath = dir.file('crash.db');
  const config = dir.file('cappulse.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      server: { port: 0, log_level: 'warn' },
      storage: { path: dbPath },
      providers: [{ slug: 'flaky', kind: 'openai', base_url: `${provider.url}/v1`, schedule: '* * * * * *', models: [{ slug: 'm1' }] }],
      webhooks: {
        allow_private: true,
        timeout: '1s',
        retry_schedule: ['0s', '100ms', '200ms', '300ms', '500ms', '1s', '1s', '1s', '1s', '1s'],
        endpoints: ENDPOINTS.map((e, i) => ({ url: receiver.url(e.path), secret: secrets[i], events: e.events })),
      },
    }),
  );

  const db = openDatabase(dbPath);
  let serial = 0;
  const emit = (count: number) =>
    db.kysely.transaction().execute(async (trx) => {
      for (let i = 0; i < count; i++) {
        serial += 1;
        const type = TYPES[serial % TYPES.length]!;
        await enqueueEvent(trx, { type, data: { serial }, incidentId: `inc_${serial % 5}` }, Date.now());
      }
    });

  const incidentEvents = () =>
    (db.sqlite.prepare('select count(*) as n from events where incident_id in (select id from incidents)').get() as { n: number }).n;
  let adminKey: string | undefined;
  let kills = 0;
  let last: ReturnType<typeof serve> | undefined;
  try {
    for (let round = 0; round <= KILLS; round++) {
      const run = serve(cli.file, config, dir.path);
      last = run;
      const ready = (async () => {
        while (!/running at (http:\/\/\S+)/.test(run.output())) {
          if (run.child.exitCode !== null || run.child.signalCode !== null) throw new Error(`serve exited:\n${run.output()}`);
          await sleep(20);
        }
        return /running at (http:\/\/\S+)/.exec(run.output())![1]!;
      })();
      ready.catch(() => undefined);
      // The first start migrates the file; every later one may be killed even while starting.
      const url = round === 0 || Math.random() < 0.7 ? await ready : undefined;
      if (round === 0) adminKey = (await issueApiKey(db.kysely, { name: 'crash', scopes: ['admin'], rateLimit: 1e9, monthlyQuota: 1e9, expiresAt: null }, Date.now())).key;
      if (round === KILLS) {
        await emit(5);
        // The last server stays up until the status engine has opened the incident and written
        // its events (three consecutive failures, one probe a second, counted across restarts).
        const deadline = Date.now() + 30_000;
        while (incidentEvents() < 2 && Date.now() < deadline) await sleep(100);
        break;
      }
      if (url) {
        const endpointId = (db.sqlite.prepare("select id from webhook_endpoints where url like '%/all-1'").get() as { id: string }).id;
        void fetch(`${url}/v1/webhooks/endpoints/${endpointId}/test`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}` } }).catch(() => undefined);
      }
      await emit(1 + Math.floor(Math.random() * 3));
      await sleep(Math.random() * 250);
      await emit(1);
      run.child.kill('SIGKILL');
      await run.exited;
      kills += 1;
      if (Math.random() < 0.3) await emit(2); // written while the server is down
    }

    const expected = () => {
      const events = db.sqlite.prepare('select id, type, payload from events').all() as Array<{ id: string; type: string; payload: string }>;
      return events.flatMap((event) => ENDPOINTS.filter((e) => e.events.includes(event.type)).filter((e) => event.type !== 'webhook.test' || e.path === '/all-1').map((e) => ({ event, path: e.path })));
    };
    const missing = () => expected().filter(({ event, path }) => !receiver.on(path).some((r) => r.headers['webhook-id'] === event.id));
    const deadline = Date.now() + 40_000;
    while (missing().length > 0 && Date.now() < deadline) await sleep(100);
    assert.ok(kills >= 20, `killed ${kills} times`);
    assert.ok(incidentEvents() >= 2, 'the real incident wrote incident.created and provider.degraded');
    assert.deepEqual(missing().map(({ event, path }) => `${event.id} → ${path}`), [], 'every event reached every subscribed endpoint');
    assert.ok(expected().length > 60, `only ${expected().length} deliveries expected`);

    let duplicates = 0;
    for (const { event, path } of expected()) {
      const copies = receiver.on(path).filter((r) => r.headers['webhook-id'] === event.id);
      duplicates += copies.length - 1;
      for (const copy of copies) assert.equal(copy.body, event.payload, 'duplicates carry the same webhook-id and the same bytes');
    }
    t.diagnostic(`kills ${kills}, deliveries expected ${expected().length}, requests ${receiver.requests.length}, duplicates ${duplicates}`);
    assert.equal(receiver.on('/created-only').every((r) => JSON.parse(r.body).type === 'incident.created'), true);
    for (const [i, e] of ENDPOINTS.entries()) for (const r of receiver.on(e.path)) await verifyCaptured(r, secrets[i]!);
    assert.deepEqual(receiver.requests.filter((r) => !ENDPOINTS.some((e) => e.path === r.path)), []);
  } finally {
    if (last && last.child.exitCode === null) {
      last.child.kill('SIGTERM');
      await last.exited;
    }
    await db.close();
    const check = new BetterSqlite3(dbPath);
    try {
      assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      check.close();
      await receiver.close();
      await provider.close();
      cli.remove();
      dir.remove();
    }
  }
});
