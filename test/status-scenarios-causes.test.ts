import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import { providerStatuses, targetStatuses } from '../src/store/status-read.ts';
import { openaiError } from './helpers/provider-fixtures.ts';
import { fail500, ok, rateLimited, startScenario, warmUp } from './helpers/status-scenario.ts';

test('a latency-only degradation opens `degraded` with the p95 as its cause', async () => {
  const s = await startScenario({ thresholds: { latency_p95_ms: 2000 } });
  try {
    await warmUp(s);
    // 4 slow answers in the window's 60 are > 5% of it: the p95 is now a slow one. No probe failed.
    for (let i = 0; i < 3; i++) await s.probe('m1', ok(), undefined, 5000);
    assert.deepEqual(await s.eventTypes(), [], '3 slow in 60 leave the p95 fast');
    await s.probe('m1', ok(), undefined, 5000);
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded']);
    const [incident] = (await s.get('/v1/incidents')).body.data;
    assert.equal(incident.severity, 'degraded');
    assert.equal(incident.cause.rule, 'latency_p95');
    assert.equal(incident.cause.threshold, 2000);
    assert.equal(incident.cause.window, '30m');
    assert.equal(incident.cause.samples, 60, 'the 30-minute window holds 60 probes at one per 30 s');
    assert.ok(incident.cause.value >= 5000, 'the p95 is one of the slow answers');
    const degraded = (await s.events())[1]!.data as any;
    assert.deepEqual([degraded.status, degraded.previous_status, degraded.severity, degraded.cause.rule], ['degraded', 'operational', 'degraded', 'latency_p95']);
  } finally {
    await s.stop();
  }
});

test('one model failing on a healthy provider is a model-scoped incident naming that model', async () => {
  const s = await startScenario({ models: ['m1', 'm2', 'm3'] });
  try {
    await warmUp(s, ['m1', 'm2', 'm3']);
    for (let i = 0; i < 3; i++) await s.probe('m2', fail500());
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded']);
    let [incident] = (await s.get('/v1/incidents?status=open&provider=acme')).body.data;
    assert.equal(incident.scope, 'model');
    assert.deepEqual(incident.affected_models, ['m2']);
    assert.equal(incident.title, 'Acme AI m2: major outage');
    const degraded = (await s.events())[1]!.data as any;
    assert.deepEqual([degraded.scope, degraded.affected_models], ['model', ['m2']]);

    // A second model joins: the same incident, updated, still model-scoped (m3 is healthy).
    for (let i = 0; i < 3; i++) await s.probe('m1', fail500());
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded', 'incident.updated']);
    [incident] = (await s.get('/v1/incidents?model=m1')).body.data;
    assert.deepEqual([incident.scope, incident.affected_models], ['model', ['m1', 'm2']]);
    const detail = (await s.get(`/v1/incidents/${incident.id}`)).body;
    assert.deepEqual(detail.timeline.map((u: any) => [u.kind, u.affected_models]), [['opened', ['m2']], ['models_changed', ['m1', 'm2']]]);
    assert.equal((await s.get('/v1/incidents?model=m3')).body.data.length, 0);

    // Statuses for the read API: the provider shows its worst target, each target its own.
    const db = s.t.app.db.kysely;
    const byModel = new Map(s.t.app.targets().map((t) => [t.modelSlug, t]));
    const targets = await targetStatuses(db);
    assert.deepEqual(['m1', 'm2', 'm3'].map((m) => targets.get(byModel.get(m)!.id)?.status), ['major_outage', 'major_outage', 'operational']);
    const provider = (await providerStatuses(db)).get(byModel.get('m1')!.providerId);
    assert.equal(provider?.status, 'major_outage');
  } finally {
    await s.stop();
  }
});

test('a 429 storm shows as rate limiting (degraded), not as an outage', async () => {
  const s = await startScenario();
  try {
    await warmUp(s);
    for (let i = 0; i < 20; i++) await s.probe('m1', rateLimited());
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded']);
    const [incident] = (await s.get('/v1/incidents')).body.data;
    assert.equal(incident.severity, 'degraded');
    assert.equal(incident.cause.rule, 'rate_limited');
    const target = (await targetStatuses(s.t.app.db.kysely)).get(s.t.app.targets()[0]!.id);
    assert.equal(target?.status, 'degraded');
  } finally {
    await s.stop();
  }
});

test('auth errors mark the target misconfigured: shown, but no provider incident and no event', async () => {
  const s = await startScenario();
  try {
    await warmUp(s, ['m1'], 10);
    for (let i = 0; i < 5; i++) await s.probe('m1', openaiError(401, 'invalid_request_error', 'invalid_api_key', 'Incorrect API key provided'));
    assert.deepEqual(await s.eventTypes(), []);
    assert.equal((await targetStatuses(s.t.app.db.kysely)).get(s.t.app.targets()[0]!.id)?.status, 'misconfigured');
    assert.equal((await s.get('/v1/incidents')).body.data.length, 0);
  } finally {
    await s.stop();
  }
});

test('maintenance window: probes go on and the status is marked, but no incident opens and no event fires', async () => {
  // The scenario clock starts at 12:00 UTC; warm-up takes it to 12:30.
  const s = await startScenario({ extra: { maintenance: [{ provider: 'acme', start: '2026-11-26T12:30:00Z', end: '2026-11-26T12:45:00Z', reason: 'provider upgrade' }] } });
  try {
    await warmUp(s);
    for (let i = 0; i < 10; i++) await s.probe('m1', fail500());
    assert.deepEqual(await s.eventTypes(), []);
    const db = s.t.app.db.kysely;
    const target = s.t.app.targets()[0]!;
    const during = (await targetStatuses(db)).get(target.id);
    assert.deepEqual([during?.status, during?.maintenance], ['major_outage', true]);
    assert.equal((await providerStatuses(db)).get(target.providerId)?.maintenance, true);
    assert.equal((await s.get('/v1/incidents')).body.data.length, 0);

    // Past the window's end the outage is real: the next evaluation opens it.
    while (s.clock.now() < Date.parse('2026-11-26T12:45:00Z')) await s.probe('m1', fail500());
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded']);
    assert.equal((await targetStatuses(db)).get(target.id)?.maintenance, false);
  } finally {
    await s.stop();
  }
});

test('a failing model removed from the config by a reload leaves the incident on the next probe of the provider', async () => {
  const s = await startScenario({ models: ['m1', 'm2'] });
  try {
    await warmUp(s, ['m1', 'm2']);
    for (let i = 0; i < 3; i++) await s.probe('m2', fail500());
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded']);
    const config = s.t.app.config();
    const next = validateConfig({ ...config, providers: config.providers.map((p) => ({ ...p, models: p.models.filter((m) => m.slug !== 'm2') })) }, 'reload', {});
    await s.t.app.reload(next);
    // m1 is healthy and stays so (no transition of its own), yet its provider is decided afresh.
    await s.probe('m1', ok());
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded', 'incident.updated', 'provider.recovered']);
  } finally {
    await s.stop();
  }
});
