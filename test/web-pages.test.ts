import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DASHBOARD_ASSETS } from '../src/web/assets.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { NOW, recordResults, seedHistory, seedIncident, setStatus, startDashboardApp } from './helpers/web-seed.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const EVIL = 'Acme <script>alert("x")</script> & Co';
const EVIL_REASON = '</script><script>alert(1)</script>';

async function get(t: TestApp, path: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${t.url}${path}`);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** The JSON a chart embeds, by its element id. */
function chartData(page: string, id: string): any {
  const match = new RegExp(`<script type="application/json" id="${id}">(.*?)</script>`, 's').exec(page);
  assert.ok(match, `chart data ${id} present`);
  return JSON.parse(match[1]!);
}

/** Assertions with explicit messages: a failing assert.ok without one makes Node re-parse the source, very slowly under tsx. */
function has(text: string, ...parts: string[]): void {
  for (const part of parts) assert.ok(text.includes(part), `expected the page to contain ${JSON.stringify(part)}`);
}

function hasNot(text: string, ...parts: string[]): void {
  for (const part of parts) assert.ok(!text.includes(part), `expected the page not to contain ${JSON.stringify(part)}`);
}

function rowOf(page: string, marker: string): string {
  const row = page.split('<tr').find((r) => r.includes(marker));
  assert.ok(row, `a row containing ${marker}`);
  return row;
}

describe('dashboard on a fresh database with no providers', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.stop());

  const cases = [
    { path: '/', expect: ['<h1>Live</h1>', 'No providers yet', 'cappulse serve --demo', '<meta http-equiv="refresh" content="30">'] },
    { path: '/incidents', expect: ['No incidents', 'aria-current="true">all<'] },
    { path: '/incidents?status=open', expect: ['Nothing is open right now.'] },
    { path: '/reports', expect: ['No probes in this period', 'week of'] },
    { path: '/reports?period=month', expect: ['No probes in this period', 'aria-current="true">month<'] },
  ];
  for (const c of cases) {
    test(`${c.path} renders its empty state`, async () => {
      const res = await get(t, c.path);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.match(res.headers.get('x-request-id') ?? '', /^req_/);
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      for (const part of c.expect) assert.ok(res.text.includes(part), `${c.path} contains ${part}`);
      assert.ok(!res.text.includes('NaN') && !res.text.includes('undefined'), 'no NaN or undefined on the page');
    });
  }

  test('unknown provider, model and incident are HTML 404 pages', async () => {
    for (const [path, message] of [
      ['/providers/nope', 'no provider &quot;nope&quot;'],
      ['/models/nope', 'no model &quot;nope&quot;'],
      ['/incidents/inc_nope', 'no incident with id &quot;inc_nope&quot;'],
    ] as const) {
      const res = await get(t, path);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.ok(res.text.includes('<h1>Not found</h1>') && res.text.includes(message), `${path}: ${res.text}`);
    }
  });

  test('every listed asset exists in the tree and is served with its type; others are 404', async () => {
    for (const asset of DASHBOARD_ASSETS) {
      assert.ok(existsSync(new URL(`../${asset.source}`, import.meta.url)), `${asset.source} exists`);
      const res = await fetch(`${t.url}/assets/${asset.name}`);
      assert.equal(res.status, 200, asset.name);
      assert.equal(res.headers.get('content-type'), asset.contentType);
      assert.ok((await res.arrayBuffer()).byteLength > 100, `${asset.name} has content`);
    }
    assert.equal((await fetch(`${t.url}/assets/..%2Fpackage.json`)).status, 404);
    assert.equal((await fetch(`${t.url}/assets/nope.js`)).status, 404);
  });
});

describe('dashboard with providers that have not been probed yet', () => {
  let t: TestApp;
  before(async () => {
    t = await startDashboardApp({ providers: [{ slug: 'acme', name: 'Acme', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'm1' }] }] });
  });
  after(() => t.stop());

  test('the live page lists the provider as unknown, with dashes and empty sparklines', async () => {
    const res = await get(t, '/');
    assert.equal(res.status, 200);
    const row = rowOf(res.text, 'href="/providers/acme"');
    has(row, 's-unknown', 'not evaluated yet', '—', 'spark-empty');
  });

  test('provider and model pages show empty charts without a chart script payload', async () => {
    for (const path of ['/providers/acme', '/models/m1', '/providers/acme?window=7d']) {
      const res = await get(t, path);
      assert.equal(res.status, 200, path);
      has(res.text, 'No data in this window');
      hasNot(res.text, 'data-chart=', 'NaN');
    }
  });
});

describe('dashboard with seeded data', () => {
  let t: TestApp;
  const openId = 'inc_open0000000000000001';
  const resolvedId = 'inc_done0000000000000001';

  before(async () => {
    t = await startDashboardApp({
      providers: [
        { slug: 'acme', name: EVIL, kind: 'openai', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'm1', name: 'Model <b>One</b>' }, { slug: 'm2' }] },
        { slug: 'beta', name: 'Beta', kind: 'anthropic', base_url: 'http://127.0.0.1:9/v1', models: [{ slug: 'm1' }] },
      ],
      maintenance: [{ provider: 'acme', start: new Date(NOW - 2 * HOUR).toISOString(), end: new Date(NOW - HOUR - 30 * MIN).toISOString(), reason: EVIL_REASON }],
    });
    const day = { from: NOW - 24 * HOUR, to: NOW, everyMs: 5 * MIN };
    await seedHistory(t, 'acme/m1', { ...day, medianMs: 400, errorRate: 0.05, rateLimitedRate: 0.05, seed: 1 });
    await seedHistory(t, 'acme/m2', { ...day, medianMs: 900, errorRate: 0, rateLimitedRate: 0, seed: 2 });
    // Beta: exactly 10 probes in the last hour: 8 ok, one server error, one 429.
    await recordResults(t, 'beta/m1', [
      ...Array.from({ length: 8 }, (_, i) => ({ startedAt: NOW - 50 * MIN + i * 5 * MIN, latencyMs: 100 * (i + 1) })),
      { startedAt: NOW - 9 * MIN, errorClass: 'server_error' as const },
      { startedAt: NOW - 4 * MIN, errorClass: 'rate_limited' as const },
    ]);
    await setStatus(t, 'acme', 'degraded', NOW - 20 * MIN, { m1: 'degraded', m2: 'operational' });
    await seedIncident(t, { id: openId, providerSlug: 'acme', title: `${EVIL} m1: major outage`, models: ['m1'], startedAt: NOW - 20 * MIN, resolvedAt: null });
    await seedIncident(t, { id: resolvedId, providerSlug: 'beta', title: 'Beta m1: major outage', models: ['m1'], startedAt: NOW - 3 * HOUR, resolvedAt: NOW - 2 * HOUR });
  });
  after(() => t.stop());

  test('live page: status with since, exact rates, sparklines, open incidents, no API key needed', async () => {
    const res = await get(t, '/');
    assert.equal(res.status, 200);
    const table = res.text.slice(res.text.indexOf('<table class="live">'));
    const beta = rowOf(table, 'href="/providers/beta"');
    assert.ok(beta.includes('11.11%'), 'error rate 1 failure / 9 counted probes');
    assert.ok(beta.includes('10.00%'), 'rate-limited 1 of 10 probes');
    assert.ok(beta.includes('>10<'), '10 probes');
    assert.ok(beta.includes('<polyline'), 'a drawn sparkline');
    const acme = rowOf(table, 'href="/providers/acme"');
    has(acme, 's-degraded', 'since 20 min ago');
    has(res.text, 'Open incidents', `href="/incidents/${openId}"`);
    assert.ok(!res.text.includes(`href="/incidents/${resolvedId}"`), 'resolved incidents are not on the live page');
  });

  test('names are escaped everywhere, including inside chart data', async () => {
    for (const path of ['/', '/providers/acme?window=24h', '/models/m1', '/incidents', `/incidents/${openId}`, '/reports?period=day']) {
      const res = await get(t, path);
      assert.equal(res.status, 200, path);
      assert.ok(!res.text.includes('<script>alert'), `${path} has no injected script`);
      assert.ok(!res.text.includes('<b>One</b>'), `${path} has no injected markup`);
    }
    const provider = await get(t, '/providers/acme');
    has(provider.text, 'Acme &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co', 'Model &lt;b&gt;One&lt;/b&gt;');
    // The maintenance reason travels in chart JSON: `<` is escaped so it cannot close the script.
    has(provider.text, '\\u003c/script>\\u003cscript>alert(1)\\u003c/script>');
    assert.equal(chartData(provider.text, 'chart-data-latency').bands[0][2], EVIL_REASON);
  });

  test('provider page: headline, p50/p95/p99 and rate series, per-model breakdown, maintenance marked', async () => {
    const res = await get(t, '/providers/acme?window=24h');
    assert.equal(res.status, 200);
    const latency = chartData(res.text, 'chart-data-latency');
    assert.equal(latency.unit, 'ms');
    assert.deepEqual(latency.series.map((s: { label: string }) => s.label), ['p50', 'p95', 'p99']);
    assert.equal(latency.x.length, 97, '24h of 15-minute buckets (the first one partial)');
    const [p50, p95, p99] = latency.series.map((s: { values: (number | null)[] }) => s.values);
    const filled = p50.findIndex((v: number | null) => v !== null);
    assert.ok(filled >= 0, 'some bucket has latencies');
    assert.ok(p50[filled] <= p95[filled] && p95[filled] <= p99[filled], 'percentiles are ordered');
    assert.ok(p50[filled] > 300 && p50[filled] < 1200, `p50 ${p50[filled]} between the two models' medians`);
    const rates = chartData(res.text, 'chart-data-rates');
    assert.deepEqual(rates.series.map((s: { label: string }) => s.label), ['errors', 'rate-limited']);
    assert.ok(rates.series[0].values.some((v: number | null) => v !== null && v > 0), 'some errors drawn');
    const band = latency.bands[0];
    assert.equal(band[0], (NOW - 2 * HOUR) / 1000);
    has(res.text, 'Maintenance in this window');
    assert.ok(rowOf(res.text, 'href="/models/m2"').includes('s-operational'));
    assert.ok(rowOf(res.text, 'href="/models/m1"').includes('s-degraded'));
    has(res.text, '<script src="/assets/uplot.iife.min.js', 'Recent incidents', `href="/incidents/${openId}"`);
  });

  test('provider page windows: 1h has minute buckets, 7d hour buckets, a bad window falls back to 24h', async () => {
    const hour = await get(t, '/providers/acme?window=1h');
    assert.ok(chartData(hour.text, 'chart-data-rates').x.length >= 60);
    has(hour.text, '(1m buckets)');
    assert.ok(!hour.text.includes('Maintenance in this window'), 'the window ended before the last hour');
    const week = await get(t, '/providers/acme?window=7d');
    has(week.text, '(1h buckets)');
    const bad = await get(t, '/providers/acme?window=forever');
    assert.equal(bad.status, 200);
    has(bad.text, 'aria-current="true">24h<');
  });

  test('model page: both providers serving it in the breakdown', async () => {
    const res = await get(t, '/models/m1?window=24h');
    assert.equal(res.status, 200);
    has(res.text, '<h2>Providers</h2>');
    assert.ok(rowOf(res.text, 'href="/providers/beta"').includes('>10<'), 'beta served 10 probes of m1');
    assert.ok(rowOf(res.text, 'href="/providers/acme"').includes('s-degraded'));
    has(res.text, 'data-chart="chart-data-latency"');
  });

  test('incidents list and timeline with the cause of each update', async () => {
    const list = await get(t, '/incidents');
    has(list.text, `href="/incidents/${openId}"`, `href="/incidents/${resolvedId}"`);
    assert.ok(list.text.indexOf(openId) < list.text.indexOf(resolvedId), 'newest first');
    const resolvedOnly = await get(t, '/incidents?status=resolved');
    hasNot(resolvedOnly.text, openId);
    has(resolvedOnly.text, resolvedId);

    const page = await get(t, `/incidents/${resolvedId}`);
    assert.equal(page.status, 200);
    for (const part of ['Opened', 'Severity changed', 'Resolved', 'rule=partial_error_rate · value=0.25 · threshold=0.2 · window=15m · samples=32', 'rule=consecutive_failures', 'Lasted', '1 h']) {
      assert.ok(page.text.includes(part), `timeline contains ${part}`);
    }
    assert.ok(page.text.indexOf('Opened') < page.text.indexOf('Severity changed'), 'oldest update first');
    assert.ok(page.text.includes('3 consecutive availability failures (threshold 3)'), 'the cause in words');
  });

  test('remembered closed buckets and hours give the same pages, and new results still show', async () => {
    const first = await get(t, '/providers/acme?window=24h');
    const again = await get(t, '/providers/acme?window=24h');
    assert.deepEqual(chartData(again.text, 'chart-data-latency'), chartData(first.text, 'chart-data-latency'));
    const month = await get(t, '/reports?period=month');
    const monthAgain = await get(t, '/reports?period=month');
    const tables = (page: string) => page.slice(page.indexOf('<h2>By provider</h2>'), page.indexOf('</main>'));
    assert.equal(tables(monthAgain.text), tables(month.text));
    // A result in the newest (open) hour is read on the next view, not hidden by the memo.
    await recordResults(t, 'acme/m2', [{ startedAt: NOW - MIN, latencyMs: 60_000 }]);
    const after = await get(t, '/reports?period=month');
    assert.notEqual(tables(after.text), tables(month.text));
    has(rowOf(after.text, 'href="/models/m2"'), '>289<');
  });

  test('reports: availability and percentiles per provider and model for a day, week and month', async () => {
    for (const period of ['day', 'week', 'month']) {
      const res = await get(t, `/reports?period=${period}`);
      assert.equal(res.status, 200, period);
      has(res.text, 'By provider', 'By model');
      const beta = rowOf(res.text, 'href="/providers/beta"');
      assert.ok(beta.includes('88.889%'), `${period}: beta availability 8/9`);
      assert.ok(beta.includes('>1<'), `${period}: one incident overlaps`);
      assert.ok(rowOf(res.text, 'href="/models/m2"').includes('100%'));
    }
    const day = await get(t, '/reports?period=day');
    has(day.text, 'Report: 2026-11-26', 'in progress');
    const before = await get(t, '/reports?period=day&start=2026-11-20');
    has(before.text, 'No probes in this period', 'next day');
    const weekAcross = await get(t, '/reports?period=week&start=2026-11-25');
    assert.ok(weekAcross.text.includes('week of 2026-11-23'), 'weeks start on Monday');
  });
});
