import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import type { ConfigInput } from '../src/config/schema.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import { createPipeline, type Pipeline } from '../src/scheduler/pipeline.ts';
import { createRollupStage } from '../src/scheduler/rollup-stage.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKeys, type TestKeys } from './helpers/keys.ts';
import { createManualTimers, createScenarioClock } from './helpers/manual-timers.ts';
import { probeResult, snapshot } from './helpers/metrics-db.ts';
import { loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';

/**
 * The read API against the real server on port 0 with a real SQLite file: every answer is
 * checked against the served OpenAPI document, errors carry the request id of their header.
 */
const NOW = Date.UTC(2026, 0, 10, 12, 0, 30);
const provider = (slug: string, models: string[]) => ({ slug, name: slug.toUpperCase(), kind: 'openai' as const, base_url: `http://127.0.0.1:9/${slug}`, models: models.map((m) => ({ slug: m })) });
const CONFIG: ConfigInput = {
  providers: [provider('alpha', ['m1', 'm2']), provider('beta', ['m1']), provider('delta', ['m3']), provider('gamma', ['m4'])],
};

let t: TestApp;
let keys: TestKeys;
let api: OpenApiChecker;
let pipeline: Pipeline;

async function record(key: string, result: Parameters<typeof probeResult>[0]) {
  const target = t.app.targets().find((x) => x.key === key)!;
  await pipeline.record(target, probeResult(result));
}

before(async () => {
  const clock = createScenarioClock(NOW);
  // Manual timers: nothing probes on its own, so the counts below are exactly what was recorded.
  t = await startTestApp(CONFIG, { clock, timers: createManualTimers(clock) });
  keys = await createTestKeys(t);
  api = await loadOpenApi(t.url);
  pipeline = createPipeline({ db: t.app.db, stages: [createRollupStage()], afterCommit: [], logger: createMemoryLogger() });
  for (let i = 0; i < 40; i++) {
    const at = NOW - 50 * 60_000 + i * 60_000;
    await record('alpha/m1', { startedAt: at, latencyMs: 200 + i, ttftMs: 80, rateLimit: snapshot(100 - i, 100) });
    await record('beta/m1', i % 2 === 0 ? { startedAt: at, ok: false, errorClass: 'server_error' } : { startedAt: at, latencyMs: 900 + i });
    if (i % 4 === 0) await record('alpha/m2', { startedAt: at - 3 * 86_400_000, ok: false, errorClass: 'rate_limited' });
  }
  // gamma leaves the config: it stays readable, but lists hide it unless asked.
  await t.app.reload(validateConfig({ ...CONFIG, providers: CONFIG.providers!.slice(0, 3), server: { port: 0 }, storage: { path: t.dbPath } }, 'test', {}));
});

after(() => t.stop());

const get = (path: string) => api.fetch(path, { headers: keys.auth() });

test('GET /v1/providers lists configured providers with status and models, page by page', async () => {
  const all = await get('/v1/providers');
  assert.equal(all.status, 200);
  assert.deepEqual(all.body.data.map((p: { slug: string }) => p.slug), ['alpha', 'beta', 'delta']);
  const alpha = all.body.data[0];
  assert.deepEqual({ ...alpha, models: alpha.models.map((m: { slug: string }) => m.slug) }, {
    slug: 'alpha',
    name: 'ALPHA',
    kind: 'openai',
    active: true,
    status: 'unknown',
    since: null,
    maintenance: false,
    models: ['m1', 'm2'],
  });

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await get(`/v1/providers?limit=2&include_inactive=true${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.status, 200);
    seen.push(...page.body.data.map((p: { slug: string }) => p.slug));
    cursor = page.body.next_cursor;
    assert.equal(page.body.has_more, cursor !== null);
    pages += 1;
  } while (cursor);
  assert.deepEqual(seen, ['alpha', 'beta', 'delta', 'gamma']);
  assert.equal(pages, 2);
  const gamma = await get('/v1/providers/gamma');
  assert.equal(gamma.body.active, false, 'a removed provider is still readable, marked inactive');
});

test('provider metrics: window shapes, exact counts and a per-model breakdown', async () => {
  const hour = await get('/v1/providers/alpha/metrics?window=1h');
  assert.equal(hour.status, 200);
  assert.equal(hour.body.provider.slug, 'alpha');
  const m = hour.body.metrics;
  assert.equal(m.window, '1h');
  assert.equal(m.to, new Date(NOW).toISOString());
  assert.equal(m.probes, 40);
  assert.equal(m.counts.ok, 40);
  assert.equal(m.availability, 1);
  assert.equal(m.latency_ms.samples, 40);
  assert.equal(m.latency_ms.max, 239);
  assert.equal(m.rate_limit.lowest_ratio, 0.61);
  assert.deepEqual(m.rate_limit.latest, snapshot(61, 100));
  assert.equal(m.series.bucket, '1m');
  assert.equal(m.series.points.length, 61);
  assert.deepEqual(hour.body.models.map((x: { slug: string; metrics: { probes: number } }) => [x.slug, x.metrics.probes]), [['m1', 40], ['m2', 0]]);

  const week = await get('/v1/providers/alpha/metrics?window=7d');
  assert.equal(week.body.metrics.probes, 50);
  assert.equal(week.body.metrics.rate_limited_rate, 10 / 50);
  assert.equal(week.body.metrics.series.bucket, '1h');
  assert.equal(week.body.metrics.series.points.length, 169);
  const day = await get('/v1/providers/alpha/metrics');
  assert.equal(day.body.metrics.window, '24h', 'the window defaults to 24h');
  assert.equal(day.body.metrics.series.bucket, '15m');
  const empty = await get('/v1/providers/delta/metrics?window=24h');
  assert.equal(empty.body.metrics.probes, 0);
  assert.equal(empty.body.metrics.availability, null);
  assert.equal(empty.body.metrics.latency_ms, null);
});

test("metrics reads go through the server's window cache: they write nothing and see a late result at once", async () => {
  const path = '/v1/providers/alpha/metrics?window=7d';
  const before = await get(path);
  assert.deepEqual((await get(path)).body.metrics, before.body.metrics, 'a warm read answers the same');
  const cacheTables = t.app.db.sqlite.prepare("select count(*) as n from sqlite_master where name = 'rollup_spans'").get() as { n: number };
  assert.equal(cacheTables.n, 0, 'no cache row is written by a GET: the merges live in memory, and the old cache table is gone');
  // Three days back: inside the closed hours the server has merged and kept.
  await record('alpha/m2', { startedAt: NOW - 3 * 86_400_000 + 1_000, latencyMs: 777 });
  const after = await get(path);
  assert.equal(after.body.metrics.probes, before.body.metrics.probes + 1);
  assert.equal(after.body.metrics.counts.ok, before.body.metrics.counts.ok + 1);
});

test('a model served by two providers, one failing, blends both and breaks them down', async () => {
  const model = await get('/v1/models/m1');
  assert.deepEqual(model.body.providers.map((p: { slug: string }) => p.slug), ['alpha', 'beta']);
  const res = await get('/v1/models/m1/metrics?window=1h');
  assert.equal(res.status, 200);
  const { metrics, providers } = res.body;
  assert.equal(metrics.probes, 80);
  assert.equal(metrics.counts.ok, 60);
  assert.equal(metrics.counts.server_error, 20);
  assert.equal(metrics.availability, 60 / 80);
  assert.equal(metrics.error_rate, 20 / 80);
  assert.equal(metrics.latency_ms.samples, 60);
  assert.equal(metrics.latency_ms.max, 939);
  const byProvider = Object.fromEntries(providers.map((p: { slug: string; metrics: { availability: number; probes: number } }) => [p.slug, p.metrics]));
  assert.equal(byProvider.alpha.availability, 1);
  assert.equal(byProvider.beta.availability, 0.5);
  assert.equal(byProvider.beta.probes, 40);
  const models = await get('/v1/models');
  assert.deepEqual(models.body.data.map((x: { slug: string }) => x.slug), ['m1', 'm2', 'm3']);
  const withRemoved = await get('/v1/models?include_inactive=true');
  assert.deepEqual(withRemoved.body.data.map((x: { slug: string }) => x.slug), ['m1', 'm2', 'm3', 'm4']);
});

test('errors: unknown slug 404, bad window or parameter 400, each with the request id of its header', async () => {
  const cases = [
    { path: '/v1/providers/nope', status: 404, code: 'not_found', message: /no provider has slug "nope"/ },
    { path: '/v1/providers/nope/metrics?window=1h', status: 404, code: 'not_found', message: /nope/ },
    { path: '/v1/models/nope/metrics', status: 404, code: 'not_found', message: /no model has slug "nope"/ },
    { path: '/v1/providers/alpha/metrics?window=2d', status: 400, code: 'invalid_request', message: /window.*1h, 24h or 7d/ },
    { path: '/v1/models/m1/metrics?window=', status: 400, code: 'invalid_request', message: /window/ },
    { path: '/v1/providers/alpha/metrics?windows=1h', status: 400, code: 'invalid_request', message: /unknown query parameter "windows"/ },
    { path: '/v1/providers/Not%20A%20Slug', status: 400, code: 'invalid_request', message: /slug/ },
    { path: '/v1/providers?cursor=garbage', status: 400, code: 'invalid_request', message: /cursor/ },
    { path: '/v1/models?limit=0', status: 400, code: 'invalid_request', message: /limit/ },
    { path: '/v1/providers?include_inactive=maybe', status: 400, code: 'invalid_request', message: /true or false/ },
  ];
  for (const c of cases) {
    const res = await get(c.path);
    assert.equal(res.status, c.status, c.path);
    assert.equal(res.body.error, c.code, c.path);
    assert.match(res.body.message, c.message, c.path);
    assert.match(res.body.request_id, /^req_/);
    assert.equal(res.headers.get('x-request-id'), res.body.request_id, c.path);
  }
  const anonymous = await api.fetch('/v1/providers');
  assert.equal(anonymous.status, 401, 'the read routes need a key');
});

test('an unexpected failure is a 500 internal_error that reveals nothing', async () => {
  const db = t.app.db.kysely;
  const target = t.app.targets().find((x) => x.key === 'delta/m3')!;
  await record('delta/m3', { startedAt: NOW - 10 * 60_000, latencyMs: 100 });
  // A digest no version of CapPulse wrote: decoding it throws deep inside the read.
  await db.updateTable('rollups_minute').set({ latency_digest: Buffer.from([9, 9, 9]) }).where('target_id', '=', target.id).execute();
  // Plain fetch: the OpenAPI checker treats any 500 as a failure, which here is the point.
  const res = await fetch(`${t.url}/v1/providers/delta/metrics?window=1h`, { headers: keys.auth() });
  const body = (await res.json()) as { error: string; message: string; request_id: string };
  assert.equal(res.status, 500);
  assert.equal(body.error, 'internal_error');
  assert.equal(res.headers.get('x-request-id'), body.request_id);
  assert.doesNotMatch(body.message, /digest|version|sqlite|\/work\//i);
  assert.ok(t.logs.some((line) => line.includes('request_crashed') && line.includes(body.request_id)));
  await db.deleteFrom('rollups_minute').where('target_id', '=', target.id).execute();
});
