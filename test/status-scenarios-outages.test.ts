import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fail500, INTERVAL_MS, ok, startScenario, warmUp } from './helpers/status-scenario.ts';

test('a single failure opens nothing', async () => {
  const s = await startScenario();
  try {
    await warmUp(s);
    await s.probe('m1', fail500());
    for (let i = 0; i < 3; i++) await s.probe('m1', ok());
    assert.deepEqual(await s.eventTypes(), []);
    const list = await s.get('/v1/incidents');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, { data: [], has_more: false, next_cursor: null });
  } finally {
    await s.stop();
  }
});

test('3 consecutive failures open a major outage on the third probe; recovery waits for the hysteresis', async () => {
  const s = await startScenario();
  try {
    await warmUp(s);
    await s.probe('m1', fail500());
    await s.probe('m1', fail500());
    assert.deepEqual(await s.eventTypes(), [], 'two failures are not an outage');
    await s.probe('m1', fail500());
    const thirdAt = s.clock.now();
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded'], 'opened within the probe interval of the third failure');

    const open = (await s.get('/v1/incidents?status=open')).body.data;
    assert.equal(open.length, 1);
    assert.equal(open[0].severity, 'major_outage');
    assert.equal(open[0].scope, 'provider');
    assert.equal(open[0].started_at, new Date(thirdAt).toISOString());
    assert.deepEqual(open[0].cause, { rule: 'consecutive_failures', value: 3, threshold: 3, window: null, samples: 3, model: 'm1' });
    const created = (await s.events())[0]!;
    assert.equal((created.data as any).incident.id, open[0].id);

    // One success is not a recovery; the second success in a row is (2 clear evaluations).
    await s.probe('m1', ok());
    assert.equal((await s.eventTypes()).length, 2, 'held after one success');
    await s.probe('m1', ok());
    // 3 failures in 60 probes still weigh 5% over 30 min: the outage steps down to degraded, it does not end.
    assert.deepEqual((await s.eventTypes()).slice(2), ['incident.updated']);
    let detail = (await s.get(`/v1/incidents/${open[0].id}`)).body;
    assert.equal(detail.severity, 'degraded');
    assert.equal(detail.timeline[1].kind, 'severity_changed');
    assert.equal(detail.timeline[1].cause.rule, 'recovery', 'the step down was the hysteresis being met');
    assert.equal(detail.cause.rule, 'degraded_error_rate', 'what keeps it open');

    // Once the first failure leaves the 30-minute window, two clear evaluations resolve it, once.
    for (let i = 0; i < 60; i++) await s.probe('m1', ok());
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded', 'incident.updated', 'incident.updated', 'provider.recovered']);
    detail = (await s.get(`/v1/incidents/${open[0].id}`)).body;
    assert.equal(detail.status, 'resolved');
    assert.deepEqual(detail.timeline.map((u: any) => [u.kind, u.severity, u.cause.rule]), [
      ['opened', 'major_outage', 'consecutive_failures'],
      ['severity_changed', 'degraded', 'recovery'],
      ['resolved', 'degraded', 'recovery'],
    ]);
    // Resolved on the second evaluation after the first failure left the window (30 min + 2 probes after it).
    assert.equal(Date.parse(detail.resolved_at) - (thirdAt - 2 * INTERVAL_MS), 30 * 60_000 + INTERVAL_MS);
    const last = (await s.events()).at(-1)!;
    assert.equal((last.data as any).status, 'operational');
    assert.equal((last.data as any).incident_id, open[0].id);
  } finally {
    await s.stop();
  }
});

test('a flapping provider (fail, ok, fail, ok …) opens at most one incident per 15 minutes', async () => {
  const s = await startScenario();
  try {
    await warmUp(s);
    const start = s.clock.now();
    // An hour of alternating answers.
    for (let i = 0; i < 120; i++) await s.probe('m1', i % 2 === 0 ? fail500() : ok());
    const created = (await s.events()).filter((e) => e.type === 'incident.created').map((e) => Date.parse(e.created_at));
    assert.ok(created.length >= 1, 'flapping at 50% errors is an outage');
    for (let i = 1; i < created.length; i++) assert.ok(created[i]! - created[i - 1]! >= 15 * 60_000, 'no two incidents within 15 min');
    assert.ok(created.length <= Math.ceil((s.clock.now() - start) / (15 * 60_000)));
    // Alternating never gives 2 successes in a row: the one incident stays open and only worsens
    // as the error share crosses 5% / 30 min, 20% / 15 min, then 50% / 10 min.
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded', 'incident.updated', 'incident.updated']);
    const list = (await s.get('/v1/incidents')).body.data;
    assert.equal(list.length, 1);
    assert.equal(list[0].status, 'open');
    assert.equal(list[0].severity, 'major_outage');
    assert.equal(list[0].cause.rule, 'major_error_rate');
    const detail = (await s.get(`/v1/incidents/${list[0].id}`)).body;
    assert.deepEqual(detail.timeline.map((u: any) => [u.kind, u.severity, u.cause.rule]), [
      ['opened', 'degraded', 'degraded_error_rate'],
      ['severity_changed', 'partial_outage', 'partial_error_rate'],
      ['severity_changed', 'major_outage', 'major_error_rate'],
    ]);
  } finally {
    await s.stop();
  }
});

test('an incident that recurs within 15 minutes of resolving reopens instead of opening a new one', async () => {
  const s = await startScenario({ thresholds: { degraded_error_rate: 0.5, partial_error_rate: 0.9 } });
  try {
    await warmUp(s);
    for (let i = 0; i < 3; i++) await s.probe('m1', fail500());
    for (let i = 0; i < 2; i++) await s.probe('m1', ok());
    assert.deepEqual(await s.eventTypes(), ['incident.created', 'provider.degraded', 'incident.updated', 'provider.recovered']);
    const resolvedAt = s.clock.now();
    for (let i = 0; i < 3; i++) await s.probe('m1', fail500());
    assert.ok(s.clock.now() - resolvedAt <= 15 * 60_000);
    assert.deepEqual((await s.eventTypes()).slice(4), ['incident.updated', 'provider.degraded']);
    const list = (await s.get('/v1/incidents')).body.data;
    assert.equal(list.length, 1, 'the same incident, reopened');
    const detail = (await s.get(`/v1/incidents/${list[0].id}`)).body;
    assert.deepEqual(detail.timeline.map((u: any) => u.kind), ['opened', 'resolved', 'reopened']);

    // After more than 15 minutes of health, a new failure run is a new incident.
    for (let i = 0; i < 2 + (16 * 60_000) / INTERVAL_MS; i++) await s.probe('m1', ok());
    for (let i = 0; i < 3; i++) await s.probe('m1', fail500());
    assert.equal((await s.get('/v1/incidents')).body.data.length, 2);
    assert.deepEqual((await s.eventTypes()).slice(-2), ['incident.created', 'provider.degraded']);
  } finally {
    await s.stop();
  }
});
