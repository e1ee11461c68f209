import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createManualClock } from '../src/lib/clock.ts';
import { addIncidentUpdate, saveIncident } from '../src/store/incidents.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKeys, type TestKeys } from './helpers/keys.ts';
import { loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';

const T0 = Date.UTC(2026, 10, 20);
const H = 3_600_000;
let t: TestApp;
let keys: TestKeys;
let api: OpenApiChecker;

/** Every answer is also checked against the OpenAPI document the server serves. */
const get = async (path: string) => {
  const res = await api.fetch(path, { headers: keys.auth() });
  return { status: res.status, body: res.body, requestId: res.headers.get('x-request-id') };
};

before(async () => {
  t = await startTestApp(
    {
      defaults: { schedule: '0 0 1 1 *' },
      providers: [
        { slug: 'acme', name: 'Acme AI', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'm1' }, { slug: 'm2' }] },
        { slug: 'beta', kind: 'anthropic', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'm1' }] },
      ],
    },
    { clock: createManualClock(T0 + 100 * H) },
  );
  keys = await createTestKeys(t);
  api = await loadOpenApi(t.url);
  const providerId = (slug: string) => t.app.targets().find((x) => x.providerSlug === slug)!.providerId;
  const cause = { rule: 'consecutive_failures', value: 3, threshold: 3, window: null, samples: 3, model: 'm1' };
  // Five incidents, one hour apart: #0 oldest … #4 newest; even ones resolved after 30 min.
  const specs = [
    { provider: 'acme', models: ['m1'] },
    { provider: 'beta', models: ['m1'] },
    { provider: 'acme', models: ['m2'] },
    { provider: 'acme', models: ['m1', 'm2'] },
    { provider: 'beta', models: ['m1'] },
  ];
  await t.app.db.kysely.transaction().execute(async (trx) => {
    for (const [i, spec] of specs.entries()) {
      const startedAt = T0 + i * H;
      const resolvedAt = i % 2 === 0 ? startedAt + H / 2 : null;
      const id = `inc_${i}test`;
      const incident = { id, providerId: providerId(spec.provider), status: resolvedAt ? 'resolved' : 'open', severity: 'major_outage', scope: 'model', affectedModels: spec.models, title: `#${i}`, cause, startedAt, updatedAt: resolvedAt ?? startedAt, resolvedAt } as const;
      await saveIncident(trx, incident, true);
      await addIncidentUpdate(trx, { incidentId: id, at: startedAt, kind: 'opened', status: 'open', severity: 'major_outage', affectedModels: spec.models, message: 'Opened', cause });
      if (resolvedAt) await addIncidentUpdate(trx, { incidentId: id, at: resolvedAt, kind: 'resolved', status: 'resolved', severity: 'major_outage', affectedModels: spec.models, message: 'Resolved', cause: { ...cause, rule: 'recovery' } });
    }
  });
});

after(() => t.stop());

const titles = (body: any) => body.data.map((i: any) => i.title);

test('list: newest first, with each filter', async () => {
  assert.deepEqual(titles((await get('/v1/incidents')).body), ['#4', '#3', '#2', '#1', '#0']);
  assert.deepEqual(titles((await get('/v1/incidents?status=open')).body), ['#3', '#1']);
  assert.deepEqual(titles((await get('/v1/incidents?status=resolved')).body), ['#4', '#2', '#0']);
  assert.deepEqual(titles((await get('/v1/incidents?provider=beta')).body), ['#4', '#1']);
  assert.deepEqual(titles((await get('/v1/incidents?model=m2')).body), ['#3', '#2']);
  assert.deepEqual(titles((await get('/v1/incidents?provider=acme&model=m1')).body), ['#3', '#0']);
  // since: still open then, or started after: #0 resolved at 0:30 is out, #1 (open) is in.
  assert.deepEqual(titles((await get(`/v1/incidents?since=${new Date(T0 + H).toISOString()}`)).body), ['#4', '#3', '#2', '#1']);
  assert.deepEqual(titles((await get(`/v1/incidents?since=${new Date(T0 + 4.75 * H).toISOString()}`)).body), ['#3', '#1']);
});

test('list: pages by cursor without skipping or repeating', async () => {
  const seen: string[] = [];
  let path = '/v1/incidents?limit=2';
  for (;;) {
    const { body } = await get(path);
    seen.push(...titles(body));
    if (!body.has_more) {
      assert.equal(body.next_cursor, null);
      break;
    }
    path = `/v1/incidents?limit=2&cursor=${body.next_cursor}`;
  }
  assert.deepEqual(seen, ['#4', '#3', '#2', '#1', '#0']);
});

test('one incident with its timeline, oldest first', async () => {
  const { status, body } = await get('/v1/incidents/inc_2test');
  assert.equal(status, 200);
  assert.equal(body.provider, 'acme');
  assert.equal(body.provider_name, 'Acme AI');
  assert.equal(body.resolved_at, new Date(T0 + 2.5 * H).toISOString());
  assert.deepEqual(body.timeline.map((u: any) => [u.kind, u.cause.rule]), [['opened', 'consecutive_failures'], ['resolved', 'recovery']]);
  assert.deepEqual([body.timeline_has_more, body.timeline_next_cursor], [false, null], 'a short timeline is whole');
});

test('errors: unknown id 404, bad filters 400, each with a request id; a key is required', async () => {
  const missing = await get('/v1/incidents/inc_nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error, 'not_found');
  assert.equal(missing.body.request_id, missing.requestId);
  for (const query of ['status=closed', 'since=yesterday', 'limit=0', 'cursor=bogus', 'provider=Not_A_Slug', 'colour=red']) {
    const res = await get(`/v1/incidents?${query}`);
    assert.equal(res.status, 400, query);
    assert.equal(res.body.error, 'invalid_request', query);
  }
  assert.equal((await fetch(`${t.url}/v1/incidents`)).status, 401);
  assert.deepEqual([...(api.checked.get('listIncidents') ?? [])].sort(), [200, 400]);
  assert.deepEqual([...(api.checked.get('getIncident') ?? [])].sort(), [200, 404]);
});
