import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createManualClock } from '../src/lib/clock.ts';
import { listEvents } from '../src/store/events.ts';
import { startTestApp } from './helpers/app.ts';
import { startFakeProvider } from './helpers/fake-provider.ts';
import { startReceiver, verifyCaptured } from './helpers/receiver.ts';
import { fail500, ok } from './helpers/status-scenario.ts';

/**
 * The whole path: a scripted provider fails, the status engine opens an incident in the probe's
 * transaction, the outbox fans it out, the after-commit hook wakes the deliverer, and the
 * receiver gets every event of the incident, in order, signed. The deliverer's own timer is set
 * to an hour, so only the after-commit wake can have sent them.
 */
test('an outage and its recovery reach a subscribed endpoint in order, signed', async () => {
  const receiver = await startReceiver();
  const secret = `whsec_${Buffer.alloc(24, 3).toString('base64')}`;
  const fake = await startFakeProvider(ok());
  const clock = Object.assign(createManualClock(Date.UTC(2026, 10, 26, 12)), { monotonic: () => performance.now() });
  const t = await startTestApp(
    {
      defaults: { schedule: '0 0 1 1 *' },
      providers: [{ slug: 'acme', kind: 'openai', base_url: `${fake.url}/v1`, api_key: 'sk-webhooks-0123456789', models: [{ slug: 'm1' }] }],
      webhooks: {
        allow_private: true,
        endpoints: [
          { url: receiver.url('/pager'), secret, events: ['incident.created', 'incident.updated', 'provider.degraded', 'provider.recovered'] },
          { url: receiver.url('/created'), secret, events: ['incident.created'] },
        ],
      },
    },
    { clock, webhookPollMs: 3_600_000 },
  );
  const probe = async (step: ReturnType<typeof ok>) => {
    clock.advance(30_000);
    fake.enqueue(step);
    await t.app.probeNow('acme/m1');
  };
  const arrived = async (path: string, count: number) => {
    for (let i = 0; i < 200 && receiver.on(path).length < count; i++) await sleep(25);
    return receiver.on(path);
  };
  try {
    for (let i = 0; i < 60; i++) await probe(ok());
    for (let i = 0; i < 3; i++) await probe(fail500());
    for (let i = 0; i < 80; i++) await probe(ok());
    const events = await listEvents(t.app.db.kysely);
    assert.ok(events.length >= 3, `events: ${events.map((e) => e.type).join(', ')}`);
    assert.equal(events.at(-1)!.type, 'provider.recovered');

    const pager = await arrived('/pager', events.length);
    assert.deepEqual(pager.map((r) => r.headers['webhook-id']), events.map((e) => e.id), 'every event, in the order it was written');
    assert.deepEqual(pager.map((r) => JSON.parse(r.body)), events);
    for (const r of pager) await verifyCaptured(r, secret);

    const created = await arrived('/created', 1);
    assert.deepEqual(created.map((r) => JSON.parse(r.body).type), ['incident.created']);
  } finally {
    await t.stop();
    await fake.close();
    await receiver.close();
  }
});
