import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { validateConfig } from '../src/config/load.ts';
import type { ConfigInput } from '../src/config/schema.ts';
import { createMemoryLogger } from '../src/lib/logger.ts';
import { createPipeline, type Pipeline } from '../src/scheduler/pipeline.ts';
import { createRollupStage } from '../src/scheduler/rollup-stage.ts';
import { createStatusStage } from '../src/scheduler/status-stage.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKeys, type TestKeys } from './helpers/keys.ts';
import { createManualTimers, createScenarioClock } from './helpers/manual-timers.ts';
import { probeResult, snapshot } from './helpers/metrics-db.ts';

/**
 * `GET /metrics` against the real server with a real SQLite file, parsed by an independent
 * Prometheus text-format parser, and checked against what the JSON API says of the same data.
 */
const NOW = Date.UTC(2026, 0, 10, 12, 0, 30);
const provider = (slug: string, models: string[]) => ({ slug, name: slug.toUpperCase(), kind: 'openai' as const, base_url: `http://127.0.0.1:9/${slug}`, models: models.map((m) => ({ slug: m })) });
const CONFIG: ConfigInput = { providers: [provider('alpha', ['m1', 'm2']), provider('beta', ['m1'])] };

let t: TestApp;
let keys: TestKeys;
let pipeline: Pipeline;

async function record(key: string, result: Parameters<typeof probeResult>[0]) {
  const target = t.app.targets().find((x) => x.key === key)!;
  await pipeline.record(target, probeResult(result));
}

before(async () => {
  const clock = createScenarioClock(NOW - 40 * 60_000);
  t = await startTestApp(CONFIG, { clock, timers: createManualTimers(clock) });
  keys = await createTestKeys(t);
  const logger = createMemoryLogger();
  pipeline = createPipeline({ db: t.app.db, stages: [createRollupStage(), createStatusStage({ config: () => t.app.config(), clock, logger })], afterCommit: [], logger });
  for (let i = 0; i < 30; i++) {
    const at = NOW - 30 * 60_000 + i * 60_000;
    clock.set(at);
    await record('alpha/m1', { startedAt: at, latencyMs: 200 + 10 * i, ttftMs: 80 + i, rateLimit: snapshot(100 - i, 100) });
    await record('alpha/m2', { startedAt: at, latencyMs: 500 });
    // beta fails every probe: its status leaves `operational` and an incident opens.
    await record('beta/m1', { startedAt: at, ok: false, errorClass: 'server_error' });
  }
  clock.set(NOW);
});

after(() => t.stop());

async function scrape(query = ''): Promise<{ status: number; headers: Headers; families: Map<string, PrometheusFamily> }> {
  const res = await fetch(`${t.url}/metrics${query}`, { headers: keys.auth() });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return { status: res.status, headers: res.headers, families: new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f])) };
}

function value(families: Map<string, PrometheusFamily>, name: string, labels: Record<string, string>): number | undefined {
  const family = families.get(name);
  assert.ok(family, `family ${name} is exported`);
  const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample === undefined ? undefined : Number(sample.value);
}

// JSON bodies, read field by field below.
const json = async (res: Response): Promise<any> => res.json();
const apiGet = async (path: string) => json(await fetch(`${t.url}${path}`, { headers: keys.auth() }));

test('a scrape needs a read key, like the API, and carries the rate-limit headers', async () => {
  const anonymous = await fetch(`${t.url}/metrics`);
  assert.equal(anonymous.status, 401);
  const body = await json(anonymous);
  assert.equal(body.error, 'unauthorized');
  assert.match(body.request_id, /^req_/);
  const { headers } = await scrape();
  assert.match(headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.ok(headers.get('x-ratelimit-limit'), 'rate-limit headers on a scrape');
  assert.ok(headers.get('x-request-id'));
});

test('per-target numbers are the same as the JSON API gives for the window', async () => {
  const { families } = await scrape();
  const api = await apiGet('/v1/providers/alpha/metrics?window=1h');
  for (const model of ['m1', 'm2']) {
    const labels = { provider: 'alpha', model, window: '1h' };
    const fromApi = api.models.find((m: { slug: string }) => m.slug === model).metrics;
    assert.equal(value(families, 'cappulse_window_probes', labels), fromApi.probes);
    assert.equal(value(families, 'cappulse_window_availability_ratio', labels), fromApi.availability);
    assert.equal(value(families, 'cappulse_window_error_ratio', labels), fromApi.error_rate);
    for (const [quantile, key] of [['0.5', 'p50'], ['0.9', 'p90'], ['0.95', 'p95'], ['0.99', 'p99']] as const) {
      assert.equal(value(families, 'cappulse_window_latency_seconds', { ...labels, quantile }), fromApi.latency_ms[key] / 1000, `${model} latency ${key}`);
      assert.equal(value(families, 'cappulse_window_ttft_seconds', { ...labels, quantile }), fromApi.ttft_ms[key] / 1000, `${model} ttft ${key}`);
    }
  }
  assert.equal(value(families, 'cappulse_window_probes', { provider: 'alpha', model: 'm1', window: '1h' }), 30);
  assert.equal(value(families, 'cappulse_window_rate_limit_lowest_remaining_ratio', { provider: 'alpha', model: 'm1' }), 71 / 100);
  assert.equal(value(families, 'cappulse_window_error_ratio', { provider: 'beta', model: 'm1' }), 1);
  assert.equal(value(families, 'cappulse_window_latency_seconds', { provider: 'beta', model: 'm1' }), undefined, 'no successful probe: no latency series');
});

test('statuses are state sets matching the API, and open incidents are counted per provider', async () => {
  const { families } = await scrape();
  const providers = await apiGet('/v1/providers');
  for (const p of providers.data as Array<{ slug: string; status: string; models: Array<{ slug: string; status: string }> }>) {
    const set = families.get('cappulse_provider_status')!.metrics.filter((m) => m.labels?.provider === p.slug);
    assert.deepEqual(set.filter((m) => Number(m.value) === 1).map((m) => m.labels?.status), [p.status], `${p.slug}: exactly its status is 1`);
    assert.ok(set.length >= 5, 'every status is exported');
    for (const model of p.models) {
      assert.equal(value(families, 'cappulse_target_status', { provider: p.slug, model: model.slug, status: model.status }), 1);
    }
  }
  assert.notEqual(providers.data.find((p: { slug: string }) => p.slug === 'beta').status, 'operational', 'the scenario made beta fail');
  const open = await apiGet('/v1/incidents?status=open&provider=beta');
  assert.ok(open.data.length > 0);
  assert.equal(value(families, 'cappulse_incidents_open', { provider: 'beta' }), open.data.length);
  assert.equal(value(families, 'cappulse_incidents_open', { provider: 'alpha' }), 0);
  assert.equal(families.get('cappulse_build_info')!.metrics[0]!.labels?.version, (await json(await fetch(`${t.url}/healthz`))).version);
  assert.ok(families.has('process_cpu_seconds_total'), "Node's process metrics are included");
  assert.equal(value(families, 'cappulse_webhook_deliveries', { status: 'pending' }), 0);
});

test('the window is chosen by ?window=, and bad query parameters are 400s in the API error shape', async () => {
  const { families } = await scrape('?window=24h');
  assert.equal(value(families, 'cappulse_window_probes', { provider: 'alpha', model: 'm1', window: '24h' }), 30);
  for (const query of ['?window=2h', '?verbose=1']) {
    const res = await fetch(`${t.url}/metrics${query}`, { headers: keys.auth() });
    assert.equal(res.status, 400, query);
    assert.equal((await json(res)).error, 'invalid_request');
  }
});

test('a provider removed from the config stops being exported', async () => {
  await t.app.reload(validateConfig({ ...CONFIG, providers: CONFIG.providers!.slice(0, 1), server: { port: 0 }, storage: { path: t.dbPath } }, 'test', {}));
  const { families } = await scrape();
  for (const family of families.values()) {
    assert.ok(family.metrics.every((m) => m.labels?.provider !== 'beta'), `${family.name} has no beta series`);
  }
  assert.equal(value(families, 'cappulse_window_probes', { provider: 'alpha', model: 'm1' }), 30);
});
