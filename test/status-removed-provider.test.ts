import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import type { ConfigInput } from '../src/config/schema.ts';
import { createManualClock } from '../src/lib/clock.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import { createPipeline } from '../src/scheduler/pipeline.ts';
import { retireRemovedProviders } from '../src/scheduler/status-retire.ts';
import { createStatusStage } from '../src/scheduler/status-stage.ts';
import { retireProvider, type IncidentSnapshot } from '../src/status/incident.ts';
import { listEvents } from '../src/store/events.ts';
import { startTestApp } from './helpers/app.ts';
import { createTestKeys } from './helpers/keys.ts';
import { startFakeProvider } from './helpers/fake-provider.ts';
import { createScenarioClock } from './helpers/manual-timers.ts';
import { openMetricsDb, probeResult } from './helpers/metrics-db.ts';
import { startReceiver, verifyCaptured } from './helpers/receiver.ts';
import { fail500, ok } from './helpers/status-scenario.ts';

/**
 * A provider removed from the config is never probed or evaluated again; without a rule for it,
 * its open incident would stay open for ever and the alert raised from it would never clear.
 */
const OPEN: IncidentSnapshot = {
  id: 'inc_1',
  status: 'open',
  severity: 'major_outage',
  scope: 'provider',
  affectedModels: ['m1'],
  title: 'Acme: major outage',
  cause: { rule: 'consecutive_failures', value: 3, threshold: 3, window: null, samples: 3, model: 'm1' },
  startedAt: 1_000,
  updatedAt: 2_000,
  resolvedAt: null,
};

test('retireProvider resolves the open incident with the reason, and the status becomes unknown', () => {
  const decision = retireProvider(OPEN, { status: 'major_outage', since: 1_000, maintenance: false }, 5_000);
  assert.deepEqual(decision.state, { status: 'unknown', since: 5_000, maintenance: false });
  assert.deepEqual(decision.change.incident, { ...OPEN, status: 'resolved', updatedAt: 5_000, resolvedAt: 5_000 });
  assert.equal(decision.change.isNew, false);
  assert.deepEqual(decision.change.update, {
    kind: 'resolved',
    at: 5_000,
    status: 'resolved',
    severity: 'major_outage',
    affectedModels: ['m1'],
    message: 'Resolved: removed from the config: no longer monitored',
    cause: { rule: 'removed_from_config', value: null, threshold: null, window: null, samples: 0, model: 'm1' },
  });
  assert.deepEqual(decision.events, ['incident.updated', 'provider.recovered']);
});

test('removing a provider with an open incident from the config resolves it on reload, and the endpoint hears it', async () => {
  const receiver = await startReceiver();
  const secret = `whsec_${Buffer.alloc(24, 5).toString('base64')}`;
  const fake = await startFakeProvider(ok());
  const clock = Object.assign(createManualClock(Date.UTC(2026, 10, 26, 12)), { monotonic: () => performance.now() });
  const acme = { slug: 'acme', kind: 'openai' as const, base_url: `${fake.url}/v1`, api_key: 'sk-removed-0123456789', models: [{ slug: 'm1' }] };
  const other = { slug: 'other', kind: 'openai' as const, base_url: `${fake.url}/v1`, api_key: 'sk-other-0123456789', models: [{ slug: 'm2' }] };
  const config: ConfigInput = {
    defaults: { schedule: '0 0 1 1 *' },
    providers: [acme, other],
    webhooks: { allow_private: true, endpoints: [{ url: receiver.url('/pager'), secret, events: ['incident.created', 'incident.updated', 'provider.degraded', 'provider.recovered'] }] },
  };
  const t = await startTestApp(config, { clock, webhookPollMs: 3_600_000 });
  const pendingDeliveries = async () =>
    Number((await t.app.db.kysely.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'pending').executeTakeFirstOrThrow()).n);
  const arrived = async (count: number) => {
    for (let i = 0; i < 400 && receiver.on('/pager').length < count; i++) await sleep(25);
    return receiver.on('/pager');
  };
  try {
    for (let i = 0; i < 5; i++) {
      clock.advance(30_000);
      fake.enqueue(fail500());
      await t.app.probeNow('acme/m1');
    }
    const opened = (await listEvents(t.app.db.kysely)).map((e) => e.type);
    assert.ok(opened.includes('incident.created'), `an incident opened: ${opened.join(', ')}`);
    // Settled before the clock jumps: a delivery still in flight would look like an expired lease
    // after it and be sent twice (at-least-once is the contract, but this test counts exactly).
    await arrived(opened.length);
    for (let i = 0; i < 400 && (await pendingDeliveries()) > 0; i++) await sleep(25);

    clock.advance(60_000);
    await t.app.reload(validateConfig({ ...config, providers: [other], server: { port: 0 }, storage: { path: t.dbPath } }, 'test', {}));

    const incidents = await (await fetch(`${t.url}/v1/incidents?provider=acme`, { headers: (await createTestKeys(t)).auth() })).json() as { data: Array<{ id: string; status: string; resolved_at: string | null }> };
    assert.equal(incidents.data.length, 1);
    assert.equal(incidents.data[0]!.status, 'resolved');
    assert.equal(incidents.data[0]!.resolved_at, new Date(clock.now()).toISOString());

    const events = await listEvents(t.app.db.kysely);
    assert.deepEqual(events.slice(-2).map((e) => e.type), ['incident.updated', 'provider.recovered']);
    const recovered = events.at(-1)!;
    assert.equal((recovered.data as { cause: { rule: string } }).cause.rule, 'removed_from_config');
    assert.equal((recovered.data as { status: string }).status, 'unknown');
    const pager = await arrived(events.length);
    assert.deepEqual(pager.map((r) => r.headers['webhook-id']), events.map((e) => e.id), 'the reload woke the deliverer: every event arrived, in order');
    for (const r of pager) await verifyCaptured(r, secret);

    // Once resolved it stays resolved: a second reload (or a restart) finds nothing to retire.
    await t.app.reload(validateConfig({ ...config, providers: [other], server: { port: 0 }, storage: { path: t.dbPath } }, 'test', {}));
    assert.equal((await listEvents(t.app.db.kysely)).length, events.length);
  } finally {
    await t.stop();
    await fake.close();
    await receiver.close();
  }
});

test('two syncs racing to retire the same incident resolve it once, with one set of events', async () => {
  const clock = createScenarioClock(Date.UTC(2026, 10, 26, 12));
  const m = await openMetricsDb([{ slug: 'acme', models: ['m1'] }], clock.now());
  try {
    const config = validateConfig({ providers: [{ slug: 'acme', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'm1' }] }] }, 'test', {});
    const logger = createMemoryLogger();
    const pipeline = createPipeline({ db: m.db, stages: [createStatusStage({ config: () => config, clock, logger })], afterCommit: [], logger });
    for (let i = 0; i < 5; i++) {
      clock.advance(30_000);
      await pipeline.record(m.targets[0]!, probeResult({ startedAt: clock.now(), ok: false, errorClass: 'server_error' }));
    }
    const before = (await listEvents(m.db.kysely)).length;
    assert.ok(before > 0, 'an incident opened');
    await m.db.kysely.updateTable('providers').set({ active: 0 }).execute();
    const resolved = await Promise.all([retireRemovedProviders(m.db.kysely, { clock, logger }), retireRemovedProviders(m.db.kysely, { clock, logger })]);
    assert.deepEqual(resolved.sort(), [0, 1]);
    assert.deepEqual((await listEvents(m.db.kysely)).slice(before).map((e) => e.type), ['incident.updated', 'provider.recovered']);
  } finally {
    await m.close();
  }
});
